"""The JSON Schemas of nof1's files, and the typed records they are generated from.

- :mod:`~nof1.schemas.records`: :class:`~nof1.schemas.records.Record`, the base of every
  result written to JSON, and :func:`~nof1.schemas.records.json_schema`;
- :mod:`~nof1.schemas.documents`: the top level of results.json, series.json and power.json;
- :mod:`~nof1.schemas.generate`: ``make schemas`` (``python -m nof1.schemas.generate``)
  writes ``*.schema.json`` here; a test keeps the shipped files equal to the generated ones.
"""

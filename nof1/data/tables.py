"""Reading a CSV or XLSX file into numbered rows of cells, and parsing single cells.

The public face of ``nof1.data._tabular`` for readers outside ``nof1.data``: the
allocation files (``nof1.files``) and a series' diaries (``nof1.series``) read their
tables with the same rules, limits and row numbers as the diaries do (the header is row
1). See ``nof1.data._tabular`` for those rules.
"""

from nof1.data._tabular import (
    ROW_NOTE,
    RawTable,
    csv_delimiter,
    is_missing,
    normalize_name,
    parse_date,
    parse_int,
    read_csv_text,
    read_raw,
    with_row_note,
)

__all__ = [
    "ROW_NOTE",
    "RawTable",
    "csv_delimiter",
    "is_missing",
    "normalize_name",
    "parse_date",
    "parse_int",
    "read_csv_text",
    "read_raw",
    "with_row_note",
]

"""``make schemas``: write the JSON Schemas of nof1's files from the typed records.

``python -m nof1.schemas.generate`` writes ``results``, ``series`` and ``power.schema.json``
(from :data:`nof1.schemas.documents.DOCUMENTS`) and ``protocol.schema.json`` (from the
pydantic protocol model, :mod:`nof1.protocol.schema`) into ``nof1/schemas/``; with
``--check`` it only says which shipped file differs from the generated one (exit 1).
Nothing here is written by hand: change the records, then run ``make schemas``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["SCHEMA_DIR", "document_schema", "generated", "schema_text"]

SCHEMA_DIR = Path(__file__).resolve().parent
_WIDTH = 100  # lines up to this long keep a small array or object on one line


def document_schema(name: str) -> dict:
    """The JSON Schema (draft 2020-12) of ``name``: ``results``, ``series`` or ``power``.

    Its version is the writer's schema constant (e.g. ``nof1.results/1``): keys of a later
    contract version are not in it.

    Examples
    --------
    >>> s = document_schema("results")
    >>> s["properties"]["schema"]["const"].startswith("nof1.results/"), "$defs" in s
    (True, True)
    """
    from nof1.schemas.documents import DOCUMENTS
    from nof1.schemas.records import json_schema, version_of

    record, schema, title = DOCUMENTS[name]
    body = json_schema(record, version=version_of(schema))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://nof1.invalid/schemas/{name}.schema.json",
        "title": f"{title}, contract {schema}",
        **body,
    }


def schema_text(schema: dict) -> str:
    """The schema as the text of its shipped file: two-space indents, short arrays and
    objects on one line."""
    return _dump(schema, 0) + "\n"


def _dump(value, indent: int) -> str:
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or indent + len(flat) <= _WIDTH - 10 or not value:
        return flat
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, list):
        items = [inner + _dump(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    items = [
        f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, indent + 2)}"
        for k, v in value.items()
    ]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def generated() -> dict[str, str]:
    """File name -> text of every schema nof1 ships."""
    from nof1.protocol.schema import protocol_schema_text

    out = {f"{name}.schema.json": schema_text(document_schema(name)) for name in _NAMES}
    out["protocol.schema.json"] = protocol_schema_text()
    return out


_NAMES = ("results", "series", "power")


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the shipped schemas; the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    stale = []
    for name, text in generated().items():
        path = SCHEMA_DIR / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if "--check" not in argv:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if "--check" in argv and stale:
        print(f"out of date: {', '.join(stale)} (run `make schemas`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

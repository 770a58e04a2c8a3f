"""How nof1 writes its text files: CSV with ``\\n`` line ends, JSON indented in UTF-8."""

from __future__ import annotations

import csv
import io
import json

from nof1 import __version__

__all__ = ["csv_text", "json_text", "software"]


def csv_text(rows: list[dict]) -> str:
    """A CSV with a header (the first row's keys) and ``\\n`` line ends.

    Examples
    --------
    >>> csv_text([{"day": 1, "note": "a, b"}])
    'day,note\\n1,"a, b"\\n'
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def json_text(data: dict) -> str:
    """JSON indented by 2, non-ASCII kept as it is, ending in a newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def software() -> dict:
    """The ``software`` entry of a file: which nof1 wrote it."""
    return {"software": {"name": "nof1", "version": __version__}}

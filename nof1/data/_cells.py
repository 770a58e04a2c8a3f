"""Single cells of a table: names, texts, missing values, dates and numbers.

Shared by every reader (diaries, allocations, StudyU, mapped files); nothing here reads a
file.
"""

from __future__ import annotations

import datetime as dt
import math
import re

__all__ = [
    "MISSING",
    "cell_text",
    "column_letter",
    "is_missing",
    "is_plain_number_text",
    "normalize_name",
    "parse_date",
    "parse_int",
    "parse_number",
]

#: Cell texts read as a missing value (case-insensitive), besides an empty cell.
MISSING = ("", "na", "n/a", "nan", "null")
_MISSING = frozenset(MISSING)
_ISO_DATE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ][0-9:.]+(?:Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


def normalize_name(name) -> str:
    """Column names are matched ignoring case, outer spaces, and spaces or hyphens inside.

    Examples
    --------
    >>> normalize_name("  Sleep quality "), normalize_name("Follow-Up")
    ('sleep_quality', 'follow_up')
    """
    return re.sub(r"[\s\-]+", "_", str(name if name is not None else "").strip().lower())


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index.

    Examples
    --------
    >>> column_letter(0), column_letter(25), column_letter(27)
    ('A', 'Z', 'AB')
    """
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_text(cell) -> str:
    """A cell as stripped text; "" when missing.

    Examples
    --------
    >>> cell_text(" P01 "), cell_text(None), cell_text(3)
    ('P01', '', '3')
    """
    return "" if is_missing(cell) else str(cell).strip()


def is_missing(cell) -> bool:
    """An empty cell, or one of the :data:`MISSING` texts.

    Examples
    --------
    >>> is_missing(""), is_missing(" NA "), is_missing(None), is_missing("0")
    (True, True, True, False)
    """
    if cell is None:
        return True
    if isinstance(cell, str):
        return cell.strip().lower() in _MISSING
    return isinstance(cell, float) and math.isnan(cell)


def parse_date(cell) -> dt.date:
    """A date from an ISO text (``YYYY-MM-DD``; a time after it, with or without a UTC
    offset, is ignored) or a workbook date.

    Day-first or month-first texts (``05/01/2026``) are refused: they are ambiguous.

    Raises
    ------
    ValueError

    Examples
    --------
    >>> parse_date("2026-01-05"), parse_date("2026-01-05T08:30:00.123Z")
    (datetime.date(2026, 1, 5), datetime.date(2026, 1, 5))
    >>> parse_date(dt.datetime(2026, 1, 5, 0, 0))
    datetime.date(2026, 1, 5)
    """
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if cell.__class__ is str and len(cell) == 10 and cell[4] == cell[7] == "-":
        try:  # the usual YYYY-MM-DD, without the regular expression
            return dt.date.fromisoformat(cell)
        except ValueError:
            pass  # the general path says what is wrong
    text = str(cell).strip()
    match = _ISO_DATE.fullmatch(text)
    if not match:
        raise ValueError(text)
    return dt.date.fromisoformat(match.group(1))


def parse_number(cell) -> float:
    """A finite number from a text or a workbook number.

    Raises
    ------
    ValueError

    Examples
    --------
    >>> parse_number(" 45 "), parse_number(7.5)
    (45.0, 7.5)
    """
    if isinstance(cell, bool):
        raise ValueError(cell)
    if not isinstance(cell, int | float):
        cell = str(cell)
        if not is_plain_number_text(cell):
            raise ValueError(cell)
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def is_plain_number_text(text: str) -> bool:
    """Whether ``float(text)`` reads the text as written: ASCII digits, no ``_``.

    Python's ``float`` also reads ``1_0`` as 10, Arabic-Indic ``٣٣`` and full-width
    ``５５`` as 33 and 55: a diary accepts ASCII decimal numbers only. (``inf`` and
    ``nan`` pass here; callers refuse what is not finite.)

    Examples
    --------
    >>> [is_plain_number_text(t) for t in ("63", "-1.5e3", "1_0", "٣٣", "５５")]
    [True, True, False, False, False]
    """
    return text.isascii() and "_" not in text


def parse_int(cell) -> int:
    """A whole number (``3``, ``3.0``) from a text or a workbook number.

    Raises
    ------
    ValueError

    Examples
    --------
    >>> parse_int("3"), parse_int(3.0)
    (3, 3)
    """
    value = parse_number(cell)
    if value != int(value):
        raise ValueError(cell)
    return int(value)

"""Dates as people's files write them: ISO, day-first, month-first, with or without a time.

The order of day and month is never guessed: ``05.01.2026`` with dots is day-first (the
European convention: no program writes month.day.year with dots), ``05/01/2026`` with
slashes or dashes is settled by the data (any first number above 12 makes the column
day-first, any second number above 12 month-first) or by the option the caller names;
otherwise it is a problem asking for that option. A time after the date is kept when the
caller gives a day start (``day_starts_at``): entries before it belong to the day before
(a diary filled in at 00:30 is the evening's). A time with a UTC offset (``Z``,
``+02:00``) is first converted to ``timezone`` (default: the machine's).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from nof1.data._cells import cell_text, is_missing
from nof1.errors import Problem

__all__ = ["DAY_FIRST", "MONTH_FIRST", "DateRule", "is_iso_date", "parse_clock", "read_dates"]

#: The date-order words an option or a map's ``date.format`` may give.
DAY_FIRST, MONTH_FIRST = "day-first", "month-first"

_NUMERIC = re.compile(
    r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})"
    r"(?:[ T,]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?\s*([AaPp]\.?[Mm]\.?)?)?"
)


@dataclass(frozen=True)
class DateRule:
    """How to read one date column.

    Attributes
    ----------
    format : str or None
        None (recognise), :data:`DAY_FIRST`, :data:`MONTH_FIRST`, or a ``strptime`` pattern.
    day_starts_at : datetime.time or None
        None: a time after the date is ignored.
    timezone : str or None
        IANA name for times with an offset; None: the machine's.
    fix : str
        The option or map key that settles the order, for messages (``--date-format``).
    """

    format: str | None = None
    day_starts_at: dt.time | None = None
    timezone: str | None = None
    fix: str = "--date-format"


def is_iso_date(cell) -> bool:
    """Whether a cell starts like ``YYYY-MM-DD`` (the fast path of nof1's own diaries)."""
    return cell.__class__ is str and len(cell) >= 10 and cell[4] == cell[7] == "-"


def parse_clock(text) -> dt.time:
    """``HH:MM`` as a time; ValueError if not.

    Examples
    --------
    >>> parse_clock("04:00")
    datetime.time(4, 0)
    """
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", str(text).strip())
    if not match:
        raise ValueError(text)
    return dt.time(int(match.group(1)), int(match.group(2)))


def read_dates(cells: list, rows: list[int], rule: DateRule, column: str):
    """Each cell's date (None when missing or bad), the problems, and a note.

    Parameters
    ----------
    cells : list
        The column's cells (texts, dates, datetimes, None).
    rows : list of int
        Their spreadsheet rows.
    rule : DateRule
    column : str
        The column's name, for messages.

    Returns
    -------
    (dates, problems, note)
        ``problems`` as (row, Problem); ``note`` says the order read ("" for ISO dates).

    Examples
    --------
    >>> dates, problems, note = read_dates(["13/01/2026", "05/02/2026"], [2, 3], DateRule(),
    ...                                    "date")
    >>> dates, note
    ([datetime.date(2026, 1, 13), datetime.date(2026, 2, 5)], 'dates read as day/month/year')
    >>> read_dates(["05/01/2026"], [2], DateRule(), "date")[1][0][1]
    "dates like '05/01/2026' (row 2) could be day/month or month/day: ...--date-format..."
    """
    parsed: list = [None] * len(cells)
    problems: list = []
    numeric = []  # (index, day_or_month, month_or_day, year, clock)
    for i, cell in enumerate(cells):
        if is_missing(cell):
            continue
        when = _native(cell, rule)
        if when is not None:
            parsed[i] = when
            continue
        text = cell_text(cell)
        if rule.format and rule.format not in (DAY_FIRST, MONTH_FIRST):
            try:
                parsed[i] = dt.datetime.strptime(text, rule.format)
            except ValueError:
                problems.append(_bad(text, rows[i], column, f"in the form {rule.format}"))
            continue
        match = _NUMERIC.fullmatch(text)
        if not match:
            problems.append(_bad(text, rows[i], column, "a date (YYYY-MM-DD or DD.MM.YYYY)"))
            continue
        numeric.append((i, match))
    note = ""
    if numeric:
        order, note, problem = _order(numeric, cells, rows, rule)
        if problem is not None:
            problems.append(problem)
        else:
            for i, match in numeric:
                when = _from_match(match, order)
                if when is None:
                    problems.append(
                        _bad(cell_text(cells[i]), rows[i], column, "a date " + note.split()[-1])
                    )
                parsed[i] = when
    dates = [None if w is None else _day_of(w, rule) for w in parsed]
    return dates, problems, note


def _native(cell, rule: DateRule):
    """A workbook date or an ISO text as a date or datetime; None if not one of them."""
    if isinstance(cell, dt.datetime | dt.date):
        return cell
    if not is_iso_date(cell):
        return None
    text = cell.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None


def _order(numeric, cells, rows, rule: DateRule):
    """Day-first or month-first for the whole column: (order, note, problem or None)."""
    separator = numeric[0][1].group(2)
    if rule.format in (DAY_FIRST, MONTH_FIRST):
        order = rule.format
        how = "given"
    else:
        day_first = next((m for _, m in numeric if int(m.group(1)) > 12), None)
        month_first = next((m for _, m in numeric if int(m.group(3)) > 12), None)
        if day_first is not None and month_first is not None:
            i = next(i for i, m in numeric if m is month_first)
            j = next(i for i, m in numeric if m is day_first)
            message = (
                f"dates mix day/month ('{cell_text(cells[j])}', row {rows[j]}) and month/day "
                f"('{cell_text(cells[i])}', row {rows[i]}): fix the column"
            )
            return None, "", (rows[i], Problem(message, row=rows[i]))
        if day_first is not None or separator == ".":
            order = DAY_FIRST
        elif month_first is not None:
            order = MONTH_FIRST
        elif all(m.group(1) == m.group(3) for _, m in numeric):
            order = DAY_FIRST  # day and month are equal everywhere: both read the same
        else:
            i, match = next((i, m) for i, m in numeric if m.group(1) != m.group(3))
            message = (
                f"dates like '{cell_text(cells[i])}' (row {rows[i]}) could be day/month or "
                f"month/day: no day above 12 settles it; give {rule.fix} {DAY_FIRST} or "
                f"{MONTH_FIRST}"
            )
            return None, "", (rows[i], Problem(message, row=rows[i]))
        how = "read"
    pattern = "day{0}month{0}year" if order == DAY_FIRST else "month{0}day{0}year"
    return order, f"dates {how} as {pattern.format(separator)}", None


def _from_match(match, order: str):
    first, second, year = int(match.group(1)), int(match.group(3)), match.group(4)
    day, month = (first, second) if order == DAY_FIRST else (second, first)
    year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    if match.group(5) is None:
        return date
    hour, minute = int(match.group(5)), int(match.group(6))
    second_ = int(match.group(7) or 0)
    meridiem = (match.group(8) or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    try:
        return dt.datetime.combine(date, dt.time(hour, minute, second_))
    except ValueError:
        return None


def _day_of(when, rule: DateRule) -> dt.date:
    """The diary date of a date or a moment: in the time zone, before the day start."""
    if not isinstance(when, dt.datetime):
        return when
    if rule.day_starts_at is None:
        return when.date()
    if when.tzinfo is not None:
        when = when.astimezone(_zone(rule.timezone))
    if when.time() < rule.day_starts_at:
        return when.date() - dt.timedelta(days=1)
    return when.date()


def _zone(name: str | None):
    if name is None:
        return None  # astimezone(None): the machine's local time zone
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _bad(text: str, row: int, column: str, expected: str):
    message = f"{column} '{text}' on row {row} is not {expected}"
    return (row, Problem(message, row=row, column=column))

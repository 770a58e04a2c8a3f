"""Validating one patient's days into a :class:`Diary` (shared by every reader).

A reader (the diary layouts, a mapped file, a REDCap export...) finds each date's cells;
here every cell is checked against the protocol (numbers, ranges, conditions, periods,
day numbers, the allocation's schedule) and all problems are raised at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nof1.data._answers import guesses, yes_no
from nof1.data._cells import cell_text, is_missing, is_plain_number_text, normalize_name, parse_int
from nof1.data._frame import frame_from_columns, settled
from nof1.data._layouts import Day, cells_of
from nof1.data._tabular import with_row_note
from nof1.data.allocation_file import schedule_problems
from nof1.errors import DiaryError, Problem

__all__ = ["CONDITIONS", "MAX_PERIOD", "Diary", "sorted_problems", "validate_days"]

#: Values a ``condition`` column may hold.
CONDITIONS = ("baseline", "active", "placebo", "washout", "follow_up")
#: Largest ``period`` number a diary may give.
MAX_PERIOD = 9999


@dataclass(frozen=True)
class Diary:
    """One patient's validated diary.

    Attributes
    ----------
    source : str
        The file read.
    sha256 : str
        Hex SHA-256 of the file's bytes (the whole file, even when it holds others too).
    rows : int
        Data rows of this patient in the file (blank rows not counted).
    patient_id : str or None
        From the file's ``patient_id`` column, or as asked for; None if neither.
    table : pandas.DataFrame
        One row per diary date, sorted: ``date`` (datetime.date), one float column per
        protocol outcome (NaN = missing), one per yes/no item (adverse events, adherence:
        1.0 yes, 0.0 no, NaN missing) and the guess (object: drug, placebo, unsure or
        None) when the protocol has them (all missing when the file lacks them),
        ``condition`` (str, "" when empty) and
        ``period`` (Int64) when the file has them, and ``row``: the spreadsheet row the
        date is on (its first row in a long file).
    """

    source: str
    sha256: str
    rows: int
    patient_id: str | None
    table: pd.DataFrame
    #: How the file was read, when not as nof1's own template (e.g. "read as a REDCap raw
    #: export, instrument daily_diary"), for the user.
    notes: tuple = ()
    #: The table's answer columns (``Protocol.answer_items``): not outcomes.
    answers: tuple = ()

    @property
    def has_condition(self) -> bool:
        """Whether the diary says each day's condition itself."""
        return "condition" in self.table

    @property
    def empty_dates(self) -> list[dt.date]:
        """Dates on which the diary has a row but no outcome value."""
        others = ("date", "condition", "period", "row", *self.answers)
        outcomes = [c for c in self.table if c not in others]
        return self.table.loc[self.table[outcomes].isna().all(axis=1), "date"].tolist()


def validate_days(
    source, sha256, rows, patient_id, days, protocol, allocation, problems, notes=()
) -> Diary:
    """Validate one patient's days and build the Diary; raise every problem at once."""
    problems = list(problems)
    for undated in [d for d in days if d.date is None]:  # its date is already a problem
        for outcome in protocol.outcomes:
            _values([undated], outcome, problems)
        _answers([undated], protocol, problems)
        _condition(undated, problems)
        _period(undated, problems)
    days = [d for d in days if d.date is not None]
    rows_of: dict[dt.date, list[Day]] = {}
    for day in days:
        rows_of.setdefault(day.date, []).append(day)
    for date, twins in rows_of.items():
        if len(twins) > 1:
            numbers = [d.row for d in twins]
            if len(numbers) > 10:
                shown = ", ".join(map(str, numbers[:10])) + f" and {len(numbers) - 10:,} more"
            else:
                shown = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
            message = f"date {date.isoformat()} is on rows {shown} (one row per date)"
            problems.append((numbers[-1], Problem(message, row=numbers[1], column="date")))
            for twin in twins[1:]:  # checked too, so that every problem is listed
                for outcome in protocol.outcomes:
                    _values([twin], outcome, problems)
                _answers([twin], protocol, problems)
                _condition(twin, problems)
                _period(twin, problems)
    days = sorted((twins[0] for twins in rows_of.values()), key=lambda d: d.date)
    columns = {"date": _objects([d.date for d in days])}
    columns |= {o.name: _values(days, o, problems) for o in protocol.outcomes}
    columns |= _answers(days, protocol, problems)
    # An empty column says nothing (None: the file has no such column).
    if not all(d.condition is None or is_missing(d.condition) for d in days):
        # As a table infers a column of texts (pandas 3: its str dtype).
        columns["condition"] = settled(pd.Series([_condition(d, problems) for d in days]))
    if not all(d.period is None or is_missing(d.period) for d in days):
        columns["period"] = pd.array([_period(d, problems) for d in days], dtype="Int64")
    columns["row"] = np.array([d.row for d in days], dtype=np.int64)
    table = frame_from_columns(columns)  # the dtypes are settled: no inference
    _check_day_numbers(days, allocation, problems)
    messages = sorted_problems(problems)
    if allocation is not None and not table.empty:
        try:
            messages += schedule_problems(table, allocation, protocol)
        except DiaryError as exc:  # the allocation does not fit the protocol
            messages += [f"{exc.source}: {p}" for p in exc.problems]
    if table.empty and not messages:
        messages.append("has no data rows (only a header)")
    if messages:
        raise DiaryError(with_row_note(source), messages)
    return Diary(
        source=source,
        sha256=sha256,
        rows=rows,
        patient_id=patient_id,
        table=table,
        notes=tuple(notes),
        answers=tuple(protocol.answer_items),
    )


def _answers(days: list[Day], protocol, problems) -> dict:
    """The answer items' columns (``nof1.data._answers``); bad cells become problems."""
    out = {name: yes_no(days, name, problems) for name in protocol.yes_no_items}
    if protocol.blinding_check is not None:
        name = protocol.blinding_check.name  # an object column keeps None (pandas 3 infers str)
        out[name] = guesses(days, name, problems)
    return out


def _objects(values: list) -> np.ndarray:
    """A list as a 1-d object array (whatever its items are)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _values(days: list[Day], outcome, problems) -> np.ndarray:
    """One outcome's values over the days: NaN when missing; bad cells become problems."""
    out = _plain_values(days, outcome.name)
    if out is None:
        out = _checked_values(days, outcome, problems)
    name = f"outcome '{outcome.name}'"
    for i in np.flatnonzero(out < outcome.min):
        row = days[i].cell(outcome.name)[1]
        message = f"{name} value {out[i]:g} on row {row} is below its minimum {outcome.min:g}"
        problems.append((row, Problem(message, row=row, column=outcome.name)))
    for i in np.flatnonzero(out > outcome.max):
        row = days[i].cell(outcome.name)[1]
        message = f"{name} value {out[i]:g} on row {row} is above its maximum {outcome.max:g}"
        problems.append((row, Problem(message, row=row, column=outcome.name)))
    return out


def _plain_values(days: list[Day], name: str) -> np.ndarray | None:
    """The values when every cell is an ASCII number text or empty (a CSV file's usual
    column), else None (:func:`_checked_values` says what is wrong, cell by cell).

    The same floats as the cell-by-cell path, in a few passes at C speed: a series reads
    millions of these cells."""
    cells = cells_of(days, name)
    try:
        text = "\n".join([cell or "" for cell in cells])  # TypeError: not all texts
    except TypeError:
        return None
    if not text.isascii() or "_" in text:  # e.g. "1_0", "٣٣": float() reads them
        return None
    empty = cells.count("") + cells.count(None)
    try:
        out = np.array([float(cell) if cell else np.nan for cell in cells])
    except ValueError:  # "NA", "abc"...
        return None
    # "nan", "inf": missing or a problem, as the cell-by-cell path decides.
    if np.count_nonzero(np.isnan(out)) != empty or np.isinf(out).any():
        return None
    return out


def _checked_values(days: list[Day], outcome, problems) -> np.ndarray:
    """The values cell by cell; bad cells become problems and NaN."""
    out = np.full(len(days), np.nan)
    bad_cells = []
    for i, day in enumerate(days):
        cell, row = day.cell(outcome.name) or (None, None)
        if cell is None:
            continue
        if cell.__class__ is bool:  # a workbook TRUE/FALSE is no score
            bad_cells.append((cell, row))
            continue
        try:
            out[i] = float(cell)  # fast path: a number, or a text of one
        except (ValueError, TypeError):
            if not is_missing(cell):
                bad_cells.append((cell, row))
            continue
        # float() also reads "1_0", "٣٣" and "５５"; "nan" is a missing value, "-nan" is not.
        if cell.__class__ is str and (
            not is_plain_number_text(cell) or (out[i] != out[i] and not is_missing(cell))
        ):
            bad_cells.append((cell, row))
            out[i] = np.nan
    name = f"outcome '{outcome.name}'"
    # Texts like "inf" parse but are no score.
    for i in np.flatnonzero(np.isinf(out)):
        bad_cells.append(days[i].cell(outcome.name))
        out[i] = np.nan
    for cell, row in bad_cells:
        message = f"{name} value '{cell_text(cell)}' on row {row} is not a number"
        problems.append((row, Problem(message, row=row, column=outcome.name)))
    return out


def _condition(day: Day, problems) -> str:
    if is_missing(day.condition):
        return ""
    condition = normalize_name(day.condition)
    if condition not in CONDITIONS:
        message = (
            f"condition '{cell_text(day.condition)}' on row {day.row} is not one of "
            f"{', '.join(CONDITIONS)}"
        )
        problems.append((day.row, Problem(message, row=day.row, column="condition")))
        return ""
    return condition


def _period(day: Day, problems):
    if is_missing(day.period):
        return None
    text = cell_text(day.period)
    try:
        period = parse_int(day.period)
        if period < 1:
            raise ValueError(period)
    except ValueError:
        message = f"period '{text}' on row {day.row} is not a whole number ≥ 1"
        problems.append((day.row, Problem(message, row=day.row, column="period")))
        return None
    if period > MAX_PERIOD:
        message = f"period '{text}' on row {day.row} is larger than {MAX_PERIOD}"
        problems.append((day.row, Problem(message, row=day.row, column="period")))
        return None
    return period


def _check_day_numbers(days: list[Day], allocation, problems) -> None:
    """A ``day`` column must count from the start date (the allocation's, or its own)."""
    start = allocation.start_date if allocation else None
    for d in days:
        if d.day is None or is_missing(d.day):
            continue
        if d.day.__class__ is str and d.day.isascii() and d.day.isdecimal() and start is not None:
            if int(d.day) == (d.date - start).days + 1:  # the usual case, quickly
                continue
        try:
            number = parse_int(d.day)
        except ValueError:
            message = f"day '{cell_text(d.day)}' on row {d.row} is not a whole number"
            problems.append((d.row, Problem(message, row=d.row, column="day")))
            continue
        if start is None:
            try:
                start = d.date - dt.timedelta(days=number - 1)
            except OverflowError:  # before the year 1, or past 9999
                message = (
                    f"day {number} on row {d.row} cannot be a day of date "
                    f"{d.date.isoformat()} (day 1 would be outside the years 1 to 9999)"
                )
                problems.append((d.row, Problem(message, row=d.row, column="day")))
                continue
        expected = (d.date - start).days + 1
        if number != expected:
            message = (
                f"day {number} on row {d.row} does not match date {d.date.isoformat()}, "
                f"which is day {expected} (day 1 = {start.isoformat()})"
            )
            problems.append((d.row, Problem(message, row=d.row, column="day")))


def sorted_problems(problems: list[tuple[int, str]]) -> list[str]:
    """(row, message) problems as messages, in row order."""
    return [message for _, message in sorted(problems, key=lambda p: p[0])]

"""Reading and validating daily diaries (CSV or XLSX, wide or long).

Accepted layouts (column names ignore case and spaces, see ``normalize_name``):

- **wide**: ``date`` and one column per outcome; optional ``patient_id``, ``day``,
  ``note``, ``condition`` (baseline, active, placebo, washout, follow_up) and ``period``.
  The diary template ``nof1 schedule`` writes is of this kind.
- **long**: ``date``, ``outcome``, ``value``; optional ``patient_id``, ``day``, ``note``,
  ``condition`` and ``period``; one row per outcome per day.

Dates are ``YYYY-MM-DD`` (a time after them is ignored; workbook date cells work too).
Numbers are ASCII decimals (``1_0``, ``٣٣`` or ``５５`` are problems). Empty cells, and
``NA``, ``N/A``, ``NaN``, ``null``, are missing values. A wide diary needs the primary
outcome's column. A CSV row shorter than the header is a problem (the file may be cut
short), as is a workbook formula saved without its result. Size limits are in
``nof1.data._tabular``. A day whose
outcomes are all missing is kept as a missing day: missing days are allowed and
reported, never errors. Every problem is collected and raised at once in one
:class:`~nof1.errors.DiaryError`, with rows numbered as a spreadsheet shows them (the
header is row 1, the first data row is row 2). Files are read, never written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nof1.data._layouts import Day, expected_header, records
from nof1.data._tabular import (
    RawTable,
    cell_text,
    is_missing,
    is_plain_number_text,
    normalize_name,
    parse_int,
    paused_gc,
    read_raw,
    with_row_note,
)
from nof1.data.allocation_file import AllocationFile, read_allocation, schedule_problems
from nof1.errors import DiaryError, Problem
from nof1.ids import patient_id_problem
from nof1.protocol.model import Protocol

__all__ = [
    "CONDITIONS",
    "MAX_PERIOD",
    "Diary",
    "PatientTable",
    "diary_from_raw",
    "patients_from_raw",
    "read_diary",
    "read_diary_table",
    "read_patients",
]

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
        protocol outcome (NaN = missing), ``condition`` (str, "" when empty) and
        ``period`` (Int64) when the file has them, and ``row``: the spreadsheet row the
        date is on (its first row in a long file).
    """

    source: str
    sha256: str
    rows: int
    patient_id: str | None
    table: pd.DataFrame

    @property
    def has_condition(self) -> bool:
        """Whether the diary says each day's condition itself."""
        return "condition" in self.table

    @property
    def empty_dates(self) -> list[dt.date]:
        """Dates on which the diary has a row but no outcome value."""
        outcomes = [c for c in self.table if c not in ("date", "condition", "period", "row")]
        return self.table.loc[self.table[outcomes].isna().all(axis=1), "date"].tolist()


def read_diary(
    path: str | Path,
    protocol: Protocol,
    allocation: AllocationFile | str | Path | None = None,
    patient_id: str | None = None,
) -> Diary:
    """Read and validate one patient's diary.

    Parameters
    ----------
    path : str or Path
        A CSV or XLSX file, wide or long (see the module notes).
    protocol : Protocol
        Gives the outcomes, their names and ranges.
    allocation : AllocationFile or path, optional
        When given, dates must fall inside its schedule, a ``condition`` or ``period``
        column must agree with it, and the patient must be its patient.
    patient_id : str, optional
        Which patient, when the file holds several (or to name the patient of a file
        without a ``patient_id`` column).

    Returns
    -------
    Diary

    Raises
    ------
    DiaryError
        Listing every problem found, with spreadsheet row numbers.

    Examples
    --------
    >>> import tempfile
    >>> from nof1.protocol import load_protocol
    >>> path = Path(tempfile.mkdtemp()) / "diary.csv"
    >>> _ = path.write_text("date,pain,condition\\n2026-01-05,60,baseline\\n"
    ...                     "2026-01-06,,baseline\\n2026-01-08,55,active\\n")
    >>> d = read_diary(path, load_protocol("ldn-nof1-multicycle"))
    >>> d.rows, d.table["pain"].tolist(), d.table["row"].tolist()
    (3, [60.0, nan, 55.0], [2, 3, 4])
    >>> _ = path.write_text("date,pain\\n2026-01-05,160\\n2026-01-05,x\\n")
    >>> read_diary(path, load_protocol("ldn-nof1-multicycle"))
    Traceback (most recent call last):
    ...
    nof1.errors.DiaryError: ...diary.csv (row 1 is the header): 3 problem(s)
      - outcome 'pain' value 160 on row 2 is above its maximum 100
      - date 2026-01-05 is on rows 2 and 3 (one row per date)
      - outcome 'pain' value 'x' on row 3 is not a number
    """
    if allocation is not None and not isinstance(allocation, AllocationFile):
        allocation = read_allocation(allocation, patient_id)
    with paused_gc():  # returns before resuming: the file's temporaries are gone by then
        return _read_one(path, protocol, allocation, patient_id)


def read_diary_table(
    path: str | Path,
    protocol: Protocol,
    allocations: dict[str, AllocationFile] | None = None,
) -> dict[str, Diary]:
    """Read a diary holding many patients: one :class:`Diary` per patient.

    Each patient is validated as :func:`read_diary` validates one (against its own
    allocation when ``allocations`` has it); all problems of all patients come in one
    error. A series command aligns and analyses each returned diary on its own.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX, wide or long, with a ``patient_id`` on every row.
    protocol : Protocol
    allocations : dict, optional
        Patient id to :class:`AllocationFile` (e.g. from ``read_allocations``).

    Returns
    -------
    dict of str to Diary
        By patient id, in the order patients first appear in the file.

    Raises
    ------
    DiaryError
    """
    with paused_gc():  # returns before resuming: the file's temporaries are gone by then
        return _read_many(path, protocol, allocations)


def _read_one(path, protocol, allocation, patient_id) -> Diary:
    raw = read_raw(path, expected_header(protocol))
    days, patient_of, problems = records(raw, protocol)
    return _one(raw, days, patient_of, problems, protocol, allocation, patient_id)


def _read_many(path, protocol, allocations) -> dict[str, Diary]:
    raw = read_raw(path, expected_header(protocol))
    if raw.column("patient_id") is None:
        raise DiaryError(raw.source, ["has no patient_id column (needed for several patients)"])
    days, patient_of, problems = records(raw, protocol)
    return _many(raw, days, patient_of, problems, protocol, allocations)


def _one(raw: RawTable, days, patient_of, problems, protocol, allocation, patient_id) -> Diary:
    """The diary of one patient from a file's days (shared by every file layout)."""
    if patient_id is not None and (problem := patient_id_problem(patient_id)):
        raise DiaryError(raw.source, [f"patient_id asked for (--patient): {problem}"])
    chosen, days = _select(raw.source, days, patient_id, allocation)
    # Rows of other patients in the file are not this diary's business.
    mine = {"", chosen}
    rows = sum(p in mine for p in patient_of.values())
    problems = [(r, m) for r, m in problems if patient_of.get(r, "") in mine]
    return _diary(raw.source, raw.sha256, rows, chosen, days, protocol, allocation, problems)


def _many(raw: RawTable, days, patient_of, problems, protocol, allocations) -> dict[str, Diary]:
    """One diary per patient of a file's days; all problems at once."""
    table = _per_patient(raw, days, patient_of, problems, protocol, allocations)
    if table.problems:
        raise DiaryError(with_row_note(raw.source), table.problems)
    return table.diaries


@dataclass(frozen=True)
class PatientTable:
    """A diary table read once and validated patient by patient (see :func:`read_patients`).

    Attributes
    ----------
    source : str
    diaries : dict of str to Diary
        The patients without problems, in the order they first appear.
    errors : dict of str to DiaryError
        The others: each patient's problems, and those of rows without a patient_id.
    unnamed : list of int
        Rows without a patient_id.
    problems : list of str
        Every problem of the file, as :func:`read_diary_table` raises them.
    """

    source: str
    diaries: dict
    errors: dict
    unnamed: list
    problems: list


def read_patients(
    path: str | Path,
    protocol: Protocol,
    allocations: dict[str, AllocationFile] | None = None,
) -> PatientTable:
    """Read a diary of many patients once; validate each patient on their own.

    What ``nof1 series --skip-bad`` needs: the patients that can be analysed, and why the
    others cannot. A row without a patient_id, or a problem of the header, counts against
    every patient (it may be theirs).

    Raises
    ------
    DiaryError
        A file that cannot be read as a table, or one without a ``patient_id`` column.
    """
    with paused_gc():
        raw = read_raw(path, expected_header(protocol))
        if raw.column("patient_id") is None:
            raise DiaryError(raw.source, ["has no patient_id column (needed for several patients)"])
        days, patient_of, problems = records(raw, protocol)
        return _per_patient(raw, days, patient_of, problems, protocol, allocations)


def diary_from_raw(
    raw: RawTable, protocol: Protocol, allocation: AllocationFile | None = None, patient_id=None
) -> Diary:
    """:func:`read_diary` of a table already in cells (a DataFrame's: ``nof1.data.frame``)."""
    with paused_gc():
        days, patient_of, problems = records(raw, protocol)
        return _one(raw, days, patient_of, problems, protocol, allocation, patient_id)


def patients_from_raw(raw: RawTable, protocol: Protocol, allocations=None) -> PatientTable:
    """:func:`read_patients` of a table already in cells (a DataFrame's: ``nof1.data.frame``)."""
    if raw.column("patient_id") is None:
        raise DiaryError(raw.source, ["has no patient_id column (needed for several patients)"])
    with paused_gc():
        days, patient_of, problems = records(raw, protocol)
        return _per_patient(raw, days, patient_of, problems, protocol, allocations)


def _per_patient(raw: RawTable, days, patient_of, problems, protocol, allocations):
    counts: dict[str, int] = {}
    for pid in patient_of.values():
        counts[pid] = counts.get(pid, 0) + 1
    by_patient: dict[str, list[Day]] = {}
    unnamed = []
    everyone = list(problems)
    for day in days:
        if not day.patient:
            unnamed.append(day.row)
            everyone.append((day.row, Problem(f"row {day.row} has no patient_id", row=day.row)))
        else:
            by_patient.setdefault(day.patient, []).append(day)
    found: dict[str, list] = {}
    for row, message in problems:
        found.setdefault(patient_of.get(row, ""), []).append((row, message))
    shared = found.get("", [])
    diaries, errors, late = {}, {}, []
    for pid in dict.fromkeys(p for p in patient_of.values() if p):
        group = by_patient.get(pid, [])
        allocation = (allocations or {}).get(pid)
        try:
            diary = _diary(
                raw.source, raw.sha256, counts[pid], pid, group, protocol, allocation, []
            )
        except DiaryError as exc:
            diary = None
            late += exc.problems
            own = exc.problems
        else:
            own = []
        if shared or pid in found or own:
            mine = _sorted(shared + found.get(pid, [])) + own
            errors[pid] = DiaryError(with_row_note(raw.source), mine)
        else:
            diaries[pid] = diary
    return PatientTable(
        source=raw.source,
        diaries=diaries,
        errors=errors,
        unnamed=unnamed,
        problems=_sorted(everyone) + late,
    )


def _sorted(problems: list[tuple[int, str]]) -> list[str]:
    return [message for _, message in sorted(problems, key=lambda p: p[0])]


# --- choosing the patient ---------------------------------------------------------------


def _select(source: str, days: list[Day], patient_id, allocation):
    """The patient this diary is for, and their days; raises when that is unclear."""
    ids = list(dict.fromkeys(d.patient for d in days if d.patient))
    expected = patient_id or (allocation.patient_id if allocation else None)
    if patient_id and allocation and patient_id != allocation.patient_id:
        raise DiaryError(
            source,
            [
                f"patient '{patient_id}' was asked for, but the allocation is for "
                f"'{allocation.patient_id}' ({allocation.source})"
            ],
        )
    if not ids:
        return patient_id, days
    if len(ids) == 1:
        if expected and ids[0] != expected:
            whose = "was asked for" if patient_id else f"has the allocation {allocation.source}"
            raise DiaryError(
                source, [f"is the diary of patient '{ids[0]}', but patient '{expected}' {whose}"]
            )
        return ids[0], days
    shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
    if not expected:
        raise DiaryError(
            source,
            [f"holds {len(ids)} patients ({shown}); pick one with patient_id (--patient)"],
        )
    if expected not in ids:
        raise DiaryError(source, [f"has no rows for patient '{expected}' (patients: {shown})"])
    return expected, [d for d in days if d.patient == expected]


# --- validation -> Diary ---------------------------------------------------------------


def _diary(source, sha256, rows, patient_id, days, protocol, allocation, problems) -> Diary:
    """Validate one patient's days and build the Diary; raise every problem at once."""
    problems = list(problems)
    for undated in [d for d in days if d.date is None]:  # its date is already a problem
        for outcome in protocol.outcomes:
            _values([undated], outcome, problems)
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
                _condition(twin, problems)
                _period(twin, problems)
    days = sorted((twins[0] for twins in rows_of.values()), key=lambda d: d.date)
    columns = {"date": [d.date for d in days]}
    columns |= {o.name: _values(days, o, problems) for o in protocol.outcomes}
    table = pd.DataFrame(columns)
    # An empty column says nothing (None: the file has no such column).
    if not all(d.condition is None or is_missing(d.condition) for d in days):
        table["condition"] = [_condition(d, problems) for d in days]
    if not all(d.period is None or is_missing(d.period) for d in days):
        table["period"] = pd.array([_period(d, problems) for d in days], dtype="Int64")
    table["row"] = [d.row for d in days]
    _check_day_numbers(days, allocation, problems)
    messages = _sorted(problems)
    if allocation is not None and not table.empty:
        try:
            messages += schedule_problems(table, allocation, protocol)
        except DiaryError as exc:  # the allocation does not fit the protocol
            messages += [f"{exc.source}: {p}" for p in exc.problems]
    if table.empty and not messages:
        messages.append("has no data rows (only a header)")
    if messages:
        raise DiaryError(with_row_note(source), messages)
    return Diary(source=source, sha256=sha256, rows=rows, patient_id=patient_id, table=table)


def _values(days: list[Day], outcome, problems) -> np.ndarray:
    """One outcome's values over the days: NaN when missing; bad cells become problems."""
    out = np.full(len(days), np.nan)
    bad_cells = []
    for i, day in enumerate(days):
        cell, row = day.values.get(outcome.name) or (None, None)
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
        bad_cells.append((days[i].values[outcome.name][0], days[i].values[outcome.name][1]))
        out[i] = np.nan
    for cell, row in bad_cells:
        message = f"{name} value '{cell_text(cell)}' on row {row} is not a number"
        problems.append((row, Problem(message, row=row, column=outcome.name)))
    for i in np.flatnonzero(out < outcome.min):
        row = days[i].values[outcome.name][1]
        message = f"{name} value {out[i]:g} on row {row} is below its minimum {outcome.min:g}"
        problems.append((row, Problem(message, row=row, column=outcome.name)))
    for i in np.flatnonzero(out > outcome.max):
        row = days[i].values[outcome.name][1]
        message = f"{name} value {out[i]:g} on row {row} is above its maximum {outcome.max:g}"
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

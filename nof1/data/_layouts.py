"""The diary file layouts (wide and long), turned into one record per patient and date.

Nothing is validated here beyond what is needed to find the dates: values stay cells,
each with its spreadsheet row, for ``nof1.data.diary`` to check.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from dataclasses import dataclass, field

from nof1.data._tabular import RawTable, cell_text, is_missing, normalize_name, parse_date
from nof1.errors import DiaryError, Problem
from nof1.ids import patient_id_problems
from nof1.protocol.model import Protocol

__all__ = ["EXTRA_COLUMNS", "Day", "expected_header", "records"]

#: Columns a diary may have besides the date and the outcomes.
EXTRA_COLUMNS = ("patient_id", "day", "note", "condition", "period")


@dataclass(slots=True)
class Day:
    """A diary date before validation: cells as read, each value with its row.

    A wide row keeps its outcome and item cells as a tuple (``cells``), placed by
    ``columns`` (name -> position, one dict shared by the file's days); a long file's
    values are gathered in ``values`` (name -> (cell, row)). :meth:`cell` reads either.
    """

    row: int
    patient: str
    date: dt.date | None  # None: unparseable, kept so its cells are still checked
    day: object = None
    condition: object = None
    period: object = None
    values: dict = field(default_factory=dict)  # outcome -> (cell, row): the long layout
    cells: tuple = ()  # the wide layout: the outcomes' and items' cells
    columns: dict = field(default_factory=dict)  # name -> position in cells

    def cell(self, name: str) -> tuple | None:
        """(cell, row) of outcome or item ``name``; None when the day has none."""
        i = self.columns.get(name)
        if i is not None:
            return self.cells[i], self.row
        return self.values.get(name)

    def has(self, name: str) -> bool:
        return name in self.columns or name in self.values


_NO_CELL = (None, None)
_COLUMNS = operator.attrgetter("columns")


def cells_of(days: list[Day], name: str) -> list:
    """The cells of one outcome or item over the days (None where a day has none)."""
    if days:
        columns = days[0].columns
        i = columns.get(name)
        # One wide file's days (all sharing its columns; checked at C speed):
        if i is not None and all(map(operator.is_, map(_COLUMNS, days), itertools.repeat(columns))):
            return [d.cells[i] for d in days]
    return [(day.cell(name) or _NO_CELL)[0] for day in days]


def expected_header(protocol: Protocol) -> str:
    """What a diary's header row should hold, for messages."""
    return f"date, then one column per outcome ({', '.join(o.name for o in protocol.outcomes)})"


def records(raw: RawTable, protocol: Protocol):
    """Days found in the file, the patient of each data row, and (row, message) problems."""
    outcomes = [o.name for o in protocol.outcomes]
    items = outcomes + protocol.answer_items
    columns = set(raw.columns)
    long = {"outcome", "value"} <= columns
    allowed = ["date", *EXTRA_COLUMNS] + (["outcome", "value"] if long else items)
    fatal = []
    if "date" not in columns:
        fatal.append(
            f"no date column (expected a header row: {expected_header(protocol)}; or the long "
            "form patient_id, date, outcome, value)"
        )
    primary = protocol.primary_outcome.name
    if not long and not columns & set(outcomes):
        fatal.append(f"no outcome column (expected at least one of {', '.join(outcomes)})")
    elif not long and primary not in columns:
        fatal.append(
            f"no column for the primary outcome '{primary}' (the header has "
            f"{', '.join(n for n in raw.names if n) or 'no names'})"
        )
    problems: list[tuple[int, str]] = []
    unknown = [name for name, c in zip(raw.names, raw.columns, strict=True) if c not in allowed]
    if unknown:
        listed = ", ".join(f"'{u}'" for u in unknown)
        tail = ", outcome, value" if long else f" and the outcomes {', '.join(outcomes)}"
        if protocol.answer_items and not long:
            tail += f", and the items {', '.join(protocol.answer_items)}"
        message = (
            f"unknown column(s) {listed} (allowed: {', '.join(['date', *EXTRA_COLUMNS])}{tail})"
        )
        problems.append((1, message))
    if fatal:
        raise DiaryError(raw.source, fatal + [m for _, m in problems])
    patient = raw.column("patient_id")
    patient_of = {
        number: "" if patient is None else cell_text(cells[patient]) for number, cells in raw.rows
    }
    problems.extend(patient_id_problems(patient_of))
    days = (_long if long else _wide)(raw, items, protocol, problems, patient_of)
    if long and days and not problems and not any(d.has(primary) for d in days):
        raise DiaryError(
            raw.source,
            [f"has no rows for the primary outcome '{primary}' (its name in the outcome column)"],
        )
    return days, patient_of, problems


def _cell(raw: RawTable, cells: list, name: str):
    i = raw.column(name)
    return None if i is None else cells[i]


def _date(cell, number: int, problems) -> dt.date | None:
    try:  # first: a date is the usual cell (no missing text parses as one)
        return parse_date(cell)
    except ValueError:
        pass
    if is_missing(cell):
        problems.append((number, Problem(f"row {number} has no date", row=number, column="date")))
        return None
    message = f"date '{cell_text(cell)}' on row {number} is not a date in the form YYYY-MM-DD"
    problems.append((number, Problem(message, row=number, column="date")))
    return None


def _wide(
    raw: RawTable, outcomes: list[str], protocol: Protocol, problems, patient_of
) -> list[Day]:
    present = [(o, raw.column(o)) for o in outcomes if o in raw.columns]
    columns = {o: k for k, (o, _) in enumerate(present)}  # shared by every day
    take = _taker([i for _, i in present])
    at_day, at_condition, at_period = (raw.column(n) for n in ("day", "condition", "period"))
    at_date = raw.column("date")
    days = []
    # A row per day: the loop is kept lean (a series reads millions of rows).
    for number, cells in raw.rows:
        days.append(
            Day(
                number,
                patient_of[number],
                _date(cells[at_date], number, problems),
                None if at_day is None else cells[at_day],
                None if at_condition is None else cells[at_condition],
                None if at_period is None else cells[at_period],
                cells=take(cells),
                columns=columns,
            )
        )
    return days


def _taker(indices: list[int]):
    """cells -> the cells at ``indices``, as a tuple."""
    if not indices:
        return lambda cells: ()
    if len(indices) == 1:
        return lambda cells: (cells[indices[0]],)
    return operator.itemgetter(*indices)


def _long(
    raw: RawTable, outcomes: list[str], protocol: Protocol, problems, patient_of
) -> list[Day]:
    days: dict[tuple[str, dt.date], Day] = {}
    for number, cells in raw.rows:
        date = _date(_cell(raw, cells, "date"), number, problems)
        if date is None:
            continue
        patient = patient_of[number]
        day = days.setdefault((patient, date), Day(row=number, patient=patient, date=date))
        for name in ("day", "condition", "period"):
            cell = _cell(raw, cells, name)
            if is_missing(cell):
                continue
            if is_missing(getattr(day, name)):
                setattr(day, name, cell)
            elif cell_text(getattr(day, name)) != cell_text(cell):
                problems.append(
                    (
                        number,
                        f"rows {day.row} and {number} give {date.isoformat()} different "
                        f"{name} values ('{cell_text(getattr(day, name))}', '{cell_text(cell)}')",
                    )
                )
        outcome = normalize_name(cell_text(_cell(raw, cells, "outcome")))
        value = _cell(raw, cells, "value")
        if not outcome:
            if not is_missing(value):
                problems.append((number, f"row {number} has a value but no outcome name"))
        elif outcome not in outcomes:
            problems.append(
                (
                    number,
                    f"outcome '{cell_text(_cell(raw, cells, 'outcome'))}' on row {number} is not "
                    f"in protocol '{protocol.id}' ({_kinds(protocol)}: {', '.join(outcomes)})",
                )
            )
        elif outcome in day.values:
            first = day.values[outcome][1]
            problems.append(
                (
                    number,
                    f"outcome '{outcome}' for {date.isoformat()} is on rows {first} and "
                    f"{number} (one value per outcome per date)",
                )
            )
        else:
            day.values[outcome] = (value, number)
    return list(days.values())


def _kinds(protocol: Protocol) -> str:
    return "outcomes and items" if protocol.answer_items else "outcomes"

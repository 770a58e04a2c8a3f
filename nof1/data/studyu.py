"""StudyU participant exports, read into the same :class:`~nof1.data.Diary` as a diary.

A StudyU export (CSV or XLSX) has the columns ``participant_id``,
``current_day_of_study``, ``current_intervention_name`` and one column per question.
A small **mapping file** (YAML, or JSON, which YAML reads too) says what they mean::

    # studyu-map.yaml
    outcomes:                 # question column -> protocol outcome (required)
      "How bad was your pain today?": pain
      "How tired were you today?": fatigue
    interventions:            # intervention name -> condition (required)
      LDN: active
      Placebo: placebo
      Baseline: baseline
    ignore:                   # other question columns to skip (optional)
      - "Anything else to tell us?"
    start_date: 2026-01-05    # date of study day 1 (optional)
    first_day: 1              # the current_day_of_study of the start date (optional, 1)

Question columns are matched ignoring case and spacing, intervention names ignoring
case; a column that is neither mapped nor ignored is reported. Conditions are those a
diary's ``condition`` column takes (baseline, active, placebo, washout, follow_up).

Dates are ``start + (current_day_of_study - first_day)`` days. The start is, in order:
the ``start_date`` argument, the mapping's ``start_date``, the allocation's start date,
else :data:`DEFAULT_START` (2000-01-01), a placeholder that keeps day numbers right
(analyses use days, not dates) but is no calendar date. Rows of one participant on one
day are merged (StudyU writes one row per completed task), unless they disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from nof1._yaml import read_yaml_file
from nof1.data._layouts import Day
from nof1.data._tabular import (
    RawTable,
    cell_text,
    is_missing,
    normalize_name,
    parse_date,
    parse_int,
    read_raw,
)
from nof1.data.allocation_file import AllocationFile, read_allocation
from nof1.data.diary import CONDITIONS, Diary, _many, _one
from nof1.errors import DiaryError
from nof1.ids import patient_id_problems
from nof1.protocol.model import Protocol

__all__ = [
    "DEFAULT_START",
    "STUDYU_COLUMNS",
    "StudyUMapping",
    "read_studyu",
    "read_studyu_mapping",
    "read_studyu_table",
]

#: Date of day 1 when neither the mapping, the caller nor an allocation gives one.
DEFAULT_START = dt.date(2000, 1, 1)
#: The columns every StudyU participant export has.
STUDYU_COLUMNS = ("participant_id", "current_day_of_study", "current_intervention_name")


@dataclass(frozen=True)
class StudyUMapping:
    """A validated StudyU mapping file.

    Attributes
    ----------
    source : str
    outcomes : dict
        Normalized question column name -> protocol outcome.
    interventions : dict
        Case-folded intervention name -> condition.
    ignore : frozenset of str
        Normalized question columns to skip.
    start_date : datetime.date or None
    first_day : int
        ``current_day_of_study`` on the start date (1 unless the mapping says otherwise).
    """

    source: str
    outcomes: dict
    interventions: dict
    ignore: frozenset
    start_date: dt.date | None = None
    first_day: int = 1


def read_studyu_mapping(path: str | Path, protocol: Protocol) -> StudyUMapping:
    """Read and validate a mapping file (format in the module notes).

    Raises
    ------
    DiaryError
        Naming the mapping file and every field at fault.

    Examples
    --------
    >>> import tempfile
    >>> from nof1.protocol import load_protocol
    >>> path = Path(tempfile.mkdtemp()) / "map.yaml"
    >>> _ = path.write_text('outcomes: {"Pain today?": pain}\\n'
    ...                     'interventions: {LDN: active, Sugar pill: placebo}\\n')
    >>> m = read_studyu_mapping(path, load_protocol("ldn-nof1-multicycle"))
    >>> m.outcomes, m.interventions, m.start_date
    ({'pain_today?': 'pain'}, {'ldn': 'active', 'sugar pill': 'placebo'}, None)
    """
    source = str(path)
    data = read_yaml_file(path, DiaryError)
    if not isinstance(data, dict):
        raise DiaryError(source, ["must be a mapping with outcomes and interventions"])
    names = [o.name for o in protocol.outcomes]
    problems = [
        f"{key}: unknown field (allowed: outcomes, interventions, ignore, start_date, first_day)"
        for key in data
        if key not in ("outcomes", "interventions", "ignore", "start_date", "first_day")
    ]
    outcomes = _pairs(data, "outcomes", names, problems)
    interventions = _pairs(data, "interventions", list(CONDITIONS), problems)
    taken = list(outcomes.values())
    for name in sorted({o for o in taken if taken.count(o) > 1}):
        problems.append(f"outcomes: '{name}' is mapped from more than one question")
    ignore = data.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(q, str) for q in ignore):
        problems.append("ignore: expected a list of question columns")
        ignore = []
    start = data.get("start_date")
    if start is not None:
        try:
            start = parse_date(start)
        except (TypeError, ValueError):
            problems.append(f"start_date: expected a date YYYY-MM-DD, got {start!r}")
    first_day = data.get("first_day", 1)
    if first_day not in (0, 1) or isinstance(first_day, bool):
        problems.append(f"first_day: expected 0 or 1, got {first_day!r}")
    if problems:
        raise DiaryError(source, problems)
    return StudyUMapping(
        source=source,
        outcomes={normalize_name(q): o for q, o in outcomes.items()},
        interventions={str(i).strip().casefold(): c for i, c in interventions.items()},
        ignore=frozenset(normalize_name(q) for q in ignore),
        start_date=start,
        first_day=first_day,
    )


def read_studyu(
    path: str | Path,
    mapping: StudyUMapping | str | Path,
    protocol: Protocol,
    allocation: AllocationFile | str | Path | None = None,
    patient_id: str | None = None,
    start_date: dt.date | None = None,
) -> Diary:
    """Read one participant's diary from a StudyU export.

    Parameters
    ----------
    path : str or Path
        The StudyU export (CSV or XLSX).
    mapping : StudyUMapping or path
    protocol : Protocol
    allocation : AllocationFile or path, optional
        Checked as for :func:`~nof1.data.read_diary`; also gives the start date.
    patient_id : str, optional
        The participant, when the export holds several.
    start_date : datetime.date, optional
        Date of study day 1 (see the module notes for the default).

    Returns
    -------
    Diary
        With a ``condition`` column from the intervention names.

    Raises
    ------
    DiaryError
        Every problem, with spreadsheet row numbers.
    """
    if allocation is not None and not isinstance(allocation, AllocationFile):
        allocation = read_allocation(allocation, patient_id)
    scheduled = allocation.start_date if allocation else None
    raw, days, patient_of, problems = _studyu_days(path, mapping, protocol, start_date, scheduled)
    return _one(raw, days, patient_of, problems, protocol, allocation, patient_id)


def read_studyu_table(
    path: str | Path,
    mapping: StudyUMapping | str | Path,
    protocol: Protocol,
    allocations: dict[str, AllocationFile] | None = None,
    start_date: dt.date | None = None,
) -> dict[str, Diary]:
    """Every participant of a StudyU export, as :func:`~nof1.data.read_diary_table` does."""
    raw, days, patient_of, problems = _studyu_days(path, mapping, protocol, start_date, None)
    return _many(raw, days, patient_of, problems, protocol, allocations)


def _pairs(data: dict, key: str, allowed: list[str], problems: list[str]) -> dict:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        problems.append(f"{key}: required, a mapping of names to {' / '.join(allowed)}")
        return {}
    for name, target in value.items():
        if target not in allowed:
            problems.append(f"{key}.{name}: expected one of {', '.join(allowed)}, got {target!r}")
    return {name: target for name, target in value.items() if target in allowed}


def _studyu_days(path, mapping, protocol: Protocol, start, scheduled):
    """Days of every participant, each row merged into its (participant, day)."""
    if not isinstance(mapping, StudyUMapping):
        mapping = read_studyu_mapping(mapping, protocol)
    start = start or mapping.start_date or scheduled or DEFAULT_START
    raw = read_raw(path, ", ".join(STUDYU_COLUMNS) + ", then one column per question")
    missing = [c for c in STUDYU_COLUMNS if c not in raw.columns]
    if missing:
        raise DiaryError(
            raw.source,
            [f"is not a StudyU participant export: missing column(s) {', '.join(missing)}"],
        )
    problems: list[tuple[int, str]] = []
    questions = {}
    for name, column in zip(raw.names, raw.columns, strict=True):
        if column in mapping.outcomes:
            questions[column] = mapping.outcomes[column]
        elif column not in STUDYU_COLUMNS and column not in mapping.ignore:
            problems.append(
                (
                    1,
                    f"unknown column '{name}': not a question in the outcomes or ignore "
                    f"list of {mapping.source}",
                )
            )
    if not questions:
        raise DiaryError(raw.source, [f"has none of the questions mapped in {mapping.source}"])
    patient_of = {n: cell_text(cells[raw.column("participant_id")]) for n, cells in raw.rows}
    problems.extend(patient_id_problems(patient_of, "participant_id"))
    days: dict[tuple[str, int], Day] = {}
    for number, cells in raw.rows:
        day = _row_day(raw, mapping, start, number, cells, problems)
        if day is None:
            continue
        for column, outcome in questions.items():
            day.values[outcome] = (cells[raw.column(column)], number)
        key = (day.patient, (day.date - start).days)
        if key in days:
            _merge(days[key], day, problems)
        else:
            days[key] = day
    return raw, list(days.values()), patient_of, problems


def _row_day(raw: RawTable, mapping: StudyUMapping, start, number, cells, problems):
    cell = cells[raw.column("current_day_of_study")]
    try:
        study_day = parse_int(cell)
        if study_day < mapping.first_day:
            raise ValueError(study_day)
    except ValueError:
        problems.append(
            (
                number,
                f"current_day_of_study '{cell_text(cell)}' on row {number} is not a whole number "
                f"≥ {mapping.first_day}",
            )
        )
        return None
    name = cells[raw.column("current_intervention_name")]
    condition = None
    if not is_missing(name):
        condition = mapping.interventions.get(cell_text(name).casefold())
        if condition is None:
            problems.append(
                (
                    number,
                    f"intervention '{cell_text(name)}' on row {number} is not in the "
                    f"interventions of {mapping.source}",
                )
            )
    return Day(
        row=number,
        patient=cell_text(cells[raw.column("participant_id")]),
        date=start + dt.timedelta(days=study_day - mapping.first_day),
        condition=condition,
    )


def _merge(into: Day, day: Day, problems) -> None:
    """Merge a later row of the same participant and day; disagreements are problems."""
    where = f"{day.date.isoformat()} (participant '{day.patient}')"
    if not is_missing(day.condition):
        if is_missing(into.condition):
            into.condition = day.condition
        elif into.condition != day.condition:
            problems.append(
                (day.row, f"rows {into.row} and {day.row} give {where} different interventions")
            )
    for outcome, (cell, row) in day.values.items():
        if is_missing(cell):
            continue
        old, old_row = into.values.get(outcome, (None, row))
        if is_missing(old):
            into.values[outcome] = (cell, row)
        elif cell_text(old) != cell_text(cell):
            problems.append(
                (row, f"rows {old_row} and {row} give different '{outcome}' answers for {where}")
            )

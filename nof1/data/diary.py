"""Reading and validating daily diaries (CSV or XLSX, wide or long).

Accepted layouts (column names ignore case and spaces, see ``normalize_name``):

- **wide**: ``date`` and one column per outcome; optional ``patient_id``, ``day``,
  ``note``, ``condition`` (baseline, active, placebo, washout, follow_up) and ``period``.
  The diary template ``nof1 schedule`` writes is of this kind.
- **long**: ``date``, ``outcome``, ``value``; optional ``patient_id``, ``day``, ``note``,
  ``condition`` and ``period``; one row per outcome per day.

Other sources (REDCap exports, European spreadsheets, any table through a mapping file, a
pandas DataFrame) are first brought to these columns by ``nof1.data.reading``; see
docs/input-formats.md.

Dates are ``YYYY-MM-DD`` (a time after them is ignored; workbook date cells work too), or
day-first / month-first when the data or ``ReadOptions.date_format`` settles the order.
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

from dataclasses import dataclass
from pathlib import Path

from nof1.data._layouts import Day, expected_header, records
from nof1.data._tabular import RawTable, with_row_note
from nof1.data._validate import CONDITIONS, MAX_PERIOD, Diary, sorted_problems, validate_days
from nof1.data.allocation_file import AllocationFile, read_allocation
from nof1.data.reading import ReadOptions, read_table
from nof1.errors import DiaryError, Problem
from nof1.ids import patient_id_problem
from nof1.parallel import paused_gc
from nof1.protocol.model import Protocol

__all__ = [
    "CONDITIONS",
    "MAX_PERIOD",
    "Diary",
    "PatientTable",
    "ReadOptions",
    "many_diaries",
    "one_diary",
    "read_diary",
    "read_diary_table",
    "read_patients",
]


def read_diary(
    path,
    protocol: Protocol,
    allocation: AllocationFile | str | Path | None = None,
    patient_id: str | None = None,
    options: ReadOptions | None = None,
) -> Diary:
    """Read and validate one patient's diary.

    Parameters
    ----------
    path : str, Path or pandas.DataFrame
        A CSV or XLSX file, wide or long (see the module notes), or the same as a
        DataFrame (rows are numbered as a file's: the first is row 2).
    protocol : Protocol
        Gives the outcomes, their names and ranges.
    allocation : AllocationFile or path, optional
        When given, dates must fall inside its schedule, a ``condition`` or ``period``
        column must agree with it, and the patient must be its patient.
    patient_id : str, optional
        Which patient, when the file holds several (or to name the patient of a file
        without a ``patient_id`` column).
    options : ReadOptions, optional
        A mapping file and the date order, for files not in nof1's template.

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
        return _read_one(path, protocol, allocation, patient_id, options)


def read_diary_table(
    path,
    protocol: Protocol,
    allocations: dict[str, AllocationFile] | None = None,
    options: ReadOptions | None = None,
) -> dict[str, Diary]:
    """Read a diary holding many patients: one :class:`Diary` per patient.

    Each patient is validated as :func:`read_diary` validates one (against its own
    allocation when ``allocations`` has it); all problems of all patients come in one
    error. A series command aligns and analyses each returned diary on its own.

    Parameters
    ----------
    path : str, Path or pandas.DataFrame
        CSV or XLSX, wide or long, with a ``patient_id`` on every row.
    protocol : Protocol
    allocations : dict, optional
        Patient id to :class:`AllocationFile` (e.g. from ``read_allocations``).
    options : ReadOptions, optional

    Returns
    -------
    dict of str to Diary
        By patient id, in the order patients first appear in the file.

    Raises
    ------
    DiaryError
    """
    with paused_gc():  # returns before resuming: the file's temporaries are gone by then
        return _read_many(path, protocol, allocations, options)


def _read_one(path, protocol, allocation, patient_id, options) -> Diary:
    raw = read_table(path, protocol, expected_header(protocol), options)
    days, patient_of, problems = records(raw, protocol)
    return one_diary(raw, days, patient_of, problems, protocol, allocation, patient_id)


def _read_many(path, protocol, allocations, options) -> dict[str, Diary]:
    raw = read_table(path, protocol, expected_header(protocol), options)
    if raw.column("patient_id") is None:
        raise DiaryError(raw.source, ["has no patient_id column (needed for several patients)"])
    days, patient_of, problems = records(raw, protocol)
    return many_diaries(raw, days, patient_of, problems, protocol, allocations)


def one_diary(raw: RawTable, days, patient_of, problems, protocol, allocation, patient_id) -> Diary:
    """The diary of one patient from a file's days (shared by every file layout)."""
    if patient_id is not None and (problem := patient_id_problem(patient_id)):
        raise DiaryError(raw.source, [f"patient_id asked for (--patient): {problem}"])
    chosen, days = _select(raw.source, days, patient_id, allocation)
    # Rows of other patients in the file are not this diary's business.
    mine = {"", chosen}
    rows = sum(p in mine for p in patient_of.values())
    problems = [(r, m) for r, m in problems if patient_of.get(r, "") in mine]
    return validate_days(
        raw.source, raw.sha256, rows, chosen, days, protocol, allocation, problems, _notes(raw)
    )


def many_diaries(
    raw: RawTable, days, patient_of, problems, protocol, allocations
) -> dict[str, Diary]:
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
    #: How the file was read, when not as nof1's own template.
    notes: tuple = ()
    #: ``problems`` in two parts, to merge those of several parts of one file: the rows'
    #: (row, message) pairs, then each patient's own (``problems`` is the rows' sorted, then
    #: these).
    row_problems: tuple = ()
    late: tuple = ()


def read_patients(
    path,
    protocol: Protocol,
    allocations: dict[str, AllocationFile] | None = None,
    options: ReadOptions | None = None,
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
    with paused_gc():  # returns before resuming: the file's temporaries are gone by then
        return _read_patients(path, protocol, allocations, options)


def _read_patients(path, protocol, allocations, options) -> PatientTable:
    raw = read_table(path, protocol, expected_header(protocol), options)
    if raw.column("patient_id") is None:
        raise DiaryError(raw.source, ["has no patient_id column (needed for several patients)"])
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
    notes = _notes(raw)
    diaries, errors, late = {}, {}, []
    for pid in dict.fromkeys(p for p in patient_of.values() if p):
        group = by_patient.get(pid, [])
        allocation = (allocations or {}).get(pid)
        try:
            diary = validate_days(
                raw.source, raw.sha256, counts[pid], pid, group, protocol, allocation, [], notes
            )
        except DiaryError as exc:
            diary = None
            late += exc.problems
            own = exc.problems
        else:
            own = []
        if shared or pid in found or own:
            mine = sorted_problems(shared + found.get(pid, [])) + own
            errors[pid] = DiaryError(with_row_note(raw.source), mine)
        else:
            diaries[pid] = diary
    return PatientTable(
        notes=notes,
        source=raw.source,
        diaries=diaries,
        errors=errors,
        unnamed=unnamed,
        problems=sorted_problems(everyone) + late,
        row_problems=tuple(everyone),
        late=tuple(late),
    )


def _notes(raw: RawTable) -> tuple:
    return tuple(n for n in raw.note.split("; ") if n) if raw.note else ()


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

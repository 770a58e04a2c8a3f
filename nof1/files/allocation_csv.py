"""The analyst's blinded allocation, ``*-allocation-blinded.csv``: written and read here.

One row per phase of each patient's timeline (baseline, treatment periods, washouts,
follow-up), with the group letter ``A``/``B`` and the kit code on treatment periods and
never the treatment. ``nof1 schedule`` writes one per patient and, for a series,
``series-allocation-blinded.csv`` with every patient; ``nof1 analyze`` and ``nof1
series`` read either (through :func:`nof1.data.read_allocation`). Rows are numbered as a
spreadsheet shows them (header = row 1); every problem is collected and raised at once,
naming the row and column. The table is read by the diary importer's rules
(``nof1.data.tables``, imported when reading, so that writing a schedule does not load
the importer).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from nof1.design.timeline import segments
from nof1.errors import DiaryError
from nof1.files.text import csv_text
from nof1.ids import patient_id_problem
from nof1.protocol.load import ProtocolFile

if TYPE_CHECKING:
    from nof1.design.blinding import PatientSchedule

__all__ = [
    "ALLOCATION_COLUMNS",
    "allocation_csv",
    "allocation_rows",
    "read_blinded_csv",
    "repeated_kit_codes",
]

#: The columns, in the order written.
ALLOCATION_COLUMNS = (
    "patient_id",
    "protocol_id",
    "protocol_sha256",
    "phase",
    "period",
    "cycle",
    "group",
    "kit_code",
    "first_day",
    "last_day",
    "first_date",
    "last_date",
)
_PHASES = ("baseline", "treatment", "washout", "follow_up")


# --- writing ---------------------------------------------------------------------------


def allocation_rows(pf: ProtocolFile, s: PatientSchedule) -> list[dict]:
    """One patient's rows: every phase, with group letters only."""
    rows = []
    dates = s.timeline["date"]
    for seg in segments(pf.protocol, s.allocation):
        rows.append(
            {
                "patient_id": s.patient_id,
                "protocol_id": pf.protocol.id,
                "protocol_sha256": pf.sha256,
                "phase": seg.phase,
                "period": seg.period or "",
                "cycle": seg.cycle or "",
                "group": s.group_of[seg.treatment] if seg.treatment else "",
                "kit_code": s.kit_codes[seg.period - 1] if seg.period else "",
                "first_day": seg.first_day,
                "last_day": seg.last_day,
                "first_date": dates.iloc[seg.first_day - 1].isoformat(),
                "last_date": dates.iloc[seg.last_day - 1].isoformat(),
            }
        )
    return rows


def allocation_csv(pf: ProtocolFile, schedules: list[PatientSchedule]) -> str:
    """The blinded allocation of one patient, or of a series (patients in order)."""
    return csv_text([row for s in schedules for row in allocation_rows(pf, s)])


# --- reading ---------------------------------------------------------------------------


def read_blinded_csv(path: str | Path) -> dict[str, dict]:
    """Every patient in a blinded allocation, as the fields of an ``AllocationFile``.

    Raises
    ------
    DiaryError
        Naming the file, and each row and column at fault (all problems at once).
    """
    from nof1.data.tables import read_raw, with_row_note  # the diary reader's table rules

    raw = read_raw(path, "the columns " + ", ".join(ALLOCATION_COLUMNS))
    missing = [c for c in ALLOCATION_COLUMNS if c not in raw.columns]
    if missing:
        raise DiaryError(
            raw.source,
            [
                f"is not a blinded allocation file: missing column(s) {', '.join(missing)} "
                f"(expected {', '.join(ALLOCATION_COLUMNS)})"
            ],
        )
    index = {c: raw.column(c) for c in ALLOCATION_COLUMNS}
    problems: list[str] = []
    by_patient: dict[str, list[dict]] = {}
    unusable = set()  # patients with a bad row: checking the rest would only add noise
    for number, cells in raw.rows:
        row = _blinded_row(number, {c: cells[i] for c, i in index.items()}, problems)
        if row is None:
            unusable.add(str(cells[index["patient_id"]] or ""))
        else:
            by_patient.setdefault(row["patient_id"], []).append(row)
    out = {}
    for pid, rows in by_patient.items():
        if pid in unusable:
            continue
        alloc = _blinded_patient(raw.source, pid, rows, problems)
        if alloc is not None:
            out[pid] = alloc
    kits = [
        (r["kit_code"], str(r["row"]))
        for rows in by_patient.values()
        for r in rows
        if r["phase"] == "treatment"
    ]
    problems.extend(repeated_kit_codes(kits, "is on rows"))
    if problems:
        raise DiaryError(with_row_note(raw.source), problems)
    return out


def repeated_kit_codes(kits: list[tuple[str, str]], verb: str) -> list[str]:
    """Kit codes given to more than one treatment period (each period has its own kit).

    Examples
    --------
    >>> repeated_kit_codes([("K-1", "3"), ("K-2", "4"), ("K-1", "5")], "is on rows")
    ["kit code 'K-1' is on rows 3 and 5 (each treatment period has its own kit code)"]
    """
    places: dict[str, list[str]] = {}
    for code, place in kits:
        if code:
            places.setdefault(code, []).append(place)
    return [
        f"kit code '{code}' {verb} {', '.join(found[:-1])} and {found[-1]} "
        "(each treatment period has its own kit code)"
        for code, found in places.items()
        if len(found) > 1
    ]


def _blinded_row(number: int, cells: dict, problems: list[str]) -> dict | None:
    from nof1.data.tables import is_missing, parse_date, parse_int

    def text(name):
        return "" if is_missing(cells[name]) else str(cells[name]).strip()

    def bad(field, expected):
        problems.append(f"row {number}, column {field}: expected {expected}, got '{text(field)}'")

    row = {"row": number, **{c: text(c) for c in ALLOCATION_COLUMNS}}
    ok = True
    if not row["patient_id"]:
        bad("patient_id", "a patient id")
        ok = False
    elif problem := patient_id_problem(row["patient_id"]):
        problems.append(f"row {number}, column patient_id: {problem}")
        ok = False
    if row["phase"] not in _PHASES:
        bad("phase", "one of " + ", ".join(_PHASES))
        ok = False
    for field, parse, expected in (
        ("first_day", parse_int, "a day number"),
        ("last_day", parse_int, "a day number"),
        ("first_date", parse_date, "a date YYYY-MM-DD"),
    ):
        try:
            row[field] = parse(cells[field])
        except (TypeError, ValueError):
            bad(field, expected)
            ok = False
    if row["phase"] == "treatment":
        try:
            row["period"] = parse_int(cells["period"])
        except (TypeError, ValueError):
            bad("period", "the period number on a treatment row")
            ok = False
        if row["group"] not in ("A", "B"):
            bad("group", "A or B on a treatment row")
            ok = False
    return row if ok else None


def _blinded_patient(source: str, pid: str, rows: list[dict], problems: list[str]):
    for field in ("protocol_id", "protocol_sha256"):
        values = sorted({r[field] for r in rows})
        if len(values) != 1:
            problems.append(f"patient {pid}: column {field} differs between rows ({values})")
            return None
    starts = {r["first_date"] - dt.timedelta(days=r["first_day"] - 1) for r in rows}
    if len(starts) != 1:
        problems.append(f"patient {pid}: first_date and first_day disagree on the start date")
        return None
    treatment = sorted((r for r in rows if r["phase"] == "treatment"), key=lambda r: r["period"])
    if [r["period"] for r in treatment] != list(range(1, len(treatment) + 1)):
        problems.append(
            f"patient {pid}: treatment periods must be numbered 1, 2, ... "
            f"(got {[r['period'] for r in treatment]})"
        )
        return None
    return dict(
        source=source,
        patient_id=pid,
        protocol_id=rows[0]["protocol_id"],
        protocol_sha256=rows[0]["protocol_sha256"],
        start_date=starts.pop(),
        blinded=True,
        labels=tuple(r["group"] for r in treatment),
        spans=tuple((r["first_day"], r["last_day"]) for r in treatment),
        kit_codes=tuple(r["kit_code"] for r in treatment),
    )

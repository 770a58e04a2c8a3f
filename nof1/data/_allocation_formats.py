"""The two file formats of an allocation, parsed into the fields of an ``AllocationFile``.

``*-allocation-blinded.csv`` (one row per phase; rows numbered as a spreadsheet shows
them, header = row 1) and ``*-unblinding-key.json`` (schema ``nof1.unblinding_key/2``, or
/1 from before keys held a secret: the fields read here are the same; one patient or a
series under ``patients``). Every problem is collected and raised at
once, naming the row and column or the JSON field path.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from nof1.data._tabular import is_missing, parse_date, parse_int, read_raw, with_row_note
from nof1.errors import DiaryError
from nof1.ids import patient_id_problem
from nof1.inputs import read_input

__all__ = ["KEY_SCHEMAS", "read_blinded_csv", "read_key_json"]

KEY_SCHEMAS = ("nof1.unblinding_key/1", "nof1.unblinding_key/2")
_COLUMNS = (
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


# --- the blinded CSV ------------------------------------------------------------------


def read_blinded_csv(path: Path) -> dict[str, dict]:
    raw = read_raw(path, "the columns " + ", ".join(_COLUMNS))
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise DiaryError(
            raw.source,
            [
                f"is not a blinded allocation file: missing column(s) {', '.join(missing)} "
                f"(expected {', '.join(_COLUMNS)})"
            ],
        )
    index = {c: raw.column(c) for c in _COLUMNS}
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
    problems.extend(_repeated_kit_codes(kits, "is on rows"))
    if problems:
        raise DiaryError(with_row_note(raw.source), problems)
    return out


def _repeated_kit_codes(kits: list[tuple[str, str]], verb: str) -> list[str]:
    """Kit codes given to more than one treatment period (each period has its own kit).

    Examples
    --------
    >>> _repeated_kit_codes([("K-1", "3"), ("K-2", "4"), ("K-1", "5")], "is on rows")
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
    def text(name):
        return "" if is_missing(cells[name]) else str(cells[name]).strip()

    def bad(field, expected):
        problems.append(f"row {number}, column {field}: expected {expected}, got '{text(field)}'")

    row = {"row": number, **{c: text(c) for c in _COLUMNS}}
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


# --- the unblinding key ---------------------------------------------------------------


def read_key_json(path: Path) -> dict[str, dict]:
    source = str(path)
    try:
        data = json.loads(read_input(path, DiaryError).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise DiaryError(source, [f"is not a JSON unblinding key{where}"]) from None
    if not isinstance(data, dict) or data.get("schema") not in KEY_SCHEMAS:
        got = data.get("schema") if isinstance(data, dict) else None
        expected = " or ".join(f"'{s}'" for s in KEY_SCHEMAS)
        raise DiaryError(source, [f"schema: expected {expected}, got {got!r}"])
    problems: list[str] = []
    if "patients" in data:
        entries = data["patients"] if isinstance(data["patients"], list) else []
        if not entries:
            problems.append("patients: expected a non-empty list of patient keys")
        prefixes = [f"patients.{i}." for i in range(len(entries))]
    else:
        entries, prefixes = [data], [""]
    out = {}
    kits = []
    for entry, prefix in zip(entries, prefixes, strict=True):
        alloc = _key_entry(source, entry, prefix, problems)
        if alloc is not None:
            out[alloc["patient_id"]] = alloc
            kits += [(k, f"{prefix}periods.{i}") for i, k in enumerate(alloc["kit_codes"])]
    problems.extend(_repeated_kit_codes(kits, "is at"))
    if problems:
        raise DiaryError(source, problems)
    return out


def _key_entry(source: str, entry, prefix: str, problems: list[str]):
    found = len(problems)

    def bad(field, expected, got):
        problems.append(f"{prefix}{field}: expected {expected}, got {got!r}")

    if not isinstance(entry, dict):
        bad("", "an object", entry)
        return None
    pid = entry.get("patient_id")
    if not isinstance(pid, str) or not pid:
        bad("patient_id", "a patient id", pid)
    elif problem := patient_id_problem(pid):
        problems.append(f"{prefix}patient_id: {problem}")
    protocol = entry.get("protocol")
    if not isinstance(protocol, dict) or not all(
        isinstance(protocol.get(k), str) for k in ("id", "sha256")
    ):
        bad("protocol", "an object with id and sha256", protocol)
        protocol = {}
    try:
        start = parse_date(entry.get("start_date"))
    except (TypeError, ValueError):
        bad("start_date", "a date YYYY-MM-DD", entry.get("start_date"))
        start = None
    groups = entry.get("groups")
    if not isinstance(groups, dict) or sorted(groups.items()) not in (
        [("A", "active"), ("B", "placebo")],
        [("A", "placebo"), ("B", "active")],
    ):
        bad("groups", '{"A": "active" or "placebo", "B": the other}', groups)
    sequence = entry.get("sequence")
    if not isinstance(sequence, list) or any(t not in ("active", "placebo") for t in sequence):
        bad("sequence", "a list of active/placebo, one per treatment period", sequence)
        sequence = []
    periods = entry.get("periods")
    if not isinstance(periods, list) or len(periods) != len(sequence):
        bad("periods", f"a list of {len(sequence)} periods (one per sequence entry)", periods)
        periods = []
    spans, kits = [], []
    for i, (period, treatment) in enumerate(zip(periods, sequence, strict=False)):
        where = f"periods.{i}"
        if not isinstance(period, dict):
            bad(where, "an object", period)
            continue
        if period.get("treatment", treatment) != treatment:
            bad(f"{where}.treatment", f"'{treatment}' as in sequence", period.get("treatment"))
        days = []
        for field in ("first_date", "last_date") if start else ():
            try:
                days.append((parse_date(period.get(field)) - start).days + 1)
            except (TypeError, ValueError):
                bad(f"{where}.{field}", "a date YYYY-MM-DD", period.get(field))
        spans.append(tuple(days))
        kits.append(str(period.get("kit_code", "")))
    if len(problems) > found:
        return None
    return dict(
        source=source,
        patient_id=pid,
        protocol_id=protocol["id"],
        protocol_sha256=protocol["sha256"],
        start_date=start,
        blinded=False,
        labels=tuple(sequence),
        spans=tuple(spans),
        kit_codes=tuple(kits),
        groups=dict(groups),
    )

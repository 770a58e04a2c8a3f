"""The pharmacist's unblinding key, ``*-unblinding-key.json``: written and read here.

Schema ``nof1.unblinding_key/2`` (/1, from before keys held the secret, is still read):
which group letter is active, the treatment, kit code, contents and dose schedule of
every period, the protocol's SHA-256, and the seed and the secret the schedule was drawn
with. ``nof1 schedule`` writes one per patient; a series' per-patient keys point to
``series-unblinding-key.json``, which holds every patient and the seed and secret.

Read two ways: as an allocation (:func:`read_key_json`, for ``nof1 analyze --allocation``
and ``nof1 series --allocations``; problems as :class:`~nof1.errors.DiaryError` naming
each JSON field path), and as the record of a draw (:func:`read_key_draw`, for
``--from-key``; problems as :class:`~nof1.errors.ScheduleError`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nof1.design.allocation import as_treatments
from nof1.design.timeline import segments
from nof1.errors import DiaryError, ScheduleError
from nof1.files.allocation_csv import repeated_kit_codes
from nof1.files.text import json_text, software
from nof1.ids import patient_id_problem
from nof1.inputs import read_input
from nof1.protocol.load import ProtocolFile

if TYPE_CHECKING:
    from nof1.design.blinding import PatientSchedule

__all__ = [
    "KEY_SCHEMA",
    "KEY_SCHEMAS",
    "SERIES_KEY",
    "KeyDraw",
    "patient_key",
    "patient_key_json",
    "read_key_draw",
    "read_key_json",
    "series_key_json",
]

#: Schema of the unblinding keys written now; /2 added the secret (/1 keys are still read).
KEY_SCHEMA = "nof1.unblinding_key/2"
#: Schemas read as allocations.
KEY_SCHEMAS = ("nof1.unblinding_key/1", KEY_SCHEMA)
#: The name of a series' key, the one that holds the seed and the secret.
SERIES_KEY = "series-unblinding-key.json"


# --- writing ---------------------------------------------------------------------------


def patient_key(pf: ProtocolFile, s: PatientSchedule, start: dt.date) -> dict:
    """One patient's key: everything needed to prepare the kits and to unblind."""
    p = pf.protocol
    t = s.timeline
    periods = []
    for seg in segments(p, s.allocation):
        if seg.phase != "treatment":
            continue
        days = t[t["period"] == seg.period]
        doses = []
        # One entry per run of equal dose: the kit's dose schedule.
        for _, run in days.groupby((days["step_dose_mg"].diff() != 0).cumsum(), sort=True):
            doses.append(
                {
                    "first_date": run["date"].iloc[0].isoformat(),
                    "last_date": run["date"].iloc[-1].isoformat(),
                    "days": len(run),
                    "label_dose_mg": float(run["step_dose_mg"].iloc[0]),
                    "active_dose_mg": float(run["dose_mg"].iloc[0]),
                }
            )
        periods.append(
            {
                "period": seg.period,
                "cycle": seg.cycle,
                "group": s.group_of[seg.treatment],
                "treatment": seg.treatment,
                "kit_code": s.kit_codes[seg.period - 1],
                "contents": p.treatments.active.label
                if seg.treatment == "active"
                else p.treatments.placebo.label,
                "first_date": days["date"].iloc[0].isoformat(),
                "last_date": days["date"].iloc[-1].isoformat(),
                "doses": doses,
            }
        )
    return {
        "schema": KEY_SCHEMA,
        "patient_id": s.patient_id,
        "protocol": {"id": p.id, "sha256": pf.sha256},
        "start_date": start.isoformat(),
        "groups": {letter: t for t, letter in sorted(s.group_of.items(), key=lambda kv: kv[1])},
        "labels": {"active": p.treatments.active.label, "placebo": p.treatments.placebo.label},
        "sequence": as_treatments(s.allocation),
        "periods": periods,
    }


def patient_key_json(key: dict, seed: int, secret: str, series_patients: int | None) -> str:
    """A patient's ``ID-unblinding-key.json``, from :func:`patient_key`.

    Alone, the key holds the seed and the secret; within a series of ``series_patients``
    it points to the series key instead, which holds them.
    """
    if series_patients is None:
        key = key | {"seed": seed, "secret": secret}
    else:
        key = key | {"series_key": SERIES_KEY, "series_patients": series_patients}
    return json_text(key | software())


def series_key_json(
    keys: list[dict], schedules: list[PatientSchedule], start: dt.date, seed: int
) -> str:
    """``series-unblinding-key.json``: every patient's key (:func:`patient_key`), the seed
    and the secret, and how many patients have each order."""
    orders = [" ".join(s.groups) for s in schedules]
    return json_text(
        {
            "schema": KEY_SCHEMA,
            "protocol": keys[0]["protocol"],
            "seed": seed,
            "secret": schedules[0].secret,
            "start_date": start.isoformat(),
            "groups": keys[0]["groups"],
            "orders": {o: orders.count(o) for o in sorted(set(orders))},
            "patients": [{k: v for k, v in key.items() if k != "schema"} for key in keys],
        }
        | software()
    )


# --- reading as an allocation ----------------------------------------------------------


def read_key_json(path: str | Path) -> dict[str, dict]:
    """Every patient in an unblinding key, as the fields of an ``AllocationFile``.

    Reads schema /1 and /2 alike (the fields read here are the same).

    Raises
    ------
    DiaryError
        Naming the file, and each JSON field path at fault (all problems at once).
    """
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
    problems.extend(repeated_kit_codes(kits, "is at"))
    if problems:
        raise DiaryError(source, problems)
    return out


def _key_entry(source: str, entry, prefix: str, problems: list[str]):
    from nof1.data.tables import parse_date

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


# --- reading as the record of a draw (--from-key) --------------------------------------


@dataclass(frozen=True)
class KeyDraw:
    """What a key says to draw again: its patients, start date, seed and secret.

    ``recorded`` is the key as written (a dict); ``version`` the nof1 version that wrote it.
    """

    ids: list[str]
    start: dt.date
    seed: int
    secret: str
    recorded: dict
    version: str | None
    source: str


def read_key_draw(path: str | Path, pf: ProtocolFile) -> KeyDraw:
    """The draw a single patient's key or a series key records, for ``pf``.

    Raises
    ------
    ScheduleError
        The file is not a key, is of schema /1 (no secret), is one patient's key within a
        series, was made from another protocol, or lacks a field of the draw.
    """
    from nof1.design.blinding import check_secret

    source = str(path)
    data = _read_key_document(source)

    def fail(problem: str) -> ScheduleError:
        return ScheduleError(f"{source}: {problem}")

    schema = data.get("schema")
    if schema == "nof1.unblinding_key/1":
        raise fail(
            "is an unblinding key of schema nof1.unblinding_key/1, written before keys held a "
            "secret: its schedule cannot be re-created (its kit codes came from the seed "
            "alone). Its files are the record; analyse them as they are"
        )
    if schema != KEY_SCHEMA:
        raise fail(f"schema: expected '{KEY_SCHEMA}', got {schema!r}")
    if "series_key" in data:
        raise fail(
            f"is patient {data.get('patient_id')}'s key within a series of "
            f"{data.get('series_patients')}: re-create the series from its "
            f"{data['series_key']}"
        )
    protocol = data.get("protocol") if isinstance(data.get("protocol"), dict) else {}
    if protocol.get("sha256") != pf.sha256:
        raise fail(
            f"was made from protocol '{protocol.get('id')}' with SHA-256 "
            f"{protocol.get('sha256')}, but {pf.path} has SHA-256 {pf.sha256}: give the "
            "protocol file the schedule was made from"
        )
    seed, secret = data.get("seed"), data.get("secret")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise fail(f"seed: expected a whole number >= 0, got {seed!r}")
    try:
        check_secret(secret)
        start = dt.date.fromisoformat(data.get("start_date"))
    except (TypeError, ValueError):
        raise fail("secret and start_date: expected 64 hex digits and a date YYYY-MM-DD") from None
    if "patients" in data:
        entries = data["patients"] if isinstance(data["patients"], list) else []
        ids = [e.get("patient_id") for e in entries if isinstance(e, dict)]
    else:
        ids = [data.get("patient_id")]
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise fail("patient_id: expected the patient id(s) the schedule was made for")
    recorded_software = data.get("software") if isinstance(data.get("software"), dict) else {}
    return KeyDraw(ids, start, seed, secret, data, recorded_software.get("version"), source)


def _schedule_error(source: str, problems: list[str]) -> ScheduleError:
    return ScheduleError(f"{source}: " + "; ".join(problems))


def _read_key_document(source: str) -> dict:
    try:
        data = json.loads(read_input(source, _schedule_error).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ScheduleError(f"{source}: is not a JSON unblinding key") from None
    if not isinstance(data, dict):
        raise ScheduleError(f"{source}: is not a JSON unblinding key")
    return data

"""Re-creating a schedule from its unblinding key (``nof1 schedule --from-key``).

A key written by ``nof1 schedule`` (schema ``nof1.unblinding_key/2``) holds the seed and
the secret the schedule was drawn with, its patients, start date and protocol hash: with
the same protocol file they give every file again, byte for byte. Keys of schema /1
(before the secret) cannot: their kit codes came from the seed alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from nof1.design.blinding import KEY_SCHEMA, PatientSchedule, check_secret, draw_schedules
from nof1.errors import ScheduleError
from nof1.inputs import read_input
from nof1.protocol.load import ProtocolFile

__all__ = ["KeyedSchedule", "check_recreated", "redraw_from_key"]


@dataclass(frozen=True)
class KeyedSchedule:
    """What a key says to draw, and the schedules drawn from it.

    ``recorded`` is the key as written (a dict); ``version`` the nof1 version that wrote it.
    """

    ids: list[str]
    start: dt.date
    seed: int
    secret: str
    schedules: list[PatientSchedule]
    recorded: dict
    version: str | None
    source: str

    @property
    def key_name(self) -> str:
        """The key's name among the files of the schedule."""
        if len(self.ids) > 1:
            return "series-unblinding-key.json"
        return f"{self.ids[0]}-unblinding-key.json"


def redraw_from_key(pf: ProtocolFile, path: str | Path) -> KeyedSchedule:
    """Draw again the schedules an unblinding key records.

    Parameters
    ----------
    pf : ProtocolFile
        The protocol the schedule was made from (its SHA-256 must be the key's).
    path : str or Path
        A single patient's ``ID-unblinding-key.json`` or a ``series-unblinding-key.json``.

    Returns
    -------
    KeyedSchedule

    Raises
    ------
    ScheduleError
        The file is not a key, is of schema /1 (no secret), is one patient's key within a
        series, was made from another protocol, or does not re-create itself (edited).
    """
    source = str(path)
    data = _read(source)

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
    schedules = draw_schedules(pf, ids, start, seed, secret)
    software = data.get("software") if isinstance(data.get("software"), dict) else {}
    version = software.get("version")
    return KeyedSchedule(ids, start, seed, secret, schedules, data, version, source)


def check_recreated(keyed: KeyedSchedule, files: dict[str, str]) -> None:
    """Raise ScheduleError unless the re-created key says what the given key says.

    ``files`` are the re-created files; the software version may differ (the caller
    reports it).
    """
    again = json.loads(files[keyed.key_name])
    recorded = dict(keyed.recorded)
    again.pop("software", None)
    recorded.pop("software", None)
    if again != recorded:
        raise ScheduleError(
            f"{keyed.source}: drawing again from its seed and secret does not give the periods and "
            "kit codes it records (was it edited, or written by another version of nof1?)"
        )


def _schedule_error(source: str, problems: list[str]) -> ScheduleError:
    return ScheduleError(f"{source}: " + "; ".join(problems))


def _read(source: str) -> dict:
    try:
        data = json.loads(read_input(source, _schedule_error).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ScheduleError(f"{source}: is not a JSON unblinding key") from None
    if not isinstance(data, dict):
        raise ScheduleError(f"{source}: is not a JSON unblinding key")
    return data

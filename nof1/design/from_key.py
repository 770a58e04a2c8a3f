"""Re-creating a schedule from its unblinding key (``nof1 schedule --from-key``).

A key written by ``nof1 schedule`` (schema ``nof1.unblinding_key/2``) holds the seed and
the secret the schedule was drawn with, its patients, start date and protocol hash: with
the same protocol file they give every file again, byte for byte. Keys of schema /1
(before the secret) cannot: their kit codes came from the seed alone. Reading the key is
:func:`nof1.files.unblinding_key.read_key_draw`; drawing again and checking that the
draw gives the key back is here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from nof1.design.blinding import PatientSchedule, draw_schedules
from nof1.errors import ScheduleError
from nof1.files.unblinding_key import SERIES_KEY, read_key_draw
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
            return SERIES_KEY
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
    d = read_key_draw(path, pf)
    schedules = draw_schedules(pf, d.ids, d.start, d.seed, d.secret)
    return KeyedSchedule(
        d.ids, d.start, d.seed, d.secret, schedules, d.recorded, d.version, d.source
    )


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

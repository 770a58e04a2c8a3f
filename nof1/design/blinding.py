"""Randomized, blinded schedules and the files each person in the trial receives.

Who sees what:

- the **patient** gets a calendar (CSV and iCalendar) with kit codes and dose
  instructions, and a diary template: nothing names a treatment or a group;
- the **analyst** gets the blinded allocation: periods, kit codes and group A or B;
- the **pharmacist** gets the unblinding key: which group is active, what each kit
  holds day by day, the protocol's SHA-256, the seed and the secret.

This module draws the schedule and decides who gets which file
(:func:`schedule_files`); each file's format, and its reader where nof1 reads it back,
is in ``nof1.files``.

Two sources of randomness, each with one job:

- the **seed** (``numpy``) fixes the A/B pattern of each patient's allocation, balanced
  across a series in letters; it is reproducible and auditable, and may be guessed;
- the **secret** (64 hex digits from the operating system's CSPRNG, :mod:`secrets`)
  decides which letter is the active treatment and derives every kit code, by
  HMAC-SHA256 in counter mode (:func:`_derived_bytes`). It is written only into the
  unblinding key, so no file a patient or analyst gets can be traced back to the
  allocation, not even with nof1's code and the seed.

One secret serves a whole series, so A and B mean the same for every patient (blinded
results pool). The key holds the seed and the secret: :func:`draw_schedules` given both
re-creates every file byte for byte (``nof1 schedule --from-key``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import numpy as np

from nof1.design.allocation import as_treatments, series_allocations
from nof1.design.timeline import build_timeline
from nof1.errors import ScheduleError
from nof1.files.allocation_csv import allocation_csv
from nof1.files.calendar import calendar_csv, calendar_ics
from nof1.files.diary_csv import diary_template_csv
from nof1.files.unblinding_key import SERIES_KEY, patient_key, patient_key_json, series_key_json
from nof1.ids import patient_id_problem
from nof1.protocol.load import ProtocolFile

__all__ = [
    "PatientSchedule",
    "check_secret",
    "draw_schedules",
    "new_secret",
    "patient_ids",
    "schedule_files",
]

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are read aloud and copied by hand.
_KIT_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
_KIT_LENGTH = 6
# Bytes below 250 map evenly onto the 25 letters (rejection sampling, no modulo bias).
_KIT_TABLE = bytes(ord(_KIT_ALPHABET[b % len(_KIT_ALPHABET)]) for b in range(256))
_KIT_REJECTED = bytes(range(250, 256))


@dataclass(frozen=True)
class PatientSchedule:
    """One patient's drawn schedule: allocation, kit codes and the day-by-day timeline."""

    patient_id: str
    allocation: np.ndarray  # bool per treatment period, True = active
    kit_codes: tuple[str, ...]  # one per treatment period
    group_of: dict  # {"active": "A" or "B", "placebo": the other}
    timeline: object  # pandas.DataFrame from build_timeline
    seed: int | None = None  # fixes the A/B pattern
    secret: str | None = None  # fixes which letter is active and the kit codes

    @property
    def groups(self) -> list[str]:
        """Group letter of each treatment period."""
        return [self.group_of[t] for t in as_treatments(self.allocation)]


def patient_ids(n: int) -> list[str]:
    """Ids P01, P02, ... for a series of ``n`` patients.

    Examples
    --------
    >>> patient_ids(3)
    ['P01', 'P02', 'P03']
    """
    width = max(2, len(str(n)))
    return [f"P{i:0{width}d}" for i in range(1, n + 1)]


def new_secret() -> str:
    """A fresh secret: 32 bytes from the operating system's CSPRNG, as 64 hex digits."""
    return secrets.token_hex(32)


def check_secret(secret) -> bytes:
    """The secret's bytes; ValueError unless it is 64 hex digits.

    Examples
    --------
    >>> len(check_secret("ab" * 32))
    32
    """
    if not (isinstance(secret, str) and len(secret) == 64):
        raise ValueError("the secret must be 64 hex digits")
    return bytes.fromhex(secret)


def draw_schedules(
    pf: ProtocolFile, ids: list[str], start: dt.date, seed: int, secret: str | None = None
) -> list[PatientSchedule]:
    """Draw allocations, group letters and kit codes for each patient.

    Parameters
    ----------
    pf : ProtocolFile
    ids : list of str
        Patient ids, in order.
    start : datetime.date
        Date of day 1.
    seed : int
        Fixes the A/B pattern of every patient's allocation (balanced across a series).
    secret : str, optional
        64 hex digits (see :func:`new_secret`, drawn when omitted). Fixes which letter is
        active, for the whole series, and the kit codes.

    Returns
    -------
    list of PatientSchedule

    Notes
    -----
    A fixed-order protocol has no pattern to draw: its order is the protocol's, and only
    the letters come from the secret (the order is public, so such a design is never
    blind to anyone who reads the protocol; see ``nof1.design.visibility``).

    Examples
    --------
    >>> from nof1.protocol import read_protocol
    >>> s = draw_schedules(read_protocol("ldn-nof1-multicycle"), ["P01"],
    ...                    dt.date(2026, 1, 5), seed=42)[0]
    >>> len(s.kit_codes), len(set(s.kit_codes)), len(s.timeline)
    (6, 6, 182)
    """
    bad = [problem for pid in ids if (problem := patient_id_problem(pid))]
    if bad:
        raise ScheduleError("; ".join(bad))
    secret = new_secret() if secret is None else secret
    key = check_secret(secret)
    p = pf.protocol
    # The pattern in letters (True = group B), so that the series is balanced in letters.
    patterns = series_allocations(p, len(ids), np.random.default_rng(seed))
    b_is_active = _derived_bytes(key, "active group")[0] < 128
    group_of = {"active": "B", "placebo": "A"} if b_is_active else {"active": "A", "placebo": "B"}
    if p.randomization.scheme == "fixed":
        allocations = patterns  # the protocol's order, True = active
    else:
        allocations = patterns if b_is_active else ~patterns
    codes = _kit_codes(key, len(ids) * p.n_periods)
    n = p.n_periods
    return [
        PatientSchedule(
            patient_id=pid,
            allocation=allocation,
            kit_codes=tuple(codes[i * n : (i + 1) * n]),
            group_of=group_of,
            timeline=build_timeline(p, allocation, start),
            seed=seed,
            secret=secret,
        )
        for i, (pid, allocation) in enumerate(zip(ids, allocations, strict=True))
    ]


def schedule_files(
    pf: ProtocolFile, schedules: list[PatientSchedule], start: dt.date, seed: int
) -> dict[str, str]:
    """Render every file as text, keyed by its path relative to the output folder.

    One patient: ``ID-calendar.csv``, ``ID-calendar.ics``, ``ID-diary-template.csv``,
    ``ID-allocation-blinded.csv`` and ``ID-unblinding-key.json`` at the top. A series:
    the same five files in a folder per patient, plus ``series-allocation-blinded.csv``
    and ``series-unblinding-key.json`` for the whole series. The seed and the secret are
    written only into the unblinding key of one patient, or of the series (a series'
    per-patient keys point to it).

    Raises
    ------
    ValueError
        ``seed`` is not the seed the schedules were drawn with.
    """
    if any(s.seed != seed for s in schedules):
        raise ValueError(f"the schedules were drawn with seed {schedules[0].seed}, not {seed}")
    series = len(schedules) > 1
    files: dict[str, str] = {}
    keys = []
    for s in schedules:
        prefix = f"{s.patient_id}/{s.patient_id}" if series else s.patient_id
        files[f"{prefix}-calendar.csv"] = calendar_csv(pf, s)
        files[f"{prefix}-calendar.ics"] = calendar_ics(pf, s)
        files[f"{prefix}-diary-template.csv"] = diary_template_csv(pf.protocol, s)
        files[f"{prefix}-allocation-blinded.csv"] = allocation_csv(pf, [s])
        keys.append(patient_key(pf, s, start))
        # A series is re-created from the series key, which holds the secret.
        in_series = len(schedules) if series else None
        files[f"{prefix}-unblinding-key.json"] = patient_key_json(
            keys[-1], seed, s.secret, in_series
        )
    if series:
        files["series-allocation-blinded.csv"] = allocation_csv(pf, schedules)
        files[SERIES_KEY] = series_key_json(keys, schedules, start, seed)
    return files


def _derived_bytes(key: bytes, label: str, blocks: int = 1) -> bytes:
    """HMAC-SHA256(key, label/counter) for counter = 0, 1, ...: 32 bytes per block."""
    return b"".join(
        hmac.new(key, f"nof1/{label}/{counter}".encode(), hashlib.sha256).digest()
        for counter in range(blocks)
    )


def _kit_codes(key: bytes, n: int) -> list[str]:
    """``n`` distinct kit codes derived from the secret (nothing else goes in)."""
    codes: list[str] = []
    taken: set[str] = set()
    blocks = -(-n * _KIT_LENGTH * 11 // 10 // 32) + 1  # enough for n codes, nearly always
    round_ = 0
    while len(codes) < n:
        # Drop the bytes >= 250, map the rest onto the alphabet: uniform letters.
        letters = _derived_bytes(key, f"kit codes/{round_}", blocks).translate(
            _KIT_TABLE, _KIT_REJECTED
        )
        for i in range(0, len(letters) - _KIT_LENGTH + 1, _KIT_LENGTH):
            code = letters[i : i + _KIT_LENGTH].decode("ascii")
            if code not in taken and len(codes) < n:
                codes.append(code)
                taken.add(code)
        round_ += 1
    return codes

"""Randomized, blinded schedules and the files each person in the trial receives.

Who sees what:

- the **patient** gets a calendar (CSV and iCalendar) with kit codes and dose
  instructions, and a diary template: nothing names a treatment or a group;
- the **analyst** gets the blinded allocation: periods, kit codes and group A or B;
- the **pharmacist** gets the unblinding key: which group is active, what each kit
  holds day by day, the seed and the protocol's SHA-256.

The seed is only in the key: with it and the protocol anyone could recompute the
allocation. Everything is drawn from one ``numpy`` generator seeded with ``seed``, so
the same inputs give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

import numpy as np

from nof1 import __version__
from nof1.design.allocation import as_treatments, series_allocations
from nof1.design.timeline import build_timeline, segments
from nof1.errors import ScheduleError
from nof1.ids import patient_id_problem
from nof1.protocol.load import ProtocolFile

__all__ = ["PatientSchedule", "draw_schedules", "patient_ids", "schedule_files"]

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are read aloud and copied by hand.
_KIT_ALPHABET = np.array(list("ACDEFGHJKMNPQRTUVWXY34679"))
_KIT_LENGTH = 6


@dataclass(frozen=True)
class PatientSchedule:
    """One patient's drawn schedule: allocation, kit codes and the day-by-day timeline."""

    patient_id: str
    allocation: np.ndarray  # bool per treatment period, True = active
    kit_codes: tuple[str, ...]  # one per treatment period
    group_of: dict  # {"active": "A" or "B", "placebo": the other}
    timeline: object  # pandas.DataFrame from build_timeline

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


def draw_schedules(
    pf: ProtocolFile, ids: list[str], start: dt.date, seed: int
) -> list[PatientSchedule]:
    """Draw allocations, group letters and kit codes for each patient.

    The A/B letters are drawn once for the whole series, so a blinded analyst can still
    pool patients (B - A means the same for everyone) without knowing which is active.

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
    rng = np.random.default_rng(seed)
    a_is_active = bool(rng.random() < 0.5)
    group_of = {"active": "A", "placebo": "B"} if a_is_active else {"active": "B", "placebo": "A"}
    allocations = series_allocations(pf.protocol, len(ids), rng)
    codes = _kit_codes(rng, len(ids) * pf.protocol.n_periods)
    schedules = []
    for i, (pid, allocation) in enumerate(zip(ids, allocations, strict=True)):
        n = pf.protocol.n_periods
        schedules.append(
            PatientSchedule(
                patient_id=pid,
                allocation=allocation,
                kit_codes=tuple(codes[i * n : (i + 1) * n]),
                group_of=group_of,
                timeline=build_timeline(pf.protocol, allocation, start),
            )
        )
    return schedules


def schedule_files(
    pf: ProtocolFile, schedules: list[PatientSchedule], start: dt.date, seed: int
) -> dict[str, str]:
    """Render every file as text, keyed by its path relative to the output folder.

    One patient: ``ID-calendar.csv``, ``ID-calendar.ics``, ``ID-diary-template.csv``,
    ``ID-allocation-blinded.csv`` and ``ID-unblinding-key.json`` at the top. A series:
    the same five files in a folder per patient, plus ``series-allocation-blinded.csv``
    and ``series-unblinding-key.json`` for the whole series.
    """
    series = len(schedules) > 1
    files: dict[str, str] = {}
    keys = []
    for s in schedules:
        prefix = f"{s.patient_id}/{s.patient_id}" if series else s.patient_id
        files[f"{prefix}-calendar.csv"] = _calendar_csv(pf, s)
        files[f"{prefix}-calendar.ics"] = _calendar_ics(pf, s)
        files[f"{prefix}-diary-template.csv"] = _diary_template(pf, s)
        files[f"{prefix}-allocation-blinded.csv"] = _csv(_allocation_rows(pf, s))
        key = _key(pf, s, start, seed)
        keys.append(key)
        files[f"{prefix}-unblinding-key.json"] = _json(key)
    if series:
        files["series-allocation-blinded.csv"] = _csv(
            [row for s in schedules for row in _allocation_rows(pf, s)]
        )
        orders = [" ".join(s.groups) for s in schedules]
        files["series-unblinding-key.json"] = _json(
            {
                "schema": "nof1.unblinding_key/1",
                "protocol": keys[0]["protocol"],
                "seed": seed,
                "start_date": start.isoformat(),
                "groups": keys[0]["groups"],
                "orders": {o: orders.count(o) for o in sorted(set(orders))},
                "patients": [{k: v for k, v in key.items() if k != "schema"} for key in keys],
            }
        )
    return files


def _kit_codes(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct random kit codes."""
    codes: list[str] = []
    while len(codes) < n:
        code = "".join(rng.choice(_KIT_ALPHABET, _KIT_LENGTH))
        if code not in codes:
            codes.append(code)
    return codes


def _phase_label(protocol, row) -> str:
    if row.phase == "treatment":
        return f"Treatment period {row.period} of {protocol.n_periods}"
    return {"baseline": "Baseline", "washout": "Washout", "follow_up": "Follow-up"}[row.phase]


def _day_rows(pf: ProtocolFile, s: PatientSchedule):
    """Patient-facing facts for each day: nothing here may reveal the treatment."""
    p = pf.protocol
    frequency = p.treatments.active.frequency
    previous_dose = None
    for row in s.timeline.itertuples(index=False):
        kit = ""
        if row.phase == "treatment":
            kit = s.kit_codes[row.period - 1]
            dose = row.step_dose_mg
            instruction = f"Take {dose:g} mg of study medication from kit {kit}, {frequency}"
            if row.day_in_period > 1 and dose != previous_dose:
                instruction += " (the dose goes up today)"
            previous_dose = dose
        elif row.phase == "baseline":
            instruction = "No study medication yet; fill in your diary"
        else:
            instruction = "No study medication; fill in your diary"
        yield row, kit, instruction


def _calendar_csv(pf: ProtocolFile, s: PatientSchedule) -> str:
    rows = [
        {
            "patient_id": s.patient_id,
            "day": row.day,
            "date": row.date.isoformat(),
            "weekday": row.date.strftime("%a"),
            "phase": _phase_label(pf.protocol, row),
            "kit_code": kit,
            "dose_instruction": instruction,
        }
        for row, kit, instruction in _day_rows(pf, s)
    ]
    return _csv(rows)


def _calendar_ics(pf: ProtocolFile, s: PatientSchedule) -> str:
    p = pf.protocol
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//nof1//nof1 {__version__}//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_ics_text(f'N-of-1 trial {p.id}, patient {s.patient_id}')}",
    ]
    # A fixed DTSTAMP (the first day) keeps the file byte-identical for the same inputs.
    stamp = s.timeline["date"].iloc[0].strftime("%Y%m%dT000000Z")
    for row, _kit, instruction in _day_rows(pf, s):
        day = row.date
        summary = f"Day {row.day}, {_phase_label(p, row)}: {instruction}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{p.id}-{s.patient_id}-day{row.day}@nof1",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_ics_text(summary)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_ics_fold(line) + "\r\n" for line in lines)


def _diary_template(pf: ProtocolFile, s: PatientSchedule) -> str:
    outcomes = [o.name for o in pf.protocol.outcomes]
    rows = [
        {"patient_id": s.patient_id, "date": row.date.isoformat(), "day": row.day}
        | dict.fromkeys(outcomes, "")
        | {"note": ""}
        for row in s.timeline.itertuples(index=False)
    ]
    return _csv(rows)


def _allocation_rows(pf: ProtocolFile, s: PatientSchedule) -> list[dict]:
    """Blinded allocation for the analyst: every phase, with group letters only."""
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


def _key(pf: ProtocolFile, s: PatientSchedule, start: dt.date, seed: int) -> dict:
    """The unblinding key: everything needed to prepare kits and to unblind."""
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
        "schema": "nof1.unblinding_key/1",
        "patient_id": s.patient_id,
        "protocol": {"id": p.id, "sha256": pf.sha256},
        "seed": seed,
        "start_date": start.isoformat(),
        "groups": {letter: t for t, letter in sorted(s.group_of.items(), key=lambda kv: kv[1])},
        "labels": {"active": p.treatments.active.label, "placebo": p.treatments.placebo.label},
        "sequence": as_treatments(s.allocation),
        "periods": periods,
        "software": {"name": "nof1", "version": __version__},
    }


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 section 3.1)."""
    out, current = [], ""
    for ch in line:
        limit = 75 if not out else 74  # continuation lines start with a space
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return "\r\n ".join(out)

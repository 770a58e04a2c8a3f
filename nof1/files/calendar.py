"""The patient's calendar: ``ID-calendar.csv`` and ``ID-calendar.ics`` (written, never read).

One entry per day of the trial: the phase, the day's kit code and its dose instruction,
and on the last day of each treatment period the blinding question when the protocol asks
it (:func:`diary_question`). Nothing in either file may reveal the treatment
(:func:`calendar_days` is what they say, and ``nof1.design.visibility`` compares it
between the treatments; the question's days depend only on the periods' lengths, which
``visible_differences`` already names when they differ). The iCalendar
file follows RFC 5545, with a fixed ``DTSTAMP`` (the first day) so that the same inputs
give the same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from nof1 import __version__
from nof1.files.text import csv_text
from nof1.protocol.load import ProtocolFile
from nof1.protocol.model import Protocol

if TYPE_CHECKING:
    from nof1.design.blinding import PatientSchedule

__all__ = ["calendar_csv", "calendar_days", "calendar_ics", "diary_question", "phase_label"]


def phase_label(protocol: Protocol, row) -> str:
    """The phase as the patient reads it ("Treatment period 2 of 6", "Washout", ...)."""
    if row.phase == "treatment":
        return f"Treatment period {row.period} of {protocol.n_periods}"
    return {"baseline": "Baseline", "washout": "Washout", "follow_up": "Follow-up"}[row.phase]


def calendar_days(p: Protocol, s: PatientSchedule):
    """What the patient's calendar says on each day: nothing here may reveal the treatment.

    Yields
    ------
    (row, kit_code, instruction)
        The timeline row (``day``, ``date``, ``phase``, ``period``...), the day's kit code
        ("" off treatment) and its dose instruction.
    """
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


def diary_question(p: Protocol, s: PatientSchedule) -> dict[int, str]:
    """Day -> what the calendar asks in the diary that day: the blinding question on the
    last day of each treatment period (``blinding_check_days``); empty without one.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> from nof1.design.blinding import PatientSchedule
    >>> from nof1.design.timeline import build_timeline
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> s = PatientSchedule("P", [True, False] * 3, ("K",) * 6, {}, build_timeline(p, [True] * 6))
    >>> q = diary_question(p, s)
    >>> sorted(q)
    [42, 70, 98, 126, 154, 182]
    >>> print(q[42])
    Which do you think you took this period? (in the diary's guess column: drug, placebo or
    unsure)
    """
    from nof1.design.timeline import blinding_check_days

    if p.blinding_check is None:
        return {}
    text = (
        f"{p.blinding_check.label} (in the diary's {p.blinding_check.name} column: drug, "
        "placebo or unsure)"
    )
    return dict.fromkeys(blinding_check_days(p, s.allocation), text)


def calendar_csv(pf: ProtocolFile, s: PatientSchedule) -> str:
    """``ID-calendar.csv``: one row per day, with its kit code and dose instruction, and a
    ``diary_question`` column when the protocol has a blinding check."""
    asked = diary_question(pf.protocol, s)
    extra = (lambda row: {"diary_question": asked.get(row.day, "")}) if asked else (lambda row: {})
    rows = [
        {
            "patient_id": s.patient_id,
            "day": row.day,
            "date": row.date.isoformat(),
            "weekday": row.date.strftime("%a"),
            "phase": phase_label(pf.protocol, row),
            "kit_code": kit,
            "dose_instruction": instruction,
        }
        | extra(row)
        for row, kit, instruction in calendar_days(pf.protocol, s)
    ]
    return csv_text(rows)


def calendar_ics(pf: ProtocolFile, s: PatientSchedule) -> str:
    """``ID-calendar.ics``: one all-day event per day, for a calendar app."""
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
    asked = diary_question(p, s)
    for row, _kit, instruction in calendar_days(pf.protocol, s):
        day = row.date
        summary = f"Day {row.day}, {phase_label(p, row)}: {instruction}"
        if row.day in asked:
            summary += f". Diary question today: {asked[row.day]}"
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

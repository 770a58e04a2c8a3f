"""Harms: how often each side effect happened on each condition, and the difference.

Per protocol event and for "any side effect" (:func:`~nof1.analysis.event_rates.any_event`):
the days answered and the days with the event on each compared condition, over every day
of its treatment periods (the analytic washout is not left out: a side effect early in a
period is still a side effect), and the treated-minus-control difference of the rates
from :func:`~nof1.analysis.event_rates.rate_difference`, which allows for day-to-day
persistence. :func:`patient_harms` runs that kernel once on a row per patient and event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np

from nof1.analysis.event_rates import any_event, rate_difference
from nof1.analysis.items import name_label
from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, PValue, Record, entry

__all__ = ["ANY", "EventDays", "HarmEvent", "Harms", "HarmDifference", "patient_harms"]

#: The name and label of the "any side effect" row.
ANY = ("any", "Any side effect")

METHOD = (
    "Per side effect, the share of answered days with it on each condition over every day "
    "of the treatment periods; the difference (treated minus control) has a t-test and an "
    "Agresti-Caffo interval on the effective number of days, allowing for day-to-day "
    "persistence (lag-1 autocorrelation within periods) and for periods that differ, never "
    "narrower than a period-level comparison."
)


@dataclass(frozen=True)
class EventDays(Record):
    """One condition's days: answered, with the event, and their ratio."""

    days_observed: Annotated[int, Json(minimum=0)]
    days_with_event: Annotated[int, Json(minimum=0)]
    rate: Annotated[float | None, Json(minimum=0, maximum=1)] = entry(
        description="days_with_event / days_observed; null without answered days"
    )


@dataclass(frozen=True)
class HarmDifference(Record):
    """Treated minus control rate, its interval at 1 - alpha and two-sided p-value,
    allowing for day-to-day persistence; null with a reason when not estimable."""

    estimate: Annotated[float | None, Json(minimum=-1, maximum=1)]
    ci_low: Annotated[float | None, Json(minimum=-1, maximum=1)]
    ci_high: Annotated[float | None, Json(minimum=-1, maximum=1)]
    p_value: PValue
    reason: str | None


@dataclass(frozen=True)
class HarmEvent(Record):
    """One side effect (or ``any``) by condition, the difference and a sentence."""

    name: str
    label: str
    by_condition: dict[Arm, EventDays]
    difference: HarmDifference
    message: str

    def clearly_more(self, alpha: float) -> bool:
        """Whether the difference is significant at ``alpha``."""
        p = self.difference.p_value
        return p is not None and np.isfinite(p) and p <= alpha


@dataclass(frozen=True)
class Harms(Record):
    """The side effects the diary records, per condition (one entry per protocol event,
    then ``any``)."""

    method: str = entry(description="What was computed, in one sentence.")
    events: tuple[HarmEvent, ...] = entry()


def patient_harms(patients, protocol, comparisons) -> list[Harms | None]:
    """Harms of each patient, from one kernel call over every patient and event.

    Parameters
    ----------
    patients : list of (PatientDays, DiaryItems)
    protocol : Protocol
        Its ``adverse_events``; None for every patient when it has none.
    comparisons : list of Comparison
        Per patient, the conditions compared (treated minus control) and their labels.
    """
    events = [name_label(e) for e in getattr(protocol, "adverse_events", None) or []]
    if not events or not patients:
        return [None] * len(patients)
    alpha = protocol.analysis.alpha
    width = max(int(d.day.max(initial=0) - d.day.min(initial=0)) + 1 for d, _ in patients)
    rows = len(events) + 1
    x = np.full((len(patients) * rows, width), np.nan)
    arm = np.full(x.shape, -1, dtype=np.int8)
    period = np.zeros(x.shape, dtype=int)
    for i, ((days, items), c) in enumerate(zip(patients, comparisons, strict=True)):
        column = days.day - days.day.min(initial=0)
        on = (days.phase == "treatment") & (days.period > 0)
        code = np.where(on & (days.condition == c.treated), 1, -1)
        code = np.where(on & (days.condition == c.control), 0, code)
        series = [items.events[name] for name, _ in events]
        for j, values in enumerate([*series, any_event(*series)]):
            x[i * rows + j, column] = values
            arm[i * rows + j, column] = code
            period[i * rows + j, column] = days.period
    d = rate_difference(x, arm, period, alpha)
    v = {f: getattr(d, f).tolist() for f in (
        "days_treated", "events_treated", "rate_treated", "days_control", "events_control",
        "rate_control", "estimate", "ci_low", "ci_high", "p_value", "reason")}  # fmt: skip
    out = []
    for i, c in enumerate(comparisons):
        entries = []
        for j, (name, label) in enumerate([*events, ANY]):
            k = i * rows + j
            by = {
                c.treated: EventDays(v["days_treated"][k], v["events_treated"][k],
                                     v["rate_treated"][k]),
                c.control: EventDays(v["days_control"][k], v["events_control"][k],
                                     v["rate_control"][k]),
            }  # fmt: skip
            diff = HarmDifference(
                v["estimate"][k], v["ci_low"][k], v["ci_high"][k], v["p_value"][k], v["reason"][k]
            )
            entries.append(HarmEvent(name, label, by, diff, _message(label, by, diff, c, alpha)))
        out.append(Harms(METHOD, tuple(entries)))
    return out


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}" if p < 0.01 else f"p = {p:.2f}"


def _days(e: EventDays) -> str:
    if not e.days_observed:
        return "no answered days"
    return f"{e.days_with_event} of {e.days_observed} days ({e.rate:.0%})"


def _message(label, by, diff: HarmDifference, c, alpha: float) -> str:
    """'Vivid dreams: 12 of 84 days (14%) on LDN, 3 of 84 days (4%) on Placebo; ...'."""
    t, p = by[c.treated], by[c.control]
    text = f"{label}: {_days(t)} on {c.treated_label}, {_days(p)} on {c.control_label}"
    if diff.reason is not None:
        return f"{text}; no comparison ({diff.reason})."
    if not t.days_with_event and not p.days_with_event:
        return f"{text}: not reported on either."
    level = f"{1 - alpha:.0%}"
    text += (
        f"; a difference of {diff.estimate * 100:+.0f} percentage points ({level} interval "
        f"{diff.ci_low * 100:+.0f} to {diff.ci_high * 100:+.0f}, {_p(diff.p_value)})"
    )
    if diff.p_value <= alpha:
        more = c.treated_label if diff.estimate > 0 else c.control_label
        return f"{text}: clearly more frequent on {more}."
    return f"{text}: no clear difference."

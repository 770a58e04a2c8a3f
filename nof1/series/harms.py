"""Side effects across patients: series.json ``harms``.

Reads each patient's ``harms`` (results.json, or the compact per-patient summary of the
same shape), never the daily data: per event (and "any side effect") the patients' rates
per condition, how many patients had the event at least once on each condition, and the
paired comparison of the rates across patients (treated minus control, by
:func:`nof1.series.pooled.paired_comparison`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

import numpy as np

from nof1.analysis.items import name_label
from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, Record, entry
from nof1.series.columns import ArmColumns, per_arm
from nof1.series.pooled import PairedComparison, paired_comparison

__all__ = [
    "EventConditionSeries",
    "EventSeries",
    "PatientRates",
    "SeriesHarms",
    "level_words",
    "pool_harms",
]

_PAIRED = "paired t across patients of each patient's share of days with the event"


@dataclass(frozen=True)
class EventConditionSeries(Record):
    """One event on one condition, across patients."""

    patients: Annotated[int, Json(minimum=0)] = entry(
        description="Patients with at least one observed day of this condition."
    )
    with_event: Annotated[int, Json(minimum=0)] = entry(
        description="Of those, patients with the event on at least one day."
    )
    share: float | None = entry(description="with_event / patients.")
    mean_rate: float | None = entry(
        description="Mean over those patients of their share of days with the event."
    )
    days_observed: Annotated[int, Json(minimum=0)] = entry(description="Summed over patients.")
    days_with_event: Annotated[int, Json(minimum=0)] = entry()


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class PatientRates(Record):
    """A patient's share of observed days with the event, per condition (null: no day)."""

    patient_id: str
    rates: dict[Arm, float | None] = entry(flatten=True)


@dataclass(frozen=True)
class EventSeries(Record):
    """One side effect (or ``any``) across patients."""

    name: str
    label: str
    patients_with_data: Annotated[int, Json(minimum=0)] = entry(
        description="Patients with observed days of the event on both conditions."
    )
    patients_without_data: Annotated[int, Json(minimum=0)] = entry(
        description="Analysed patients without (no harms in their results, or no observed "
        "day of one condition)."
    )
    by_condition: dict[Arm, EventConditionSeries] = entry()
    per_patient: tuple[PatientRates, ...] = entry()
    difference: PairedComparison = entry(
        description="Treated minus control rate (proportion of days), " + _PAIRED + "."
    )
    test: str = _PAIRED
    message: str = ""


@dataclass(frozen=True)
class SeriesHarms(Record):
    """Side effects across patients (each patient's harms), and "any side effect"; null
    when the protocol has no adverse_events."""

    events: tuple[EventSeries, ...]
    message: str = entry(description="The one-line summary.")


def level_words(alpha: float) -> str:
    """The interval level of ``alpha`` as people write it: ``level_words(0.05) == "95%"``."""
    return f"{(1 - alpha) * 100:.4g}%"


def pool_harms(
    results: dict[str, dict],
    events,
    treated: str,
    control: str,
    labels: dict,
    alpha: float = 0.05,
) -> SeriesHarms | None:
    """series.json ``harms``: per event, the patients' rates and their paired comparison.

    Parameters
    ----------
    results : dict
        Patient id -> results.json (or its compact summary): its ``harms`` is read.
    events : sequence of (name, label)
        The protocol's ``adverse_events``; ``any`` ("Any side effect") is added when some
        patient reports it. None or empty: no harms (returns None).
    treated, control : str
    labels : dict
        Condition -> label, for the messages.
    alpha : float

    Returns
    -------
    SeriesHarms or None
        ``events`` (one :class:`EventSeries` each: ``by_condition`` counts of patients with
        the event at least once, mean rate, summed days; ``per_patient`` rates;
        ``difference`` the paired t of the rates) and ``message``.
    """
    events = [name_label(e) for e in events or ()]
    if not events:
        return None
    per_patient = {pid: _events_of(res) for pid, res in results.items()}
    if "any" not in dict(events):
        anys = [found["any"] for found in per_patient.values() if "any" in found]
        if anys:
            events.append(("any", anys[0].get("label") or "Any side effect"))
    arms = (treated, control)
    out = []
    for name, label in events:
        cells = {pid: found.get(name) for pid, found in per_patient.items()}
        rates = per_arm(
            PatientRates,
            list(cells),
            arms,
            [{a: _rate(e, a) for a in arms} for e in cells.values()],
        )
        x, y = _arm_values(rates, treated), _arm_values(rates, control)
        both = ~np.isnan(x) & ~np.isnan(y)
        difference = paired_comparison(x[both], y[both], alpha)
        by_condition = {arm: _condition(cells.values(), arm) for arm in arms}
        event = EventSeries(
            name=name,
            label=label,
            patients_with_data=int(both.sum()),
            patients_without_data=len(rates) - int(both.sum()),
            by_condition=by_condition,
            per_patient=rates,
            difference=difference,
        )
        message = _event_message(event, treated, control, labels, alpha)
        out.append(replace(event, message=message))
    return SeriesHarms(tuple(out), _message(out, treated, control, labels, alpha))


def _arm_values(rates, arm) -> np.ndarray:
    """Every patient's rate for ``arm`` (NaN: no day of it)."""
    if isinstance(rates, ArmColumns):
        return rates.column(arm)
    return np.array([np.nan if r.rates[arm] is None else r.rates[arm] for r in rates], float)


def _events_of(res: dict) -> dict[str, dict]:
    """A patient's events by name: only what pooling reads (their label, and per
    condition the days observed and with the event), not the rest of each entry, since
    every patient's are held at once."""
    harms = res.get("harms") or {}
    return {
        e["name"]: {
            "label": e.get("label"),
            "by_condition": {
                arm: {k: cell[k] for k in _COUNTS if k in cell}
                for arm, cell in (e.get("by_condition") or {}).items()
                if cell
            },
        }
        for e in harms.get("events") or []
    }


_COUNTS = ("days_observed", "days_with_event")


def _rate(event: dict | None, arm: str) -> float | None:
    cell = ((event or {}).get("by_condition") or {}).get(arm) or {}
    days = cell.get("days_observed") or 0
    return cell.get("days_with_event", 0) / days if days else None


def _condition(cells, arm: str) -> EventConditionSeries:
    observed = []
    for event in cells:
        cell = ((event or {}).get("by_condition") or {}).get(arm) or {}
        if cell.get("days_observed"):
            observed.append((cell["days_observed"], cell.get("days_with_event") or 0))
    days = np.array(observed, dtype=float).reshape(-1, 2)
    n = len(observed)
    with_event = int((days[:, 1] > 0).sum())
    return EventConditionSeries(
        patients=n,
        with_event=with_event,
        share=with_event / n if n else None,
        mean_rate=float((days[:, 1] / days[:, 0]).mean()) if n else None,
        days_observed=int(days[:, 0].sum()),
        days_with_event=int(days[:, 1].sum()),
    )


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _event_message(e: EventSeries, treated, control, labels, alpha) -> str:
    t, c = e.by_condition[treated], e.by_condition[control]
    if not t.patients and not c.patients:
        return f"{e.label}: no patient recorded it."
    head = (
        f"{e.label}: {t.with_event} of {t.patients} patients had it at least once on "
        f"{labels[treated]} and {c.with_event} of {c.patients} on {labels[control]}"
    )
    d = e.difference
    if d.reason or d.ci_low is None:
        return f"{head}; no paired comparison ({d.reason or 'not enough patients'})."
    pp = f"{d.estimate * 100:+.1f} percentage points of days"
    ci = f"{level_words(alpha)} CI {d.ci_low * 100:.1f} to {d.ci_high * 100:.1f}"
    p_value = "p < 0.001" if d.p_value < 0.001 else f"p {d.p_value:.3g}"
    return (
        f"{head}; on average on {_pct(d.x_mean)} vs {_pct(d.y_mean)} of days "
        f"({labels[treated]} minus {labels[control]} {pp}, {ci}, {p_value})."
    )


def _message(events: list[EventSeries], treated, control, labels, alpha) -> str:
    clear = [e for e in events if e.difference.p_value is not None and e.difference.p_value < alpha]
    if any(e.name != "any" for e in clear):  # "any" only when no single event is clear
        clear = [e for e in clear if e.name != "any"]
    if not any(e.patients_with_data for e in events):
        return "No patient has side-effect records for both conditions."
    if not clear:
        return (
            "No side effect was clearly more frequent on either condition across patients "
            f"(paired t of the patients' rates, alpha {alpha:g})."
        )
    parts = []
    for e in clear:
        more = treated if e.difference.estimate > 0 else control
        less = control if more == treated else treated
        parts.append(f"{e.label.lower()} more often on {labels[more]} than on {labels[less]}")
    return (
        "Across patients, " + "; ".join(parts) + f" (paired t of the patients' rates, p < "
        f"{alpha:g})."
    )

"""Adherence across patients: series.json ``adherence``.

Reads each patient's ``adherence`` (results.json, or the compact per-patient summary of
the same shape): the share of days the dose was taken per condition, summarised across
patients; the patients with a period below the protocol's ``per_protocol_min``; and the
per-protocol sensitivity analysis pooled, a random-effects meta-analysis
(:func:`nof1.series.meta.meta_analysis`) of each patient's per-protocol effect on the
primary outcome, to set beside the main (intention-to-treat) pooled effect in
``outcomes[]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np

from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, Record, entry
from nof1.series.harms import level_words
from nof1.series.meta import MetaAnalysis
from nof1.series.results import ExcludedPatient

__all__ = [
    "PatientAdherence",
    "PerProtocolSeries",
    "SeriesAdherence",
    "ShareSummary",
    "pool_adherence",
]


@dataclass(frozen=True)
class ShareSummary(Record):
    """The patients' shares of days with the dose taken on one condition."""

    patients: Annotated[int, Json(minimum=0)] = entry(
        description="Patients with an observed day of this condition."
    )
    mean: float | None = None
    median: float | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class PatientAdherence(Record):
    """A patient's share of days with the dose taken, per condition, and its periods below
    the protocol's minimum."""

    patient_id: str
    share: dict[Arm, float | None] | None = entry(
        None, description="Per condition; null without adherence records."
    )
    periods_below_min: Annotated[int, Json(minimum=0)] | None = None
    periods_left_out: Annotated[int, Json(minimum=0)] | None = entry(
        None, description="Periods the per-protocol analysis left out."
    )


@dataclass(frozen=True)
class PerProtocolSeries(Record):
    """The per-protocol sensitivity analysis pooled across patients."""

    outcome: str = entry(description="The primary outcome.")
    meta_analysis: MetaAnalysis = entry(
        description="REML random-effects meta-analysis of the patients' per-protocol effects "
        "by the primary method (a patient with no period left out enters with its main "
        "effect); compare with the outcome's meta_analysis in outcomes[]."
    )
    patients_with_periods_left_out: Annotated[int, Json(minimum=0)] = 0
    periods_left_out: Annotated[int, Json(minimum=0)] = 0
    excluded: tuple[ExcludedPatient, ...] = entry(
        (), description="Patients without a per-protocol effect, and why."
    )


@dataclass(frozen=True)
class SeriesAdherence(Record):
    """Adherence across patients and the pooled per-protocol sensitivity analysis; null
    when the protocol has no adherence item."""

    name: str
    label: str
    per_protocol_min: float | None
    patients_with_data: Annotated[int, Json(minimum=0)]
    patients_without_data: Annotated[int, Json(minimum=0)]
    patients_below_min: Annotated[int, Json(minimum=0)] = entry(
        description="Patients with at least one period below per_protocol_min."
    )
    by_condition: dict[Arm, ShareSummary] = entry()
    per_patient: tuple[PatientAdherence, ...] = entry()
    per_protocol: PerProtocolSeries = entry()
    message: str = entry(description="The one-line summary.")


def pool_adherence(
    results: dict[str, dict],
    adherence,
    primary,
    treated: str,
    control: str,
    labels: dict,
    alpha: float = 0.05,
) -> SeriesAdherence | None:
    """series.json ``adherence``.

    Parameters
    ----------
    results : dict
        Patient id -> results.json (or its compact summary): its ``adherence`` is read.
    adherence : (name, label, per_protocol_min) or None
        The protocol's ``adherence``; None: no adherence (returns None).
    primary : OutcomeSeries
        The primary outcome's pooled results: each patient's main effect (for a patient
        whose per-protocol analysis leaves nothing out) and the outcome name.
    treated, control : str
    labels : dict
        Condition -> label, for the message.
    alpha : float

    Returns
    -------
    SeriesAdherence or None
        ``by_condition`` (mean, median, min, max of the patients' shares),
        ``per_patient``, ``patients_below_min``, ``per_protocol`` (the meta-analysis of
        the per-protocol effects) and ``message``.
    """
    from nof1.series.meta import meta_analysis

    if adherence is None:
        return None
    name, label, minimum = _fields(adherence)
    main = {e.patient_id: e.effect for e in primary.patient_effects}
    rows, effects, excluded = [], [], []
    for pid, res in results.items():
        a = res.get("adherence")
        if not a:
            rows.append(PatientAdherence(pid))
            excluded.append(ExcludedPatient(pid, "has no adherence records"))
            continue
        share = {
            arm: (a.get("by_condition") or {}).get(arm, {}).get("share")
            for arm in (treated, control)
        }
        below = sum(1 for period in a.get("by_period") or [] if period.get("below_min"))
        pp = a.get("per_protocol") or {}
        left_out = pp.get("periods_left_out")
        rows.append(PatientAdherence(pid, share, below, left_out))
        effect = pp.get("effect")
        if effect is None and left_out == 0 and pid in main and main[pid].reason is None:
            effect = {"estimate": main[pid].estimate, "se": main[pid].se, "reason": None}
        if effect and effect.get("reason") is None and effect.get("se"):
            effects.append((pid, effect["estimate"], effect["se"]))
        else:
            why = (effect or {}).get("reason") or pp.get("reason") or "no per-protocol effect"
            excluded.append(ExcludedPatient(pid, why))
    ids = [e[0] for e in effects]
    meta = meta_analysis([e[1] for e in effects], [e[2] for e in effects], "REML", alpha, ids)
    with_data = [r for r in rows if r.share is not None]
    per_protocol = PerProtocolSeries(
        outcome=primary.name,
        meta_analysis=meta,
        patients_with_periods_left_out=sum(1 for r in rows if r.periods_left_out),
        periods_left_out=sum(r.periods_left_out or 0 for r in rows),
        excluded=tuple(excluded),
    )
    out = SeriesAdherence(
        name=name,
        label=label,
        per_protocol_min=minimum,
        patients_with_data=len(with_data),
        patients_without_data=len(rows) - len(with_data),
        patients_below_min=sum(1 for r in rows if r.periods_below_min),
        by_condition={
            arm: _summary([r.share[arm] for r in with_data]) for arm in (treated, control)
        },
        per_protocol=per_protocol,
        per_patient=tuple(rows),
        message="",
    )
    return _with_message(out, primary, treated, control, labels, alpha)


def _fields(adherence) -> tuple[str, str, float | None]:
    if isinstance(adherence, (tuple, list)):
        return str(adherence[0]), str(adherence[1]), adherence[2]
    return adherence.name, adherence.label, adherence.per_protocol_min


def _summary(shares) -> ShareSummary:
    x = np.array([s for s in shares if s is not None], dtype=float)
    if not x.size:
        return ShareSummary(0)
    return ShareSummary(
        int(x.size), float(x.mean()), float(np.median(x)), float(x.min()), float(x.max())
    )


def _with_message(a: SeriesAdherence, primary, treated, control, labels, alpha):
    from dataclasses import replace

    if not a.patients_with_data:
        return replace(a, message="No patient has adherence records.")
    t, c = a.by_condition[treated], a.by_condition[control]
    parts = [
        f"Patients took the dose on {_pct(t.median)} of {labels[treated]} days and "
        f"{_pct(c.median)} of {labels[control]} days (medians)"
    ]
    if a.per_protocol_min is not None:
        parts.append(
            f"{a.patients_below_min} of {a.patients_with_data} had a period below "
            f"{_pct(a.per_protocol_min)}"
        )
    meta, main = a.per_protocol.meta_analysis, primary.meta
    if a.per_protocol.periods_left_out == 0:
        parts.append("no period was left out, so the per-protocol result is the main one")
    elif meta.reason is None and main.reason is None:
        level, n = level_words(alpha), a.per_protocol.periods_left_out
        parts.append(
            f"leaving out the {n} {'period' if n == 1 else 'periods'} below it, the pooled "
            f"effect on {primary.label.lower()} ({meta.k} patients) is {meta.estimate:+.1f} "
            f"({level} CI {meta.ci_low:.1f} to {meta.ci_high:.1f}) against "
            f"{main.estimate:+.1f} with every period"
        )
    else:
        parts.append(f"no pooled per-protocol effect ({meta.reason or main.reason})")
    return replace(a, message="; ".join(parts) + ".")


def _pct(x: float | None) -> str:
    # one decimal: a share is never mistaken for (or shown as) an interval level
    return "–" if x is None else f"{x * 100:.1f}%"

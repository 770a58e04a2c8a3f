"""Pooling a series: per outcome the meta-analyses, percent change, mixed model and order
effect; the responder test; and one entry per patient for series.json.

Reads each patient's results.json as written (parsed), never the analysis objects, so
series.json cannot disagree with the per-patient files.
"""

from __future__ import annotations

import re

import numpy as np

from nof1.analysis.days import PatientDays
from nof1.data import Aligned
from nof1.series.results import OutcomeSeries, PatientEffect, PrimaryEffect, SeriesPatient

__all__ = [
    "daily_data",
    "folders",
    "order",
    "patient_entry",
    "pool_outcomes",
    "pool_safety",
    "responders",
    "skipped_entry",
]


def pool_outcomes(p, ready, results, mixed, orders) -> list[OutcomeSeries]:
    """Per outcome: meta-analyses, percent change, mixed model and order effect.

    ``orders`` holds each patient's :func:`order` (the order effect needs the first)."""
    from nof1.series.comparisons import order_effect, percent_change_test
    from nof1.series.meta import meta_analysis

    alpha, method = p.analysis.alpha, p.analysis.primary_method
    treated, control = ready[0].arms
    ids = [a.patient_id for a in ready]
    first = [(o or [None])[0] for o in orders]
    out = []
    for outcome, fit in zip(p.outcomes, mixed, strict=True):
        entries = [_outcome_of(results[pid], outcome.name) for pid in ids]
        effects = [
            PatientEffect(pid, PrimaryEffect.from_results(e["effects"][method]))
            for pid, e in zip(ids, entries, strict=True)
        ]
        ok = [e for e in effects if e.effect.reason is None]
        yi, se = [e.effect.estimate for e in ok], [e.effect.se for e in ok]
        ok_ids = [e.patient_id for e in ok]
        estimates = [np.nan if e.effect.reason else e.effect.estimate for e in effects]
        pct = [e["percent_change"] for e in entries]
        out.append(
            OutcomeSeries(
                name=outcome.name,
                label=outcome.label,
                primary=outcome.primary,
                better=outcome.better,
                mcid=outcome.mcid,
                patient_effects=tuple(effects),
                meta=meta_analysis(yi, se, "REML", alpha, ok_ids),
                dl=meta_analysis(yi, se, "DL", alpha, ok_ids),
                percent_change=percent_change_test(ids, pct, treated, control, alpha),
                mixed=fit,
                order_effect=order_effect(estimates, first, treated, control, alpha),
            )
        )
    return out


def pool_safety(p, results: dict, treated: str, control: str, outcomes) -> dict:
    """The ``harms``, ``adherence`` and ``blinding_check`` of :class:`SeriesResults`, from
    each patient's results (:mod:`nof1.series.harms`, :mod:`~nof1.series.adherence`,
    :mod:`~nof1.series.blinding_check`)."""
    from nof1.series.adherence import pool_adherence
    from nof1.series.blinding_check import pool_blinding
    from nof1.series.harms import pool_harms

    alpha = p.analysis.alpha
    first = next(iter(results.values()))
    labels, blinded = first["labels"], bool(first.get("blinded", treated == "B"))
    primary = next(o for o in outcomes if o.primary)
    events = getattr(p, "adverse_events", None)
    return {
        "harms": pool_harms(results, events, treated, control, labels, alpha),
        "adherence": pool_adherence(
            results, getattr(p, "adherence", None), primary, treated, control, labels, alpha
        ),
        "blinding_check": pool_blinding(
            results, getattr(p, "blinding_check", None), treated, control, labels, blinded, alpha
        ),
    }


def responders(results: list[dict], treated: str, control: str, alpha: float = 0.05):
    """Responder rates per condition and McNemar's exact test across patients
    (a :class:`~nof1.series.comparisons.ResponderTest`)."""
    from nof1.series.comparisons import responder_test

    flags = [r["responder"] for r in results]
    return responder_test(flags, treated, control, results[0]["responder"].get("rule"), alpha)


def _outcome_of(results: dict, name: str) -> dict:
    return next(o for o in results["outcomes"] if o["name"] == name)


def order(days: PatientDays) -> list[str]:
    """The condition of each treatment period, in order."""
    rows = (days.phase == "treatment") & (days.period > 0)
    _, first_day = np.unique(days.period[rows], return_index=True)
    return days.condition[rows][np.sort(first_day)].tolist()


def folders(ids: list[str]) -> dict[str, str]:
    """A safe, unique folder name per patient id."""
    out, used = {}, set()
    for pid in ids:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", pid).lstrip(".") or "patient"
        candidate, k = name, 1
        while candidate.lower() in used:
            k += 1
            candidate = f"{name}-{k}"
        used.add(candidate.lower())
        out[pid] = candidate
    return out


def patient_entry(aligned: Aligned, results: dict, folder: str, protocol, order) -> SeriesPatient:
    """A patient's entry in series.json's ``patients``; ``order`` as :func:`order`."""
    primary = _outcome_of(results, protocol.primary_outcome.name)
    quality = results["data_quality"]
    return SeriesPatient(
        patient_id=aligned.patient_id,
        included=True,
        reason=None,
        folder=folder,
        results=f"patients/{folder}/results.json",
        order=tuple(order),
        first=order[0] if order else None,
        days_planned=quality["days_planned"],
        days_observed=quality["days_observed"],
        effect=PrimaryEffect.from_results(primary["effects"][protocol.analysis.primary_method]),
        percent_change=primary["percent_change"],
        responder={k: v for k, v in results["responder"].items() if k != "rule"},
    )


def skipped_entry(skipped: dict) -> SeriesPatient:
    """The entry of a patient not analysed: the keys of :func:`patient_entry`, null."""
    return SeriesPatient(skipped["patient_id"], included=False, reason=skipped["reason"])


def daily_data(ready: list[Aligned], days: list[PatientDays]) -> dict:
    """The included, compared days of every patient, for the mixed model: arrays
    ``patient`` (index in ``ready``), ``treat`` (bool) and one per outcome."""
    parts: dict = {"patient": [], "treat": [], **{name: [] for name in days[0].values}}
    for i, (a, d) in enumerate(zip(ready, days, strict=True)):
        treated, control = a.arms
        rows = d.included & ((d.condition == treated) | (d.condition == control))
        parts["patient"].append(np.full(rows.sum(), i))
        parts["treat"].append(d.condition[rows] == treated)
        for name, values in d.values.items():
            parts[name].append(values[rows])
    return {key: np.concatenate(value) for key, value in parts.items()}

"""Pooling a series: per outcome the meta-analyses, percent change, mixed model and order
effect; the responder test; and one entry per patient for series.json.

Reads each patient's results.json as written (parsed), never the analysis objects, so
series.json cannot disagree with the per-patient files; or rather the part of it pooling
needs (:func:`compact_results`), which the worker that wrote the file sends back.
"""

from __future__ import annotations

import re

import numpy as np

from nof1.analysis.days import PatientDays
from nof1.series.results import OutcomeSeries, PatientEffect, PrimaryEffect, SeriesPatient

__all__ = [
    "SUMMARY_KEYS",
    "compact_results",
    "folders",
    "order",
    "mixed_models",
    "patient_entry",
    "pool_outcomes",
    "pool_safety",
    "responders",
    "skipped_entry",
]


#: The top-level keys of a results.json that pooling and the series report read (passed
#: through as they are when present); ``outcomes`` is cut down by :func:`compact_results`.
SUMMARY_KEYS = (
    "patient_id",
    "blinded",
    "labels",
    "comparison",
    "data_quality",
    "responder",
    "verdict",
    "harms",
    "adherence",
    "blinding",
)
#: Per side analysis, what a summary leaves out: each patient's sentences, and the blinding
#: warnings (the protocol's, the same for every patient; the series states them once).
_SIDE_TEXTS = {"harms": ("method",), "adherence": ("message",), "blinding": ("message", "warnings")}
#: The keys of each outcome kept (``effects``: the primary method's, without its density).
OUTCOME_KEYS = ("name", "primary", "percent_change", "end_point", "vs_baseline")


def compact_results(results: dict, protocol) -> dict:
    """The part of a results.json that a series needs: a subset, in the same shape.

    The top-level keys of :data:`SUMMARY_KEYS` as they are; per outcome the keys of
    :data:`OUTCOME_KEYS` and ``effects`` of the primary method only (without ``density``).
    A worker sends this to the parent instead of the whole file (about a tenth of it).
    """
    method = protocol.analysis.primary_method
    out = {k: results[k] for k in SUMMARY_KEYS if k in results}
    for key, drop in _SIDE_TEXTS.items():  # per-patient sentences no pooling reads
        if out.get(key):
            out[key] = {k: v for k, v in out[key].items() if k not in drop}
    if out.get("harms"):
        out["harms"]["events"] = [
            {k: v for k, v in e.items() if k != "message"} for e in out["harms"]["events"]
        ]
    out["outcomes"] = [
        {k: o[k] for k in OUTCOME_KEYS if k in o}
        | {"effects": {method: {k: v for k, v in o["effects"][method].items() if k != "density"}}}
        for o in results["outcomes"]
    ]
    return out


def pool_outcomes(p, ids, arms, results, mixed, orders) -> list[OutcomeSeries]:
    """Per outcome: meta-analyses, percent change, mixed model and order effect.

    ``ids`` are the analysed patients, ``arms`` (treated, control), ``results`` each one's
    :func:`compact_results` by id, ``orders`` each one's :func:`order` (the order effect
    needs the first)."""
    from nof1.series.comparisons import order_effect, percent_change_test
    from nof1.series.meta import meta_analysis

    alpha, method = p.analysis.alpha, p.analysis.primary_method
    treated, control = arms
    first = [(o or [None])[0] for o in orders]
    effects_of: dict[str, list] = {o.name: [] for o in p.outcomes}
    pct_of: dict[str, list] = {o.name: [] for o in p.outcomes}
    for pid in ids:  # each summary read once (it is unpacked on reading), a part kept
        entries = results[pid]["outcomes"]
        for o in p.outcomes:
            entry = _outcome_of(entries, o.name)
            effects_of[o.name].append(
                PatientEffect(pid, PrimaryEffect.from_results(entry["effects"][method]))
            )
            pct_of[o.name].append(entry["percent_change"])
    out = []
    for outcome, fit in zip(p.outcomes, mixed, strict=True):
        effects, pct = effects_of.pop(outcome.name), pct_of.pop(outcome.name)
        ok = [e for e in effects if e.effect.reason is None]
        yi, se = [e.effect.estimate for e in ok], [e.effect.se for e in ok]
        ok_ids = [e.patient_id for e in ok]
        estimates = [np.nan if e.effect.reason else e.effect.estimate for e in effects]
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


def responders(results, treated: str, control: str, alpha: float = 0.05):
    """Responder rates per condition and McNemar's exact test across patients
    (a :class:`~nof1.series.comparisons.ResponderTest`); ``results``: each patient's
    results (an iterable, read once)."""
    from nof1.series.comparisons import responder_test

    flags = [r["responder"] for r in results]
    return responder_test(flags, treated, control, flags[0].get("rule"), alpha)


def _outcome_of(outcomes: list[dict], name: str) -> dict:
    return next(o for o in outcomes if o["name"] == name)


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


def patient_entry(patient_id: str, results: dict, folder: str, protocol, order) -> SeriesPatient:
    """A patient's entry in series.json's ``patients``; ``order`` as :func:`order`."""
    primary = _outcome_of(results["outcomes"], protocol.primary_outcome.name)
    quality = results["data_quality"]
    return SeriesPatient(
        patient_id=patient_id,
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


def mixed_models(ids: list[str], statistics: list, protocol) -> list:
    """Per outcome, the mixed model from every patient's statistics
    (:func:`nof1.series.mixed_outcomes.outcome_statistics`), as
    :func:`nof1.series.packed.pack_mixed` packed them (patient ``ids``, in order)."""
    from nof1.series.mixed import mixed_model_from_statistics
    from nof1.series.packed import unpack_mixed

    return [
        mixed_model_from_statistics(unpack_mixed(ids, statistics, o.name), protocol.analysis.alpha)
        for o in protocol.outcomes
    ]

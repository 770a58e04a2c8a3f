"""Adherence: the share of days the dose was taken, per period and per condition, and the
per-protocol sensitivity analysis that leaves out the periods below the protocol's minimum.

The per-protocol effect is the protocol's primary method (``analysis.primary_method``, run
through the registry) on the primary outcome, with the days of the left-out periods no
longer compared; beside it the report shows the main, intention-to-treat, result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from nof1.analysis import registry
from nof1.analysis.effect import Effect
from nof1.analysis.items import name_label
from nof1.analysis.patient_trials import compared_trials
from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, Record, entry

__all__ = ["Adherence", "AdherencePeriod", "AdherenceShare", "PerProtocol", "adherence_of"]

_COUNT = Annotated[int, Json(minimum=0)]
_SHARE = Annotated[float | None, Json(minimum=0, maximum=1)]


@dataclass(frozen=True)
class AdherencePeriod(Record):
    """One treatment period's adherence."""

    period: Annotated[int, Json(minimum=1)]
    cycle: Annotated[int, Json(minimum=1)]
    condition: Arm
    days_observed: _COUNT = entry(description="Days with the adherence item answered.")
    days_taken: _COUNT = entry()
    share: _SHARE = entry(description="days_taken / days_observed; null without answers.")
    below_min: bool = entry(
        description="share < per_protocol_min (false without answers): left out of the "
        "per-protocol analysis."
    )


@dataclass(frozen=True)
class AdherenceShare(Record):
    """A condition's adherence over its periods."""

    days_observed: _COUNT
    days_taken: _COUNT
    share: _SHARE


@dataclass(frozen=True)
class PerProtocol(Record):
    """The primary method on the primary outcome without the periods below the minimum."""

    periods_left_out: _COUNT
    effect: dict[str, Any] | None = entry(
        description="The primary method's effect, keys as in outcomes[].effects (the "
        "intention-to-treat effect when no period is left out); null with a reason."
    )
    reason: str | None = entry()


@dataclass(frozen=True)
class Adherence(Record):
    """Whether the dose was taken: per period, per condition, and the per-protocol result."""

    name: str
    label: str
    per_protocol_min: Annotated[float, Json(minimum=0, maximum=1)]
    by_period: tuple[AdherencePeriod, ...]
    by_condition: dict[Arm, AdherenceShare]
    per_protocol: PerProtocol
    message: str


def _periods(days, taken, comparison, minimum: float) -> list[AdherencePeriod]:
    on = (days.period > 0) & (days.phase == "treatment")
    period = days.period[on]
    if not period.size:
        return []
    answered = np.isfinite(taken[on])
    top = int(period.max()) + 1
    n = np.bincount(period[answered], minlength=top).tolist()
    k = np.rint(np.bincount(period[answered], taken[on][answered], minlength=top)).tolist()
    numbers, first = np.unique(period, return_index=True)
    conditions = days.condition[on][first].tolist()
    out = []
    for j, condition in zip(numbers.tolist(), conditions, strict=True):
        if condition not in comparison.arms:
            continue
        share = k[j] / n[j] if n[j] else None
        below = share is not None and share < minimum
        out.append(AdherencePeriod(j, (j - 1) // 2 + 1, condition, n[j], int(k[j]), share, below))
    return out


_NOTHING_LEFT = (
    "no period of one condition reached {:.0%} of days with the dose taken: nothing is left "
    "to compare per protocol"
)


def adherence_of(patients, protocol, comparisons, itt_effects, seed: int = 0):
    """Each patient's :class:`Adherence` (None when the protocol has no adherence item).

    Parameters
    ----------
    patients : list of (Patient, DiaryItems)
        The patient as analysed (:class:`~nof1.analysis.patient_trials.Patient`) and the
        diary's items.
    protocol : Protocol
    comparisons : list of Comparison
    itt_effects : list of Effect
        Per patient, the primary method's main effect on the primary outcome (kept as the
        per-protocol effect when no period is left out).
    seed : int
        As for the main analysis.
    """
    item = getattr(protocol, "adherence", None)
    if item is None or not patients:
        return [None] * len(patients)
    name, label = name_label(item)
    minimum = float(getattr(item, "per_protocol_min", None) or item[2])
    method = registry.method(protocol.analysis.primary_method)
    primary = next(j for j, o in enumerate(protocol.outcomes) if o.primary)
    by_period = [
        _periods(p.days, items.adherence, c, minimum)
        for (p, items), c in zip(patients, comparisons, strict=True)
    ]
    # The patients with periods to leave out, in one Trials.
    masked, which = [], []
    effects = dict.fromkeys(range(len(patients)))
    for i, ((p, _), periods, c) in enumerate(zip(patients, by_period, comparisons, strict=True)):
        out = [q.period for q in periods if q.below_min]
        if out:
            included = p.days.included & ~np.isin(p.days.period, out)
            if not all((included & (p.days.condition == arm)).any() for arm in c.arms):
                # Nothing left to compare: no kernel call (an empty Trials has no days).
                effects[i] = Effect.unavailable(method.key, _NOTHING_LEFT.format(minimum))
                continue
            masked.append(p._replace(days=dataclasses.replace(p.days, included=included)))
            which.append(i)
    if masked:  # the primary outcome only: one row per patient
        only = protocol.model_copy(update={"outcomes": [protocol.outcomes[primary]]})
        estimates = method.run(compared_trials(masked, only, seed))
        for row, i in enumerate(which):
            effects[i] = estimates.effect(row)
    results = []
    for i, (c, periods) in enumerate(zip(comparisons, by_period, strict=True)):
        left_out = sum(q.below_min for q in periods)
        effect = effects[i] if left_out else itt_effects[i]
        reason = None if effect.available else effect.reason
        per_protocol = PerProtocol(left_out, effect.to_dict() if effect.available else None, reason)
        shares = {}
        for arm in c.arms:
            n = sum(q.days_observed for q in periods if q.condition == arm)
            t = sum(q.days_taken for q in periods if q.condition == arm)
            shares[arm] = AdherenceShare(n, t, t / n if n else None)
        message = _message(shares, left_out, len(periods), minimum, c)
        results.append(
            Adherence(name, label, minimum, tuple(periods), shares, per_protocol, message)
        )
    return results


def _message(shares, left_out: int, n_periods: int, minimum: float, c) -> str:
    """'Doses taken on 96% of days on LDN and 98% on Placebo; no period below 80%.'"""

    def share(arm):
        s = shares[arm].share
        return "no answered days" if s is None else f"{s:.0%} of days"

    text = (
        f"Doses taken on {share(c.treated)} on {c.treated_label} and {share(c.control)} "
        f"on {c.control_label}"
    )
    if left_out:
        return (
            f"{text}; {left_out} of {n_periods} periods below {minimum:.0%}, left out of the "
            "per-protocol analysis."
        )
    return f"{text}; no period below {minimum:.0%}."

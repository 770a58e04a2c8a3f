"""The typed rows of power.json's ``results``: one per design point, effect and method.

:func:`nof1.power.engine.power_analysis` builds each row as :class:`PowerRow` (so a row
with a missing or unknown key fails where it is made); ``to_dict()`` is its JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from nof1.analysis.registry import METHODS
from nof1.schemas.records import Json, Record, entry

__all__ = ["PowerMethod", "PowerRow", "Scheme"]

#: The protocol's randomization schemes.
Scheme = Literal["pairwise", "counterbalanced", "balanced", "fixed"]
#: What a row is about: a per-patient method, or the meta-analysis of a simulated series.
PowerMethod = Literal[(*METHODS, "meta_analysis")]

_RATE = Json(minimum=0, maximum=1)
_SE = Json(minimum=0)


def _say(text: str):
    return entry(description=text)


@dataclass(frozen=True, kw_only=True)
class PowerRow(Record):
    """One method at one design point and true effect: how often it rejects, its bias
    and its interval coverage over the simulated trials, with Monte Carlo errors."""

    method: PowerMethod = _say(
        "Analysis method; meta_analysis = REML random-effects pooling of each simulated "
        "series' per-patient effects by the protocol's primary method, Knapp-Hartung t test "
        "on k - 1 df (only with patients > 1)."
    )
    cycles: Annotated[int, Json(minimum=1)]
    period_days: Annotated[int | None, Json(minimum=1)] = _say(
        "Length of each treatment period when active and placebo periods are equally long, "
        "else null."
    )
    active_days: Annotated[int, Json(minimum=1)]
    placebo_days: Annotated[int, Json(minimum=1)]
    analytic_washout_days: Annotated[int, Json(minimum=0)]
    total_days: Annotated[int, Json(minimum=1)]
    scheme: Scheme
    effect: float = _say(
        "True full effect simulated, active minus placebo on the primary outcome (outcome units)."
    )
    estimand: float = _say(
        "Mean true active-minus-placebo difference on the compared (included) days: equals "
        "effect unless slow onset or carryover dilute it."
    )
    patients: Annotated[int, Json(minimum=1)] = _say(
        "1 for per-patient methods; the series size for meta_analysis."
    )
    sims: Annotated[int, Json(minimum=1)] = _say(
        "Simulated trials (per-patient methods: sims x patients) or simulated series "
        "(meta_analysis) behind the rates."
    )
    rule: str = _say("When the method counts as rejecting (significant).")
    rejection_rate: Annotated[float | None, _RATE] = _say(
        "Share of simulated trials where the method rejected: power when effect != 0, type I "
        "error when effect = 0. Null when the method cannot run for this design (see reason)."
    )
    mc_se: Annotated[float | None, _SE] = _say(
        "Monte Carlo standard error of rejection_rate, sqrt(p (1 - p) / sims)."
    )
    bias: float | None = _say(
        "Mean estimate minus the true full effect (null for nap, a probability)."
    )
    bias_mc_se: Annotated[float | None, _SE]
    coverage: Annotated[float | None, _RATE] = _say(
        "Share of 1 - alpha intervals holding the true full effect (each patient's own "
        "effect when effect_sd > 0; meta_analysis: the mean effect; nap: 0.5, only when "
        "effect = 0, trend = 0 and effect_sd = 0; randomization: none)."
    )
    coverage_mc_se: Annotated[float | None, _SE]
    type_i_error: Annotated[float | None, _RATE] = _say(
        "The method's rejection rate with no effect at the same design (the row with effect "
        "0); null when effect 0 was not simulated or the method cannot run."
    )
    type_i_error_mc_se: Annotated[float | None, _SE] = _say(
        "Monte Carlo standard error of type_i_error."
    )
    failed: Annotated[int | None, Json(minimum=0)] = _say(
        "Trials where the method could not run (counted as not rejecting)."
    )
    reason: str | None = _say("Why the method cannot run for this design; null when it ran.")
    min_p: Annotated[float | None, _RATE] = _say(
        "randomization only: smallest attainable p-value of the design."
    )
    n_allocations: Annotated[int | None, Json(minimum=1)] = _say(
        "randomization only: allocations the scheme can produce."
    )
    note: str | None

"""The typed rows of power.json's ``results``: one per design point, effect and method.

:func:`nof1.power.engine.power_analysis` builds each row as :class:`PowerRow` (so a row
with a missing or unknown key fails where it is made); ``to_dict()`` is its JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from nof1.analysis.registry import METHODS
from nof1.schemas.records import Json, Record, entry

__all__ = [
    "AdherencePowerRow",
    "BangPower",
    "BlindingPowerRow",
    "HarmsPowerRow",
    "PowerMethod",
    "PowerRow",
    "Scheme",
]

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


@dataclass(frozen=True, kw_only=True)
class _DesignKeys(Record):
    """The design point a row is about (as in ``results``)."""

    cycles: Annotated[int, Json(minimum=1)]
    period_days: Annotated[int | None, Json(minimum=1)]
    active_days: Annotated[int, Json(minimum=1)]
    placebo_days: Annotated[int, Json(minimum=1)]
    analytic_washout_days: Annotated[int, Json(minimum=0)]
    total_days: Annotated[int, Json(minimum=1)]
    scheme: Scheme


@dataclass(frozen=True, kw_only=True)
class HarmsPowerRow(_DesignKeys):
    """One adverse event (or ``any``) at one design point: how often the harms test of the
    patient analysis (``nof1.analysis.event_rates.rate_difference``, active minus placebo
    over every day of the treatment periods) finds a difference at the protocol's alpha.
    The events do not depend on the outcome's effect: one row per design, not per effect."""

    event: str = _say("The protocol's event name, or 'any' (any of its events on a day).")
    label: str
    rate_placebo: Annotated[float, _RATE] = _say(
        "Simulated daily probability on placebo (and off treatment)."
    )
    rate_active: Annotated[float, _RATE] = _say("Simulated daily probability on active.")
    difference: Annotated[float, Json(minimum=-1, maximum=1)] = _say(
        "rate_active - rate_placebo: the true difference."
    )
    persistence: Annotated[float, Json(minimum=0, exclusiveMaximum=1)] = _say(
        "Lag-1 autocorrelation of the event's daily chain."
    )
    sims: Annotated[int, Json(minimum=1)] = _say("Simulated trials (sims x patients).")
    rule: str = _say("When the harms test counts as finding a difference.")
    measures: Literal["power", "type_i_error"] = _say(
        "power: the rates differ; type_i_error: they are equal, so rejection_rate is how "
        "often the test finds a difference that is not there."
    )
    rejection_rate: Annotated[float, _RATE] = _say(
        "Share of simulated trials where the harms test found a difference."
    )
    mc_se: Annotated[float, _SE] = _say("Monte Carlo SE, sqrt(p (1 - p) / sims).")
    mean_difference: float | None = _say(
        "Mean estimated difference over the trials where it could be estimated."
    )
    coverage: Annotated[float | None, _RATE] = _say(
        "Share of 1 - alpha intervals holding the true difference."
    )
    coverage_mc_se: Annotated[float | None, _SE]
    failed: Annotated[int, Json(minimum=0)] = _say(
        "Trials without answered days on a condition (counted as not rejecting)."
    )


@dataclass(frozen=True, kw_only=True)
class AdherencePowerRow(_DesignKeys):
    """Adherence at one design point and effect: the periods the per-protocol sensitivity
    analysis leaves out, and its power beside the main (intention-to-treat) analysis. The
    simulated outcome does not depend on doses taken, so this shows what leaving periods
    out costs, not what missing doses do to the effect."""

    effect: float
    name: str = _say("The diary's adherence item.")
    missed_dose_rate: Annotated[float, _RATE] = _say(
        "Simulated daily probability of a missed dose on a treatment day."
    )
    per_protocol_min: Annotated[float, _RATE] = _say(
        "The protocol's minimum share of days with the dose taken for a period to count."
    )
    sims: Annotated[int, Json(minimum=1)]
    periods_left_out: Annotated[float, _RATE] = _say(
        "Mean over trials of the share of their treatment periods below per_protocol_min."
    )
    trials_with_periods_left_out: Annotated[float, _RATE] = _say(
        "Share of trials with at least one period left out per protocol."
    )
    method: PowerMethod | None = _say(
        "The per-protocol analysis' method (the protocol's primary method); null when "
        "power does not run it."
    )
    rejection_rate: Annotated[float | None, _RATE] = _say(
        "Per-protocol analysis: share of trials where it rejected (the main result where "
        "no period is left out)."
    )
    mc_se: Annotated[float | None, _SE]
    itt_rejection_rate: Annotated[float | None, _RATE] = _say(
        "The same method's rejection rate in the main analysis (every period), from results."
    )
    failed: Annotated[int | None, Json(minimum=0)] = _say(
        "Trials where the per-protocol analysis could not run (nothing left of a condition; "
        "counted as not rejecting)."
    )


@dataclass(frozen=True)
class BangPower(Record):
    """Bang's blinding index of one arm over the simulated trials."""

    mean: Annotated[float | None, Json(minimum=-1, maximum=1)] = _say(
        "Mean over the trials with an answer on this arm (0 = chance, 1 = all right)."
    )
    mc_se: Annotated[float | None, _SE]


@dataclass(frozen=True, kw_only=True)
class BlindingPowerRow(_DesignKeys):
    """The blinding question at one design point: what the patient report would say of
    the simulated guesses. One row per design (the guesses do not depend on the effect)."""

    name: str
    guess_right: Annotated[float, _RATE] = _say(
        "Simulated probability that a guess that is not unsure is right."
    )
    guess_unsure: Annotated[float, _RATE] = _say("Simulated probability of 'unsure'.")
    sims: Annotated[int, Json(minimum=1)]
    periods_asked: Annotated[float, Json(minimum=0)] = _say("Mean answered periods per trial.")
    bang: dict[Literal["active", "placebo"], BangPower] = _say(
        "Bang's index per arm, as each results.json computes it."
    )
    better_than_chance: Annotated[float, _RATE] = _say(
        "Share of trials whose right guesses the report calls better than chance "
        "(one-sided binomial test against 1/2 at alpha, 'unsure' counting as not right)."
    )
    mc_se: Annotated[float, _SE]
    can_flag: bool = _say(
        "Whether a trial of this design can be called better than chance at all "
        "(0.5^periods <= alpha): with fewer periods even all guesses right could be chance."
    )

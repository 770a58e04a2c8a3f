"""What ``nof1 power`` reports from the simulated fits: rates with their Monte Carlo errors,
the series' pooled test, each row's rule and note (the per-chunk kernels run in
:mod:`nof1.power.engine`)."""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
from scipy import special

from nof1.analysis import registry
from nof1.errors import Nof1Error
from nof1.simulate import check_range

__all__ = [
    "SimulatedFits",
    "check_effect_sd",
    "meta_analysis",
    "note",
    "patient_effects",
    "pooled_method",
    "rejects",
    "rule",
    "summary",
    "type_i_errors",
]

#: Methods ``nof1 power`` runs, in the registry's order.
_IN_POWER = tuple(key for key, m in registry.METHODS.items() if m.in_power)


class SimulatedFits(NamedTuple):
    """One method on every simulated trial: arrays (m,); covered is 1/0, NaN = not defined;
    reason (object) None where the method ran."""

    estimate: np.ndarray
    reject: np.ndarray
    covered: np.ndarray
    se: np.ndarray | None = None
    reason: np.ndarray | None = None


def check_effect_sd(effect_sd: float, patients: int) -> None:
    """:class:`~nof1.errors.Nof1Error` unless ``effect_sd`` is a finite number >= 0, and 0
    when there is one patient per series (one patient has one true effect)."""
    check_range("effect_sd", effect_sd, low=0)
    if effect_sd > 0 and patients < 2:
        raise Nof1Error(
            f"effect_sd (the between-patient sd of the true effect) needs patients of 2 or "
            f"more; got effect_sd {effect_sd:g} with patients {patients}"
        )


def type_i_errors(rows: list[dict], effect_sd: float = 0.0) -> None:
    """Give every row its method's type I error at the same design (the rejection rate with
    no effect) and its Monte Carlo SE, where effect 0 was simulated. With ``effect_sd`` > 0
    only the pooled test has one: each patient then has an effect of their own."""

    def where(r):
        keys = ("method", "cycles", "active_days", "placebo_days", "analytic_washout_days")
        return tuple(r[k] for k in keys)

    null = {
        where(r): r
        for r in rows
        if r["effect"] == 0 and (effect_sd == 0 or r["method"] == "meta_analysis")
    }
    for r in rows:
        at = null.get(where(r))
        if at is not None:
            r["type_i_error"], r["type_i_error_mc_se"] = at["rejection_rate"], at["mc_se"]


def patient_effects(rng: np.random.Generator, m: int, effect: float, effect_sd: float):
    """Each simulated patient's true effect, shape (m,): the draw
    :func:`~nof1.simulate.simulate_outcomes` makes first with ``effect_sd`` (its documented
    order), read from a copy of ``rng`` so that the simulation itself is unchanged; ``None``
    when every patient has ``effect``."""
    if effect_sd == 0:
        return None
    return effect + effect_sd * copy.deepcopy(rng).standard_normal((m, 1))[:, 0]


def pooled_method(p) -> str:
    """The per-patient method the series' meta-analysis pools: the protocol's primary
    method, or (when power does not run it) the first with a standard error."""
    key = p.analysis.primary_method
    if key in _IN_POWER and "se" in registry.METHODS[key].fields:
        return key
    return next(k for k in _IN_POWER if "se" in registry.METHODS[k].fields)


def meta_analysis(fits: SimulatedFits, sims: int, patients: int, effect: float, alpha: float):
    """REML random-effects pooling of each series' per-patient effects with the
    Knapp-Hartung t test on k - 1 degrees of freedom (as ``nof1 series`` and metafor's
    ``test = "knha"``); its interval covers the mean effect."""
    from nof1.series.meta import pool_rows

    pooled = pool_rows(
        fits.estimate.reshape(sims, patients), fits.se.reshape(sims, patients), "REML"
    )
    mu = pooled.estimate
    with np.errstate(invalid="ignore"):
        df = np.where(np.isfinite(pooled.kh_df), pooled.kh_df, 1.0)
        half = special.stdtrit(df, 1 - alpha / 2) * pooled.kh_se
        reject = pooled.kh_p_value <= alpha
        covered = np.where(np.isnan(mu) | np.isnan(half), np.nan, np.abs(mu - effect) <= half)
    return SimulatedFits(mu, reject, covered)


def summary(method: str, t, effect: float, n: int) -> dict:
    """Rejection rate, bias and coverage with their Monte Carlo standard errors."""
    keys = ("rejection_rate", "mc_se", "bias", "bias_mc_se", "coverage", "coverage_mc_se")
    out = dict.fromkeys(keys) | {"failed": None, "reason": None}
    out |= {"type_i_error": None, "type_i_error_mc_se": None}  # filled by type_i_errors
    if isinstance(t, str):
        return out | {"reason": t}
    rate = float(np.mean(t.reject))
    valid = np.isfinite(t.estimate)
    out |= {"rejection_rate": rate, "mc_se": _binomial_se(rate, n), "failed": int(n - valid.sum())}
    known = t.covered[np.isfinite(t.covered)]
    if known.size:
        out["coverage"] = float(known.mean())
        out["coverage_mc_se"] = _binomial_se(out["coverage"], known.size)
    in_units = method not in registry.METHODS or registry.METHODS[method].outcome_units
    if in_units and valid.sum() >= 2:  # NAP is a probability, not in outcome units
        out["bias"] = float(t.estimate[valid].mean() - effect)
        out["bias_mc_se"] = float(t.estimate[valid].std(ddof=1) / np.sqrt(valid.sum()))
    return out


def _binomial_se(rate: float, n: int) -> float:
    """Monte Carlo standard error of a proportion from n independent trials."""
    return float(np.sqrt(rate * (1 - rate) / n))


def rejects(m, values: dict, alpha: float) -> np.ndarray:
    """Whether each row's result counts as rejecting under the method's ``power_rule``
    (:class:`~nof1.analysis.registry.Method` ``m``, its kernel's ``values``); NaN = no."""
    with np.errstate(invalid="ignore"):
        if m.power_rule == "p_value":
            return values["p_value"] <= alpha
        if m.power_rule == "p_benefit":
            return values["p_benefit"] > 1 - alpha / 2
        return (values["ci_low"] > m.null) | (values["ci_high"] < m.null)


def rule(method: str, alpha: float) -> str:
    if method == "meta_analysis":
        return f"REML meta-analysis, Knapp-Hartung t test (k - 1 df), p <= {alpha:g}"
    m = registry.method(method)
    if m.power_rule == "p_benefit":
        return f"P(benefit) > {1 - alpha / 2:g}"
    if m.power_rule == "interval_excludes_null":
        return f"{1 - alpha:.0%} interval excludes {m.null:g}"
    return f"two-sided p <= {alpha:g}"


def note(method: str, facts: dict, alpha: float, pooled: str, effect_sd: float = 0.0):
    """The method's caveat; for a randomization reference set, its size and smallest p."""
    if method == "meta_analysis":
        text = f"random-effects pooling of the patients' {registry.method(pooled).name} effects"
        if effect_sd:
            return text + f"; true effects vary between patients with sd {effect_sd:g}"
        return text + "; every patient has the same true effect (effect_sd 0)"
    if facts:
        text = f"{facts['n_allocations']} allocations; smallest attainable p {facts['min_p']:.3g}"
        if facts["min_p"] > alpha:
            text += f", so it can never reach p <= {alpha:g}"
        return text if facts["exact"] else text + " (Monte Carlo reference set)"
    note = registry.method(method).power_note
    return note and note.format(alpha=alpha, threshold=1 - alpha / 2, half_alpha=alpha / 2)

"""Non-overlap of all pairs (NAP) with Newcombe's method-5 confidence interval."""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from nof1.analysis.effect import Effect
from oracles.classic import arms

__all__ = ["nap"]


def _newcombe5(theta_hat: float, m: int, n: int, alpha: float) -> tuple[float, float]:
    """Score interval for P(X < Y): the two solutions theta of (theta_hat - theta)² = z² V(theta).

    Multiplied through by m n (2 - theta)(1 + theta) > 0 the equation is f(theta) = 0 with
    f > 0 at 0 and 1 and f < 0 at theta_hat, so each limit is bracketed. When theta_hat is 0
    or 1, f also vanishes at that end; dividing out that factor keeps the bracket valid (a
    plain root search would stop at the end point and return a zero-width interval).
    """
    z2 = special.ndtri(1 - alpha / 2) ** 2
    h = (m + n) / 2 - 1

    def spread(t: float) -> float:  # z² V(t) m n (2 - t)(1 + t) / (t (1 - t))
        return z2 * (2 + h + (1 + 2 * h) * t * (1 - t))

    def f(t: float) -> float:
        return m * n * (theta_hat - t) ** 2 * (2 - t) * (1 + t) - t * (1 - t) * spread(t)

    if theta_hat == 1.0:  # f(t) / (1 - t)
        low = optimize.brentq(
            lambda t: m * n * (1 - t) * (2 - t) * (1 + t) - t * spread(t), 0.0, 1.0, xtol=1e-14
        )
    else:
        low = optimize.brentq(f, 0.0, theta_hat, xtol=1e-14) if theta_hat > 0 else 0.0
    if theta_hat == 0.0:  # f(t) / t
        high = optimize.brentq(
            lambda t: m * n * t * (2 - t) * (1 + t) - (1 - t) * spread(t), 0.0, 1.0, xtol=1e-14
        )
    else:
        high = optimize.brentq(f, theta_hat, 1.0, xtol=1e-14) if theta_hat < 1 else 1.0
    return low, high


def nap(y, active, better: str, alpha: float = 0.05) -> Effect:
    """Non-overlap of all pairs: the share of (active day, placebo day) pairs where active wins.

    Oriented so that values above 0.5 favour active: a pair counts 1 when the active value is
    better (lower if ``better == "lower"``), 1/2 when tied, 0 otherwise (Parker & Vannest
    2009). It estimates P(active day better than placebo day) + P(tie)/2.

    Parameters
    ----------
    y : array_like
        Outcome per day; NaN (missing) days are dropped.
    active : array_like of bool or 0/1
        1 on active days, 0 on placebo days.
    better : {"lower", "higher"}
        Direction of improvement of the outcome.
    alpha : float, default 0.05
        The interval has level 1 - alpha.

    Returns
    -------
    Effect
        ``method="nap"``: ``estimate`` in [0, 1], ``ci_low``/``ci_high``; other fields None.
        Unavailable when a condition has no observed day.

    Notes
    -----
    The interval is Newcombe's (2006) method 5, the one ``SingleCaseES::NAP`` reports: the
    values of theta with ``(NAP - theta)² = z² V(theta)``, where
    ``V(theta) = theta (1 - theta) / (m n) * [1 + (N* - 1) ((1 - theta)/(2 - theta) +
    theta/(1 + theta))]`` is the Hanley-McNeil variance with exponential-model moments and
    ``N* = (m + n)/2`` symmetrises the two group sizes m and n. At NAP = 1 (or 0) the far
    limit is 1 (or 0) and the near one still solves the equation (SingleCaseES's root search
    returns a zero-width interval there). Like every NAP interval it assumes independent
    days, so with autocorrelation it is too narrow.

    References
    ----------
    Parker, R. I., & Vannest, K. J. (2009). An improved effect size for single-case research:
    Nonoverlap of all pairs. Behavior Therapy 40, 357-367.
    Newcombe, R. G. (2006). Confidence intervals for an effect size measure based on the
    Mann-Whitney statistic. Part 2: Asymptotic methods and evaluation. Statistics in Medicine
    25, 559-573.
    Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area under a receiver
    operating characteristic (ROC) curve. Radiology 143, 29-36.

    Examples
    --------
    >>> e = nap(y=[2, 3, 5, 4, 6, 5], active=[1, 1, 1, 0, 0, 0], better="lower")
    >>> e.estimate  # pairs (a, p): 2 and 3 beat all 3 placebo days, 5 beats 1 and ties 1
    0.8333333333333334
    >>> e.ci_low < e.estimate < e.ci_high
    True
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher'; got {better!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}")
    sign = 1.0 if better == "lower" else -1.0  # work with "lower is better" throughout
    a, p = arms(y, active)
    a, p = sign * a, np.sort(sign * p)
    if a.size == 0 or p.size == 0:
        return Effect.unavailable(
            "nap",
            f"needs at least 1 observed day in each condition; got {a.size} active and "
            f"{p.size} placebo",
        )
    # For each active value: placebo values above it (active wins) and equal to it (ties).
    above = p.size - np.searchsorted(p, a, side="right")
    ties = np.searchsorted(p, a, side="right") - np.searchsorted(p, a, side="left")
    estimate = (above.sum() + 0.5 * ties.sum()) / (a.size * p.size)
    low, high = _newcombe5(float(estimate), p.size, a.size, alpha)
    return Effect(method="nap", estimate=estimate, ci_low=low, ci_high=high)

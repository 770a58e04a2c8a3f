"""The nap kernel: non-overlap of all pairs (NAP) with Newcombe's method-5 interval."""

from __future__ import annotations

import numpy as np
from scipy import special

from nof1.analysis.inference import check_alpha
from nof1.analysis.registry import Estimates, Trials

__all__ = ["nap"]


def nap(trials: Trials) -> Estimates:
    """Non-overlap of all pairs: the share of (treated day, control day) pairs treated wins.

    Oriented so that values above 0.5 favour treated: a pair counts 1 when the treated value
    is better (lower where ``better`` is -1), 1/2 when tied, 0 otherwise (Parker & Vannest
    2009). It estimates P(treated day better than control day) + P(tie)/2, here from midranks
    (the Mann-Whitney U of the control days).

    Returns
    -------
    Estimates
        ``estimate`` in [0, 1], ``ci_low``/``ci_high``. A reason instead when an arm has no
        observed day.

    Notes
    -----
    The interval is Newcombe's (2006) method 5, the one ``SingleCaseES::NAP`` reports: the
    values of theta with ``(NAP - theta)² = z² V(theta)``, where
    ``V(theta) = theta (1 - theta) / (m n) * [1 + (N* - 1) ((1 - theta)/(2 - theta) +
    theta/(1 + theta))]`` is the Hanley-McNeil variance with exponential-model moments and
    ``N* = (m + n)/2`` symmetrises the two group sizes m and n. At NAP = 1 (or 0) the far
    limit is 1 (or 0) and the near one still solves the equation (SingleCaseES's root search
    returns a zero-width interval there). Both roots are found by bisection, all rows at
    once. Like every NAP interval it assumes independent days, so with autocorrelation it
    is too narrow.

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
    >>> from nof1.analysis.registry import Trials
    >>> arm = np.array([[1, 1, 1, 0, 0, 0]], dtype=np.int8)
    >>> t = Trials(np.array([[2.0, 3, 5, 4, 6, 5]]), np.arange(1, 7), arm, np.zeros_like(arm),
    ...            np.array([-1.0]), np.array([1.0]), 0.05)
    >>> e = nap(t).effect(0)  # 2 and 3 beat all 3 control days, 5 beats 1 and ties 1
    >>> round(e.estimate, 12), e.ci_low < e.estimate < e.ci_high
    (0.833333333333, True)
    """
    alpha = trials.alpha
    check_alpha(alpha)
    better = np.asarray(trials.better, dtype=float)
    if np.any(np.abs(better) != 1):
        raise ValueError(f"better must be +1 or -1 per row; got {sorted(set(better.tolist()))}")
    y, arm = trials.y, trials.arm
    sign = -better[:, None]  # work with "lower is better" throughout
    use = np.isfinite(y) & (arm >= 0)
    ranks = _midranks(sign * y, use)
    n_a = (use & (arm == 1)).sum(axis=1)
    n_p = (use & (arm == 0)).sum(axis=1)
    rank_p = np.where(use & (arm == 0), ranks, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = (rank_p - n_p * (n_p + 1) / 2) / (n_a * n_p)
    missing = (n_a == 0) | (n_p == 0)
    theta = np.where(missing, np.nan, theta)
    low, high = _newcombe5(np.nan_to_num(theta, nan=0.5), n_p, n_a, alpha)
    reason = np.full(trials.m, None, dtype=object)
    for i in np.flatnonzero(missing):
        reason[i] = (
            f"needs at least 1 observed day in each condition; got {n_a[i]} active and "
            f"{n_p[i]} placebo"
        )
    values = {
        "estimate": theta,
        "ci_low": np.where(missing, np.nan, low),
        "ci_high": np.where(missing, np.nan, high),
    }
    return Estimates("nap", values, reason)


def _midranks(x: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Ranks of the ``use`` entries within each row of ``x``, ties sharing their mean rank
    (``scipy.stats.rankdata`` per row, without importing scipy.stats); NaN elsewhere."""
    rows = np.broadcast_to(np.arange(x.shape[0])[:, None], x.shape)[use]
    values = x[use]
    order = np.lexsort((values, rows))
    row, value = rows[order], values[order]
    at = np.arange(value.size)
    new_row = np.r_[True, row[1:] != row[:-1]]
    new_tie = new_row | np.r_[True, value[1:] != value[:-1]]
    starts = np.flatnonzero(new_tie)
    ends = np.r_[starts[1:], value.size]  # one past the last of each tie group
    group = np.cumsum(new_tie) - 1
    first_of_row = np.maximum.accumulate(np.where(new_row, at, 0))
    sorted_ranks = (starts[group] + ends[group] + 1) / 2 - first_of_row
    ranks = np.empty(value.size)
    ranks[order] = sorted_ranks
    out = np.full(x.shape, np.nan)
    out[use] = ranks
    return out


def _newcombe5(theta, m, n, alpha):
    """Both roots theta of (theta_hat - theta)² = z² V(theta), per row.

    Multiplied through by m n (2 - theta)(1 + theta) > 0 the equation is f(theta) = 0 with
    f > 0 at 0 and 1 and f < 0 at theta_hat, so each limit is bracketed. When theta_hat is 0
    or 1, f also vanishes at that end; dividing out that factor keeps the bracket valid (a
    plain root search would stop at the end point and return a zero-width interval).
    """
    z2 = special.ndtri(1 - alpha / 2) ** 2
    h = (m + n) / 2 - 1
    mn = m * n

    def spread(t):  # z² V(t) m n (2 - t)(1 + t) / (t (1 - t))
        return z2 * (2 + h + (1 + 2 * h) * t * (1 - t))

    def f(t):
        return mn * (theta - t) ** 2 * (2 - t) * (1 + t) - t * (1 - t) * spread(t)

    def low_fun(t):  # at theta = 1, f / (1 - t), so the root at 1 is divided out
        return np.where(theta == 1, mn * (1 - t) * (2 - t) * (1 + t) - t * spread(t), f(t))

    def high_fun(t):  # at theta = 0, f / t
        return np.where(theta == 0, mn * t * (2 - t) * (1 + t) - (1 - t) * spread(t), f(t))

    low = _bisect(low_fun, np.zeros_like(theta), np.where(theta == 1, 1.0, theta))
    high = _bisect(high_fun, np.where(theta == 0, 0.0, theta), np.ones_like(theta))
    return np.where(theta == 0, 0.0, low), np.where(theta == 1, 1.0, high)


def _bisect(fun, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A root of fun in each [a, b] where fun changes sign; to machine precision."""
    positive_at_a = fun(a) > 0
    for _ in range(60):
        mid = 0.5 * (a + b)
        same = (fun(mid) > 0) == positive_at_a
        a, b = np.where(same, mid, a), np.where(same, b, mid)
    return 0.5 * (a + b)

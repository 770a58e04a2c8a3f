"""The nap kernel: non-overlap of all pairs (NAP) with an interval from its placement values
that allows for day-to-day correlation (a cluster-robust variance over treatment periods)."""

from __future__ import annotations

import numpy as np
from scipy import special

from nof1.analysis.inference import check_alpha
from nof1.analysis.registry import Estimates, Trials

__all__ = ["MIN_PERIODS", "nap", "newcombe_interval"]

#: Periods of each condition the interval needs (fewer: the estimate alone, with a reason).
MIN_PERIODS = 2


def nap(trials: Trials) -> Estimates:
    """Non-overlap of all pairs: the share of (treated day, control day) pairs treated wins,
    with an interval that allows for day-to-day correlation.

    Oriented so that values above 0.5 favour treated: a pair counts 1 when the treated value
    is better (lower where ``better`` is -1), 1/2 when tied, 0 otherwise (Parker & Vannest
    2009). It estimates P(treated day better than control day) + P(tie)/2, here from midranks
    (the Mann-Whitney U of the control days).

    Returns
    -------
    Estimates
        ``estimate`` in [0, 1]; ``se`` and ``df`` of the period jackknife (below);
        ``ci_low``/``ci_high``; ``interval_reason`` (str) where the estimate has no interval.
        A reason instead when an arm has no observed day.

    Notes
    -----
    **The interval.** Days are correlated with their neighbours, but treatment periods (a
    few weeks of days, apart from each other) are nearly independent, so NAP's variance is
    estimated across periods: by the delete-one-period jackknife, per condition (the
    two-sample jackknife; :func:`_period_jackknife`). Leaving out a period removes exactly
    its days' pairs, so every leave-one-out NAP comes from period totals: O(days log days)
    per row, all rows at once. The interval is ``NAP +/- t(df) * se`` with Satterthwaite's
    ``df`` (at most periods - 2), clipped to [0, 1] and never narrower than Newcombe's (2006)
    independent-days interval (:func:`newcombe_interval`), whose hull it takes: at complete
    non-overlap every leave-one-out NAP is 1 and the score interval still gives a proper
    limit. Simulated coverage under AR(1) errors is in docs/validation-nap.md.

    With fewer than :data:`MIN_PERIODS` observed periods of a condition the periods cannot
    estimate the variance and no interval holds its coverage under autocorrelation: the
    estimate is reported without an interval, ``interval_reason`` saying why.

    References
    ----------
    Parker, R. I., & Vannest, K. J. (2009). An improved effect size for single-case research:
    Nonoverlap of all pairs. Behavior Therapy 40, 357-367.
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the areas under
    two or more correlated receiver operating characteristic curves: a nonparametric
    approach. Biometrics 44, 837-845.
    Newcombe, R. G. (2006). Confidence intervals for an effect size measure based on the
    Mann-Whitney statistic. Part 2: Asymptotic methods and evaluation. Statistics in Medicine
    25, 559-573.

    Examples
    --------
    >>> from nof1.analysis.registry import Trials
    >>> arm = np.array([[1, 1, 1, 0, 0, 0]], dtype=np.int8)
    >>> period = np.array([[1, 1, 3, 2, 2, 4]])
    >>> t = Trials(np.array([[2.0, 3, 5, 4, 6, 5]]), np.arange(1, 7), arm, period,
    ...            np.array([-1.0]), np.array([1.0]), 0.05)
    >>> e = nap(t).effect(0)  # 2 and 3 beat all 3 control days, 5 beats 1 and ties 1
    >>> round(e.estimate, 12), e.ci_low < e.estimate < e.ci_high, e.df
    (0.833333333333, True, 1.0)
    """
    alpha = trials.alpha
    check_alpha(alpha)
    better = np.asarray(trials.better, dtype=float)
    if np.any(np.abs(better) != 1):
        raise ValueError(f"better must be +1 or -1 per row; got {sorted(set(better.tolist()))}")
    y, arm = trials.y, trials.arm
    m = trials.m
    x = -better[:, None] * y  # work with "lower is better" throughout
    use = np.isfinite(y) & (arm >= 0)
    treated, control = use & (arm == 1), use & (arm == 0)
    n_a, n_p = treated.sum(axis=1), control.sum(axis=1)
    beaten = _beaten(x, use, treated)
    # pairs won by treated, per day: a treated day beats the control days not better than it
    wins = np.where(treated, n_p[:, None] - beaten, np.where(control, beaten, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(treated, wins, 0.0).sum(axis=1) / (n_a * n_p)
    missing = (n_a == 0) | (n_p == 0)
    theta = np.where(missing, np.nan, theta)
    se, df, k_a, k_p = _period_jackknife(wins, use, treated, np.asarray(trials.period), n_a, n_p)
    low, high = newcombe_interval(np.nan_to_num(theta, nan=0.5), n_p, n_a, alpha)
    with np.errstate(invalid="ignore"):
        half = special.stdtrit(df, 1 - alpha / 2) * se
        half = np.where(se == 0, 0.0, half)
    no_interval = (np.minimum(k_a, k_p) < MIN_PERIODS) & ~missing
    bad = missing | no_interval
    values = {
        "estimate": theta,
        "se": np.where(bad, np.nan, se),
        "df": np.where(bad, np.nan, df),
        "ci_low": np.where(bad, np.nan, np.minimum(low, np.clip(theta - half, 0, 1))),
        "ci_high": np.where(bad, np.nan, np.maximum(high, np.clip(theta + half, 0, 1))),
        "interval_reason": np.full(m, None, dtype=object),
    }
    reason = np.full(m, None, dtype=object)
    for i in np.flatnonzero(missing):
        reason[i] = (
            f"needs at least 1 observed day in each condition; got {n_a[i]} active and "
            f"{n_p[i]} placebo"
        )
    for i in np.flatnonzero(no_interval):
        values["interval_reason"][i] = (
            f"no interval: one that allows for day-to-day correlation needs at least "
            f"{MIN_PERIODS} periods of each condition with observed days; got {k_a[i]} and "
            f"{k_p[i]}"
        )
    return Estimates("nap", values, reason)


def _period_jackknife(wins, use, treated, period, n_a, n_p):
    """NAP's delete-one-period jackknife: ``(se, df, k_a, k_p)`` per row.

    Leaving out a period removes exactly its days' pairs, so every leave-one-out NAP comes
    from the period totals of the treated wins: ``(W - W_k) / ((n_a - n_k) n_p)`` for a
    treated period, ``(W - W_k) / (n_a (n_p - n_k))`` for a control one. Each condition's
    variance is ``(K - 1) / K`` times the sum of squares of its K leave-one-out values about
    their mean (the two-sample jackknife), ``se`` the root of their sum and ``df`` its
    Satterthwaite degrees of freedom ``(V_a + V_p)² / (V_a²/(K_a - 1) + V_p²/(K_p - 1))``.
    """
    m = wins.shape[0]
    width = int(period.max(initial=0)) + 1
    rows = np.broadcast_to(np.arange(m)[:, None], wins.shape)
    cluster = ((rows * width + period) * 2 + treated)[use]
    size = m * width * 2
    totals = np.bincount(cluster, weights=wins[use], minlength=size).reshape(m, width, 2)
    days = np.bincount(cluster, minlength=size).reshape(m, width, 2)
    seen = days > 0
    k = seen.sum(axis=1)  # (m, 2): control, treated periods
    total = np.where(treated, wins, 0.0).sum(axis=1)[:, None]
    n_a, n_p = n_a[:, None].astype(float), n_p[:, None].astype(float)
    parts = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for h, pairs in ((0, n_a * (n_p - days[:, :, 0])), (1, (n_a - days[:, :, 1]) * n_p)):
            left_out = np.where(seen[:, :, h], (total - totals[:, :, h]) / pairs, 0.0)
            mean = left_out.sum(axis=1) / k[:, h]
            ss = np.where(seen[:, :, h], (left_out - mean[:, None]) ** 2, 0.0).sum(axis=1)
            parts.append((k[:, h] - 1) / k[:, h] * ss)
        (v_p, v_a), (k_p, k_a) = parts, (k[:, 0], k[:, 1])
        df = (v_a + v_p) ** 2 / (v_a**2 / (k_a - 1) + v_p**2 / (k_p - 1))
    return np.sqrt(v_a + v_p), df, k_a, k_p


def _beaten(x: np.ndarray, use: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Per ``use`` day: the days of the other condition in its row better (lower) than it,
    ties counting half; NaN elsewhere. One sort of all rows (by row, then value): the
    counts of each condition before each tie group and within it. O(n log n)."""
    rows = np.broadcast_to(np.arange(x.shape[0])[:, None], x.shape)[use]
    values, is_t = x[use], treated[use]
    order = np.lexsort((values, rows))
    row, value, t = rows[order], values[order], is_t[order].astype(float)
    new_row = np.r_[True, row[1:] != row[:-1]]
    new_tie = new_row | np.r_[True, value[1:] != value[:-1]]
    group = np.cumsum(new_tie) - 1
    starts = np.flatnonzero(new_tie)
    cum_t = np.cumsum(t)
    cum_all = np.arange(1, t.size + 1, dtype=float)
    row_start = np.maximum.accumulate(np.where(new_row, np.arange(t.size), 0))
    t_before_row = cum_t[row_start] - t[row_start]  # treated days of earlier rows
    t_before = (cum_t[starts] - t[starts])[group] - t_before_row  # in the row, before the tie
    all_before = (cum_all[starts] - 1)[group] - row_start
    t_tied = np.bincount(group, weights=t)[group]
    tied = np.bincount(group)[group]
    c_before, c_tied = all_before - t_before, tied - t_tied
    sorted_beaten = np.where(t == 1, c_before + c_tied / 2, t_before + t_tied / 2)
    beaten = np.empty(t.size)
    beaten[order] = sorted_beaten
    out = np.full(x.shape, np.nan)
    out[use] = beaten
    return out


def newcombe_interval(theta, m, n, alpha):
    """Newcombe's (2006) method-5 interval for NAP, assuming independent days, per row:
    both roots theta of (theta_hat - theta)² = z² V(theta) (``SingleCaseES::NAP``'s interval).

    ``V(theta) = theta (1 - theta) / (m n) * [1 + (N* - 1) ((1 - theta)/(2 - theta) +
    theta/(1 + theta))]`` is the Hanley-McNeil variance with exponential-model moments and
    ``N* = (m + n)/2`` symmetrises the two group sizes (``m`` control and ``n`` treated days).
    At NAP = 1 (or 0) the far limit is 1 (or 0) and the near one still solves the equation
    (SingleCaseES's root search returns a zero-width interval there). Both roots are found
    by bisection, all rows at once.

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
    """A root of fun in each [a, b] (within [0, 1]) where fun changes sign, to 4e-15."""
    positive_at_a = fun(a) > 0
    for _ in range(48):  # brackets within [0, 1]: 2^-48 < 4e-15
        mid = 0.5 * (a + b)
        same = (fun(mid) > 0) == positive_at_a
        a, b = np.where(same, mid, a), np.where(same, b, mid)
    return 0.5 * (a + b)

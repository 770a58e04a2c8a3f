"""Non-overlap of all pairs (NAP): its period-jackknife interval, and Newcombe's method-5
interval for independent days, one series at a time by brute force."""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from nof1.analysis.effect import Effect

__all__ = ["nap", "newcombe5"]


def newcombe5(theta_hat: float, m: int, n: int, alpha: float) -> tuple[float, float]:
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


def _share(a: np.ndarray, p: np.ndarray) -> float:
    """Share of (a, p) pairs with a < p (lower is better), ties half: every pair visited."""
    return float(np.mean([(x < z) + 0.5 * (x == z) for x in a for z in p]))


def nap(y, active, better: str, alpha: float = 0.05, period=None) -> Effect:
    """NAP with the delete-one-period jackknife interval (see ``nof1.analysis.nonoverlap``).

    Every leave-one-period-out NAP is recomputed from its pairs; the jackknife variance per
    condition is (K - 1)/K times the sum of squares of its K values about their mean; the
    interval is NAP +/- t(Satterthwaite df) se, clipped to [0, 1], hulled with Newcombe's.
    ``period`` (per day; default every day in period 0) groups days into periods, per
    condition. Fewer than 2 periods of a condition: the estimate without an interval.
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher'; got {better!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}")
    sign = 1.0 if better == "lower" else -1.0  # work with "lower is better" throughout
    y = np.asarray(y, dtype=float)
    active = np.asarray(active).astype(int)
    period = np.zeros(y.size, int) if period is None else np.asarray(period)
    keep = ~np.isnan(y)
    y, active, period = sign * y[keep], active[keep], period[keep]
    a, p = y[active == 1], y[active == 0]
    if a.size == 0 or p.size == 0:
        return Effect.unavailable(
            "nap",
            f"needs at least 1 observed day in each condition; got {a.size} active and "
            f"{p.size} placebo",
        )
    estimate = _share(a, p)
    variances, ks = [], []
    for arm in (1, 0):
        ids = np.unique(period[active == arm])
        ks.append(ids.size)
        left_out = []
        for k in ids:
            drop = (active == arm) & (period == k)
            rest_a, rest_p = y[(active == 1) & ~drop], y[(active == 0) & ~drop]
            left_out.append(_share(rest_a, rest_p) if rest_a.size and rest_p.size else np.nan)
        left_out = np.array(left_out)
        variances.append((ids.size - 1) / ids.size * np.sum((left_out - left_out.mean()) ** 2))
    if min(ks) < 2:
        reason = (
            "no interval: one that allows for day-to-day correlation needs at least 2 periods "
            f"of each condition with observed days; got {ks[0]} and {ks[1]}"
        )
        return Effect("nap", estimate=estimate, extra={"interval_reason": reason})
    (v_a, v_p), (k_a, k_p) = variances, ks
    se = np.sqrt(v_a + v_p)
    low, high = newcombe5(estimate, p.size, a.size, alpha)
    df = None
    if se > 0:
        df = (v_a + v_p) ** 2 / (v_a**2 / (k_a - 1) + v_p**2 / (k_p - 1))
        half = special.stdtrit(df, 1 - alpha / 2) * se
        low = min(low, max(estimate - half, 0.0))
        high = max(high, min(estimate + half, 1.0))
    return Effect(
        "nap",
        estimate=estimate,
        se=se,
        df=df,
        ci_low=low,
        ci_high=high,
        extra={"interval_reason": None},
    )

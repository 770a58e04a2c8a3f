"""The rate of a daily yes/no item (a side effect, a dose taken) on two conditions, and their
difference with an interval and p-value that allow for day-to-day persistence.

One kernel, :func:`rate_difference`, on rows of daily 1/0/NaN values: a row per patient
and event in ``nof1 analyze`` and ``nof1 series``, a row per simulated trial in a power
study. Everything is O(days) per row and vectorised across rows.

The method (chosen over a randomization test, whose smallest p is 0.25 with the 8
allocations of three pairwise cycles, and over a period-level comparison, which has 2
degrees of freedom with three cycles: see ``tests/analysis/sim_harms.py`` for the type I
error and coverage of each candidate under persistent events):

* rates ``p_a = k_a / n_a`` over the observed days of each condition (``a`` = 1 treated,
  0 control); the estimate is ``p_1 - p_0``;
* day-to-day persistence as the lag-1 autocorrelation ``r`` of the residuals
  ``x_t - p_a`` over pairs of consecutive observed days of the same period, pooled over
  both conditions, ``r = sum e_t e_(t+1) / sum e_t^2``, kept within [0, 0.95] (a negative
  estimate is taken as 0: the variance is never made smaller than for independent days);
* the variance of a condition's rate as for a stationary series with AR(1) correlation
  ``r`` within each period and independent periods:
  ``Var(p_a) = p_a (1 - p_a) S_a / n_a^2`` with ``S_a = sum_j V(n_j, r)`` over its periods
  ``j`` (``n_j`` observed days) and ``V(n, r) = n + 2 sum_{k=1}^{n-1} (n - k) r^k
  = n + 2 r (n (1 - r) - (1 - r^n)) / (1 - r)^2``; the effective number of days is
  ``m_a = n_a^2 / S_a`` (``n_a`` with independent days);
* the p-value of a two-sided z-test with the pooled rate ``p`` under no difference,
  ``z = (p_1 - p_0) / sqrt(p (1 - p) (1/m_1 + 1/m_0))`` (1 when no day has the event);
* the interval of Agresti and Caffo (2000) on the effective numbers of days: one event
  and one event-free day added to each condition, ``q_a = (p_a m_a + 1) / (m_a + 2)``,
  ``(q_1 - q_0) +/- z_(1 - alpha/2) sqrt(sum q_a (1 - q_a) / (m_a + 2))``, within [-1, 1].

References
----------
Agresti, A., & Caffo, B. (2000). Simple and effective confidence intervals for
proportions and differences of proportions result from adding two successes and two
failures. The American Statistician 54, 280-288.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["RateDifference", "any_event", "block_variance", "rate_difference"]

_R_MAX = 0.95


@dataclass(frozen=True)
class RateDifference:
    """The rates and their difference on ``m`` rows (arrays of length ``m``).

    ``days_*`` are observed days, ``events_*`` days with the event, ``rate_*`` their ratio
    (NaN without days); ``estimate`` is treated minus control, ``ci_low``/``ci_high`` the
    level 1 - alpha interval, ``se`` the Wald standard error of the estimate
    ``sqrt(sum_a p_a (1 - p_a) / m_a)`` (not used by the test or interval; for comparison
    with other fits), ``p_value`` two-sided, ``r`` the persistence used and
    ``reason`` None or why there is no difference.
    """

    days_treated: np.ndarray
    events_treated: np.ndarray
    days_control: np.ndarray
    events_control: np.ndarray
    rate_treated: np.ndarray
    rate_control: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    r: np.ndarray
    reason: np.ndarray


def block_variance(n, r):
    """``V(n, r) = n + 2 sum_{k=1}^{n-1} (n - k) r^k``: the variance of the sum of ``n``
    consecutive days of a unit-variance series with AR(1) correlation ``r`` (arrays
    broadcast; ``r`` in [0, 1)).

    Examples
    --------
    >>> float(block_variance(3, 0.5))  # 3 + 2 (2 * 0.5 + 0.25)
    5.5
    >>> float(block_variance(10, 0.0))
    10.0
    """
    n, r = np.asarray(n, float), np.asarray(r, float)
    return n + 2 * r * (n * (1 - r) - (1 - r**n)) / (1 - r) ** 2


def any_event(*events: np.ndarray) -> np.ndarray:
    """1 on days with any of the events, 0 where every event was answered and none
    happened, NaN otherwise (an unanswered item on a day without an event).

    Examples
    --------
    >>> any_event(np.array([1.0, 0, 0, np.nan]), np.array([np.nan, 0, 1, 0])).tolist()
    [1.0, 0.0, 1.0, nan]
    """
    stacked = np.stack(events)
    out = np.where(np.isnan(stacked).any(axis=0), np.nan, 0.0)
    return np.where((stacked == 1).any(axis=0), 1.0, out)


def rate_difference(x, arm, period, alpha: float, *, persistence: bool = True) -> RateDifference:
    """Treated-minus-control difference of the daily rate of a yes/no item, per row.

    Parameters
    ----------
    x : ndarray of float, shape (m, T)
        1 (event), 0 (no event) or NaN (not answered) per day; columns are consecutive days.
    arm : ndarray of int, shape (m, T)
        1 treated, 0 control, -1 a day not compared.
    period : ndarray of int, shape (m, T)
        Treatment period of each day (day pairs across periods are not used for ``r``).
    alpha : float
        Two-sided level; the interval is at 1 - alpha.
    persistence : bool, default True
        False takes ``r = 0`` (days as independent): only for comparison in simulations.

    Returns
    -------
    RateDifference
        See the module docstring for the method.

    Examples
    --------
    >>> x = np.array([[1.0, 1, 0, 0, 0, 0, 0, 0]])
    >>> arm = np.array([[1, 1, 1, 1, 0, 0, 0, 0]])
    >>> period = np.array([[1, 1, 1, 1, 2, 2, 2, 2]])
    >>> d = rate_difference(x, arm, period, 0.05)
    >>> d.rate_treated.tolist(), d.rate_control.tolist(), d.estimate.tolist()
    ([0.5], [0.0], [0.5])
    """
    x = np.asarray(x, float)
    arm = np.asarray(arm)
    period = np.asarray(period)
    seen = np.isfinite(x) & (arm >= 0)
    xv = np.where(seen, x, 0.0)
    on = [seen & (arm == a) for a in (1, 0)]
    n = [o.sum(axis=1).astype(float) for o in on]
    k = [(xv * o).sum(axis=1) for o in on]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = [k[a] / n[a] for a in (0, 1)]
        # Residuals from each condition's rate; lag-1 pairs within a period.
        fitted = np.where(on[0], rate[0][:, None], np.where(on[1], rate[1][:, None], 0.0))
        e = np.where(seen, xv - fitted, 0.0)
        pair = seen[:, 1:] & seen[:, :-1] & (period[:, 1:] == period[:, :-1])
        num = (e[:, 1:] * e[:, :-1] * pair).sum(axis=1)
        den = (e**2).sum(axis=1)
        raw = np.where(den > 0, num / den, 0.0)
        # First-order bias of a lag-1 autocorrelation over runs of about `length` days.
        length = (seen.sum(axis=1) / np.maximum(_count_periods(seen, period), 1)).clip(2)
        r = np.clip(raw + (1 + 3 * raw) / length, 0.0, _R_MAX)
        if not persistence:
            r = np.zeros_like(r)
        s = [_period_blocks(on[a], period, r) for a in (0, 1)]
        m_eff = [n[a] ** 2 / s[a] for a in (0, 1)]
        estimate = rate[0] - rate[1]
        pooled = (k[0] + k[1]) / (n[0] + n[1])
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / m_eff[0] + 1 / m_eff[1]))
        z = np.abs(estimate) / se0
        p_value = np.where(pooled * (1 - pooled) > 0, special.erfc(z / np.sqrt(2)), 1.0)
        q = [(rate[a] * m_eff[a] + 1) / (m_eff[a] + 2) for a in (0, 1)]
        half = special.ndtri(1 - alpha / 2) * np.sqrt(
            sum(q[a] * (1 - q[a]) / (m_eff[a] + 2) for a in (0, 1))
        )
        centre = q[0] - q[1]
        wald = np.sqrt(sum(rate[a] * (1 - rate[a]) / m_eff[a] for a in (0, 1)))
    ok = (n[0] > 0) & (n[1] > 0)
    reason = np.where(ok, None, "needs answered days on both conditions").astype(object)
    nan = np.where(ok, 1.0, np.nan)
    return RateDifference(
        days_treated=n[0].astype(int),
        events_treated=k[0].astype(int),
        days_control=n[1].astype(int),
        events_control=k[1].astype(int),
        rate_treated=rate[0],
        rate_control=rate[1],
        estimate=estimate * nan,
        se=wald * nan,
        ci_low=np.clip(centre - half, -1, 1) * nan,
        ci_high=np.clip(centre + half, -1, 1) * nan,
        p_value=p_value * nan,
        r=np.where(ok, r, np.nan),
        reason=reason,
    )


def _count_periods(seen: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Number of periods with an observed day, per row."""
    top = int(period.max(initial=0)) + 1
    index = np.arange(seen.shape[0])[:, None] * top + period
    counts = np.bincount(index[seen], minlength=seen.shape[0] * top).reshape(-1, top)
    return (counts > 0).sum(axis=1)


def _period_blocks(on: np.ndarray, period: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``S = sum_j V(n_j, r)`` over the periods of each row, ``n_j`` its observed days on
    the condition (rows padded with period 0 on days outside a period)."""
    top = int(period.max(initial=0)) + 1
    index = np.arange(on.shape[0])[:, None] * top + period
    counts = np.bincount(index[on], minlength=on.shape[0] * top).reshape(-1, top)
    return block_variance(counts, r[:, None]).sum(axis=1)

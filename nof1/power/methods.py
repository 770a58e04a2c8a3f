"""The per-patient methods of DESIGN.md section 5, vectorized over simulated trials.

Each function takes every simulated trial at once (one row per trial, one column per trial
day, NaN on missing days) and returns per-trial arrays: the same numbers as the single-trial
functions in :mod:`nof1.analysis`, without a Python loop per trial. The AR(1) methods live in
:mod:`nof1.analysis.ar1_batch` and :mod:`nof1.analysis.bayes_batch`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special, stats

from nof1.analysis.randomization import attainable_min_p
from nof1.design.allocation import count_allocations, enumerate_allocations, sample_allocations
from nof1.design.timeline import included_conditions, is_included, segments
from nof1.protocol.model import Protocol

__all__ = [
    "TrialResults",
    "nap_batch",
    "paired_periods_batch",
    "period_slots",
    "randomization_batch",
    "welch_batch",
]


class TrialResults(NamedTuple):
    """One method on m trials: arrays of shape (m,), NaN where the method could not run.

    ``p_value`` is NaN for methods without one (nap); ``ci_low``/``ci_high`` are NaN for
    methods without an interval (randomization).
    """

    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray


def _t_results(estimate, se, df, alpha: float) -> TrialResults:
    """t interval and two-sided p; NaN where se is zero or undefined (as the scalar versions)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        bad = ~(se > 0)
        estimate, se = np.where(bad, np.nan, estimate), np.where(bad, np.nan, se)
        half = special.stdtrit(df, 1 - alpha / 2) * se
        p_value = 2 * special.stdtr(df, -np.abs(estimate / se))
    return TrialResults(estimate, estimate - half, estimate + half, p_value)


def welch_batch(y: np.ndarray, conditions: np.ndarray, alpha: float) -> TrialResults:
    """:func:`~nof1.analysis.classic.welch_t` on every row of ``y``.

    Parameters
    ----------
    y : ndarray, shape (m, days)
        Outcome per trial and day, NaN where missing.
    conditions : ndarray of int, shape (m, days)
        1 = included active day, 0 = included placebo day, -1 = not compared
        (:func:`~nof1.design.timeline.included_conditions`).
    alpha : float

    Returns
    -------
    TrialResults

    Examples
    --------
    >>> r = welch_batch(np.array([[4.0, 5, 6, 7, 9, 8]]), np.array([[1, 1, 1, 0, 0, 0]]), 0.05)
    >>> float(r.estimate[0])
    -3.0
    """
    seen = np.isfinite(y)
    parts = []
    for condition in (1, 0):
        use = seen & (conditions == condition)
        n = use.sum(axis=1)
        values = np.where(use, y, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = values.sum(axis=1) / n
            var = np.where(use, (y - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
            # Trials with fewer than 2 days of an arm (many missing days) give NaN: failed.
            parts.append((np.where(n >= 2, mean, np.nan), var / n, n))
    (mean_a, va, na), (mean_p, vp, n_p) = parts
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (va + vp) ** 2 / (va**2 / (na - 1) + vp**2 / (n_p - 1))
    return _t_results(mean_a - mean_p, np.sqrt(va + vp), df, alpha)


def period_slots(protocol: Protocol, allocations: np.ndarray) -> np.ndarray:
    """Which period each included day belongs to, for pairing periods within cycles.

    Returns
    -------
    ndarray of int, shape (m, total_days)
        k on included days of the k-th active period (0-based), cycles + k on included days
        of the k-th placebo period, -1 elsewhere. The k-th active and k-th placebo periods
        form cycle k, as in the per-patient analysis.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> slots = period_slots(p, np.array([[False, True] * 3]))
    >>> slots[0, [0, 14, 21, 49]].tolist()  # baseline, washout day, placebo 1, active 1
    [-1, -1, 3, 0]
    """
    cycles = protocol.schedule.cycles
    unique, inverse = np.unique(allocations, axis=0, return_inverse=True)
    table = np.full((len(unique), protocol.total_days), -1)
    for row, allocation in zip(table, unique, strict=True):
        seen = {"active": 0, "placebo": 0}
        for seg in segments(protocol, allocation):
            if seg.phase != "treatment":
                continue
            k = seen[seg.treatment]
            seen[seg.treatment] += 1
            days = np.arange(seg.first_day - 1, seg.last_day)
            included = is_included(days - seg.first_day + 2, protocol)
            row[days[included]] = k if seg.treatment == "active" else cycles + k
    return table[inverse.reshape(-1)]


def paired_periods_batch(y: np.ndarray, slots: np.ndarray, cycles: int, alpha: float):
    """:func:`~nof1.analysis.classic.paired_periods` on every row of ``y``.

    Parameters
    ----------
    y : ndarray, shape (m, days)
    slots : ndarray of int, shape (m, days)
        From :func:`period_slots`.
    cycles : int
    alpha : float

    Returns
    -------
    TrialResults
        NaN where fewer than 2 cycles have both periods observed.
    """
    m = y.shape[0]
    use = np.isfinite(y) & (slots >= 0)
    index = (np.arange(m)[:, None] * 2 * cycles + slots)[use]
    sums = np.bincount(index, weights=y[use], minlength=2 * cycles * m).reshape(m, 2 * cycles)
    counts = np.bincount(index, minlength=2 * cycles * m).reshape(m, 2 * cycles)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    diff = means[:, :cycles] - means[:, cycles:]
    valid = np.isfinite(diff)
    k = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, diff, 0.0).sum(axis=1) / k
        ss = np.where(valid, (diff - mean[:, None]) ** 2, 0.0).sum(axis=1)
        se = np.sqrt(ss / (k - 1) / k)
    return _t_results(np.where(k >= 2, mean, np.nan), se, k - 1.0, alpha)


def randomization_batch(
    protocol: Protocol,
    y: np.ndarray,
    conditions: np.ndarray,
    rng: np.random.Generator,
    max_exact: int = 1024,
    draws: int = 999,
) -> tuple[TrialResults, dict]:
    """:func:`~nof1.analysis.randomization.randomization_test` on every row of ``y``.

    T = mean(active) - mean(placebo) under every allocation of the scheme: one matrix
    product gives all trials x all allocations. Schemes with more than ``max_exact``
    allocations use one Monte Carlo sample of ``draws`` allocations shared by all trials,
    p = (b + 1)/(draws + 1) (fewer draws than a real analysis: enough to estimate power).

    Parameters
    ----------
    protocol : Protocol
        Not a fixed scheme.
    y, conditions : ndarray, shape (m, total_days)
        Outcomes (NaN = missing) and each trial's included conditions.
    rng : numpy.random.Generator
        For the Monte Carlo sample.

    Returns
    -------
    (TrialResults, dict)
        Per-trial T and p; and ``{"n_allocations", "exact", "min_p"}`` where min_p is the
        smallest attainable p, the largest over the trials.
    """
    n_allocations = count_allocations(protocol)
    exact = n_allocations <= max_exact
    reference = (
        enumerate_allocations(protocol) if exact else sample_allocations(protocol, draws, rng)
    )
    ref_conditions = included_conditions(protocol, reference)
    seen = np.isfinite(y)
    values = np.where(seen, y, 0.0)
    seen = seen.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_ref = _mean_difference(values, seen, ref_conditions.T)
        t_obs = np.sum(values * (conditions == 1), axis=1) / np.sum(seen * (conditions == 1), 1)
        t_obs -= np.sum(values * (conditions == 0), axis=1) / np.sum(seen * (conditions == 0), 1)
    # Relative tolerance: allocations that tie in exact arithmetic must count as ties.
    at_least = np.abs(t_ref) >= (np.abs(t_obs) * (1 - 1e-10) - 1e-12)[:, None]
    if exact:
        p_value = at_least.sum(axis=1) / n_allocations
    else:
        p_value = (at_least.sum(axis=1) + 1) / (len(reference) + 1)
    min_p = attainable_min_p(conditions, ref_conditions, n_allocations, exact)
    p_value = np.where(np.isfinite(t_obs), p_value, np.nan)
    nan = np.full(len(y), np.nan)
    info = {"n_allocations": n_allocations, "exact": exact, "min_p": float(np.max(min_p))}
    return TrialResults(t_obs, nan, nan, p_value), info


def _mean_difference(values, seen, conditions_t) -> np.ndarray:
    """mean(active) - mean(placebo) for each trial (rows) and allocation (columns)."""
    active, placebo = (conditions_t == 1).astype(float), (conditions_t == 0).astype(float)
    return (values @ active) / (seen @ active) - (values @ placebo) / (seen @ placebo)


def nap_batch(y: np.ndarray, conditions: np.ndarray, better: str, alpha: float) -> TrialResults:
    """:func:`~nof1.analysis.nonoverlap.nap` with Newcombe's interval on every row of ``y``.

    NAP from midranks (the Mann-Whitney U of the placebo days, oriented so that > 0.5
    favours active); the interval's two roots by bisection, all trials at once.

    Returns
    -------
    TrialResults
        ``estimate`` = NAP, the interval, and ``p_value`` NaN (NAP has none).

    Examples
    --------
    >>> y = np.array([[2.0, 3, 5, 4, 6, 5]])
    >>> r = nap_batch(y, np.array([[1, 1, 1, 0, 0, 0]]), "lower", 0.05)
    >>> round(float(r.estimate[0]), 6)
    0.833333
    """
    sign = 1.0 if better == "lower" else -1.0
    use = np.isfinite(y) & (conditions >= 0)
    ranks = stats.rankdata(np.where(use, sign * y, np.nan), axis=1, nan_policy="omit")
    n_a = (use & (conditions == 1)).sum(axis=1)
    n_p = (use & (conditions == 0)).sum(axis=1)
    rank_p = np.where(use & (conditions == 0), ranks, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = (rank_p - n_p * (n_p + 1) / 2) / (n_a * n_p)
    theta = np.where((n_a > 0) & (n_p > 0), theta, np.nan)
    low, high = _newcombe5(np.nan_to_num(theta, nan=0.5), n_p, n_a, alpha)
    missing = np.isnan(theta)
    nan = np.full(len(y), np.nan)
    return TrialResults(theta, np.where(missing, nan, low), np.where(missing, nan, high), nan)


def _newcombe5(theta, m, n, alpha):
    """Both roots of Newcombe's method-5 equation (see nonoverlap._newcombe5), vectorized."""
    z2 = special.ndtri(1 - alpha / 2) ** 2
    h = (m + n) / 2 - 1
    mn = m * n

    def spread(t):
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

"""The randomization test, one patient at a time (the oracle of nof1.analysis.randomization).

Statistic T = mean(active) - mean(placebo) over the included observed days. Its reference
distribution is T under every allocation the protocol's scheme could have produced, with
period boundaries and the analytic washout recomputed per allocation (Edgington &
Onghena, *Randomization Tests*, 4th ed., 2007, ch. 11 on single-case designs). Exact when
the scheme has at most ``max_exact`` allocations, else Monte Carlo with p = (b + 1)/(m + 1).
"""

from __future__ import annotations

import numpy as np

from nof1.analysis.effect import Effect
from nof1.design.allocation import count_allocations, enumerate_allocations, sample_allocations
from nof1.design.timeline import included_conditions
from nof1.protocol.model import Protocol

__all__ = ["attainable_min_p", "randomization_test", "randomization_tests"]


def randomization_test(
    protocol: Protocol,
    y_by_day: np.ndarray,
    allocation,
    sign: float = 1.0,
    *,
    max_exact: int = 100_000,
    n_monte_carlo: int = 19_999,
    seed: int = 0,
) -> Effect:
    """Two-sided randomization test of active versus placebo.

    Parameters
    ----------
    protocol : Protocol
        Its scheme defines the reference set, its schedule the period boundaries.
    y_by_day : array of float, shape (protocol.total_days,)
        The outcome on trial days 1..total_days (index 0 = day 1), NaN where missing.
    allocation : sequence of bool
        The allocation actually used (True = active period).
    sign : float
        +1 reports active minus placebo; -1 flips the reported estimate (a blinded
        analysis reporting B minus A when A is the group with the active periods' timing).
    max_exact : int
        Enumerate every allocation up to this many, else sample ``n_monte_carlo``.
    seed : int
        Seed for the Monte Carlo sample.

    Returns
    -------
    Effect
        ``estimate`` (T), ``p_value``, and extras ``n_allocations`` (size of the scheme's
        set), ``exact`` and ``min_p``: the smallest p this design could ever give (with
        one cycle of the 2013 design, 0.5), whatever the data.

    Notes
    -----
    p = #{j : |T_j| >= |T_obs|} / N over the N allocations (the observed one included).
    An allocation whose included active and placebo days are the same as the observed
    one's, or exactly swapped, gives |T_j| = |T_obs| for any data, so
    min_p = (number of such allocations) / N.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> alloc = [True, False] * 3
    >>> y = np.where(included_conditions(p, np.array([alloc]))[0] == 1, 40.0, 50.0)
    >>> r = randomization_test(p, y, alloc)
    >>> r.estimate, r.p_value, r.extra
    (-10.0, 0.25, {'n_allocations': 8, 'exact': True, 'min_p': 0.25})
    """
    y = np.asarray(y_by_day, dtype=float)
    if protocol.randomization.scheme != "fixed" and y.shape != (protocol.total_days,):
        raise ValueError(f"y_by_day needs {protocol.total_days} days, got shape {y.shape}")
    (effect,) = randomization_tests(
        protocol,
        y[None, :],
        allocation,
        sign,
        max_exact=max_exact,
        n_monte_carlo=n_monte_carlo,
        seed=seed,
    )
    return effect


def randomization_tests(
    protocol: Protocol,
    y_by_day: np.ndarray,
    allocation,
    sign: float = 1.0,
    *,
    max_exact: int = 100_000,
    n_monte_carlo: int = 19_999,
    seed: int = 0,
) -> list[Effect]:
    """:func:`randomization_test` of several outcomes of one patient at once.

    The reference set is built once and every outcome's statistic under every allocation
    comes from one matrix product.

    Parameters
    ----------
    y_by_day : array of float, shape (k, protocol.total_days)
        One row per outcome.
    protocol, allocation, sign, max_exact, n_monte_carlo, seed
        As for :func:`randomization_test`.

    Returns
    -------
    list of Effect
        One per row of ``y_by_day``.
    """
    y = np.asarray(y_by_day, dtype=float)
    observed = np.asarray(allocation, dtype=bool)[None, :]
    if protocol.randomization.scheme == "fixed":
        reason = "the protocol's order is fixed, so there is no randomization to test"
        return [Effect.unavailable("randomization", reason) for _ in y]
    if y.ndim != 2 or y.shape[1] != protocol.total_days:
        raise ValueError(f"y_by_day needs (k, {protocol.total_days}) days, got shape {y.shape}")

    n_allocations = count_allocations(protocol)
    exact = n_allocations <= max_exact
    if exact:
        reference = enumerate_allocations(protocol)
    else:
        reference = sample_allocations(protocol, n_monte_carlo, np.random.default_rng(seed))

    obs_days = included_conditions(protocol, observed)
    ref_days = included_conditions(protocol, reference)
    t_obs = _statistics(obs_days, y)[0]
    t_ref = _statistics(ref_days, y)
    min_p = float(attainable_min_p(obs_days, ref_days, n_allocations, exact)[0])
    out = []
    for t, ref in zip(t_obs, t_ref.T, strict=True):
        if not np.isfinite(t):
            reason = "needs observed active and placebo days"
            out.append(Effect.unavailable("randomization", reason))
            continue
        # Relative tolerance: allocations that tie in exact arithmetic must count as ties.
        at_least = np.abs(ref) >= np.abs(t) * (1 - 1e-10) - 1e-12
        if exact:
            p_value = at_least.sum() / n_allocations
        else:
            p_value = (at_least.sum() + 1) / (len(reference) + 1)
        extra = {"n_allocations": n_allocations, "exact": exact, "min_p": min_p}
        out.append(Effect("randomization", estimate=sign * t, p_value=p_value, extra=extra))
    return out


def _statistics(conditions: np.ndarray, y: np.ndarray) -> np.ndarray:
    """T per allocation (rows of ``conditions``, see ``included_conditions``) and outcome
    (rows of ``y``): matrix products, no loops."""
    seen = np.isfinite(y).T.astype(float)
    values = np.where(seen > 0, y.T, 0.0)
    # float matrices: a bool @ bool product is a logical OR, not a count
    active, placebo = (conditions == 1).astype(float), (conditions == 0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_active = (active @ values) / (active @ seen)
        mean_placebo = (placebo @ values) / (placebo @ seen)
    return mean_active - mean_placebo


def attainable_min_p(observed, reference, n_allocations: int, exact: bool) -> np.ndarray:
    """Smallest attainable p for each observed allocation, given the reference set.

    Parameters
    ----------
    observed, reference : array of int, shape (k, days) and (m, days)
        ``included_conditions`` of the observed allocations and of the reference set.
    n_allocations : int
        Size of the scheme's set.
    exact : bool
        Whether ``reference`` is the whole set (else a Monte Carlo sample of it).

    Returns
    -------
    array of float, shape (k,)
        Exact: reference allocations comparing exactly the observed days, either way
        round, over N. Monte Carlo: 1 / (m + 1).
    """
    if not exact:
        return np.full(len(observed), 1 / (len(reference) + 1))
    counts: dict[bytes, int] = {}
    for row in reference:
        counts[row.tobytes()] = counts.get(row.tobytes(), 0) + 1
    ties = {}
    for row in np.unique(observed, axis=0):
        mirror = np.where(row >= 0, 1 - row, row).astype(row.dtype)
        ties[row.tobytes()] = counts.get(row.tobytes(), 0) + counts.get(mirror.tobytes(), 0)
    return np.array([ties[row.tobytes()] for row in observed]) / n_allocations

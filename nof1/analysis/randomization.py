"""The randomization kernel: the p-value the trial's own randomization justifies.

Statistic T = mean(active) - mean(placebo) over the included observed days. Its reference
distribution is T under every allocation the protocol's scheme could have produced, with
period boundaries and the analytic washout recomputed per allocation (Edgington &
Onghena, *Randomization Tests*, 4th ed., 2007, ch. 11 on single-case designs). Exact when
the scheme has at most ``max_exact`` allocations, else Monte Carlo with p = (b + 1)/(m + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nof1.analysis.registry import Estimates, Trials
from nof1.design.allocation import count_allocations, enumerate_allocations, sample_allocations
from nof1.design.timeline import included_conditions, segments
from nof1.protocol.model import Protocol

__all__ = [
    "FIXED",
    "Reference",
    "attainable_min_p",
    "patient_allocation",
    "randomization",
    "smallest_p",
]

#: Why a fixed order has no randomization test.
FIXED = "the protocol's order is fixed, so there is no randomization to test"
_BLOCK = 4_000_000  # rows x allocations per matrix product: bounded memory


@dataclass(frozen=True)
class Reference:
    """What the randomization kernel needs beyond the daily series, one entry per row.

    Attributes
    ----------
    protocol : Protocol
        Its scheme defines the reference set, its schedule the period boundaries (the
        rows' ``Trials.day`` are days of its timeline, 1 on the first day).
    allocation : ndarray of bool, shape (m, n_periods)
        True where the period has the active timing (the ``active_days`` length and dose
        schedule); ignored on rows with a reason.
    sign : ndarray of float, shape (m,)
        +1 or -1: turns the statistic into treated minus control (a blinded analysis
        reporting B minus A when A is the group with the active periods' timing).
    reason : ndarray of object, shape (m,)
        None, or why the protocol's reference set does not apply to the row.
    rng : numpy.random.Generator
        For the Monte Carlo reference set (schemes with more than ``max_exact``
        allocations); one sample serves every row of a kernel call.
    max_exact : int, default 100 000
        Enumerate every allocation up to this many.
    draws : int, default 19 999
        Size of the Monte Carlo reference set.
    """

    protocol: Protocol
    allocation: np.ndarray
    sign: np.ndarray
    reason: np.ndarray
    rng: np.random.Generator
    max_exact: int = 100_000
    draws: int = 19_999

    @classmethod
    def build(cls, protocol: Protocol, allocation, sign=1.0, reason=None, rng=None, **kw):
        """A reference for ``m = len(allocation)`` rows; every row gets :data:`FIXED` as its
        reason when the protocol's order is fixed."""
        allocation = np.asarray(allocation, dtype=bool).reshape(-1, protocol.n_periods)
        m = len(allocation)
        reasons = np.full(m, None, dtype=object)
        if reason is not None:
            reasons[:] = reason
        if protocol.randomization.scheme == "fixed":
            reasons[:] = FIXED
        signs = np.broadcast_to(np.asarray(sign, dtype=float), (m,)).copy()
        rng = np.random.default_rng(0) if rng is None else rng
        return cls(protocol, allocation, signs, reasons, rng, **kw)


def randomization(trials: Trials) -> Estimates:
    """Two-sided randomization test of treated versus control, one row per series.

    Parameters
    ----------
    trials : Trials
        Uses ``y`` (every day's value, compared or not: each allocation compares other
        days), ``day`` and ``reference`` (a :class:`Reference`).

    Returns
    -------
    Estimates
        ``estimate`` (T, treated minus control), ``p_value``, ``n_allocations`` (size of
        the scheme's set), ``exact`` and ``min_p``: the smallest p this design could ever
        give (with one cycle of the 2013 design, 0.5), whatever the data.

    Notes
    -----
    p = #{j : |T_j| >= |T_obs|} / N over the N allocations (the observed one included).
    An allocation whose included active and placebo days are the same as the observed
    one's, or exactly swapped, gives |T_j| = |T_obs| for any data, so
    min_p = (number of such allocations) / N.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> from nof1.analysis.registry import Trials
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> alloc = np.array([[True, False] * 3])
    >>> arm = included_conditions(p, alloc)
    >>> y = np.where(arm == 1, 40.0, 50.0)
    >>> t = Trials(y, np.arange(1, p.total_days + 1), arm, np.zeros_like(arm), np.array([-1.0]),
    ...            np.array([10.0]), 0.05, Reference.build(p, alloc))
    >>> e = randomization(t).effect(0)
    >>> e.estimate, e.p_value, e.extra
    (-10.0, 0.25, {'n_allocations': 8, 'exact': True, 'min_p': 0.25})
    """
    m = trials.m
    ref = trials.reference
    nan = np.full(m, np.nan)
    values = {"estimate": nan, "p_value": nan, "n_allocations": nan, "exact": nan, "min_p": nan}
    if ref is None:
        return Estimates("randomization", values, np.full(m, "no allocation to test", object))
    reason = np.array(ref.reason, dtype=object)
    run = np.flatnonzero([r is None for r in reason])
    if not run.size:
        return Estimates("randomization", values, reason)
    p = ref.protocol
    n_allocations = count_allocations(p)
    exact = n_allocations <= ref.max_exact
    if exact:
        reference = enumerate_allocations(p)
    else:
        reference = sample_allocations(p, ref.draws, ref.rng)
    ref_days = included_conditions(p, reference)
    observed, which = np.unique(ref.allocation[run], axis=0, return_inverse=True)
    obs_days = included_conditions(p, observed)[which.reshape(-1)]
    y = _on_timeline(trials.y[run], np.asarray(trials.day), p.total_days)
    seen = np.isfinite(y)
    y, seen = np.where(seen, y, 0.0), seen.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_obs = np.sum(y * (obs_days == 1), axis=1) / np.sum(seen * (obs_days == 1), axis=1)
        t_obs -= np.sum(y * (obs_days == 0), axis=1) / np.sum(seen * (obs_days == 0), axis=1)
    active, placebo = (ref_days.T == 1).astype(float), (ref_days.T == 0).astype(float)
    at_least = np.empty(run.size)
    block = max(1, _BLOCK // len(reference))
    for lo in range(0, run.size, block):
        rows = slice(lo, lo + block)
        with np.errstate(invalid="ignore", divide="ignore"):
            t_ref = (y[rows] @ active) / (seen[rows] @ active)
            t_ref -= (y[rows] @ placebo) / (seen[rows] @ placebo)
        # Relative tolerance: allocations that tie in exact arithmetic must count as ties.
        bar = np.abs(t_obs[rows]) * (1 - 1e-10) - 1e-12
        at_least[rows] = (np.abs(t_ref) >= bar[:, None]).sum(axis=1)
    if exact:
        p_value = at_least / n_allocations
    else:
        p_value = (at_least + 1) / (len(reference) + 1)
    finite = np.isfinite(t_obs)
    reason[run[~finite]] = "needs observed active and placebo days"
    values = {k: v.copy() for k, v in values.items()}
    values["estimate"][run] = ref.sign[run] * t_obs
    values["p_value"][run] = np.where(finite, p_value, np.nan)
    values["min_p"][run] = attainable_min_p(obs_days, ref_days, n_allocations, exact)
    values["n_allocations"] = np.full(m, n_allocations)
    values["exact"] = np.full(m, exact)
    return Estimates("randomization", values, reason)


def _on_timeline(y: np.ndarray, day: np.ndarray, total_days: int) -> np.ndarray:
    """The rows of ``y`` (columns = ``day``) on the protocol's days 1..total_days."""
    out = np.full((len(y), total_days), np.nan)
    inside = (day >= 1) & (day <= total_days)
    out[:, day[inside] - 1] = y[:, inside]
    return out


def smallest_p(
    protocol: Protocol, allocation=None, *, max_exact: int = 100_000, n_monte_carlo: int = 19_999
) -> float | None:
    """The smallest two-sided p the randomization test can give for a design, whatever the data.

    The one definition behind ``min_p`` in results (:func:`randomization`), power and
    ``nof1 protocols show``.

    Parameters
    ----------
    protocol : Protocol
    allocation : sequence of bool, optional
        The allocation used; without it the scheme's first one. For the schemes nof1 has
        the answer is the same for every allocation (see Notes).
    max_exact, n_monte_carlo
        As :class:`Reference`'s ``max_exact`` and ``draws``.

    Returns
    -------
    float or None
        None for a fixed order (no randomization test).

    Notes
    -----
    Exact: p = #{j : |T_j| >= |T_obs|} / N. The observed allocation always counts, and so
    does its mirror image (every period swapped) when the scheme has it with the same
    included days, which it does exactly when active and placebo periods last equally long
    (then T_mirror = -T_obs for any data). So min_p is 2/N with equal periods, else 1/N.
    Monte Carlo: 1/(m + 1).

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> smallest_p(load_protocol("ldn-nof1-multicycle"))  # 8 allocations, periods of 28 d
    0.25
    >>> smallest_p(load_protocol("ldn-fibromyalgia-2013"))  # 2 allocations, 84 d vs 28 d
    0.5
    """
    if protocol.randomization.scheme == "fixed":
        return None
    n_allocations = count_allocations(protocol)
    exact = n_allocations <= max_exact
    if not exact:
        return 1 / (n_monte_carlo + 1)
    reference = enumerate_allocations(protocol)
    observed = reference[:1] if allocation is None else np.asarray(allocation, bool)[None, :]
    obs_days = included_conditions(protocol, observed)
    ref_days = included_conditions(protocol, reference)
    return float(attainable_min_p(obs_days, ref_days, n_allocations, exact)[0])


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


def patient_allocation(days, p: Protocol, blinded: bool):
    """A patient's allocation in timeline terms and the sign of treated minus control.

    Parameters
    ----------
    days : nof1.analysis.days.PatientDays
    p : Protocol
    blinded : bool
        Conditions are the groups A and B (treated = B).

    Returns
    -------
    (ndarray of bool, float) or str
        True per period with the active timing (a period with ``active_days``' length),
        and +1/-1 turning the statistic into treated minus control; or why the protocol's
        reference set does not apply to this diary.
    """
    if p.randomization.scheme == "fixed":
        return FIXED
    treatment = days.phase == "treatment"
    numbered = treatment & (days.period > 0)
    _, first, lengths = np.unique(days.period[numbered], return_index=True, return_counts=True)
    conditions = days.condition[numbered][first].tolist()
    if len(conditions) != p.n_periods:
        return (
            f"the diary has {len(conditions)} treatment periods, the protocol "
            f"{p.n_periods}, so the protocol's reference set does not apply"
        )
    sign = 1.0
    if not blinded:
        allocation = [c == "active" for c in conditions]
    elif p.schedule.active_days == p.schedule.placebo_days:
        allocation = [c == "B" for c in conditions]
    else:
        # Unequal lengths: the group whose periods last active_days has the active timing.
        b_days = [n for c, n in zip(conditions, lengths, strict=True) if c == "B"]
        b_active = bool(b_days) and int(b_days[0]) == p.schedule.active_days
        allocation = [(c == "B") == b_active for c in conditions]
        sign = 1.0 if b_active else -1.0
    planned = [s for s in segments(p, allocation) if s.phase == "treatment"]
    expected_day = np.concatenate([np.arange(s.first_day, s.last_day + 1) for s in planned])
    expected_period = np.repeat([s.period for s in planned], [s.days for s in planned])
    if not (
        expected_day.size == treatment.sum()
        and (expected_day == days.day[treatment]).all()
        and (expected_period == days.period[treatment]).all()
    ):
        return (
            "the diary's periods do not follow the protocol's timeline, so the "
            "protocol's reference set does not apply"
        )
    return np.array(allocation), sign

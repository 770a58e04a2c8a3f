"""Simulated trials as kernel input: one :class:`~nof1.analysis.registry.Trials` row per trial.

Every row is a trial of one protocol on its own timeline (days 1..total_days): the outcome on
every day, which days its allocation compares (the analytic washout left out) and which
treatment period each day belongs to, plus the randomization reference of its allocation.
"""

from __future__ import annotations

import numpy as np

from nof1.analysis.randomization import Reference
from nof1.analysis.registry import Trials
from nof1.design.timeline import included_conditions
from nof1.protocol.model import Protocol

__all__ = ["periods", "simulated_trials"]

#: Power analyses use a smaller randomization reference set than a patient's analysis:
#: enough to estimate power.
MAX_EXACT = 1024
DRAWS = 999


def periods(protocol: Protocol, allocations: np.ndarray) -> np.ndarray:
    """The treatment period (1, 2, ... in time order; 0 outside) of every day, per allocation.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-fibromyalgia-2013")  # baseline 14 d, then 84 d and 28 d
    >>> periods(p, np.array([[True, False]]))[0, [13, 14, 97, 98, 125, 126]].tolist()
    [0, 1, 1, 2, 2, 0]
    """
    s = protocol.schedule
    allocations = np.asarray(allocations, dtype=bool)
    m, n_periods = allocations.shape
    lengths = np.where(allocations, s.active_days, s.placebo_days)
    starts = s.baseline_days + np.concatenate(
        [np.zeros((m, 1), int), np.cumsum(lengths + s.washout_days, axis=1)[:, :-1]], axis=1
    )
    day = np.arange(protocol.total_days)
    out = np.zeros((m, protocol.total_days), dtype=int)
    for k in range(n_periods):
        day_in_period = day - starts[:, k : k + 1] + 1
        out[(day_in_period >= 1) & (day_in_period <= lengths[:, k : k + 1])] = k + 1
    return out


def simulated_trials(
    protocol: Protocol,
    allocations: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    n_grid: int = 80,
    truth: float = float("nan"),
) -> Trials:
    """The trials ``y`` (m, total_days; NaN = missing) of the primary outcome under
    ``allocations`` (m, n_periods), active minus placebo.

    ``rng`` draws the Monte Carlo randomization reference set (schemes with more than
    1024 allocations; 999 draws); ``n_grid`` is the Bayesian grid over phi; ``truth`` the
    simulated effect (see :attr:`~nof1.analysis.registry.Trials.truth`).
    """
    m = len(y)
    outcome = protocol.primary_outcome
    period = periods(protocol, allocations)
    reference = Reference.build(protocol, allocations, rng=rng, max_exact=MAX_EXACT, draws=DRAWS)
    return Trials(
        y=y,
        day=np.arange(1, protocol.total_days + 1),
        arm=included_conditions(protocol, allocations),
        period=period,
        better=np.full(m, 1.0 if outcome.better == "higher" else -1.0),
        mcid=np.full(m, float(outcome.mcid)),
        alpha=protocol.analysis.alpha,
        reference=reference,
        n_grid=n_grid,
        density=False,
        truth=truth,
        cycle=np.where(period > 0, (period + 1) // 2, 0),  # two periods per cycle
    )

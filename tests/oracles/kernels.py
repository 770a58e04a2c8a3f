"""The kernels of nof1.analysis, called one series at a time with the oracles' signatures.

Each function builds a one-row :class:`~nof1.analysis.registry.Trials` and runs the method's
kernel through the registry, returning its :class:`~nof1.analysis.effect.Effect`: so a test
written for a single-series function (against R, or by hand) checks the code nof1 runs.
"""

from __future__ import annotations

import numpy as np

from nof1.analysis.randomization import Reference
from nof1.analysis.registry import Trials, method
from nof1.design.timeline import included_conditions

__all__ = [
    "bayes_ar1",
    "gls_ar1",
    "gls_ar1_trend",
    "nap",
    "one_row",
    "paired_periods",
    "randomization_test",
    "welch_t",
]


def _direction(better) -> float:
    if better in (1, -1):
        return float(better)
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher'; got {better!r}")
    return 1.0 if better == "higher" else -1.0


def one_row(y, day=None, active=None, *, better="lower", mcid=None, alpha=0.05, **kw) -> Trials:
    """One series as Trials: every day compared, ``active`` 1 = treated, 0 = control."""
    y = np.asarray(y, dtype=float)
    day = np.arange(1, y.size + 1) if day is None else np.asarray(day)
    active = np.asarray(active)
    if not (y.ndim == 1 and day.shape == y.shape and active.shape == y.shape):
        raise ValueError(
            f"y, day and active must be 1-d and of equal length; got {y.shape}, {day.shape} "
            f"and {active.shape}"
        )
    if not np.all(np.isin(active, (0, 1))):
        raise ValueError("active must be boolean or 0/1 (1 = active day, 0 = placebo day)")
    arm = active.astype(np.int8)[None, :]
    return Trials(
        y=y[None, :],
        day=day,
        arm=arm,
        period=kw.pop("period", np.zeros_like(arm, dtype=int)),
        better=np.array([_direction(better)]),
        mcid=np.array([np.nan if mcid is None else float(mcid)]),
        alpha=alpha,
        **kw,
    )


def _run(key: str, trials: Trials):
    return method(key).run(trials).effect(0)


def gls_ar1(y, day, active, alpha: float = 0.05):
    return _run("gls_ar1", one_row(y, day, active, alpha=alpha))


def gls_ar1_trend(y, day, active, alpha: float = 0.05):
    return _run("gls_ar1_trend", one_row(y, day, active, alpha=alpha))


def bayes_ar1(y, day, active, better, mcid, alpha: float = 0.05, n_grid: int = 100):
    if mcid is not None and not mcid >= 0:
        raise ValueError(f"mcid must be a non-negative number or None; got {mcid!r}")
    trials = one_row(y, day, active, better=better, mcid=mcid, alpha=alpha, n_grid=n_grid)
    return _run("bayes_ar1", trials)


def welch_t(y, active, alpha: float = 0.05):
    return _run("welch_t", one_row(y, None, active, alpha=alpha))


def nap(y, active, better, alpha: float = 0.05, period=None):
    kw = {} if period is None else {"period": np.asarray(period)[None, :]}
    return _run("nap", one_row(y, None, active, better=better, alpha=alpha, **kw))


def paired_periods(active_means, placebo_means, alpha: float = 0.05):
    """Each mean is one day of its own period: active i in period 2i + 1, placebo in 2i + 2."""
    a = np.asarray(active_means, dtype=float)
    p = np.asarray(placebo_means, dtype=float)
    if a.shape != p.shape or a.ndim != 1:
        raise ValueError(
            f"active_means and placebo_means must be 1-d of equal length; got {a.shape}, {p.shape}"
        )
    y = np.column_stack([a, p]).ravel()
    active = np.tile([1, 0], a.size)
    period = np.arange(1, y.size + 1)[None, :]
    return _run("paired_periods", one_row(y, None, active, alpha=alpha, period=period))


def randomization_test(
    protocol,
    y_by_day,
    allocation,
    sign: float = 1.0,
    *,
    max_exact: int = 100_000,
    n_monte_carlo: int = 19_999,
    seed: int = 0,
):
    """The randomization kernel on days 1..total_days of one series."""
    y = np.asarray(y_by_day, dtype=float)[None, :]
    allocation = np.asarray(allocation, dtype=bool)[None, :]
    rng = np.random.default_rng(seed)
    reference = Reference.build(
        protocol, allocation, sign, rng=rng, max_exact=max_exact, draws=n_monte_carlo
    )
    arm = included_conditions(protocol, allocation) if protocol.n_periods else None
    trials = Trials(
        y=y,
        day=np.arange(1, y.shape[1] + 1),
        arm=arm,
        period=np.zeros(y.shape, dtype=int),
        better=np.array([-1.0]),
        mcid=np.array([np.nan]),
        alpha=0.05,
        reference=reference,
    )
    return _run("randomization", trials)

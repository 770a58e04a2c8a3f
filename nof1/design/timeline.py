"""The day-by-day timeline of a protocol under one allocation.

Days are numbered from 1 on the start date. Phases follow each other with no gaps:
baseline, then the treatment periods (with ``washout_days`` off treatment between
consecutive periods), then follow-up. This module is the one place that says where each
phase lies (:func:`segments` for one allocation, :func:`period_bounds` for many at once)
and which days of a treatment period are *included* in active-vs-placebo comparisons (all
but the first ``analytic_washout_days``); the aligned diary, the randomization test, power
and the simulator read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from nof1.errors import ScheduleError
from nof1.protocol.model import Protocol

__all__ = [
    "Segment",
    "blinding_check_days",
    "build_timeline",
    "included_conditions",
    "is_included",
    "period_bounds",
    "segments",
]


@dataclass(frozen=True)
class Segment:
    """A run of days in one phase.

    ``phase`` is baseline, treatment, washout or follow_up; ``period`` (1-based) and
    ``cycle`` are set for treatment periods, as is ``treatment`` (active or placebo).
    """

    phase: str
    first_day: int
    last_day: int
    period: int | None = None
    cycle: int | None = None
    treatment: str | None = None

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


def is_included(day_in_period, protocol: Protocol):
    """Whether a day of a treatment period counts in active-vs-placebo comparisons.

    The one statement of the rule: every day of a treatment period except its first
    ``analysis.analytic_washout_days`` days (which absorb carryover and slow onset).

    Parameters
    ----------
    day_in_period : int or numpy.ndarray of int
        1 on the first day of the period.
    protocol : Protocol

    Returns
    -------
    bool or numpy.ndarray of bool

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")  # analytic_washout_days: 7
    >>> is_included(7, p), is_included(8, p)
    (False, True)
    >>> is_included(np.array([1, 8, 28]), p).tolist()
    [False, True, True]
    """
    return day_in_period > protocol.analysis.analytic_washout_days


def segments(protocol: Protocol, allocation) -> list[Segment]:
    """The phases of the trial in order, with their first and last day.

    Parameters
    ----------
    protocol : Protocol
    allocation : sequence of bool
        One entry per treatment period, True for active (see ``nof1.design.allocation``).

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> [(s.phase, s.treatment, s.days) for s in
    ...  segments(load_protocol("ldn-fibromyalgia-2013"), [False, True])]
    [('baseline', None, 14), ('treatment', 'placebo', 28), ('treatment', 'active', 84),
     ('follow_up', None, 28)]
    """
    s = protocol.schedule
    out: list[Segment] = []
    day = 1

    def add(phase: str, length: int, **kw) -> None:
        nonlocal day
        if length > 0:
            out.append(Segment(phase, day, day + length - 1, **kw))
            day += length

    add("baseline", s.baseline_days)
    for i, active in enumerate(allocation):
        if i > 0:
            add("washout", s.washout_days)
        length = s.active_days if active else s.placebo_days
        treatment = "active" if active else "placebo"
        add("treatment", length, period=i + 1, cycle=i // 2 + 1, treatment=treatment)
    add("follow_up", s.follow_up_days)
    return out


def build_timeline(protocol: Protocol, allocation, start: dt.date | None = None):
    """One row per day of the trial.

    Parameters
    ----------
    protocol : Protocol
    allocation : sequence of bool
        True for each active period.
    start : datetime.date, optional
        Date of day 1; without it the ``date`` column is empty.

    Returns
    -------
    pandas.DataFrame
        Columns: ``day`` (1-based), ``date``, ``phase`` (baseline, treatment, washout,
        follow_up), ``cycle``, ``period`` (nullable ints), ``treatment`` (active, placebo
        or empty), ``condition`` (the treatment on treatment days, else the phase),
        ``day_in_period``, ``step_dose_mg`` (the dose the kit label and the patient's
        instructions show, titration included: the same for active and placebo),
        ``dose_mg`` (active ingredient actually taken: 0 on placebo) and ``included``
        (counts in active-vs-placebo comparisons).

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> t = build_timeline(load_protocol("ldn-nof1-multicycle"), [True, False] * 3,
    ...                    dt.date(2026, 1, 5))
    >>> len(t), t.loc[14, "date"], t.loc[14, "condition"]
    (182, datetime.date(2026, 1, 19), 'active')
    >>> t.step_dose_mg[14:30:7].tolist(), t.included[14:30:7].tolist()
    ([1.5, 3.0, 4.5], [False, True, True])
    """
    import pandas as pd

    if start is not None:
        _check_end(protocol, start)

    steps = _dose_steps(protocol)
    rows = []
    for seg in segments(protocol, allocation):
        for offset in range(seg.days):
            on_treatment = seg.phase == "treatment"
            step = steps[min(offset, len(steps) - 1)] if on_treatment else 0.0
            rows.append(
                {
                    "day": seg.first_day + offset,
                    "phase": seg.phase,
                    "cycle": seg.cycle,
                    "period": seg.period,
                    "treatment": seg.treatment or "",
                    "condition": seg.treatment if on_treatment else seg.phase,
                    "day_in_period": offset + 1 if on_treatment else None,
                    "step_dose_mg": step,
                    "dose_mg": step if seg.treatment == "active" else 0.0,
                    "included": on_treatment and bool(is_included(offset + 1, protocol)),
                }
            )
    table = pd.DataFrame(rows)
    table.insert(
        1, "date", [start + dt.timedelta(days=d - 1) if start else None for d in table["day"]]
    )
    for col in ("cycle", "period", "day_in_period"):
        table[col] = table[col].astype("Int64")
    return table


def period_bounds(protocol: Protocol, allocations) -> tuple[np.ndarray, np.ndarray]:
    """First and last day of every treatment period, for many allocations at once.

    The vectorized twin of :func:`segments` (its treatment periods), for code where every
    allocation moves the period boundaries (the randomization test, power).

    Parameters
    ----------
    protocol : Protocol
    allocations : array_like of bool, shape (m, n_periods)

    Returns
    -------
    first_day, last_day : numpy.ndarray of int, shape (m, n_periods)
        Day numbers (1 = the first day of the trial).

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> first, last = period_bounds(load_protocol("ldn-fibromyalgia-2013"), [[False, True]])
    >>> first.tolist(), last.tolist()
    ([[15, 43]], [[42, 126]])
    """
    s = protocol.schedule
    allocations = np.atleast_2d(np.asarray(allocations, dtype=bool))
    lengths = np.where(allocations, s.active_days, s.placebo_days)
    # Baseline, then the earlier periods, each followed by a washout.
    before = np.cumsum(lengths + s.washout_days, axis=1) - (lengths + s.washout_days)
    first = s.baseline_days + 1 + before
    return first, first + lengths - 1


def included_conditions(protocol: Protocol, allocations: np.ndarray) -> np.ndarray:
    """Which days count as active or placebo, for many allocations at once.

    The vectorized twin of ``build_timeline(...)[["condition", "included"]]``, for the
    randomization test, where every allocation moves the period boundaries.

    Parameters
    ----------
    allocations : numpy.ndarray of bool, shape (m, n_periods)

    Returns
    -------
    numpy.ndarray of int8, shape (m, total_days)
        1 = included active day, 0 = included placebo day, -1 = not compared.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> m = included_conditions(load_protocol("ldn-fibromyalgia-2013"),
    ...                         np.array([[True, False], [False, True]]))
    >>> m.shape, (m == 1).sum(axis=1).tolist(), (m == 0).sum(axis=1).tolist()
    ((2, 154), [84, 84], [28, 28])
    """
    allocations = np.asarray(allocations, dtype=bool)
    m, n_periods = allocations.shape
    first, last = period_bounds(protocol, allocations)
    starts, lengths = first - 1, last - first + 1  # 0-based first day, days
    day = np.arange(protocol.total_days)
    out = np.full((m, protocol.total_days), -1, dtype=np.int8)
    for p in range(n_periods):
        day_in_period = day - starts[:, p : p + 1] + 1
        inside = (
            (day_in_period >= 1)
            & (day_in_period <= lengths[:, p : p + 1])
            & is_included(day_in_period, protocol)
        )
        out[inside] = np.broadcast_to(allocations[:, p : p + 1], inside.shape)[inside]
    return out


def blinding_check_days(protocol: Protocol, allocation=None) -> list[int]:
    """The study days on which the blinding question is asked: the last day of each
    treatment period (day 1 = the start date), in order.

    The one statement of when the guess (``protocol.blinding_check``) is asked; the
    calendar marks these days, the diary may hold a guess on them only, and the simulator
    answers on them. It does not depend on whether the protocol has a blinding check.

    Parameters
    ----------
    protocol : Protocol
    allocation : sequence of bool, optional
        True for each active period. Needed only when active and placebo periods differ
        in length (then the days depend on the order); otherwise ignored.

    Returns
    -------
    list of int

    Raises
    ------
    ValueError
        Periods of different lengths and no allocation.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> blinding_check_days(load_protocol("ldn-nof1-multicycle"))
    [42, 70, 98, 126, 154, 182]
    >>> blinding_check_days(load_protocol("ldn-fibromyalgia-2013"), [False, True])
    [42, 126]
    """
    s = protocol.schedule
    if allocation is None:
        if s.active_days != s.placebo_days:
            raise ValueError(
                f"protocol '{protocol.id}': the treatment periods differ in length, so the "
                "days of the blinding question depend on the allocation: pass it"
            )
        allocation = [True] * protocol.n_periods
    _first, last = period_bounds(protocol, [list(allocation)])
    return [int(d) for d in last[0]]


def _check_end(protocol: Protocol, start: dt.date) -> None:
    """Refuse a start whose schedule runs past 9999-12-31, the last date there is.

    The day after the last one must exist too: calendar events end there (``DTEND``).
    """
    days = protocol.total_days
    if (dt.date.max - start).days < days:
        latest = dt.date.max - dt.timedelta(days=days)
        raise ScheduleError(
            f"a schedule of protocol '{protocol.id}' starting {start.isoformat()} runs "
            f"{days} days, past 9999-12-31; the latest start is {latest.isoformat()}"
        )


def _dose_steps(protocol: Protocol) -> list[float]:
    """Dose for each day of a treatment period, up to the end of titration."""
    active = protocol.treatments.active
    steps = [step.dose_mg for step in active.titration for _ in range(step.days)]
    return steps + [active.dose_mg]

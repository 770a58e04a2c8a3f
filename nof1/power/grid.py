"""Design grids: the protocol with its cycles, period length or analytic washout varied.

Each design point is a complete, validated protocol, so the simulation and every method see
exactly the timeline a real trial of that design would have. An impossible combination (an
analytic washout as long as the period, a titration longer than the period) is an error that
names the design point.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pydantic import ValidationError

from nof1.errors import Nof1Error
from nof1.protocol.load import validation_problems
from nof1.protocol.model import Protocol

__all__ = ["DesignPoint", "design_grid"]


@dataclass(frozen=True)
class DesignPoint:
    """One design of the grid: a variant of the protocol.

    Attributes
    ----------
    protocol : Protocol
        The varied, validated protocol.
    """

    protocol: Protocol

    @property
    def cycles(self) -> int:
        return self.protocol.schedule.cycles

    @property
    def period_days(self) -> int | None:
        """Length of both treatment periods, or None when active and placebo differ."""
        s = self.protocol.schedule
        return s.active_days if s.active_days == s.placebo_days else None

    @property
    def analytic_washout_days(self) -> int:
        return self.protocol.analysis.analytic_washout_days

    def label(self) -> str:
        """A short description, e.g. ``3 cycles x 28 d, analytic washout 7 d``.

        Examples
        --------
        >>> from nof1.protocol import load_protocol
        >>> DesignPoint(load_protocol("ldn-nof1-multicycle")).label()
        '3 cycles x 28 d, analytic washout 7 d'
        """
        s = self.protocol.schedule
        days = f"{s.active_days} d" if self.period_days else f"{s.active_days}/{s.placebo_days} d"
        cycles = f"{s.cycles} cycle{'s' if s.cycles > 1 else ''}"
        return f"{cycles} x {days}, analytic washout {self.analytic_washout_days} d"

    def to_dict(self) -> dict:
        """The design's keys as they appear in each row of power.json's ``results``."""
        s = self.protocol.schedule
        return {
            "cycles": s.cycles,
            "period_days": self.period_days,
            "active_days": s.active_days,
            "placebo_days": s.placebo_days,
            "analytic_washout_days": self.analytic_washout_days,
            "total_days": self.protocol.total_days,
            "scheme": self.protocol.randomization.scheme,
        }


def design_grid(
    protocol: Protocol,
    cycles: list[int] | None = None,
    period_days: list[int] | None = None,
    analytic_washout_days: list[int] | None = None,
) -> list[DesignPoint]:
    """Every combination of the given values, each as a validated protocol.

    Parameters
    ----------
    protocol : Protocol
        The base design; a value left as None keeps the protocol's own.
    cycles : list of int, optional
        Numbers of cycles. A counterbalanced scheme (one cycle by definition) becomes
        pairwise with more cycles; a fixed sequence repeats its first cycle.
    period_days : list of int, optional
        Lengths of the treatment periods (active_days = placebo_days).
    analytic_washout_days : list of int, optional
        Days left out at the start of every treatment period.

    Returns
    -------
    list of DesignPoint
        In the order cycles, then period days, then analytic washout; duplicates dropped.

    Raises
    ------
    Nof1Error
        A combination is not a valid protocol; the message names the design point.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> grid = design_grid(load_protocol("ldn-nof1-multicycle"), cycles=[2, 3],
    ...                    analytic_washout_days=[0, 7])
    >>> [d.label() for d in grid][:2]
    ['2 cycles x 28 d, analytic washout 0 d', '2 cycles x 28 d, analytic washout 7 d']
    >>> design_grid(load_protocol("ldn-nof1-multicycle"), period_days=[14])
    Traceback (most recent call last):
    ...
    nof1.errors.Nof1Error: design point cycles=3, period_days=14, analytic_washout_days=7: ...
    """
    s, a = protocol.schedule, protocol.analysis
    points: list[DesignPoint] = []
    for c, d, w in itertools.product(
        cycles or [s.cycles],
        period_days or [None],
        analytic_washout_days or [a.analytic_washout_days],
    ):
        point = DesignPoint(_vary(protocol, c, d, w))
        if point not in points:
            points.append(point)
    return points


def _vary(protocol: Protocol, cycles: int, period: int | None, washout: int) -> Protocol:
    data = protocol.model_dump()
    data["schedule"]["cycles"] = cycles
    if period is not None:
        data["schedule"]["active_days"] = data["schedule"]["placebo_days"] = period
    data["analysis"]["analytic_washout_days"] = washout
    randomization = data["randomization"]
    if randomization["scheme"] == "counterbalanced" and cycles > 1:
        randomization["scheme"] = "pairwise"  # counterbalanced is pairwise with one cycle
    if randomization["scheme"] == "fixed" and cycles != protocol.schedule.cycles:
        randomization["sequence"] = randomization["sequence"][:2] * cycles
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        shown = period if period is not None else protocol.schedule.active_days
        where = (
            f"design point cycles={cycles}, period_days={shown}, analytic_washout_days={washout}"
        )
        raise Nof1Error(f"{where}: {'; '.join(validation_problems(exc))}") from None

"""Design grids: every combination a valid protocol, impossible ones named."""

from __future__ import annotations

import pytest

from nof1.errors import Nof1Error
from nof1.power import design_grid
from nof1.protocol import load_protocol

MULTICYCLE = load_protocol("ldn-nof1-multicycle")


def test_grid_varies_cycles_period_and_washout_in_order():
    grid = design_grid(
        MULTICYCLE, cycles=[2, 3], period_days=[21, 42], analytic_washout_days=[0, 7]
    )
    assert [(d.cycles, d.period_days, d.analytic_washout_days) for d in grid] == [
        (c, d, w) for c in (2, 3) for d in (21, 42) for w in (0, 7)
    ]
    last = grid[-1].protocol
    assert last.schedule.active_days == last.schedule.placebo_days == 42
    assert last.total_days == 14 + 3 * 84


def test_no_grid_is_the_protocol_itself():
    (point,) = design_grid(MULTICYCLE)
    assert point.protocol == MULTICYCLE
    assert point.to_dict()["period_days"] == 28


def test_unequal_periods_report_no_common_period_length():
    (point,) = design_grid(load_protocol("ldn-fibromyalgia-2013"))
    assert point.period_days is None and point.label() == "1 cycle x 84/28 d, analytic washout 0 d"


def test_counterbalanced_becomes_pairwise_with_more_cycles():
    grid = design_grid(load_protocol("ldn-fibromyalgia-2013"), cycles=[1, 2])
    assert [d.protocol.randomization.scheme for d in grid] == ["counterbalanced", "pairwise"]


def test_a_fixed_order_repeats_its_first_cycle():
    (point,) = design_grid(load_protocol("ldn-fibromyalgia-2009-pilot"), cycles=[2])
    assert point.protocol.randomization.sequence == ["placebo", "active"] * 2


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        (
            {"period_days": [14]},  # the 14-day titration fills the period
            "design point cycles=3, period_days=14, analytic_washout_days=7: "
            "treatments.active.titration",
        ),
        (
            {"period_days": [21], "analytic_washout_days": [21]},
            "design point cycles=3, period_days=21, analytic_washout_days=21: "
            "analysis.analytic_washout_days: must be fewer than the shortest treatment period",
        ),
    ],
)
def test_impossible_designs_are_errors_naming_the_design_point(grid, message):
    with pytest.raises(Nof1Error, match=message):
        design_grid(MULTICYCLE, **grid)

"""One smallest attainable randomization p: `protocols show`, analyze and power agree.

`protocols show ldn-nof1-multicycle` once said 0.125 (1/8) while analyze reported 0.25:
with equal active and placebo periods the mirror allocation always ties, so two of the
eight allocations reach |T| >= |T_obs| whatever the data (DESIGN.md section 5).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from oracles.kernels import randomization_test
from protocol_variants import vary

from nof1.analysis.randomization import smallest_p
from nof1.cli import main
from nof1.design.allocation import enumerate_allocations
from nof1.design.timeline import included_conditions
from nof1.protocol import load_protocol
from nof1.protocol.summary import summarize

DESIGNS = {
    "multicycle": load_protocol("ldn-nof1-multicycle"),
    "2013": load_protocol("ldn-fibromyalgia-2013"),
    "balanced": vary("ldn-nof1-multicycle", randomization={"scheme": "balanced"}),
    "unequal": vary("ldn-nof1-multicycle", schedule={"placebo_days": 21}),
    "unequal-balanced": vary(
        "ldn-nof1-multicycle", schedule={"placebo_days": 21}, randomization={"scheme": "balanced"}
    ),
}


def _shown(protocol) -> float:
    return float(re.search(r"cannot reach p below ([0-9.e-]+)", summarize(protocol)).group(1))


def test_protocols_show_says_what_analyze_reports_for_the_multicycle_design():
    result = CliRunner().invoke(main, ["protocols", "show", "ldn-nof1-multicycle"])
    assert result.exit_code == 0
    assert "8 possible allocations, so a randomization test cannot reach p below 0.25" in (
        result.output
    )


@pytest.mark.parametrize("name", DESIGNS)
def test_every_allocation_reaches_exactly_the_smallest_p_that_show_states(name):
    protocol = DESIGNS[name]
    reached = set()
    for allocation in enumerate_allocations(protocol):
        effect = randomization_test(protocol, _extreme(protocol, allocation), allocation)
        assert effect.p_value == effect.extra["min_p"]
        reached.add(effect.extra["min_p"])
    assert reached == {smallest_p(protocol)}
    assert _shown(protocol) == pytest.approx(smallest_p(protocol), rel=1e-3)


def _extreme(protocol, allocation) -> np.ndarray:
    """Data equal to the statistic's own weights: T = w . y, so by Cauchy-Schwarz |T_obs|
    beats every allocation whose weights are not +-w, and the smallest p is reached."""
    days = included_conditions(protocol, np.asarray(allocation, bool)[None, :])[0]
    active, placebo = days == 1, days == 0
    return active / active.sum() - placebo / placebo.sum()


def test_equal_periods_halve_the_resolution_and_unequal_periods_do_not():
    assert smallest_p(DESIGNS["multicycle"]) == 2 / 8
    assert smallest_p(DESIGNS["unequal"]) == 1 / 8
    assert smallest_p(DESIGNS["balanced"]) == 2 / 20
    assert smallest_p(DESIGNS["2013"]) == 1 / 2


def test_a_fixed_order_has_no_smallest_p():
    assert smallest_p(load_protocol("ldn-fibromyalgia-2009-pilot")) is None

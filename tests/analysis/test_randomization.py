"""The randomization test of several outcomes at once is each outcome's own test."""

from __future__ import annotations

import numpy as np
import pytest

from nof1.analysis.randomization import randomization_test, randomization_tests
from nof1.design.timeline import included_conditions
from nof1.protocol import load_protocol


@pytest.mark.parametrize("max_exact", [100_000, 4])  # exact, and Monte Carlo
def test_several_outcomes_at_once_equal_one_at_a_time(max_exact):
    p = load_protocol("ldn-nof1-multicycle")
    allocation = [False, True, True, False, False, True]
    rng = np.random.default_rng(3)
    active = included_conditions(p, np.array([allocation]))[0] == 1
    y = rng.normal(50, 10, (4, p.total_days)) - 8 * active
    y[rng.random(y.shape) < 0.1] = np.nan
    y[3, active] = np.nan  # no active day observed: unavailable
    together = randomization_tests(p, y, allocation, -1.0, max_exact=max_exact, seed=5)
    for row, effect in zip(y, together, strict=True):
        one = randomization_test(p, row, allocation, -1.0, max_exact=max_exact, seed=5)
        a, b = effect.to_dict(), one.to_dict()
        if b["estimate"] is not None:
            assert a.pop("estimate") == pytest.approx(b.pop("estimate"), rel=1e-12)
        assert a == b
    assert together[0].extra["exact"] is (max_exact > 8) and together[0].estimate > 0
    assert together[3].reason == "needs observed active and placebo days"


def test_a_fixed_order_gives_a_reason_for_every_outcome():
    p = load_protocol("ldn-fibromyalgia-2009-pilot")
    effects = randomization_tests(p, np.zeros((2, p.total_days)), [False, True])
    assert [e.reason for e in effects] == [
        "the protocol's order is fixed, so there is no randomization to test"
    ] * 2

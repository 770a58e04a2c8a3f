"""The randomization kernel: rows at once equal each row's own test; Monte Carlo agrees with
enumeration; a fixed order and a diary off the timeline say why there is no test."""

from __future__ import annotations

import numpy as np
import pytest
from oracles.randomization import randomization_test
from protocol_variants import vary

from nof1.analysis.randomization import FIXED, Reference
from nof1.analysis.registry import Trials, method
from nof1.design.allocation import sample_allocations
from nof1.design.timeline import included_conditions
from nof1.protocol import load_protocol
from nof1.simulate import simulate_outcomes


def on_timeline(p, y, allocation, reference) -> Trials:
    arm = included_conditions(p, np.asarray(allocation, dtype=bool).reshape(len(y), -1))
    m = len(y)
    day = np.arange(1, p.total_days + 1)
    return Trials(y, day, arm, np.zeros_like(arm, int), -np.ones(m), np.ones(m), 0.05, reference)


@pytest.mark.parametrize("max_exact", [100_000, 4])  # exact, and Monte Carlo
def test_several_rows_at_once_equal_one_at_a_time(max_exact):
    p = load_protocol("ldn-nof1-multicycle")
    allocation = [False, True, True, False, False, True]
    rng = np.random.default_rng(3)
    active = included_conditions(p, np.array([allocation]))[0] == 1
    y = rng.normal(50, 10, (4, p.total_days)) - 8 * active
    y[rng.random(y.shape) < 0.1] = np.nan
    y[3, active] = np.nan  # no active day observed: unavailable
    alloc = np.tile(allocation, (4, 1))
    ref = Reference.build(p, alloc, -1.0, rng=np.random.default_rng(5), max_exact=max_exact)
    est = method("randomization").run(on_timeline(p, y, alloc, ref))
    together = [est.effect(i) for i in range(4)]
    for row, effect in zip(y, together, strict=True):
        one = randomization_test(p, row, allocation, -1.0, max_exact=max_exact, seed=5)
        a, b = effect.to_dict(), one.to_dict()
        if b["estimate"] is not None:
            assert a.pop("estimate") == pytest.approx(b.pop("estimate"), rel=1e-12)
        assert a == b
    assert together[0].extra["exact"] is (max_exact > 8) and together[0].estimate > 0
    assert together[3].reason == "needs observed active and placebo days"


def test_a_fixed_order_gives_a_reason_for_every_row():
    p = load_protocol("ldn-fibromyalgia-2009-pilot")
    ref = Reference.build(p, [[False, True]] * 2)
    est = method("randomization").run(
        on_timeline(p, np.zeros((2, p.total_days)), ref.allocation, ref)
    )
    assert est.reason.tolist() == [FIXED] * 2


def test_monte_carlo_agrees_with_enumeration():
    p = vary(
        "ldn-nof1-multicycle",
        schedule={"cycles": 11, "active_days": 14, "placebo_days": 14},
        treatments={"active": {"label": "LDN", "drug": "naltrexone", "dose_mg": 4.5}},
    )  # 2048 allocations
    rng = np.random.default_rng(3)
    alloc = sample_allocations(p, 30, rng)
    y = simulate_outcomes(p, alloc, -3, 10, 0.5, missing=0.15, outcomes=["pain"], rng=rng)["pain"]
    exact = method("randomization").run(
        on_timeline(p, y, alloc, Reference.build(p, alloc, max_exact=4096))
    )
    ref = Reference.build(p, alloc, rng=np.random.default_rng(0), max_exact=1024, draws=999)
    sampled = method("randomization").run(on_timeline(p, y, alloc, ref))
    assert exact.values["exact"].all() and not sampled.values["exact"].any()
    assert (sampled.values["min_p"] == 1 / 1000).all()
    e, s = exact.values["p_value"], sampled.values["p_value"]
    assert np.all(np.abs(s - e) <= 4 * np.sqrt(e * (1 - e) / 999) + 2 / 1000)


def test_p_value_is_the_share_of_allocations_at_least_as_extreme():
    # With pure signal (no noise) T is -10 and the mirror allocation gives +10: p = 2 / 8.
    p = load_protocol("ldn-nof1-multicycle")
    alloc = np.array([[True, False] * 3])
    y = np.where(included_conditions(p, alloc) == 1, 40.0, 50.0)
    e = method("randomization").run(on_timeline(p, y, alloc, Reference.build(p, alloc))).effect(0)
    assert (e.estimate, e.p_value, e.extra["min_p"]) == (-10.0, 0.25, 0.25)

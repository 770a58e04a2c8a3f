"""Vectorized methods on simulated trials: the same numbers as the per-patient functions."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from protocol_variants import vary

from nof1.analysis.classic import paired_periods, welch_t
from nof1.analysis.nonoverlap import nap
from nof1.analysis.randomization import randomization_test
from nof1.design.allocation import sample_allocations
from nof1.design.timeline import build_timeline, included_conditions
from nof1.power import methods
from nof1.power.engine import _meta_analysis, _Trials
from nof1.protocol import load_protocol
from nof1.series.meta import meta_analysis
from nof1.simulate import simulate_outcomes


def trials(protocol, m=25, seed=3, missing=0.15, effect=-6.0):
    rng = np.random.default_rng(seed)
    alloc = sample_allocations(protocol, m, rng)
    y = simulate_outcomes(
        protocol, alloc, effect, 10, 0.5, missing=missing, outcomes=["pain"], rng=rng
    )["pain"]
    return alloc, y, included_conditions(protocol, alloc)


def as_float(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.fixture(scope="module")
def multicycle():
    p = load_protocol("ldn-nof1-multicycle")
    return (p, *trials(p))


def test_welch_batch_equals_welch_t(multicycle):
    p, alloc, y, conditions = multicycle
    batched = methods.welch_batch(y, conditions, 0.05)
    for i in range(len(y)):
        use = conditions[i] >= 0
        one = welch_t(y[i, use], conditions[i, use] == 1)
        got = [batched.estimate[i], batched.ci_low[i], batched.ci_high[i], batched.p_value[i]]
        assert_allclose(got, [one.estimate, one.ci_low, one.ci_high, one.p_value], rtol=1e-10)


@pytest.mark.parametrize("protocol_id", ["ldn-nof1-multicycle", "unequal"])
def test_paired_periods_batch_equals_paired_periods_over_cycles(protocol_id):
    if protocol_id == "unequal":  # balanced scheme, unequal periods: the pairing must hold
        p = vary(
            "ldn-nof1-multicycle",
            schedule={"active_days": 35, "placebo_days": 21, "washout_days": 3},
            randomization={"scheme": "balanced"},
        )
    else:
        p = load_protocol(protocol_id)
    alloc, y, _ = trials(p, m=15)
    slots = methods.period_slots(p, alloc)
    batched = methods.paired_periods_batch(y, slots, p.schedule.cycles, 0.05)
    for i in range(len(y)):
        table = build_timeline(p, alloc[i])
        table["y"] = y[i]
        means = {}
        for c in ("active", "placebo"):
            rows = table[(table.condition == c) & table.included]
            means[c] = [v["y"].mean() for _, v in rows.groupby("period", sort=True)]
        one = paired_periods(means["active"], means["placebo"])
        got = [batched.estimate[i], batched.ci_low[i], batched.ci_high[i], batched.p_value[i]]
        assert_allclose(got, [one.estimate, one.ci_low, one.ci_high, one.p_value], rtol=1e-10)


def test_paired_periods_batch_is_unavailable_with_one_observed_cycle():
    p = load_protocol("ldn-nof1-multicycle")
    alloc, y, _ = trials(p, m=2, missing=0.0)
    slots = methods.period_slots(p, alloc)
    y[:, (slots[0] >= 0) & (slots[0] % 3 != 0)] = np.nan  # leave cycle 1 only (same slots)
    y[1] = np.nan
    result = methods.paired_periods_batch(y, np.repeat(slots[:1], 2, axis=0), 3, 0.05)
    assert np.isnan(result.estimate).all()


def short_periods(cycles):
    return vary(
        "ldn-nof1-multicycle",
        schedule={"cycles": cycles, "active_days": 14, "placebo_days": 14},
        treatments={"active": {"label": "LDN", "drug": "naltrexone", "dose_mg": 4.5}},
    )


def test_randomization_batch_equals_randomization_test():
    p = load_protocol("ldn-nof1-multicycle")  # 8 allocations, enumerated
    alloc, y, conditions = trials(p, m=12, effect=-10)
    batched, info = methods.randomization_batch(p, y, conditions, np.random.default_rng(0))
    assert info == {"n_allocations": 8, "exact": True, "min_p": 0.25}
    for i in range(len(y)):
        one = randomization_test(p, y[i], alloc[i])
        assert_allclose(batched.estimate[i], one.estimate, rtol=1e-12)
        assert batched.p_value[i] == one.p_value


def test_randomization_batch_monte_carlo_agrees_with_enumeration():
    p = short_periods(11)  # 2048 allocations
    _, y, conditions = trials(p, m=30, effect=-3)
    rng = np.random.default_rng(0)
    exact, info_exact = methods.randomization_batch(p, y, conditions, rng, max_exact=4096)
    sampled, info = methods.randomization_batch(p, y, conditions, rng, draws=999)
    assert info_exact["exact"] and not info["exact"] and info["min_p"] == 1 / 1000
    tolerance = 4 * np.sqrt(exact.p_value * (1 - exact.p_value) / 999) + 2 / 1000
    assert np.all(np.abs(sampled.p_value - exact.p_value) <= tolerance)


def test_randomization_batch_p_value_is_exact_under_a_uniform_allocation():
    # Each allocation of the reference set gives its own T; with pure signal (no noise),
    # the p of a trial is the share of allocations at least as extreme.
    p = load_protocol("ldn-nof1-multicycle")
    alloc = np.array([[True, False] * 3])
    y = np.where(included_conditions(p, alloc)[0] == 1, 40.0, 50.0)[None, :]
    result, info = methods.randomization_batch(
        p, y, included_conditions(p, alloc), np.random.default_rng(0)
    )
    assert result.estimate[0] == -10 and result.p_value[0] == 0.25 and info["min_p"] == 0.25


@pytest.mark.parametrize("better", ["lower", "higher"])
def test_nap_batch_equals_nap(multicycle, better):
    p, alloc, y, conditions = multicycle
    batched = methods.nap_batch(y, conditions, better, 0.05)
    for i in range(len(y)):
        use = conditions[i] >= 0
        one = nap(y[i, use], conditions[i, use] == 1, better)
        got = [batched.estimate[i], batched.ci_low[i], batched.ci_high[i]]
        assert_allclose(got, [one.estimate, one.ci_low, one.ci_high], rtol=1e-9)


@pytest.mark.parametrize("split", [(1.0, 2.0), (5.0, 2.0)], ids=["nap=1", "nap=0"])
def test_nap_batch_interval_at_complete_separation(split):
    y = np.array([[split[0]] * 4 + [split[1]] * 5])
    conditions = np.array([[1] * 4 + [0] * 5])
    batched = methods.nap_batch(y, conditions, "lower", 0.05)
    one = nap(y[0], conditions[0] == 1, "lower")
    got = [batched.estimate[0], batched.ci_low[0], batched.ci_high[0]]
    assert_allclose(got, [one.estimate, one.ci_low, one.ci_high], rtol=1e-9)


def test_pooled_dersimonian_laird_equals_the_series_meta_analysis():
    rng = np.random.default_rng(2)
    est = rng.normal(-5, 3, (4, 6))
    se = rng.uniform(1, 4, (4, 6))
    est[3, :5] = np.nan  # a series with a single usable patient cannot be pooled
    pooled = _meta_analysis(_Trials(est.ravel(), None, None, se.ravel()), 4, 6, -5.0, 0.05)
    for s in range(3):
        one = meta_analysis(est[s], se[s], method="DL")
        assert_allclose(pooled.estimate[s], one.estimate, rtol=1e-10)
        assert pooled.reject[s] == (one.p_value <= 0.05)
        assert pooled.covered[s] == (one.ci_low <= -5 <= one.ci_high)
    assert np.isnan(as_float([pooled.estimate[3]])).all()

"""Every kernel on many rows at once equals the straightforward single-series oracle per row."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from oracles import ar1 as ar1_oracle
from oracles import bayes as bayes_oracle
from oracles import classic as classic_oracle
from oracles import nonoverlap as nap_oracle
from oracles import randomization as randomization_oracle
from protocol_variants import vary

from nof1.analysis.randomization import Reference
from nof1.analysis.registry import Trials, method
from nof1.design.allocation import sample_allocations
from nof1.design.timeline import build_timeline
from nof1.power.trials import simulated_trials
from nof1.protocol import load_protocol
from nof1.simulate import simulate_outcomes

T_KEYS = ("estimate", "se", "df", "ci_low", "ci_high", "p_value")
UNEQUAL = {
    "schedule": {"active_days": 35, "placebo_days": 21, "washout_days": 3},
    "randomization": {"scheme": "balanced"},
}


def simulated(protocol, m=20, seed=3, missing=0.15, effect=-6.0, phi=0.5):
    rng = np.random.default_rng(seed)
    alloc = sample_allocations(protocol, m, rng)
    y = simulate_outcomes(
        protocol, alloc, effect, 10, phi, missing=missing, outcomes=["pain"], rng=rng
    )["pain"]
    trials = simulated_trials(protocol, alloc, y, np.random.default_rng(0))
    # As a patient's analysis: the full reference set and grid, with density curves.
    reference = Reference.build(protocol, alloc)
    return alloc, y, replace(trials, reference=reference, n_grid=Trials.n_grid, density=True)


@pytest.fixture(scope="module", params=["ldn-nof1-multicycle", "unequal"])
def case(request):
    if request.param == "unequal":
        p = vary("ldn-nof1-multicycle", **UNEQUAL)
    else:
        p = load_protocol(request.param)
    return (p, *simulated(p))


def compared(trials, i):
    use = trials.arm[i] >= 0
    return trials.y[i, use], trials.day[use], trials.arm[i, use] == 1


def assert_effects_equal(got, want, keys, rtol):
    assert got.reason == want.reason
    for key in keys:
        a, b = getattr(got, key, None), getattr(want, key, None)
        if key not in T_KEYS:
            a, b = got.extra.get(key), want.extra.get(key)
        if b is None:
            assert a is None, key
        else:
            assert_allclose(a, b, rtol=rtol, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("key", ["gls_ar1", "gls_ar1_trend"])
def test_gls_kernels_equal_the_single_series_fit(case, key):
    _, _, _, trials = case
    est = method(key).run(trials)
    oracle = ar1_oracle.gls_ar1_trend if key == "gls_ar1_trend" else ar1_oracle.gls_ar1
    for i in range(trials.m):
        assert_effects_equal(est.effect(i), oracle(*compared(trials, i)), (*T_KEYS, "phi"), 1e-6)


def test_bayes_kernel_equals_the_single_series_posterior(case):
    _, _, _, trials = case
    est = method("bayes_ar1").run(trials)
    for i in range(0, trials.m, 4):
        want = bayes_oracle.bayes_ar1(*compared(trials, i), better="lower", mcid=10.0)
        got = est.effect(i)
        keys = ("estimate", "se", "ci_low", "ci_high", "p_benefit", "p_mcid", "phi")
        assert_effects_equal(got, want, keys, 1e-9)
        for axis in ("x", "y"):  # the posterior density the report plots
            a, b = got.extra["density"][axis], want.extra["density"][axis]
            assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=axis)


def test_welch_kernel_equals_welch_t(case):
    _, _, _, trials = case
    est = method("welch_t").run(trials)
    for i in range(trials.m):
        y, _, active = compared(trials, i)
        assert_effects_equal(est.effect(i), classic_oracle.welch_t(y, active), T_KEYS, 1e-10)


def test_paired_kernel_equals_the_paired_t_on_period_means(case):
    p, alloc, y, trials = case
    est = method("paired_periods").run(trials)
    for i in range(trials.m):
        table = build_timeline(p, alloc[i])
        table["y"] = y[i]
        means = {}
        for c in ("active", "placebo"):  # per cycle: the mean of the condition's compared days
            rows = table[(table.condition == c) & table.included]
            by_cycle = rows.groupby("cycle")["y"].mean()
            means[c] = [by_cycle.get(k, np.nan) for k in range(1, p.schedule.cycles + 1)]
        want = classic_oracle.paired_periods(means["active"], means["placebo"])
        keys = (*T_KEYS, "cycles_used", "cycles_left_out")
        assert_effects_equal(est.effect(i), want, keys, 1e-10)


@pytest.mark.parametrize("better", [-1.0, 1.0], ids=["lower", "higher"])
def test_nap_kernel_equals_nap(case, better):
    _, _, _, trials = case
    trials = replace(trials, better=np.full(trials.m, better))
    est = method("nap").run(trials)
    for i in range(trials.m):
        y, _, active = compared(trials, i)
        period = trials.period[i, trials.arm[i] >= 0]
        want = nap_oracle.nap(y, active, "lower" if better < 0 else "higher", period=period)
        keys = ("estimate", "se", "df", "ci_low", "ci_high", "interval_reason")
        assert_effects_equal(est.effect(i), want, keys, 1e-9)


def test_randomization_kernel_equals_randomization_test(case):
    p, alloc, y, trials = case
    est = method("randomization").run(trials)
    for i in range(trials.m):
        want = randomization_oracle.randomization_test(p, y[i], alloc[i])
        got = est.effect(i)
        assert_effects_equal(got, want, ("estimate",), 1e-12)
        assert got.p_value == want.p_value and got.extra == want.extra


def test_rows_that_cannot_be_analysed_get_the_oracles_reasons():
    p = load_protocol("ldn-nof1-multicycle")
    _, _, trials = simulated(p, m=4, missing=0.0)
    y = trials.y.copy()
    y[0] = 4.0  # constant
    y[1, trials.arm[1] == 1] = np.nan  # no treated day
    y[2, (trials.arm[2] == 1) & (trials.period[2] > 2)] = np.nan  # one treated period left
    trials = replace(trials, y=y)
    oracles = {
        "gls_ar1": lambda i: ar1_oracle.gls_ar1(*compared(trials, i)),
        "welch_t": lambda i: classic_oracle.welch_t(*compared(trials, i)[::2]),
        "nap": lambda i: nap_oracle.nap(*compared(trials, i)[::2], "lower"),
        "bayes_ar1": lambda i: bayes_oracle.bayes_ar1(*compared(trials, i), "lower", 10.0),
    }
    for key, oracle in oracles.items():
        est = method(key).run(trials)
        for i in range(3):
            assert est.reason[i] == oracle(i).reason, (key, i)
    paired = method("paired_periods").run(trials)
    needs = "needs at least 2 cycles with an observed period of each condition; got"
    assert paired.reason[1] == f"{needs} 0 (3 left out)"
    assert paired.reason[2] == f"{needs} 1 (2 left out)"
    assert paired.reason[3] is None

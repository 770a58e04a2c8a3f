"""Welch and paired-period t-tests against R's t.test and hand calculations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from oracles import classic as classic_oracle
from oracles.kernels import paired_periods, welch_t
from scipy import stats

REFERENCE = Path(__file__).parent.parent / "reference"
EXPECTED = json.loads((REFERENCE / "expected_ar1.json").read_text())["datasets"]
DATASETS = sorted(EXPECTED)
KEYS = ("estimate", "se", "df", "ci_low", "ci_high", "p_value")


@pytest.mark.parametrize("name", DATASETS)
def test_welch_t_matches_r_t_test(name):
    d = pd.read_csv(REFERENCE / "data" / f"{name}.csv")
    # R: t.test(y[treat == 1], y[treat == 0])
    expected = EXPECTED[name]["welch_t"]
    result = welch_t(d.y, d.treat)
    for key in KEYS:
        assert_allclose(getattr(result, key), expected[key], rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", DATASETS)
def test_paired_periods_matches_r_paired_t_test(name):
    # R: t.test(active_means, placebo_means, paired = TRUE), means per cycle via tapply
    expected = EXPECTED[name]["paired_periods"]
    result = paired_periods(expected["active_means"], expected["placebo_means"])
    for key in KEYS:
        assert_allclose(getattr(result, key), expected[key], rtol=1e-6, err_msg=key)


def test_welch_t_by_hand():
    # active 4, 5, 6 (mean 5, var 1); placebo 7, 9, 8 (mean 8, var 1)
    # se = sqrt(1/3 + 1/3); df = (2/3)² / (2 (1/3)² / 2) = 4; t = -3 / sqrt(2/3)
    result = welch_t([4, 5, 6, 7, 9, 8], [1, 1, 1, 0, 0, 0])
    assert result.estimate == -3.0
    assert_allclose(result.se, np.sqrt(2 / 3), rtol=1e-12)
    assert_allclose(result.df, 4.0, rtol=1e-12)
    assert_allclose(result.p_value, 2 * stats.t.sf(3 / np.sqrt(2 / 3), 4), rtol=1e-12)
    half = stats.t.ppf(0.975, 4) * np.sqrt(2 / 3)
    assert_allclose([result.ci_low, result.ci_high], [-3 - half, -3 + half], rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), alpha=st.sampled_from([0.01, 0.05, 0.2]))
def test_welch_t_agrees_with_scipy_and_its_interval_has_level_one_minus_alpha(seed, alpha):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=20) * np.resize([1, 3], 20)
    active = np.resize([1, 0, 0, 1, 1], 20)
    result = welch_t(y, active, alpha=alpha)
    reference = stats.ttest_ind(y[active == 1], y[active == 0], equal_var=False)
    assert_allclose(result.p_value, reference.pvalue, rtol=1e-9)
    # The interval excludes 0 exactly when p < alpha.
    assert (result.ci_low > 0 or result.ci_high < 0) == (result.p_value < alpha)


def test_paired_periods_by_hand():
    # differences -2, -3, -3: mean -8/3, sd sqrt(1/3), se sqrt(1/3)/sqrt(3) = 1/3
    result = paired_periods([3.0, 4.0, 2.0], [5.0, 7.0, 5.0])
    assert_allclose(result.estimate, -8 / 3, rtol=1e-12)
    assert_allclose(result.se, 1 / 3, rtol=1e-12)
    assert result.df == 2.0
    assert_allclose(result.p_value, 2 * stats.t.sf(8, 2), rtol=1e-12)


def test_paired_periods_oracle_drops_cycles_with_a_missing_period():
    full = classic_oracle.paired_periods([3.0, 4.0, 2.0], [5.0, 7.0, 5.0])
    with_gap = classic_oracle.paired_periods([3.0, np.nan, 4.0, 2.0], [5.0, 6.0, 7.0, 5.0])
    assert with_gap.to_dict() == full.to_dict() | {"cycles_left_out": 1}


def test_paired_periods_leaves_out_a_cycle_without_an_observed_treated_period():
    # Cycle 2's treated period has no observed day: cycle 2 is left out, and each remaining
    # treated period pairs with the control period of its own cycle (DESIGN.md section 5).
    with_gap = paired_periods([3.0, np.nan, 4.0, 2.0], [5.0, 6.0, 7.0, 5.0])
    paired = classic_oracle.paired_periods([3.0, 4.0, 2.0], [5.0, 7.0, 5.0])
    assert with_gap.reason is paired.reason is None
    for key in ("estimate", "se", "df", "ci_low", "ci_high", "p_value"):
        assert getattr(with_gap, key) == pytest.approx(getattr(paired, key), rel=1e-12)
    assert with_gap.extra == {"cycles_used": 3, "cycles_left_out": 1}


@pytest.mark.parametrize(
    ("active_means", "placebo_means", "fragment"),
    [
        ([3.0], [5.0], "got 1"),
        ([3.0, np.nan], [5.0, 4.0], "got 1"),
        ([3.0, 4.0], [5.0, 6.0], "same in every cycle"),
    ],
)
def test_paired_periods_returns_a_reason_with_too_few_cycles(active_means, placebo_means, fragment):
    result = paired_periods(active_means, placebo_means)
    assert result.estimate is None and fragment in result.reason


@pytest.mark.parametrize(
    ("y", "active", "fragment"),
    [
        ([1.0, 2, 3, 4], [1, 0, 0, 0], "got 1 active and 3 placebo"),
        ([2.0, 2, 5, 5], [1, 1, 0, 0], "constant"),
        ([1.0, np.nan, 3, 4], [1, 1, 0, 0], "got 1 active"),
    ],
)
def test_welch_t_returns_a_reason_instead_of_raising(y, active, fragment):
    result = welch_t(y, active)
    assert result.estimate is None and fragment in result.reason


def test_results_use_the_contract_keys_and_plain_floats():
    out = welch_t([4, 5, 6, 7, 9, 8], [1, 1, 1, 0, 0, 0]).to_dict()
    assert set(out) == {*KEYS, "reason"}
    assert all(type(out[k]) is float for k in KEYS)


def _cycles_trials(y, arm, cycle):
    """One row of hand-built days: y, arm (1 treated, 0 control) and cycle per day."""
    from nof1.analysis.registry import Trials

    arm = np.asarray([arm], dtype=np.int8)
    cycle = np.asarray([cycle])
    return Trials(
        np.asarray([y], dtype=float),
        np.arange(1, arm.size + 1),
        arm,
        cycle * 2 - arm,
        np.array([-1.0]),
        np.array([10.0]),
        0.05,
        cycle=cycle,
    )


def test_paired_periods_equals_scipy_ttest_rel_on_hand_built_cycles():
    # 4 cycles of 3 days per period, the order within each cycle varying; cycle 3's control
    # period has no observed day, so it is left out.
    from nof1.analysis.classic import paired_periods as kernel

    y = [5, 6, 4, 8, 9, 7, 9, 8, 7, 4, 5, 3, 2, 3, 4, np.nan, np.nan, np.nan, 6, 5, 7, 9, 8, 8]
    arm = [1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]
    cycle = [1] * 6 + [2] * 6 + [3] * 6 + [4] * 6
    est = kernel(_cycles_trials(y, arm, cycle)).effect(0)
    treated, control = [5.0, 4.0, 6.0], [8.0, 8.0, 25 / 3]  # cycles 1, 2 and 4
    want = stats.ttest_rel(treated, control)
    assert est.estimate == pytest.approx(np.mean(np.subtract(treated, control)), rel=1e-12)
    assert est.p_value == pytest.approx(want.pvalue, rel=1e-10)
    assert est.estimate / est.se == pytest.approx(want.statistic, rel=1e-10)
    assert est.df == 2 and est.extra == {"cycles_used": 3, "cycles_left_out": 1}
    low, high = want.confidence_interval(0.95)
    assert [est.ci_low, est.ci_high] == pytest.approx([low, high], rel=1e-10)


def test_paired_periods_is_null_when_no_cycle_holds_both_conditions_twice():
    # A balanced scheme's A A P P P A: cycles (A, A), (P, P), (P, A): one complete cycle.
    from nof1.analysis.classic import paired_periods as kernel

    arm = [1] * 4 + [0] * 4 + [0] * 2 + [1] * 2
    cycle = [1] * 4 + [2] * 4 + [3] * 4
    y = [3.0, 4, 5, 4, 7, 8, 6, 7, 5, 6, 3, 2]
    out = kernel(_cycles_trials(y, arm, cycle))
    assert out.values["cycles_used"][0] == 1 and out.values["cycles_left_out"][0] == 2
    assert out.effect(0).estimate is None
    assert out.reason[0].endswith("got 1 (2 left out)")

"""NAP: hand calculations, orientation, ties and the Newcombe (2006) method-5 interval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from oracles import nonoverlap as nap_oracle
from oracles.kernels import nap
from scipy import stats

from nof1.analysis.nonoverlap import newcombe_interval

REFERENCE = Path(__file__).parent.parent / "reference"
EXPECTED = json.loads((REFERENCE / "expected_ar1.json").read_text())["datasets"]


def test_nap_by_hand_with_ties_counting_half():
    # active 2, 3, 5 vs placebo 4, 6, 5 (lower is better), 9 pairs:
    #   2 beats 4, 6, 5 -> 3;  3 beats all -> 3;  5 beats 6, ties 5, loses to 4 -> 1.5
    result = nap([2, 3, 5, 4, 6, 5], [1, 1, 1, 0, 0, 0], better="lower")
    assert result.estimate == pytest.approx(7.5 / 9, rel=1e-15)


def test_parker_vannest_2009_example():
    # Parker & Vannest (2009): baseline A and treatment B, higher is better; B wins 104 of the
    # 110 pairs with 4 ties: NAP = (104 + 4/2) / 110 = 0.9636...
    a = [4, 3, 4, 3, 4, 7, 5, 2, 3, 2]
    b = [5, 9, 7, 9, 7, 5, 9, 11, 11, 10, 9]
    result = nap(a + b, [0] * 10 + [1] * 11, better="higher")
    assert result.estimate == pytest.approx(106 / 110, rel=1e-15)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_nap_and_newcombe_interval_match_r(name):
    d = pd.read_csv(REFERENCE / "data" / f"{name}.csv")
    # R: SingleCaseES::NAP(A_data = placebo, B_data = active, improvement = "decrease"),
    #    computed in ar1_reference.R with the same uniroot as SingleCaseES::calc_NAP
    expected = EXPECTED[name]["nap"]
    result = nap(d.y, d.treat, better="lower")
    assert_allclose(result.estimate, expected["estimate"], rtol=1e-6)
    n_a, n_p = int((d.treat == 1).sum()), int((d.treat == 0).sum())
    low, high = newcombe_interval(np.array([result.estimate]), n_p, n_a, 0.05)
    assert_allclose([low[0], high[0]], [expected["ci_low"], expected["ci_high"]], rtol=1e-6)


def test_newcombe_interval_endpoints_solve_the_score_equation():
    y = [1, 4, 2, 6, 3, 5, 7, 2, 8]
    active = [1, 0, 1, 0, 1, 1, 0, 1, 0]
    result = nap(y, active, better="lower", alpha=0.1)
    m, n = 4, 5  # placebo, active
    z = stats.norm.ppf(0.95)
    low, high = newcombe_interval(np.array([result.estimate]), m, n, 0.1)
    for theta in (low[0], high[0]):
        shape = 1 + ((m + n) / 2 - 1) * ((1 - theta) / (2 - theta) + theta / (1 + theta))
        variance = theta * (1 - theta) / (m * n) * shape
        assert_allclose((result.estimate - theta) ** 2, z**2 * variance, rtol=1e-9)


@settings(max_examples=50, deadline=None)
@given(
    a=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    p=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    better=st.sampled_from(["lower", "higher"]),
)
def test_nap_equals_the_brute_force_share_of_pairs(a, p, better):
    sign = 1 if better == "lower" else -1
    wins = [(sign * x < sign * z) + 0.5 * (x == z) for x in a for z in p]
    period = list(range(1, len(a) + len(p) + 1))  # every day its own period
    result = nap(a + p, [1] * len(a) + [0] * len(p), better=better, period=period)
    assert result.estimate == pytest.approx(np.mean(wins), abs=1e-12)
    if min(len(a), len(p)) >= 2:
        assert 0 <= result.ci_low <= result.estimate <= result.ci_high <= 1
    else:
        assert result.ci_low is None and "no interval" in result.extra["interval_reason"]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_flipping_direction_gives_one_minus_nap(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, size=15).astype(float)
    active = np.resize([1, 0, 1], 15)
    period = np.arange(15) // 3 + 1
    lower, higher = nap(y, active, "lower", period=period), nap(y, active, "higher", period=period)
    assert_allclose(higher.estimate, 1 - lower.estimate, atol=1e-12)
    assert_allclose(
        [higher.ci_low, higher.ci_high], [1 - lower.ci_high, 1 - lower.ci_low], atol=1e-9
    )


def test_complete_non_overlap_keeps_a_proper_lower_limit():
    # SingleCaseES's uniroot(f, c(0, 1)) stops at f(1) = 0 and reports [1, 1]; the lower
    # limit is the interior root. R, with f as in ar1_reference.R, m = n = 3, NAP = 1:
    #   uniroot(function(x) f(x) / (1 - x), c(0, 0.999999), tol = 1e-12)$root  # 0.5010188
    # Every leave-one-period-out NAP is 1 too, so the hull with Newcombe's interval gives it.
    period = [1, 3, 5, 2, 4, 6]
    result = nap([1, 2, 3, 7, 8, 9], [1, 1, 1, 0, 0, 0], better="lower", period=period)
    assert result.estimate == 1.0 and result.ci_high == 1.0 and result.se == 0
    assert_allclose(result.ci_low, 0.5010188, rtol=1e-6)


def test_nap_is_unavailable_without_days_in_a_condition():
    result = nap([1.0, 2, np.nan], [1, 1, 0], better="lower")
    assert result.estimate is None
    assert result.reason.endswith("got 2 active and 0 placebo")
    assert result.to_dict() == {
        "estimate": None,
        "se": None,
        "df": None,
        "ci_low": None,
        "ci_high": None,
        "interval_reason": None,
        "reason": result.reason,
    }


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    periods=st.integers(2, 6),
    better=st.sampled_from(["lower", "higher"]),
)
def test_nap_kernel_equals_the_brute_force_period_jackknife(seed, periods, better):
    # The kernel's leave-one-period-out NAPs from period totals, against every pair
    # recomputed for every period left out (the oracle), with ties and missing days.
    rng = np.random.default_rng(seed)
    n = 8 * periods
    period = np.repeat(np.arange(1, periods + 1), 8)
    active = (period % 2 == 1).astype(int)
    y = rng.integers(0, 9, size=n).astype(float)
    y[rng.random(n) < 0.2] = np.nan
    got = nap(y, active, better, period=period)
    want = nap_oracle.nap(y, active, better, period=period)
    assert got.reason == want.reason
    assert got.extra.get("interval_reason") == want.extra.get("interval_reason")
    for key in ("estimate", "se", "df", "ci_low", "ci_high"):
        a, b = getattr(got, key), getattr(want, key)
        assert (a is None) == (b is None), key
        if b is not None:
            assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=key)


def test_one_period_per_condition_gives_the_estimate_without_an_interval():
    result = nap([1.0, 2, 3, 4, 5, 6], [1, 1, 1, 0, 0, 0], "lower", period=[1, 1, 1, 2, 2, 2])
    assert result.estimate == 1.0 and result.reason is None
    assert result.ci_low is None and result.ci_high is None
    assert result.extra["interval_reason"].endswith(
        "periods of each condition with observed days; got 1 and 1"
    )
    assert "active" not in result.extra["interval_reason"]  # not reworded: no arm names

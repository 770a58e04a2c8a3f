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
from oracles.kernels import nap
from scipy import stats

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
    for key in ("estimate", "ci_low", "ci_high"):
        assert_allclose(getattr(result, key), expected[key], rtol=1e-6, err_msg=key)


def test_newcombe_interval_endpoints_solve_the_score_equation():
    y = [1, 4, 2, 6, 3, 5, 7, 2, 8]
    active = [1, 0, 1, 0, 1, 1, 0, 1, 0]
    result = nap(y, active, better="lower", alpha=0.1)
    m, n = 4, 5  # placebo, active
    z = stats.norm.ppf(0.95)
    for theta in (result.ci_low, result.ci_high):
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
    result = nap(a + p, [1] * len(a) + [0] * len(p), better=better)
    assert result.estimate == pytest.approx(np.mean(wins), abs=1e-12)
    assert 0 <= result.ci_low <= result.estimate <= result.ci_high <= 1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_flipping_direction_gives_one_minus_nap(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, size=15).astype(float)
    active = np.resize([1, 0, 1], 15)
    lower, higher = nap(y, active, "lower"), nap(y, active, "higher")
    assert_allclose(higher.estimate, 1 - lower.estimate, atol=1e-12)
    assert_allclose(
        [higher.ci_low, higher.ci_high], [1 - lower.ci_high, 1 - lower.ci_low], atol=1e-9
    )


def test_complete_non_overlap_keeps_a_proper_lower_limit():
    # SingleCaseES's uniroot(f, c(0, 1)) stops at f(1) = 0 and reports [1, 1]; the lower
    # limit is the interior root. R, with f as in ar1_reference.R, m = n = 3, NAP = 1:
    #   uniroot(function(x) f(x) / (1 - x), c(0, 0.999999), tol = 1e-12)$root  # 0.5010188
    result = nap([1, 2, 3, 7, 8, 9], [1, 1, 1, 0, 0, 0], better="lower")
    assert result.estimate == 1.0 and result.ci_high == 1.0
    assert_allclose(result.ci_low, 0.5010188, rtol=1e-6)


def test_nap_is_unavailable_without_days_in_a_condition():
    result = nap([1.0, 2, np.nan], [1, 1, 0], better="lower")
    assert result.estimate is None
    assert result.reason.endswith("got 2 active and 0 placebo")
    assert result.to_dict() == {
        "estimate": None,
        "ci_low": None,
        "ci_high": None,
        "reason": result.reason,
    }

"""GLS with AR(1) errors: agreement with R nlme, with dense-matrix GLS, and its edge cases.

Expected values come from tests/reference/ar1_reference.R (run with R 4.2.2, nlme 3.1-162);
each block of tests/reference/expected_ar1.json carries the exact R call that produced it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from oracles.ar1 import fit_gls_ar1, profile_reml
from oracles.kernels import gls_ar1, gls_ar1_trend

from nof1.analysis.ar1_batch import Ar1Batch

REFERENCE = Path(__file__).parent.parent / "reference"
EXPECTED = json.loads((REFERENCE / "expected_ar1.json").read_text())["datasets"]
DATASETS = sorted(EXPECTED)


def diary(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / f"{name}.csv")


def dense_gls(y, X, day, phi):
    """Textbook GLS/REML with the full n x n correlation matrix (the thing we avoid)."""
    day = np.asarray(day, dtype=int)
    R = float(phi) ** np.abs(day[:, None] - day[None, :])
    R_inv = np.linalg.inv(R)
    A = X.T @ R_inv @ X
    beta = np.linalg.solve(A, X.T @ R_inv @ y)
    r = y - X @ beta
    rss = r @ R_inv @ r
    n, p = X.shape
    loglik = -0.5 * (
        (n - p) * (np.log(2 * np.pi) + 1 + np.log(rss / (n - p)))
        + np.linalg.slogdet(R)[1]
        + np.linalg.slogdet(A)[1]
    )
    return beta, rss / (n - p) * np.linalg.inv(A), loglik


# --- agreement with R ------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_gls_ar1_matches_nlme_gls_reml(name):
    d = diary(name)
    # R: nlme::gls(y ~ treat, data = d, correlation = corAR1(form = ~ day), method = "REML")
    expected = EXPECTED[name]["gls_ar1"]
    result = gls_ar1(d.y, d.day, d.treat)
    assert result.reason is None
    assert result.df == expected["df"]
    for key in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert_allclose(getattr(result, key), expected[key], rtol=1e-4, err_msg=key)
    # R: coef(g$modelStruct$corStruct, unconstrained = FALSE)
    assert_allclose(result.extra["phi"], expected["phi"], rtol=1e-4)


@pytest.mark.parametrize("name", DATASETS)
def test_gls_ar1_trend_matches_nlme_gls_with_day_term(name):
    d = diary(name)
    # R: nlme::gls(y ~ treat + day, data = d, correlation = corAR1(form = ~ day), method = "REML")
    expected = EXPECTED[name]["gls_ar1_trend"]
    result = gls_ar1_trend(d.y, d.day, d.treat)
    assert result.df == expected["df"]
    for key in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert_allclose(getattr(result, key), expected[key], rtol=1e-4, err_msg=key)
    assert_allclose(result.extra["phi"], expected["phi"], rtol=1e-4)


@pytest.mark.parametrize("name", DATASETS)
def test_fit_reports_nlme_coefficients_sigma_and_loglik(name):
    d = diary(name)
    # R: g <- nlme::gls(y ~ treat, ...); coef(g); g$sigma; logLik(g)
    expected = EXPECTED[name]["gls_ar1"]
    X = np.column_stack([np.ones(len(d)), d.treat])
    fit = fit_gls_ar1(d.y, X, d.day)
    assert_allclose(fit.coef, expected["coef"], rtol=1e-6)
    assert_allclose(np.sqrt(fit.sigma2), expected["sigma"], rtol=1e-6)
    assert_allclose(fit.loglik, expected["loglik"], rtol=1e-10)
    # The kernels' fit (one row): the same treatment coefficient, sigma and REML optimum.
    batch = Ar1Batch(d.y.to_numpy()[None, :], d.day, d.treat).fit()
    assert_allclose(batch.estimate[0], expected["coef"][1], rtol=1e-6)
    assert_allclose(np.sqrt(batch.sigma2[0]), expected["sigma"], rtol=1e-6)
    assert_allclose(batch.loglik[0], expected["loglik"], rtol=1e-10)


@pytest.mark.parametrize("name", DATASETS)
def test_reml_loglik_equals_nlme_loglik_at_fixed_phi_with_no_offset(name):
    d = diary(name)
    # R: logLik(nlme::gls(y ~ treat, data = d, method = "REML",
    #                     correlation = corAR1(phi, form = ~ day, fixed = TRUE)))
    profile = EXPECTED[name]["profile"]
    X = np.column_stack([np.ones(len(d)), d.treat])
    phis = [entry["phi"] for entry in profile]
    assert_allclose(profile_reml(d.y, X, d.day, phis), [e["loglik"] for e in profile], rtol=1e-10)
    batch = Ar1Batch(d.y.to_numpy()[None, :], d.day, d.treat).profile(phis)
    assert_allclose(batch.loglik[0], [e["loglik"] for e in profile], rtol=1e-10)


@pytest.mark.parametrize("name", DATASETS)
def test_dense_gls_reproduces_nlme_at_fixed_phi(name):
    # Guards the reference itself: corAR1(form = ~ day) with gaps is phi^|lag| in nlme.
    d = diary(name)
    X = np.column_stack([np.ones(len(d)), d.treat])
    for entry in EXPECTED[name]["profile"]:
        # R: coef(g); sqrt(diag(vcov(g))) for the fixed-phi fit above
        beta, cov, loglik = dense_gls(d.y.to_numpy(), X, d.day, entry["phi"])
        assert_allclose(beta, entry["coef"], rtol=1e-8)
        assert_allclose(np.sqrt(np.diag(cov)), entry["se"], rtol=1e-8)
        assert_allclose(loglik, entry["loglik"], rtol=1e-10)


# --- whitening equals dense GLS --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(6, 25),
    phi=st.floats(-0.95, 0.95),
    trend=st.booleans(),
)
def test_whitened_reml_equals_dense_matrix_reml_with_gaps_and_negative_phi(seed, n, phi, trend):
    rng = np.random.default_rng(seed)
    day = np.cumsum(rng.integers(1, 5, size=n))  # gaps of 1 to 4 days
    active = np.resize([0, 0, 1, 1], n)
    y = rng.normal(size=n)
    X = np.column_stack([np.ones(n), active, day][: 3 if trend else 2])
    _, _, dense_loglik = dense_gls(y, X, day, phi)
    assert_allclose(profile_reml(y, X, day, [phi])[0], dense_loglik, rtol=1e-9)
    kernel = Ar1Batch(y[None, :], day, active, trend=trend).profile([phi]).loglik[0, 0]
    assert_allclose(kernel, dense_loglik, rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(8, 30))
def test_fit_matches_dense_gls_at_its_phi_and_that_phi_is_the_global_maximum(seed, n):
    rng = np.random.default_rng(seed)
    day = np.cumsum(rng.integers(1, 4, size=n))
    X = np.column_stack([np.ones(n), np.resize([1, 1, 0, 0, 0, 1], n)])
    y = rng.normal(size=n) + 0.1 * day
    fit = fit_gls_ar1(y, X, day)
    beta, cov, loglik = dense_gls(y, X, day, fit.phi)
    assert_allclose(fit.coef, beta, rtol=1e-8, atol=1e-10)
    assert_allclose(fit.cov, cov, rtol=1e-8, atol=1e-12)
    grid = np.tanh(np.linspace(-5.9, 5.9, 2001))
    assert fit.loglik >= profile_reml(y, X, day, grid).max() - 1e-9


@pytest.mark.parametrize("seed, n", [(75672352, 12)])  # found by the test above
def test_of_two_nearly_equal_peaks_the_higher_is_taken(seed, n):
    # A profile with a peak at phi = -0.83 and a slightly lower plateau at the bound, which
    # the coarse grid ranks first; the batch fit and the oracle both refine the two.
    rng = np.random.default_rng(seed)
    day = np.cumsum(rng.integers(1, 4, size=n))
    active = np.resize([1, 1, 0, 0, 0, 1], n)
    y = rng.normal(size=n) + 0.1 * day
    X = np.column_stack([np.ones(n), active])
    best = profile_reml(y, X, day, np.tanh(np.linspace(-5.9, 5.9, 2001))).max()
    batch = Ar1Batch(y[None, :], day, active).fit()
    oracle = fit_gls_ar1(y, X, day)
    assert batch.loglik[0] >= best - 1e-9 and oracle.loglik >= best - 1e-9
    assert batch.phi[0] == pytest.approx(oracle.phi, abs=1e-7) and batch.phi[0] < -0.8
    assert batch.estimate[0] == pytest.approx(oracle.coef[1], rel=1e-7)


def test_profile_reml_is_vectorised_over_phi():
    rng = np.random.default_rng(1)
    day = np.array([1, 2, 3, 5, 6, 9, 10, 11, 14, 15])
    X = np.column_stack([np.ones(10), np.resize([0, 1], 10)])
    y = rng.normal(size=10)
    phis = np.linspace(-0.9, 0.9, 7)
    together = profile_reml(y, X, day, phis)
    one_by_one = [profile_reml(y, X, day, [phi])[0] for phi in phis]
    assert together.shape == (7,)
    assert_allclose(together, one_by_one, rtol=1e-12)


# --- behaviour -------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_swapping_labels_negates_the_effect_and_keeps_its_uncertainty(seed):
    # A blinded analysis (A/B) is the unblinded one with the labels possibly swapped.
    rng = np.random.default_rng(seed)
    day = np.cumsum(rng.integers(1, 3, size=24))
    active = np.resize(np.repeat([1, 0], 4), 24)
    y = 50 - 3 * active + rng.normal(0, 5, 24)
    straight, swapped = gls_ar1(y, day, active), gls_ar1(y, day, 1 - active)
    assert_allclose(swapped.estimate, -straight.estimate, rtol=1e-6)
    assert_allclose(swapped.se, straight.se, rtol=1e-6)
    assert_allclose(swapped.p_value, straight.p_value, rtol=1e-5)
    assert_allclose(swapped.extra["phi"], straight.extra["phi"], atol=1e-7)


def test_row_order_and_missing_days_do_not_change_the_fit():
    d = diary("negative_phi")
    base = gls_ar1(d.y, d.day, d.treat)
    shuffled = d.sample(frac=1, random_state=3)
    with_gaps = pd.concat([d, pd.DataFrame({"day": [200, 201], "treat": [0, 1], "y": np.nan})])
    for other in (shuffled, with_gaps):
        result = gls_ar1(other.y, other.day, other.treat)
        assert_allclose(result.estimate, base.estimate, rtol=1e-9)
        assert_allclose(result.extra["phi"], base.extra["phi"], rtol=1e-9)


def test_negative_autocorrelation_is_recovered_on_a_long_series():
    rng = np.random.default_rng(7)
    n, phi = 3000, -0.5
    e = np.empty(n)
    e[0] = rng.normal()
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal() * np.sqrt(1 - phi**2)
    keep = rng.random(n) > 0.2  # missing days: lags of 2 carry phi^2 > 0
    day = np.arange(n)[keep]
    active = (day // 10) % 2
    result = gls_ar1(2 * active + e[keep], day, active)
    assert abs(result.extra["phi"] - phi) < 0.05
    assert result.ci_low < 2 < result.ci_high


def test_random_walk_pushes_phi_to_the_bound_without_failing():
    rng = np.random.default_rng(5)
    y = np.cumsum(rng.normal(size=120))
    day = np.arange(120)
    result = gls_ar1(y, day, (day // 15) % 2)
    assert result.reason is None
    assert 0.95 < result.extra["phi"] < 1
    assert np.isfinite([result.estimate, result.se, result.p_value]).all()


def test_to_dict_has_exactly_the_results_json_keys_as_plain_floats():
    d = diary("trend")
    out = gls_ar1_trend(d.y, d.day, d.treat).to_dict()
    assert set(out) == {"estimate", "se", "df", "ci_low", "ci_high", "p_value", "phi", "reason"}
    assert all(type(out[k]) is float for k in out if k != "reason")
    assert out["reason"] is None


@pytest.mark.parametrize(
    ("y", "day", "active", "fragment"),
    [
        ([5, 6, 3, 4, 5], [1, 2, 3, 4, 5], [0, 0, 1, 0, 0], "got 1 active and 4 placebo"),
        ([5, 6, 3, 4], [1, 2, 3, 4], [0, 0, 1, 1], "needs at least 5 observed days"),
        ([4.0] * 8, range(8), [0, 0, 1, 1] * 2, "constant"),
        ([1, 1, 3, 3, 1, 1, 3, 3], range(8), [0, 0, 1, 1] * 2, "fits the data exactly"),
        ([np.nan, 6, 3, np.nan, 5, 6], range(6), [1, 0, 1, 1, 0, 0], "got 1 active"),
    ],
)
def test_gls_ar1_returns_a_reason_instead_of_raising_when_it_cannot_run(y, day, active, fragment):
    trend = fragment == "needs at least 5 observed days"
    result = (gls_ar1_trend if trend else gls_ar1)(y, day, active)
    assert result.estimate is None and result.se is None and result.extra == {}
    assert fragment in result.reason
    assert result.to_dict()["phi"] is None


@pytest.mark.parametrize(
    ("day", "active", "message"),
    [
        ([1, 2, 2, 3, 4, 5], [0, 0, 1, 1, 0, 1], "unique"),
        ([1, 2, 3.5, 4, 5, 6], [0, 0, 1, 1, 0, 1], "whole numbers"),
        ([1, 2, 3, 4, 5], [0, 0, 1, 1, 0], "equal length"),
        ([1, 2, 3, 4, 5, 6], [0, 0, 2, 1, 0, 1], "0/1"),
    ],
)
def test_malformed_input_raises_value_error_naming_the_problem(day, active, message):
    with pytest.raises(ValueError, match=message):
        gls_ar1([5.0, 6, 3, 2, 6, 4], day, active)

"""The AR(1) fit behind the gls_ar1 and bayes_ar1 kernels: the numbers of the single-series
oracles (tests/oracles) on series with phi from -0.6 to 0.95, gaps and excluded blocks."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from oracles.ar1 import fit_gls_ar1, gls_ar1, gls_ar1_trend, profile_reml
from oracles.bayes import bayes_ar1
from scipy.signal import lfilter

from nof1.analysis.ar1_batch import Ar1Batch
from nof1.analysis.bayes_batch import posterior_ar1_batch
from nof1.analysis.registry import Trials, method


def fit_ar1_batch(Y, day, treat, trend=False, alpha=0.05):
    return Ar1Batch(Y, day, treat, trend).fit(alpha)


def field_of(fit, i, key):
    return getattr(fit, key)[i]


def rows(Y, day, treat, better=-1.0, mcid=2.0) -> Trials:
    """Every row of Y compared (treat 1 / 0), NaN = no value."""
    arm = np.broadcast_to(np.asarray(treat, dtype=np.int8), Y.shape)
    m = len(Y)
    return Trials(Y, day, arm, np.zeros(Y.shape, int), np.full(m, better), np.full(m, mcid), 0.05)


PHIS = [-0.6, -0.2, 0.0, 0.3, 0.6, 0.9, 0.95]
KEYS = ("estimate", "se", "df", "ci_low", "ci_high", "p_value")


@pytest.fixture(scope="module")
def series():
    """AR(1) series with every phi in PHIS, random missing days and a 7-day block excluded."""
    rng = np.random.default_rng(11)
    n = 120
    day = np.arange(1, n + 1)
    treat = ((day - 1) // 14 % 2).astype(float)
    phis = np.repeat(PHIS, 4)
    noise = np.array([lfilter([1], [1, -p], rng.normal(size=n) * np.sqrt(1 - p * p)) for p in phis])
    Y = 50 - 3 * treat + 5 * noise + 0.02 * day
    Y[rng.random(Y.shape) < 0.15] = np.nan
    Y[:, 30:37] = np.nan
    return Y, day, treat


@pytest.mark.parametrize("trend", [False, True], ids=["gls_ar1", "gls_ar1_trend"])
def test_batched_fit_equals_the_single_series_fit(series, trend):
    Y, day, treat = series
    fit = fit_ar1_batch(Y, day, treat, trend=trend)
    single = gls_ar1_trend if trend else gls_ar1
    for i in range(len(Y)):
        one = single(Y[i], day, treat)
        for key in KEYS:
            assert_allclose(field_of(fit, i, key), getattr(one, key), rtol=1e-6, err_msg=key)
        assert_allclose(fit.phi[i], one.extra["phi"], rtol=1e-6, atol=1e-9)


def test_batched_fit_recovers_strong_positive_and_negative_autocorrelation(series):
    # The data were made with phi from -0.6 to 0.95: the REML estimates must span them.
    fit = fit_ar1_batch(*series)
    assert fit.phi.min() < -0.4 and fit.phi.max() > 0.85


def test_batched_fit_reports_sigma2_and_loglik_of_fit_gls_ar1(series):
    Y, day, treat = series
    fit = fit_ar1_batch(Y, day, treat)
    for i in (0, 20, 27):
        keep = ~np.isnan(Y[i])
        X = np.column_stack([np.ones(keep.sum()), treat[keep]])
        one = fit_gls_ar1(Y[i, keep], X, day[keep])
        assert_allclose([fit.sigma2[i], fit.loglik[i]], [one.sigma2, one.loglik], rtol=1e-8)


def test_profile_equals_profile_reml_at_any_phi(series):
    Y, day, treat = series
    phis = np.array([-0.99, -0.5, 0.0, 0.5, 0.99, 0.99999])
    profile = Ar1Batch(Y, day, treat).profile(phis)
    for i in (0, 13, 26):
        keep = ~np.isnan(Y[i])
        X = np.column_stack([np.ones(keep.sum()), treat[keep]])
        expected = profile_reml(Y[i, keep], X, day[keep], phis)
        assert_allclose(profile.loglik[i], expected, rtol=1e-10)


def test_per_series_phi_grids_give_the_same_profile_as_a_common_grid(series):
    batch = Ar1Batch(*series)
    phis = np.linspace(-0.9, 0.9, 7)
    common = batch.profile(phis)
    each = batch.profile(np.tile(phis, (len(series[0]), 1)))
    for a, b in zip(common, each, strict=True):
        assert_allclose(a, b, rtol=1e-12)


def test_bayes_kernel_equals_bayes_ar1(series):
    # Same coarse pass and per-series grid as the oracle: agreement to rounding (1e-9);
    # only the interval's root finder differs (Halley here, Brent there, both to 1e-12).
    Y, day, treat = series
    est = method("bayes_ar1").run(rows(Y, day, treat))
    batched = [est.effect(i) for i in range(len(Y))]
    for i in range(0, len(Y), 3):
        one = bayes_ar1(Y[i], day, treat, better="lower", mcid=2.0)
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert_allclose(getattr(batched[i], key), getattr(one, key), rtol=1e-9, err_msg=key)
        for key in ("p_benefit", "p_mcid", "phi"):
            assert_allclose(batched[i].extra[key], one.extra[key], rtol=1e-9, atol=1e-12)
        for key in ("x", "y"):  # the posterior density the report plots
            got, want = batched[i].extra["density"][key], one.extra["density"][key]
            assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=key)


def test_bayes_kernel_for_a_higher_is_better_outcome(series):
    Y, day, treat = series
    est = method("bayes_ar1").run(rows(-Y[:3], day, treat, better=1.0, mcid=1.0))
    batched = [est.effect(i) for i in range(3)]
    for i in range(3):
        one = bayes_ar1(-Y[i], day, treat, better="higher", mcid=1.0)
        assert_allclose(batched[i].extra["p_benefit"], one.extra["p_benefit"], rtol=1e-9)
        assert_allclose(batched[i].extra["p_mcid"], one.extra["p_mcid"], rtol=1e-9)


def test_eighty_grid_points_give_the_posterior_to_a_millionth_of_two_hundred(series):
    # nof1 power uses n_grid=80 for speed; the midpoint rule converges geometrically
    # (30 points: 1e-3, 50: 1e-5, 80: 1e-8 on these series), far below Monte Carlo error.
    batch = Ar1Batch(*series)
    fine, coarse = posterior_ar1_batch(batch, 200), posterior_ar1_batch(batch, 80)
    for x in (0.0, -3.0):
        assert np.max(np.abs(fine.cdf(x) - coarse.cdf(x))) < 1e-6
    assert np.max(np.abs(fine.mean - coarse.mean)) < 1e-6


def test_series_that_cannot_be_fitted_get_the_reasons_of_gls_ar1():
    day = np.arange(1, 13)
    treat = np.array([0, 0, 1, 1] * 3)
    Y = np.array(
        [
            [5, 6, 3, 2, 6, 7, 2, 3, 6, 5, 2, 3],  # fine
            [5, 6, 3, np.nan, 6, 7, np.nan, np.nan, 6, 5, np.nan, np.nan],  # 1 active day
            [4] * 12,  # constant
            [5, 5, 3, 3] * 3,  # fits exactly
        ],
        dtype=float,
    )
    fit = fit_ar1_batch(Y, day, treat)
    for i in range(len(Y)):
        assert fit.reason[i] == gls_ar1(Y[i], day, treat).reason
    assert fit.reason[0] is None and np.isnan(fit.estimate[1:]).all()
    trend = fit_ar1_batch(Y[:1], day, day > 6, trend=True)  # treatment = a step in time
    assert trend.reason[0] == gls_ar1_trend(Y[0], day, day > 6).reason


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.ones((2, 3)), [1, 2], [0, 1, 0]), "day"),
        ((np.ones((2, 3)), [1, 1, 2], [0, 1, 0]), "unique"),
        ((np.ones((2, 3)), [1, 2.5, 3], [0, 1, 0]), "whole numbers"),
        ((np.ones((2, 3)), [1, 2, 3], [0, 2, 0]), "0/1"),
        ((np.full((2, 3), np.inf), [1, 2, 3], [0, 1, 0]), "finite"),
    ],
)
def test_bad_input_is_refused_with_a_message(args, message):
    with pytest.raises(ValueError, match=message):
        Ar1Batch(*args)

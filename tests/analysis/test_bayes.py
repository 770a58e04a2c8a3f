"""Bayesian AR(1): exact integration over phi, agreement with GLS on long series, monotonicity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from oracles.kernels import bayes_ar1, gls_ar1
from scipy import optimize, stats

REFERENCE = Path(__file__).parent.parent / "reference"
EXPECTED = json.loads((REFERENCE / "expected_ar1.json").read_text())["datasets"]


def ar1_diary(n: int, phi: float, effect: float, seed: int, p_missing: float = 0.15):
    rng = np.random.default_rng(seed)
    e = np.empty(n)
    e[0] = rng.normal()
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal() * np.sqrt(1 - phi**2)
    day = np.arange(n)
    active = (day // 7) % 2
    keep = rng.random(n) > p_missing
    return 50 + effect * active[keep] + 5 * e[keep], day[keep], active[keep]


def brute_force_posterior(y, day, active, mcid, alpha=0.05, cells=4000):
    """Independent check: dense GLS on a uniform grid in phi itself (no atanh, no Jacobian)."""
    day = np.asarray(day, dtype=int)
    n = y.size
    X = np.column_stack([np.ones(n), active])
    phis = -1 + (np.arange(cells) + 0.5) * (2 / cells)
    log_w, loc, scale = [], [], []
    for phi in phis:
        R = phi ** np.abs(day[:, None] - day[None, :])
        R_inv = np.linalg.inv(R)
        A = X.T @ R_inv @ X
        A_inv = np.linalg.inv(A)
        b = A_inv @ X.T @ R_inv @ y
        r = y - X @ b
        rss = r @ R_inv @ r
        # p(phi | y) ∝ |R|^(-1/2) |XᵀR⁻¹X|^(-1/2) rss^(-(n-p)/2), uniform prior on phi
        log_w.append(
            -0.5 * (np.linalg.slogdet(R)[1] + np.linalg.slogdet(A)[1] + (n - 2) * np.log(rss))
        )
        loc.append(b[1])
        scale.append(np.sqrt(rss / (n - 2) * A_inv[1, 1]))
    w = np.exp(np.array(log_w) - max(log_w))
    w /= w.sum()
    loc, scale = np.array(loc), np.array(scale)

    def cdf(x):
        return w @ stats.t.cdf((x - loc) / scale, n - 2)

    def quantile(q):
        return optimize.brentq(lambda x: cdf(x) - q, loc.min() - 50, loc.max() + 50, xtol=1e-12)

    return {
        "estimate": w @ loc,
        "ci_low": quantile(alpha / 2),
        "ci_high": quantile(1 - alpha / 2),
        "p_benefit": cdf(0.0),
        "p_mcid": cdf(-mcid),
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_posterior_equals_brute_force_integral_over_a_uniform_phi_grid(seed):
    y, day, active = ar1_diary(n=36, phi=0.6 if seed == 1 else -0.4, effect=-3, seed=seed)
    expected = brute_force_posterior(y, day, active, mcid=2.0)
    result = bayes_ar1(y, day, active, better="lower", mcid=2.0).to_dict()
    for key, value in expected.items():
        assert_allclose(result[key], value, rtol=1e-5, atol=1e-7, err_msg=key)


def test_finer_grid_does_not_change_the_answer():
    d = pd.read_csv(REFERENCE / "data" / "washout_gaps.csv")
    coarse = bayes_ar1(d.y, d.day, d.treat, "lower", 10, n_grid=100).to_dict()
    fine = bayes_ar1(d.y, d.day, d.treat, "lower", 10, n_grid=3000).to_dict()
    for key in ("estimate", "ci_low", "ci_high", "p_benefit", "p_mcid"):
        assert_allclose(coarse[key], fine[key], rtol=1e-7, err_msg=key)


def test_long_series_posterior_agrees_with_the_gls_fit():
    # Flat priors: with much data the posterior mean and interval approach REML GLS.
    y, day, active = ar1_diary(n=2500, phi=0.5, effect=-2, seed=11)
    bayes, gls = bayes_ar1(y, day, active, "lower", 1.0), gls_ar1(y, day, active)
    assert abs(bayes.estimate - gls.estimate) < 0.02 * gls.se
    assert abs(bayes.ci_low - gls.ci_low) < 0.05 * gls.se
    assert abs(bayes.ci_high - gls.ci_high) < 0.05 * gls.se
    assert abs(bayes.se - gls.se) < 0.05 * gls.se
    assert abs(bayes.extra["phi"] - gls.extra["phi"]) < 0.01


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_posterior_centres_near_the_nlme_fit_on_the_reference_diaries(name):
    d = pd.read_csv(REFERENCE / "data" / f"{name}.csv")
    # R: nlme::gls(y ~ treat, data = d, correlation = corAR1(form = ~ day), method = "REML")
    expected = EXPECTED[name]["gls_ar1"]
    result = bayes_ar1(d.y, d.day, d.treat, "lower", 10)
    assert abs(result.estimate - expected["estimate"]) < 0.25 * expected["se"]
    assert result.ci_low < expected["estimate"] < result.ci_high


def test_p_benefit_and_p_mcid_fall_as_the_effect_moves_against_active():
    y, day, active = ar1_diary(n=60, phi=0.4, effect=0, seed=3)
    shifts = np.linspace(-8, 8, 9)  # outcome where lower is better: positive shift = harm
    results = [bayes_ar1(y + s * active, day, active, "lower", 3.0) for s in shifts]
    p_benefit = [r.extra["p_benefit"] for r in results]
    p_mcid = [r.extra["p_mcid"] for r in results]
    assert np.all(np.diff(p_benefit) < 0) and np.all(np.diff(p_mcid) < 0)
    assert all(m < b for m, b in zip(p_mcid, p_benefit, strict=True))
    assert p_benefit[0] > 0.99 and p_benefit[-1] < 0.01


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), mcid=st.floats(0.0, 5.0))
def test_higher_is_better_is_the_mirror_image_of_lower_is_better(seed, mcid):
    y, day, active = ar1_diary(n=30, phi=0.3, effect=-1, seed=seed)
    lower = bayes_ar1(y, day, active, "lower", mcid)
    higher = bayes_ar1(y, day, active, "higher", mcid)
    mirrored = bayes_ar1(-y, day, active, "higher", mcid)
    assert_allclose(higher.extra["p_benefit"], 1 - lower.extra["p_benefit"], atol=1e-12)
    assert_allclose(mirrored.extra["p_mcid"], lower.extra["p_mcid"], rtol=1e-9, atol=1e-14)
    assert_allclose(mirrored.estimate, -lower.estimate, rtol=1e-9)


def test_to_dict_has_the_results_json_keys_and_mcid_none_gives_null():
    y, day, active = ar1_diary(n=40, phi=0.2, effect=-2, seed=4)
    out = bayes_ar1(y, day, active, "lower", None).to_dict()
    assert set(out) == {"estimate", "ci_low", "ci_high", "p_benefit", "p_mcid", "density", "reason"}
    assert out["p_mcid"] is None and type(out["p_benefit"]) is float


@pytest.mark.parametrize(
    ("y", "active", "fragment"),
    [
        ([5.0, 6, 3, 6, 5, 4], [0, 0, 1, 0, 0, 0], "got 1 active and 5 placebo"),
        ([4.0] * 6, [0, 0, 1, 1, 0, 1], "constant"),
        ([5.0, 6, 3, np.nan, 4], [0, 0, 1, 1, 0], "got 1 active and 3 placebo"),
    ],
)
def test_bayes_returns_a_reason_instead_of_raising_when_it_cannot_run(y, active, fragment):
    result = bayes_ar1(y, np.arange(len(y)), active, "lower", 1.0)
    assert result.estimate is None and fragment in result.reason
    assert result.to_dict()["p_benefit"] is None


def test_direction_must_be_lower_or_higher():
    with pytest.raises(ValueError, match="'lower' or 'higher'"):
        bayes_ar1([1.0, 2, 3, 4, 5], range(5), [0, 0, 1, 1, 0], "down", 1.0)


def test_the_posterior_density_integrates_to_its_central_mass_with_the_posterior_mean():
    y, day, active = ar1_diary(n=120, phi=0.4, effect=-6, seed=8)
    e = bayes_ar1(y, day, active, "lower", 10)
    x, density = np.array(e.extra["density"]["x"]), np.array(e.extra["density"]["y"])
    assert len(x) == 121 and np.all(np.diff(x) > 0) and np.all(density >= 0)
    # the grid spans the central 99.9% of the posterior (0.0005 to 0.9995 quantiles)
    assert np.trapezoid(density, x) == pytest.approx(0.999, abs=2e-3)
    assert np.trapezoid(x * density, x) / np.trapezoid(density, x) == pytest.approx(
        e.estimate, abs=0.02 * e.se
    )

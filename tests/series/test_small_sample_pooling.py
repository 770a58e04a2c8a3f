"""Small-sample inference of the series pooling against R (no R at test time).

Reference: tests/reference/expected_series_small_sample.json, written by
tests/reference/series_small_sample_reference.R (each block names its R call): metafor
``rma(test = "knha")`` + ``predict()``, ``lmerTest`` Satterthwaite df for ``treat``,
``t.test`` / ``wilcox.test(paired = TRUE)`` and the effect sizes and JZS Bayes factor by
hand. The meta-analysis inputs (yi, se) are taken as given, so these tests hold whichever
per-patient method is primary.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from nof1.series.meta import meta_analysis
from nof1.series.mixed import mixed_model
from nof1.series.pooled import paired_comparison

REFERENCE = Path(__file__).parents[1] / "reference" / "expected_series_small_sample.json"
EXPECTED = json.loads(REFERENCE.read_text())
OUTCOMES = list(EXPECTED["sample"])
CASES = [("twelve", None)] + [("sample", name) for name in OUTCOMES]
KEYS = ("estimate", "se", "t", "df", "p_value", "ci_low", "ci_high", "pi_low", "pi_high", "tau2")
Z_KEYS = ("se", "p_value", "ci_low", "ci_high", "pi_low", "pi_high")


def case(where, name):
    return EXPECTED[where] if name is None else EXPECTED[where][name]


@pytest.mark.parametrize(("where", "name"), CASES)
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_knapp_hartung_and_its_prediction_interval_match_metafor(where, name, method):
    c = case(where, name)
    r = c[method.lower()]  # rma(yi, sei = se, method, test = "knha"); predict(fit)
    got = meta_analysis(c["yi"], c["se"], method, EXPECTED["alpha"])
    assert got.test == "knha"
    for key in KEYS:
        assert_allclose(getattr(got, key), r[key], rtol=1e-7, atol=1e-12, err_msg=key)
    for key in Z_KEYS:  # rma(..., test = "z"); predict(fit)
        assert_allclose(getattr(got.z, key), r["z"][key], rtol=1e-7, err_msg=key)


def test_the_twelve_patient_case_has_the_heterogeneity_it_was_made_for():
    reml = EXPECTED["twelve"]["reml"]
    assert 20 < reml["tau2"] < 35 and reml["df"] == 11
    assert reml["ci_high"] - reml["ci_low"] > reml["z"]["ci_high"] - reml["z"]["ci_low"]


def test_the_interval_level_follows_alpha():
    c = EXPECTED["twelve"]
    wide, narrow = (
        meta_analysis(c["yi"], c["se"], alpha=0.05),
        meta_analysis(c["yi"], c["se"], alpha=0.2),
    )
    assert narrow.ci_high - narrow.ci_low < wide.ci_high - wide.ci_low
    assert narrow.pi_high - narrow.pi_low < wide.pi_high - wide.pi_low
    from scipy import stats

    half = stats.t.ppf(0.9, 11) * np.sqrt(narrow.se**2 + narrow.tau2)
    assert_allclose(narrow.pi_high - narrow.estimate, half, rtol=1e-12)


def _check_mixed(got, r):
    assert got.df_method == "Satterthwaite" and got.n_obs == r["n_obs"]
    assert_allclose([got.estimate, got.se], [r["estimate"], r["se"]], rtol=1e-4)
    # lme4's optimum differs from ours in the 5th digit of θ; the df follow it
    assert_allclose(got.df, r["df"], rtol=1e-3)
    for key in ("t", "ci_low", "ci_high"):
        assert_allclose(getattr(got, key), r[key], rtol=1e-4, atol=1e-4 * r["se"], err_msg=key)
    assert_allclose(got.p_value, r["p_value"], rtol=2e-3)  # a small p magnifies t's 1e-5


def test_mixed_model_satterthwaite_matches_lmertest_on_twelve_patients():
    c = EXPECTED["twelve"]  # summary(lmerTest::lmer(y ~ treat + (1 + treat | patient)))
    d = c["daily"]
    _check_mixed(mixed_model(d["y"], d["treat"], d["patient"], EXPECTED["alpha"]), c["lmer"])


@pytest.fixture(scope="module")
def analysed():
    from nof1.protocol import read_protocol
    from nof1.series import analyze_series, load_series

    series = Path(__file__).parents[2] / "sample_data" / "ldn-fibromyalgia-2013-series"
    pf = read_protocol("ldn-fibromyalgia-2013")
    loaded = load_series(
        str(series / "series-diary.csv"), pf.protocol,
        allocations=str(series / "series-unblinding-key.json"),
    )  # fmt: skip
    return analyze_series(loaded, pf)


@pytest.mark.parametrize("name", OUTCOMES)
def test_mixed_model_satterthwaite_matches_lmertest_on_the_sample_series(analysed, name):
    _check_mixed(analysed.outcome(name).mixed, EXPECTED["sample"][name]["lmer"])


PAIRED = ("estimate", "t", "df", "p_value", "ci_low", "ci_high", "wilcoxon_p")
EFFECT_SIZES = ("cohen_dz", "rank_biserial", "bf10")


@pytest.mark.parametrize(("where", "name"), CASES)
def test_paired_comparison_matches_r_with_effect_sizes_and_bayes_factor(where, name):
    r = case(where, name)["percent_change"]  # t.test / wilcox.test(paired = TRUE); by hand
    got = paired_comparison(r["x"], r["y"], EXPECTED["alpha"])
    for key in PAIRED + EFFECT_SIZES:
        assert_allclose(getattr(got, key), r[key], rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", OUTCOMES)
def test_series_percent_change_carries_the_effect_sizes(analysed, name):
    r = EXPECTED["sample"][name]["percent_change"]
    got = analysed.outcome(name).percent_change
    for key in EFFECT_SIZES:
        assert_allclose(getattr(got, key), r[key], rtol=1e-6, err_msg=key)

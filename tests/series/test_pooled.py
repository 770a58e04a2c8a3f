"""The pooled statistics on their own: edge cases, properties, and small R checks."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from nof1.series.comparisons import order_effect, percent_change_test, responder_test
from nof1.series.meta import meta_analysis, pool_rows
from nof1.series.mixed import mixed_model
from nof1.series.pooled import mcnemar_exact, paired_comparison, welch

YI = [-12.0, -4.0, -9.5, 1.0]
SE = [3.0, 2.5, 4.0, 3.5]


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_meta_analysis_needs_two_patients(k, method):
    m = meta_analysis(YI[:k], SE[:k], method)
    assert m.estimate is None and m.tau2 is None and m.k == k
    assert m.reason == f"needs at least 2 patients with an estimate; got {k}"
    assert m.to_dict(shrunken=True)["shrunken"] == []


def test_meta_analysis_refuses_a_zero_standard_error():
    with pytest.raises(ValueError, match="se finite and positive"):
        meta_analysis([1.0, 2.0], [1.0, 0.0])


def test_dl_on_a_small_example_matches_metafor():
    # rma(c(-12, -4, -9.5, 1), sei = c(3, 2.5, 4, 3.5), method = "DL"); predict(); blup()
    m = meta_analysis(YI, SE, "DL")
    assert_allclose(
        [m.estimate, m.z.se, m.tau2, m.i2, m.q, m.q_p_value, m.z.p_value],
        [
            -6.0844827362594,
            2.8255473839536,
            21.465790557233,
            68.103897800445,
            9.4055379595626,
            0.0243578051882853,
            0.0312886729558353,
        ],
        rtol=1e-10,
    )
    assert_allclose([m.z.pi_low, m.z.pi_high], [-16.72069796937454, 4.55173249685575], rtol=1e-10)
    assert_allclose(
        [s.estimate for s in m.shrunken],
        [-10.25247747063549, -4.47005756789504, -8.04138200723755, -1.57401389926951],
        rtol=1e-10,
    )


def test_shrunken_estimates_lie_between_the_patient_and_the_pooled_estimate():
    m = meta_analysis(YI, SE)
    for y, s in zip(YI, m.shrunken, strict=True):
        lo, hi = sorted([y, m.estimate])
        assert lo < s.estimate < hi
        assert s.ci_low < s.estimate < s.ci_high


def test_without_heterogeneity_every_patient_shrinks_to_the_pooled_estimate():
    m = meta_analysis([-5.0, -5.5, -4.8, -5.2], [2.0, 2.5, 3.0, 2.2])
    assert m.tau2 == 0.0 and m.i2 == 0.0
    assert_allclose([s.estimate for s in m.shrunken], m.estimate)
    assert_allclose([m.pi_low, m.pi_high], [m.ci_low, m.ci_high])


def test_relabelling_the_groups_negates_the_pooled_effect():
    a, b = meta_analysis(YI, SE), meta_analysis(-np.array(YI), SE)
    assert_allclose([b.estimate, b.pi_low, b.pi_high], [-a.estimate, -a.pi_high, -a.pi_low])
    assert_allclose([b.tau2, b.se, b.p_value], [a.tau2, a.se, a.p_value])


def test_paired_comparison_matches_r():
    # t.test(x, y, paired = TRUE)$p.value = 0.06201221; wilcox.test(x, y, paired = TRUE) = 0.125
    r = paired_comparison([-30, -25, -40, -10, -35], [-10, -20, -15, -12, -5])
    assert_allclose([r.p_value, r.wilcoxon_p], [0.06201221, 0.125], rtol=1e-6)
    assert r.wilcoxon_method == "exact" and r.n == 5


def test_paired_comparison_drops_incomplete_pairs_and_explains_when_it_cannot_test():
    r = paired_comparison([1.0, np.nan, 3.0], [0.0, 1.0, np.nan])
    assert r.n == 1 and r.p_value is None and "at least 2" in r.reason
    r = paired_comparison([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert r.p_value is None and "same difference" in r.reason and r.estimate == 1.0


def test_exact_mcnemar_without_discordant_pairs_has_p_one():
    assert mcnemar_exact(both=5, x_only=0, y_only=0, neither=3).p_value == 1.0


def test_welch_needs_two_patients_per_group():
    r = welch([1.0, 2.0, 3.0], [4.0])
    assert r.p_value is None and r.reason.startswith("needs at least 2")


def test_order_effect_says_when_everyone_started_on_the_same_condition():
    r = order_effect([-3.0, -5.0, -4.0], ["B", "B", "B"], "B", "A")
    assert r.reason == "every patient started on the same condition"
    first = r.to_dict()["first"]
    assert first["B"] == {"n": 3, "mean": -4.0} and first["A"] == {"n": 0, "mean": None}


def test_percent_change_keys_name_the_blinded_groups():
    changes = [{"A": -10.0, "B": -30.0}, {"A": -5.0, "B": -20.0}, {"A": 0.0, "B": -12.0}]
    r = percent_change_test(["P1", "P2", "P3"], changes, "B", "A")
    d = r.to_dict()
    assert d["B_mean"] == pytest.approx(-62 / 3) and d["A_mean"] == -5.0
    assert d["per_patient"][0] == {"patient_id": "P1", "B": -30.0, "A": -10.0}
    assert d["estimate"] == pytest.approx(-62 / 3 + 5) and "difference" not in d


def test_responder_rates_leave_out_patients_who_could_not_be_assessed():
    flags = [{"active": True, "placebo": None}, {"active": True, "placebo": False}]
    flags += [{"active": False, "placebo": True}, {"active": None, "placebo": None}]
    r = responder_test(flags, "active", "placebo", "pain")
    d = r.to_dict()
    assert d["conditions"]["active"] == pytest.approx(
        {"n": 3, "responders": 2, "rate": 2 / 3, "ci_low": 0.09429932405, "ci_high": 0.99159624134}
    )  # binom.test(2, 3)$conf.int
    assert d["mcnemar"]["n_pairs"] == 2 and d["mcnemar"]["only"] == {"active": 1, "placebo": 1}
    assert responder_test(flags, "active", "placebo", None).to_dict() == {
        "rule": None,
        "conditions": {},
        "mcnemar": None,
        "reason": "the protocol defines no responder rule",
    }


def test_mixed_model_needs_three_patients_with_both_conditions():
    m = mixed_model([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0, 1, 0, 1, 0, 0], [1, 1, 2, 2, 3, 3])
    assert m.estimate is None and m.n_patients == 3
    assert m.reason == "needs at least 3 patients with days in both conditions; got 2"


def test_mixed_model_of_an_outcome_without_variation_gives_a_reason():
    patient = np.repeat(np.arange(4), 10)
    treat = np.tile(np.repeat([0, 1], 5), 4)
    m = mixed_model(np.full(40, 3.0), treat, patient)
    assert m.estimate is None and m.n_obs == 40
    assert m.reason == "the outcome does not vary within patients and conditions"
    shifted = mixed_model(3.0 + patient - 2 * treat, treat, patient)  # cell means only
    assert shifted.reason == m.reason


def test_mixed_model_reports_a_boundary_fit_instead_of_failing():
    rng = np.random.default_rng(1)
    patient = np.repeat(np.arange(6), 40)
    treat = np.tile(np.repeat([0, 1], 20), 6)
    effect = np.array([-8.0, -12.0, -5.0, -10.0, -9.0, -11.0])
    y = 50 + effect[patient] * treat + rng.normal(0, 5, patient.size)  # no intercept variance
    m = mixed_model(y, treat, patient)
    assert m.converged and m.estimate is not None
    assert m.warnings and "singular" in m.warnings[0]
    assert m.to_dict()["warnings"] == list(m.warnings) and m.corr == 1.0
    # lme4::lmer(y ~ treat + (1 + treat | patient), REML = TRUE) on these data stops on
    # another point of the boundary: logLik -712.7175973 (isSingular TRUE), fixef
    # 49.652749816 and -9.446477584. Its deviance function at nof1's optimum gives
    # logLik -712.609042841: nof1 maximises the same criterion, a little higher.
    assert m.loglik == pytest.approx(-712.609042841, abs=1e-8)
    assert [m.intercept, m.estimate] == pytest.approx([49.652749816, -9.446477584], rel=1e-9)


def test_mixed_model_equals_statsmodels_mixedlm_on_the_same_data():
    """The exact REML from per-patient sufficient statistics is statsmodels MixedLM's model
    (y ~ treat, random intercept and treat slope by patient, REML), fitted faster."""
    import pandas as pd
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    rows = []
    for patient in range(12):
        b0, b1 = rng.normal(0, 4), rng.normal(-6, 3)
        treat = np.tile([0] * 20 + [1] * 20, 2)
        y = 55 + b0 + (b1 * treat) + rng.normal(0, 9, treat.size)
        rows.append(pd.DataFrame({"y": y, "treat": treat, "patient": f"P{patient}"}))
    data = pd.concat(rows, ignore_index=True)
    ours = mixed_model(data["y"], data["treat"], data["patient"])
    fit = smf.mixedlm("y ~ treat", data, groups="patient", re_formula="~treat").fit(
        reml=True, method="lbfgs"
    )
    np.testing.assert_allclose(ours.estimate, fit.fe_params["treat"], rtol=1e-5)
    np.testing.assert_allclose(ours.se, fit.bse_fe["treat"], rtol=1e-4)
    np.testing.assert_allclose(ours.sigma, np.sqrt(fit.scale), rtol=1e-4)


def test_welch_matches_r_t_test():
    # t.test(c(-12, -8, -15, -9), c(-6, -10, -4)): t -1.8293536, df 4.5479269, p 0.1326549,
    # 95% CI -10.609107 to 1.942441
    r = welch([-12.0, -8.0, -15.0, -9.0], [-6.0, -10.0, -4.0])
    assert_allclose(
        [r.t, r.df, r.p_value, r.ci_low, r.ci_high],
        [-1.8293536, 4.5479269, 0.1326549, -10.609107, 1.942441],
        rtol=1e-6,
    )
    assert r.estimate == pytest.approx(-11.0 + 20 / 3, rel=1e-12)  # mean(x) - mean(y)


def test_pooling_many_series_at_once_equals_one_series_at_a_time():
    rng = np.random.default_rng(5)
    yi, se = rng.normal(-5, 4, (6, 8)), rng.uniform(1, 4, (6, 8))
    yi[2, :3] = np.nan  # a row with fewer usable patients
    se[4, :7] = np.inf  # a row that cannot be pooled
    for method in ("REML", "DL"):
        rows = pool_rows(yi, se, method)
        for i in range(6):
            keep = np.isfinite(yi[i]) & np.isfinite(se[i])
            one = meta_analysis(yi[i][keep], se[i][keep], method)
            if one.reason:
                assert rows.k[i] == 1 and np.isnan(rows.estimate[i])
                continue
            assert_allclose(
                [rows.estimate[i], rows.se[i], rows.tau2[i], rows.p_value[i]],
                [one.estimate, one.z.se, one.tau2, one.z.p_value],
                rtol=1e-12,
                atol=1e-14,
            )
            assert_allclose(
                [rows.kh_se[i], rows.kh_t[i], rows.kh_df[i], rows.kh_p_value[i]],
                [one.se, one.t, one.df, one.p_value],
                rtol=1e-12,
            )


def test_paired_comparison_is_pingouins_paired_t_and_bayes_factor():
    """The series' paired t test and JZS Bayes factor are pingouin's (``pingouin.ttest(x, y,
    paired=True)``, ``pingouin.bayesfactor_ttest``), computed without importing pingouin:
    t and p bit for bit (both are scipy's ttest_rel), BF10 within 1e-9 (the same integral,
    in log space), over 200 random series of 2 to 3 000 patients."""
    pingouin = pytest.importorskip("pingouin")
    from nof1.series.pooled import _JZS_SCALE

    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(2, 3000))
        x = rng.normal(0, 10, n)
        y = x + rng.normal(rng.normal(0, 1), 10, n)
        got = paired_comparison(x, y)
        test = pingouin.ttest(x, y, paired=True).iloc[0]
        assert (got.t, got.df, got.p_value) == (test["T"], test["dof"], test["p_val"])
        bf = pingouin.bayesfactor_ttest(got.t, n, paired=True, r=_JZS_SCALE)
        assert got.bf10 == pytest.approx(bf, rel=1e-9)


def test_the_bayes_factor_grows_with_t_where_pingouins_integral_breaks_down():
    """pingouin's integral over g in [0, inf) misses the integrand's peak when |t| is large
    for n (BF10 then falls with |t|, even below 0); the log-space integral does not. The
    values: the same integral done by hand on a fine grid of log g (mpmath-free check)."""
    from nof1.series.pooled import _bf10

    for n in (2, 3, 10, 50):
        values = [_bf10(t, n) for t in (10.0, 100.0, 1e3, 1e4, 1e6)]
        assert all(v > 0 for v in values) and values == sorted(values)
    # n = 2, t = 1e6 and n = 10, t = 1e4: a trapezoid over u = log g, 200 001 points
    for n, t in ((2, 1e6), (10, 1e4)):
        u = np.linspace(-15, np.log(t * t) + 45, 200_001)
        a = 1 + n * np.exp(u) / 2
        log_h = (-0.5 * np.log(a) - n / 2 * np.log1p(t * t / (a * (n - 1)))
                 - 0.5 * np.log(2 * np.pi) - 0.5 * u - 0.5 * np.exp(-u))  # fmt: skip
        top = log_h.max()
        log_bf = np.log(np.trapezoid(np.exp(log_h - top), u)) + top
        log_bf += n / 2 * np.log1p(t * t / (n - 1))
        assert _bf10(t, n) == pytest.approx(np.exp(log_bf), rel=1e-6)
    assert paired_comparison([40, 25, 10], [60, 45.02, 30.04]).bf10 > 1000  # was -0.55

"""`nof1 series` on the 31-patient sample series against R (metafor, lme4, stats).

Expected values: tests/reference/expected_series.json, written by
tests/reference/series_reference.R (R 4.2.2, metafor 3.8-1, lme4 1.1-31). R computes the
daily data, each patient's percent change and the order of periods from the raw diary and the
unblinding key itself; the per-patient gls_ar1 effects it pools, and the responder flags, are
nof1's (tests/reference/data/series_effects.csv), so that the pooled numbers can be compared
at 1e-6. To regenerate both after a change in the per-patient analysis::

    .venv/bin/python tests/series/test_series_matches_r.py   # writes series_effects.csv
    Rscript tests/reference/series_reference.R               # writes expected_series.json
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose
from protocol_variants import pinned_primary

from nof1.series.meta import meta_analysis
from nof1.series.pooled import mcnemar_exact, paired_comparison

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "reference"
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
EFFECTS_CSV = REFERENCE / "data" / "series_effects.csv"
OUTCOMES = ["pain", "fatigue", "sleep_quality", "mood", "life_satisfaction"]
ARGS = [
    str(SERIES / "series-diary.csv"),
    "--protocol",
    "ldn-fibromyalgia-2013",
    "--allocations",
    str(SERIES / "series-unblinding-key.json"),
]

CLOSED = 1e-6  # closed forms: DL, t tests, binomial, BLUP given tau²
REML_DEFAULT = 1e-4  # metafor's default REML stops at a change in tau² below 1e-5
LMER = 1e-4  # two optimisers of the same REML criterion (nof1 L-BFGS-B vs lme4 bobyqa)


def write_reference_data() -> None:
    """Write tests/reference/data/series_effects.csv from nof1's analysis of the sample."""
    from nof1.protocol import read_protocol
    from nof1.series import analyze_series, load_series

    with tempfile.TemporaryDirectory() as folder:  # gls_ar1's effects, as series_json
        pf = read_protocol(pinned_primary("ldn-fibromyalgia-2013", Path(folder)))
        data = load_series(ARGS[0], pf.protocol, allocations=ARGS[4])
        results = analyze_series(data, pf, allow_protocol_change=True)
    rows = []
    for entry in results.patients:
        for o in results.outcomes:
            (effect,) = [e for e in o.patient_effects if e["patient_id"] == entry["patient_id"]]
            rows.append(
                {
                    "patient_id": entry["patient_id"],
                    "outcome": o.name,
                    "yi": effect["estimate"],
                    "se": effect["se"],
                    "responder_active": entry["responder"]["active"],
                    "responder_placebo": entry["responder"]["placebo"],
                }
            )
    pd.DataFrame(rows).to_csv(EFFECTS_CSV, index=False, lineterminator="\n")
    print(f"wrote {EFFECTS_CSV}")


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((REFERENCE / "expected_series.json").read_text())


@pytest.fixture(scope="module")
def series_json(tmp_path_factory) -> dict:
    from nof1.cli import main

    out = tmp_path_factory.mktemp("series") / "out"
    # It pools gls_ar1's effects, as R did: pin it rather than follow the shipped primary.
    protocol = pinned_primary("ldn-fibromyalgia-2013", tmp_path_factory.mktemp("protocol"))
    args = [str(protocol) if a == "ldn-fibromyalgia-2013" else a for a in ARGS]
    result = CliRunner().invoke(
        main, ["series", *args, "--allow-protocol-change", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "series.json").read_text())


def outcome(series_json: dict, name: str) -> dict:
    (found,) = [o for o in series_json["outcomes"] if o["name"] == name]
    return found


@pytest.mark.parametrize("name", OUTCOMES)
def test_the_pooled_inputs_are_the_reference_inputs(series_json, name):
    """If this fails the per-patient analysis changed: regenerate (see the module notes)."""
    csv = pd.read_csv(EFFECTS_CSV)
    csv = csv[csv["outcome"] == name].set_index("patient_id")
    effects = {e["patient_id"]: e for e in outcome(series_json, name)["patient_effects"]}
    assert sorted(effects) == sorted(csv.index)
    for pid, e in effects.items():
        assert_allclose([e["estimate"], e["se"]], csv.loc[pid, ["yi", "se"]], rtol=1e-9)


@pytest.mark.parametrize("name", OUTCOMES)
def test_nof1_gls_effects_agree_with_nlme(expected, name):
    # nlme::gls(y ~ treat, correlation = corAR1(form = ~ day), method = "REML"), per patient
    assert expected["outcomes"][name]["input_check"]["max_abs_diff_in_se"] < 1e-3


@pytest.mark.parametrize("name", OUTCOMES)
def test_dersimonian_laird_matches_metafor(series_json, expected, name):
    got = outcome(series_json, name)["meta_analysis"]["dl"]
    r = expected["outcomes"][name]["dl"]  # rma(yi, sei = se, method = "DL"); predict(fit)
    z = got["z"]  # the default z test; Knapp-Hartung: tests/series/test_small_sample_pooling.py
    for key in ("estimate", "tau2", "i2", "q"):
        assert_allclose(got[key], r[key], rtol=CLOSED, err_msg=key)
    for key in ("se", "ci_low", "ci_high", "p_value", "pi_low", "pi_high"):
        assert_allclose(z[key], r[key], rtol=CLOSED, err_msg=key)
    assert got["k"] == r["k"] == 31 and got["method"] == "DL"


@pytest.mark.parametrize("name", OUTCOMES)
def test_reml_matches_metafor(series_json, expected, name):
    got = outcome(series_json, name)["meta_analysis"]
    default = expected["outcomes"][name]["reml"]  # rma(yi, sei = se, method = "REML")
    exact = expected["outcomes"][name]["reml_exact"]  # ... control = list(threshold = 1e-12)
    assert_allclose(got["tau2"], default["tau2"], rtol=REML_DEFAULT)
    assert_allclose(got["tau2"], exact["tau2"], rtol=1e-8)
    keys = ("estimate", "se", "ci_low", "ci_high", "p_value", "i2", "pi_low", "pi_high")
    for key in keys:  # the default z test; Knapp-Hartung: test_small_sample_pooling.py
        ours = got[key] if key in ("estimate", "i2") else got["z"][key]
        assert_allclose(ours, default[key], rtol=REML_DEFAULT, err_msg=key)
        assert_allclose(ours, exact[key], rtol=1e-7, err_msg=key)


@pytest.mark.parametrize("name", OUTCOMES)
def test_shrunken_estimates_match_metafor_blup(series_json, expected, name):
    got = outcome(series_json, name)["meta_analysis"]["shrunken"]
    r = expected["outcomes"][name]["reml_exact"]["blup"]  # blup(fit)
    order = {pid: i for i, pid in enumerate(expected["patients"])}
    got = sorted(got, key=lambda s: order[s["patient_id"]])
    for key in ("estimate", "se", "ci_low", "ci_high"):
        assert_allclose([s[key] for s in got], r[key], rtol=1e-7, err_msg=key)


@pytest.mark.parametrize("name", OUTCOMES)
def test_mixed_model_matches_lmer(series_json, expected, name):
    got = outcome(series_json, name)["mixed_model"]
    r = expected["outcomes"][name]["lmer"]  # lmer(y ~ treat + (1 + treat | patient), REML)
    assert got["converged"] and got["n_obs"] == r["n_obs"] and got["n_patients"] == 31
    for key in ("estimate", "se", "intercept", "sigma"):
        assert_allclose(got[key], r[key], rtol=LMER, err_msg=key)
    for key in ("sd_intercept", "sd_treat", "corr"):  # variance parameters: looser
        assert_allclose(got[key], r[key], rtol=1e-2, atol=1e-3, err_msg=key)


@pytest.fixture(scope="module")
def analysed():
    from nof1.protocol import read_protocol
    from nof1.series import analyze_series, load_series

    pf = read_protocol("ldn-fibromyalgia-2013")
    return analyze_series(load_series(ARGS[0], pf.protocol, allocations=ARGS[4]), pf)


@pytest.mark.parametrize("name", OUTCOMES)
def test_mixed_model_maximises_the_reml_criterion_of_lmer(analysed, expected, name):
    got = analysed.outcome(name).mixed.loglik
    r = expected["outcomes"][name]["lmer"]["loglik"]  # logLik(lmer(...)), REML
    assert got >= r - 1e-7 and got == pytest.approx(r, abs=1e-5)


@pytest.mark.parametrize("name", OUTCOMES)
def test_percent_change_matches_paired_t_and_wilcoxon(series_json, expected, name):
    got = outcome(series_json, name)["percent_change"]
    r = expected["outcomes"][name]["percent_change"]
    order = {pid: i for i, pid in enumerate(expected["patients"])}
    per = sorted(got["per_patient"], key=lambda s: order[s["patient_id"]])
    # computed in R from the raw diary: (mean of last 3 observed - baseline mean) / baseline
    assert_allclose([p["active"] for p in per], r["active"], rtol=1e-9)
    assert_allclose([p["placebo"] for p in per], r["placebo"], rtol=1e-9)
    # t.test(active, placebo, paired = TRUE)
    for key in ("active_mean", "placebo_mean", "difference", "t", "df", "ci_low", "ci_high"):
        ours = "estimate" if key == "difference" else key  # series.json v2 says estimate
        assert_allclose(got[ours], r[key], rtol=CLOSED, err_msg=key)
    assert_allclose(got["p_value"], r["p_value"], rtol=CLOSED)
    # wilcox.test(active, placebo, paired = TRUE)
    assert_allclose(got["wilcoxon_p"], r["wilcoxon_p"], rtol=CLOSED)
    assert (got["wilcoxon_method"] == "exact") == r["wilcoxon_exact"]


@pytest.mark.parametrize("name", OUTCOMES)
def test_order_effect_matches_welch_t(series_json, expected, name):
    got = outcome(series_json, name)["order_effect"]
    r = expected["outcomes"][name]["order_effect"]  # t.test(yi[active first], yi[placebo first])
    assert_allclose(got["first"]["active"]["mean"], r["active_mean"], rtol=CLOSED)
    assert_allclose(got["first"]["placebo"]["mean"], r["placebo_mean"], rtol=CLOSED)
    for key in ("t", "df", "ci_low", "ci_high", "p_value"):
        assert_allclose(got[key], r[key], rtol=CLOSED, err_msg=key)


def test_responders_match_binom_test(series_json, expected):
    got = series_json["responders"]
    r = expected["responders"]
    for condition in ("active", "placebo"):
        c = got["conditions"][condition]
        assert (c["responders"], c["n"]) == (r[condition]["responders"], r[condition]["n"])
        # binom.test(k, n)$conf.int (Clopper-Pearson)
        assert_allclose(
            [c["ci_low"], c["ci_high"]],
            [r[condition]["ci_low"], r[condition]["ci_high"]],
            rtol=CLOSED,
        )
    m = got["mcnemar"]
    assert m["only"] == {"active": r["active_only"], "placebo": r["placebo_only"]}
    assert (m["both"], m["neither"]) == (r["both"], r["neither"])
    # binom.test(active_only, active_only + placebo_only): the exact McNemar test
    assert_allclose(m["p_value"], r["p_value"], rtol=CLOSED)


def test_wilcoxon_normal_approximation_with_ties_and_zeros_matches_r(expected):
    e = expected["extras"]["wilcoxon_ties"]  # wilcox.test(x): zeros dropped, ties corrected
    got = paired_comparison(e["x"], np.zeros(len(e["x"])))
    assert got.wilcoxon_method == "approx"
    assert_allclose(got.wilcoxon_p, e["p_value"], rtol=CLOSED)


def test_exact_mcnemar_is_binom_test_on_discordant_pairs(expected):
    e = expected["extras"]["binom"]  # binom.test(1, 9)
    got = mcnemar_exact(both=4, x_only=e["x"], y_only=e["n"] - e["x"], neither=10)
    assert_allclose(got.p_value, e["p_value"], rtol=CLOSED)


def test_reml_on_a_small_example_matches_metafor(expected):
    e = expected["extras"]["small_meta"]  # rma(..., method = "REML", threshold = 1e-12)
    got = meta_analysis(e["yi"], e["se"])
    assert_allclose(
        [got.estimate, got.tau2, got.z.se], [e["estimate"], e["tau2"], e["se_estimate"]], rtol=1e-8
    )


def test_reml_and_dl_truncate_tau2_at_zero_as_metafor(expected):
    e = expected["extras"]["zero_tau"]
    reml, dl = meta_analysis(e["yi"], e["se"]), meta_analysis(e["yi"], e["se"], "DL")
    assert reml.tau2 == e["reml_tau2"] == 0 and dl.tau2 == e["dl_tau2"] == 0
    assert_allclose([reml.estimate, reml.i2], [e["estimate"], e["i2"]], rtol=CLOSED, atol=1e-12)


if __name__ == "__main__":
    write_reference_data()

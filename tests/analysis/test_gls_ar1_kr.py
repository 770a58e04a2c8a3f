"""gls_ar1_kr: Satterthwaite df against R emmeans, every Kenward-Roger piece against the dense
oracle, and the fit shared with gls_ar1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from oracles.ar1_kr import kenward_roger

from nof1.analysis.ar1 import gls_ar1
from nof1.analysis.ar1_kr import gls_ar1_kr, kr_pieces, kr_variance
from nof1.analysis.registry import Trials, method

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
EXPECTED = json.loads((REFERENCE / "expected_gls_ar1_kr.json").read_text())["datasets"]


def diary_trials(name: str) -> Trials:
    d = pd.read_csv(REFERENCE / "data" / f"{name}.csv")
    day = d["day"].to_numpy()
    arm = d["treat"].to_numpy().astype(np.int8)[None, :]
    y = d["y"].to_numpy(dtype=float)[None, :]
    return Trials(y, day, arm, np.zeros_like(arm), np.array([-1.0]), np.array([1.0]), 0.05)


def simulated(seed: int, m: int = 4, n: int = 70, missing: float = 0.2) -> Trials:
    """m AR(1) series with gaps, excluded days and a mix of phi (including negative)."""
    rng = np.random.default_rng(seed)
    day = np.arange(1, n + 1)
    arm = np.tile(((day - 1) // 10 % 2).astype(np.int8), (m, 1))
    arm[:, 30:33] = -1  # a washout: not compared
    phis = np.resize([0.3, 0.85, -0.5, 0.6], m)
    e = np.zeros((m, n))
    e[:, 0] = rng.normal(size=m)
    for t in range(1, n):
        e[:, t] = phis * e[:, t - 1] + rng.normal(size=m) * np.sqrt(1 - phis**2)
    y = 50 - 2 * arm + 6 * e
    y[rng.random((m, n)) < missing] = np.nan
    return Trials(y, day, arm, np.zeros_like(arm), np.full(m, -1.0), np.ones(m), 0.05)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_satterthwaite_df_matches_emmeans_for_an_nlme_gls_fit(name):
    r = EXPECTED[name]
    trials = diary_trials(name)
    pieces = kr_pieces(trials)
    # emmeans(gls, ~ treat, mode = "satterthwaite"): the estimate and se are nlme's, the
    # df is Satterthwaite's from nlme's apVar (a numerical Hessian: agreement to ~1e-4).
    assert_allclose(gls_ar1(trials).values["estimate"][0], r["estimate"], rtol=1e-6)
    assert_allclose(np.sqrt(pieces.v[0]), r["se"], rtol=1e-5)
    assert_allclose(pieces.df[0], r["df"], rtol=2e-3)
    satterthwaite = gls_ar1_kr(trials, "satterthwaite").values
    assert_allclose(satterthwaite["p_value"][0], r["p_value"], rtol=5e-3)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_observed_information_inverse_matches_nlme_apvar(name):
    """apVar is the inverse information in (log-ish phi, log sigma); transformed to
    (sigma², phi) it is our W."""
    r = EXPECTED[name]
    W = kr_pieces(diary_trials(name)).w[0]
    phi, sigma = r["phi"], r["sigma"]
    # nlme's corAR1 unconstrained parameter is log((1 + phi) / (1 - phi)).
    J = np.diag([2 * sigma**2, (1 - phi**2) / 2])  # d(sigma², phi) / d(lSigma, corStruct)
    ap = np.array(r["apVar"])[::-1, ::-1]  # order (lSigma, corStruct)
    ours = J @ ap @ J
    assert_allclose([W[0], W[1], W[2]], [ours[0, 0], ours[0, 1], ours[1, 1]], rtol=2e-3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_kenward_roger_piece_matches_the_dense_oracle(seed):
    trials = simulated(seed)
    pieces = kr_pieces(trials)
    assert pieces.rows.tolist() == list(range(trials.m))
    for i in range(trials.m):
        obs = (trials.arm[i] >= 0) & ~np.isnan(trials.y[i])
        X = np.column_stack([np.ones(obs.sum()), trials.arm[i][obs] == 1]).astype(float)
        o = kenward_roger(trials.y[i][obs], X, trials.day[obs].astype(float))
        assert_allclose(pieces.v[i], o["v"], rtol=1e-6)
        assert_allclose(pieces.df[i], o["df"], rtol=1e-4)
        assert_allclose(pieces.lambda1[i], o["lambda1"], rtol=1e-4)
        assert_allclose(pieces.lambda2[i], o["lambda2"], rtol=1e-4, atol=1e-6 * o["v"])
        assert_allclose(pieces.w[i], o["W"].ravel()[[0, 1, 3]], rtol=1e-4)
        u = kenward_roger(trials.y[i][obs], X, trials.day[obs].astype(float), scale="atanh")
        assert_allclose(u["lambda1"], o["lambda1"], rtol=1e-4)  # invariant
        assert_allclose(u["df"], o["df"], rtol=1e-4)
        assert_allclose(pieces.lambda2_atanh[i], u["lambda2"], rtol=1e-4, atol=1e-6 * o["v"])


def test_kernel_keeps_the_gls_ar1_fit_and_tests_on_the_full_kenward_roger_variance():
    trials = simulated(4, m=6)
    kr, gls = gls_ar1_kr(trials).values, gls_ar1(trials).values
    assert_allclose(kr["estimate"], gls["estimate"], rtol=1e-12)
    assert_allclose(kr["phi"], gls["phi"], rtol=1e-12)
    assert np.all(kr["df"] < gls["df"])
    pieces = kr_pieces(trials)
    assert_allclose(kr["se"] ** 2, kr_variance(pieces, "full_atanh"), rtol=1e-12)
    assert_allclose(kr["se"] ** 2, pieces.v + 2 * (pieces.lambda1 + pieces.lambda2_atanh))
    first = gls_ar1_kr(trials, "first_order").values["se"]
    assert np.all(first >= gls["se"])  # the first-order term is positive semi-definite
    # The second-order term removes the bias of the plug-in variance: a few percent.
    assert np.all(np.abs(kr["se"] / first - 1) < 0.1)


def test_the_full_form_falls_back_to_first_order_where_it_is_not_positive():
    pieces = kr_pieces(simulated(4, m=2))
    bad = pieces._replace(lambda2_atanh=np.array([-10 * pieces.v[0], 0.0]))
    assert_allclose(kr_variance(bad)[0], kr_variance(bad, "first_order")[0])
    assert_allclose(kr_variance(bad)[1], kr_variance(bad, "first_order")[1])
    with pytest.raises(ValueError, match="unknown variant"):
        kr_variance(pieces, "second_order")


def test_rows_gls_ar1_cannot_fit_keep_its_reason_and_others_are_unchanged():
    trials = simulated(5, m=3)
    y = trials.y.copy()
    y[1, trials.arm[1] == 1] = np.nan  # no active day left
    bad = Trials(y, trials.day, trials.arm, trials.period, trials.better, trials.mcid, 0.05)
    est = gls_ar1_kr(bad)
    assert est.reason[1] == gls_ar1(bad).reason[1]
    assert est.reason[0] is None and np.isnan(est.values["se"][1])
    alone = gls_ar1_kr(simulated(5, m=3))
    assert_allclose(est.values["p_value"][[0, 2]], alone.values["p_value"][[0, 2]], rtol=1e-9)


def test_registry_entry_is_a_primary_method_with_the_t_fields():
    m = method("gls_ar1_kr")
    assert m.may_be_primary and m.in_power and m.outcome_units
    assert m.fields == ("estimate", "se", "df", "ci_low", "ci_high", "p_value", "phi")
    assert "Kenward-Roger" in m.description and "Satterthwaite" in m.description


@pytest.mark.parametrize(
    ("primary", "expected"),
    [("gls_ar1_kr", "gls_ar1_kr"), ("gls_ar1", "gls_ar1"), ("paired_periods", "gls_ar1")],
)
def test_vs_baseline_uses_the_primary_method_where_it_is_an_ar1_regression(primary, expected):
    from protocol_variants import vary

    from nof1.analysis.patient_trials import vs_baseline_method

    protocol = vary("ldn-nof1-multicycle", analysis={"primary_method": primary})
    assert vs_baseline_method(protocol) == expected


def test_the_shipped_protocols_name_gls_ar1_kr_as_primary(shipped_id):
    from nof1.protocol import load_protocol

    assert load_protocol(shipped_id).analysis.primary_method == "gls_ar1_kr"

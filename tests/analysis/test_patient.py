"""The per-patient pipeline on aligned tables built straight from the timeline."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from oracles.kernels import gls_ar1

from nof1.analysis.patient import analyze_patient
from nof1.design.timeline import build_timeline
from nof1.protocol import read_protocol

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "nof1/schemas/results.schema.json").read_text()
)
OUTCOMES = ["pain", "fatigue", "sleep_quality", "mood", "life_satisfaction"]


def aligned_table(protocol_id, allocation, effect=-10.0, seed=1, missing=0.1, blind_a=None):
    """A timeline with synthetic AR(1)-ish outcomes; blind_a relabels conditions as A/B."""
    pf = read_protocol(protocol_id)
    t = build_timeline(pf.protocol, allocation)
    rng = np.random.default_rng(seed)
    active = (t["condition"] == "active").to_numpy()
    for i, o in enumerate(pf.protocol.outcomes):
        noise = np.zeros(len(t))
        for d in range(len(t)):
            noise[d] = 0.5 * (noise[d - 1] if d else 0) + rng.normal(0, 8)
        sign = 1 if o.better == "lower" else -1
        y = 50 + sign * effect * active * (1 if o.primary else 0.5 - 0.1 * i) + noise
        y[rng.random(len(t)) < missing] = np.nan
        t[o.name] = y
    t["observed"] = t[[o.name for o in pf.protocol.outcomes]].notna().any(axis=1)
    if blind_a is not None:
        letter = {blind_a: "A", "placebo" if blind_a == "active" else "active": "B"}
        t["condition"] = t["condition"].map(lambda c: letter.get(c, c))
    aligned = SimpleNamespace(
        table=t,
        blinded=blind_a is not None,
        patient_id="P01",
        sha256="0" * 64,
        rows=int(t["observed"].sum()),
    )
    return pf, aligned


def results_of(*args, **kwargs):
    pf, aligned = aligned_table(*args, **kwargs)
    results = analyze_patient(aligned, pf)
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(json.dumps(results.to_dict()))
    jsonschema.validate(data, SCHEMA)
    return pf, aligned, results, data


def test_results_follow_contract_v2_exactly():
    _, _, _, data = results_of("ldn-nof1-multicycle", [True, False, False, True, True, False])
    assert list(data) == [
        "schema",
        "software",
        "protocol",
        "data",
        "analysis",
        "comparison",
        "patient_id",
        "blinded",
        "blinding",
        "labels",
        "data_quality",
        "outcomes",
        "responder",
        "verdict",
        "harms",
        "adherence",
    ]
    assert data["schema"] == "nof1.results/2"
    assert data["analysis"] == {
        "alpha": 0.05,
        "interval_level": 0.95,
        "primary_method": "gls_ar1",
        "primary_outcome": "pain",
    }
    assert data["comparison"] == {
        "treated": "active",
        "control": "placebo",
        "treated_label": "LDN 4.5 mg",
        "control_label": "Placebo",
        "blinded": False,
    }
    assert [o["name"] for o in data["outcomes"]] == OUTCOMES
    assert list(data["outcomes"][0]["effects"]) == [
        "gls_ar1",
        "gls_ar1_trend",
        "welch_t",
        "paired_periods",
        "randomization",
        "nap",
        "bayes_ar1",
    ]


def test_gls_uses_exactly_the_included_observed_days():
    pf, aligned, results, _ = results_of("ldn-nof1-multicycle", [False, True] * 3)
    t = aligned.table
    rows = t[t["included"] & t["pain"].notna()]
    assert len(rows) < 6 * 21  # missing days dropped; first 7 days of each period excluded
    expected = gls_ar1(rows["pain"], rows["day"], rows["condition"] == "active")
    got = results.outcome("pain").effects["gls_ar1"]
    assert got.reason is expected.reason is None
    for key in ("estimate", "se", "df", "ci_low", "ci_high", "p_value"):
        assert getattr(got, key) == pytest.approx(getattr(expected, key), rel=1e-12)
    assert got.extra["phi"] == pytest.approx(expected.extra["phi"], rel=1e-9)


def test_a_real_benefit_shows_in_every_method_and_the_verdict():
    _, _, results, data = results_of("ldn-nof1-multicycle", [True, False] * 3, effect=-15)
    pain = data["outcomes"][0]
    for key in ("gls_ar1", "gls_ar1_trend", "welch_t", "paired_periods", "randomization"):
        assert pain["effects"][key]["estimate"] < -8, key
    assert pain["effects"]["nap"]["estimate"] > 0.8  # > 0.5 favours active
    assert pain["effects"]["bayes_ar1"]["p_benefit"] > 0.99
    assert pain["effects"]["randomization"]["min_p"] == 0.25  # 8 allocations, mirror ties
    assert "Pain was on average" in data["verdict"] and "lower on LDN 4.5 mg" in data["verdict"]
    assert pain["p_holm"] is None
    assert all(o["p_holm"] is not None for o in data["outcomes"][1:])


def test_blinded_analysis_equals_unblinded_with_labels_and_signs_swapped():
    alloc = [True, False, False, True, False, True]
    _, _, _, plain = results_of("ldn-nof1-multicycle", alloc, seed=4)
    _, _, _, blind = results_of("ldn-nof1-multicycle", alloc, seed=4, blind_a="active")
    assert blind["blinded"] is True and blind["labels"] == {"A": "group A", "B": "group B"}
    assert "blinded" in blind["verdict"]
    for o_plain, o_blind in zip(plain["outcomes"], blind["outcomes"], strict=True):
        assert o_blind["descriptive"]["A"] == o_plain["descriptive"]["active"]
        assert o_blind["percent_change"]["B"] == o_plain["percent_change"]["placebo"]
        for key in ("gls_ar1", "welch_t", "paired_periods", "randomization", "bayes_ar1"):
            a, b = o_plain["effects"][key], o_blind["effects"][key]
            np.testing.assert_allclose(b["estimate"], -a["estimate"], rtol=1e-6, atol=1e-9)
            if "p_value" in a:
                np.testing.assert_allclose(b["p_value"], a["p_value"], rtol=1e-6)
        np.testing.assert_allclose(
            o_blind["effects"]["nap"]["estimate"],
            1 - o_plain["effects"]["nap"]["estimate"],
            rtol=1e-12,
        )


def test_blinded_2013_with_unequal_periods_still_gets_its_randomization_test():
    _, _, _, plain = results_of("ldn-fibromyalgia-2013", [False, True], seed=2)
    _, _, _, blind = results_of("ldn-fibromyalgia-2013", [False, True], seed=2, blind_a="active")
    a, b = (
        plain["outcomes"][0]["effects"]["randomization"],
        blind["outcomes"][0]["effects"]["randomization"],
    )
    assert b["estimate"] == pytest.approx(-a["estimate"]) and b["p_value"] == a["p_value"]


def test_randomization_test_cannot_reach_significance_with_one_cycle_of_the_2013_design():
    _, _, _, data = results_of("ldn-fibromyalgia-2013", [True, False], effect=-30)
    rand = data["outcomes"][0]["effects"]["randomization"]
    assert rand["n_allocations"] == 2 and rand["exact"] is True
    assert rand["min_p"] == 0.5 and rand["p_value"] >= 0.5
    assert "cannot give p below 0.5" in data["verdict"]
    paired = data["outcomes"][0]["effects"]["paired_periods"]
    assert paired["estimate"] is None and "2" in paired["reason"]


def test_the_fixed_order_pilot_has_no_randomization_test_and_says_why():
    _, _, _, data = results_of("ldn-fibromyalgia-2009-pilot", [False, True])
    rand = data["outcomes"][0]["effects"]["randomization"]
    assert rand["estimate"] is None and "fixed" in rand["reason"]
    assert "fixed, not randomized" in data["verdict"]
    assert data["outcomes"][0]["name"] == "symptom_severity"


def test_an_outcome_with_no_placebo_days_gives_reasons_not_a_crash():
    pf, aligned = aligned_table("ldn-nof1-multicycle", [True, False] * 3)
    t = aligned.table
    t.loc[t["condition"] == "placebo", "fatigue"] = np.nan
    data = analyze_patient(aligned, pf).to_dict()
    fatigue = data["outcomes"][1]
    for key, effect in fatigue["effects"].items():
        assert effect["estimate"] is None and effect["reason"], key
    assert fatigue["descriptive"]["placebo"]["n"] == 0
    assert data["outcomes"][0]["effects"]["gls_ar1"]["estimate"] is not None


def test_percent_change_uses_the_last_endpoint_days_of_each_period():
    pf, aligned = aligned_table("ldn-fibromyalgia-2013", [True, False], missing=0)
    t = aligned.table
    t["pain"] = 50.0
    t.loc[t["condition"] == "active", "pain"] = 40.0
    last3 = t.index[t["condition"] == "placebo"][-3:]
    t.loc[last3, "pain"] = 45.0  # only the last 3 placebo days count for its end point
    data = analyze_patient(aligned, pf).to_dict()
    assert data["outcomes"][0]["percent_change"] == {"active": -20.0, "placebo": -10.0}


def test_responder_follows_the_protocol_rule():
    _, _, results, data = results_of(
        "ldn-nof1-multicycle", [True, False] * 3, effect=-20, missing=0
    )
    vs = {o["name"]: o["vs_baseline"]["active"]["improved"] for o in data["outcomes"]}
    assert data["responder"]["active"] == (vs["pain"] and (vs["fatigue"] or vs["sleep_quality"]))
    assert data["responder"]["rule"].startswith("a significant reduction in pain plus")
    assert "own baseline" in data["responder"]["rule"]


def test_data_quality_counts_missing_and_excluded_days():
    _, aligned, _, data = results_of("ldn-nof1-multicycle", [True, False] * 3, missing=0.2)
    q = data["data_quality"]
    t = aligned.table
    assert q["days_planned"] == 182 and q["days_observed"] == int(t["observed"].sum())
    assert len(q["missing_dates"]) == 182 - q["days_observed"]
    assert q["analytic_washout_days"] == 7
    assert len(q["periods"]) == 7  # baseline + 6 treatment periods
    assert sum(p["days"] for p in q["periods"]) == 182

"""Harms, adherence and the blinding check in results.json, on diaries with those columns."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from side_diaries import add_items, with_items
from test_patient import aligned_table

from nof1.analysis import registry
from nof1.analysis.blinding import bang_index
from nof1.analysis.days import PatientDays
from nof1.analysis.patient import analyze_patient, analyze_patients
from nof1.analysis.patient_trials import Patient, compared_trials

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "nof1/schemas/results.schema.json").read_text()
)
ORDER = [True, False, False, True, True, False]  # periods 1, 4, 5 active


def _patient(blind_a=None, **kw):
    pf, aligned = aligned_table("ldn-nof1-multicycle", ORDER, blind_a=blind_a)
    add_items(aligned.table, **kw)
    return with_items(pf), aligned


def test_harms_counts_by_hand_and_the_schema():
    pf, aligned = _patient()
    out = analyze_patient(aligned, pf).to_dict()
    jsonschema.validate(out, SCHEMA)
    t = aligned.table
    on = (t["phase"] == "treatment") & (t["period"] > 0)
    harms = {e["name"]: e for e in out["harms"]["events"]}
    assert list(harms) == ["vivid_dreams", "insomnia", "any"]
    for name in ("vivid_dreams", "insomnia"):
        for c in ("active", "placebo"):
            days = t.loc[on & (t["condition"] == c), name].dropna()
            got = harms[name]["by_condition"][c]
            assert got["days_observed"] == len(days)
            assert got["days_with_event"] == int(days.sum())
            assert got["rate"] == pytest.approx(days.mean())
    d = harms["vivid_dreams"]
    assert d["difference"]["estimate"] == pytest.approx(
        d["by_condition"]["active"]["rate"] - d["by_condition"]["placebo"]["rate"]
    )
    assert d["difference"]["p_value"] < 0.05  # 30% against 5% of days
    assert "clearly more frequent on LDN 4.5 mg" in d["message"]
    assert "vivid dreams on" in out["verdict"] and "Side effects clearly" in out["verdict"]
    any_ = harms["any"]["by_condition"]["active"]
    both = t.loc[on & (t["condition"] == "active"), ["vivid_dreams", "insomnia"]]
    assert any_["days_with_event"] == int((both == 1).any(axis=1).sum())


def test_no_difference_is_not_in_the_verdict():
    pf, aligned = _patient(rates=(0.1, 0.1))
    out = analyze_patient(aligned, pf).to_dict()
    assert "Side effects" not in out["verdict"]


def test_adherence_per_period_and_per_protocol_with_the_primary_method():
    pf, aligned = aligned_table("ldn-nof1-multicycle", ORDER)
    add_items(aligned.table)
    # Another primary method, to show it is read from the protocol, not hard-coded.
    pf = with_items(pf, primary_method="welch_t")
    out = analyze_patient(aligned, pf).to_dict()
    jsonschema.validate(out, SCHEMA)
    a = out["adherence"]
    t = aligned.table
    for q in a["by_period"]:
        days = t.loc[(t["period"] == q["period"]) & (t["phase"] == "treatment"), "dose_taken"]
        assert q["days_observed"] == days.notna().sum()
        assert q["share"] == pytest.approx(days.mean())
        assert q["below_min"] == (days.mean() < 0.8)
        assert q["cycle"] == (q["period"] + 1) // 2
    left_out = [q["period"] for q in a["by_period"] if q["below_min"]]
    assert 3 in left_out and a["per_protocol"]["periods_left_out"] == len(left_out)
    # The per-protocol effect by hand: welch_t with the left-out periods' days not compared.
    days = PatientDays.from_table(t, [o.name for o in pf.protocol.outcomes])
    days = dataclasses.replace(days, included=days.included & ~np.isin(days.period, left_out))
    trials = compared_trials([Patient(days, "active", "placebo", False)], pf.protocol)
    expected = registry.method("welch_t").run(trials).effect(0)
    got = a["per_protocol"]["effect"]
    assert set(got) == {*registry.method("welch_t").fields, "reason"}
    assert got["estimate"] == pytest.approx(expected.estimate)
    itt = out["outcomes"][0]["effects"]["welch_t"]
    assert got["estimate"] != pytest.approx(itt["estimate"])


def test_full_adherence_keeps_the_main_effect():
    pf, aligned = _patient(low_adherence_period=99)
    aligned.table["dose_taken"] = 1.0
    out = analyze_patient(aligned, pf).to_dict()
    pp = out["adherence"]["per_protocol"]
    assert pp["periods_left_out"] == 0
    assert pp["effect"] == out["outcomes"][0]["effects"][out["analysis"]["primary_method"]]
    assert "no period below 80%" in out["adherence"]["message"]


def test_every_period_below_the_minimum_leaves_nothing_per_protocol():
    pf, aligned = _patient(low_adherence_period=99)
    aligned.table["dose_taken"] = (aligned.table["day"] % 2).astype(float)  # half the days
    _, other = _patient()  # period 3 half taken
    out = analyze_patients([aligned, other], pf)  # beside a patient who took them
    pp = out[0].to_dict()["adherence"]["per_protocol"]
    assert pp["periods_left_out"] == 6 and pp["effect"] is None
    assert "nothing is left to compare" in pp["reason"]
    kept = out[1].to_dict()["adherence"]["per_protocol"]
    assert 1 <= kept["periods_left_out"] < 6 and kept["effect"]["estimate"] is not None


def test_blinding_unblinded_guesses_and_bang_by_hand():
    pf, aligned = _patient(guess=lambda c: "drug")  # says "drug" every time
    out = analyze_patient(aligned, pf).to_dict()
    b = out["blinding"]
    assert b["warnings"] == []
    assert b["guesses"] == {
        "active": {"drug": 3, "placebo": 0, "unsure": 0},
        "placebo": {"drug": 3, "placebo": 0, "unsure": 0},
    }
    assert b["periods_asked"] == 6 and b["correct"] == 3
    assert b["bang"]["active"]["estimate"] == 1.0
    assert b["bang"]["placebo"]["estimate"] == -1.0
    assert b["message"].startswith("Guessed right in 3 of 6 periods, no better than chance: ")
    assert "3 of 3 right on LDN 4.5 mg; 0 of 3 right on Placebo" in b["message"]


def test_blinded_analysis_reports_by_group_and_never_guesses_the_allocation():
    pf, aligned = _patient(blind_a="placebo")
    out = analyze_patient(aligned, pf).to_dict()
    jsonschema.validate(out, SCHEMA)
    b = out["blinding"]
    assert set(b["guesses"]) == {"A", "B"}
    assert b["correct"] is None and b["bang"] is None
    assert "blinded" in b["message"]
    harms = out["harms"]["events"][0]
    assert set(harms["by_condition"]) == {"A", "B"}
    assert "group B" in harms["message"] and "LDN" not in harms["message"]
    assert set(out["adherence"]["by_condition"]) == {"A", "B"}
    assert "placebo" not in json.dumps(out["adherence"]).lower().replace('"placebo": 0', "")


def test_without_the_protocol_fields_the_keys_are_null():
    pf, aligned = aligned_table("ldn-nof1-multicycle", ORDER)
    pf = with_items(pf, events=None, adherence=None, check=None)
    out = analyze_patient(aligned, pf).to_dict()
    jsonschema.validate(out, SCHEMA)
    assert out["harms"] is None and out["adherence"] is None
    assert out["blinding"]["guesses"] is None and "warnings" in out["blinding"]


def test_many_patients_equal_one_at_a_time():
    pairs = [_patient(seed=s) for s in (1, 2, 3)]
    pf = pairs[0][0]
    batch = analyze_patients([a for _, a in pairs], pf)
    for (_, aligned), got in zip(pairs, batch, strict=True):
        one = analyze_patient(aligned, pf).to_dict()
        for key in ("harms", "adherence", "blinding"):
            assert _rounded(got.to_dict()[key]) == _rounded(one[key])


def _rounded(value):
    """Floats to 8 significant digits (batched REML fits differ in the last digits)."""
    if isinstance(value, float):
        return float(f"{value:.8g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def test_bang_index_formula_by_hand():
    # 5 right, 2 wrong, 3 unsure of 10: BI = 0.3, Var = (.5*.5 + .2*.8 + 2*.5*.2) / 10.
    est, low, high = bang_index(5, 2, 3, 0.05)
    se = np.sqrt((0.25 + 0.16 + 0.2) / 10)
    assert float(est) == pytest.approx(0.3)
    assert float(low) == pytest.approx(0.3 - 1.959964 * se, abs=1e-6)
    assert float(high) == pytest.approx(0.3 + 1.959964 * se, abs=1e-6)
    est, low, high = bang_index([0, 4], [0, 0], [0, 0])
    assert np.isnan(est[0]) and est[1] == 1.0

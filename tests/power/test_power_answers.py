"""``nof1 power`` with the protocol's answer items: harms, adherence and the blinding check.

Outcome results must stay what they were before the answer items were simulated
(``data/main_power_numbers.json``: power.json ``results`` written by commit 16ea046, main
with gls_ar1_kr's full Kenward-Roger form but before power simulated answer items): counts and
texts exactly, every other number to 1e-9 relative, since the last digits of a bias or an MC
SE move with the numpy/scipy/OpenBLAS build (5e-13 to 9e-11 between two builds here);
the harms test's type I error is checked against alpha."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import nof1
from nof1.cli import main
from nof1.errors import Nof1Error

HERE = Path(__file__).resolve().parent
SCHEMA = json.loads((HERE.parents[1] / "nof1" / "schemas" / "power.schema.json").read_text())


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


@pytest.mark.parametrize("case", ["multicycle", "2013", "2013_series", "pilot"])
def test_outcome_results_are_those_of_main(case):
    ref = json.loads((HERE / "data" / "main_power_numbers.json").read_text())[case]
    call = dict(ref["call"])
    data = nof1.power(call.pop("protocol"), **call).to_dict()
    assert [sorted(r) for r in data["results"]] == [sorted(r) for r in ref["results"]]
    for got, want in zip(data["results"], ref["results"], strict=True):
        for key, value in want.items():
            if isinstance(value, float) and not value.is_integer():
                assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (got["method"], key)
            else:
                assert got[key] == value, (got["method"], key)


def test_other_answer_settings_do_not_move_the_outcome_results():
    kw = dict(effect=[0, -10], sims=30, seed=4)
    plain = nof1.power("ldn-nof1-multicycle", **kw).to_dict()
    other = nof1.power(
        "ldn-nof1-multicycle",
        **kw,
        event_rate={"nausea": (0.1, 0.5)},
        event_persistence=0.8,
        missed_dose_rate=0.3,
        guess_right=0.9,
    ).to_dict()
    assert other["results"] == plain["results"]
    assert other["harms"] != plain["harms"] and other["adherence"] != plain["adherence"]


@pytest.fixture(scope="module")
def multicycle(tmp_path_factory):
    out = tmp_path_factory.mktemp("multicycle")
    result = run("power", "ldn-nof1-multicycle", "--effect", "0,-10", "--cycles", "2,3",
                 "--sims", "60", "--seed", "2", "--event-rate", "vivid_dreams=0.05:0.4",
                 "--guess-right", "0.9", "--missed-dose-rate", "0.15", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((out / "power.json").read_text()), (out / "power.html").read_text()


def test_multicycle_end_to_end(multicycle):
    data, page = multicycle
    jsonschema.validate(data, SCHEMA)
    inputs = data["inputs"]
    assert inputs["event_rates"]["vivid_dreams"] == [0.05, 0.4]
    assert inputs["event_rates"]["headache"] == [0.08, 0.08]  # simulate's default
    assert (inputs["guess_right"], inputs["missed_dose_rate"]) == (0.9, 0.15)
    # harms: one row per design and event (then any), not per effect
    assert [h["event"] for h in data["harms"]][:5] == [
        "vivid_dreams", "insomnia", "headache", "nausea", "any"]  # fmt: skip
    assert len(data["harms"]) == 2 * 5 and len(data["blinding"]) == 2
    assert len(data["adherence"]) == 2 * 2  # designs x effects
    vivid = [h for h in data["harms"] if h["event"] == "vivid_dreams"]
    assert vivid[1]["rejection_rate"] > vivid[0]["rejection_rate"] - 0.1  # 3 vs 2 cycles
    assert all(h["measures"] == "type_i_error" for h in data["harms"] if h["event"] == "nausea")
    for a in data["adherence"]:
        assert 0 < a["periods_left_out"] < 0.5 and a["method"] == "gls_ar1_kr"
    # guessing right 90% of the time shows in Bang's index: (1 - 0.2) (2 * 0.9 - 1) = 0.64
    for b in data["blinding"]:
        assert abs(b["bang"]["active"]["mean"] - 0.64) < 4 * b["bang"]["active"]["mc_se"]
    assert not data["blinding"][0]["can_flag"] and data["blinding"][1]["can_flag"]
    assert "Harms: chance to detect" in page and "Blinding check" in page
    assert "undetected" in data["recommendation"] or "would detect" in data["recommendation"]
    assert "--event-rate vivid_dreams=0.05:0.4" in data["software"]["command"]
    assert "--guess-right 0.9" in data["software"]["command"]


def test_2013_end_to_end_with_a_series(tmp_path):
    result = run("power", "ldn-fibromyalgia-2013", "--effect", "0,-10", "--sims", "15",
                 "--patients", "3", "--seed", "3", "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "power.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["harms"][0]["sims"] == 45  # per patient: sims x patients
    (b,) = data["blinding"]
    assert b["periods_asked"] == 2 and not b["can_flag"] and b["better_than_chance"] == 0
    assert "never (too few periods)" in (tmp_path / "power.html").read_text()


def test_the_pilot_without_a_blinding_check_still_works(tmp_path):
    result = run("power", "ldn-fibromyalgia-2009-pilot", "--effect", "0,-10", "--sims", "20",
                 "--seed", "1", "--guess-right", "0.9", "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "power.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["blinding"] is None and "guess_right" not in data["inputs"]
    assert data["harms"] and data["adherence"]
    assert "Blinding check" not in (tmp_path / "power.html").read_text()


def test_harms_type_one_error_is_near_alpha():
    """Equal rates: the harms test finds a difference no more often than alpha (it is
    conservative with persistent events; docs in nof1.analysis.event_rates)."""
    equal = {"vivid_dreams": (0.2, 0.2), "insomnia": (0.1, 0.1)}
    data = nof1.power("ldn-nof1-multicycle", effect=0, sims=1500, seed=11, event_rate=equal)
    data = data.to_dict()
    alpha = data["analysis"]["alpha"]
    rows = [h for h in data["harms"] if h["event"] != "any"]
    assert all(h["measures"] == "type_i_error" for h in rows)
    for h in rows:
        assert h["rejection_rate"] <= alpha + 2 * h["mc_se"], h
        assert h["coverage"] >= 1 - alpha - 2 * h["coverage_mc_se"], h


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event-rate", "foo=0.1:0.2"], "not an adverse event of protocol"),
        (["--event-rate", "nausea=0.1"], "expected NAME=PLACEBO:ACTIVE"),
        (["--event-rate", "nausea=0.1:1.5"], "expected NAME=PLACEBO:ACTIVE"),
        (["--event-persistence", "1"], "--event-persistence"),
        (["--missed-dose-rate", "-0.1"], "--missed-dose-rate"),
        (["--guess-right", "2"], "--guess-right"),
        (["--guess-unsure", "x"], "--guess-unsure"),
    ],
)
def test_bad_answer_options_exit_1_with_one_message_and_write_nothing(tmp_path, args, message):
    result = run("power", "ldn-nof1-multicycle", "--effect", "-10", "--sims", "5",
                 *args, "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    if "foo" in args[-1]:
        assert "--event-rate" in result.output and "foo" in result.output
    assert not (tmp_path / "out").exists()


def test_an_event_rate_for_a_protocol_without_events_names_it(tmp_path):
    from nof1.protocol import read_protocol

    pf = read_protocol("ldn-nof1-multicycle")
    bare = pf.protocol.model_copy(update={"adverse_events": []})
    from nof1.power.side import answer_settings

    with pytest.raises(ValueError, match="its events: none"):
        answer_settings(bare, {"rates": {"nausea": (0.1, 0.2)}})


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"event_rate": {"foo": (0.1, 0.2)}}, "event_rate: not an adverse event"),
        ({"event_rate": {"nausea": (0.1,)}}, "event_rate: 'nausea' needs"),
        ({"event_persistence": 1.0}, "event_persistence"),
        ({"guess_unsure": 1.5}, "guess_unsure"),
        ({"missed_dose_rate": True}, "missed_dose_rate"),
    ],
)
def test_api_checks_the_answer_settings(kw, message):
    with pytest.raises(Nof1Error, match=message):
        nof1.power("ldn-nof1-multicycle", effect=-10, sims=5, seed=1, **kw)


def test_blinding_chance_test_is_the_patient_reports():
    """The share 'better than chance' uses the patient report's one-sided binomial test:
    with 6 periods only all 6 right is (p = 1/64 <= 0.05); with 4, never."""
    data = nof1.power("ldn-nof1-multicycle", effect=-10, cycles=[2, 3], sims=20, seed=1,
                      guess_right=1.0, guess_unsure=0.0).to_dict()  # fmt: skip
    two, three = data["blinding"]
    assert (two["better_than_chance"], two["can_flag"]) == (0.0, False)
    assert (three["better_than_chance"], three["can_flag"]) == (1.0, True)
    assert three["bang"]["active"]["mean"] == three["bang"]["placebo"]["mean"] == 1.0

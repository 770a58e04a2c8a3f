"""``nof1 power --patients N --effect-sd S``: each simulated patient has their own true effect
(issue 15 item 6), drawn by the same generator as ``nof1 simulate``; bad input exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import nof1
from nof1.cli import main
from nof1.design.allocation import sample_allocations
from nof1.errors import Nof1Error
from nof1.power import Scenario, power_analysis
from nof1.power.summary import patient_effects
from nof1.protocol import read_protocol
from nof1.simulate import simulate_outcomes

PF = read_protocol("ldn-nof1-multicycle")
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "nof1" / "schemas" / "power.schema.json").read_text()
)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


@pytest.fixture(scope="module")
def spread(tmp_path_factory):
    out = tmp_path_factory.mktemp("effect-sd")
    args = ["power", "ldn-nof1-multicycle", "--effect", "0,-10", "--sims", "30", "--seed", "3"]
    result = run(*args, "--patients", "8", "--effect-sd", "3", "--out", out)
    assert result.exit_code == 0, result.output
    return json.loads((out / "power.json").read_text()), out


def test_cli_end_to_end_with_effect_sd(spread):
    data, out = spread
    jsonschema.validate(data, SCHEMA)
    assert data["inputs"]["effect_sd"] == 3 and data["inputs"]["patients"] == 8
    assert "--patients 8 --effect-sd 3" in data["software"]["command"]
    meta = [r for r in data["results"] if r["method"] == "meta_analysis"]
    assert {r["patients"] for r in meta} == {8} and all("sd 3" in r["note"] for r in meta)
    assert "Knapp-Hartung" in meta[0]["rule"]
    # the series recommendation states the spread it assumed
    assert "varying between patients with sd 3 points" in data["recommendation"]
    # only the pooled test has a type I error: every patient has an effect of their own
    null = [r for r in data["results"] if r["effect"] == 0]
    assert all((r["type_i_error"] is None) == (r["method"] != "meta_analysis") for r in null)
    assert "not type I errors" in data["recommendation"]
    assert "calibration" in (out / "power.html").read_text().lower()


def test_effect_sd_0_says_it_overstates_pooled_power():
    out = power_analysis(PF, [-10.0], Scenario(), sims=10, patients=3, seed=1)
    assert out["inputs"]["effect_sd"] == 0
    assert "(--effect-sd 0, which overstates the pooled power)" in out["recommendation"]
    help_text = run("power", "--help").output
    assert "--effect-sd" in help_text and "overstates the pooled power" in help_text


def test_the_spread_lowers_pooled_power_and_keeps_pooled_coverage():
    # Same seed: with the effects spread (sd 8) the pooled test has less power than with
    # one effect for all, and the Knapp-Hartung interval still covers the mean effect.
    common = dict(sims=150, patients=6, seed=4)
    same = power_analysis(PF, [-5.0], Scenario(phi=0.3), **common)
    varied = power_analysis(PF, [-5.0], Scenario(phi=0.3), effect_sd=8.0, **common)

    def meta(out):
        return next(r for r in out["results"] if r["method"] == "meta_analysis")

    assert meta(varied)["rejection_rate"] < meta(same)["rejection_rate"]
    m = meta(varied)
    assert m["coverage"] > 0.95 - 3 * m["coverage_mc_se"], m


def test_the_patients_own_effects_are_the_ones_simulated():
    # patient_effects reads the draw simulate_outcomes makes first: with no noise the
    # treated-minus-control difference of each trial is exactly its own effect.
    p = PF.protocol
    rng = np.random.default_rng(9)
    alloc = sample_allocations(p, 12, rng)
    own = patient_effects(rng, 12, -4.0, 5.0)
    y = simulate_outcomes(
        p, alloc, -4.0, 0.0, 0.0, effect_sd=5.0, outcomes=["pain"], integer=False, rng=rng
    )["pain"]
    from nof1.design.timeline import included_conditions

    arm = included_conditions(p, alloc)
    diff = [y[i, arm[i] == 1].mean() - y[i, arm[i] == 0].mean() for i in range(12)]
    np.testing.assert_allclose(diff, own, rtol=1e-12)
    assert np.std(own) > 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "4", "--effect-sd", "-1"], "--effect-sd"),
        (["--patients", "4", "--effect-sd", "abc"], "--effect-sd"),
        (["--effect-sd", "2"], "needs --patients 2 or more (got --patients 1)"),
    ],
)
def test_bad_effect_sd_exits_1_with_one_message_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    result = run("power", "ldn-nof1-multicycle", "--effect", "0", *args, "--out", out)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert result.output.count("Error") == 1
    assert not out.exists()


def test_api_takes_effect_sd_and_checks_it():
    run_ = nof1.power("ldn-nof1-multicycle", effect=[-10], patients=3, effect_sd=2, sims=5, seed=1)
    assert run_.to_dict()["inputs"]["effect_sd"] == 2
    with pytest.raises(Nof1Error, match="effect_sd"):
        nof1.power("ldn-nof1-multicycle", effect=[-10], effect_sd=2, sims=5, seed=1)
    with pytest.raises(Nof1Error, match="effect_sd"):
        nof1.power("ldn-nof1-multicycle", effect=[-10], patients=3, effect_sd=-1, sims=5)

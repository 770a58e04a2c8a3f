"""nof1.power: the numbers `nof1 power` writes for the same seed, checked inputs, the page."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import nof1
from nof1.cli import main
from nof1.errors import Nof1Error

PROTOCOL = "ldn-nof1-multicycle"


@pytest.fixture(scope="module")
def run():
    return nof1.power(PROTOCOL, effect=[0, -10], cycles=[2, 3], sims=40, seed=3)


def test_results_are_what_nof1_power_writes(tmp_path, run):
    args = ["power", PROTOCOL, "--effect", "0,-10", "--cycles", "2,3", "--sims", "40"]
    done = CliRunner().invoke(main, [*args, "--seed", "3", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    written = json.loads((tmp_path / "power.json").read_text())
    assert written["software"].pop("command").startswith("nof1 power ldn-nof1-multicycle")
    mine = run.to_dict()
    assert mine["software"].pop("command") is None
    assert mine == written


def test_results_frame_is_power_json_results(run):
    rows = run.to_dict()["results"]
    frame = run.results
    assert len(frame) == len(rows) and list(frame.columns) == list(rows[0])
    assert frame.to_dict("records")[5]["rejection_rate"] == rows[5]["rejection_rate"]
    assert set(frame["cycles"]) == {2, 3} and set(frame["effect"]) == {0.0, -10.0}
    assert run.recommendation == run.to_dict()["recommendation"]


def test_one_effect_and_one_design_need_no_lists():
    one = nof1.power(PROTOCOL, effect=-10, cycles=2, sims=5, seed=1)
    assert set(one.results["effect"]) == {-10.0} and set(one.results["cycles"]) == {2}


def test_without_a_seed_one_is_drawn_and_recorded():
    one = nof1.power(PROTOCOL, effect=-10, sims=5)
    seed = one.to_dict()["inputs"]["seed"]
    again = nof1.power(PROTOCOL, effect=-10, sims=5, seed=seed)
    assert again.to_dict() == one.to_dict()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"phi": 1.0}, "phi must be a finite number > -1 and < 1, got 1"),
        ({"sd": 0}, "sd must be a finite number > 0"),
        ({"sims": 0}, "sims: expected a whole number from 1 to 1,000,000, got 0"),
        ({"patients": 2.5}, "patients: expected a whole number"),
        ({"effect": []}, "effect: give at least one effect"),
        ({"effect": "0,-10"}, "effect: expected numbers, got '0,-10'"),
        ({"effect": [float("nan")]}, "effect: nan is not a finite number"),
        ({"cycles": [0]}, "cycles: each value must be at least 1, got 0"),
        ({"period_days": [14]}, "design point cycles=3, period_days=14"),
    ],
)
def test_bad_values_are_named(kwargs, message):
    kwargs = {"effect": -10, "sims": 5, "seed": 1} | kwargs
    with pytest.raises(Nof1Error) as caught:
        nof1.power(PROTOCOL, **kwargs)
    assert message in str(caught.value)


def test_repr_html_and_report(tmp_path, run):
    page = run._repr_html_()
    assert len(page.encode("utf-8")) < 100_000 and "<script" not in page
    assert run.recommendation[:40] in page and "3 cycles x 28 d" in page
    assert "sims each" in repr(run)
    target = run.report(tmp_path / "power.html")
    assert "<!DOCTYPE html>" in target.read_text()[:100]
    with pytest.raises(Nof1Error, match="pass overwrite=True"):
        run.report(target)


def test_repr_html_of_a_large_grid_stays_small(run):
    from nof1.api.power import PowerResult

    data = run.to_dict()
    design, row = data["designs"][0], data["results"][0]
    data["designs"] = [design | {"cycles": c, "label": f"{c} cycles"} for c in range(1, 501)]
    data["inputs"]["effects"] = [float(e) for e in range(-20, 1)]
    data["results"] = [
        row | {"cycles": c, "effect": e} for c in range(1, 501) for e in data["inputs"]["effects"]
    ]
    page = PowerResult(json.dumps(data), run.protocol)._repr_html_()
    assert len(page.encode("utf-8")) < 100_000
    assert "... and 460 more designs" in page and "effect -20" in page

"""``nof1 power`` through the CLI: files, schema, determinism and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from nof1.cli import main

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "nof1" / "schemas" / "power.schema.json").read_text()
)
BASE = ["power", "ldn-nof1-multicycle", "--effect", "0,-10", "--sims", "40", "--seed", "1"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("power")
    result = run(*BASE, "--cycles", "2,3", "--patients", "3", "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


def test_power_writes_json_and_html(written):
    out, result = written
    assert sorted(p.name for p in out.iterdir()) == [
        ".nof1-outputs.json",
        "power.html",
        "power.json",
    ]
    assert str(out / "power.json") in result.stdout
    assert "power" in result.stderr  # the recommendation, on stderr


def test_power_json_follows_its_schema(written):
    data = json.loads((written[0] / "power.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["schema"] == "nof1.power/2"
    assert {r["method"] for r in data["results"]} >= {"gls_ar1", "welch_t", "meta_analysis"}
    assert data["software"]["command"].startswith("nof1 power ldn-nof1-multicycle --effect 0,-10")


def test_power_json_rejects_a_result_without_its_keys(written):
    data = json.loads((written[0] / "power.json").read_text())
    del data["results"][0]["coverage"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_power_html_is_one_offline_page_with_plotly_inlined_once(written):
    from nof1.report.html import plotly_js

    page = (written[0] / "power.html").read_text()
    assert page.count(plotly_js()[:500]) == 1
    assert page.count("Plotly.newPlot") >= 3  # primary curves plus one per design
    # plotly.js itself holds links (its logo); the page around it must load nothing
    around = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?://""", around) and "<link " not in around
    assert json.loads((written[0] / "power.json").read_text())["recommendation"][:40] in page


def test_the_same_seed_writes_the_same_json(tmp_path):
    for name in ("a", "b"):
        assert run(*BASE, "--out", tmp_path / name).exit_code == 0
    assert (tmp_path / "a" / "power.json").read_text().replace("--out a", "--out b") == (
        tmp_path / "b" / "power.json"
    ).read_text()


def test_no_progress_bar_when_stderr_is_not_a_terminal(written):
    assert "Simulating" not in written[1].stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--sd", "-2"], 1, "Invalid value for '--sd'"),
        (["--phi", "1"], 1, "Invalid value for '--phi'"),
        (["--phi", "-1.5"], 1, "Invalid value for '--phi'"),
        (["--sims", "0"], 1, "Invalid value for '--sims'"),
        (["--cycles", "2,x"], 1, "expected comma-separated whole numbers"),
        (["--cycles", "0"], 1, "each value must be at least 1"),
        (
            ["--period-days", "14"],
            1,
            "Error: design point cycles=3, period_days=14, analytic_washout_days=7",
        ),
        (
            ["--period-days", "21", "--analytic-washout-days", "0,21"],
            1,
            "design point cycles=3, period_days=21, analytic_washout_days=21",
        ),
    ],
)
def test_bad_input_exits_1_with_a_clear_message(tmp_path, args, code, message):
    result = run(*BASE, *args, "--out", tmp_path)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_missing_option_is_still_a_usage_error(tmp_path):
    result = run("power", "ldn-nof1-multicycle", "--out", tmp_path)
    assert result.exit_code == 2 and "Missing option '--effect'" in result.stderr


def test_effect_is_required_and_accepts_a_negative_value(tmp_path):
    assert (
        "Missing option '--effect'" in run("power", "ldn-nof1-multicycle", "--out", tmp_path).stderr
    )
    result = run(
        "power", "ldn-nof1-multicycle", "--effect", "-10", "--sims", "5", "--out", tmp_path
    )
    assert result.exit_code == 0, result.output


def test_existing_files_are_not_overwritten_without_force(written):
    result = run(*BASE, "--out", written[0])
    assert result.exit_code == 1 and "use --force" in result.stderr


def test_help_describes_the_command():
    text = run("power", "--help").output
    assert "--analytic-washout-days" in text and "power.json" in text

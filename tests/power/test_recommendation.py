"""The recommendation's words: inflated type I errors are warned about as measured, and with
several patients the series' question is answered first (issue 13, item 6)."""

from __future__ import annotations

import html
import json
import re

import pytest
from click.testing import CliRunner

from nof1.analysis.registry import METHODS
from nof1.cli import main
from nof1.power import Scenario, design_grid, power_analysis
from nof1.protocol import read_protocol

PF = read_protocol("ldn-nof1-multicycle")


def null_rows(out: dict) -> dict:
    return {r["method"]: r for r in out["results"] if r["effect"] == 0}


@pytest.fixture(scope="module")
def autocorrelated():
    """phi 0.6, one design: NAP and Welch treat days as independent, so reject too often."""
    grid = design_grid(PF.protocol, cycles=[3])
    return power_analysis(PF, [0.0, -10.0], Scenario(sd=12, phi=0.6), grid, sims=150, seed=5)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    out = tmp_path_factory.mktemp("series-power")
    args = ["power", "ldn-nof1-multicycle", "--effect", "0,-10", "--cycles", "2,3"]
    done = CliRunner().invoke(
        main, [*args, "--sims", "30", "--seed", "2", "--patients", "4", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    return out, done


def test_every_method_measured_as_inflated_is_warned_about_and_no_other(autocorrelated):
    text, alpha = autocorrelated["recommendation"], autocorrelated["analysis"]["alpha"]
    null = null_rows(autocorrelated)
    primary = autocorrelated["inputs"]["primary_method"]
    inflated = {
        m for m, r in null.items() if r["rejection_rate"] > alpha + 2 * r["mc_se"] and m in METHODS
    }
    assert "welch_t" in inflated, {m: r["rejection_rate"] for m, r in null.items()}
    warning = next(s for s in re.split(r"(?<=\.) ", text) if "should not be relied on" in s)
    for method, row in null.items():
        if method == primary or method not in METHODS:
            continue
        named = f"{METHODS[method].name} " in warning
        assert named == (method in inflated), (method, row["rejection_rate"], warning)
        if named:
            assert f"{row['rejection_rate']:.0%}" in warning
    assert "of those trials" in warning and "nominal 5%" in warning
    assert "beyond 2 Monte Carlo SEs" in warning


def test_welch_is_described_once(autocorrelated):
    text = autocorrelated["recommendation"]
    assert text.count(METHODS["welch_t"].name) == 1
    assert "ignores autocorrelation" not in text  # its name already says so
    assert "welch_t" not in text and "nap " not in text  # names for people, not keys


def test_a_method_within_monte_carlo_error_is_not_warned_about():
    # phi 0: days are independent, so NAP's and Welch's type I errors are near alpha.
    grid = design_grid(PF.protocol, cycles=[3])
    out = power_analysis(PF, [0.0, -10.0], Scenario(sd=12, phi=0.0), grid, sims=60, seed=4)
    alpha = out["analysis"]["alpha"]
    null = null_rows(out)
    for method in ("nap", "welch_t"):
        row = null[method]
        if row["rejection_rate"] <= alpha + 2 * row["mc_se"]:
            assert METHODS[method].name not in out["recommendation"], row


def test_one_patient_leads_with_the_per_patient_answer(autocorrelated):
    text = autocorrelated["recommendation"]
    assert text.startswith(("With 3 cycles", "No design tried reaches 80% power"))
    assert "Pooled" not in text


def test_with_patients_the_pooled_answer_comes_first(series):
    data = json.loads((series[0] / "power.json").read_text())
    text = data["recommendation"]
    meta = [r for r in data["results"] if r["method"] == "meta_analysis" and r["effect"] == -10]
    enough = sorted(
        (r for r in meta if r["rejection_rate"] >= 0.8),
        key=lambda r: (r["total_days"], r["cycles"]),
    )
    row = enough[0] if enough else max(meta, key=lambda r: r["rejection_rate"])
    first, second = re.split(r"(?<=\.) ", text)[:2]
    assert first.startswith("Pooled over 4 patients, "), text
    assert f"{row['cycles']} cycles of 4 weeks each" in first
    assert f"{row['rejection_rate']:.0%} power (Meta-analysis across patients" in first
    assert "10-point reduction in pain" in first
    assert second.startswith("For each patient on their own, "), text
    assert text.count("Pooled over") == 1  # the series' answer is not repeated at the end


def test_power_html_shows_the_same_text(series):
    out, done = series
    text = json.loads((out / "power.json").read_text())["recommendation"]
    page = (out / "power.html").read_text()
    verdict = re.search(r'<p class="verdict">(.*?)</p>', page, flags=re.S).group(1)
    assert html.unescape(verdict) == text
    assert text in done.stderr  # and the CLI prints it

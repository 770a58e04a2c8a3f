"""The report and the verdict say what the results record: alpha, primary method, comparison.

results.json (contract ``nof1.results/2``) carries its ``analysis`` and ``comparison``; every
page reads them instead of assuming 95% intervals, the AR(1) regression or active/placebo.
Each test here runs the real CLI on the sample patient with a variant of its protocol.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from protocol_variants import protocol_dict

from nof1.analysis.registry import METHODS
from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
PROTOCOL = "ldn-nof1-multicycle"


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    return result


def _analyze_variant(folder: Path, **analysis) -> tuple[dict, str]:
    """The sample patient analysed with the shipped protocol's analysis plan changed."""
    data = protocol_dict(PROTOCOL)
    data["analysis"] = {**data["analysis"], **analysis}
    folder.mkdir(parents=True, exist_ok=True)
    protocol = folder / "protocol.yaml"
    protocol.write_text(yaml.safe_dump(data, sort_keys=False))
    out = folder / "out"
    _run(
        "analyze",
        SAMPLE / "P01-diary.csv",
        "--protocol",
        protocol,
        "--allocation",
        SAMPLE / "P01-unblinding-key.json",
        "--allow-protocol-change",
        "--out",
        out,
    )
    return json.loads((out / "results.json").read_text()), (out / "report.html").read_text()


def visible(html: str) -> str:
    """The page without plotly.js and styles, entities decoded: what the page says
    (figures included)."""
    page = re.sub(r"<(script|style)>.*?</\1>", "", html, count=2, flags=re.S)
    return unescape(page.replace("\\u003cbr\\u003e", " "))  # a figure's line breaks


def section(html: str, name: str) -> str:
    return html.split(f'<section id="{name}">')[1].split("</section>")[0]


@pytest.fixture(scope="module")
def alpha_10(tmp_path_factory):
    return _analyze_variant(tmp_path_factory.mktemp("alpha-10"), alpha=0.1)


@pytest.fixture(scope="module")
def paired(tmp_path_factory):
    return _analyze_variant(tmp_path_factory.mktemp("paired"), primary_method="paired_periods")


def test_no_interval_level_or_primary_method_is_written_into_the_report_code():
    files = [ROOT / "nof1" / "analysis" / "verdict.py"]
    files += [p for p in (ROOT / "nof1" / "report").rglob("*") if p.suffix in (".py", ".j2")]
    assert len(files) > 10
    for path in files:
        text = path.read_text()
        assert "95%" not in text, path
        assert "gls_ar1" not in text, path


def test_results_record_alpha_interval_level_primary_method_and_comparison(alpha_10):
    results, _ = alpha_10
    assert results["schema"] == "nof1.results/2"
    assert results["analysis"] == {
        "alpha": 0.1,
        "interval_level": 0.9,
        "primary_method": "gls_ar1_kr",
        "primary_outcome": "pain",
    }
    assert results["comparison"] == {
        "treated": "active",
        "control": "placebo",
        "treated_label": "LDN 4.5 mg",
        "control_label": "Placebo",
        "blinded": False,
    }


def test_a_protocol_with_alpha_0_1_says_90_percent_everywhere(alpha_10):
    results, html = alpha_10
    page = visible(html)
    # Harms and adherence give shares of days ("95% of days"), not interval levels: those
    # sections are checked for their level, then left out of the search.
    assert "(90% interval" in section(page, "harms") and "90% CI" in section(page, "adherence")
    for name in ("harms", "adherence"):
        page = page.replace(section(page, name), "")
    assert "95%" not in page and "95 %" not in page
    verdict = section(page, "verdict")
    assert "90% confidence interval (points)" in verdict
    assert "(90% CI from" in results["verdict"] and results["verdict"] in verdict
    assert '<th class="num">90% CI</th>' in section(page, "secondary")
    assert "estimate and 90% interval" in section(page, "effects")  # the forest's legend
    methods = section(page, "methods")
    assert "two-sided alpha 0.1 and 90% intervals" in methods
    assert "alpha 0.1;" in section(page, "protocol")
    # the interval shown is the 90% one the results hold
    primary = results["outcomes"][0]["effects"]["gls_ar1_kr"]
    assert f"{primary['ci_low']:.1f} to {primary['ci_high']:.1f}" in verdict


def test_the_primary_method_is_the_same_everywhere(paired):
    results, html = paired
    page = visible(html)
    pain = results["outcomes"][0]
    effect = pain["effects"]["paired_periods"]
    assert results["analysis"]["primary_method"] == "paired_periods"
    verdict = section(page, "verdict")
    # the headline box
    assert f"{effect['estimate']:+.1f} points" in verdict
    assert f"{effect['ci_low']:.1f} to {effect['ci_high']:.1f}" in verdict
    # the verdict
    assert "from a paired t-test over cycles)" in results["verdict"]
    assert f"{abs(effect['estimate']):.1f} points lower" in results["verdict"]
    # the effects table and its caption
    secondary = section(page, "secondary")
    assert f"{effect['estimate']:+.1f}</td>" in secondary
    assert "Effects from the primary analysis (Paired t-test over cycles)" in secondary
    # the forest marks it as primary
    assert "Paired t-test over cycles (primary)" in section(page, "effects")
    assert "AR(1) regression (primary)" not in page
    # the methods text describes it, from the registry
    methods = section(page, "methods")
    described = METHODS["paired_periods"].description
    assert f"Primary analysis (Paired t-test over cycles): {described}" in methods
    gls = METHODS["gls_ar1"]
    assert f"Sensitivity analyses: {gls.name}: {gls.description}; " in methods
    assert "primary method Paired t-test over cycles" in section(page, "protocol")


def test_the_default_primary_method_is_described_from_the_registry(reports):
    page = visible((reports["sample"] / "report.html").read_text())
    methods = section(page, "methods")
    primary = METHODS["gls_ar1_kr"]
    assert f"Primary analysis ({primary.name}): {primary.description}" in methods
    for key, m in METHODS.items():
        if key != "gls_ar1_kr":
            assert f"{m.name}: {m.description}" in methods, key
    forest = section(page, "effects")
    for m in METHODS.values():
        if m.outcome_units:
            assert m.name in forest, m.key


def test_a_report_refuses_results_of_contract_v1_with_what_to_do(reports, tmp_path_factory):
    folder = tmp_path_factory.mktemp("old") / "results"
    folder.mkdir()
    data = json.loads((reports["sample"] / "results.json").read_text())
    data["schema"] = "nof1.results/1"
    del data["analysis"], data["comparison"]
    (folder / "results.json").write_text(json.dumps(data))
    (folder / "aligned.csv").write_text((reports["sample"] / "aligned.csv").read_text())
    result = CliRunner().invoke(main, ["report", str(folder), "--out", str(folder / "r.html")])
    assert result.exit_code == 1
    assert "expected 'nof1.results/2', got 'nof1.results/1'" in result.output
    assert "re-run nof1 analyze" in result.output
    assert not (folder / "r.html").exists()


@pytest.fixture(scope="module")
def series_alpha_10(tmp_path_factory):
    """The sample series analysed with alpha 0.1, and power of its design at alpha 0.1."""
    tmp = tmp_path_factory.mktemp("series-alpha-10")
    data = protocol_dict("ldn-fibromyalgia-2013")
    data["analysis"] = {**data["analysis"], "alpha": 0.1}
    protocol = tmp / "protocol.yaml"
    protocol.write_text(yaml.safe_dump(data, sort_keys=False))
    series = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
    _run(
        "series",
        series / "series-diary.csv",
        "--protocol",
        protocol,
        "--allocations",
        series / "series-unblinding-key.json",
        "--allow-protocol-change",
        "--out",
        tmp / "series",
    )
    _run("power", protocol, "--effect", "0,-10", "--sims", "30", "--seed", "1", "--out", tmp / "p")
    return tmp


def test_a_series_with_alpha_0_1_records_it_and_says_90_percent(series_alpha_10):
    data = json.loads((series_alpha_10 / "series" / "series.json").read_text())
    assert data["schema"] == "nof1.series/2"
    assert data["analysis"] == {
        "alpha": 0.1,
        "interval_level": 0.9,
        "primary_method": "gls_ar1_kr",
        "primary_outcome": "pain",
    }
    assert data["comparison"] | {"effect": None, "note": None} == {
        "treated": "active",
        "control": "placebo",
        "treated_label": "LDN 4.5 mg",
        "control_label": "Placebo",
        "blinded": False,
        "effect": None,
        "note": None,
    }
    page = visible((series_alpha_10 / "series" / "series.html").read_text())
    assert "95%" not in page
    assert "(90% CI from" in section(page, "summary")
    assert "pooled (REML, Knapp-Hartung 90% CI)" in page and "90% prediction interval" in page
    assert "would lie between" in section(page, "summary") and "90% of the time" in page
    assert '<th class="num">90% CI</th>' in section(page, "responders")
    assert "two-sided alpha 0.1 and 90% intervals" in section(page, "methods")


def test_power_records_alpha_and_its_page_says_it(series_alpha_10):
    data = json.loads((series_alpha_10 / "p" / "power.json").read_text())
    assert data["schema"] == "nof1.power/2"
    assert data["analysis"] == {"alpha": 0.1, "interval_level": 0.9}
    page = visible((series_alpha_10 / "p" / "power.html").read_text())
    assert "alpha 0.1;" in page and "(nominal 10%" in page


def test_treated_and_control_are_decided_in_one_place():
    """Only nof1.design.comparison says which condition is treated; the rest ask it."""
    decides = re.compile(r"\(\"B\", \"A\"\) if|if \w+ else \(\"active\", \"placebo\"\)")
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "nof1").rglob("*.py")
        if decides.search(path.read_text())
    ]
    assert found == ["nof1/design/comparison.py"]

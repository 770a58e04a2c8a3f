"""Issue 13 items 1 and 3: responder status says what it compares (the patient's own
baseline, not placebo) with the placebo comparison beside it, and the end-point column
shows the end points and says what they are, so nothing on a page seems to contradict
the numbers next to it."""

from __future__ import annotations

import html
import json
import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from nof1.cli import main
from nof1.data import read_aligned_csv
from nof1.protocol import load_protocol
from nof1.report.patient import render_patient_report

SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
BASIS = "Responder status is the 2013 study's comparison with the days before any treatment"


def _text(page: str) -> str:
    """The page's words, without scripts and tags, whitespace collapsed."""
    page = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return _text(page[start : page.index("</section>", start)])


@pytest.fixture(scope="module")
def series_sample(tmp_path_factory):
    """The shipped 31-patient 2013 series (P29: large effect, not a responder; P31: the
    reverse)."""
    out = tmp_path_factory.mktemp("series-sample") / "series"
    args = ["series", SERIES / "series-diary.csv", "--protocol", "ldn-fibromyalgia-2013"]
    args += ["--allocations", SERIES / "series-unblinding-key.json", "--out", out]
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    return out


def test_results_json_carries_the_end_points_behind_percent_change(reports):
    results = json.loads((reports["sample"] / "results.json").read_text())
    days = load_protocol("ldn-nof1-multicycle").analysis.endpoint_days
    for out in results["outcomes"]:
        end = out["end_point"]
        assert end["days"] == days
        assert end["baseline"] == pytest.approx(out["descriptive"]["baseline"]["mean"])
        for cond in ("active", "placebo"):
            expected = (end[cond] - end["baseline"]) / abs(end["baseline"]) * 100
            assert out["percent_change"][cond] == pytest.approx(expected, rel=1e-12)


def test_the_end_point_column_shows_the_end_points_and_says_what_they_are(reports):
    page = (reports["sample"] / "report.html").read_text()
    results = json.loads((reports["sample"] / "results.json").read_text())
    table = _section(page, "distributions")
    assert "End point (change from baseline)" in table
    assert "the mean of the last 3 observed days of each treatment period" in table
    assert "can differ from the condition's mean over all its days" in table
    life = next(o for o in results["outcomes"] if o["name"] == "life_satisfaction")
    end, pc = life["end_point"]["active"], life["percent_change"]["active"]
    assert f"{end:.1f} ({pc:+.1f}%)".replace("+-", "-") in table


def test_a_results_file_without_end_points_still_renders(reports):
    folder = reports["sample"]
    results = json.loads((folder / "results.json").read_text())
    for out in results["outcomes"]:
        del out["end_point"]
    aligned = read_aligned_csv(folder / "aligned.csv")
    page = render_patient_report(results, aligned, load_protocol("ldn-nof1-multicycle"))
    pc = results["outcomes"][0]["percent_change"]["active"]
    assert f"{pc:.1f}%" in _section(page, "distributions")


def test_patient_responder_status_says_baseline_and_gives_the_placebo_comparison(reports):
    results = json.loads((reports["sample"] / "results.json").read_text())
    page = (reports["sample"] / "report.html").read_text()
    effect = results["outcomes"][0]["effects"][results["analysis"]["primary_method"]]
    beside = f"(LDN 4.5 mg vs Placebo: {abs(effect['estimate']):.1f} points lower, p = 0.0012)"
    assert effect["estimate"] < 0 and round(effect["p_value"], 4) == 0.0012
    assert f"{BASIS}, not the comparison with Placebo above {beside}" in results["verdict"]
    secondary = _section(page, "secondary")
    assert "not a responder" in secondary and BASIS in secondary and beside in secondary
    # the verdict already says it: the line under it does not repeat it
    assert _section(page, "verdict").count(BASIS) == 1
    assert "gls_ar1" not in _text(page)


def test_a_blinded_report_names_the_groups_in_the_responder_words(reports):
    results = json.loads((reports["blinded"] / "results.json").read_text())
    assert (
        f"{BASIS}, not the comparison with group A above (group B vs group A:"
        in (results["verdict"])
    )
    assert "Placebo" not in _section((reports["blinded"] / "report.html").read_text(), "secondary")


def test_series_responder_table_puts_the_placebo_comparison_beside_the_status(series_sample):
    page = (series_sample / "series.html").read_text()
    section = _section(page, "responders")
    assert f"{BASIS}, not the comparison with Placebo in the table below" in section
    assert "Responder vs own baseline: LDN 4.5 mg" in section
    series = json.loads((series_sample / "series.json").read_text())
    rows = {p["patient_id"]: p for p in series["patients"] if p["included"]}
    # P29: a large significant effect, yet not a responder; P31 the reverse
    assert rows["P29"]["effect"]["p_value"] < 0.001 and rows["P29"]["responder"]["active"] is False
    assert rows["P31"]["effect"]["p_value"] > 0.05 and rows["P31"]["responder"]["active"] is True
    assert re.search(r"P29 -20\.0 \(-28\.8 to -11\.2\) < 0\.001 no no Placebo", section)
    assert re.search(r"P31 -3\.9 \(-12\.6 to 4\.8\) 0\.36 yes no LDN", section)
    assert "so the two can disagree" in section
    summary = _section(page, "summary")
    assert "each compared with their own baseline, not with Placebo" in summary


def test_series_percent_change_says_what_the_end_point_is(series_sample):
    page = (series_sample / "series.html").read_text()
    assert "End point: the mean of the last 3 observed days" in _section(page, "percent-change")
    assert "the mean of each period's last 3 observed days" in _section(page, "outcomes")

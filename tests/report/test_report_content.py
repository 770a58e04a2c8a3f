"""What the report says, read from its HTML: blinding, edge cases, self-containment."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from nof1.cli import main
from nof1.report.html import plotly_js


def html_of(reports, case) -> str:
    return (reports[case] / "report.html").read_text()


def text_of(reports, case) -> str:
    return re.sub(r"<script>.*?</script>", "", html_of(reports, case), flags=re.S)


def test_plotly_js_is_inlined_once_and_nothing_is_loaded_from_elsewhere(reports):
    html = html_of(reports, "sample")
    assert html.count(plotly_js()[:500]) == 1
    assert "<script src=" not in html and "<link " not in html
    # plotly.js itself holds links (its logo); the page around it must not
    assert not re.search(r"""(src|href)=["']https?://""", text_of(reports, "sample"))


def test_a_report_stays_under_2_mb_with_every_figure_interactive(reports):
    for case in ("sample", "blinded", "pilot"):
        assert (reports[case] / "report.html").stat().st_size < 2_000_000, case


def test_the_vendored_plotly_js_has_the_major_version_plotly_py_writes_for():
    from plotly.offline import get_plotlyjs_version

    from nof1.report.html import PLOTLY_JS_VERSION

    assert PLOTLY_JS_VERSION.split(".")[0] == get_plotlyjs_version().split(".")[0]
    assert f"v{PLOTLY_JS_VERSION}" in plotly_js()[:200]


def test_every_figure_has_a_one_line_caption(reports):
    html = text_of(reports, "sample")
    assert len(re.findall(r'data-figure="', html)) == 9  # with the side-effects strip
    assert html.count('<p class="caption">') >= 9


def test_a_blinded_report_says_a_and_b_and_says_it_is_blinded(reports):
    text = text_of(reports, "blinded")
    assert "Blinded report." in text
    assert "group B minus group A" in text
    # the active label appears only where the banner says it is unknown, and in the protocol
    verdict = text.split('id="verdict"')[1].split('id="timeline"')[0]
    assert "LDN" not in verdict and "Placebo" not in verdict
    assert "group B" in verdict and "group A" in verdict


def test_a_method_that_could_not_run_shows_its_reason(reports):
    text = text_of(reports, "one-cycle")
    assert "No comparison over cycles: needs at least 2 cycles" in text
    assert "can never give p below 0.5" in text


def test_the_fixed_order_pilot_report_explains_why_there_is_no_randomization_test(reports):
    text = text_of(reports, "pilot")
    assert "No randomization test: the protocol&#39;s order is fixed" in text
    assert "Fibromyalgia symptom severity" in text  # its own primary outcome


def test_an_outcome_with_no_placebo_days_is_reported_not_crashed(reports):
    results = json.loads((reports["no-placebo"] / "results.json").read_text())
    fatigue = next(o for o in results["outcomes"] if o["name"] == "fatigue")
    assert fatigue["effects"]["gls_ar1"]["estimate"] is None
    text = text_of(reports, "no-placebo")
    assert fatigue["effects"]["gls_ar1"]["reason"] in text


def test_the_footer_has_what_reproduces_the_analysis(reports):
    results = json.loads((reports["sample"] / "results.json").read_text())
    text = text_of(reports, "sample")
    footer = text.split("<footer>")[1]
    for value in (
        results["software"]["version"],
        results["protocol"]["sha256"],
        results["data"]["sha256"],
        "seed 0",
        "nof1 analyze",
    ):
        assert value in footer


def test_nof1_report_re_renders_the_same_page_from_the_results_folder(reports, tmp_path):
    out = tmp_path / "again.html"
    result = CliRunner().invoke(main, ["report", str(reports["sample"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == html_of(reports, "sample")


def test_nof1_report_refuses_a_folder_without_results(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "results.json: not found" in result.output
    assert not (tmp_path / "r.html").exists()


def test_the_protocol_and_data_quality_read_as_sentences(reports):
    text = re.sub(r"<[^>]+>", "", text_of(reports, "sample"))
    # ranges and MCIDs as the protocol writes them, not "0.0–100.0, MCID 10.0"
    assert "(0–100, lower is better, MCID 10)" in text
    assert "MCID 10.0" not in text
    # every sentence of the data-quality paragraph ends with a space before the next one
    assert "treatment period). " in text and not re.search(r"[a-z]\)\.\d", text)

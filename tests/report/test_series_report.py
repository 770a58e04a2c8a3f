"""series.html: offline in Chromium, every figure drawn, patients linked, blinding and
skipped patients stated."""

from __future__ import annotations

import csv
import json
import re

import pytest
from click.testing import CliRunner
from test_report_in_browser import headings_ending_a_page, open_report, page_width_overflow

from nof1.cli import main


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def series_runs(tmp_path_factory):
    """A simulated 8-patient 2013 series: unblinded, blinded, and with one bad patient."""
    tmp = tmp_path_factory.mktemp("series")
    sim = tmp / "sim"
    _run(
        "simulate",
        "ldn-fibromyalgia-2013",
        "--patients",
        8,
        "--effect",
        "-10",
        "--effect-sd",
        "5",
        "--sd",
        "10",
        "--phi",
        "0.4",
        "--missing",
        "0.05",
        "--seed",
        "5",
        "--out",
        sim,
    )
    diary = sim / "series-diary.csv"
    key = sim / "series-unblinding-key.json"
    _run(
        "series",
        diary,
        "--protocol",
        "ldn-fibromyalgia-2013",
        "--allocations",
        key,
        "--out",
        tmp / "plain",
    )
    _run(
        "series",
        diary,
        "--protocol",
        "ldn-fibromyalgia-2013",
        "--allocations",
        sim / "series-allocation-blinded.csv",
        "--out",
        tmp / "blind",
    )
    # P03 loses every placebo day: it cannot be analysed and must be listed as skipped.
    placebo = {
        (p["patient_id"], q["first_date"], q["last_date"])
        for p in json.loads(key.read_text())["patients"]
        for q in p["periods"]
        if q["treatment"] == "placebo"
    }
    rows = list(csv.DictReader(diary.open()))
    kept = [
        r
        for r in rows
        if not any(pid == r["patient_id"] == "P03" and a <= r["date"] <= b for pid, a, b in placebo)
    ]
    bad = tmp / "bad-diary.csv"
    with bad.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    _run(
        "series",
        bad,
        "--protocol",
        "ldn-fibromyalgia-2013",
        "--allocations",
        key,
        "--skip-bad",
        "--out",
        tmp / "skipped",
    )
    return {name: tmp / name for name in ("plain", "blind", "skipped")}


def _text(path) -> str:
    return re.sub(r"<script>.*?</script>", "", path.read_text(), flags=re.S)


@pytest.mark.parametrize("case", ["plain", "blind", "skipped"])
def test_series_report_opens_offline_with_every_figure_drawn(browser, series_runs, case, tmp_path):
    page, errors, requests, figures = open_report(
        browser, series_runs[case] / "series.html", tmp_path / f"{case}.png"
    )
    assert errors == [] and requests == []
    assert [name for name, _ in figures] == ["forest", "percent-change"]
    assert all(drawn for _, drawn in figures)
    page.close()


@pytest.mark.parametrize("case", ["plain", "blind"])
def test_series_report_fits_a_phone_and_prints_without_stranded_headings(
    browser, series_runs, case, tmp_path
):
    assert page_width_overflow(browser, series_runs[case] / "series.html") <= 0
    assert headings_ending_a_page(browser, series_runs[case] / "series.html", tmp_path) == []


def test_forest_plot_labels_link_to_each_patients_section(browser, series_runs):
    page, *_ = open_report(browser, series_runs["plain"] / "series.html")
    targets = page.eval_on_selector_all(
        "#fig-forest [data-target]", "els => els.map(e => e.getAttribute('data-target'))"
    )
    assert sorted(targets) == [f"patient-P0{i}" for i in range(1, 9)]
    assert all(page.query_selector(f"#{t}") is not None for t in targets)
    page.locator("#fig-forest [data-target='patient-P05']").click()
    assert page.evaluate("location.hash") == "#patient-P05"
    page.close()


def test_the_series_report_states_the_pooled_effect_and_heterogeneity(series_runs):
    series = json.loads((series_runs["plain"] / "series.json").read_text())
    meta = series["outcomes"][0]["meta_analysis"]
    text = _text(series_runs["plain"] / "series.html")
    assert f"{abs(meta['estimate']):.1f} points lower on LDN 4.5 mg" in text
    assert "How much the patients differ." in text and f"I² {meta['i2']:.0f}%" in text
    assert text.count('<section class="patient" id="patient-') == 8


@pytest.mark.parametrize("reports", [False, True])
def test_a_large_series_page_has_no_section_per_patient(series_runs, monkeypatch, reports):
    """Above PATIENT_SECTIONS analysed patients the page leaves their sections out (14 MB
    at 10 000 patients); the responders table links each patient to their own files."""
    import nof1.report.series as page

    series = json.loads((series_runs["plain"] / "series.json").read_text())
    monkeypatch.setattr(page, "PATIENT_SECTIONS", 7)
    text = page.render_series_report(series, {}, patient_reports=reports)
    assert '<section class="patient"' not in text
    assert "8 patients were analysed: above 7 this page has no section per patient." in text
    own = "patients/P05/report.html" if reports else "patients/P05/results.json"
    assert f'<a href="{own}">P05</a>' in text and 'href="#patient-' not in text
    monkeypatch.setattr(page, "PATIENT_SECTIONS", 8)
    text = page.render_series_report(series, {}, patient_reports=reports)
    assert text.count('<section class="patient" id="patient-') == 8
    assert '<a href="#patient-P05">P05</a>' in text and "no section per patient" not in text


def test_a_large_series_shows_the_spread_of_effects_not_a_row_per_patient(
    series_runs, monkeypatch, browser, tmp_path
):
    """Above FOREST_PATIENTS the forest plot (24 px a patient: 240 000 px at 10 000) is
    replaced by histograms of the raw and shrunken effects with the pooled effect."""
    import nof1.report.series as page

    series = json.loads((series_runs["plain"] / "series.json").read_text())
    monkeypatch.setattr(page, "FOREST_PATIENTS", 7)
    text = page.render_series_report(series, {})
    forest = text.split('id="forest"')[1].split('id="percent-change"')[0]
    assert forest.count('"xbins"') == 2 and "how the 8 patients&#39; effects" in forest
    assert "Above 7 patients this takes the place of a forest plot" in forest
    assert "Each patient's label on the forest plot" not in text  # no links to add
    (tmp_path / "series.html").write_text(text)
    opened, errors, requests, figures = open_report(browser, tmp_path / "series.html")
    assert errors == [] and requests == [] and all(drawn for _, drawn in figures)
    opened.close()


def test_a_blinded_series_report_says_a_and_b(series_runs):
    text = _text(series_runs["blind"] / "series.html")
    # the 2013 design's periods differ in length: the banner says it cannot be blind
    assert "Blinded report of a design that cannot be blind." in text
    assert "every effect is B minus A" in text and "(84 and 28 days)" in text
    summary = text.split('id="summary"')[1].split('id="forest"')[0]
    assert "LDN" not in summary


def test_skipped_patients_are_listed_in_json_and_report(series_runs):
    series = json.loads((series_runs["skipped"] / "series.json").read_text())
    assert [s["patient_id"] for s in series["skipped"]] == ["P03"]
    text = _text(series_runs["skipped"] / "series.html")
    assert "7 of 8 patients were analysed (1 skipped, listed below)." in text
    skipped = text.split('id="skipped"')[1].split("</ul>")[0]
    assert "P03" in skipped and "placebo" in skipped


def test_patient_reports_are_written_on_request_and_linked(series_runs, tmp_path):
    sim = series_runs["plain"].parent / "sim"
    _run(
        "series",
        sim / "series-diary.csv",
        "--protocol",
        "ldn-fibromyalgia-2013",
        "--allocations",
        sim / "series-unblinding-key.json",
        "--patient-reports",
        "--out",
        tmp_path / "with",
    )
    reports = sorted(p.parent.name for p in (tmp_path / "with" / "patients").glob("*/report.html"))
    assert reports == [f"P0{i}" for i in range(1, 9)]
    assert 'href="patients/P05/report.html"' in (tmp_path / "with" / "series.html").read_text()
    assert not list((series_runs["plain"] / "patients").glob("*/report.html"))  # off by default
    one = (tmp_path / "with" / "patients" / "P05" / "report.html").read_text()
    assert "N-of-1 trial report: patient P05" in one


def test_patient_reports_share_one_plotly_file_and_still_draw(series_runs, tmp_path, browser):
    """Issue 13 item 9: 31 reports do not carry 31 copies of plotly.js; each loads the
    one beside them (a local file: nothing from the network) and draws every figure."""
    from nof1.report.html import plotly_js, plotly_js_name

    sim = series_runs["plain"].parent / "sim"
    _run(
        "series",
        sim / "series-diary.csv",
        "--protocol",
        "ldn-fibromyalgia-2013",
        "--allocations",
        sim / "series-unblinding-key.json",
        "--patient-reports",
        "--out",
        tmp_path / "shared",
    )
    patients = tmp_path / "shared" / "patients"
    assert (patients / plotly_js_name()).read_text() == plotly_js()
    for report in patients.glob("*/report.html"):
        text = report.read_text()
        assert f'<script src="../{plotly_js_name()}"></script>' in text
        assert len(text.encode()) < 400_000  # the bundle alone is about 1.5 MB
    page, errors, requests, figures = open_report(browser, patients / "P05" / "report.html")
    page.close()
    assert errors == [] and requests == []
    assert figures and all(drawn for _, drawn in figures)

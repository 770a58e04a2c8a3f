"""The Harms, Adherence and Blinding sections of a patient's report, end to end: ``nof1
analyze`` on a diary with side effects, doses taken and guesses, then the page in Chromium."""

from __future__ import annotations

import json
import re

import pytest
from markupsafe import escape
from test_report_in_browser import headings_ending_a_page, open_report, page_width_overflow

SIDE = ["side", "side-blinded"]


def _page(folder):
    return (folder / "report.html").read_text(), json.loads((folder / "results.json").read_text())


def _section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert found, f"no section {name}"
    return found.group(1)


def test_results_json_has_harms_adherence_and_blinding(side_reports):
    _, results = _page(side_reports["side"])
    names = [e["name"] for e in results["harms"]["events"]]
    assert names == ["vivid_dreams", "insomnia", "headache", "nausea", "any"]
    dreams = results["harms"]["events"][0]
    assert dreams["difference"]["estimate"] > 0 and dreams["difference"]["p_value"] < 0.05
    assert results["adherence"]["per_protocol"]["periods_left_out"] >= 1
    assert results["adherence"]["per_protocol"]["effect"]["estimate"] is not None
    assert results["blinding"]["periods_asked"] == 6 and results["blinding"]["correct"] == 3


def test_the_sections_each_have_their_message(side_reports):
    html, results = _page(side_reports["side"])
    harms = _section(html, "harms")
    assert "Vivid dreams" in harms and "LDN 4.5 mg" in harms
    any_event = results["harms"]["events"][-1]["message"]
    assert escape(any_event) in harms
    assert escape(results["adherence"]["message"]) in _section(html, "adherence")
    assert "per protocol" in _section(html, "adherence")
    blinding = _section(html, "blinding")
    assert escape(results["blinding"]["message"]) in blinding and "Bang" in blinding
    assert "Side effects are not part of the diary" not in html
    assert 'id="fig-events-strip"' in _section(html, "timeline")
    assert "vivid dreams on" in results["verdict"]


def test_cent_items_point_to_the_sections(side_reports):
    html, _ = _page(side_reports["side"])
    cent = html[html.index("CENT 2015 checklist") :]
    for where in ("harms", "blinding", "adherence"):
        assert f'href="#{where}"' in cent
    assert "not recorded by the diary" not in cent


def test_blinded_report_says_groups_and_reports_no_index(side_reports):
    html, results = _page(side_reports["side-blinded"])
    assert set(results["harms"]["events"][0]["by_condition"]) == {"A", "B"}
    assert results["blinding"]["bang"] is None and results["blinding"]["correct"] is None
    for name in ("harms", "adherence", "blinding"):
        section = _section(html, name)
        assert "group A" in section and "group B" in section
        assert "LDN" not in section and "Placebo" not in section
    assert "Bang's index needs the treatment of each group" in _section(html, "blinding")


def test_without_side_items_the_report_says_they_are_not_analysed(side_reports):
    from nof1.data import read_aligned_csv
    from nof1.protocol import read_protocol
    from nof1.report.patient import render_patient_report

    folder = side_reports["side"]
    results = json.loads((folder / "results.json").read_text())
    results["harms"] = results["adherence"] = None
    results["blinding"] = {"warnings": results["blinding"]["warnings"]}
    protocol = read_protocol("ldn-nof1-multicycle").protocol
    html = render_patient_report(results, read_aligned_csv(folder / "aligned.csv"), protocol)
    assert "Side effects are not part of the diary" in html
    for name in ("harms", "adherence", "blinding"):
        assert f'<section id="{name}">' not in html
        assert f'href="#{name}"' not in html
    assert 'id="fig-events-strip"' not in html


@pytest.mark.parametrize("case", SIDE)
def test_side_report_fits_a_phone_and_draws_every_figure(browser, side_reports, case, tmp_path):
    folder = side_reports[case]
    assert page_width_overflow(browser, folder / "report.html") <= 0
    page, errors, requests, figures = open_report(browser, folder / "report.html")
    assert errors == [] and requests == []
    assert ("events-strip", True) in [tuple(f) for f in figures]
    page.close()


def test_side_report_prints_without_stranded_headings(browser, side_reports, tmp_path):
    assert headings_ending_a_page(browser, side_reports["side"] / "report.html", tmp_path) == []

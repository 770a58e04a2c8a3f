"""The timeline's period and titration labels and the forest plot's axis (issue 13 item 7):
labels below plotly's toolbar, placebo never labelled as a dose, blinded groups labelled
alike, nothing overlapping on a phone, and an effect axis that fits its intervals."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest


def figure_json(report, div_id: str) -> tuple[list, dict]:
    """(data, layout) of the plotly figure ``div_id`` as written into ``report``."""
    html = report.read_text(encoding="utf-8")
    at = html.index(f'"{div_id}"', html.index("Plotly.newPlot"))
    decoder = json.JSONDecoder()
    start = html.index("[", at)
    data, end = decoder.raw_decode(html, start)
    layout, _ = decoder.raw_decode(html, html.index("{", end))
    return data, layout


def _periods(results: dict) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    return [
        (pd.Timestamp(p["first_date"]), pd.Timestamp(p["last_date"]), p["condition"])
        for p in results["data_quality"]["periods"]
        if p["first_date"]
    ]


def step_labels(folder) -> list[tuple[str, str]]:
    """(condition of the period it sits in, text) of each titration label on the pain
    timeline: the annotations that are not a period's name."""
    results = json.loads((folder / "results.json").read_text())
    _, layout = figure_json(folder / "report.html", "plot-timeline-pain")
    names = set(results["labels"].values()) | {"Baseline", "Washout", "Follow-up"}
    found = []
    for note in layout["annotations"]:
        if note["text"] in names:
            continue
        x = pd.Timestamp(note["x"])
        cond = next(
            c for first, last, c in _periods(results) if first <= x <= last + pd.Timedelta(1, "D")
        )
        found.append((cond, note["text"]))
    return found


@pytest.mark.parametrize("case", ["sample", "blinded", "pilot", "one-cycle"])
def test_timeline_labels_sit_inside_the_plot_below_the_toolbar(reports, case):
    """The toolbar lives in the top margin: every label hangs from the top of the plot
    area into a strip the data leave free."""
    _, layout = figure_json(reports[case] / "report.html", "plot-timeline-pain")
    assert layout["annotations"]
    for note in layout["annotations"]:
        assert note["yref"] == "paper" and note["y"] <= 1 and note["yanchor"] == "top", note
    rows = {note.get("yshift", 0) for note in layout["annotations"]}
    strip = 1 - layout["yaxis"]["domain"][1]
    assert strip >= 0.04 * len(rows), (strip, rows)


def test_placebo_periods_are_not_labelled_as_a_dose(reports):
    labels = step_labels(reports["sample"])
    assert {c for c, _ in labels} == {"active", "placebo"}  # once per period type
    assert len(labels) == 2
    for cond, text in labels:
        assert re.search(r"\d mg", text)
        assert text.startswith("as ") == (cond == "placebo"), (cond, text)


def test_blinded_groups_get_the_same_titration_wording(reports):
    labels = step_labels(reports["blinded"])
    by_group = {c: t for c, t in labels}
    assert set(by_group) == {"A", "B"}
    assert by_group["A"] == by_group["B"]
    assert by_group["A"].startswith("as ")


def test_the_caption_says_what_the_placebo_labels_mean(reports):
    html = (reports["sample"] / "report.html").read_text(encoding="utf-8")
    assert "the same number of placebo capsules" in html
    html = (reports["blinded"] / "report.html").read_text(encoding="utf-8")
    assert "in both groups alike, so the labels do not tell which group had the drug" in html


@pytest.mark.parametrize("case", ["sample", "blinded", "no-placebo"])
def test_forest_axis_fits_the_intervals_drawn(reports, case):
    data, layout = figure_json(reports[case] / "report.html", "plot-forest")
    drawn = [0.0]
    for trace in data:
        for i, x in enumerate(trace["x"]):
            drawn.append(x)
            if "error_x" in trace:
                drawn += [x + trace["error_x"]["array"][i], x - trace["error_x"]["arrayminus"][i]]
    mcid = 10
    low, high = layout["xaxis"]["range"]
    width = high - low
    assert low <= min(drawn) and high >= max(drawn)
    assert low < 0 < high
    # no more empty axis than the margin and the ±mcid line on a side with estimates
    assert high <= max(max(drawn), mcid if max(drawn) > 0 else 0) + 0.15 * width
    assert low >= min(min(drawn), -mcid if min(drawn) < 0 else 0) - 0.15 * width
    for note in layout["annotations"]:
        if note.get("xref", "x") == "x":
            assert low <= note["x"] <= high, note


def _boxes(page, selector):
    return page.eval_on_selector_all(
        selector,
        """els => els.map(e => { const r = e.getBoundingClientRect();
                               return [r.left, r.top, r.right, r.bottom]; })
                     .filter(r => r[2] > r[0])""",
    )


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("case", ["sample", "blinded"])
def test_labels_overlap_nothing_in_chromium(browser, reports, case, width):
    """With the toolbar shown (mouse over the plot), no timeline label touches another
    label or the toolbar, and every label and forest note stays inside its figure."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((reports[case] / "report.html").as_uri())
    page.wait_for_function(
        "[...document.querySelectorAll('[data-figure]')].every(e => e.querySelector('svg'))"
    )
    for plot in ["#plot-timeline-pain", "#plot-forest"]:
        page.hover(plot)
        page.wait_for_timeout(300)
        notes = _boxes(page, f"{plot} .annotation-text")
        toolbar = _boxes(page, f"{plot} .modebar")
        figure = _boxes(page, plot)[0]
        assert notes and toolbar
        for i, a in enumerate(notes):
            assert figure[0] - 1 <= a[0] and a[2] <= figure[2] + 1, (plot, a, figure)
            assert not _overlap(a, toolbar[0]), (plot, a, toolbar)
            if plot == "#plot-timeline-pain":
                for b in notes[i + 1 :]:
                    assert not _overlap(a, b), (a, b)
    page.close()

"""Labels from a protocol are text inside figures, never plotly markup.

An outcome label ``<a href="https://...">`` once became a clickable external link inside
the report's figures (plotly reads <a>, <b>, <br> in titles, legends, ticks, annotations
and hover text). Every figure of the patient report and the series report is checked.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.protocol import read_protocol

LINK = '<a href="https://evil.invalid/{0}">{1}</a>'
LABELS = {
    "label: Pain,": f"label: {json.dumps(LINK.format('outcome', 'Pain'))},",
    "label: LDN 4.5 mg": f"label: {json.dumps('<b>LDN</b> ' + LINK.format('drug', '4.5 mg'))}",
    "label: Placebo": 'label: "Placebo <img src=x onerror=alert(1)>"',
}


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A report and a series report of a protocol whose labels hold plotly markup."""
    tmp = tmp_path_factory.mktemp("labels")
    text = read_protocol("ldn-nof1-multicycle").text
    for old, new in LABELS.items():
        assert old in text
        text = text.replace(old, new)
    protocol = tmp / "hostile.yaml"
    protocol.write_text(text)
    sim = ["--effect", "-10", "--sd", "10", "--phi", "0.4", "--seed", "3"]
    run("simulate", protocol, "--patient", "X1", *sim, "--out", tmp / "one")
    run(
        "analyze", tmp / "one" / "X1-diary.csv", "--protocol", protocol,
        "--allocation", tmp / "one" / "X1-unblinding-key.json", "--out", tmp / "report",
    )  # fmt: skip
    run("simulate", protocol, "--patients", "3", *sim, "--out", tmp / "many")
    run(
        "series", tmp / "many", "--protocol", protocol, "--allocations", tmp / "many",
        "--out", tmp / "series",
    )  # fmt: skip
    return {
        "report": (tmp / "report" / "report.html").read_text(),
        "series": (tmp / "series" / "series.html").read_text(),
    }


def _figure_strings(html: str) -> list[str]:
    """Every string in the data and layout of every plotly figure on the page."""
    decoder, strings = json.JSONDecoder(), []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html):
        data, end = decoder.raw_decode(html, match.end())
        layout, _ = decoder.raw_decode(html, html.index("{", end))
        stack = [data, layout]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, str):
                strings.append(node)
    return strings


@pytest.mark.parametrize("page", ["report", "series"])
def test_no_figure_text_carries_a_link_or_markup_from_a_label(hostile, page):
    strings = _figure_strings(hostile[page])
    assert len(strings) > 50  # the figures were found
    shown = [s for s in strings if "evil.invalid" in s or "onerror" in s]
    assert shown, "the labels should appear in the figures (escaped)"
    for text in shown:
        assert "<a" not in text and "<b>LDN" not in text and "<img" not in text, text
        assert "&lt;" in text, text


def test_the_escaped_label_is_what_the_reader_sees(hostile):
    strings = _figure_strings(hostile["report"])
    outcome = LINK.format("outcome", "Pain")
    escaped = outcome.replace("<", "&lt;").replace(">", "&gt;")
    assert any(s.startswith(escaped) for s in strings)  # the timeline's title

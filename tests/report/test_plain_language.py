"""Every word a person reads comes from the protocol's labels and the method registry's names.

The rendered patient, series and power pages (text, and every string a figure shows) must
not show an outcome's code name (``sleep_quality``) or a method key (``gls_ar1``), and the
responder rule is said in words, compared with the patient's own baseline.
"""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from protocol_variants import protocol_dict

from nof1.analysis.registry import METHODS
from nof1.cli import main
from nof1.protocol import load_protocol, shipped_ids

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
#: Strings of a plotly figure that a reader sees.
_SHOWN = {"name", "text", "title", "ticktext", "hovertext", "hovertemplate"}

CODE_NAMES = sorted(
    {o.name for pid in shipped_ids() for o in load_protocol(pid).outcomes if "_" in o.name}
    | {key for key in METHODS if "_" in key}
    | {"meta_analysis", "follow_up"}
)


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    return result


class _Reader(HTMLParser):
    """The page's text, and the shown strings of its plotly figures."""

    def __init__(self):
        super().__init__()
        self.tag, self.text, self.scripts = None, [], []

    def handle_starttag(self, tag, attrs):
        self.tag = tag

    def handle_endtag(self, tag):
        self.tag = None

    def handle_data(self, data):
        if self.tag == "script":
            self.scripts.append(data)
        elif self.tag != "style":
            self.text.append(data)


def _figure_strings(script: str) -> list[str]:
    """The shown strings of every ``Plotly.newPlot(id, data, layout, ...)`` in a script."""
    out = []
    decoder = json.JSONDecoder()
    for call in re.finditer(r"Plotly\.newPlot\(\s*", script):
        at = call.end()
        parts = []
        for _ in range(3):  # the id, the traces, the layout
            value, end = decoder.raw_decode(script, at)
            parts.append(value)
            at = re.match(r"\s*,\s*", script[end:]).end() + end
        out += list(_shown(parts[1:]))
    return out


def _shown(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _shown(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _shown(v, key)
    elif isinstance(node, str) and key in _SHOWN:
        yield node


def read_page(path: Path) -> str:
    """What a person reads on a page: its text and its figures' labels."""
    reader = _Reader()
    reader.feed(path.read_text())
    figures = [s for script in reader.scripts for s in _figure_strings(script)]
    assert figures or "power" in path.name, path  # the figures were found
    return unescape(" ".join(reader.text + figures))


def code_names_in(text: str) -> list[str]:
    found = [name for name in CODE_NAMES if re.search(rf"\b{name}\b", text)]
    return found + (["nap"] if re.search(r"\bnap\b", text) else [])


@pytest.fixture(scope="module")
def series_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("series") / "out"
    _run(
        "series",
        SERIES / "series-diary.csv",
        "--protocol",
        "ldn-fibromyalgia-2013",
        "--allocations",
        SERIES / "series-unblinding-key.json",
        "--out",
        out,
    )
    return out / "series.html"


@pytest.fixture(scope="module")
def power_page(tmp_path_factory):
    """Power of a series on a variant whose primary outcome has a code name with '_'."""
    tmp = tmp_path_factory.mktemp("power")
    data = protocol_dict("ldn-fibromyalgia-2013")
    for o in data["outcomes"]:
        o["primary"] = o["name"] == "sleep_quality"
    data["schedule"]["cycles"] = 3
    data["randomization"] = {"scheme": "pairwise"}
    (tmp / "protocol.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    _run(
        "power",
        tmp / "protocol.yaml",
        "--effect",
        "0,10",
        "--patients",
        "3",
        "--sims",
        "40",
        "--seed",
        "1",
        "--out",
        tmp / "out",
    )
    return tmp / "out" / "power.html"


@pytest.mark.parametrize("case", ["sample", "blinded", "pilot", "one-cycle", "no-placebo"])
def test_a_patient_report_shows_no_code_names(reports, case):
    text = read_page(reports[case] / "report.html")
    assert code_names_in(text) == [], case
    assert "))" not in text.replace("(AR(1))", ""), case


def test_the_series_report_shows_no_code_names(series_page):
    text = read_page(series_page)
    assert "Sleep quality" in text  # the outcomes are there, by their labels
    assert code_names_in(text) == []
    assert "))" not in text


def test_the_power_report_shows_no_code_names(power_page):
    text = read_page(power_page)
    assert code_names_in(text) == []
    for m in ("gls_ar1", "paired_periods", "welch_t", "bayes_ar1", "nap"):
        assert METHODS[m].name in text, m  # legends and table name every method
    assert "Meta-analysis across patients" in text
    assert "sleep quality" in text and "LDN 4.5 mg minus Placebo" in text


def test_the_responder_rule_is_said_with_labels_against_the_patients_baseline(reports):
    results = json.loads((reports["sample"] / "results.json").read_text())
    rule = results["responder"]["rule"]
    assert rule.startswith(
        "a significant reduction in pain plus a significant reduction in fatigue or "
        "increase in sleep quality, each compared with the patient's own baseline"
    )
    assert "))" not in rule and code_names_in(rule) == []
    assert "compared with the patient's own baseline." in results["verdict"]
    text = read_page(reports["sample"] / "report.html")
    assert f"Responder definition: {rule}. Met on Placebo:" in " ".join(text.split())


def test_the_verdict_names_its_method_in_words(reports):
    verdict = json.loads((reports["sample"] / "results.json").read_text())["verdict"]
    assert f"from {METHODS['gls_ar1_kr'].words})" in verdict
    assert code_names_in(verdict) == []

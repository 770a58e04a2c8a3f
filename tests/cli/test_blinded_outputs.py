"""Nothing a blinded analyst receives names the treatments: every file, every protocol.

Blinded outputs say A and B. The words "active" and "placebo" (any case) and the
treatment labels must not appear in any value of results.json or series.json, in
aligned.csv, in the reports (outside the inlined plotly.js), nor in the files the
patient and the analyst get from the schedule.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.protocol import load_protocol
from nof1.report.html import plotly_js

_PLOTLY_START = plotly_js()[:200]
_BLINDED_FILES = ("calendar.csv", "calendar.ics", "diary-template.csv", "allocation-blinded.csv")


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    return result


def _without_plotly_js(html: str) -> str:
    """The page without the plotly.js library: inlined once, or (a series' per-patient
    reports) loaded from the one vendored copy beside them."""
    from nof1.report.html import plotly_js_name

    scripts = re.findall(r"<script[^>]*>.*?</script>", html, flags=re.S)
    library = [s for s in scripts if _PLOTLY_START in s]
    library += [s for s in scripts if s == f'<script src="../{plotly_js_name()}"></script>']
    assert len(library) == 1
    return html.replace(library[0], "")


def _strings(value):
    """Every string value in a JSON document (keys are the contract's: A/B when blinded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _leaks(protocol_id, folder) -> list[str]:
    p = load_protocol(protocol_id)
    t = p.treatments
    # The protocol's title and citation are quoted as they are ("placebo-controlled").
    quoted = [html.escape(q) for q in (p.title, p.reference or "") if q]
    words = re.compile(
        "|".join(["active", "placebo", re.escape(t.active.label), re.escape(t.placebo.label)]),
        re.IGNORECASE,
    )
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.endswith(".json"):
            texts = list(_strings(json.loads(path.read_text())))
        elif path.name.endswith(".html"):
            texts = [_without_plotly_js(path.read_text())]
            for q in quoted:
                texts = [text.replace(q, "") for text in texts]
        elif path.name == "aligned.csv" or path.name.endswith(_BLINDED_FILES):
            texts = [_without_guesses(p, path)]
        else:
            continue
        for text in texts:
            for m in words.finditer(text):
                around = text[max(0, m.start() - 60) : m.end() + 30]
                found.append(f"{path.relative_to(folder)}: ...{around}...")
    return found


def _without_guesses(p, path) -> str:
    """The file's text without the blinding question's answers: the patient's guess
    ("drug", "placebo" or "unsure") names what they believe, not the allocation."""
    import pandas as pd

    text = path.read_text()
    if p.blinding_check is None:
        return text
    if path.name == "aligned.csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        return table.drop(columns=p.blinding_check.name).to_csv(index=False)
    if path.suffix == ".ics":  # unfold the lines and their escapes first
        text = text.replace("\n ", "").replace("\\,", ",")  # (read_text: \n line ends)
    return text.replace("drug, placebo or unsure", "")


_SIMULATION = ("--effect", -10, "--sd", 12, "--phi", 0.5, "--missing", 0.05, "--seed", 3)


@pytest.mark.parametrize(
    "protocol_id", ["ldn-nof1-multicycle", "ldn-fibromyalgia-2013", "ldn-fibromyalgia-2009-pilot"]
)
def test_a_blinded_patient_analysis_never_names_the_treatments(tmp_path, protocol_id):
    sim, out = tmp_path / "sim", tmp_path / "out"
    run("simulate", protocol_id, "--patient", "P01", *_SIMULATION, "--out", sim)
    run("analyze", sim / "P01-diary.csv", "--protocol", protocol_id,
        "--allocation", sim / "P01-allocation-blinded.csv", "--out", out)  # fmt: skip
    for name in ("P01-unblinding-key.json", "P01-diary.csv", "SIMULATION.md"):
        (sim / name).unlink()  # the pharmacist's key and the simulation's own record
    assert _leaks(protocol_id, sim) == []
    assert _leaks(protocol_id, out) == []


def test_a_blinded_interim_diary_with_one_group_only_says_so_in_letters(tmp_path):
    sim, out = tmp_path / "sim", tmp_path / "out"
    protocol_id = "ldn-nof1-multicycle"
    run("simulate", protocol_id, "--patient", "P01", *_SIMULATION, "--out", sim)
    lines = (sim / "P01-diary.csv").read_text().splitlines()
    (sim / "interim.csv").write_text("\n".join(lines[: 1 + 14 + 28]) + "\n")  # one period
    run("analyze", sim / "interim.csv", "--protocol", protocol_id,
        "--allocation", sim / "P01-allocation-blinded.csv", "--out", out)  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    reason = results["outcomes"][0]["effects"]["gls_ar1"]["reason"]
    counts = re.search(r"got (\d+) group [AB] and (\d+) group [AB]$", reason)
    assert counts and "0" in counts.groups()
    assert _leaks(protocol_id, out) == []


def test_a_blinded_series_never_names_the_treatments(tmp_path):
    sim, out = tmp_path / "sim", tmp_path / "out"
    protocol_id = "ldn-fibromyalgia-2013"
    run("simulate", protocol_id, "--patients", 6, *_SIMULATION, "--out", sim)
    run("series", sim / "series-diary.csv", "--protocol", protocol_id,
        "--allocations", sim / "series-allocation-blinded.csv", "--patient-reports",
        "--out", out)  # fmt: skip
    for path in sim.rglob("*"):
        if path.name.endswith(("unblinding-key.json", "diary.csv", "SIMULATION.md")):
            path.unlink()
    assert _leaks(protocol_id, sim) == []
    assert _leaks(protocol_id, out) == []

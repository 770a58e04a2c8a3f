"""`nof1 series` end to end with side effects, adherence and the blinding question: a
small simulated ldn-nof1-multicycle series whose protocol has the three items; series.json
(against its schema) and the sections of series.html, unblinded and blinded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from markupsafe import escape

from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "nof1" / "schemas" / "series.schema.json").read_text())


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory) -> Path:
    """5 simulated patients (the simulator's insomnia and headache) with, drawn here,
    vivid dreams on 30% of active and 5% of placebo days, nausea on 5% of every treatment
    day, a missed dose on 5% of days (P02: 40% of its first period's days), and guesses on
    the protocol's blinding-check days (60% right, else unsure)."""
    from nof1.design.blinding import patient_ids, schedule_files
    from nof1.design.timeline import blinding_check_days
    from nof1.protocol import read_protocol
    from nof1.simulate import simulate_diaries

    folder = tmp_path_factory.mktemp("harms")
    # the shipped protocol: vivid dreams, insomnia, headache, nausea, dose taken, guess
    (folder / "protocol.yaml").write_text(
        (ROOT / "protocols" / "ldn-nof1-multicycle.yaml").read_text()
    )
    pf = read_protocol(folder / "protocol.yaml")
    start = dt.date(2026, 1, 5)
    secret = "ab" * 32  # a fixed secret: the same allocations every run
    pairs = simulate_diaries(pf, patient_ids(5), start, 7, secret, effect=-10, sd=12, phi=0.5)
    rng = np.random.default_rng(7)
    diaries = []
    asked = set(blinding_check_days(pf.protocol))
    for s, diary in pairs:
        cond = s.timeline.set_index("day")["condition"].reindex(diary["day"]).to_numpy()
        period = s.timeline.set_index("day")["period"].reindex(diary["day"]).to_numpy()
        treated = np.isin(cond, ["active", "placebo"])
        dreams = np.where(cond == "active", 0.3, 0.05)
        diary["vivid_dreams"] = np.where(
            treated, np.where(rng.random(len(diary)) < dreams, "yes", "no"), ""
        )
        diary["nausea"] = np.where(treated, np.where(rng.random(len(diary)) < 0.05, "y", "n"), "")
        missed = np.where((s.patient_id == "P02") & (period == 1), 0.4, 0.05)
        diary["dose_taken"] = np.where(
            treated, np.where(rng.random(len(diary)) < missed, "no", "yes"), ""
        )
        right = np.where(cond == "active", "drug", "placebo")
        guess = np.where(rng.random(len(diary)) < 0.6, right, "unsure")
        diary["guess"] = np.where(diary["day"].isin(asked), guess, "")
        diaries.append(diary)
    files = schedule_files(pf, [s for s, _ in pairs], start, 7)
    files["series-diary.csv"] = pd.concat(diaries).to_csv(index=False)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def _run(series_dir: Path, out: Path, allocations: str) -> dict:
    args = ["series", str(series_dir / "series-diary.csv"), "--protocol",
            str(series_dir / "protocol.yaml"), "--allocations", str(series_dir / allocations),
            "--out", str(out), "--workers", "1"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    series = json.loads((out / "series.json").read_text())
    jsonschema.validate(series, SCHEMA)
    return series


def test_series_json_has_harms_adherence_and_blinding(series_dir, tmp_path):
    s = _run(series_dir, tmp_path, "series-unblinding-key.json")
    names = [e["name"] for e in s["harms"]["events"]]
    assert names == ["vivid_dreams", "insomnia", "headache", "nausea", "any"]
    dreams = s["harms"]["events"][0]
    assert dreams["patients_with_data"] == 5 and dreams["difference"]["estimate"] > 0.1
    patient = json.loads((tmp_path / "patients" / "P01" / "results.json").read_text())
    own = next(e for e in patient["harms"]["events"] if e["name"] == "vivid_dreams")
    rate = next(r for r in dreams["per_patient"] if r["patient_id"] == "P01")
    assert rate["active"] == own["by_condition"]["active"]["rate"]  # read, not recomputed
    a = s["adherence"]
    assert a["patients_with_data"] == 5 and a["per_protocol"]["outcome"] == "pain"
    assert a["per_protocol"]["meta_analysis"]["k"] >= 4
    b = s["blinding"]
    assert b["periods_asked"] == sum(sum(g.values()) for g in b["guesses"].values()) > 0
    assert b["bang"]["active"]["estimate"] > 0 and 0 <= b["james"]["estimate"] <= 1
    assert b["warnings"] == [] and b["reason"] is None
    page = (tmp_path / "series.html").read_text()
    for section in ('id="harms"', 'id="adherence"', 'id="blinding"', "James' index"):
        assert section in page
    assert escape(s["harms"]["message"]) in page and escape(b["message"]) in page
    summary = page.split('<p class="verdict">')[1].split("</p>")[0]
    assert "vivid dreams more often on LDN 4.5 mg than on Placebo" in summary


def test_a_blinded_series_shows_the_answers_by_group_without_indices(series_dir, tmp_path):
    s = _run(series_dir, tmp_path, "series-allocation-blinded.csv")
    b = s["blinding"]
    assert set(b["guesses"]) == {"A", "B"}
    assert b["bang"] is None and b["james"] is None and b["correct"] is None
    assert set(s["harms"]["events"][0]["by_condition"]) == {"A", "B"}
    page = (tmp_path / "series.html").read_text()
    assert "No blinding index: blinded series" in page and "LDN" not in b["message"]


def test_a_protocol_without_the_items_has_null_keys():
    from nof1.series.blinding_check import CHECK_KEYS
    from nof1.series.results import SeriesResults

    r = SeriesResults("p", "", "", "d.csv", None, (), False, {}, "active", "placebo",
                      (), (), (), {}, blinding_warnings=("w",))  # fmt: skip
    out = r.to_dict()
    assert out["harms"] is None and out["adherence"] is None
    assert out["blinding"] == {"warnings": ["w"], **dict.fromkeys(CHECK_KEYS)}

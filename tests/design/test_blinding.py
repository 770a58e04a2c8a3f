"""Blinded schedule files: determinism, what each person may see, and consistency."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from nof1.design.blinding import draw_schedules, patient_ids, schedule_files
from nof1.protocol import read_protocol

START = dt.date(2026, 1, 5)
SECRET = "5e" * 32


def _files(protocol_id, ids=("P01",), seed=7, secret=SECRET):
    pf = read_protocol(protocol_id)
    schedules = draw_schedules(pf, list(ids), START, seed, secret)
    return pf, schedule_files(pf, schedules, START, seed)


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_same_seed_and_secret_give_identical_files_and_another_secret_new_kit_codes(shipped_id):
    _, first = _files(shipped_id)
    _, again = _files(shipped_id)
    _, other = _files(shipped_id, secret="a1" * 32)
    assert first == again
    assert first["P01-calendar.csv"] != other["P01-calendar.csv"]  # new kit codes


@pytest.mark.parametrize("seed", range(6))
def test_the_calendar_and_diary_never_reveal_the_treatment(shipped_id, seed):
    pf, files = _files(shipped_id, seed=seed)
    p = pf.protocol
    forbidden = {
        "active",
        "placebo",
        p.treatments.active.drug.lower(),
        p.treatments.active.label.lower(),
        p.treatments.placebo.label.lower(),
    }
    for name in ("P01-calendar.csv", "P01-calendar.ics", "P01-diary-template.csv"):
        text = files[name].lower()
        assert not [word for word in forbidden if word in text], name
    assert "group" not in _rows(files["P01-calendar.csv"])[0]


def test_active_and_placebo_periods_look_the_same_to_the_patient_but_for_the_kit_code():
    pf, files = _files("ldn-nof1-multicycle")
    key = json.loads(files["P01-unblinding-key.json"])
    rows = _rows(files["P01-calendar.csv"])
    by_kit: dict[str, list[str]] = {}
    for row in rows:
        if row["kit_code"]:
            by_kit.setdefault(row["kit_code"], []).append(
                row["dose_instruction"].replace(row["kit_code"], "KIT")
            )
    treatment_of = {period["kit_code"]: period["treatment"] for period in key["periods"]}
    active = [by_kit[k] for k, t in treatment_of.items() if t == "active"]
    placebo = [by_kit[k] for k, t in treatment_of.items() if t == "placebo"]
    assert active[0] == placebo[0]
    assert active[0][0] == "Take 1.5 mg of study medication from kit KIT, once daily at bedtime"
    assert active[0][7].endswith("(the dose goes up today)")


def test_kit_codes_are_unique_per_period_across_a_series():
    _, files = _files("ldn-nof1-multicycle", ids=patient_ids(20))
    rows = _rows(files["series-allocation-blinded.csv"])
    codes = [r["kit_code"] for r in rows if r["kit_code"]]
    assert len(codes) == len(set(codes)) == 20 * 6


def test_the_blinded_allocation_has_groups_but_no_treatment_and_no_seed():
    pf, files = _files("ldn-nof1-multicycle", seed=123456)
    text = files["P01-allocation-blinded.csv"]
    assert "active" not in text and "placebo" not in text and "123456" not in text
    rows = _rows(text)
    assert [r["phase"] for r in rows] == ["baseline"] + ["treatment"] * 6
    assert sorted({r["group"] for r in rows if r["period"]}) == ["A", "B"]
    assert {r["protocol_sha256"] for r in rows} == {pf.sha256}


def test_the_unblinding_key_matches_the_blinded_allocation_and_holds_seed_secret_and_hash():
    pf, files = _files("ldn-nof1-multicycle", seed=99)
    key = json.loads(files["P01-unblinding-key.json"])
    rows = [r for r in _rows(files["P01-allocation-blinded.csv"]) if r["period"]]
    assert key["seed"] == 99 and key["protocol"] == {"id": pf.protocol.id, "sha256": pf.sha256}
    assert key["secret"] == SECRET and key["schema"] == "nof1.unblinding_key/2"
    assert set(key["groups"].values()) == {"active", "placebo"}
    for row, period in zip(rows, key["periods"], strict=True):
        assert row["kit_code"] == period["kit_code"] and row["group"] == period["group"]
        assert key["groups"][period["group"]] == period["treatment"]
        assert sum(d["days"] for d in period["doses"]) == 28
        expected_drug = [1.5, 3.0, 4.5] if period["treatment"] == "active" else [0.0, 0.0, 0.0]
        assert [d["active_dose_mg"] for d in period["doses"]] == expected_drug
        assert [d["label_dose_mg"] for d in period["doses"]] == [1.5, 3.0, 4.5]


def test_the_ics_calendar_has_one_event_per_day_with_folded_crlf_lines():
    pf, files = _files("ldn-fibromyalgia-2013")
    ics = files["P01-calendar.ics"]
    assert ics.count("BEGIN:VEVENT") == pf.protocol.total_days == 154
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "\n" not in ics.replace("\r\n", "")
    assert "DTSTART;VALUE=DATE:20260105" in lines


def test_the_diary_template_has_one_empty_row_per_day_with_every_outcome():
    pf, files = _files("ldn-fibromyalgia-2009-pilot")
    rows = _rows(files["P01-diary-template.csv"])
    assert len(rows) == 98
    assert list(rows[0]) == [
        "patient_id",
        "date",
        "day",
        "symptom_severity",
        "pain",
        "fatigue",
        "sleep_quality",
        *pf.protocol.answer_items,  # adverse events and adherence (issue 16)
        "note",
    ]
    assert rows[0]["date"] == "2026-01-05" and rows[-1]["day"] == "98"
    assert all(row["pain"] == "" for row in rows)


def test_a_series_gets_a_folder_per_patient_and_series_wide_lists():
    pf, files = _files("ldn-fibromyalgia-2013", ids=patient_ids(31), seed=2013)
    assert "P07/P07-calendar.csv" in files and "P31/P31-unblinding-key.json" in files
    key = json.loads(files["series-unblinding-key.json"])
    assert len(key["patients"]) == 31
    assert sorted(key["orders"].values()) == [15, 16]  # counterbalanced
    # one A/B meaning for the whole series, so blinded results can be pooled
    assert len({json.dumps(p["groups"]) for p in key["patients"]}) == 1
    # the seed and secret are in the series key only; each patient's key points to it
    assert key["seed"] == 2013 and key["secret"] == SECRET
    p07 = json.loads(files["P07/P07-unblinding-key.json"])
    assert "secret" not in p07 and "seed" not in p07
    assert p07["series_key"] == "series-unblinding-key.json" and p07["series_patients"] == 31

"""The blinding holds against someone with nof1's code, the seed and the blinded files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.design import blinding
from nof1.design.blinding import draw_schedules, schedule_files
from nof1.protocol import read_protocol

START = dt.date(2026, 1, 5)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


def _blinded_periods(path):
    rows = csv.DictReader(io.StringIO(path.read_text()))
    return [(r["group"], r["kit_code"]) for r in rows if r["phase"] == "treatment"]


@pytest.mark.parametrize(
    ("protocol_id", "who", "candidates"),
    [
        ("ldn-nof1-multicycle", ("--patient", "P01"), 100_001),
        # 31 patients per draw cost more: fewer candidates, still well past 2026
        ("ldn-fibromyalgia-2013", ("--patients", "31"), 5_001),
    ],
)
def test_a_seed_search_with_nofs_own_code_no_longer_finds_the_active_group(
    tmp_path, monkeypatch, protocol_id, who, candidates
):
    result = run("schedule", protocol_id, *who, "--start", "2026-01-05", "--seed", 2026,
                 "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    series = who[0] == "--patients"
    seen = _blinded_periods(tmp_path / ("P01/" if series else "") / "P01-allocation-blinded.csv")
    ids = blinding.patient_ids(31) if series else ["P01"]
    pf = read_protocol(protocol_id)
    # The attacker compares kit codes only, so the timelines need not be built.
    monkeypatch.setattr(blinding, "build_timeline", lambda *args, **kwargs: None)
    found = []
    for candidate in range(candidates):
        s = draw_schedules(pf, ids, START, candidate)[0]
        if list(s.kit_codes) == [code for _, code in seen]:
            found.append((candidate, s.group_of["active"]))  # the old code: (2026, ...)
            break
    assert found == []


def test_one_seed_keeps_the_ab_pattern_but_the_active_group_and_kit_codes_vary(tmp_path):
    patterns, active, codes = set(), set(), set()
    for i in range(12):
        out = tmp_path / str(i)
        result = run("schedule", "ldn-nof1-multicycle", "--patient", "P01", "--start",
                     "2026-01-05", "--seed", 2026, "--out", out)  # fmt: skip
        assert result.exit_code == 0, result.output
        periods = _blinded_periods(out / "P01-allocation-blinded.csv")
        patterns.add(tuple(group for group, _ in periods))
        codes.update(code for _, code in periods)
        key = json.loads((out / "P01-unblinding-key.json").read_text())
        active.add(next(g for g, t in key["groups"].items() if t == "active"))
    assert len(patterns) == 1
    assert active == {"A", "B"}  # fails by chance with probability 2 / 2^12
    assert len(codes) == 12 * 6


def test_kit_codes_do_not_depend_on_the_seed_or_the_group():
    pf = read_protocol("ldn-nof1-multicycle")
    secret = "c3" * 32
    a = draw_schedules(pf, ["P01"], START, 1, secret)[0]
    b = draw_schedules(pf, ["P01"], START, 2, secret)[0]
    assert a.kit_codes == b.kit_codes and a.group_of == b.group_of
    files = schedule_files(pf, [a], START, 1)
    assert "c3" * 32 in files["P01-unblinding-key.json"]
    for name, text in files.items():
        if not name.endswith("unblinding-key.json"):
            assert secret not in text, name


def test_a_series_is_balanced_in_letters_and_shares_one_meaning_of_a_and_b():
    pf = read_protocol("ldn-fibromyalgia-2013")
    schedules = draw_schedules(pf, blinding.patient_ids(31), START, 2013)
    orders = [tuple(s.groups) for s in schedules]
    assert sorted(orders.count(o) for o in set(orders)) == [15, 16]
    assert len({json.dumps(s.group_of) for s in schedules}) == 1
    again = draw_schedules(pf, blinding.patient_ids(31), START, 2013)
    assert [tuple(s.groups) for s in again] == orders  # the seed fixes the letters

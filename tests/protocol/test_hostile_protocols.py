"""Hostile or sloppy protocol YAML: aliases, duplicate keys, non-finite and boolean numbers.

Each case once got through (or took minutes and gigabytes); each is now one named problem,
exit 1, nothing written and the file unchanged.
"""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.errors import DiaryError, ProtocolError
from nof1.protocol import read_protocol

SHIPPED = read_protocol("ldn-nof1-multicycle").text


def _edited(tmp_path, old: str, new: str):
    assert old in SHIPPED
    path = tmp_path / "edited.yaml"
    path.write_text(SHIPPED.replace(old, new, 1))
    return path


def _problems(path) -> list[str]:
    with pytest.raises(ProtocolError) as info:
        read_protocol(path)
    return info.value.problems


def _alias_bomb(levels: int) -> str:
    """A 'billion laughs' list: 9**levels entries from a few hundred bytes."""
    items = ["&a0 [" + ", ".join(["active"] * 9) + "]"]
    items += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "  sequence: [" + ", ".join(items) + "]"


def test_an_alias_bomb_in_a_typed_field_is_refused_at_once(tmp_path):
    # Nine levels (387 million strings) took 60 s and 3 GB before failing; three levels
    # are enough to show the refusal without the cost on the old code.
    path = _edited(tmp_path, "  scheme: pairwise", "  scheme: pairwise\n" + _alias_bomb(3))
    problems = _problems(path)
    assert len(problems) == 1
    assert "line 35" in problems[0]
    assert "anchors and aliases (&name, *name) are not allowed" in problems[0]


def test_an_anchor_without_alias_is_refused_too(tmp_path):
    path = _edited(tmp_path, "label: Placebo", "label: &p Placebo")
    assert "anchors and aliases" in _problems(path)[0]


def test_a_duplicate_key_names_its_path_and_both_lines(tmp_path):
    path = _edited(tmp_path, "  cycles: 3\n", "  cycles: 3\n  cycles: 1\n")
    assert _problems(path) == ["schedule.cycles: duplicate key on line 28 (first on line 27)"]


def test_a_duplicate_key_inside_a_flow_mapping_in_a_list_is_named(tmp_path):
    path = _edited(tmp_path, "mcid: 10, primary: true}", "mcid: 10, primary: true, mcid: 1}")
    assert _problems(path) == ["outcomes.0.mcid: duplicate key on line 37 (first on line 37)"]


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path):
    path = _edited(tmp_path, "# The recommended", "#" + "x" * 1_000_001 + "\n# The recommended")
    [problem] = _problems(path)
    assert problem.startswith("is 1,00") and "larger than the 1,000,000 bytes" in problem


def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("id: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nested deeper than 32 levels" in _problems(path)[0]


@pytest.mark.parametrize(
    ("value", "line"),
    [("2026-13-45", 10), ("9" * 5000, 10)],
    ids=["impossible-date", "5000-digit-integer"],
)
def test_a_value_yaml_cannot_build_names_its_line(tmp_path, value, line):
    path = _edited(tmp_path, 'version: "1"', f"version: {value}")
    assert _problems(path)[0].startswith(f"line {line}, column 10: cannot read the value")


FINITE, INTEGER = "input should be a finite number", "input should be a valid integer"
NUMBER, BOOLEAN = "input should be a valid number", "input should be a valid boolean"


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("    dose_mg: 4.5", "    dose_mg: .inf", "treatments.active.dose_mg", FINITE),
        ("dose_mg: 1.5}", "dose_mg: .nan}", "treatments.active.titration.0.dose_mg", FINITE),
        ("min: 0,", "min: .nan,", "outcomes.0.min", FINITE),
        ("max: 100,", "max: .inf,", "outcomes.0.max", FINITE),
        ("mcid: 10,", "mcid: .inf,", "outcomes.0.mcid", FINITE),
        ("alpha: 0.05", "alpha: .nan", "analysis.alpha", FINITE),
        ("  cycles: 3", "  cycles: true", "schedule.cycles", INTEGER),
        ("baseline_days: 14", "baseline_days: false", "schedule.baseline_days", INTEGER),
        ("active_days: 28", "active_days: 28.0", "schedule.active_days", INTEGER),
        (
            "{days: 7, dose_mg: 1.5}",
            "{days: true, dose_mg: 1.5}",
            "treatments.active.titration.0.days",
            INTEGER,
        ),
        ("endpoint_days: 3", "endpoint_days: true", "analysis.endpoint_days", INTEGER),
        (
            "analytic_washout_days: 7",
            "analytic_washout_days: true",
            "analysis.analytic_washout_days",
            INTEGER,
        ),
        ("    dose_mg: 4.5", "    dose_mg: true", "treatments.active.dose_mg", NUMBER),
        ("min: 0,", "min: false,", "outcomes.0.min", NUMBER),
        ("primary: true", "primary: 1", "outcomes.0.primary", BOOLEAN),
    ],
)
def test_every_number_of_the_protocol_is_finite_and_not_a_boolean(
    tmp_path, old, new, field, message
):
    problems = _problems(_edited(tmp_path, old, new))
    assert any(p.startswith(f"{field}: {message}") for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    dose_mg: 4.5", "    dose_mg: .inf", "finite number"),
        ("  cycles: 3\n", "  cycles: 3\n  cycles: 1\n", "duplicate key"),
        ("  scheme: pairwise", "  scheme: pairwise\n" + _alias_bomb(3), "aliases"),
    ],
    ids=["inf-dose", "duplicate-key", "aliases"],
)
def test_schedule_with_a_hostile_protocol_exits_1_and_writes_nothing(tmp_path, old, new, expected):
    path = _edited(tmp_path, old, new)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = tmp_path / "out"
    args = ["schedule", str(path), "--patient", "P01", "--start", "2026-01-05", "--seed", "1"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {path}:")
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_mapping_file_is_read_by_the_same_strict_loader(tmp_path):
    from nof1.data.mapping import read_map
    from nof1.protocol import load_protocol

    path = tmp_path / "map.yaml"
    path.write_text("outcomes: {pain: Pain}\ndate: Timestamp\noutcomes: {pain: P}\n")
    with pytest.raises(DiaryError) as info:
        read_map(path, load_protocol("ldn-nof1-multicycle"))
    assert info.value.problems == ["outcomes: duplicate key on line 3 (first on line 1)"]

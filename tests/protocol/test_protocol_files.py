"""Shipped protocols load with the exact values of DESIGN.md; broken files get clear messages."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from protocol_variants import protocol_dict

from nof1.errors import ProtocolError
from nof1.protocol import load_protocol, read_protocol, shipped_ids
from nof1.protocol.schema import SCHEMA_PATH, protocol_schema_text


def test_the_three_protocols_ship():
    assert shipped_ids() == [
        "ldn-fibromyalgia-2009-pilot",
        "ldn-fibromyalgia-2013",
        "ldn-nof1-multicycle",
    ]


def test_every_shipped_protocol_loads_and_its_id_matches_its_file_name(shipped_id):
    pf = read_protocol(shipped_id)
    assert pf.protocol.id == shipped_id == pf.path.stem
    assert pf.sha256 == hashlib.sha256(pf.path.read_bytes()).hexdigest()


def test_a_path_works_wherever_an_id_does(shipped_id):
    pf = read_protocol(shipped_id)
    assert read_protocol(str(pf.path)).protocol == pf.protocol


def test_2013_protocol_has_the_published_design():
    p = load_protocol("ldn-fibromyalgia-2013")
    s = p.schedule
    assert (s.baseline_days, s.cycles, s.active_days, s.placebo_days) == (14, 1, 84, 28)
    assert (s.washout_days, s.follow_up_days) == (0, 28)
    assert p.blinding == "double" and p.randomization.scheme == "counterbalanced"
    assert p.treatments.active.dose_mg == 4.5 and p.treatments.active.titration == []
    outcomes = {o.name: (o.better, o.min, o.max, o.mcid, o.primary) for o in p.outcomes}
    assert outcomes == {
        "pain": ("lower", 0, 100, 10, True),
        "fatigue": ("lower", 0, 100, 10, False),
        "sleep_quality": ("higher", 0, 100, 10, False),
        "mood": ("higher", 0, 100, 10, False),
        "life_satisfaction": ("higher", 0, 100, 10, False),
    }
    a = p.analysis
    assert (a.analytic_washout_days, a.endpoint_days) == (0, 3)
    assert (a.responder.outcome, a.responder.plus_any_of) == ("pain", ["fatigue", "sleep_quality"])


def test_2009_pilot_is_single_blind_fixed_placebo_then_ldn():
    p = load_protocol("ldn-fibromyalgia-2009-pilot")
    s = p.schedule
    assert p.blinding == "single"
    assert p.randomization.scheme == "fixed"
    assert p.randomization.sequence == ["placebo", "active"]
    assert (s.baseline_days, s.placebo_days, s.active_days, s.follow_up_days) == (14, 14, 56, 14)
    assert [o.name for o in p.outcomes] == ["symptom_severity", "pain", "fatigue", "sleep_quality"]
    assert p.primary_outcome.name == "symptom_severity"
    assert {o.name: o.better for o in p.outcomes}["sleep_quality"] == "higher"


def test_multicycle_protocol_is_the_recommended_single_patient_design():
    p = load_protocol("ldn-nof1-multicycle")
    s = p.schedule
    assert p.blinding == "double" and p.randomization.scheme == "pairwise"
    assert (s.baseline_days, s.cycles, s.active_days, s.placebo_days) == (14, 3, 28, 28)
    assert (s.washout_days, s.follow_up_days) == (0, 0)
    assert [(t.days, t.dose_mg) for t in p.treatments.active.titration] == [(7, 1.5), (7, 3.0)]
    assert p.treatments.active.dose_mg == 4.5
    assert (p.analysis.analytic_washout_days, p.analysis.endpoint_days) == (7, 3)
    assert [o.name for o in p.outcomes] == [
        o.name for o in load_protocol("ldn-fibromyalgia-2013").outcomes
    ]
    assert all(o.mcid == 10 for o in p.outcomes)


def test_shipped_json_schema_is_the_one_generated_from_the_model():
    assert SCHEMA_PATH.read_text() == protocol_schema_text()


def test_shipped_protocols_validate_against_the_json_schema(shipped_id):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(protocol_dict(shipped_id), json.loads(SCHEMA_PATH.read_text()))


# --- broken files -------------------------------------------------------------------------


def _write(tmp_path, data) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _problems(tmp_path, data) -> list[str]:
    with pytest.raises(ProtocolError) as info:
        read_protocol(_write(tmp_path, data))
    assert str(info.value).startswith(str(tmp_path / "broken.yaml"))
    return info.value.problems


def _multicycle(**changes) -> dict:
    data = protocol_dict("ldn-nof1-multicycle")
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return data


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"schedule": None}, "schedule: required field is missing"),
        ({"schedule__cylces": 3}, "schedule.cylces: unknown field (check the spelling)"),
        ({"schedule__cycles": "three"}, "schedule.cycles: input should be a valid integer"),
        (
            {"schedule__cycles": 0},
            "schedule.cycles: input should be greater than or equal to 1, got 0",
        ),
        (
            {"blinding": "triple"},
            "blinding: input should be 'none', 'single' or 'double', got 'triple'",
        ),
        (
            {"outcomes__1__primary": True},
            "outcomes: exactly one outcome must have primary: true (found 2: pain, fatigue)",
        ),
        (
            {"outcomes__0__primary": False},
            "outcomes: exactly one outcome must have primary: true (found 0: none)",
        ),
        ({"outcomes__1__name": "pain"}, "outcomes: the name 'pain' is used more than once"),
        ({"outcomes__0__max": 0}, "outcomes.0.max: must be above min (0), got 0"),
        (
            {"randomization__scheme": "counterbalanced"},
            "randomization.scheme: counterbalanced needs schedule.cycles 1, got 3",
        ),
        (
            {"randomization__scheme": "fixed"},
            "randomization.sequence: required when scheme is fixed",
        ),
        (
            {"randomization__sequence": ["active", "placebo"]},
            "randomization.sequence: only allowed with scheme fixed, not pairwise",
        ),
        (
            {"analysis__analytic_washout_days": 28},
            "analysis.analytic_washout_days: must be fewer than the shortest treatment period "
            "(28 days), got 28",
        ),
        (
            {"analysis__responder__plus_any_of": ["fatigue", "sleep"]},
            "analysis.responder.plus_any_of.1: unknown outcome 'sleep'",
        ),
        ({"analysis__primary_method": "anova"}, "analysis.primary_method: input should be"),
        (
            {"treatments__active__titration": [{"days": 28, "dose_mg": 1.5}]},
            "treatments.active.titration: the steps last 28 days, which must be fewer than "
            "schedule.active_days (28)",
        ),
    ],
)
def test_a_broken_protocol_names_the_field_and_what_was_expected(tmp_path, changes, expected):
    problems = _problems(tmp_path, _multicycle(**changes))
    assert any(p.startswith(expected) for p in problems), problems


def test_every_field_problem_is_reported_at_once(tmp_path):
    problems = _problems(
        tmp_path, _multicycle(schedule__cycles=-1, outcomes__2__better="up", blinding=None)
    )
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == [
        "blinding",
        "schedule.cycles",
        "outcomes.2.better",
    ]


def test_invalid_yaml_gives_its_line_and_column(tmp_path):
    problems = _problems(tmp_path, "id: x\ntitle: [unclosed\n")
    assert problems[0].startswith("line 3, column 1: invalid YAML")


def test_a_file_that_is_not_a_mapping_says_what_a_protocol_is(tmp_path):
    assert _problems(tmp_path, "- just\n- a list\n") == [
        "must be a YAML mapping of protocol fields (id, title, ...)"
    ]


def test_an_unknown_id_lists_the_shipped_ones():
    with pytest.raises(
        ProtocolError, match="not a shipped protocol id .shipped: ldn-fibromyalgia-2009-pilot"
    ):
        read_protocol("ldn-2099")


@pytest.mark.parametrize("method", ["randomization", "nap", "bayes_ar1"])
def test_a_method_that_may_not_be_primary_is_refused_with_why(tmp_path, method):
    from nof1.analysis.registry import METHODS, primary_methods

    problems = _problems(tmp_path, _multicycle(analysis__primary_method=method))
    assert problems == [
        f"analysis.primary_method: '{method}' ({METHODS[method].name}) cannot be the primary "
        "method: the headline needs an estimate in outcome units with a confidence interval "
        "and a p-value, which it does not give; use one of " + ", ".join(primary_methods())
    ]


def test_the_allowed_primary_methods_are_the_registrys(tmp_path):
    from nof1.analysis.registry import METHODS, primary_methods
    from nof1.protocol.schema import protocol_schema

    assert primary_methods() == tuple(k for k, m in METHODS.items() if m.may_be_primary)
    schema = protocol_schema()["$defs"]["Analysis"]["properties"]["primary_method"]
    assert tuple(schema["enum"]) == primary_methods()
    for method in primary_methods():
        path = _write(tmp_path, _multicycle(analysis__primary_method=method))
        assert load_protocol(path).analysis.primary_method == method


def test_protocols_show_names_the_primary_method_and_the_responder_rule_in_words():
    from nof1.protocol.summary import summarize

    text = summarize(load_protocol("ldn-fibromyalgia-2013"))
    assert "primary method: gls_ar1_kr (Corrected AR(1) regression), alpha 0.05" in text
    assert (
        "responder: a significant reduction in pain plus a significant reduction in fatigue "
        "or increase in sleep quality, each compared with the patient's own baseline"
    ) in text

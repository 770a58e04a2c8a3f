"""Adverse events, adherence and the blinding check in protocols (issue 16 item 1)."""

from __future__ import annotations

import pytest
import yaml
from protocol_variants import protocol_dict

from nof1.design.timeline import blinding_check_days
from nof1.errors import ProtocolError
from nof1.protocol import load_protocol, read_protocol

EVENTS = ["vivid_dreams", "insomnia", "headache", "nausea"]


def problems(tmp_path, **changes) -> list[str]:
    data = protocol_dict("ldn-nof1-multicycle") | changes
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProtocolError) as info:
        read_protocol(path)
    assert str(path) in str(info.value)
    return info.value.problems


@pytest.mark.parametrize("protocol_id", ["ldn-fibromyalgia-2013", "ldn-nof1-multicycle"])
def test_the_double_blind_protocols_ask_everything(protocol_id):
    p = load_protocol(protocol_id)
    assert [e.name for e in p.adverse_events] == EVENTS
    assert [e.label for e in p.adverse_events][:2] == ["Vivid dreams", "Trouble sleeping"]
    assert (p.adherence.name, p.adherence.label, p.adherence.per_protocol_min) == (
        "dose_taken",
        "Took today's capsules",
        0.8,
    )
    assert p.blinding_check.name == "guess"
    assert p.blinding_check.label == "Which do you think you took this period?"
    assert p.answer_items == [*EVENTS, "dose_taken", "guess"]


def test_the_fixed_order_pilot_records_harms_and_adherence_but_asks_no_guess():
    p = load_protocol("ldn-fibromyalgia-2009-pilot")
    assert [e.name for e in p.adverse_events] == EVENTS and p.adherence is not None
    assert p.blinding_check is None and p.answer_items == [*EVENTS, "dose_taken"]


def test_the_items_are_optional():
    data = protocol_dict("ldn-nof1-multicycle")
    for key in ("adverse_events", "adherence", "blinding_check"):
        data.pop(key)
    from nof1.protocol.model import Protocol

    p = Protocol.model_validate(data)
    assert (p.adverse_events, p.adherence, p.blinding_check, p.answer_items) == ([], None, None, [])


def test_the_blinding_question_is_asked_on_the_last_day_of_each_period():
    assert blinding_check_days(load_protocol("ldn-nof1-multicycle")) == [42, 70, 98, 126, 154, 182]
    p = load_protocol("ldn-fibromyalgia-2013")  # periods of 84 and 28 days
    assert blinding_check_days(p, [True, False]) == [98, 126]
    assert blinding_check_days(p, [False, True]) == [42, 126]
    with pytest.raises(ValueError, match="depend on the allocation"):
        blinding_check_days(p)


def test_an_event_named_twice_names_the_field_path(tmp_path):
    events = [{"name": "nausea", "label": "Nausea"}, {"name": "nausea", "label": "Sick"}]
    assert problems(tmp_path, adverse_events=events) == [
        "adverse_events.1.name: the name 'nausea' is already used by adverse_events.0.name"
    ]


def test_an_item_colliding_with_an_outcome_names_both(tmp_path):
    assert problems(tmp_path, adherence={"name": "pain", "label": "x"}) == [
        "adherence.name: the name 'pain' is already used by outcomes.0.name"
    ]
    assert problems(tmp_path, blinding_check={"name": "dose_taken", "label": "x"}) == [
        "blinding_check.name: the name 'dose_taken' is already used by adherence.name"
    ]


def test_an_item_named_like_a_diary_column_is_refused(tmp_path):
    assert problems(tmp_path, blinding_check={"name": "period", "label": "x"}) == [
        "blinding_check.name: 'period' is a diary column of its own; choose another name"
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"adherence": {"name": "dose_taken", "label": "x", "per_protocol_min": 0}},
         "adherence.per_protocol_min: input should be greater than 0, got 0"),
        ({"adherence": {"name": "dose_taken", "label": "x", "per_protocol_min": 1.5}},
         "adherence.per_protocol_min: input should be less than or equal to 1, got 1.5"),
        ({"adherence": {"name": "dose_taken", "label": "x", "per_protocol_min": True}},
         "adherence.per_protocol_min: input should be a valid number, got True"),
        ({"adverse_events": [{"name": "Vivid Dreams", "label": "x"}]},
         "adverse_events.0.name: string should match pattern '^[a-z][a-z0-9_]*$', "
         "got 'Vivid Dreams'"),
        ({"adverse_events": [{"name": "nausea"}]},
         "adverse_events.0.label: required field is missing"),
        ({"adverse_events": [{"name": "nausea", "label": "Nausea", "grade": 2}]},
         "adverse_events.0.grade: unknown field (check the spelling)"),
        ({"blinding_check": {"name": "guess", "label": "x", "days": [3]}},
         "blinding_check.days: unknown field (check the spelling)"),
        ({"adherence": {"name": "dose_taken", "label": ""}},
         "adherence.label: string should have at least 1 character, got ''"),
    ],
)  # fmt: skip
def test_bad_items_name_their_field_path(tmp_path, changes, message):
    assert problems(tmp_path, **changes) == [message]


def test_protocols_show_lists_the_items():
    from nof1.protocol.summary import summarize

    text = summarize(load_protocol("ldn-nof1-multicycle"))
    assert "Adverse events (daily, yes/no)" in text and "vivid_dreams       Vivid dreams" in text
    assert "dose_taken         Took today's capsules; per protocol: taken on >= 80%" in text
    assert "Blinding check (last day of each treatment period)" in text
    assert "Blinding check" not in summarize(load_protocol("ldn-fibromyalgia-2009-pilot"))

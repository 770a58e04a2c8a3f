"""The shipped JSON Schemas are the ones generated from the typed records, and the records'
JSON is what their schemas say."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Literal

import jsonschema
import pytest

from nof1.schemas.generate import SCHEMA_DIR, document_schema, generated, main
from nof1.schemas.records import Json, Record, entry, json_schema, plain, version_of


def test_the_shipped_schemas_are_the_generated_ones():
    stale = [n for n, text in generated().items() if (SCHEMA_DIR / n).read_text() != text]
    assert not stale, f"{', '.join(stale)} differ from the records: run `make schemas`"


def test_the_check_mode_reports_a_stale_schema(tmp_path, monkeypatch, capsys):
    import nof1.schemas.generate as generate

    for name, text in generated().items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(generate, "SCHEMA_DIR", tmp_path)
    assert main(["--check"]) == 0
    (tmp_path / "power.schema.json").write_text("{}\n")
    assert main(["--check"]) == 1
    assert "power.schema.json (run `make schemas`)" in capsys.readouterr().err
    assert (tmp_path / "power.schema.json").read_text() == "{}\n"  # --check writes nothing
    assert main([]) == 0 and (tmp_path / "power.schema.json").read_text() != "{}\n"


@pytest.mark.parametrize("name", ["results", "series", "power"])
def test_each_schema_is_valid_draft_2020_12_with_shared_defs(name):
    schema = document_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False and schema["$defs"]
    for key, body in schema["$defs"].items():
        assert body["additionalProperties"] is False, key  # every record is closed


def test_the_version_comes_from_the_writers_constant():
    from nof1.analysis.patient import SCHEMA as RESULTS
    from nof1.power.engine import SCHEMA as POWER
    from nof1.series.results import SCHEMA as SERIES

    for name, constant in (("results", RESULTS), ("series", SERIES), ("power", POWER)):
        schema = document_schema(name)
        assert schema["properties"]["schema"] == {"const": constant}
        assert schema["title"].endswith(f"contract {constant}")
        # the contract v2 keys are in the schema exactly when the writer is at v2
        assert ("analysis" in schema["properties"]) == (version_of(constant) >= 2)


def test_results_effects_follow_the_method_registry():
    from nof1.analysis.registry import METHODS

    defs = document_schema("results")["$defs"]
    effects = defs["Effects"]
    assert effects["required"] == list(METHODS)
    for key, method in METHODS.items():
        body = defs[effects["properties"][key]["$ref"].split("/")[-1]]
        assert body["required"] == [*method.fields, "reason"]


# --- the records --------------------------------------------------------------------------

Side = Literal["active", "placebo"]


@dataclass(frozen=True)
class _Inner(Record):
    """An inner record."""

    n: Annotated[int, Json(minimum=0)]
    mean: float | None = None


@dataclass(frozen=True)
class _Outer(Record):
    """An outer record."""

    means: dict[Side, float | None] = entry(flatten=True, suffix="_mean")
    inner: _Inner = entry(key="group")
    both: _Inner | None = entry()
    hidden: float = entry(0.0, omit=True)
    items: tuple[_Inner, ...] = ()
    later: int = entry(0, since=2)


def test_to_dict_follows_the_fields_and_their_options():
    o = _Outer({"active": 1.0, "placebo": math.nan}, _Inner(2, math.inf), None, 5.0, (_Inner(1),))
    assert o.to_dict() == {
        "active_mean": 1.0,
        "placebo_mean": None,
        "group": {"n": 2, "mean": None},
        "both": None,
        "items": [{"n": 1, "mean": None}],
        "later": 0,
    }
    assert json.dumps(o.to_dict(), allow_nan=False)


def test_the_schema_of_a_record_accepts_its_json_and_nothing_else():
    schema = json_schema(_Outer)
    validator = jsonschema.Draft202012Validator(schema)
    good = _Outer({"active": 1.0, "placebo": None}, _Inner(2), _Inner(0, 3.5)).to_dict()
    del good["later"]  # a key of contract version 2
    assert validator.is_valid(good)
    assert set(schema["required"]) == {"group", "both", "items"}
    assert schema["patternProperties"] == {"^(active|placebo)_mean$": {"type": ["number", "null"]}}
    for bad in (
        good | {"extra": 1},
        good | {"B_mean": 1.0},
        good | {"group": {"n": -1, "mean": None}},
        good | {"group": {"n": 1}},
        good | {"both": {"n": 1, "mean": "x"}},
        {k: v for k, v in good.items() if k != "items"},
    ):
        assert not validator.is_valid(bad), bad
    assert "later" in json_schema(_Outer, version=2)["required"]


def test_plain_turns_numpy_values_into_json_values():
    import numpy as np

    got = plain({"a": np.float64(np.nan), "b": np.int64(3), "c": (np.bool_(True), 1.5)})
    assert got == {"a": None, "b": 3, "c": [True, 1.5]}
    assert type(got["b"]) is int and type(got["c"][0]) is bool


def test_a_power_row_with_an_unknown_or_missing_key_fails_where_it_is_made():
    from nof1.power.results import PowerRow

    row = dict.fromkeys(f for f in PowerRow.__dataclass_fields__)
    PowerRow(**row)
    with pytest.raises(TypeError):
        PowerRow(**row, bogus=1)
    with pytest.raises(TypeError):
        PowerRow(**{k: v for k, v in row.items() if k != "rule"})

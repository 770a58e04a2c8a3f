"""Shared fixtures: shipped protocols, and protocols varied from them."""

from __future__ import annotations

import copy

import pytest
import yaml

from nof1.protocol import read_protocol, shipped_ids
from nof1.protocol.model import Protocol

SHIPPED = shipped_ids()


def protocol_dict(protocol_id: str) -> dict:
    """A shipped protocol as a plain dict, to vary in tests."""
    return yaml.safe_load(read_protocol(protocol_id).text)


def vary(protocol_id: str, **sections) -> Protocol:
    """A shipped protocol with some sections updated (shallow per section), validated."""
    data = protocol_dict(protocol_id)
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**copy.deepcopy(data[key]), **value}
        else:
            data[key] = value
    return Protocol.model_validate(data)


@pytest.fixture(params=SHIPPED)
def shipped_id(request) -> str:
    return request.param


@pytest.fixture(autouse=True)
def _every_results_json_follows_its_schema(request):
    """After each test that used tmp_path, validate every results.json it wrote."""
    if "tmp_path" not in request.fixturenames:
        yield
        return
    tmp_path = request.getfixturevalue("tmp_path")
    yield
    import json
    from pathlib import Path

    import jsonschema

    schema_dir = Path(__file__).resolve().parents[1] / "nof1" / "schemas"
    schema = json.loads((schema_dir / "results.schema.json").read_text())
    for path in tmp_path.rglob("results.json"):
        jsonschema.validate(json.loads(path.read_text()), schema)

"""Shipped protocols as plain data, and validated variations of them, for tests."""

from __future__ import annotations

import copy

import yaml

from nof1.protocol import read_protocol
from nof1.protocol.model import Protocol

__all__ = ["protocol_dict", "vary"]


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

"""Shipped protocols as plain data, and validated variations of them, for tests."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

from nof1.protocol import read_protocol
from nof1.protocol.model import Protocol

__all__ = ["pinned_primary", "protocol_dict", "vary"]


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


def pinned_primary(protocol_id: str, folder: Path, primary_method: str = "gls_ar1") -> Path:
    """A shipped protocol's file with only its ``primary_method`` line changed, written to
    ``folder``: for tests whose numbers R checks are those of another primary method than
    the shipped one. (Its bytes differ, so allocations made from the shipped protocol need
    ``--allow-protocol-change``.)"""
    text = read_protocol(protocol_id).text
    pinned = re.sub(r"(?m)^(\s*primary_method:).*$", rf"\1 {primary_method}", text)
    path = Path(folder) / f"{protocol_id}.yaml"
    path.write_text(pinned, encoding="utf-8")
    return path

"""The JSON Schema of protocol files, generated from the model and shipped.

The shipped copy (``nof1/schemas/protocol.schema.json``) lets editors and other tools
check protocol files without nof1; a test keeps it equal to the model. Regenerate it
with ``python -m nof1.protocol.schema``.
"""

from __future__ import annotations

import json
from pathlib import Path

from nof1.protocol.model import Protocol

__all__ = ["SCHEMA_PATH", "protocol_schema", "protocol_schema_text"]

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "protocol.schema.json"


def protocol_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a protocol file."""
    schema = Protocol.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://nof1.invalid/schemas/protocol.schema.json",
        **schema,
    }


def protocol_schema_text() -> str:
    """The schema as the exact text of the shipped file."""
    return json.dumps(protocol_schema(), indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(protocol_schema_text())
    print(f"wrote {SCHEMA_PATH}")

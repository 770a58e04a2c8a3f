"""Protocol files: the typed model, loading and validation, and human summaries."""

from nof1.protocol.load import ProtocolFile, load_protocol, read_protocol, shipped_ids
from nof1.protocol.model import PRIMARY_METHODS, Outcome, Protocol

__all__ = [
    "PRIMARY_METHODS",
    "Outcome",
    "Protocol",
    "ProtocolFile",
    "load_protocol",
    "read_protocol",
    "shipped_ids",
]

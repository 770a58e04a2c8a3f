"""Protocol files: the typed model, loading and validation, and human summaries."""

from nof1.protocol.load import ProtocolFile, load_protocol, read_protocol, shipped_ids
from nof1.protocol.model import METHODS, Outcome, Protocol

__all__ = [
    "METHODS",
    "Outcome",
    "Protocol",
    "ProtocolFile",
    "load_protocol",
    "read_protocol",
    "shipped_ids",
]

"""The link between a schedule and the protocol an analysis is run with.

``nof1 schedule`` writes the protocol's SHA-256 into the blinded allocation and the
unblinding key. Analysing with a protocol whose bytes differ (an edited alpha, washout or
outcome under the same id) would silently apply another plan to the trial, so it is
refused unless the user says so, and then recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from nof1.errors import Nof1Error

__all__ = ["ProtocolChangedError", "schedule_sha256"]


class ProtocolChangedError(Nof1Error):
    """An allocation made from another version of the protocol (see :func:`schedule_sha256`)."""


def schedule_sha256(allocations: Iterable, protocol_file, allow_change: bool = False) -> list[str]:
    """The protocol hashes the allocations were made from, checked against the protocol's.

    Parameters
    ----------
    allocations : iterable of nof1.data.AllocationFile
        The allocation files read (none when conditions come from the diary).
    protocol_file : nof1.protocol.load.ProtocolFile
        The protocol the analysis runs with.
    allow_change : bool
        Accept allocations made from other bytes of the protocol (``--allow-protocol-change``).

    Returns
    -------
    list of str
        The distinct ``protocol_sha256`` of the allocations, in order of appearance
        (empty without allocations): what results.json records.

    Raises
    ------
    ProtocolChangedError
        An allocation's hash differs and ``allow_change`` is off; the message names the
        file and both hashes.
    """
    seen: dict[str, str] = {}
    for a in allocations:
        seen.setdefault(a.protocol_sha256, a.source)
    for sha, source in seen.items():
        if sha != protocol_file.sha256 and not allow_change:
            raise ProtocolChangedError(
                f"{source} was made from protocol '{protocol_file.protocol.id}' with SHA-256 "
                f"{sha}, but {protocol_file.path} has SHA-256 {protocol_file.sha256}: the "
                "protocol changed after the schedule was made. Give the protocol file the "
                "schedule was made from, or --allow-protocol-change to analyse with this one "
                "(recorded in the results)"
            )
    return list(seen)

"""What the parent of a series keeps per patient, packed: a few kB instead of tens.

A worker sends back each patient's summary (:func:`nof1.series.run.patient_summary`): a
part of its results.json as nested dicts, the order of its periods and the mixed model's
sufficient statistics. Held as Python objects until pooling, that is about 20 kB per
patient (a dict and a float object per value); 10 000 patients would not fit issue 14's
400 MB. So each summary is packed as it arrives (``marshal``, then ``zlib``: about 3.6 kB)
and unpacked when pooling reads it (about 0.08 ms); the mixed model's statistics are kept
as one row of floats per patient.

``marshal`` rather than pickle or JSON: the summary is plain dicts, lists, strings,
numbers, booleans and None (it is a results.json's part), which marshal stores as they are
(the same floats, bit for bit) and reads back fastest.
"""

from __future__ import annotations

import marshal
import sys
import zlib
from collections.abc import Iterator, Mapping

import numpy as np

__all__ = [
    "PackedSummaries",
    "held_chunk",
    "held_entry",
    "pack",
    "pack_mixed",
    "unpack",
    "unpack_mixed",
]


def pack(summary: dict) -> bytes:
    """A summary as bytes (:func:`unpack` gives it back, equal)."""
    return zlib.compress(marshal.dumps(summary), 1)


def unpack(data: bytes) -> dict:
    """The summary :func:`pack` packed."""
    return marshal.loads(zlib.decompress(data))


class PackedSummaries(Mapping):
    """Patient id -> summary (a dict), each kept packed and unpacked when read.

    A read-only mapping: every read unpacks a new copy, so changing one changes nothing
    kept. ``len``, ``in`` and the order of the ids cost nothing.

    Examples
    --------
    >>> s = PackedSummaries({"P01": pack({"responder": {"active": True}})})
    >>> s["P01"], list(s), len(s)
    ({'responder': {'active': True}}, ['P01'], 1)
    """

    def __init__(self, packed: dict[str, bytes] | None = None):
        self._packed = dict(packed or {})

    def add(self, patient_id: str, summary: dict) -> None:
        self._packed[sys.intern(patient_id)] = pack(summary)

    def __getitem__(self, patient_id: str) -> dict:
        return unpack(self._packed[patient_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __contains__(self, patient_id) -> bool:
        return patient_id in self._packed

    def __repr__(self) -> str:
        return f"PackedSummaries({len(self)} patients)"


def pack_mixed(statistics: dict) -> tuple[tuple[str, ...], np.ndarray]:
    """A patient's :func:`~nof1.series.mixed_outcomes.outcome_statistics` (outcome ->
    :class:`~nof1.series.mixed.MixedStatistics` of one patient) as the outcomes' names and
    one row of floats (per outcome ``A`` (2 x 2), ``b`` (2), ``yy``, ``centre``)."""
    names = tuple(sys.intern(name) for name in statistics)
    blocks = []
    for s in statistics.values():
        if s.patient.size > 1:
            raise ValueError("mixed statistics of more than one patient")
        blocks.append(  # NaN: no observed day of that outcome (no row, as concatenated)
            np.concatenate([s.A.ravel(), s.b.ravel(), s.yy, s.centre])
            if s.patient.size
            else np.full(8, np.nan)
        )
    return names, np.concatenate(blocks)


def unpack_mixed(patient_ids, packed: list, outcome: str):
    """The :class:`~nof1.series.mixed.MixedStatistics` of one outcome for every patient
    (in order; at least one), from their :func:`pack_mixed`: the same arrays as
    concatenating each patient's."""
    from nof1.series.mixed import MixedStatistics

    block = np.stack([row[8 * names.index(outcome) :][:8] for names, row in packed])
    there = ~np.isnan(block[:, 0])
    block = block[there]
    return MixedStatistics(
        np.array(list(patient_ids), dtype=object)[there],
        block[:, :4].reshape(-1, 2, 2).copy(),
        block[:, 4:6].copy(),
        block[:, 6].copy(),
        block[:, 7].copy(),
    )


def held_chunk(chunk: list[dict]) -> list[dict]:
    """A chunk's entries as the parent keeps them until pooling (:func:`held_entry`)."""
    return [held_entry(entry) for entry in chunk]


def held_entry(entry: dict) -> dict:
    """A patient's :func:`~nof1.series.run.patient_summary` (or why they were not
    analysed) as the parent keeps it: the summary packed, the mixed model's statistics
    as a row (:func:`pack_mixed`), ``blinded`` beside them (checked across patients)."""
    if "summary" not in entry:
        return entry
    summary = entry["summary"]
    return {
        **entry,
        "patient_id": sys.intern(entry["patient_id"]),
        "summary": pack(summary),
        "blinded": summary["blinded"],
        "order": tuple(sys.intern(c) for c in entry["order"]),
        "mixed": pack_mixed(entry["mixed"]),
    }

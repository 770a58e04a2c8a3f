"""What the parent of a series keeps per patient, packed: a few kB instead of tens.

A worker sends back each patient's summary (:func:`nof1.series.run.patient_summary`): a
part of its results.json as nested dicts, the order of its periods and the mixed model's
sufficient statistics. Held as Python objects until pooling, that is about 20 kB per
patient (a dict and a float object per value); 10 000 patients would not fit issue 14's
400 MB. So each summary is packed as it arrives (:class:`SummaryPacker`: about 2 kB) and
read when pooling reads it; the mixed model's statistics are kept as one row of floats
per patient.

A summary is packed key by key (its top-level keys: ``outcomes``, ``harms``,
``data_quality``...), so that each reader of one part (the harms' pooling, the adherence's,
the data warnings...) unpacks that part only: about 5 µs where the whole summary took 40,
read eight times per patient. Each part is ``marshal``-ed (the same floats, bit for bit,
and read back fastest), then compressed by zlib with the first patient's value of that
key as its preset dictionary: the patients' summaries share their keys, texts and
structure, so a part compresses to a fraction of what it would alone.
"""

from __future__ import annotations

import marshal
import struct
import sys
import zlib
from collections.abc import Iterator, Mapping

import numpy as np

__all__ = [
    "PackedSummaries",
    "SummaryPacker",
    "held_chunk",
    "held_entry",
    "pack_mixed",
    "unpack_mixed",
]

#: A part this short (marshal-ed) is kept as it is: compressing it gains little.
_SHORT = 96
_RAW, _DEFLATED = b"r", b"z"


class SummaryPacker:
    """Packs summaries part by part (see the module's text) and reads a part back.

    The first summary packed gives each key's preset dictionary, so one packer packs and
    reads the summaries of one series (:class:`PackedSummaries` holds it).

    Examples
    --------
    >>> packer = SummaryPacker()
    >>> packed = packer.pack({"responder": {"active": True}, "harms": None})
    >>> packer.part(packed, "responder"), packer.part(packed, "harms")
    ({'active': True}, None)
    """

    def __init__(self):
        self._dictionaries: dict[str, bytes] = {}
        self._layouts: dict[tuple, tuple] = {}  # keys -> (keys, struct format of the lengths)

    def pack(self, summary: dict) -> tuple[tuple, bytes]:
        """``(keys, data)``: the layout (shared by summaries with the same keys) and the
        parts, after a header of their lengths."""
        keys = tuple(summary)
        layout = self._layouts.get(keys)
        if layout is None:
            names = tuple(sys.intern(k) for k in keys)
            layout = self._layouts[keys] = (names, f"<{len(keys)}I")
        parts = [self._part(key, value) for key, value in summary.items()]
        return layout, struct.pack(layout[1], *map(len, parts)) + b"".join(parts)

    def _part(self, key: str, value) -> bytes:
        raw = marshal.dumps(value)
        if len(raw) <= _SHORT:
            return _RAW + raw
        preset = self._dictionaries.setdefault(key, raw)
        packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, preset)
        return _DEFLATED + packer.compress(raw) + packer.flush()

    def part(self, packed: tuple[tuple, bytes], key: str):
        """The value of ``key`` in a summary :meth:`pack` packed (KeyError if none)."""
        (keys, header), data = packed
        try:
            i = keys.index(key)
        except ValueError:
            raise KeyError(key) from None
        lengths = struct.unpack_from(header, data)
        start = 4 * len(keys) + sum(lengths[:i])
        part = data[start : start + lengths[i]]
        if part[:1] == _RAW:
            return marshal.loads(part[1:])
        reader = zlib.decompressobj(15, self._dictionaries[key])
        return marshal.loads(reader.decompress(part[1:]))


class Summary(Mapping):
    """One patient's summary, read part by part as asked (each part once).

    A copy: setting a key changes this view only, never what is kept."""

    __slots__ = ("_packer", "_packed", "_read")

    def __init__(self, packer: SummaryPacker, packed: tuple[tuple, bytes]):
        self._packer, self._packed, self._read = packer, packed, {}

    def __getitem__(self, key: str):
        try:
            return self._read[key]
        except KeyError:
            value = self._read[key] = self._packer.part(self._packed, key)
            return value

    def __setitem__(self, key: str, value) -> None:
        self._read[key] = value

    def __contains__(self, key) -> bool:
        return key in self._read or key in self._packed[0][0]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys((*self._packed[0][0], *self._read)))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"Summary({dict(self)!r})"


class PackedSummaries(Mapping):
    """Patient id -> summary (a :class:`Summary`), each kept packed and read when asked.

    A read-only mapping: every read gives a new view, so changing one changes nothing
    kept. ``len``, ``in`` and the order of the ids cost nothing.

    Examples
    --------
    >>> packer = SummaryPacker()
    >>> s = PackedSummaries({"P01": packer.pack({"responder": {"active": True}})}, packer)
    >>> dict(s["P01"]), list(s), len(s)
    ({'responder': {'active': True}}, ['P01'], 1)
    """

    def __init__(self, packed: dict[str, tuple] | None = None, packer: SummaryPacker | None = None):
        self._packed = dict(packed or {})
        self._packer = packer or SummaryPacker()

    @classmethod
    def of(cls, summaries: Mapping[str, dict]) -> PackedSummaries:
        """Summaries (patient id -> dict) packed by a new packer."""
        packer = SummaryPacker()
        return cls({sys.intern(pid): packer.pack(s) for pid, s in summaries.items()}, packer)

    def __getitem__(self, patient_id: str) -> Summary:
        return Summary(self._packer, self._packed[patient_id])

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


def held_chunk(chunk: list[dict], packer: SummaryPacker) -> list[dict]:
    """A chunk's entries as the parent keeps them until pooling (:func:`held_entry`)."""
    return [held_entry(entry, packer) for entry in chunk]


def held_entry(entry: dict, packer: SummaryPacker) -> dict:
    """A patient's :func:`~nof1.series.run.patient_summary` (or why they were not
    analysed) as the parent keeps it: the summary packed (by the series' ``packer``), the
    mixed model's statistics as a row (:func:`pack_mixed`), ``blinded`` beside them
    (checked across patients)."""
    if "summary" not in entry:
        return entry
    summary = entry["summary"]
    return {
        **entry,
        "patient_id": sys.intern(entry["patient_id"]),
        "summary": packer.pack(summary),
        "blinded": summary["blinded"],
        "order": tuple(sys.intern(c) for c in entry["order"]),
        "mixed": pack_mixed(entry["mixed"]),
    }

"""Reading a series: every patient's diary and the allocations, with the problems found.

:func:`load_series` reads one diary table with a ``patient_id`` column, or a folder of
per-patient diaries, and the allocation files ``nof1 schedule`` wrote; it gives a
:class:`SeriesInput`: one :class:`~nof1.data.Diary` per patient, and the problems found,
per patient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nof1.data import AllocationFile, Diary, read_allocations, read_diary, read_patients
from nof1.data.tables import with_row_note
from nof1.errors import DiaryError, Nof1Error
from nof1.parallel import map_chunks
from nof1.series.stream import index_table

__all__ = ["SeriesError", "SeriesInput", "load_series", "one_line_reason"]

#: A diary table larger than this (about 1 000 patients of 182 days) is indexed, and its
#: allocations read, by workers (see :func:`_read_inputs`).
_READ_APART_BYTES = 8 << 20
_DIARY_NAME = re.compile(r"(?:^|.*[-_])diary\.(?:csv|xlsx)$", re.IGNORECASE)


class SeriesError(DiaryError):
    """Patients that cannot be analysed; ``bad`` lists ``{"patient_id", "reason"}``."""

    def __init__(self, source: str, bad: list[dict]):
        self.bad = list(bad)
        super().__init__(
            source,
            [
                f"patient {b['patient_id']}: {b['reason']}" if b["patient_id"] else b["reason"]
                for b in self.bad
            ],
        )

    def __reduce__(self):
        return type(self), (self.source, self.bad)

    def sourced_problems(self) -> list[tuple[str, str]]:
        """Each skipped patient's own problems (with their rows) when known, else the reason."""
        out = []
        for b in self.bad:
            if b.get("error") is not None:
                out += b["error"].sourced_problems()
            elif b["patient_id"]:
                out.append((self.source, f"patient {b['patient_id']}: {b['reason']}"))
            else:  # a problem of the table, with its row
                out.append((self.source, b["reason"]))
        return out


@dataclass(frozen=True)
class SeriesInput:
    """What :func:`load_series` read.

    Attributes
    ----------
    source : str
        The diary file or folder.
    sha256 : str or None
        SHA-256 of a diary table (None for a folder: each results.json has its file's).
    diaries : dict of str to Diary
        By patient id, in the order of the file (or of the sorted file names).
    allocations : dict of str to AllocationFile
        By patient id; empty when conditions come from the diaries' condition column.
    allocation_sources : tuple of str
        The allocation files read.
    bad : tuple of dict
        ``{"patient_id", "reason"}`` for every diary that could not be read.
    """

    source: str
    sha256: str | None
    diaries: dict[str, Diary]
    allocations: dict[str, AllocationFile]
    allocation_sources: tuple[str, ...] = ()
    bad: tuple[dict, ...] = ()
    #: How the diaries were read, when not as nof1's template (REDCap, a map...).
    notes: tuple[str, ...] = ()
    #: ``{"patient_id", "reason"}`` (and ``error``) of patients in ``diaries`` known, before
    #: any analysis, not to fit their allocation or to have nothing to compare (a lean read).
    unfit: tuple[dict, ...] = ()


def load_series(
    path,
    protocol,
    allocations=None,
    skip_bad: bool = False,
    options=None,
    *,
    lean: bool = False,
    workers: int | None = None,
    client=None,
    progress=None,
    cache: str | None = None,
) -> SeriesInput:
    """Read a series' diaries and allocations.

    Parameters
    ----------
    path : str or Path
        A diary table (CSV or XLSX, wide or long) with a ``patient_id`` column, or a folder
        holding one diary per patient: files named ``ID-diary.csv`` (or ``.xlsx``, or just
        ``diary.csv``) in it or its subfolders, each with a ``patient_id`` column
        (``series-diary.*`` is left out, so a folder ``nof1 simulate`` wrote works).
    protocol : Protocol
    allocations : str or Path, optional
        An allocation file ``nof1 schedule`` wrote (blinded CSV or unblinding key, for the
        series or one patient), or a folder of them. In a folder the analyst's blinded
        files are used when present (``series-allocation-blinded.csv``, else every
        ``*-allocation-blinded.csv``), else the unblinding keys: to unblind, name the key
        file. Without allocations the diaries need a ``condition`` column.
    skip_bad : bool
        When a diary table has problems, find which patients they belong to so that the
        others can be analysed (the file is read once either way).
    options : nof1.data.ReadOptions, optional
        A mapping file and the date order, for diaries not in nof1's template (every
        diary of a folder is read with them).
    lean : bool
        Hold no daily data here: a plain CSV table is indexed in one pass, and its
        patients are read, validated and aligned in chunks by ``workers`` local processes
        (or on ``client``'s Dask cluster), with the same checks and messages;
        ``diaries`` then holds a :class:`nof1.series.stream.Rows` per patient (where
        their rows are), read again by the worker that analyses them. Other inputs are
        read whole. ``progress(n, total)`` is called with the patients just checked
        (first ``progress(0, total)``). ``cache``: a folder (the run's private staging
        folder, on storage every worker sees) where the checked diaries are kept for the
        analysis (else they are read again).

    Returns
    -------
    SeriesInput

    Raises
    ------
    SeriesError
        Without ``skip_bad``: every problem of a diary table, with its rows.
    DiaryError
        A file that cannot be read at all, a table without ``patient_id``, a folder without
        diaries or allocation files.
    """
    path = Path(path)
    lean = lean and not path.is_dir()
    allocs, sources, index = _read_inputs(allocations, path, options, lean, workers, client)
    if path.is_dir():
        diaries, bad = _read_folder(path, protocol, allocs, options)
        sha = None
    else:
        if index is not None:
            from nof1.series.stream_load import checked_series

            return checked_series(
                index, protocol, allocs, sources, skip_bad, workers, client, progress, cache
            )
        diaries, bad = _read_table(path, protocol, allocs, skip_bad, options)
        sha = next(iter(diaries.values())).sha256 if diaries else None
    notes = tuple(dict.fromkeys(n for d in diaries.values() for n in d.notes))
    return SeriesInput(str(path), sha, diaries, allocs, sources, tuple(bad), notes)


def _read_inputs(allocations, path: Path, options, lean: bool, workers, client):
    """The allocations (and their sources) and, when ``lean``, the diary table's index.

    For a large table both are read by workers (at once), whose results arrive as compact
    objects: read here, the transient rows leave the heap fragmented (about 5 kB per
    patient that the parent keeps to the end: 70 MB at 10 000 patients)."""
    apart = lean and (client is not None or workers is None or workers > 1)
    if not (apart and _size(path) > _READ_APART_BYTES):
        allocs, sources = _read_allocations(Path(allocations)) if allocations else ({}, ())
        return allocs, sources, index_table(path, options) if lean else None
    tasks = [("allocations", allocations)] if allocations else []
    outs = map_chunks(_read_part, [*tasks, ("index", path, options)], workers=2, client=client)
    for out in outs:
        if isinstance(out, Nof1Error):
            raise out  # in the order read here: the allocations' problems first
    allocs, sources = outs.pop(0) if allocations else ({}, ())
    return allocs, sources, outs[0]


def _read_part(kind: str, *args):
    """One input, in a worker; the problems found are returned (raised in order by the
    parent)."""
    try:
        if kind == "allocations":
            return _read_allocations(Path(args[0]))
        return index_table(*args)
    except Nof1Error as exc:
        return exc


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_allocations(path: Path) -> tuple[dict[str, AllocationFile], tuple[str, ...]]:
    if not path.is_dir():
        return read_allocations(path), (str(path),)
    found = []
    for series_name, pattern in (
        ("series-allocation-blinded.csv", "*-allocation-blinded.csv"),
        ("series-unblinding-key.json", "*-unblinding-key.json"),
    ):
        if (path / series_name).is_file():
            found = [path / series_name]
        else:
            found = sorted(p for p in path.rglob(pattern) if not p.name.startswith("series-"))
        if found:
            break
    if not found:
        raise DiaryError(
            str(path),
            ["has no allocation files (*-allocation-blinded.csv or *-unblinding-key.json)"],
        )
    out: dict[str, AllocationFile] = {}
    for file in found:
        for pid, alloc in read_allocations(file).items():
            if pid in out:
                raise DiaryError(str(path), [f"patient {pid} is in {out[pid].source} and {file}"])
            out[pid] = alloc
    return out, tuple(str(f) for f in found)


def _read_table(path: Path, protocol, allocs, skip_bad: bool, options):
    table = read_patients(
        path, protocol, allocs, options
    )  # the file is read once, whatever happens
    if not table.problems:
        return table.diaries, []
    source = with_row_note(table.source)
    if not skip_bad:  # the table's own messages, with rows; --skip-bad can get round them
        raise SeriesError(source, [{"patient_id": None, "reason": p} for p in table.problems])
    bad = []
    if table.unnamed:
        unnamed = table.unnamed
        shown = ", ".join(map(str, unnamed[:10])) + (", ..." if len(unnamed) > 10 else "")
        bad.append({"patient_id": None, "reason": f"rows {shown} have no patient_id"})
    for pid, exc in table.errors.items():
        bad.append({"patient_id": pid, "reason": one_line_reason(exc), "error": exc})
    return table.diaries, bad


def _read_folder(path: Path, protocol, allocs, options):
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and _DIARY_NAME.match(p.name) and not p.name.startswith("series-")
    )
    if not files:
        raise DiaryError(str(path), ["has no diaries (files named ID-diary.csv or ID-diary.xlsx)"])
    diaries: dict[str, Diary] = {}
    bad = []
    for file in files:
        guess = re.sub(r"[-_]?diary$", "", file.stem, flags=re.IGNORECASE) or file.parent.name
        try:
            diary = read_diary(file, protocol, options=options)
            if diary.patient_id is None:
                raise DiaryError(
                    str(file), ["has no patient_id column (add one: the patient's id on each row)"]
                )
            if diary.patient_id in diaries:
                raise DiaryError(
                    str(file),
                    [
                        f"is a second diary of {diary.patient_id} (the first: "
                        f"{diaries[diary.patient_id].source})"
                    ],
                )
            if diary.patient_id in allocs:  # read again, checked against the schedule
                diary = read_diary(
                    file, protocol, allocation=allocs[diary.patient_id], options=options
                )
            diaries[diary.patient_id] = diary
        except DiaryError as exc:
            bad.append({"patient_id": guess, "reason": one_line_reason(exc), "error": exc})
    return diaries, bad


def one_line_reason(exc: DiaryError) -> str:
    """A DiaryError as one line, naming the file (not the path typed: series.json is shared),
    with its first problems and the rest counted."""
    return Path(exc.source).name + exc.one_line().removeprefix(exc.source)

"""A large diary table read patient by patient: the parent indexes it, the workers read it.

The parent of ``nof1 series`` never holds a series' daily data. :func:`index_table` streams
a CSV diary table once (its SHA-256, and where each patient's rows are: byte ranges and
row numbers); :func:`check_chunk` then reads and validates a chunk of patients' rows in a
worker, as :func:`nof1.data.read_patients` reads the whole file (the same checks, row
numbers and messages), aligns them and says who cannot be analysed, before any analysis;
:func:`read_rows` reads them again for the analysis.

Only a plain CSV table is read so (comma-separated, UTF-8, lines ending in a line end,
nof1's ``YYYY-MM-DD`` dates, every row with a ``patient_id``, no ``--map`` or
``--date-format``); anything else is read whole as before (:func:`index_table` gives None).
A table read so may have more rows than a spreadsheet (``MAX_ROWS``): that limit keeps
memory bounded, which reading patient by patient does anyway.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from nof1.data.tables import (
    csv_delimiter,
    is_missing,
    normalize_name,
    read_csv_text,
    with_row_note,
)
from nof1.errors import DiaryError

__all__ = [
    "Rows",
    "TableIndex",
    "cached_diaries",
    "check_chunk",
    "index_table",
    "missing_condition",
    "read_rows",
]

_BLOCK = 1 << 22  # bytes read at a time


@dataclass(frozen=True)
class Rows:
    """Where a patient's rows are in a diary table: what the parent holds in place of
    their :class:`~nof1.data.Diary` (a few hundred bytes)."""

    source: str
    sha256: str
    patient_id: str
    #: (first byte, end byte, first row number, rows) of each run of the patient's rows.
    runs: tuple
    header: bytes
    has_condition: bool = False
    notes: tuple = ()
    #: A file holding the diaries of the chunk the patient was checked in (pickled by
    #: :func:`check_chunk` into the run's private staging folder), or None: read again.
    cache: str | None = None


@dataclass(frozen=True)
class TableIndex:
    """:func:`index_table`'s answer: the file's SHA-256 and each patient's rows."""

    source: str
    sha256: str
    header: bytes
    patients: dict  # patient id -> Rows, in the order they first appear


def index_table(path, options=None) -> TableIndex | None:
    """Index a CSV diary table in one pass, or None when it is not one read so (see the
    module notes): then it is read whole."""
    path = Path(path)
    if options is not None and (options.mapping is not None or options.date_format):
        return None
    try:
        if path.suffix.lower() != ".csv" or not path.is_file():
            return None
        from nof1.inputs import MAX_FILE_BYTES

        if os.stat(path).st_size > MAX_FILE_BYTES:
            return None  # read whole: the reader's message
        with open(path, "rb") as f:
            return _index(f, str(path))
    except (OSError, UnicodeDecodeError, csv.Error, _NotPlain):
        return None


class _NotPlain(Exception):
    """The table is not one read patient by patient."""


def _index(f, source: str) -> TableIndex | None:
    sha = hashlib.sha256()
    head = f.read(_BLOCK)
    sha.update(head)
    if head.startswith(b"\xef\xbb\xbf"):
        raise _NotPlain  # rare: read whole (the header's bytes would differ)
    if csv_delimiter(head[:65536].decode("utf-8", errors="replace").lstrip("\r\n")) != ",":
        raise _NotPlain
    end = head.find(b"\n")
    if end <= 0 or b'"' in head[:end]:
        raise _NotPlain
    header = head[: end + 1]
    names = [_norm(c) for c in header.decode("utf-8").rstrip("\r\n").split(",")]
    if "patient_id" not in names or "date" not in names:
        raise _NotPlain
    k, d = names.index("patient_id"), names.index("date")
    runs: dict[str, list] = {}
    pending, pending_start, quotes = b"", 0, 0
    number, pos, current = 1, end + 1, None
    buf = head[end + 1 :]
    while True:
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            if quotes % 2 or b'"' in line:  # a quoted field, maybe over several lines
                if not pending:
                    pending_start = pos
                pending += line + b"\n"
                quotes += line.count(b'"')
                pos += len(line) + 1
                if quotes % 2:
                    continue
                if b"\r" in pending.rstrip(b"\r\n"):
                    raise _NotPlain
                cells = next(csv.reader([pending.decode("utf-8")]))
                start, pending, quotes = pending_start, b"", 0
            else:
                start = pos
                pos += len(line) + 1
                if b"\r" in line[:-1]:
                    raise _NotPlain  # a lone \r ends a row for the csv module
                cells = line.rstrip(b"\r").decode("utf-8").split(",")
            number += 1
            if len(cells) <= max(k, d) or is_missing(cells[k]):
                if all(is_missing(c) for c in cells):
                    continue  # a blank row: no one's
                raise _NotPlain  # rows without a patient_id count against everyone
            pid = cells[k].strip()
            if current is not None and current[0] == pid and current[1][-1][1] == start:
                run = current[1][-1]
                run[1], run[3] = pos, run[3] + 1
            else:
                date = cells[d].strip()
                if not (len(date) >= 10 and date[4] == date[7] == "-"):
                    raise _NotPlain  # dates in another order: settled by the whole file
                mine = runs.setdefault(pid, [])
                mine.append([start, pos, number, 1])
                current = (pid, mine)
        block = f.read(_BLOCK)
        if not block:
            break
        sha.update(block)
        buf += block
    if buf or pending:
        raise _NotPlain  # a last row without a line end (the reader flags a cut file)
    digest = sha.hexdigest()
    patients = {
        pid: Rows(source, digest, pid, tuple(tuple(r) for r in found), header)
        for pid, found in runs.items()
    }
    return TableIndex(source, digest, header, patients) if patients else None


def _norm(name: str) -> str:
    return normalize_name(name.strip())


def cached_diaries(patients: list[tuple[Rows, object]], p) -> dict:
    """Patient id -> what :func:`check_chunk` cached for them: the Aligned patient (ready to
    analyse, if aligned on protocol ``p`` and the same allocation as given with them) or the
    Diary; patients not there: :func:`read_rows`."""
    from nof1.data import Aligned

    out = {}
    for cache in dict.fromkeys(r.cache for r, _ in patients if r.cache is not None):
        try:
            with open(cache, "rb") as f:
                out |= pickle.load(f)
        except OSError:
            continue
    found = {}
    for r, allocation in patients:
        got = out.get(r.patient_id)
        if isinstance(got, Aligned) and not (
            got.schedule == allocation and (got.protocol is p or got.protocol == p)
        ):
            continue  # aligned on other inputs: read again
        if got is not None:
            found[r.patient_id] = got
    return found


def read_rows(patients: list[Rows], protocol, allocations: dict | None):
    """The :class:`~nof1.data.diary.PatientTable` of these patients' rows, read as
    :func:`~nof1.data.read_patients` reads the whole file (the same rows and messages)."""
    from nof1.data import read_patients
    from nof1.data.diary import expected_header

    first = patients[0]
    runs = sorted(r for p in patients for r in p.runs)
    parts, numbers = [first.header], [1]
    with open(first.source, "rb") as f:
        for start, end, row, n in runs:
            f.seek(start)
            parts.append(f.read(end - start))
            numbers += range(row, row + n)
    text = b"".join(parts).decode("utf-8")
    raw = read_csv_text(
        first.source, first.sha256, text, expected_header(protocol), numbers, delimiter=","
    )
    return read_patients(raw, protocol, allocations)


def check_chunk(patients: list[Rows], p, allocations: dict, cache: str | None = None) -> dict:
    """A chunk of patients read, validated and aligned (in a worker), before any analysis.

    Returns ``table`` (the file's own problems, when the rows could not be read as a
    table), else ``row_problems`` and ``late`` (:class:`~nof1.data.diary.PatientTable`),
    ``errors`` (patient id -> one-line reason and problems) and ``ready``: patient id ->
    (has a condition column, None or why they cannot be analysed). With ``cache``, the
    patients read are pickled there (a path in the run's private staging folder; a worker
    that cannot open it leaves it, and the analysis reads their rows again), aligned
    when they can be analysed, else their diaries, so that the analysis neither reads nor
    aligns them again (:func:`read_rows`)."""
    from nof1.data import align
    from nof1.data.align import nothing_to_compare
    from nof1.series.load import one_line_reason

    try:
        table = read_rows(patients, p, allocations)
    except DiaryError as exc:
        return {"table": [m for _, m in exc.sourced_problems()]}
    out = {
        "row_problems": list(table.row_problems),
        "late": list(table.late),
        "errors": {
            pid: (one_line_reason(exc), tuple(exc.sourced_problems()))
            for pid, exc in table.errors.items()
        },
        "ready": {},
        "notes": table.notes,
        "cache": None,
    }
    kept = dict(table.diaries)
    for pid, diary in table.diaries.items():
        why = None
        if not allocations or pid in allocations:
            try:
                aligned = align(diary, p, allocations.get(pid) if allocations else None)
            except DiaryError as exc:
                why = (one_line_reason(exc), tuple(exc.sourced_problems()))
            else:
                missing = nothing_to_compare(aligned) or missing_condition(aligned)
                why = (missing, None) if missing else None
                if why is None:
                    kept[pid] = aligned  # as the analysis would align it (same inputs)
        out["ready"][pid] = (diary.has_condition, why)
    if cache is not None and kept:
        try:
            with open(cache, "xb") as f:
                pickle.dump(kept, f, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:  # not here (a cluster's worker that does not see the folder, a full
            pass  # disk): the analysis reads these rows again
        else:
            out["cache"] = cache
    return out


def missing_condition(aligned) -> str | None:
    """Why a patient has nothing to compare, or None."""
    t = aligned.table
    counted = (t["included"] & t["observed"]).to_numpy()
    condition = t["condition"].to_numpy(dtype=object)
    for arm in reversed(aligned.arms):  # control first: "no placebo days" is the usual one
        if not (counted & (condition == arm)).any():
            name = f"group {arm}" if aligned.blinded else arm
            return f"has no {name} days to compare (no observed day of an included {name} period)"
    return None


def table_error(source: str, problems: list) -> DiaryError:
    """The file's own problems found in its parts, as reading it whole raises them."""
    return DiaryError(with_row_note(source), list(dict.fromkeys(problems)))

"""A lean :func:`~nof1.series.load_series`: every patient of an indexed table checked in
the workers before any analysis, the parent holding only where each patient's rows are.

The problems found are merged as reading the whole file finds them (the same messages, in
the same order), so a bad value in the rows of patient 9 000 stops the run before any
patient is analysed and before anything is written to ``--out``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from nof1.data.tables import with_row_note
from nof1.parallel import cpus, map_chunks
from nof1.series.stream import TableIndex, check_chunk, table_error

__all__ = ["SourcedProblems", "checked_series"]

_CHUNK = 25
_PER_WORKER = 50  # patients per worker below which a worker's start-up does not pay off


@dataclass(frozen=True)
class SourcedProblems:
    """A patient's problems as (file, problem) pairs, as a worker found them."""

    problems: tuple

    def sourced_problems(self) -> list:
        return list(self.problems)


def checked_series(
    index: TableIndex, protocol, allocs, sources, skip_bad, workers, client, progress, cache=None
):
    """The :class:`~nof1.series.SeriesInput` of an indexed table, every patient checked.

    Raises
    ------
    DiaryError
        The file's own problems (a short row, a column named twice...).
    SeriesError
        Without ``skip_bad``: every problem of its rows, as reading it whole gives them.
    """
    from nof1.series.load import SeriesError, SeriesInput

    patients = list(index.patients.values())
    tasks = []
    for i in range(0, len(patients), _CHUNK):
        chunk = patients[i : i + _CHUNK]
        mine = {r.patient_id: allocs[r.patient_id] for r in chunk if r.patient_id in allocs}
        where = None if cache is None else os.path.join(cache, f"diaries-{len(tasks)}.pickle")
        tasks.append((chunk, protocol, mine, where))

    if progress:
        progress(0, len(patients))  # the bar's length

    def done(i, _) -> None:
        if progress:
            progress(len(tasks[i][0]))

    if client is None:
        n = workers if workers is not None else min(cpus(), len(patients) // _PER_WORKER)
    else:
        n = 1
    outs = map_chunks(check_chunk, tasks, workers=max(1, n), client=client, done=done)
    table = [m for o in outs for m in o.get("table", ())]
    if table:
        raise table_error(index.source, table)
    rows = [rp for o in outs for rp in o["row_problems"]]
    late = [m for o in outs for m in o["late"]]
    source = with_row_note(index.source)
    if (rows or late) and not skip_bad:
        problems = [m for _, m in sorted(rows, key=lambda p: p[0])] + late
        raise SeriesError(source, [{"patient_id": None, "reason": m} for m in problems])
    bad, diaries = [], {}
    for o in outs:
        for pid, (reason, problems) in o["errors"].items():
            bad.append({"patient_id": pid, "reason": reason, "error": SourcedProblems(problems)})
    notes = tuple(dict.fromkeys(n for o in outs for n in o["notes"]))
    late_bad = []
    for o in outs:
        for pid, (has_condition, why) in o["ready"].items():
            diaries[pid] = replace(
                index.patients[pid], has_condition=has_condition, notes=notes, cache=o["cache"]
            )
            if why is not None:
                reason, problems = why
                entry = {"patient_id": pid, "reason": reason}
                if problems is not None:
                    entry["error"] = SourcedProblems(problems)
                late_bad.append(entry)
    return SeriesInput(
        index.source,
        index.sha256,
        diaries,
        allocs,
        sources,
        tuple(bad),
        notes,
        unfit=tuple(late_bad),
    )

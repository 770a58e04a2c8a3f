"""Analysing a series: align every patient, analyse them in chunks, then pool.

:func:`analyze_series` is the stage between :func:`~nof1.series.load_series` and the
files of :func:`~nof1.series.series_files`.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from nof1.analysis.days import patient_days
from nof1.data import Aligned, align
from nof1.data.align import nothing_to_compare
from nof1.data.protocol_link import schedule_sha256 as check_schedule_sha256
from nof1.design.visibility import visible_differences
from nof1.errors import DiaryError
from nof1.parallel import cpus, map_chunks
from nof1.protocol.load import ProtocolFile
from nof1.series.load import SeriesError, SeriesInput, one_line_reason
from nof1.series.packed import PackedSummaries, SummaryPacker, held_chunk
from nof1.series.pooling import (
    compact_results,
    folders,
    mixed_models,
    order,
    patient_entry,
    pool_outcomes,
    pool_safety,
    responders,
    skipped_entry,
)
from nof1.series.results import SeriesResults, entry_files, patient_files
from nof1.series.resume import Reuse, reused_chunk, stage_patient
from nof1.series.stream import Rows, cached_diaries, missing_condition, read_rows

__all__ = ["analyze_series", "patient_summary"]

_CHUNK = 25  # patients analysed together: the batched fits gain little beyond
_PER_WORKER = 2 * _CHUNK  # a worker (a second's start-up) pays off from about this many


def analyze_series(
    series: SeriesInput,
    protocol_file: ProtocolFile,
    *,
    skip_bad: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    files: Callable = patient_files,
    seed: int = 0,
    command: str | None = None,
    timings: dict | None = None,
    allow_protocol_change: bool = False,
    client=None,
    density: bool = True,
    stage: str | None = None,
    resume: Reuse | None = None,
    records: dict | None = None,
) -> SeriesResults:
    """Analyse every patient of a series, then pool (DESIGN.md section 6).

    Parameters
    ----------
    series : SeriesInput
        From :func:`load_series`.
    protocol_file : ProtocolFile
    skip_bad : bool
        Analyse the other patients when some cannot be (they are listed in ``skipped``);
        otherwise raise :class:`SeriesError` naming every one of them before any analysis.
    workers : int, optional
        Worker processes for the per-patient analyses; default: the CPUs available, with
        at least 50 patients per worker. 1 runs everything here. The results are the same
        whatever the number.
    progress : callable, optional
        Called with the number of diaries just dealt with (e.g. a progress bar's update);
        the calls add up to the number of diaries.
    files : callable
        ``(PatientResults, Aligned) -> {name: text}``, the per-patient files (see
        :func:`patient_files`, the default).
    seed : int
        Seed of each patient's Monte Carlo randomization test (large schemes only).
    command : str, optional
        The command line, recorded in series.json and every results.json.
    timings : dict, optional
        Filled with the seconds spent per stage (``align``, ``patients``, ``pooling``).
    allow_protocol_change : bool
        Analyse even when the allocations were made from other bytes of the protocol
        (their hashes are recorded in series.json and every results.json).
    client : dask.distributed.Client, optional
        Analyse the chunks on its cluster (then ``workers`` is not used).
    density : bool
        Whether each results.json has the posterior density of ``bayes_ar1`` (drawn by a
        patient's report; null otherwise, which saves a third of the CPU).
    stage : str, optional
        A folder (:meth:`nof1.outputs.OutputSet.stage`) the workers write each patient's
        files into, under ``patients/FOLDER/``; then ``patient_files`` is empty and
        ``staged`` has each file's size and SHA-256. On a cluster it must be on storage
        every worker sees.
    resume : Reuse, optional
        ``--resume`` (:func:`nof1.series.resume.reuse_plan`): a chunk whose patients all
        have complete, valid files is read back, not analysed (``kept``: files left in
        place; ``staged``: those moved from an interrupted run's staging folder).
    records : dict, optional
        With ``resume``: the manifest's records (path -> [size, sha256]).

    Returns
    -------
    SeriesResults

    Raises
    ------
    SeriesError
        Patients that cannot be analysed (without ``skip_bad``), or none that can.
    DiaryError
        A series that mixes blinded and unblinded allocations.
    nof1.data.protocol_link.ProtocolChangedError
        Allocations made from another version of the protocol (before any analysis, even
        with ``skip_bad``).

    Notes
    -----
    Patients are aligned and analysed in fixed chunks of 25 (in worker processes for a
    large series, or on Dask: :func:`nof1.parallel.map_chunks`), each by
    :func:`nof1.analysis.patient.analyze_patients`, which fits the AR(1) models of a whole
    chunk at once and gives what :func:`~nof1.analysis.patient.analyze_patient` gives. A
    worker sends back only what pooling needs (:func:`patient_summary`, a few kB), so
    the parent's memory hardly grows with the patients.

    A patient cannot be analysed when their diary could not be read, when allocations are
    given but do not include them, when the diary does not fit their allocation, or when
    they have no observed, included day of one of the two conditions. Patients in the
    allocations without a diary are listed as skipped but are not an error (drop-outs).
    """
    start = time.perf_counter()
    p = protocol_file.protocol
    schedule_sha256 = check_schedule_sha256(
        series.allocations.values(), protocol_file, allow_protocol_change
    )
    todo, bad = _to_align(series)
    if bad and not skip_bad and isinstance(next(iter(series.diaries.values()), None), Rows):
        _skipped(series, bad, [], skip_bad)  # every problem is known: before any analysis
    folder = folders(list(series.diaries))  # known before any worker writes a file
    if progress and len(todo) < len(series.diaries):
        progress(len(series.diaries) - len(todo))  # those not in the allocations
    run = _Run(protocol_file, files, seed, command, allow_protocol_change, density, stage, resume)
    tasks = []
    for i in range(0, len(todo), _CHUNK):
        chunk = [(pid, diary, alloc, folder[pid]) for pid, diary, alloc in todo[i : i + _CHUNK]]
        recorded = {}
        if resume is not None and records:  # the manifest's records of the chunk's files
            names = [f"patients/{c[3]}/{name}" for c in chunk for name in resume.names]
            recorded = {rel: records[rel] for rel in names if rel in records}
        tasks.append((chunk, run, recorded))
    lap = _lap(timings, "align", start)

    def done(_, out) -> None:
        if progress:
            progress(len(out))

    n_workers = 1 if client is not None else _workers(workers, len(todo))
    packer = SummaryPacker()  # each summary packed as it arrives
    outputs = map_chunks(
        _chunk, tasks, workers=n_workers, client=client, done=done,
        meanwhile=_import_pooling, keep=functools.partial(held_chunk, packer=packer),
    )  # fmt: skip
    lap = _lap(timings, "patients", lap)
    found = {}
    for chunk in outputs:
        found |= {o["patient_id"]: o for o in chunk}
    del outputs
    ready, skipped = [], list(bad)
    for pid, _, _ in todo:  # the order of the diaries, wherever each ran
        entry = found[pid]
        (skipped if "reason" in entry else ready).append(entry)
    skipped = _skipped(series, skipped, [e["patient_id"] for e in ready], skip_bad)
    if len({e["blinded"] for e in ready}) > 1:
        raise DiaryError(series.source, ["mixes blinded (A/B) and unblinded patients"])
    ids = [e["patient_id"] for e in ready]
    results = PackedSummaries({e["patient_id"]: e["summary"] for e in ready}, packer)
    orders = [e["order"] for e in ready]
    first = results[ids[0]]
    arms = (first["comparison"]["treated"], first["comparison"]["control"])
    mixed = mixed_models(ids, [e["mixed"] for e in ready], p)
    outcomes = pool_outcomes(p, ids, arms, results, mixed, orders)
    _lap(timings, "pooling", lap)
    patients = [
        patient_entry(pid, results[pid], folder[pid], p, o)
        for pid, o in zip(ids, orders, strict=True)
    ]
    patients += [skipped_entry(s) for s in skipped]
    return SeriesResults(
        protocol_id=p.id,
        protocol_sha256=protocol_file.sha256,
        protocol_title=p.title,
        schedule_sha256=tuple(schedule_sha256),
        blinding_warnings=tuple(visible_differences(p)),
        source=series.source,
        source_sha256=series.sha256,
        allocation_sources=series.allocation_sources,
        blinded=first["blinded"],
        labels=first["labels"],
        treated=arms[0],
        control=arms[1],
        patients=tuple(patients),
        skipped=tuple({"patient_id": s["patient_id"], "reason": s["reason"]} for s in skipped),
        problems=tuple(SeriesError(series.source, skipped).sourced_problems()) if skipped else (),
        outcomes=tuple(outcomes),
        responders=responders(results.values(), *arms, p.analysis.alpha),
        seed=seed,
        command=command,
        alpha=p.analysis.alpha,
        primary_method=p.analysis.primary_method,
        patient_results=results,
        patient_files={e["patient_id"]: e["files"] for e in ready if "files" in e},
        staged=entry_files(ready, "staged", folder),
        kept=entry_files(ready, "kept", folder),
        **pool_safety(p, results, *arms, outcomes),
    )


@dataclass(frozen=True)
class _Run:
    """What every chunk needs besides its patients (sent with each)."""

    protocol_file: ProtocolFile
    files: Callable
    seed: int
    command: str | None
    allow_protocol_change: bool
    density: bool
    stage: str | None  # the staging folder's new/ (shared storage on a cluster), or None
    reuse: Reuse | None = None  # --resume


@dataclass(frozen=True)
class _Problems:
    """A worker's DiaryError as its (file, problem) pairs (the error itself pickles badly)."""

    problems: tuple

    def sourced_problems(self):
        return list(self.problems)


def _to_align(series: SeriesInput) -> tuple[list[tuple], list[dict]]:
    """(patient id, diary, allocation) to align and analyse, and the patients already bad."""
    bad = list(series.bad)
    if series.diaries and not series.allocations:
        if not any(diary.has_condition for diary in series.diaries.values()):
            # One message for the whole series (not one per patient; --skip-bad cannot help).
            raise DiaryError(
                series.source,
                [
                    f"none of the {len(series.diaries)} diaries says which condition a day "
                    "belongs to: pass --allocations (the series-allocation-blinded.csv, "
                    "series-unblinding-key.json or the folder nof1 schedule wrote) or add a "
                    "condition column (baseline, active, placebo, washout, follow_up)"
                ],
            )
    todo = []
    unfit = {u["patient_id"] for u in series.unfit}
    bad += series.unfit
    for pid, diary in series.diaries.items():
        if pid in unfit:
            continue
        if series.allocations and pid not in series.allocations:
            sources = ", ".join(series.allocation_sources)
            bad.append({"patient_id": pid, "reason": f"is not in the allocations ({sources})"})
        else:
            todo.append((pid, diary, series.allocations.get(pid)))
    return todo, bad


def _skipped(series: SeriesInput, bad: list[dict], ready: list[str], skip_bad: bool) -> list:
    """Every patient not analysed, with why (the bad ones first, by the diaries' order)."""
    order = {pid: i for i, pid in enumerate(series.diaries)}
    bad = sorted(bad, key=lambda b: order.get(b["patient_id"], -1))
    if bad and not skip_bad:
        raise SeriesError(series.source, bad)
    if not ready:
        raise SeriesError(series.source, bad or [{"patient_id": None, "reason": "no patients"}])
    named = {b["patient_id"] for b in bad}
    absent = [pid for pid in series.allocations if pid not in series.diaries and pid not in named]
    return bad + [
        {"patient_id": pid, "reason": "is in the allocations but has no diary"} for pid in absent
    ]


def _workers(asked: int | None, n: int) -> int:
    if asked is not None:
        return max(1, min(int(asked), n))
    return max(1, min(cpus(), n // _PER_WORKER))


def _import_pooling() -> None:
    """Import what pooling needs: scipy.stats alone takes a second."""
    import nof1.series.meta  # noqa: F401
    import nof1.series.mixed  # noqa: F401
    import nof1.series.pooled  # noqa: F401


def _chunk(chunk: list[tuple], run: _Run, recorded: dict) -> list[dict]:
    """A chunk, in a worker: read back (``--resume``) or analysed (:func:`_analyze_chunk`,
    which aligns again: only for the chunks a resume must redo)."""
    reused = run.reuse and reused_chunk(chunk, _align_chunk, run, recorded)
    return reused if reused is not None else _analyze_chunk(chunk, run)


def _analyze_chunk(chunk: list[tuple], run: _Run) -> list[dict]:
    """A few patients aligned, analysed together and their files written (in a worker).

    Returns per patient what the parent needs (:func:`patient_summary`), or why it could
    not be analysed (``patient_id``, ``reason``, ``error``)."""
    from nof1.analysis.patient import analyze_patients

    p = run.protocol_file.protocol
    ready, out = _align_chunk(chunk, p)
    results = analyze_patients(
        [a for a, _ in ready],
        run.protocol_file,
        seed=run.seed,
        command=run.command,
        allow_protocol_change=run.allow_protocol_change,
        density=run.density,
    )
    for r, (aligned, folder) in zip(results, ready, strict=True):
        files = run.files(r, aligned)
        content = getattr(files, "results", None)  # PatientFiles: no need to parse the text
        if content is None:
            content = json.loads(files["results.json"])
        entry = patient_summary(content, aligned, p)
        if run.stage is None:
            entry["files"] = dict(files)  # the texts alone
        else:
            entry["staged"] = stage_patient(run.stage, folder, files)
        out[aligned.patient_id] = entry
    return [out[pid] for pid, *_ in chunk]


def _align_chunk(chunk: list[tuple], p) -> tuple[list, dict]:
    """The chunk's patients aligned, as (Aligned, folder), and why the others cannot be
    analysed (patient id -> ``patient_id``, ``reason``, ``error``)."""
    ready, out = [], {}
    read = _read_rows(chunk, p)
    for pid, diary, allocation, folder in chunk:
        found = read.get(pid, diary)
        if isinstance(found, Aligned):  # checked, aligned and found fit (check_chunk)
            ready.append((found, folder))
            continue
        try:
            aligned = align(found, p, allocation)
        except DiaryError as exc:
            problems = _Problems(tuple(exc.sourced_problems()))
            out[pid] = {"patient_id": pid, "reason": one_line_reason(exc), "error": problems}
            continue
        missing = nothing_to_compare(aligned) or missing_condition(aligned)
        if missing:
            out[pid] = {"patient_id": pid, "reason": missing}
        else:
            ready.append((aligned, folder))
    return ready, out


def _read_rows(chunk: list[tuple], p) -> dict:
    """The diaries of a chunk's patients of a table read lean (:class:`Rows`), by id."""
    rows = [(diary, allocation) for _, diary, allocation, _ in chunk if isinstance(diary, Rows)]
    if not rows:
        return {}
    found = cached_diaries(rows, p)
    rows = [(d, a) for d, a in rows if d.patient_id not in found]
    if rows:
        allocations = {d.patient_id: a for d, a in rows if a is not None}
        table = read_rows([d for d, _ in rows], p, allocations)
        if len(table.diaries) < len(rows):
            raise DiaryError(rows[0][0].source, ["changed while the series was analysed"])
        found |= table.diaries
    return found


def patient_summary(results: dict, aligned: Aligned, p) -> dict:
    """What pooling needs of a patient: ``summary`` (a part of its results.json,
    :func:`~nof1.series.pooling.compact_results`), ``order`` and ``mixed`` (the mixed
    model's sufficient statistics per outcome, as
    :func:`~nof1.series.mixed_outcomes.outcome_statistics` gives them)."""
    from nof1.series.mixed_outcomes import outcome_statistics

    days = patient_days(aligned, [o.name for o in p.outcomes])  # as the analysis read it
    treated, control = aligned.arms
    rows = days.included & (days.is_condition(treated) | days.is_condition(control))
    treat = days.condition[rows] == treated
    values = {name: v[rows] for name, v in days.values.items()}
    return {
        "patient_id": aligned.patient_id,
        "summary": compact_results(results, p),
        "order": order(days),
        "mixed": outcome_statistics(values, treat, aligned.patient_id),
    }


def _lap(timings: dict | None, stage: str, since: float) -> float:
    now = time.perf_counter()
    if timings is not None:
        timings[stage] = now - since
    return now

"""Analysing a series: align every patient, analyse them in chunks, then pool.

:func:`analyze_series` is the stage between :func:`~nof1.series.load_series` and the
files of :func:`~nof1.series.series_files`.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from nof1.analysis.days import PatientDays
from nof1.data import Aligned, align
from nof1.data.align import nothing_to_compare
from nof1.data.protocol_link import schedule_sha256 as check_schedule_sha256
from nof1.design.visibility import visible_differences
from nof1.errors import DiaryError
from nof1.protocol.load import ProtocolFile
from nof1.series.load import SeriesError, SeriesInput, one_line_reason
from nof1.series.pooling import (
    daily_data,
    folders,
    order,
    patient_entry,
    pool_outcomes,
    pool_safety,
    responders,
    skipped_entry,
)
from nof1.series.results import SeriesResults, patient_files

__all__ = ["analyze_series"]

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
    Patients are analysed in chunks (in worker processes for a large series), each by
    :func:`nof1.analysis.patient.analyze_patients`, which fits the AR(1) models of a whole
    chunk at once and gives what :func:`~nof1.analysis.patient.analyze_patient` gives.

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
    ready, skipped = _align_all(series, p, skip_bad)
    if progress and len(ready) < len(series.diaries):
        progress(len(series.diaries) - len(ready))  # the skipped ones are done with
    lap = _lap(timings, "align", start)
    run = (protocol_file, files, seed, command, allow_protocol_change)
    outputs = _analyze_all(ready, run, _workers(workers, len(ready)), progress)
    lap = _lap(timings, "patients", lap)
    results = {
        a.patient_id: json.loads(out["results.json"]) for a, out in zip(ready, outputs, strict=True)
    }
    days = [PatientDays.from_table(a.table, [o.name for o in p.outcomes]) for a in ready]
    orders = [order(d) for d in days]
    outcomes = pool_outcomes(p, ready, results, _mixed_models(ready, days, p), orders)
    _lap(timings, "pooling", lap)
    treated, control = ready[0].arms
    folder = folders([a.patient_id for a in ready])
    patients = [
        patient_entry(a, results[a.patient_id], folder[a.patient_id], p, o)
        for a, o in zip(ready, orders, strict=True)
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
        blinded=ready[0].blinded,
        labels=results[ready[0].patient_id]["labels"],
        treated=treated,
        control=control,
        patients=tuple(patients),
        skipped=tuple({"patient_id": s["patient_id"], "reason": s["reason"]} for s in skipped),
        problems=tuple(SeriesError(series.source, skipped).sourced_problems()) if skipped else (),
        outcomes=tuple(outcomes),
        responders=responders(list(results.values()), treated, control, p.analysis.alpha),
        seed=seed,
        command=command,
        alpha=p.analysis.alpha,
        primary_method=p.analysis.primary_method,
        patient_results=results,
        patient_files={a.patient_id: out for a, out in zip(ready, outputs, strict=True)},
        **pool_safety(p, results, treated, control, outcomes),
    )


def _align_all(series: SeriesInput, p, skip_bad: bool) -> tuple[list[Aligned], list[dict]]:
    """The aligned patients that can be analysed, and the skipped ones with their reasons.

    Raises :class:`SeriesError` (without ``skip_bad``: when any patient is bad; else when
    none is left) and DiaryError (a mix of blinded and unblinded patients).
    """
    bad = list(series.bad)
    ready: list[Aligned] = []
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
    for pid, diary in series.diaries.items():
        if series.allocations and pid not in series.allocations:
            sources = ", ".join(series.allocation_sources)
            bad.append({"patient_id": pid, "reason": f"is not in the allocations ({sources})"})
            continue
        try:
            aligned = align(diary, p, series.allocations.get(pid))
        except DiaryError as exc:
            bad.append({"patient_id": pid, "reason": one_line_reason(exc), "error": exc})
            continue
        missing = nothing_to_compare(aligned) or _missing_condition(aligned)
        if missing:
            bad.append({"patient_id": pid, "reason": missing})
        else:
            ready.append(aligned)
    if bad and not skip_bad:
        raise SeriesError(series.source, bad)
    if not ready:
        raise SeriesError(series.source, bad or [{"patient_id": None, "reason": "no patients"}])
    if len({a.blinded for a in ready}) > 1:
        raise DiaryError(series.source, ["mixes blinded (A/B) and unblinded patients"])
    named = {b["patient_id"] for b in bad}
    absent = [pid for pid in series.allocations if pid not in series.diaries and pid not in named]
    return ready, bad + [
        {"patient_id": pid, "reason": "is in the allocations but has no diary"} for pid in absent
    ]


def _missing_condition(aligned: Aligned) -> str | None:
    """Why a patient has nothing to compare, or None."""
    t = aligned.table
    counted = (t["included"] & t["observed"]).to_numpy()
    condition = t["condition"].to_numpy(dtype=object)
    for arm in reversed(aligned.arms):  # control first: "no placebo days" is the usual one
        if not (counted & (condition == arm)).any():
            name = f"group {arm}" if aligned.blinded else arm
            return f"has no {name} days to compare (no observed day of an included {name} period)"
    return None


def _workers(asked: int | None, n: int) -> int:
    if asked is not None:
        return max(1, min(int(asked), n))
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, n // _PER_WORKER))


def _analyze_all(ready: list[Aligned], run: tuple, n_workers: int, progress) -> list[dict]:
    """Every patient's files, in order; chunks of patients in worker processes."""
    # Fixed chunks, whatever the number of workers: the batched fits of a chunk depend on
    # its patients in the last bits, and the results must not depend on the workers.
    chunks = [ready[i : i + _CHUNK] for i in range(0, len(ready), _CHUNK)]
    outputs: list[dict] = []
    if n_workers == 1:
        for chunk in chunks:
            outputs += _analyze_chunk(chunk, run)
            if progress:
                progress(len(chunk))
        return outputs
    pool = ProcessPoolExecutor(n_workers, initializer=gc.freeze)
    try:
        futures = [pool.submit(_analyze_chunk, chunk, run) for chunk in chunks]
        _import_pooling()  # meanwhile, rather than after
        for future, chunk in zip(futures, chunks, strict=True):
            outputs += future.result()
            if progress:
                progress(len(chunk))
    finally:
        pool.shutdown(cancel_futures=True)
    return outputs


def _import_pooling() -> None:
    """Import what pooling needs: scipy.stats alone takes a second."""
    import nof1.series.meta  # noqa: F401
    import nof1.series.mixed  # noqa: F401
    import nof1.series.pooled  # noqa: F401


def _analyze_chunk(chunk: list[Aligned], run: tuple) -> list[dict]:
    """The files of a few patients, analysed together (runs in a worker process)."""
    from nof1.analysis.patient import analyze_patients

    protocol_file, files, seed, command, allow_change = run
    results = analyze_patients(
        chunk, protocol_file, seed=seed, command=command, allow_protocol_change=allow_change
    )
    return [files(r, a) for r, a in zip(results, chunk, strict=True)]


def _mixed_models(ready: list[Aligned], days: list[PatientDays], p) -> list:
    """Per outcome, the mixed model on the daily data."""
    from nof1.series.mixed import mixed_model

    daily = daily_data(ready, days)
    return [
        mixed_model(daily[o.name], daily["treat"], daily["patient"], p.analysis.alpha)
        for o in p.outcomes
    ]


def _lap(timings: dict | None, stage: str, since: float) -> float:
    now = time.perf_counter()
    if timings is not None:
        timings[stage] = now - since
    return now

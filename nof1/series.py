"""A series of n-of-1 trials on one protocol: every patient's own analysis, then pooling.

Stages (DESIGN.md section 6):

1. :func:`load_series` reads the diaries (one table with a ``patient_id`` column, or a
   folder of per-patient diaries) and the allocations: one :class:`~nof1.data.Diary` per
   patient, and the problems found, per patient.
2. :func:`analyze_series` aligns each diary (:func:`nof1.data.align`), runs the per-patient
   analysis (:func:`nof1.analysis.patient.analyze_patient`; in worker processes for a large
   series) and pools the results per outcome (:mod:`nof1.analysis.pooled`,
   :mod:`nof1.analysis.mixed`), giving a :class:`SeriesResults`.
3. :func:`series_files`: every file to write, ``series.json`` and per patient
   ``patients/ID/results.json`` and ``aligned.csv`` (what ``nof1 analyze`` writes).

The pooled numbers are read from each patient's results.json as written, so series.json
cannot disagree with the per-patient files. Blinded allocations give groups A and B
throughout and effects B minus A.
"""

from __future__ import annotations

import gc
import json
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from nof1 import __version__
from nof1.data import (
    Aligned,
    AllocationFile,
    Diary,
    align,
    read_allocations,
    read_diary,
    read_diary_table,
)
from nof1.errors import DiaryError
from nof1.protocol.load import ProtocolFile

__all__ = [
    "SCHEMA",
    "SeriesError",
    "SeriesInput",
    "SeriesResults",
    "analyze_series",
    "load_series",
    "patient_files",
    "series_files",
]

SCHEMA = "nof1.series/1"
_PER_WORKER = 8  # a worker process pays off from about this many patients on
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


def load_series(path, protocol, allocations=None, skip_bad: bool = False) -> SeriesInput:
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
        When a diary table has problems, find which patients they belong to (reading the
        file once per patient) so that the others can be analysed.

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
    allocs, sources = _read_allocations(Path(allocations)) if allocations else ({}, ())
    path = Path(path)
    if path.is_dir():
        diaries, bad = _read_folder(path, protocol, allocs)
        sha = None
    else:
        diaries, bad = _read_table(path, protocol, allocs, skip_bad)
        sha = next(iter(diaries.values())).sha256 if diaries else None
    return SeriesInput(str(path), sha, diaries, allocs, sources, tuple(bad))


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


def _read_table(path: Path, protocol, allocs, skip_bad: bool):
    try:
        return read_diary_table(path, protocol, allocs), []
    except DiaryError as exc:
        error = exc
    from nof1.data._tabular import cell_text, read_raw

    raw = read_raw(path, "date, then one column per outcome")
    column = raw.column("patient_id")
    if column is None:
        raise error
    if not skip_bad:  # the table's own messages, with rows; --skip-bad can get round them
        raise SeriesError(error.source, [{"patient_id": None, "reason": p} for p in error.problems])
    ids = [cell_text(cells[column]) for _, cells in raw.rows]
    unnamed = [number for (number, _), pid in zip(raw.rows, ids, strict=True) if not pid]
    bad = []
    if unnamed:
        shown = ", ".join(map(str, unnamed[:10])) + (", ..." if len(unnamed) > 10 else "")
        bad.append({"patient_id": None, "reason": f"rows {shown} have no patient_id"})
    diaries = {}
    for pid in dict.fromkeys(p for p in ids if p):
        try:
            diaries[pid] = read_diary(path, protocol, allocation=allocs.get(pid), patient_id=pid)
        except DiaryError as exc:
            bad.append({"patient_id": pid, "reason": _reason(exc)})
    return diaries, bad


def _read_folder(path: Path, protocol, allocs):
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
            diary = read_diary(file, protocol)
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
                diary = read_diary(file, protocol, allocation=allocs[diary.patient_id])
            diaries[diary.patient_id] = diary
        except DiaryError as exc:
            bad.append({"patient_id": guess, "reason": _reason(exc)})
    return diaries, bad


def _reason(exc: DiaryError) -> str:
    """A DiaryError as one line."""
    return f"{exc.source}: " + "; ".join(exc.problems)


# --- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeSeries:
    """The pooled analyses of one outcome (its entry in series.json's ``outcomes``).

    Attributes
    ----------
    name, label, primary, better, mcid
        From the protocol.
    patient_effects : tuple of dict
        Each analysed patient's gls_ar1 effect (``patient_id``, ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``p_value``, ``reason``): the raw estimates of a forest plot.
    meta : MetaAnalysis
        REML random-effects meta-analysis of those effects, with the shrunken estimates.
    dl : MetaAnalysis
        The same with the DerSimonian–Laird tau².
    percent_change : dict
        The 2013 primary analysis: per-patient percent change from baseline at the end
        points, treated vs control by paired t and Wilcoxon (see :meth:`to_dict`).
    mixed : MixedModel
        The linear mixed model on the daily data.
    order_effect : dict
        Welch t of the effects of patients who started on the treated condition against
        those who started on the control condition.
    """

    name: str
    label: str
    primary: bool
    better: str
    mcid: float | None
    patient_effects: tuple
    meta: object
    dl: object
    percent_change: dict
    mixed: object
    order_effect: dict

    def to_dict(self) -> dict:
        meta = self.meta.to_dict(shrunken=True)
        meta["dl"] = self.dl.to_dict()
        meta["excluded"] = [
            {"patient_id": e["patient_id"], "reason": e["reason"]}
            for e in self.patient_effects
            if e["reason"] is not None
        ]
        return {
            "name": self.name,
            "label": self.label,
            "primary": self.primary,
            "better": self.better,
            "mcid": self.mcid,
            "patient_effects": [dict(e) for e in self.patient_effects],
            "meta_analysis": meta,
            "percent_change": self.percent_change,
            "mixed_model": self.mixed.to_dict(),
            "order_effect": self.order_effect,
        }


@dataclass(frozen=True)
class SeriesResults:
    """A series' results; ``to_dict()`` is series.json (contract ``nof1.series/1``).

    Attributes
    ----------
    protocol_id, protocol_sha256, protocol_title : str
    source : str
        The diary table or folder.
    source_sha256 : str or None
    allocation_sources : tuple of str
    blinded : bool
        Conditions are the groups A and B; every effect is B minus A.
    labels : dict
        Condition -> label (as in each results.json).
    treated, control : str
        ``"active"``/``"placebo"``, or ``"B"``/``"A"`` when blinded.
    patients : tuple of dict
        One per patient, the analysed ones (in input order) then the skipped: ``patient_id``,
        ``included``, ``reason``, ``folder``, ``results`` (path of its results.json
        under the output folder), ``order`` (conditions of its treatment periods),
        ``first``, ``days_planned``, ``days_observed``, and for the primary outcome
        ``effect`` (gls_ar1), ``percent_change`` and ``responder`` (per condition).
    skipped : tuple of dict
        ``{"patient_id", "reason"}`` of the patients not analysed.
    outcomes : tuple of OutcomeSeries
        In protocol order.
    responders : dict
        Responder counts and rates per condition and McNemar's exact test.
    seed : int
    command : str or None
        As recorded in every results.json.
    patient_results : dict of str to dict
        Each analysed patient's results.json, parsed (for the report's per-patient parts).
    patient_files : dict of str to dict
        Per analysed patient, the files of its folder (name -> text).
    """

    protocol_id: str
    protocol_sha256: str
    protocol_title: str
    source: str
    source_sha256: str | None
    allocation_sources: tuple
    blinded: bool
    labels: dict
    treated: str
    control: str
    patients: tuple
    skipped: tuple
    outcomes: tuple
    responders: dict
    seed: int = 0
    command: str | None = None
    patient_results: dict = field(default_factory=dict, repr=False, compare=False)
    patient_files: dict = field(default_factory=dict, repr=False, compare=False)

    def outcome(self, name: str) -> OutcomeSeries:
        """The pooled results of one outcome."""
        return next(o for o in self.outcomes if o.name == name)

    def to_dict(self) -> dict:
        """series.json."""
        t, c = self.treated, self.control
        if self.blinded:
            note = (
                "Blinded series: the conditions are the groups A and B of the blinded "
                "allocation and every effect is B minus A. Pooling assumes that A means the "
                "same treatment for every patient, as in a series allocated by one "
                "`nof1 schedule --patients N`."
            )
        else:
            note = "Every effect is active minus placebo, in outcome units."
        return {
            "schema": SCHEMA,
            "software": {
                "name": "nof1",
                "version": __version__,
                "command": self.command,
                "seed": self.seed,
            },
            "protocol": {
                "id": self.protocol_id,
                "sha256": self.protocol_sha256,
                "title": self.protocol_title,
            },
            "data": {
                "source": self.source,
                "sha256": self.source_sha256,
                "allocations": list(self.allocation_sources),
            },
            "blinded": self.blinded,
            "labels": self.labels,
            "comparison": {"treated": t, "control": c, "effect": f"{t} minus {c}", "note": note},
            "counts": {
                "patients": len(self.patients),
                "analysed": len(self.patients) - len(self.skipped),
                "skipped": len(self.skipped),
            },
            "outcomes": [o.to_dict() for o in self.outcomes],
            "responders": self.responders,
            "patients": [dict(p) for p in self.patients],
            "skipped": [dict(s) for s in self.skipped],
        }


def patient_files(results, aligned: Aligned) -> dict[str, str]:
    """The files of one patient's folder: ``results.json`` and ``aligned.csv``.

    Exactly what ``nof1 analyze`` writes. This is the per-patient hook of
    :func:`analyze_series`: a replacement must return these two files (plus any others,
    e.g. ``report.html``) and be a module-level function, since it runs in worker processes.

    Parameters
    ----------
    results : nof1.analysis.patient.PatientResults
    aligned : nof1.data.Aligned

    Returns
    -------
    dict
        File name -> text.
    """
    text = json.dumps(results.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return {"results.json": text, "aligned.csv": aligned.to_csv()}


def series_files(results: SeriesResults) -> dict[str, str]:
    """Every file of a series' output folder: ``series.json`` and ``patients/ID/*``.

    Examples
    --------
    >>> r = SeriesResults("p", "", "", "d.csv", None, (), False, {}, "active", "placebo",
    ...                   (), (), (), {}, patient_files={"P01": {"results.json": "{}"}})
    >>> sorted(series_files(r))
    ['patients/P01/results.json', 'series.json']
    """
    folder = {p["patient_id"]: p["folder"] for p in results.patients if p["included"]}
    out = {"series.json": json.dumps(results.to_dict(), indent=2, allow_nan=False) + "\n"}
    for pid, files in results.patient_files.items():
        for name, text in files.items():
            out[f"patients/{folder.get(pid, pid)}/{name}"] = text
    return out


# --- the analysis ---------------------------------------------------------------------


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
        Worker processes for the per-patient analyses and the mixed models; default: the
        CPUs available, with at least 8 patients per worker. 1 runs everything here.
        The results are the same whatever the number.
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

    Returns
    -------
    SeriesResults

    Raises
    ------
    SeriesError
        Patients that cannot be analysed (without ``skip_bad``), or none that can.
    DiaryError
        A series that mixes blinded and unblinded allocations.

    Notes
    -----
    A patient cannot be analysed when their diary could not be read, when allocations are
    given but do not include them, when the diary does not fit their allocation, or when
    they have no observed, included day of one of the two conditions. Patients in the
    allocations without a diary are listed as skipped but are not an error (drop-outs).
    """
    start = time.perf_counter()
    p = protocol_file.protocol
    bad = list(series.bad)
    ready: list[Aligned] = []
    for pid, diary in series.diaries.items():
        if series.allocations and pid not in series.allocations:
            sources = ", ".join(series.allocation_sources)
            bad.append({"patient_id": pid, "reason": f"is not in the allocations ({sources})"})
            continue
        try:
            aligned = align(diary, p, series.allocations.get(pid))
        except DiaryError as exc:
            bad.append({"patient_id": pid, "reason": _reason(exc)})
            continue
        missing = _missing_condition(aligned)
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
    skipped = bad + [
        {"patient_id": pid, "reason": "is in the allocations but has no diary"} for pid in absent
    ]
    if progress and len(ready) < len(series.diaries):
        progress(len(series.diaries) - len(ready))  # the skipped ones are done with
    lap = _lap(timings, "align", start)
    daily = _daily(ready, [o.name for o in p.outcomes])
    n_workers = _workers(workers, len(ready))
    pool = ProcessPoolExecutor(n_workers, initializer=gc.freeze) if n_workers > 1 else None
    try:
        run = (protocol_file, files, seed, command)
        patients = _submit_patients(ready, run, pool, n_workers)
        mixed = _submit_mixed(daily, p, pool)  # the workers take these once patients are done
        outputs = []
        for result, size in patients:
            outputs += result()
            if progress:
                progress(size)
        lap = _lap(timings, "patients", lap)
        results = {
            a.patient_id: json.loads(out["results.json"])
            for a, out in zip(ready, outputs, strict=True)
        }
        outcomes = _pool_outcomes(p, ready, results, [fit() for fit in mixed])
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    _lap(timings, "pooling", lap)
    blinded = ready[0].blinded
    treated, control = ready[0].arms
    folders = _folders([a.patient_id for a in ready])
    patients = [_patient_entry(a, results[a.patient_id], folders[a.patient_id], p) for a in ready]
    patients += [_skipped_entry(s) for s in skipped]
    return SeriesResults(
        protocol_id=p.id,
        protocol_sha256=protocol_file.sha256,
        protocol_title=p.title,
        source=series.source,
        source_sha256=series.sha256,
        allocation_sources=series.allocation_sources,
        blinded=blinded,
        labels=results[ready[0].patient_id]["labels"],
        treated=treated,
        control=control,
        patients=tuple(patients),
        skipped=tuple({"patient_id": s["patient_id"], "reason": s["reason"]} for s in skipped),
        outcomes=tuple(outcomes),
        responders=_responders(list(results.values()), treated, control),
        seed=seed,
        command=command,
        patient_results=results,
        patient_files={a.patient_id: out for a, out in zip(ready, outputs, strict=True)},
    )


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


def _analyze_chunk(chunk: list[Aligned], run: tuple) -> list[dict]:
    """Per-patient analyses of a few patients (runs in a worker process)."""
    from nof1.analysis.patient import analyze_patient

    protocol_file, files, seed, command = run
    return [files(analyze_patient(a, protocol_file, seed=seed, command=command), a) for a in chunk]


def _submit_patients(ready, run, pool, n_workers) -> list:
    """Per chunk of patients: (a function giving their files, the number of patients)."""
    if pool is None:
        return [(partial(_analyze_chunk, [a], run), 1) for a in ready]
    # Small chunks keep the progress bar moving and the workers equally busy.
    size = max(1, min(25, len(ready) // (4 * n_workers)))
    chunks = [ready[i : i + size] for i in range(0, len(ready), size)]
    return [(pool.submit(_analyze_chunk, c, run).result, len(c)) for c in chunks]


def _submit_mixed(daily: dict, p, pool) -> list:
    """Per outcome, a function giving its mixed model."""
    alpha = p.analysis.alpha
    args = [(daily[o.name], daily["treat"], daily["patient"], alpha) for o in p.outcomes]
    if pool is None:
        return [partial(_fit_mixed, *a) for a in args]
    return [pool.submit(_fit_mixed, *a).result for a in args]


def _lap(timings: dict | None, stage: str, since: float) -> float:
    now = time.perf_counter()
    if timings is not None:
        timings[stage] = now - since
    return now


def _daily(ready: list[Aligned], outcomes: list[str]) -> dict:
    """The included, compared days of every patient, for the mixed model."""
    parts = {"patient": [], "treat": [], **{name: [] for name in outcomes}}
    for i, a in enumerate(ready):
        t = a.table
        treated, control = a.arms
        rows = (t["included"] & t["condition"].isin([treated, control])).to_numpy()
        parts["patient"].append(np.full(rows.sum(), i))
        parts["treat"].append(t["condition"].to_numpy(dtype=object)[rows] == treated)
        for name in outcomes:
            parts[name].append(t[name].to_numpy(dtype=float)[rows])
    return {key: np.concatenate(value) for key, value in parts.items()}


def _fit_mixed(y, treat, patient, alpha):
    from nof1.analysis.mixed import mixed_model

    return mixed_model(y, treat, patient, alpha)


def _pool_outcomes(p, ready, results, mixed) -> list[OutcomeSeries]:
    """Per outcome: meta-analyses, percent change, mixed model and order effect."""
    from nof1.analysis.pooled import meta_analysis, order_effect, percent_change_test

    alpha = p.analysis.alpha
    treated, control = ready[0].arms
    ids = [a.patient_id for a in ready]
    first = [(_order(a) or [None])[0] for a in ready]
    keys = ("estimate", "se", "ci_low", "ci_high", "p_value", "reason")
    out = []
    for outcome, fit in zip(p.outcomes, mixed, strict=True):
        entries = [_outcome_of(results[pid], outcome.name) for pid in ids]
        effects = [
            {"patient_id": pid, **{k: e["effects"]["gls_ar1"][k] for k in keys}}
            for pid, e in zip(ids, entries, strict=True)
        ]
        ok = [e for e in effects if e["reason"] is None]
        yi, se, ok_ids = ([e[k] for e in ok] for k in ("estimate", "se", "patient_id"))
        estimates = [np.nan if e["reason"] else e["estimate"] for e in effects]
        pct = [e["percent_change"] for e in entries]
        out.append(
            OutcomeSeries(
                name=outcome.name,
                label=outcome.label,
                primary=outcome.primary,
                better=outcome.better,
                mcid=outcome.mcid,
                patient_effects=tuple(effects),
                meta=meta_analysis(yi, se, "REML", alpha, ok_ids),
                dl=meta_analysis(yi, se, "DL", alpha, ok_ids),
                percent_change=percent_change_test(ids, pct, treated, control, alpha),
                mixed=fit,
                order_effect=order_effect(estimates, first, treated, control, alpha),
            )
        )
    return out


def _responders(results: list[dict], treated: str, control: str) -> dict:
    from nof1.analysis.pooled import responder_test

    flags = [r["responder"] for r in results]
    return responder_test(flags, treated, control, results[0]["responder"].get("rule"))


def _outcome_of(results: dict, name: str) -> dict:
    return next(o for o in results["outcomes"] if o["name"] == name)


def _order(aligned: Aligned) -> list[str]:
    """The condition of each treatment period, in order."""
    t = aligned.table
    rows = (t["phase"] == "treatment").to_numpy() & t["period"].notna().to_numpy()
    period = t["period"].to_numpy(dtype=float, na_value=np.nan)[rows]
    _, first_day = np.unique(period, return_index=True)
    return t["condition"].to_numpy(dtype=object)[rows][np.sort(first_day)].tolist()


def _folders(ids: list[str]) -> dict[str, str]:
    """A safe, unique folder name per patient id."""
    out, used = {}, set()
    for pid in ids:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", pid).lstrip(".") or "patient"
        candidate, k = name, 1
        while candidate.lower() in used:
            k += 1
            candidate = f"{name}-{k}"
        used.add(candidate.lower())
        out[pid] = candidate
    return out


def _patient_entry(aligned: Aligned, results: dict, folder: str, protocol) -> dict:
    primary = _outcome_of(results, protocol.primary_outcome.name)
    gls = primary["effects"]["gls_ar1"]
    order = _order(aligned)
    quality = results["data_quality"]
    return {
        "patient_id": aligned.patient_id,
        "included": True,
        "reason": None,
        "folder": folder,
        "results": f"patients/{folder}/results.json",
        "order": order,
        "first": order[0] if order else None,
        "days_planned": quality["days_planned"],
        "days_observed": quality["days_observed"],
        "effect": {k: gls[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "reason")},
        "percent_change": primary["percent_change"],
        "responder": {k: v for k, v in results["responder"].items() if k != "rule"},
    }


def _skipped_entry(skipped: dict) -> dict:
    keys = ("folder", "results", "order", "first", "days_planned", "days_observed", "effect")
    keys += ("percent_change", "responder")
    return {
        "patient_id": skipped["patient_id"],
        "included": False,
        "reason": skipped["reason"],
    } | dict.fromkeys(keys)

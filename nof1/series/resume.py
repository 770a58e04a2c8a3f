"""``nof1 series --resume``: the patients whose files an earlier run left complete and valid.

A patient's folder ``patients/FOLDER/`` in ``--out`` is **complete and valid** when

- every file the run writes there exists (``results.json`` and ``aligned.csv``, and
  ``report.html`` with ``--patient-reports``) and is the one the output manifest
  (``.nof1-outputs.json``, set ``series``) records: same size and SHA-256, so a file edited,
  truncated or half-written since is analysed again (the hash shows the file is the one
  nof1 wrote and checked, so its schema is not checked again);
- aligned.csv is the one this run would write: the patient's days as this run reads and
  aligns them (so another allocation or --map file at the same path is noticed);
- results.json records the same patient, the same diary data (its SHA-256), the same
  protocol (SHA-256), the same seed, the same command line (apart from ``--force`` and
  ``--resume``) and the same nof1 version, and has the posterior density exactly when
  ``--patient-reports`` asks for it.

Its summary for pooling is then made from results.json and the aligned patient
(:func:`~nof1.series.run.patient_summary`), so series.json is what a full run gives.
Patients are checked where they would be analysed, in the same chunks (in the workers,
or on Dask: :func:`reused_chunk`), and a chunk is reused only when all its patients are: a
chunk with others is analysed whole, as in a run from scratch (the batched fits give the
same bytes), and its check stops at the first patient it cannot reuse.

**After an interrupted run.** The workers write each patient's files into the run's
staging folder (``--out/.nof1-staging-*/new/patients/FOLDER/``) one by one as a temporary
``NAME.part`` renamed into place, results.json last (:func:`stage_patient`): a file there
under its own name is whole. A run killed (or stopped by Ctrl-C: the command then keeps
its staged patients in a staging folder of their own) leaves them; series.json, the
manifest and the folder's visible files are only written at the end, all at once.
``--resume`` also takes a patient from such a left-over staging folder when their folder
there has every file under its own name and results.json passes the checks above; it is
moved into this run's staging folder and committed with series.json. The left-over staging
folders are removed once the run's files are written (unless they hold files an earlier
run had moved aside, ``old/``, which are left for the user).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Reuse",
    "clean_left_over",
    "keep_staged",
    "left_over",
    "reuse_plan",
    "reused_chunk",
    "stage_patient",
]


def stage_patient(stage: str, folder: str, files: dict) -> dict:
    """Write a patient's files into the staging folder ``stage`` (under
    ``new/patients/FOLDER/``), each as ``NAME.part`` renamed into place, results.json last;
    returns name -> [size, sha256] (:func:`nof1.outputs.staging.stage_files`)."""
    from nof1.outputs.staging import stage_files

    order = sorted(files, key=lambda name: name == "results.json")
    records = stage_files(stage, f"patients/{folder}", {f"{n}.part": files[n] for n in order})
    where = Path(stage) / "new" / "patients" / folder
    for name in order:
        os.rename(where / f"{name}.part", where / name)
    return {name: records[f"{name}.part"] for name in files}


def left_over(out: Path, current: str | None) -> list[Path]:
    """The staging folders of runs that ended without cleaning up (killed, or Ctrl-C)."""
    from nof1.outputs.targets import STAGING_PREFIX

    try:
        found = sorted(p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX))
    except OSError:
        return []
    here = Path(current).name if current else None
    return [p for p in found if p.name != here and p.is_dir() and not p.is_symlink()]


def keep_staged(stage: str) -> None:
    """On Ctrl-C: move the patients staged so far into a staging folder of their own, which
    the run's clean-up leaves (for ``--resume``)."""
    new = Path(stage) / "new" / "patients"
    if not new.is_dir():
        return
    from nof1.outputs.targets import STAGING_PREFIX

    kept = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=Path(stage).parent))
    (kept / "new").mkdir()
    os.rename(new, kept / "new" / "patients")


def clean_left_over(out: Path, current: str | None) -> None:
    """Remove the left-over staging folders, once this run's files are written (not those
    holding files moved aside by a commit, ``old/``: the user's earlier files)."""
    for folder in left_over(out, current):
        old = folder / "old"
        if old.is_dir() and any(old.iterdir()):
            continue
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Reuse:
    """What a chunk's check needs besides its patients (:func:`reuse_plan`; sent with each)."""

    out: str  # --out
    names: tuple[str, ...]  # the files of a patient's folder
    left_over: tuple[str, ...]  # staging folders of interrupted runs
    protocol_sha256: str
    seed: int
    command: tuple | None  # its words, without --force and --resume
    density: bool
    version: str


def reuse_plan(
    out: str | Path, stage: str | None, protocol_file, *, seed: int, command, density: bool,
    patient_reports: bool,
) -> tuple[Reuse, dict]:  # fmt: skip
    """The :class:`Reuse` of a run into ``out`` (staging into ``stage``), and the files the
    manifest of the last finished run there records (path -> [size, sha256])."""
    from nof1 import __version__
    from nof1.outputs.manifest import MANIFEST

    out = Path(out)
    try:
        records = json.loads((out / MANIFEST).read_text())["sets"]["series"]
    except (OSError, ValueError, KeyError, TypeError):
        records = {}  # no finished run of a series here
    if not isinstance(records, dict):
        records = {}
    names = ("results.json", "aligned.csv") + ("report.html",) * patient_reports
    staged = tuple(str(p) for p in left_over(out, stage))
    reuse = Reuse(
        str(out), names, staged, protocol_file.sha256, seed, _words(command), density,
        __version__,
    )  # fmt: skip
    return reuse, records


def reused_chunk(chunk: list[tuple], align_chunk, run, records: dict) -> list | None:
    """Each patient's entry (:func:`~nof1.series.run.patient_summary` and, under ``kept``
    or ``staged``, their files' [size, sha256] by name) when every patient of ``chunk``
    (id, diary, allocation, folder) is complete and valid in ``--out`` or in a left-over
    staging folder; those of the latter are moved into the run's ``stage``. None when one
    is not (then the chunk is analysed). ``run``: the chunk's run (its ``reuse``, ``stage``
    and ``protocol_file``); ``align_chunk(chunk, protocol)`` gives the patients as the run
    would analyse them ([(Aligned, folder)], and those it cannot)."""
    reuse, stage, p = run.reuse, run.stage, run.protocol_file.protocol
    ready, failed = align_chunk(chunk, p)
    if failed:
        return None
    sha256 = {pid: diary.sha256 for pid, diary, _, _ in chunk}
    found = []
    for aligned, folder in ready:
        pid = aligned.patient_id
        entry = _reused(sha256[pid], aligned, folder, reuse, records, p, stage is not None)
        if entry is None:
            return None
        found.append(entry)
    for _, where in found:
        if where is not None:  # an interrupted run's: committed with this run's files
            target = Path(stage) / "new" / "patients" / where.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():  # moved by an attempt of this task that died (Dask retries)
                shutil.rmtree(target)
            os.rename(where, target)
    return [entry for entry, _ in found]


def _reused(sha256, aligned, folder, reuse: Reuse, records, p, staging: bool) -> tuple | None:
    """(entry, left-over folder or None) of one patient, or None (a left-over folder only
    when ``staging``: a run with a staging folder to move it into)."""
    text = aligned.to_csv().encode()  # the aligned.csv this run would write
    here = Path(reuse.out) / "patients" / folder
    recorded = {name: records.get(f"patients/{folder}/{name}") for name in reuse.names}
    if all(_same(here / name, entry) for name, entry in recorded.items()):
        entry = _summary(here, sha256, aligned, text, reuse, p)
        if entry is not None:
            return {**entry, "kept": recorded}, None
    for stage in reuse.left_over if staging else ():
        where = Path(stage) / "new" / "patients" / folder
        files = _whole(where, reuse.names)
        if files is not None:
            entry = _summary(where, sha256, aligned, text, reuse, p)
            if entry is not None:
                return {**entry, "staged": files}, where
    return None


def _whole(folder: Path, names: tuple[str, ...]) -> dict | None:
    """Name -> [size, sha256] of a staged patient's files, when exactly these are there."""
    try:
        present = sorted(p.name for p in folder.iterdir())
    except OSError:
        return None
    if present != sorted(names):
        return None  # one missing, or a .part left by a worker stopped mid-file
    return {name: _record((folder / name).read_bytes()) for name in names}


def _same(path: Path, entry) -> bool:
    """Whether ``path`` is the file the manifest recorded ([size, sha256])."""
    if not isinstance(entry, list):
        return False
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return entry == _record(data)


def _record(data: bytes) -> list:
    return [len(data), hashlib.sha256(data).hexdigest()]


def _summary(folder: Path, sha256, aligned, text: bytes, reuse: Reuse, p) -> dict | None:
    """The patient's :func:`~nof1.series.run.patient_summary` from their results.json, when
    it is of this run's inputs and options and their aligned.csv is ``text``: the days this
    run would analyse, so a changed allocation (or --map) at the same path is noticed."""
    from nof1.report.results_file import RESULTS_SCHEMA
    from nof1.series.run import patient_summary

    try:  # a file nof1 wrote whole (the manifest's hash, or renamed into place)
        if (folder / "aligned.csv").read_bytes() != text:
            return None
        results = json.loads((folder / "results.json").read_bytes())
        software = results["software"]
        density = any(o["effects"].get("bayes_ar1", {}).get("density") for o in results["outcomes"])
        same = (
            results["schema"] == RESULTS_SCHEMA
            and software["version"] == reuse.version
            and results["patient_id"] == aligned.patient_id
            and results["data"]["sha256"] == sha256
            and results["protocol"]["sha256"] == reuse.protocol_sha256
            and software["seed"] == reuse.seed
            and _words(software["command"]) == reuse.command
            and density == bool(reuse.density)
        )
        return patient_summary(results, aligned, p) if same else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _words(command: str | None) -> tuple | None:
    if command is None:
        return None
    return tuple(w for w in shlex.split(command) if w not in ("--force", "--resume"))

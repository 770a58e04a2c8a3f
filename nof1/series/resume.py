"""``nof1 series --resume``: the patients whose files an earlier run left complete and valid.

A patient's folder ``patients/FOLDER/`` in ``--out`` is **complete and valid** when

- every file the run writes there exists (``results.json`` and ``aligned.csv``, and
  ``report.html`` with ``--patient-reports``) and is the one the output manifest
  (``.nof1-outputs.json``, set ``series``) records: same size and SHA-256, so a file edited,
  truncated or half-written since is analysed again (the hash shows the file is the one
  nof1 wrote and checked, so its schema is not checked again);
- results.json records the same patient, the same diary data (its SHA-256), the same
  protocol (SHA-256), the same seed, the same command line (apart from ``--force`` and
  ``--resume``) and the same nof1 version, and has the posterior density exactly when
  ``--patient-reports`` asks for it.

Its summary for pooling is then read back from the files (:func:`~nof1.series.run.patient_summary`
from results.json and aligned.csv), so series.json is what a full run gives. Patients are
checked where they would be analysed, in the same chunks (in the workers, or on Dask:
:func:`reused_chunk`), and a chunk is reused only when all its patients are: a chunk with
others is analysed whole, as in a run from scratch (the batched fits give the same bytes),
and its check stops at the first patient it cannot reuse.

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
    staged = tuple(str(p) for p in left_over(out, stage) if stage is not None)
    reuse = Reuse(
        str(out), names, staged, protocol_file.sha256, seed, _words(command), density,
        __version__,
    )  # fmt: skip
    return reuse, records


def reused_chunk(chunk: list[tuple], reuse: Reuse, records: dict, stage, p) -> list | None:
    """Each patient's entry (:func:`~nof1.series.run.patient_summary` and, under ``kept``
    or ``staged``, their files' [size, sha256] by name) when every patient of ``chunk``
    (id, diary, allocation, folder) is complete and valid in ``--out`` or in a left-over
    staging folder; those of the latter are moved into ``stage``. None when one is not
    (then the chunk is analysed)."""
    found = []
    for pid, diary, _, folder in chunk:
        entry = _reused(pid, diary.sha256, folder, reuse, records, p)
        if entry is None:
            return None
        found.append(entry)
    for _, where in found:
        if where is not None:  # an interrupted run's: committed with this run's files
            target = Path(stage) / "new" / "patients" / where.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(where, target)
    return [entry for entry, _ in found]


def _reused(pid, sha256, folder, reuse: Reuse, records, p) -> tuple | None:
    """(entry, left-over folder or None) of one patient, or None."""
    here = Path(reuse.out) / "patients" / folder
    recorded = {name: records.get(f"patients/{folder}/{name}") for name in reuse.names}
    if all(_same(here / name, entry) for name, entry in recorded.items()):
        entry = _summary(here, pid, sha256, reuse, p)
        if entry is not None:
            return {**entry, "kept": recorded}, None
    for stage in reuse.left_over:
        where = Path(stage) / "new" / "patients" / folder
        files = _whole(where, reuse.names)
        if files is not None:
            entry = _summary(where, pid, sha256, reuse, p)
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


def _summary(folder: Path, pid: str, sha256, reuse: Reuse, p) -> dict | None:
    from nof1.data import read_aligned_csv
    from nof1.errors import Nof1Error
    from nof1.report.results_file import RESULTS_SCHEMA
    from nof1.series.run import patient_summary

    try:  # a file nof1 wrote whole (the manifest's hash, or renamed into place)
        results = json.loads((folder / "results.json").read_bytes())
        software = results["software"]
        density = any(o["effects"].get("bayes_ar1", {}).get("density") for o in results["outcomes"])
        same = (
            results["schema"] == RESULTS_SCHEMA
            and software["version"] == reuse.version
            and results["patient_id"] == pid
            and results["data"]["sha256"] == sha256
            and results["protocol"]["sha256"] == reuse.protocol_sha256
            and software["seed"] == reuse.seed
            and _words(software["command"]) == reuse.command
            and density == bool(reuse.density)
        )
        if not same:
            return None
        aligned = read_aligned_csv(folder / "aligned.csv")
        arms = (results["comparison"]["treated"], results["comparison"]["control"])
        return patient_summary(results, _Named(aligned, pid, arms), p)
    except (Nof1Error, OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _words(command: str | None) -> tuple | None:
    if command is None:
        return None
    return tuple(w for w in shlex.split(command) if w not in ("--force", "--resume"))


class _Named:
    """An aligned table read back, with what :func:`patient_summary` asks of it."""

    def __init__(self, table, pid: str, arms: tuple[str, str]):
        self.table = table
        self.patient_id = pid
        self.arms = arms

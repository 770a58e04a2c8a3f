"""``nof1 series --resume``: the patients whose files an earlier run left complete and valid.

A patient's folder ``patients/FOLDER/`` in ``--out`` is **complete and valid** when

- every file the run writes there exists (``results.json`` and ``aligned.csv``, and
  ``report.html`` with ``--patient-reports``) and is the one the output manifest
  (``.nof1-outputs.json``, set ``series``) records: same size and SHA-256, so a file edited,
  truncated or half-written since is analysed again;
- results.json validates against the ``nof1.results/2`` schema and records the same patient,
  the same diary data (its SHA-256 and rows), the same protocol (SHA-256), the same seed and
  the same command line (apart from ``--force``), and has the posterior density exactly when
  ``--patient-reports`` asks for it.

Its summary for pooling is then read back from the files (:func:`~nof1.series.run.patient_summary`
from results.json and aligned.csv), so series.json is what a full run gives.

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
    "Kept",
    "adopt",
    "clean_left_over",
    "keep_staged",
    "kept_patients",
    "left_over",
    "stage_patient",
]


@dataclass(frozen=True)
class Kept:
    """A patient reused: its :func:`~nof1.series.run.patient_summary` and its files
    (path under ``--out`` -> [size, sha256], recorded again in the manifest); ``staged``:
    the folder of an interrupted run's staging folder they are in (None: in ``--out``)."""

    summary: dict
    files: dict
    staged: Path | None = None


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


def adopt(kept: dict, stage: str, out: Path) -> dict:
    """Move the patients :func:`kept_patients` found in left-over staging folders into this
    run's ``stage``; returns their files (path -> [size, sha256]) as staged files."""
    staged = {}
    for k in kept.values():
        if k.staged is None:
            continue
        target = Path(stage) / "new" / "patients" / k.staged.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(k.staged, target)
        staged |= k.files
    return staged


def clean_left_over(out: Path, current: str | None) -> None:
    """Remove the left-over staging folders, once this run's files are written (not those
    holding files moved aside by a commit, ``old/``: the user's earlier files)."""
    for folder in left_over(out, current):
        old = folder / "old"
        if old.is_dir() and any(old.iterdir()):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def kept_patients(out: Path, series, protocol_file, run: dict, patient_reports: bool) -> dict:
    """Patient id -> :class:`Kept` for every patient whose folder in ``out``, or in a
    left-over staging folder of an interrupted run, is complete and valid (see the
    module's docstring); the others are analysed again."""
    from nof1.outputs.manifest import MANIFEST
    from nof1.series.pooling import folders

    try:
        sets = json.loads((out / MANIFEST).read_text())["sets"]["series"]
    except (OSError, ValueError, KeyError, TypeError):
        sets = {}  # no finished run of a series here
    names = ["results.json", "aligned.csv"] + ["report.html"] * patient_reports
    folder = folders(list(series.diaries))
    staged = left_over(out, run.get("stage"))
    kept = {}
    for pid, diary in series.diaries.items():
        files = {f"patients/{folder[pid]}/{name}" for name in names}
        recorded = {rel: sets.get(rel) for rel in files}
        if all(_same(out / rel, entry) for rel, entry in recorded.items()):
            summary = _summary(out / f"patients/{folder[pid]}", pid, diary, protocol_file, run)
            if summary is not None:
                kept[pid] = Kept(summary, recorded)
                continue
        for stage in staged:  # an interrupted run's
            where = stage / "new" / "patients" / folder[pid]
            found = _whole(where, names)
            if found is None:
                continue
            summary = _summary(where, pid, diary, protocol_file, run)
            if summary is not None:
                records = {f"patients/{folder[pid]}/{n}": found[n] for n in names}
                kept[pid] = Kept(summary, records, where)
                break
    return kept


def _whole(folder: Path, names: list[str]) -> dict | None:
    """Name -> [size, sha256] of a staged patient's files, when exactly these are there."""
    try:
        present = sorted(p.name for p in folder.iterdir())
    except OSError:
        return None
    if present != sorted(names):
        return None  # one missing, or a .part left by a worker stopped mid-file
    out = {}
    for name in names:
        data = (folder / name).read_bytes()
        out[name] = [len(data), hashlib.sha256(data).hexdigest()]
    return out


def _same(path: Path, entry) -> bool:
    """Whether ``path`` is the file the manifest recorded ([size, sha256])."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return entry == [len(data), hashlib.sha256(data).hexdigest()]


def _summary(folder: Path, pid: str, diary, protocol_file, run: dict) -> dict | None:
    from nof1.data import read_aligned_csv
    from nof1.errors import Nof1Error
    from nof1.report.results_file import read_results
    from nof1.series.run import patient_summary

    try:
        results = read_results(folder / "results.json")
    except Nof1Error:
        return None
    software = results["software"]
    density = any(o["effects"].get("bayes_ar1", {}).get("density") for o in results["outcomes"])
    same = (
        results["patient_id"] == pid
        and results["data"]["sha256"] == diary.sha256
        and results["protocol"]["sha256"] == protocol_file.sha256
        and software["seed"] == run["seed"]
        and _words(software["command"]) == _words(run["command"])
        and density == bool(run["density"])
    )
    if not same:
        return None
    try:
        aligned = read_aligned_csv(folder / "aligned.csv")
    except (Nof1Error, OSError, ValueError):
        return None
    arms = (results["comparison"]["treated"], results["comparison"]["control"])
    return patient_summary(results, _Named(aligned, pid, arms), protocol_file.protocol)


def _words(command: str | None) -> list | None:
    return None if command is None else [w for w in shlex.split(command) if w != "--force"]


class _Named:
    """An aligned table read back, with what :func:`patient_summary` asks of it."""

    def __init__(self, table, pid: str, arms: tuple[str, str]):
        self.table = table
        self.patient_id = pid
        self.arms = arms

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
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Kept", "kept_patients"]


@dataclass(frozen=True)
class Kept:
    """A patient reused: its :func:`~nof1.series.run.patient_summary` and its files
    (path under ``--out`` -> [size, sha256], recorded again in the manifest)."""

    summary: dict
    files: dict


def kept_patients(out: Path, series, protocol_file, run: dict, patient_reports: bool) -> dict:
    """Patient id -> :class:`Kept` for every patient whose folder in ``out`` is complete
    and valid (see the module's docstring); the others are analysed again."""
    from nof1.outputs.manifest import MANIFEST
    from nof1.series.pooling import folders

    try:
        sets = json.loads((out / MANIFEST).read_text())["sets"]["series"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no earlier run of a series here: nothing to reuse
    names = ["results.json", "aligned.csv"] + ["report.html"] * patient_reports
    folder = folders(list(series.diaries))
    kept = {}
    for pid, diary in series.diaries.items():
        files = {f"patients/{folder[pid]}/{name}" for name in names}
        recorded = {rel: sets.get(rel) for rel in files}
        if any(not _same(out / rel, entry) for rel, entry in recorded.items()):
            continue
        summary = _summary(out / f"patients/{folder[pid]}", pid, diary, protocol_file, run)
        if summary is not None:
            kept[pid] = Kept(summary, recorded)
    return kept


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

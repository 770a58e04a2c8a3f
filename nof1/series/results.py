"""A series' results: the pooled analyses per outcome and series.json.

:class:`SeriesResults` is what :func:`~nof1.series.analyze_series` returns; its
``to_dict()`` is series.json (contract ``nof1.series/2``). :func:`series_files` gives
every file of the output folder, :func:`patient_files` those of one patient's folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from nof1 import __version__
from nof1.data import Aligned
from nof1.design.comparison import Comparison

__all__ = ["SCHEMA", "OutcomeSeries", "SeriesResults", "patient_files", "series_files"]

SCHEMA = "nof1.series/2"


@dataclass(frozen=True)
class OutcomeSeries:
    """The pooled analyses of one outcome (its entry in series.json's ``outcomes``).

    Attributes
    ----------
    name, label, primary, better, mcid
        From the protocol.
    patient_effects : tuple of dict
        Each analysed patient's effect by the primary method (``patient_id``, ``estimate``, ``se``,
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
    """A series' results; ``to_dict()`` is series.json (contract ``nof1.series/2``).

    Attributes
    ----------
    protocol_id, protocol_sha256, protocol_title : str
    schedule_sha256 : tuple of str
        The protocol hashes the allocations were made from (empty without allocations);
        other than ``protocol_sha256`` only with ``allow_protocol_change``.
    blinding_warnings : tuple of str
        How the protocol's treatments look different to patients and analysts
        (``nof1.design.visibility``); series.json ``blinding.warnings``.
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
        ``effect`` (primary method), ``percent_change`` and ``responder`` (per condition).
    skipped : tuple of dict
        ``{"patient_id", "reason"}`` of the patients not analysed.
    outcomes : tuple of OutcomeSeries
        In protocol order.
    responders : dict
        Responder counts and rates per condition and McNemar's exact test.
    alpha : float
        The protocol's two-sided level; intervals are at 1 - alpha.
    primary_method : str
        The protocol's primary method: the per-patient effects pooled.
    seed : int
    command : str or None
        As recorded in every results.json.
    patient_results : dict of str to dict
        Each analysed patient's results.json, parsed (for the report's per-patient parts).
    patient_files : dict of str to dict
        Per analysed patient, the files of its folder (name -> text).
    problems : tuple of (str, str)
        (file, problem) of every problem of the skipped patients, for ``--problems FILE``.
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
    schedule_sha256: tuple = ()
    blinding_warnings: tuple = ()
    alpha: float = 0.05
    primary_method: str = "gls_ar1"
    patient_results: dict = field(default_factory=dict, repr=False, compare=False)
    patient_files: dict = field(default_factory=dict, repr=False, compare=False)
    problems: tuple = field(default=(), repr=False, compare=False)

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
                "schedule_sha256": list(self.schedule_sha256),
            },
            "data": {
                "source": self.source,
                "sha256": self.source_sha256,
                "allocations": list(self.allocation_sources),
            },
            "analysis": {
                "alpha": self.alpha,
                "interval_level": round(1 - self.alpha, 12),
                "primary_method": self.primary_method,
                "primary_outcome": next((o.name for o in self.outcomes if o.primary), None),
            },
            "blinded": self.blinded,
            "blinding": {"warnings": list(self.blinding_warnings)},
            "labels": self.labels,
            "comparison": {
                **Comparison(
                    t, c, self.labels.get(t, t), self.labels.get(c, c), self.blinded
                ).to_dict(),
                "effect": f"{t} minus {c}",
                "note": note,
            },
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
    :func:`~nof1.series.analyze_series`: a replacement must return these two files (plus any others,
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

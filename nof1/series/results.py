"""A series' results: the pooled analyses per outcome and series.json.

:class:`SeriesResults` is what :func:`~nof1.series.analyze_series` returns; its
``to_dict()`` is series.json (contract :data:`SCHEMA`). :func:`series_files` gives
every file of the output folder, :func:`patient_files` those of one patient's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from nof1.analysis.summaries import Arm
from nof1.data import Aligned
from nof1.schemas.records import Json, PValue, Record, entry
from nof1.series.comparisons import OrderEffect, PercentChangeTest, ResponderTest
from nof1.series.meta import MetaAnalysis, Shrunken
from nof1.series.mixed import MixedModel

if TYPE_CHECKING:  # the records of harms, adherence and blinding import this module
    from nof1.series.adherence import SeriesAdherence
    from nof1.series.blinding_check import SeriesBlindingCheck
    from nof1.series.harms import SeriesHarms

__all__ = [
    "SCHEMA",
    "ExcludedPatient",
    "PrimaryEffect",
    "MetaAnalysisEntry",
    "OutcomeSeries",
    "PatientEffect",
    "PatientFiles",
    "SeriesPatient",
    "SeriesResults",
    "Skipped",
    "entry_files",
    "patient_files",
    "series_files",
]

SCHEMA = "nof1.series/2"


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class PrimaryEffect(Record):
    """A patient's effect by the primary method (treated minus control), as in its results.json."""

    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: PValue
    reason: str | None

    @classmethod
    def from_results(cls, effect: dict) -> PrimaryEffect:
        """From the primary method's entry in ``effects`` of a results.json."""
        return cls(**{k: effect[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value")},
                   reason=effect["reason"])  # fmt: skip


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class PatientEffect(Record):
    """A patient's raw effect by the primary method, for the forest plot."""

    patient_id: str
    effect: PrimaryEffect = entry(flatten=True)


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class ExcludedPatient(Record):
    """A patient left out of the meta-analysis, and why."""

    patient_id: str
    reason: str


@dataclass(frozen=True)
class MetaAnalysisEntry(Record):
    """The REML meta-analysis with its shrunken estimates, the DerSimonian-Laird one, and
    the patients left out of both."""

    reml: MetaAnalysis = entry(flatten=True)
    shrunken: tuple[Shrunken, ...] = entry(
        description="Empirical-Bayes (BLUP) patient estimates, as metafor blup()."
    )
    dl: MetaAnalysis = entry(description="The same with the DerSimonian-Laird tau².")
    excluded: tuple[ExcludedPatient, ...] = entry(
        description="Patients without an effect by the primary method for this outcome."
    )


@dataclass(frozen=True)
class OutcomeSeries(Record):
    """The pooled analyses of one outcome (its entry in series.json's ``outcomes``).

    Attributes
    ----------
    name, label, primary, better, mcid
        From the protocol.
    patient_effects : tuple of PatientEffect
        Each analysed patient's effect by the primary method: the raw estimates of a forest plot.
    meta : MetaAnalysis
        REML random-effects meta-analysis of those effects, with the shrunken estimates.
    dl : MetaAnalysis
        The same with the DerSimonian–Laird tau².
    percent_change : PercentChangeTest
        The 2013 primary analysis: per-patient percent change from baseline at the end
        points, treated vs control by paired t and Wilcoxon.
    mixed : MixedModel
        The linear mixed model on the daily data (JSON ``mixed_model``).
    order_effect : OrderEffect
        Welch t of the effects of patients who started on the treated condition against
        those who started on the control condition.
    meta_analysis : MetaAnalysisEntry
        ``meta`` and ``dl`` as series.json has them (made from the fields above).
    """

    name: str
    label: str
    primary: bool
    better: Literal["lower", "higher"]
    mcid: float | None
    patient_effects: tuple[PatientEffect, ...] = entry(
        description="Each analysed patient's effect by the primary method."
    )
    meta_analysis: MetaAnalysisEntry = entry(
        init=False,
        description="Random-effects meta-analysis of the patients' effects by the primary "
        "method, REML tau² (metafor::rma(yi, sei = se, method = 'REML')).",
    )
    meta: MetaAnalysis = entry(omit=True)
    dl: MetaAnalysis = entry(omit=True)
    percent_change: PercentChangeTest = entry()
    mixed: MixedModel = entry(
        key="mixed_model",
        description="Linear mixed model on the included daily data, y ~ treat + (1 + treat | "
        "patient), REML (exact, from per-patient sufficient statistics; as lme4::lmer).",
    )
    order_effect: OrderEffect = entry()

    def __post_init__(self):
        excluded = tuple(
            ExcludedPatient(e.patient_id, e.effect.reason)
            for e in self.patient_effects
            if e.effect.reason is not None
        )
        entry_ = MetaAnalysisEntry(self.meta, self.meta.shrunken, self.dl, excluded)
        object.__setattr__(self, "meta_analysis", entry_)


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class SeriesPatient(Record):
    """A patient's entry in series.json's ``patients``: where its files are, its order of
    conditions, and for the primary outcome its primary method's effect, percent change and
    responder status; the keys are null for a patient that was not analysed."""

    patient_id: str | None
    included: bool
    reason: str | None
    folder: str | None = None
    results: str | None = entry(
        None, description="Path of the patient's results.json, relative to the output folder."
    )
    order: tuple[str, ...] | None = entry(None, description="Conditions of its periods.")
    first: str | None = None
    days_planned: Annotated[int | None, Json(minimum=0)] = None
    days_observed: Annotated[int | None, Json(minimum=0)] = None
    effect: PrimaryEffect | None = entry(
        None, description="The primary method's effect on the primary outcome."
    )
    percent_change: dict[Arm, float | None] | None = None
    responder: dict[Arm, bool | None] | None = None


@dataclass(frozen=True)
class Skipped(Record):
    """A patient that was not analysed, and why."""

    patient_id: str | None
    reason: str


@dataclass(frozen=True)
class SeriesResults:
    """A series' results; ``to_dict()`` is series.json (contract :data:`SCHEMA`).

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
    patients : tuple of SeriesPatient
        One per patient, the analysed ones (in input order) then the skipped: ``patient_id``,
        ``included``, ``reason``, ``folder``, ``results`` (path of its results.json
        under the output folder), ``order`` (conditions of its treatment periods),
        ``first``, ``days_planned``, ``days_observed``, and for the primary outcome
        ``effect`` (primary method), ``percent_change`` and ``responder`` (per condition).
    skipped : tuple of dict
        ``{"patient_id", "reason"}`` of the patients not analysed.
    outcomes : tuple of OutcomeSeries
        In protocol order.
    responders : ResponderTest
        Responder counts and rates per condition and McNemar's exact test.
    alpha : float
        The protocol's two-sided level; intervals are at 1 - alpha.
    primary_method : str
        The protocol's primary method: the per-patient effects pooled.
    seed : int
    command : str or None
        As recorded in every results.json.
    patient_results : dict of str to dict
        The part of each analysed patient's results.json that pooling and the series
        report read (:func:`nof1.series.pooling.compact_results`).
    patient_files : dict of str to dict
        Per analysed patient, the files of its folder (name -> text); empty when the
        workers wrote them (``stage``): then ``staged`` has each file's path under the
        output folder -> [size, sha256].
    kept : dict of str to list
        With ``resume``: the files of an earlier run left in place (path -> [size, sha256]).
    problems : tuple of (str, str)
        (file, problem) of every problem of the skipped patients, for ``--problems FILE``.
    harms : SeriesHarms or None
        Side effects across patients (series.json ``harms``); None when the protocol has
        no ``adverse_events``.
    adherence : SeriesAdherence or None
        Adherence across patients and the pooled per-protocol analysis (``adherence``);
        None when the protocol has no ``adherence``.
    blinding_check : SeriesBlindingCheck or None
        The blinding question across patients (the keys of series.json ``blinding``
        besides ``warnings``, null when the protocol has no ``blinding_check``).
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
    responders: ResponderTest
    seed: int = 0
    command: str | None = None
    schedule_sha256: tuple = ()
    blinding_warnings: tuple = ()
    alpha: float = 0.05
    primary_method: str = "gls_ar1"
    patient_results: dict = field(default_factory=dict, repr=False, compare=False)
    patient_files: dict = field(default_factory=dict, repr=False, compare=False)
    staged: dict = field(default_factory=dict, repr=False, compare=False)
    kept: dict = field(default_factory=dict, repr=False, compare=False)
    problems: tuple = field(default=(), repr=False, compare=False)
    harms: SeriesHarms | None = None
    adherence: SeriesAdherence | None = None
    blinding_check: SeriesBlindingCheck | None = None

    def outcome(self, name: str) -> OutcomeSeries:
        """The pooled results of one outcome."""
        return next(o for o in self.outcomes if o.name == name)

    def to_dict(self) -> dict:
        """series.json."""
        from nof1.series.series_json import BY_ELEMENT, json_parts

        return {
            key: [item.to_dict() for item in make()] if key in BY_ELEMENT else make()
            for key, make in json_parts(self)
        }


class PatientFiles(dict):
    """File name -> text, as :func:`patient_files` gives; ``results`` is the content of
    its results.json (what the text was made from, equal to ``json.loads`` of it), so that
    a series does not parse back each file it has just written."""

    __slots__ = ("results",)

    def __init__(self, files: dict, results: dict):
        super().__init__(files)
        self.results = results

    def __reduce__(self):  # sent between processes as the plain files
        return dict, (dict(self),)


def entry_files(entries: list[dict], key: str, folder: dict) -> dict:
    """The ``staged`` (or ``kept``) files of the patients' entries, by path under the output
    folder (``folder``: patient id -> their folder's name)."""
    return {
        f"patients/{folder[e['patient_id']]}/{name}": record
        for e in entries
        for name, record in e.get(key, {}).items()
    }


def patient_files(results, aligned: Aligned) -> PatientFiles:
    """The files of one patient's folder: ``results.json`` and ``aligned.csv``.

    What ``nof1 analyze`` writes, the same numbers, but results.json laid out by
    :func:`nof1.report.results_file.results_text` (indented to the effects, each method's
    effect on one line: the C encoder's speed). This is the per-patient hook of
    :func:`~nof1.series.analyze_series`: a replacement must return these two files (plus any others,
    e.g. ``report.html``) and be a module-level function, since it runs in worker processes.

    Parameters
    ----------
    results : nof1.analysis.patient.PatientResults
    aligned : nof1.data.Aligned

    Returns
    -------
    PatientFiles
        File name -> text (a dict), with the results.json's content as ``results``.
    """
    from nof1.report.results_file import results_text

    content = results.to_dict()
    return PatientFiles(
        {"results.json": results_text(content), "aligned.csv": aligned.to_csv()}, content
    )


def series_files(results: SeriesResults, *, series_json: bool = True) -> dict[str, str]:
    """Every file of a series' output folder: ``series.json`` (unless ``series_json`` is
    false) and ``patients/ID/*`` (those not staged by the workers).

    Examples
    --------
    >>> r = SeriesResults("p", "", "", "d.csv", None, (), False, {}, "active", "placebo",
    ...                   (), (), (), {}, patient_files={"P01": {"results.json": "{}"}})
    >>> sorted(series_files(r))
    ['patients/P01/results.json', 'series.json']
    """
    from nof1.series.series_json import series_json_text

    folder = {p.patient_id: p.folder for p in results.patients if p.included}
    out = {"series.json": series_json_text(results)} if series_json else {}
    for pid, files in results.patient_files.items():
        for name, text in files.items():
            out[f"patients/{folder.get(pid, pid)}/{name}"] = text
    return out

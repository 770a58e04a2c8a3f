"""The per-patient analysis: every method of DESIGN.md section 5 on one aligned diary.

Reads only the aligned table (which day counts for what) and the protocol (what to
compare, alpha, mcid, responder rule); returns a :class:`PatientResults` whose
``to_dict()`` is results.json (contract ``nof1.results/2``). The report reads the same
object; nothing downstream recomputes a statistic.

:func:`analyze_patients` puts every patient and outcome in one
:class:`~nof1.analysis.registry.Trials` (a row each) and runs every method of the registry
on it, once; :func:`analyze_patient` is the same with one patient. There is no per-method
code here: adding a method to :data:`~nof1.analysis.registry.METHODS` adds it to
results.json. The primary method (where it applies, else ``gls_ar1``:
:func:`~nof1.analysis.patient_trials.vs_baseline_method`) also compares each condition with
baseline (a second Trials).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from nof1 import __version__
from nof1.analysis import registry
from nof1.analysis.conclusions import holm_by_outcome, improved, responder_status
from nof1.analysis.days import patient_days
from nof1.analysis.effect import Effect
from nof1.analysis.patient_trials import (
    Patient,
    compared_trials,
    vs_baseline_method,
    vs_baseline_trials,
)
from nof1.analysis.quality import quality_entries
from nof1.analysis.side import blinding_entry, side_analyses, with_side_analyses
from nof1.analysis.summaries_batch import outcome_summaries
from nof1.analysis.verdict import verdict
from nof1.design.comparison import Comparison, arms
from nof1.design.visibility import visible_differences
from nof1.protocol.load import ProtocolFile
from nof1.protocol.model import Outcome, Protocol

__all__ = [
    "SCHEMA",
    "OutcomeResult",
    "PatientResults",
    "analyze_patient",
    "analyze_patients",
]

SCHEMA = "nof1.results/2"


@dataclass(frozen=True)
class OutcomeResult:
    """Everything computed for one outcome; ``to_dict`` is its results.json entry."""

    outcome: Outcome
    descriptive: dict
    percent_change: dict
    effects: dict[str, Effect]
    p_holm: float | None
    vs_baseline: dict[str, dict]
    end_point: dict | None = None

    def to_dict(self) -> dict:
        o = self.outcome
        return {
            "name": o.name,
            "primary": o.primary,
            "better": o.better,
            "mcid": o.mcid,
            "descriptive": self.descriptive,
            "percent_change": self.percent_change,
            "effects": {key: effect.to_dict() for key, effect in self.effects.items()},
            "p_holm": self.p_holm,
            "vs_baseline": self.vs_baseline,
            "end_point": self.end_point,
        }


@dataclass(frozen=True)
class PatientResults:
    """One patient's complete results.

    ``treated`` and ``control`` are the condition names compared (``active`` and
    ``placebo``, or ``B`` and ``A`` when blinded); every effect is treated minus control.
    """

    protocol_id: str
    protocol_sha256: str
    data_sha256: str
    data_rows: int
    patient_id: str | None
    blinded: bool
    labels: dict
    treated: str
    control: str
    data_quality: dict
    outcomes: list[OutcomeResult]
    responder: dict
    verdict: str
    command: str | None = None
    seed: int = 0
    schedule_sha256: str | None = None
    blinding: dict | None = None
    alpha: float = 0.05
    primary_method: str = "gls_ar1"
    harms: object = None  # nof1.analysis.harms.Harms
    adherence: object = None  # nof1.analysis.adherence.Adherence
    blinding_check: object = None  # nof1.analysis.blinding.BlindingCheck

    @property
    def comparison(self) -> Comparison:
        """Which condition is compared with which (every effect is treated minus control)."""
        t, c = self.treated, self.control
        return Comparison(t, c, self.labels[t], self.labels[c], self.blinded)

    def to_dict(self) -> dict:
        """results.json: the keys of contract v2 (DESIGN.md section 5)."""
        primary = next(o.outcome.name for o in self.outcomes if o.outcome.primary)
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
                "schedule_sha256": self.schedule_sha256,
            },
            "data": {"sha256": self.data_sha256, "rows": self.data_rows},
            "analysis": {
                "alpha": self.alpha,
                "interval_level": round(1 - self.alpha, 12),
                "primary_method": self.primary_method,
                "primary_outcome": primary,
            },
            "comparison": self.comparison.to_dict(),
            "patient_id": self.patient_id,
            "blinded": self.blinded,
            "blinding": blinding_entry(self.blinding, self.blinding_check),
            "labels": self.labels,
            "data_quality": self.data_quality,
            "outcomes": [o.to_dict() for o in self.outcomes],
            "responder": self.responder,
            "verdict": self.verdict,
            "harms": self.harms.to_dict() if self.harms else None,
            "adherence": self.adherence.to_dict() if self.adherence else None,
        }

    def outcome(self, name: str) -> OutcomeResult:
        return next(o for o in self.outcomes if o.outcome.name == name)


def analyze_patient(
    aligned,
    protocol_file: ProtocolFile,
    *,
    seed: int = 0,
    command: str | None = None,
    allow_protocol_change: bool = False,
) -> PatientResults:
    """Run the pre-specified analysis on one patient's aligned diary.

    Parameters
    ----------
    aligned : nof1.data.Aligned
        The aligned table and where it came from (see ``nof1.data.align``).
    protocol_file : ProtocolFile
        The protocol, with its SHA-256 for the record.
    seed : int
        Seed of the Monte Carlo randomization test (schemes with over 100 000 allocations).
    command : str, optional
        The command line, recorded for reproducibility.
    allow_protocol_change : bool
        Analyse even when the allocation was made from other bytes of the protocol (its
        ``protocol_sha256`` is recorded as ``protocol.schedule_sha256``).

    Returns
    -------
    PatientResults

    Raises
    ------
    nof1.data.protocol_link.ProtocolChangedError
        The allocation was made from another version of the protocol.
    """
    (out,) = analyze_patients(
        [aligned],
        protocol_file,
        seed=seed,
        command=command,
        allow_protocol_change=allow_protocol_change,
    )
    return out


def analyze_patients(
    aligned: list,
    protocol_file: ProtocolFile,
    *,
    seed: int = 0,
    command: str | None = None,
    allow_protocol_change: bool = False,
    density: bool = True,
) -> list[PatientResults]:
    """:func:`analyze_patient` for many patients at once (a series).

    Every method's kernel runs once on a row per patient and outcome (and the vs-baseline
    method once on two rows per patient and outcome against baseline); the rest is assembled patient
    by patient.

    Parameters
    ----------
    aligned : list of nof1.data.Aligned
        Patients on the protocol; their diaries may differ in length.
    protocol_file, seed, command, allow_protocol_change
        As for :func:`analyze_patient`.
    density : bool
        Whether ``bayes_ar1`` gives its posterior density (for a report's figure; null
        otherwise: ``nof1 series`` without ``--patient-reports`` saves a third of a
        patient's CPU).

    Returns
    -------
    list of PatientResults
        In the order of ``aligned``.
    """
    p = protocol_file.protocol
    for a in aligned:
        _schedule_sha256(a, protocol_file, allow_protocol_change)
    if not aligned:
        return []
    names = [o.name for o in p.outcomes]
    patients = [Patient(patient_days(a, names), *_arms(a), bool(a.blinded)) for a in aligned]
    compared = compared_trials(patients, p, seed)
    if not density:
        compared = replace(compared, density=False)
    estimates = [m.run(compared) for m in registry.METHODS.values()]
    baseline = registry.method(vs_baseline_method(p)).run(vs_baseline_trials(patients, p))
    k = len(p.outcomes)
    rows = {e.method: e.effects() for e in estimates}  # each field converted once
    against = baseline.effects()
    main = rows[p.analysis.primary_method]
    j = next(j for j, o in enumerate(p.outcomes) if o.primary)
    itt = [
        _in_words(main[i * k + j], {"active": _name(q.treated), "placebo": _name(q.control)})
        for i, q in enumerate(patients)
    ]
    extras = side_analyses(aligned, patients, p, itt, seed)
    arms_of = [sorted([q.treated, q.control]) for q in patients]
    days = [q.days for q in patients]
    summaries = outcome_summaries(days, names, arms_of, p.analysis.endpoint_days)
    warnings = [tuple(getattr(a, "warnings", ())) for a in aligned]
    quality = quality_entries(days, p.analysis.analytic_washout_days, warnings)
    out = []
    for i, a in enumerate(aligned):
        effects = [{key: r[i * k + j] for key, r in rows.items()} for j in range(k)]
        vs_baseline = [
            {c: against[2 * (i * k + j) + h] for h, c in enumerate(arms_of[i])} for j in range(k)
        ]
        parts = (effects, vs_baseline, summaries[i])
        result = _assemble(a, quality[i], parts, protocol_file, seed, command)
        out.append(with_side_analyses(result, p, extras[i]))
    return out


def _schedule_sha256(aligned, protocol_file, allow_change: bool) -> str | None:
    """The protocol hash of the patient's allocation (checked), or None without one."""
    from nof1.data.protocol_link import schedule_sha256

    schedule = getattr(aligned, "schedule", None)  # an aligned table may come from elsewhere
    found = schedule_sha256([schedule] if schedule else [], protocol_file, allow_change)
    return found[0] if found else None


def _arms(aligned) -> tuple[str, str]:
    """(treated, control): every effect is treated minus control."""
    return arms(bool(aligned.blinded))


def _assemble(aligned, quality: dict, parts, protocol_file, seed, command) -> PatientResults:
    """The results object from each outcome's effects, effects against baseline and
    summaries (:func:`~nof1.analysis.summaries_batch.outcome_summaries`), and the data
    quality (:func:`~nof1.analysis.quality.quality_entries`)."""
    p = protocol_file.protocol
    blinded = bool(aligned.blinded)
    comparison = Comparison.of(p, blinded)
    treated, control = comparison.arms
    labels = dict(sorted(comparison.labels.items()))  # {A, B} or {active, placebo}
    method = p.analysis.primary_method
    p_holm = holm_by_outcome(p, [effects[method].p_value for effects in parts[0]])
    results = [
        _outcome_result(p, outcome, treated, control, *each)
        for outcome, *each in zip(p.outcomes, *parts, p_holm, strict=True)
    ]
    responder = responder_status(results, p, treated, control)
    text = verdict(p, results, responder, quality, comparison)
    schedule = getattr(aligned, "schedule", None)  # an aligned table may come from elsewhere
    return PatientResults(
        protocol_id=p.id,
        protocol_sha256=protocol_file.sha256,
        data_sha256=aligned.sha256,
        data_rows=int(aligned.rows),
        patient_id=aligned.patient_id,
        blinded=blinded,
        labels=labels,
        treated=treated,
        control=control,
        data_quality=quality,
        outcomes=results,
        responder=responder,
        verdict=text,
        command=command,
        seed=seed,
        schedule_sha256=schedule.protocol_sha256 if schedule else None,
        blinding={"warnings": visible_differences(p)},
        alpha=p.analysis.alpha,
        primary_method=p.analysis.primary_method,
    )


def _outcome_result(
    p: Protocol,
    outcome: Outcome,
    treated: str,
    control: str,
    effects: dict[str, Effect],
    against_baseline: dict[str, Effect],
    summary: tuple[dict, dict, dict],
    p_holm: float | None,
) -> OutcomeResult:
    alpha = p.analysis.alpha
    names = {"active": _name(treated), "placebo": _name(control)}
    effects = {key: _in_words(effect, names) for key, effect in effects.items()}
    vs_baseline = {}
    for c in against_baseline:  # the two conditions, sorted
        # Against baseline the method's "active" days are c's, its "placebo" days baseline's.
        effect = _in_words(against_baseline[c], {"active": _name(c), "placebo": "baseline"})
        vs_baseline[c] = _vs_baseline(effect, improved(effect, outcome, alpha))
    descriptive, end_point, percent_change = summary
    return OutcomeResult(
        outcome=outcome,
        descriptive=descriptive,
        percent_change=percent_change,
        effects=effects,
        p_holm=p_holm,
        vs_baseline=vs_baseline,
        end_point=end_point,
    )


def _vs_baseline(effect: Effect, improved: bool) -> dict:
    """``VsBaseline.from_effect(effect, improved).to_dict()``, built directly."""
    phi = effect.extra.get("phi")
    if type(phi) is float and not math.isfinite(phi):
        phi = None
    return {"estimate": effect.estimate, "se": effect.se, "df": effect.df,
            "ci_low": effect.ci_low, "ci_high": effect.ci_high, "p_value": effect.p_value,
            "phi": phi, "reason": effect.reason, "improved": improved}  # fmt: skip


def _name(condition: str) -> str:
    """A condition as the results' words say it: active, placebo, group A or group B."""
    return f"group {condition}" if condition in ("A", "B") else condition


_METHOD_WORDS = re.compile(r"\b(active|placebo)\b")


def _in_words(effect: Effect, names: dict[str, str]) -> Effect:
    """The effect with its reason in the words of this comparison.

    The kernels call their two arms "active" (1) and "placebo" (0) in their reasons; here
    they become the conditions actually compared, so that a blinded analysis says group B
    and group A and a comparison against baseline says baseline.
    """
    if effect.reason is None:
        return effect
    return effect.with_reason(_METHOD_WORDS.sub(lambda m: names[m.group(1)], effect.reason))

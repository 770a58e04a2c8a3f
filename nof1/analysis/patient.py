"""The per-patient analysis: every method of DESIGN.md section 5 on one aligned diary.

Reads only the aligned table (which day counts for what) and the protocol (what to
compare, alpha, mcid, responder rule); returns a :class:`PatientResults` whose
``to_dict()`` is results.json (contract ``nof1.results/1``). The report reads the same
object; nothing downstream recomputes a statistic.

:func:`analyze_patient` analyses one patient, :func:`analyze_patients` a series: they
differ only in how the AR(1) models are fitted (:mod:`nof1.analysis.ar1_fits`, one
series at a time or all at once); every other step is the same code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nof1 import __version__
from nof1.analysis.ar1_fits import OutcomeFits, fit_patient, fit_patients
from nof1.analysis.classic import paired_periods, welch_t
from nof1.analysis.days import PatientDays
from nof1.analysis.effect import Effect
from nof1.analysis.nonoverlap import nap
from nof1.analysis.randomization import randomization_tests
from nof1.analysis.summaries import Responder, VsBaseline, data_quality, describe, percent_change
from nof1.analysis.verdict import verdict
from nof1.design.visibility import visible_differences
from nof1.protocol.load import ProtocolFile
from nof1.protocol.model import Outcome, Protocol

__all__ = [
    "SCHEMA",
    "OutcomeResult",
    "PatientResults",
    "analyze_patient",
    "analyze_patients",
    "holm",
]

SCHEMA = "nof1.results/1"


@dataclass(frozen=True)
class OutcomeResult:
    """Everything computed for one outcome; ``to_dict`` is its results.json entry."""

    outcome: Outcome
    descriptive: dict
    percent_change: dict
    effects: dict[str, Effect]
    p_holm: float | None
    vs_baseline: dict[str, dict]

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

    def to_dict(self) -> dict:
        """results.json: exactly the keys of contract v1 (DESIGN.md section 5)."""
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
            "patient_id": self.patient_id,
            "blinded": self.blinded,
            "blinding": self.blinding or {"warnings": []},
            "labels": self.labels,
            "data_quality": self.data_quality,
            "outcomes": [o.to_dict() for o in self.outcomes],
            "responder": self.responder,
            "verdict": self.verdict,
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
    p = protocol_file.protocol
    _schedule_sha256(aligned, protocol_file, allow_protocol_change)
    days = PatientDays.from_table(aligned.table, [o.name for o in p.outcomes])
    fits = fit_patient(days, p, *_arms(aligned))
    return _assemble(aligned, days, fits, protocol_file, seed, command)


def analyze_patients(
    aligned: list,
    protocol_file: ProtocolFile,
    *,
    seed: int = 0,
    command: str | None = None,
    allow_protocol_change: bool = False,
) -> list[PatientResults]:
    """:func:`analyze_patient` for many patients at once (a series).

    The AR(1) models of all patients and outcomes are fitted together by the batched
    fitters (:func:`nof1.analysis.ar1_fits.fit_patients`), everything else patient by
    patient exactly as :func:`analyze_patient` does: the results are the same to rounding
    (relative differences below 1e-9; the tests check it), several times faster.

    Parameters
    ----------
    aligned : list of nof1.data.Aligned
        Patients on the protocol; their diaries may differ in length.
    protocol_file, seed, command, allow_protocol_change
        As for :func:`analyze_patient`.

    Returns
    -------
    list of PatientResults
        In the order of ``aligned``.
    """
    p = protocol_file.protocol
    for a in aligned:
        _schedule_sha256(a, protocol_file, allow_protocol_change)
    names = [o.name for o in p.outcomes]
    days = [PatientDays.from_table(a.table, names) for a in aligned]
    fits = fit_patients([(d, *_arms(a)) for d, a in zip(days, aligned, strict=True)], p)
    return [
        _assemble(a, d, f, protocol_file, seed, command)
        for a, d, f in zip(aligned, days, fits, strict=True)
    ]


def _schedule_sha256(aligned, protocol_file, allow_change: bool) -> str | None:
    """The protocol hash of the patient's allocation (checked), or None without one."""
    from nof1.data.protocol_link import schedule_sha256

    schedule = getattr(aligned, "schedule", None)  # an aligned table may come from elsewhere
    found = schedule_sha256([schedule] if schedule else [], protocol_file, allow_change)
    return found[0] if found else None


def _arms(aligned) -> tuple[str, str]:
    """(treated, control): every effect is treated minus control."""
    return ("B", "A") if aligned.blinded else ("active", "placebo")


def _assemble(aligned, days: PatientDays, fits, protocol_file, seed, command) -> PatientResults:
    """Every method besides the AR(1) fits, then the results object."""
    p = protocol_file.protocol
    blinded = bool(aligned.blinded)
    treated, control = _arms(aligned)
    if blinded:
        labels = {"A": "group A", "B": "group B"}
    else:
        labels = {"active": p.treatments.active.label, "placebo": p.treatments.placebo.label}
    randomization = _randomization(days, p, blinded, seed)
    results = [
        _outcome_result(days, p, outcome, treated, control, fit, rand)
        for outcome, fit, rand in zip(p.outcomes, fits, randomization, strict=True)
    ]
    results = _with_holm(results, p)
    responder = _responder(results, p, treated, control)
    quality = data_quality(days, p.analysis.analytic_washout_days).to_dict()
    text = verdict(p, results, responder, quality, blinded, treated, control, labels)
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
    )


def _outcome_result(
    days: PatientDays,
    p: Protocol,
    outcome: Outcome,
    treated: str,
    control: str,
    fits: OutcomeFits,
    randomization: Effect,
) -> OutcomeResult:
    name, alpha = outcome.name, p.analysis.alpha
    compared = days.compared(name, treated, control)
    y, _, is_treated = days.series(compared, name, treated)

    treated_means = [v.mean() for v in days.period_values(name, treated, True) if len(v)]
    control_means = [v.mean() for v in days.period_values(name, control, True) if len(v)]
    pairs = min(len(treated_means), len(control_means))

    effects = {
        "gls_ar1": fits.gls_ar1,
        "gls_ar1_trend": fits.gls_ar1_trend,
        "welch_t": welch_t(y, is_treated, alpha),
        "paired_periods": paired_periods(treated_means[:pairs], control_means[:pairs], alpha),
        "randomization": randomization,
        "nap": nap(y, is_treated, outcome.better, alpha),
        "bayes_ar1": fits.bayes_ar1,
    }
    names = {"active": _name(treated), "placebo": _name(control)}
    effects = {key: _in_words(effect, names) for key, effect in effects.items()}
    conditions = sorted([treated, control])
    descriptive = {"baseline": describe(days.values[name][days.condition == "baseline"]).to_dict()}
    condition = days.condition[compared]
    for c in conditions:
        descriptive[c] = describe(y[condition == c]).to_dict()
    vs_baseline = {}
    for c in conditions:
        # Against baseline the method's "active" days are c's, its "placebo" days baseline's.
        effect = _in_words(fits.vs_baseline[c], {"active": _name(c), "placebo": "baseline"})
        vs_baseline[c] = VsBaseline.from_effect(effect, _improved(effect, outcome, alpha)).to_dict()
    return OutcomeResult(
        outcome=outcome,
        descriptive=descriptive,
        percent_change=percent_change(days, name, conditions, p.analysis.endpoint_days),
        effects=effects,
        p_holm=None,
        vs_baseline=vs_baseline,
    )


def _name(condition: str) -> str:
    """A condition as the results' words say it: active, placebo, group A or group B."""
    return f"group {condition}" if condition in ("A", "B") else condition


_METHOD_WORDS = re.compile(r"\b(active|placebo)\b")


def _in_words(effect: Effect, names: dict[str, str]) -> Effect:
    """The effect with its reason in the words of this comparison.

    The methods (``nof1.analysis.ar1``, ``classic``, ``nonoverlap``, ``randomization``)
    call their two arms "active" (1) and "placebo" (0) in their reasons; here they become
    the conditions actually compared, so that a blinded analysis says group B and group A
    and a comparison against baseline says baseline.
    """
    if effect.reason is None:
        return effect
    from dataclasses import replace

    reason = _METHOD_WORDS.sub(lambda m: names[m.group(1)], effect.reason)
    return replace(effect, reason=reason)


def _improved(effect: Effect, outcome: Outcome, alpha: float) -> bool:
    """Significant (p < alpha) change in the better direction."""
    if not effect.available or effect.p_value is None:
        return False
    better = effect.estimate < 0 if outcome.better == "lower" else effect.estimate > 0
    return bool(better and effect.p_value < alpha)


def _with_holm(results: list[OutcomeResult], p: Protocol) -> list[OutcomeResult]:
    """Holm-adjust the secondary outcomes' p-values of the primary method.

    Methods without a p-value (nap, bayes_ar1) fall back to gls_ar1's. The primary
    outcome is not part of the family, so its p_holm is None.
    """
    from dataclasses import replace

    method = p.analysis.primary_method
    if method in ("nap", "bayes_ar1"):
        method = "gls_ar1"
    secondary = [
        i
        for i, r in enumerate(results)
        if not r.outcome.primary and r.effects[method].p_value is not None
    ]
    if not secondary:
        return results
    raw = [results[i].effects[method].p_value for i in secondary]
    adjusted = holm(raw)
    out = list(results)
    for i, value in zip(secondary, adjusted, strict=True):
        out[i] = replace(results[i], p_holm=float(value))
    return out


def holm(p_values) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    Sorted ascending, p_(i) becomes max over j <= i of min(1, (m - j + 1) p_(j)).
    (statsmodels has this too, but importing it costs a third of a second.)

    Examples
    --------
    >>> [round(p, 12) for p in holm([0.01, 0.04, 0.03, 0.005])]
    [0.03, 0.06, 0.06, 0.02]

    (R: ``p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm")`` gives the same.)
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted.tolist()


def _responder(results: list[OutcomeResult], p: Protocol, treated, control) -> dict:
    rule = p.analysis.responder
    conditions = sorted([treated, control])
    if rule is None:
        return Responder(dict.fromkeys(conditions), None).to_dict()
    by_name = {r.outcome.name: r for r in results}
    out = {}
    for condition in conditions:
        if by_name[rule.outcome].vs_baseline[condition]["reason"]:
            out[condition] = None  # cannot be assessed without its main comparison
            continue
        main = by_name[rule.outcome].vs_baseline[condition]["improved"]
        others = [by_name[o].vs_baseline[condition]["improved"] for o in rule.plus_any_of]
        out[condition] = bool(main and (any(others) if others else True))
    return Responder(out, rule.describe() + " (each vs baseline, gls_ar1)").to_dict()


def _randomization(days: PatientDays, p: Protocol, blinded: bool, seed: int) -> list[Effect]:
    """The randomization test of every outcome (one reference set for all)."""
    setup = _randomization_setup(days, p, blinded)
    if isinstance(setup, str):
        return [Effect.unavailable("randomization", setup) for _ in p.outcomes]
    allocation, sign = setup
    y = np.full((len(p.outcomes), p.total_days), np.nan)
    inside = (days.day >= 1) & (days.day <= p.total_days)
    for row, outcome in zip(y, p.outcomes, strict=True):
        row[days.day[inside] - 1] = days.values[outcome.name][inside]
    return randomization_tests(p, y, allocation, sign, seed=seed)


def _randomization_setup(days: PatientDays, p: Protocol, blinded: bool):
    """The allocation in timeline terms (True = a period with active_days' length) and the
    sign that turns its statistic into treated minus control; or the reason there is none.
    """
    if p.randomization.scheme == "fixed":
        return "the protocol's order is fixed, so there is no randomization to test"
    treatment = days.phase == "treatment"
    numbered = treatment & (days.period > 0)
    _, first, lengths = np.unique(days.period[numbered], return_index=True, return_counts=True)
    conditions = days.condition[numbered][first].tolist()
    if len(conditions) != p.n_periods:
        return (
            f"the diary has {len(conditions)} treatment periods, the protocol "
            f"{p.n_periods}, so the protocol's reference set does not apply"
        )
    sign = 1.0
    if not blinded:
        allocation = [c == "active" for c in conditions]
    elif p.schedule.active_days == p.schedule.placebo_days:
        allocation = [c == "B" for c in conditions]
    else:
        # Unequal lengths: the group whose periods last active_days has the active timing.
        b_days = [n for c, n in zip(conditions, lengths, strict=True) if c == "B"]
        b_active = bool(b_days) and int(b_days[0]) == p.schedule.active_days
        allocation = [(c == "B") == b_active for c in conditions]
        sign = 1.0 if b_active else -1.0
    from nof1.design.timeline import segments

    planned = [s for s in segments(p, allocation) if s.phase == "treatment"]
    expected_day = np.concatenate([np.arange(s.first_day, s.last_day + 1) for s in planned])
    expected_period = np.repeat([s.period for s in planned], [s.days for s in planned])
    if not (
        expected_day.size == treatment.sum()
        and (expected_day == days.day[treatment]).all()
        and (expected_period == days.period[treatment]).all()
    ):
        return (
            "the diary's periods do not follow the protocol's timeline, so the "
            "protocol's reference set does not apply"
        )
    return np.array(allocation), sign

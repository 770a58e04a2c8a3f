"""Power by simulation (DESIGN.md section 7): simulate trials of a design, analyse, summarise.

For each design point and effect, ``sims`` trials are simulated on the protocol's own timeline
(:func:`nof1.simulate.simulate_outcomes`, primary outcome only) with allocations drawn from
its randomization scheme, and every method of the registry marked ``in_power`` runs its
kernel on all of them at once (:func:`nof1.power.trials.simulated_trials`, a row per trial).
Per method: the rejection rate (power, or the type I error when the effect is 0), its Monte Carlo
standard error ``sqrt(p (1 - p) / sims)``, the mean bias and the 95% interval coverage.

The same seed gives the same trials for every effect of a design (common random numbers), so
power curves are smooth and differences between effects are sharper than their MC errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from nof1 import __version__
from nof1.analysis import registry
from nof1.design.allocation import sample_allocations
from nof1.power.grid import DesignPoint
from nof1.power.results import PowerRow
from nof1.power.side import answer_settings, chunk_answers, per_protocol_method
from nof1.power.side_summary import answer_inputs, side_rows
from nof1.power.summary import SimulatedFits as _Trials
from nof1.power.summary import check_effect_sd, rejects, type_i_errors
from nof1.power.summary import meta_analysis as _meta_analysis
from nof1.power.summary import note as _note
from nof1.power.summary import patient_effects as _patient_effects
from nof1.power.summary import pooled_method as _pooled_method
from nof1.power.summary import rule as _rule
from nof1.power.summary import summary as _summary
from nof1.power.trials import simulated_trials
from nof1.protocol.load import ProtocolFile
from nof1.simulate import check_range, simulate_outcomes, true_effect

__all__ = [
    "METHODS",
    "SCHEMA",
    "Scenario",
    "check_effect_sd",
    "chunks_per_point",
    "power_analysis",
]

SCHEMA = "nof1.power/2"
#: Methods in the order they are reported (the registry's, where ``in_power``);
#: ``meta_analysis`` is added with patients > 1.
METHODS = tuple(key for key, m in registry.METHODS.items() if m.in_power)
_CHUNK = 2000  # trials analysed together: bounded memory, one progress step each


@dataclass(frozen=True)
class Scenario:
    """How the simulated diaries behave (parameters of :func:`nof1.simulate.simulate_outcomes`).

    Raises :class:`~nof1.errors.Nof1Error` naming the parameter when one is out of range.

    Examples
    --------
    >>> Scenario(sd=12, phi=0.5).phi
    0.5
    >>> Scenario(phi=1.0)
    Traceback (most recent call last):
    ...
    nof1.errors.Nof1Error: phi must be a finite number > -1 and < 1, got 1
    """

    sd: float = 12.0
    phi: float = 0.5
    trend: float = 0.0
    onset_half_life: float = 0.0
    offset_half_life: float = 0.0
    missing: float = 0.0

    def __post_init__(self):
        check_range("sd", self.sd, low=0, open_low=True)
        check_range("phi", self.phi, low=-1, high=1, open_low=True, open_high=True)
        check_range("trend", self.trend)
        check_range("onset_half_life", self.onset_half_life, low=0)
        check_range("offset_half_life", self.offset_half_life, low=0)
        check_range("missing", self.missing, low=0, high=1, open_high=True)


def chunks_per_point(sims: int, patients: int) -> int:
    """Progress steps per design point and effect (the CLI sizes its progress bar with it)."""
    per_chunk = max(1, _CHUNK // patients)
    return -(-sims // per_chunk)


def power_analysis(
    pf: ProtocolFile,
    effects: list[float],
    scenario: Scenario,
    designs: list[DesignPoint] | None = None,
    *,
    patients: int = 1,
    sims: int = 1000,
    seed: int = 0,
    n_grid: int = 80,
    progress: Callable[[int], None] | None = None,
    effect_sd: float = 0.0,
    workers: int | None = None,
    client=None,
    answers: dict | None = None,
) -> dict:
    """Power, type I error, bias and coverage of every method, for every design and effect.

    Parameters
    ----------
    pf : ProtocolFile
        The protocol (its id and SHA-256 are recorded).
    effects : list of float
        True effects, active minus placebo on the primary outcome (-10: 10 points lower).
    scenario : Scenario
    designs : list of DesignPoint, optional
        Variants of the protocol (:func:`~nof1.power.grid.design_grid`); default its own.
    patients : int
        With N > 1, each simulated series has N patients and a random-effects
        meta-analysis (REML, Knapp-Hartung t test) of their effects by the protocol's
        primary method is reported too.
    sims : int
        Simulated trials (series) per design point and effect.
    seed : int
    n_grid : int
        Grid points over phi for bayes_ar1 (its default is 200; 80 gives the posterior to
        about 1e-8, far below the Monte Carlo error).
    progress : callable, optional
        Called with 1 after each chunk of trials.
    workers : int, optional
        Local worker processes for the chunks (default 1: here).
    client : dask.distributed.Client, optional
        Run the chunks on its cluster. The results are the same wherever they run: each
        chunk of trials has its own random streams (``numpy.random.SeedSequence`` keyed by
        the seed, the design and the chunk).
    effect_sd : float
        Between-patient sd of the true effect (only with ``patients`` > 1): each simulated
        patient draws its own effect from N(effect, effect_sd²), as ``nof1 simulate``
        does. 0 (every patient has the same effect) overstates the pooled power.
    answers : dict, optional
        How the protocol's answer items are simulated: keyword arguments of
        :func:`nof1.simulate.answers.simulate_answers` (``rates``, ``persistence``,
        ``missed_dose_rate``, ``guess_right``, ``guess_unsure``; default its defaults, as
        ``nof1 simulate``'s). They come from a stream of their own
        (:mod:`nof1.power.side`): the outcome results do not depend on them.

    Returns
    -------
    dict
        power.json (schema ``nof1.power/2``): ``inputs``, ``designs``, the tidy ``results``
        (one object per design point, effect and method), ``harms``, ``adherence`` and
        ``blinding`` (null when the protocol has no such item), ``recommendation``.

    Examples
    --------
    >>> from nof1.protocol import read_protocol
    >>> out = power_analysis(read_protocol("ldn-nof1-multicycle"), [-10], Scenario(), sims=50)
    >>> row = out["results"][0]
    >>> row["method"], row["cycles"], 0 <= row["rejection_rate"] <= 1
    ('gls_ar1', 3, True)
    """
    from nof1.report.power import recommendation

    if sims < 1 or patients < 1:
        raise ValueError(f"sims and patients must be at least 1; got {sims} and {patients}")
    check_effect_sd(effect_sd, patients)
    from nof1.parallel import map_chunks

    designs = designs or [DesignPoint(pf.protocol)]
    answers = answer_settings(pf.protocol, answers)
    points = [(d, float(e)) for d in designs for e in effects]
    per_chunk = max(1, _CHUNK // patients)
    tasks = [
        (
            design,
            effect,
            scenario,
            start,
            min(per_chunk, sims - start) * patients,
            seed,
            n_grid,
            effect_sd,
            answers,
            effect == float(effects[0]),
        )
        for design, effect in points
        for start in range(0, sims, per_chunk)
    ]
    done = (lambda i, out: progress(1)) if progress is not None else None
    n_workers = 1 if workers is None else workers
    parts = map_chunks(_chunk, tasks, workers=n_workers, client=client, done=done)
    results = []
    per_point = -(-sims // per_chunk)
    sides = []
    for k, (design, effect) in enumerate(points):
        chunks = parts[k * per_point : (k + 1) * per_point]
        results.extend(_design_point(design, effect, scenario, sims, patients, chunks, effect_sd))
        sides.append([side for *_, side in chunks])
    side = side_rows(points, sides, results, answers)
    primary = pf.protocol.primary_outcome
    out = {
        "schema": SCHEMA,
        "software": {"name": "nof1", "version": __version__},
        "protocol": {"id": pf.protocol.id, "sha256": pf.sha256},
        "analysis": {
            "alpha": pf.protocol.analysis.alpha,
            "interval_level": round(1 - pf.protocol.analysis.alpha, 12),
        },
        "inputs": {
            "effects": [float(e) for e in effects],
            **asdict(scenario),
            "patients": patients,
            "sims": sims,
            "seed": seed,
            "alpha": pf.protocol.analysis.alpha,
            "outcome": primary.name,
            "better": primary.better,
            "mcid": primary.mcid,
            "primary_method": pf.protocol.analysis.primary_method,
            "effect_sd": float(effect_sd),
            **answer_inputs(pf.protocol, answers),
        },
        "designs": [{"label": d.label(), **d.to_dict()} for d in designs],
        "results": results,
        **side,
    }
    type_i_errors(results, effect_sd)
    out["recommendation"] = recommendation(out, pf.protocol)
    return out


def _seeds(design: DesignPoint, seed: int, start: int) -> list[np.random.Generator]:
    """The random streams of the chunk whose first trial is ``start``: keyed by the seed, the
    design (not the effect: common random numbers) and the chunk, so a chunk gives the same
    trials wherever and in whatever order it runs."""
    p = design.protocol
    key = [
        seed,
        p.schedule.cycles,
        p.schedule.active_days,
        p.schedule.placebo_days,
        p.analysis.analytic_washout_days,
        start,
    ]
    # then the answer items' (nof1.power.side): events and guesses, and the doses taken;
    # the first two are as they were before the answer items existed
    return [np.random.default_rng(s) for s in np.random.SeedSequence(key).spawn(4)]


def _chunk(
    design, effect, scenario, start, m, seed, n_grid, effect_sd=0.0, answers=None, first=True
) -> tuple:
    """Simulate and analyse ``m`` trials of one design and effect (one task, anywhere):
    (per-method arrays, reference-set facts, summed share of the effect seen, the answer
    items analysed; harms and blinding only when ``first``, the design's first effect)."""
    p = design.protocol
    rng, rng_reference, *rng_answers = _seeds(design, seed, start)
    info: dict = {}
    allocations = sample_allocations(p, m, rng)
    truth = _patient_effects(rng, m, effect, effect_sd)  # before the draws it repeats
    y = simulate_outcomes(
        p,
        allocations,
        effect,
        **asdict(scenario),
        outcomes=[p.primary_outcome.name],
        effect_sd=effect_sd,
        rng=rng,
    )[p.primary_outcome.name]
    trials = simulated_trials(
        p, allocations, y, rng_reference, n_grid, truth=effect if effect_sd == 0 else np.nan
    )
    share = _effect_share(p, allocations, trials.arm, scenario)
    fits = _analyse(trials, effect, scenario, info, truth)
    settings = answer_settings(p) if answers is None else answers  # resolved by the caller
    itt = fits.get(per_protocol_method(p) or "")
    side = chunk_answers(p, allocations, trials, itt, rng_answers, settings, first)
    return fits, info, share, side


def _design_point(design, effect, scenario, sims, patients, chunks, effect_sd=0.0) -> list:
    """One summary row per method from the analysed chunks of one design and effect."""
    p = design.protocol
    alpha = p.analysis.alpha
    parts = [part for part, *_ in chunks]
    share = sum(s for _, _, s, _ in chunks)
    info: dict = {}  # per method: the reference-set facts a kernel reports (min_p, ...)
    for _, facts, *_ in chunks:
        for key, f in facts.items():
            if key in info:
                f = {**f, "min_p": max(f["min_p"], info[key]["min_p"])}
            info[key] = f
    by_method = _combine(parts)
    pooled = _pooled_method(p)
    if patients > 1:
        fits = by_method[pooled]
        by_method["meta_analysis"] = (
            fits if isinstance(fits, str) else _meta_analysis(fits, sims, patients, effect, alpha)
        )
    common = {**design.to_dict(), "effect": effect, "estimand": effect * share / (sims * patients)}
    rows = []
    for method, result in by_method.items():
        n_patients = patients if method == "meta_analysis" else 1
        n = sims if method == "meta_analysis" else sims * patients
        row = {
            "method": method,
            **common,
            "patients": n_patients,
            "sims": n,
            "rule": _rule(method, alpha),
            **_summary(method, result, effect, n),
        }
        facts = info.get(method, {})
        row["min_p"] = facts.get("min_p")
        row["n_allocations"] = facts.get("n_allocations")
        row["note"] = _note(method, facts, alpha, pooled, effect_sd)
        rows.append(PowerRow(**row).to_dict())  # typed: a missing or unknown key fails here
    return rows


def _analyse(trials, effect: float, scenario, info: dict, truth=None) -> dict:
    """Every method's kernel on a chunk of trials: method -> :class:`_Trials`. ``truth``
    holds each trial's own true effect (``None``: ``effect`` for all)."""
    alpha = trials.alpha
    out: dict = {}
    for key, m in registry.METHODS.items():
        if not m.in_power:
            continue
        est = m.run(trials)
        v = est.values
        with np.errstate(invalid="ignore"):
            reject = rejects(m, v, alpha)
            # The truth an interval should hold: the effect, or (a probability such as NAP)
            # its value under no effect, known only when there is no effect and no trend.
            no_effect = effect == 0 and scenario.trend == 0 and truth is None
            own = np.full(trials.m, effect) if truth is None else truth
            truth_m = own if m.outcome_units else (m.null if no_effect else np.nan)
            if "covered" in v:  # the kernel knew the truth (Trials.truth)
                covered = v["covered"]
            elif "ci_low" in v:
                covered = (v["ci_low"] <= truth_m) & (truth_m <= v["ci_high"])
                unknown = np.isnan(v["ci_low"]) | np.isnan(v["estimate"]) | np.isnan(truth_m)
                covered = np.where(unknown, np.nan, covered)
            else:
                covered = np.full(trials.m, np.nan)
        ran = np.array([r is None for r in est.reason], dtype=bool)
        if "min_p" in m.fields and ran.any():
            info[key] = {
                "n_allocations": int(v["n_allocations"][ran][0]),
                "exact": bool(v["exact"][ran][0]),
                "min_p": max(float(np.max(v["min_p"][ran])), info.get(key, {}).get("min_p", 0)),
            }
        reason = est.reason
        if "interval_reason" in v:  # an estimate without an interval cannot reject either
            reason = np.array(
                [r or i for r, i in zip(est.reason, v["interval_reason"], strict=True)],
                dtype=object,
            )
        out[key] = _Trials(v["estimate"], reject, covered, v.get("se"), reason)
    return out


def _combine(parts: list[dict]) -> dict:
    """Concatenate the chunks' per-trial arrays, method by method; a method that failed on
    every trial for one and the same reason (it cannot run for this design) becomes that
    reason."""
    out = {}
    for method, first in parts[0].items():
        fields = [
            None if f is None else np.concatenate([part[method][i] for part in parts])
            for i, f in enumerate(first)
        ]
        trials = _Trials(*fields)
        reasons = set(trials.reason.tolist())
        out[method] = reasons.pop() if len(reasons) == 1 and None not in reasons else trials
    return out


def _effect_share(p, allocations, conditions, scenario) -> float:
    """Summed over trials: the share of the full effect that mean(active) - mean(placebo)
    on the compared days sees (slow onset and carryover dilute it)."""
    level = true_effect(p, allocations, 1.0, scenario.onset_half_life, scenario.offset_half_life)
    a, b = conditions == 1, conditions == 0
    return float(np.sum((level * a).sum(1) / a.sum(1) - (level * b).sum(1) / b.sum(1)))

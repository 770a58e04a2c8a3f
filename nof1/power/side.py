"""The protocol's answer items in a power study: harms, adherence and the blinding check.

Every simulated trial also gets the diary's adverse events, doses taken and guesses
(:func:`nof1.simulate.answers.simulate_answers`), drawn from random streams of the chunk's
own (the third and fourth children of its ``SeedSequence``: the outcomes and the
randomization reference keep theirs, so outcome power, type I error and coverage are what
they were without them).
They are analysed by the patient analysis' own kernels, batched over the chunk's trials:

- **harms** (:func:`~nof1.analysis.event_rates.rate_difference`, per event and "any side
  effect", over every day of the treatment periods, active minus placebo): the share of
  trials with p <= alpha: the power to detect the simulated difference, or the type I
  error when the event is as frequent on both;
- **adherence**: the periods below ``per_protocol_min`` left out, and the protocol's
  primary method re-run on the trials that lose one (the per-protocol sensitivity
  analysis); every other trial's per-protocol result is its main one;
- **blinding check**: Bang's index per arm, and whether the report would call the guesses
  better than chance (one-sided binomial test of the right guesses among the answered
  periods against 1/2, "unsure" counting as not right, as the patient report's sentence).

The events and guesses do not depend on the outcome's effect, and the chunk's answer
stream is keyed by the design (common random numbers): harms and blinding are computed
once per design, from the chunks of its first effect. Days the simulated diary misses
(``missing``) have no answers either, as in ``nof1 simulate``.
"""

from __future__ import annotations

import numpy as np

from nof1.analysis import registry
from nof1.analysis.event_rates import any_event, rate_difference
from nof1.analysis.harms import ANY
from nof1.analysis.items import name_label
from nof1.analysis.registry import Trials
from nof1.power.summary import rejects
from nof1.simulate.answers import event_rates, simulate_answers

__all__ = ["answer_settings", "chunk_answers", "per_protocol_method", "true_rates"]


def answer_settings(protocol, answers: dict | None = None) -> dict:
    """Every keyword argument of :func:`~nof1.simulate.answers.simulate_answers`: those in
    ``answers``, else its defaults (as ``nof1 simulate``'s); the event rates resolved for
    ``protocol`` (raises ValueError for an event it does not declare or a value out of
    range)."""
    import inspect

    given = dict(answers or {})
    out = {
        name: given.pop(name, q.default)
        for name, q in inspect.signature(simulate_answers).parameters.items()
        if q.kind is q.KEYWORD_ONLY
    }
    if given:
        raise ValueError(f"not an answer setting: {', '.join(given)}")
    out["rates"] = event_rates(protocol, out["rates"])
    simulate_answers(
        protocol, np.zeros((0, protocol.n_periods), bool), np.random.default_rng(0), **out
    )  # fmt: skip  (checks the ranges)
    return out


def per_protocol_method(protocol) -> str | None:
    """The method of the per-protocol analysis: the protocol's primary method, when power
    runs it (None without an adherence item)."""
    key = protocol.analysis.primary_method
    if getattr(protocol, "adherence", None) is None:
        return None
    return key if key in registry.METHODS and registry.METHODS[key].in_power else None


def true_rates(protocol, answers: dict) -> list[tuple[str, str, float, float]]:
    """(name, label, placebo rate, active rate) of each event and of "any side effect"
    (independent events: 1 - the product of the rates of none)."""
    rates = event_rates(protocol, answers.get("rates"))
    out = [(n, label, *rates[n]) for n, label in (name_label(e) for e in protocol.adverse_events)]
    if out:
        none = [float(np.prod([1 - r[k] for r in out])) for k in (2, 3)]
        out.append((*ANY, 1 - none[0], 1 - none[1]))
    return out


def chunk_answers(p, allocations, trials: Trials, itt, rng, answers: dict, fixed: bool) -> dict:
    """The answer items of one chunk of trials, analysed: per-trial arrays to concatenate.

    Parameters
    ----------
    p : Protocol
        The design simulated.
    allocations : ndarray of bool, shape (m, n_periods)
    trials : Trials
        The chunk's outcome trials (their missing days, periods and compared days).
    itt : SimulatedFits or None
        The primary method's fits on ``trials`` (its main, intention-to-treat, result).
    rng : (numpy.random.Generator, numpy.random.Generator)
        The chunk's answer streams: events and guesses; doses taken (its own, so that
        the chunks of a design's later effects draw only the doses, the same ones).
    answers : dict
        Keyword arguments of :func:`~nof1.simulate.answers.simulate_answers`.
    fixed : bool
        Whether to analyse what does not depend on the effect (harms, blinding): only in
        the chunks of a design's first effect.
    """
    said = {}
    if fixed and (p.adverse_events or p.blinding_check is not None):
        events = p.model_copy(update={"adherence": None})
        said |= simulate_answers(events, allocations, rng[0], **answers)
    if p.adherence is not None:
        doses = p.model_copy(update={"adverse_events": [], "blinding_check": None})
        said |= simulate_answers(doses, allocations, rng[1], **(answers | {"rates": None}))
    unrecorded = np.isnan(trials.y)
    period = trials.period
    on = period > 0
    active = on & np.take_along_axis(
        np.concatenate([np.zeros((len(allocations), 1), bool), allocations], axis=1), period, 1
    )
    out: dict = {}
    if fixed and p.adverse_events:
        out["harms"] = _harms(p, said, unrecorded, period, active)
    if fixed and p.blinding_check is not None:
        out["blinding"] = _blinding(p, said[p.blinding_check.name], unrecorded, period, active)
    if p.adherence is not None:
        out["adherence"] = _adherence(p, said[p.adherence.name], unrecorded, trials, itt)
    return out


def _harms(p, said, unrecorded, period, active) -> dict:
    """Per event (then "any"): rejected at alpha, estimate, interval held the truth, ran."""
    # only the days of some treatment period (the others are never compared): less work
    days = np.flatnonzero((period > 0).any(axis=0))
    days = slice(days[0], days[-1] + 1) if days.size else slice(0, 0)
    period, active, unrecorded = period[:, days], active[:, days], unrecorded[:, days]
    events = [np.where(unrecorded, np.nan, said[e.name][:, days]) for e in p.adverse_events]
    rows = [*events, any_event(*events)]
    arm = np.where(period > 0, active.astype(np.int8), np.int8(-1))
    k = len(rows)
    d = rate_difference(
        np.concatenate(rows), np.tile(arm, (k, 1)), np.tile(period, (k, 1)), p.analysis.alpha
    )
    m = len(period)
    with np.errstate(invalid="ignore"):
        reject = (d.p_value <= p.analysis.alpha).reshape(k, m)
    return {
        "reject": reject,
        "estimate": d.estimate.reshape(k, m),
        "ci_low": d.ci_low.reshape(k, m),
        "ci_high": d.ci_high.reshape(k, m),
        "ran": np.array([r is None for r in d.reason]).reshape(k, m),
    }


def _blinding(p, guess, unrecorded, period, active) -> dict:
    """Per trial: right, wrong and unsure answers per arm (active, placebo)."""
    # asked on the last day of each period: compare only the days that are one in some
    # trial (fewer object cells to compare)
    last = np.flatnonzero(((period > 0) & (np.roll(period, -1, axis=1) != period)).any(axis=0))
    guess, active, unrecorded = guess[:, last], active[:, last], unrecorded[:, last]
    guess = np.where(unrecorded, None, guess)
    drug, placebo, unsure = (guess == a for a in ("drug", "placebo", "unsure"))
    on_placebo = ~active & (drug | placebo | unsure)  # an answer is only given in a period
    counts = {
        "right_active": (drug & active).sum(1),
        "wrong_active": (placebo & active).sum(1),
        "unsure_active": (unsure & active).sum(1),
        "right_placebo": (placebo & on_placebo).sum(1),
        "wrong_placebo": (drug & on_placebo).sum(1),
        "unsure_placebo": (unsure & on_placebo).sum(1),
    }
    return counts


def _adherence(p, taken, unrecorded, trials: Trials, itt) -> dict:
    """Per trial: periods, periods below the minimum, and the per-protocol rejection."""
    taken = np.where(unrecorded, np.nan, taken)
    period = trials.period
    m, top = len(period), p.n_periods + 1
    seen = np.isfinite(taken) & (period > 0)
    index = (np.arange(m)[:, None] * top + period)[seen]
    n = np.bincount(index, minlength=m * top).reshape(m, top)
    k = np.bincount(index, taken[seen], minlength=m * top).reshape(m, top)
    with np.errstate(invalid="ignore", divide="ignore"):
        below = (n > 0) & (k / np.maximum(n, 1) < p.adherence.per_protocol_min)
    below[:, 0] = False
    left_out = below.sum(1)
    out = {"periods": np.full(m, p.n_periods), "left_out": left_out}
    if itt is None:
        return out
    reject = np.asarray(itt.reject, dtype=bool).copy()
    failed = np.zeros(m, dtype=bool)
    rows = np.flatnonzero(left_out > 0)
    if rows.size:
        arm = np.where(np.take_along_axis(below, period, 1), np.int8(-1), trials.arm)[rows]
        left = ((arm == 1).any(1)) & ((arm == 0).any(1))
        failed[rows[~left]] = True
        reject[rows[~left]] = False  # nothing left to compare: counts as not rejecting
        rows, arm = rows[left], arm[left]
    if rows.size:
        method = registry.method(per_protocol_method(p))
        est = method.run(_subset(trials, rows, arm))
        reject[rows] = rejects(method, est.values, trials.alpha)
        failed[rows] = [r is not None for r in est.reason]
    out |= {"reject": reject, "failed": failed}
    return out


def _subset(trials: Trials, rows: np.ndarray, arm: np.ndarray) -> Trials:
    """The rows ``rows`` of ``trials`` comparing the days ``arm`` (no randomization
    reference: the per-protocol method never needs one)."""
    return Trials(
        y=trials.y[rows],
        day=trials.day,
        arm=arm,
        period=trials.period[rows],
        better=trials.better[rows],
        mcid=trials.mcid[rows],
        alpha=trials.alpha,
        n_grid=trials.n_grid,
        density=False,
        truth=trials.truth,
        cycle=None if trials.cycle is None else np.asarray(trials.cycle)[rows],
    )

"""Synthetic answer items for many trials at once: adverse events, adherence, guesses.

The outcome model (``nof1.simulate.outcomes``) is untouched: callers draw these from a
random stream of their own (:func:`answers_rng`), so that adding or changing an answer
item never moves an outcome value.

- **Adverse events**: a two-state Markov chain over calendar days per event. On a day
  whose condition is ``c`` (active on an active treatment day, placebo on every other
  day: baseline, placebo, washout and follow-up are off the drug) the chain's stationary
  probability is the event's rate ``p_c`` and its lag-1 autocorrelation ``persistence``
  (``rho``): P(yes | yes yesterday) = p + rho (1 - p), P(yes | no yesterday) = p (1 - rho).
  Day 1 is drawn from the stationary probability. ``rho`` = 0 is independent days.
- **Adherence**: on treatment days only (there is no study medication otherwise, so the
  item is left empty), the dose is missed with probability ``missed_dose_rate``,
  independently from day to day.
- **Guess**: on the days the blinding question is asked
  (:func:`nof1.design.timeline.blinding_check_days`) only: ``unsure`` with probability
  ``guess_unsure``, else the right treatment with probability ``guess_right``.

Simplifications: event rates are constant within a condition (LDN's vivid dreams and
insomnia come mostly in its first weeks), events are independent of each other and of
the outcomes, and a missed dose does not lower the effect.
"""

from __future__ import annotations

import numpy as np

from nof1.design.timeline import blinding_check_days
from nof1.protocol.model import Protocol

__all__ = [
    "DEFAULT_EVENT_RATE",
    "EVENT_RATES",
    "answers_rng",
    "event_rates",
    "simulate_answers",
]

#: LDN-like daily rates (placebo, active) of the shipped protocols' events: vivid dreams
#: clearly more often on LDN, insomnia a little, headache and nausea as on placebo
#: (the 2013 trial: tolerability equal to placebo, vivid dreams more often on LDN).
EVENT_RATES = {
    "vivid_dreams": (0.05, 0.20),
    "insomnia": (0.06, 0.10),
    "headache": (0.08, 0.08),
    "nausea": (0.03, 0.03),
}
#: (placebo, active) daily rate of an event not in :data:`EVENT_RATES`.
DEFAULT_EVENT_RATE = (0.05, 0.05)


def answers_rng(seed: int) -> np.random.Generator:
    """The random stream of the answer items for a simulation seeded ``seed``.

    The second child of ``SeedSequence(seed)``; the outcomes use the first, so the two
    streams are independent and the outcomes are what they were before answer items
    existed.

    Examples
    --------
    >>> float(answers_rng(7).random()) == float(answers_rng(7).random())
    True
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))


def event_rates(protocol: Protocol, given: dict | None = None) -> dict[str, tuple[float, float]]:
    """(placebo, active) daily rate of each of the protocol's adverse events.

    ``given`` (event name -> (placebo, active)) overrides :data:`EVENT_RATES`, which
    overrides :data:`DEFAULT_EVENT_RATE`.

    Raises
    ------
    ValueError
        A name in ``given`` that is not an event of the protocol, or a rate outside [0, 1].

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> event_rates(p, {"nausea": (0.1, 0.3)})["nausea"], event_rates(p)["vivid_dreams"]
    ((0.1, 0.3), (0.05, 0.2))
    """
    names = [e.name for e in protocol.adverse_events]
    given = dict(given or {})
    unknown = [n for n in given if n not in names]
    if unknown:
        raise ValueError(
            f"not an adverse event of protocol '{protocol.id}': {', '.join(unknown)} "
            f"(its events: {', '.join(names) or 'none'})"
        )
    out = {n: tuple(given.get(n, EVENT_RATES.get(n, DEFAULT_EVENT_RATE))) for n in names}
    for name, rates in out.items():
        if len(rates) != 2 or not all(0 <= r <= 1 for r in rates):
            raise ValueError(f"rates of '{name}' must be two probabilities in [0, 1], got {rates}")
    return out


def simulate_answers(
    protocol: Protocol,
    allocations,
    rng: np.random.Generator,
    *,
    rates: dict | None = None,
    persistence: float = 0.5,
    missed_dose_rate: float = 0.05,
    guess_right: float = 0.5,
    guess_unsure: float = 0.2,
) -> dict[str, np.ndarray]:
    """The protocol's answer items for ``m`` simulated trials at once.

    Parameters
    ----------
    protocol : Protocol
    allocations : array_like of bool, shape (m, n_periods) or (n_periods,)
        True for each active period; one row per trial.
    rng : numpy.random.Generator
        Their own stream (:func:`answers_rng`), not the outcomes'.
    rates : dict, optional
        Event name -> (placebo, active) daily rate (see :func:`event_rates`).
    persistence : float
        Lag-1 autocorrelation of every event's chain, in [0, 1).
    missed_dose_rate : float
        Daily probability of a missed dose on a treatment day, in [0, 1].
    guess_right : float
        Probability that a guess that is not "unsure" names the right treatment.
    guess_unsure : float
        Probability of answering "unsure", in [0, 1].

    Returns
    -------
    dict of str to numpy.ndarray, shape (m, total_days)
        By item name, in ``protocol.answer_items`` order: events and adherence as floats
        (1.0 yes, 0.0 no, NaN not asked), the guess as objects ("drug", "placebo",
        "unsure", or None on the days it is not asked).

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")
    >>> out = simulate_answers(p, [True, False] * 3, answers_rng(1))
    >>> list(out), out["guess"].shape
    (['vivid_dreams', 'insomnia', 'headache', 'nausea', 'dose_taken', 'guess'], (1, 182))
    >>> [g is not None for g in out["guess"][0]].count(True), int(np.isnan(out["dose_taken"]).sum())
    (6, 14)
    """
    if not 0 <= persistence < 1:
        raise ValueError(f"persistence must be in [0, 1), got {persistence}")
    for label, value in [
        ("missed_dose_rate", missed_dose_rate),
        ("guess_right", guess_right),
        ("guess_unsure", guess_unsure),
    ]:
        if not 0 <= value <= 1:
            raise ValueError(f"{label} must be in [0, 1], got {value}")
    allocations = np.atleast_2d(np.asarray(allocations, dtype=bool))
    m = len(allocations)
    active, treatment = _active_days(protocol, allocations)
    out: dict[str, np.ndarray] = {}
    for name, (p_placebo, p_active) in event_rates(protocol, rates).items():
        out[name] = _markov(np.where(active, p_active, p_placebo), persistence, rng)
    if protocol.adherence is not None:
        taken = (rng.random(active.shape) >= missed_dose_rate).astype(float)
        out[protocol.adherence.name] = np.where(treatment, taken, np.nan)
    if protocol.blinding_check is not None:
        guesses = np.full(active.shape, None, dtype=object)
        draws = rng.random((m, protocol.n_periods, 2))
        days_of: dict[bytes, np.ndarray] = {}  # the days depend on the allocation only
        for i in range(m):
            key = allocations[i].tobytes()
            if key not in days_of:
                days_of[key] = np.array(blinding_check_days(protocol, allocations[i])) - 1
            days = days_of[key]
            # P(drug) = guess_right on active, 1 - guess_right on placebo: at chance (0.5)
            # the guesses do not depend on the allocation at all.
            p_drug = np.where(allocations[i], guess_right, 1 - guess_right)
            said = np.where(draws[i, :, 1] < p_drug, "drug", "placebo").astype(object)
            said[draws[i, :, 0] < guess_unsure] = "unsure"
            guesses[i, days] = said
        out[protocol.blinding_check.name] = guesses
    return out


def _active_days(protocol: Protocol, allocations: np.ndarray):
    """Bool (m, total_days): on an active treatment day; and on any treatment day."""
    from nof1.design.timeline import period_bounds

    first, last = period_bounds(protocol, allocations)
    day = np.arange(1, protocol.total_days + 1)
    active = np.zeros((len(allocations), protocol.total_days), dtype=bool)
    treatment = np.zeros_like(active)
    for p in range(allocations.shape[1]):
        inside = (day >= first[:, p : p + 1]) & (day <= last[:, p : p + 1])
        treatment |= inside
        active |= inside & allocations[:, p : p + 1]
    return active, treatment


def _markov(p: np.ndarray, rho: float, rng: np.random.Generator) -> np.ndarray:
    """A two-state chain per row with stationary probability ``p[:, d]`` on day ``d``
    and lag-1 autocorrelation ``rho``; loops over days, vectorized over rows."""
    u = rng.random(p.shape)
    out = np.empty(p.shape)
    state = u[:, 0] < p[:, 0]
    out[:, 0] = state
    for d in range(1, p.shape[1]):
        q = np.where(state, p[:, d] + rho * (1 - p[:, d]), p[:, d] * (1 - rho))
        state = u[:, d] < q
        out[:, d] = state
    return out

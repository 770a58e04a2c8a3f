"""The simulator's parameters: checked, and turned into each outcome's units."""

from __future__ import annotations

import numpy as np

from nof1.errors import Nof1Error
from nof1.protocol.model import Protocol

__all__ = [
    "as_allocations",
    "baseline_levels",
    "check_range",
    "known_outcomes",
    "outcome_effects",
    "outcome_scale",
]

# Default baselines: a symptomatic patient, 60% of the way towards the bad end of each
# scale (pain 60 and sleep quality 40 on 0-100), leaving room to improve and to worsen.
_BASELINE_SHARE = 0.6


def baseline_levels(protocol: Protocol, overrides: dict | None = None) -> dict[str, float]:
    """Each outcome's expected level before treatment.

    Parameters
    ----------
    protocol : Protocol
    overrides : dict, optional
        Outcome name -> level, replacing the default for that outcome.

    Returns
    -------
    dict
        Outcome name -> level. The default is 60% of the way from the better end of
        the range to the worse end: 60 for pain (lower is better) and 40 for sleep
        quality (higher is better) on 0-100.

    Raises
    ------
    Nof1Error
        An override names an unknown outcome or lies outside the outcome's range.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> baseline_levels(load_protocol("ldn-fibromyalgia-2013"), {"mood": 55})
    {'pain': 60.0, 'fatigue': 60.0, 'sleep_quality': 40.0, 'mood': 55.0, 'life_satisfaction': 40.0}
    """
    overrides = dict(overrides or {})
    names = [o.name for o in protocol.outcomes]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise Nof1Error(
            f"baseline: unknown outcome {', '.join(unknown)} (outcomes are: {', '.join(names)})"
        )
    levels = {}
    for o in protocol.outcomes:
        worse = o.max if o.better == "lower" else o.min
        better = o.min if o.better == "lower" else o.max
        level = float(overrides.get(o.name, better + _BASELINE_SHARE * (worse - better)))
        if not o.min <= level <= o.max:
            raise Nof1Error(
                f"baseline for {o.name}: {level:g} is outside its range {o.min:g} to {o.max:g}"
            )
        levels[o.name] = level
    return levels


def outcome_effects(
    protocol: Protocol, effect: float, secondary_fraction: float = 0.5
) -> dict[str, float]:
    """The full treatment effect (active minus placebo) on each outcome.

    Parameters
    ----------
    protocol : Protocol
    effect : float
        Active minus placebo on the primary outcome, in its units (-10: pain 10 lower).
    secondary_fraction : float
        Share of the primary outcome's benefit that each secondary outcome gets.

    Returns
    -------
    dict
        Outcome name -> effect in that outcome's units. A secondary outcome's effect is
        ``effect * secondary_fraction * range_o / range_primary``, with its sign flipped
        when its better direction differs from the primary's.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> outcome_effects(load_protocol("ldn-fibromyalgia-2013"), -10)
    {'pain': -10.0, 'fatigue': -5.0, 'sleep_quality': 5.0, 'mood': 5.0, 'life_satisfaction': 5.0}
    """
    primary = protocol.primary_outcome
    return {
        o.name: float(effect)
        * (1.0 if o.primary else secondary_fraction)
        * outcome_scale(primary, o)
        for o in protocol.outcomes
    }


def outcome_scale(primary, outcome) -> float:
    """Primary-outcome units to ``outcome`` units, signed so that better maps to better."""
    sign = 1.0 if outcome.better == primary.better else -1.0
    return sign * (outcome.max - outcome.min) / (primary.max - primary.min)


def known_outcomes(protocol: Protocol, names: list[str] | None) -> list[str]:
    """``names`` in protocol order (all outcomes when None), refusing unknown ones."""
    all_names = [o.name for o in protocol.outcomes]
    if names is None:
        return all_names
    unknown = sorted(set(names) - set(all_names))
    if unknown:
        raise Nof1Error(
            f"outcomes: unknown {', '.join(unknown)} (outcomes are: {', '.join(all_names)})"
        )
    return [n for n in all_names if n in names]


def as_allocations(protocol: Protocol, allocations) -> np.ndarray:
    allocations = np.atleast_2d(np.asarray(allocations, dtype=bool))
    if allocations.ndim != 2 or allocations.shape[1] != protocol.n_periods:
        raise Nof1Error(
            f"allocations: need shape (m, {protocol.n_periods}) for {protocol.id}, "
            f"got {allocations.shape}"
        )
    return allocations


def check_range(name, value, low=None, high=None, open_low=False, open_high=False) -> None:
    """Raise a Nof1Error naming ``name`` unless ``value`` is finite and in range."""
    value = float(value)
    too_low = low is not None and (value <= low if open_low else value < low)
    too_high = high is not None and (value >= high if open_high else value > high)
    if not np.isfinite(value) or too_low or too_high:
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if open_low else '>='} {low:g}")
        if high is not None:
            bounds.append(f"{'<' if open_high else '<='} {high:g}")
        need = " ".join(["a finite number", " and ".join(bounds)]).strip()
        raise Nof1Error(f"{name} must be {need}, got {value:g}")

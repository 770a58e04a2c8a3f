"""Daily outcomes for many simulated trials at once: levels, AR(1) noise, missing days."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from nof1.protocol.model import Protocol
from nof1.simulate.effect import true_effect
from nof1.simulate.parameters import baseline_levels, check_range, known_outcomes, outcome_scale

__all__ = ["simulate_outcomes"]


def simulate_outcomes(
    protocol: Protocol,
    allocations,
    effect: float,
    sd: float,
    phi: float,
    trend: float = 0.0,
    onset_half_life: float = 0.0,
    offset_half_life: float = 0.0,
    missing: float = 0.0,
    *,
    effect_sd: float = 0.0,
    secondary_fraction: float = 0.5,
    baseline: dict | None = None,
    outcomes: list[str] | None = None,
    integer: bool = True,
    rng=None,
) -> dict[str, np.ndarray]:
    """Daily outcomes for ``m`` simulated trials at once.

    Parameters
    ----------
    protocol : Protocol
    allocations : array_like of bool, shape (m, n_periods) or (n_periods,)
        True for each active period; one row per trial.
    effect : float
        Active minus placebo on the primary outcome, in its units (-10: pain 10 lower).
    sd : float
        Marginal sd of the day-to-day noise on the primary outcome (>= 0).
    phi : float
        Lag-1 autocorrelation of the noise over calendar days, in (-1, 1).
    trend : float
        Drift per day on the primary outcome (secondaries drift the same way for the
        patient: worse when the primary gets worse).
    onset_half_life, offset_half_life : float
        Days for the effect to build up to half / to decay by half (0 = instant).
    missing : float
        Probability that a whole diary day is missing, in [0, 1).
    effect_sd : float
        Between-trial sd of the primary effect: each trial (patient) draws its own
        effect from N(effect, effect_sd^2). 0 = the same effect for all.
    secondary_fraction : float
        Share of the primary benefit each secondary outcome gets (see
        :func:`outcome_effects`).
    baseline : dict, optional
        Outcome name -> baseline level (see :func:`baseline_levels`).
    outcomes : list of str, optional
        Simulate only these outcomes (power analysis may need only the primary one).
    integer : bool
        Round to whole numbers, as a 0-100 diary would.
    rng : numpy.random.Generator or int, optional
        The source of randomness (or a seed): the same one gives the same arrays.

    Returns
    -------
    dict
        Outcome name -> float array of shape (m, total_days), NaN on missing days (the
        same days for every outcome), within the outcome's range.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-fibromyalgia-2013")  # 14 d baseline, 28 d placebo, 84 d LDN
    >>> y = simulate_outcomes(p, [[False, True]] * 2, effect=-10, sd=0, phi=0, rng=1)
    >>> y["pain"].shape, y["pain"][0, [0, 20, 60]].tolist(), y["sleep_quality"][1, 60]
    ((2, 154), [60.0, 60.0, 50.0], np.float64(45.0))
    """
    check_range("sd", sd, low=0)
    check_range("effect_sd", effect_sd, low=0)
    check_range("phi", phi, low=-1, high=1, open_low=True, open_high=True)
    check_range("missing", missing, low=0, high=1, open_high=True)
    check_range("secondary_fraction", secondary_fraction)
    check_range("effect", effect)
    check_range("trend", trend)
    rng = np.random.default_rng(rng)
    level = true_effect(protocol, allocations, 1.0, onset_half_life, offset_half_life)
    m, n = level.shape
    levels = baseline_levels(protocol, baseline)
    wanted = [protocol.outcome(name) for name in known_outcomes(protocol, outcomes)]
    # Draw in a fixed order (effects, noise per outcome, missing days) so that changing
    # one parameter leaves the other draws alone.
    effects = effect + effect_sd * rng.standard_normal((m, 1))
    primary = protocol.primary_outcome
    days = np.arange(n)
    out = {}
    for o in wanted:
        scale = outcome_scale(primary, o)
        full = effects * scale * (1.0 if o.primary else secondary_fraction)
        y = levels[o.name] + full * level + trend * scale * days
        y = y + _ar1_noise(rng, (m, n), sd * abs(scale), phi)
        out[o.name] = np.clip(np.rint(y) if integer else y, o.min, o.max)
    gone = rng.random((m, n)) < missing
    for y in out.values():
        y[gone] = np.nan
    return out


def _ar1_noise(rng: np.random.Generator, shape: tuple[int, int], sd: float, phi: float):
    """Stationary AR(1) noise along the last axis: e_d = phi e_(d-1) + innovation."""
    z = rng.standard_normal(shape)
    innovations = z * (sd * np.sqrt(1.0 - phi**2))
    innovations[:, 0] = z[:, 0] * sd  # day 1 drawn from the stationary distribution
    return lfilter([1.0], [1.0, -phi], innovations, axis=1)

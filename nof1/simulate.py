"""Synthetic daily outcomes on a protocol's own timeline (DESIGN.md section 7).

One model serves power analysis (thousands of trials at once) and ``nof1 simulate``
(diaries for sample data). For outcome ``o`` on calendar day ``d`` of trial ``i``::

    y[i, d] = baseline_o + effect_o * level[i, d] + trend_o * (d - 1) + e[i, d]

- ``level`` is the share of the full treatment effect present that day: 0 before the
  first active period, building up as 1 - 2^(-t / onset_half_life) on the t-th day of an
  active period and decaying as 2^(-t / offset_half_life) t days after it ends, so slow
  onset and carryover into the next period are real (half-life 0 = instant).
- ``e`` is stationary Gaussian AR(1) noise over calendar days: lag-1 correlation ``phi``,
  marginal sd ``sd``.
- ``effect`` is active minus placebo on the primary outcome. A secondary outcome gets
  ``secondary_fraction`` of it, oriented by its ``better`` direction (a benefit on pain is
  a benefit on sleep quality too) and scaled by the ratio of the outcome ranges;
  ``trend`` is scaled and oriented the same way, ``sd`` only scaled.
- Values are rounded to whole numbers and clipped to the outcome's range, as a 0-100
  diary would be; whole days go missing at random with probability ``missing``.

Simplifications: noise is independent across outcomes (real diaries correlate pain and
fatigue), and the effect does not follow the titration steps (the onset half-life stands
in for the dose ramp).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from scipy.signal import lfilter

from nof1.design.blinding import PatientSchedule, draw_schedules
from nof1.design.timeline import segments
from nof1.errors import Nof1Error
from nof1.protocol.load import ProtocolFile
from nof1.protocol.model import Protocol

__all__ = [
    "baseline_levels",
    "outcome_effects",
    "simulate_diaries",
    "simulate_outcomes",
    "true_effect",
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
        o.name: float(effect) * (1.0 if o.primary else secondary_fraction) * _scale(primary, o)
        for o in protocol.outcomes
    }


def true_effect(
    protocol: Protocol,
    allocations,
    effect: float,
    onset_half_life: float = 0.0,
    offset_half_life: float = 0.0,
) -> np.ndarray:
    """The treatment effect on the primary outcome on each day, without noise.

    Parameters
    ----------
    protocol : Protocol
    allocations : array_like of bool, shape (m, n_periods) or (n_periods,)
        True for each active period (see ``nof1.design.allocation``).
    effect : float
        The full effect, active minus placebo, in primary-outcome units.
    onset_half_life, offset_half_life : float
        Days for the effect to build up to half, and to decay by half after an active
        period ends; 0 = instant.

    Returns
    -------
    numpy.ndarray, shape (m, total_days)
        ``effect`` times the share of the effect present on each day (see the module
        notes). For a secondary outcome multiply by ``outcome_effects(...)[name] / effect``.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")  # baseline 14 d, then 28-day periods
    >>> e = true_effect(p, [True, False] * 3, -10, onset_half_life=7, offset_half_life=3)
    >>> e.shape, bool(e[0, :14].any())  # nothing during baseline
    ((1, 182), False)
    >>> e[0, [14 + 6, 14 + 27, 42 + 2]].round(1).tolist()  # day 7 and 28 of LDN, 3 days after
    [-5.0, -9.4, -4.7]
    """
    allocations = _as_allocations(protocol, allocations)
    _check_range("onset_half_life", onset_half_life, low=0)
    _check_range("offset_half_life", offset_half_life, low=0)
    # The level depends only on the allocation: compute it once per distinct allocation.
    unique, inverse = np.unique(allocations, axis=0, return_inverse=True)
    on = np.zeros((len(unique), protocol.total_days), dtype=bool)
    for row, allocation in zip(on, unique, strict=True):
        for seg in segments(protocol, allocation):
            if seg.treatment == "active":
                row[seg.first_day - 1 : seg.last_day] = True
    keep_on, keep_off = _retention(onset_half_life), _retention(offset_half_life)
    level = np.zeros(len(unique))
    levels = np.empty(on.shape)
    for day in range(on.shape[1]):
        # Each active day closes part of the gap to the full effect; each other day
        # loses part of what is left: exactly the half-life curves, and carryover.
        level = np.where(on[:, day], 1.0 - (1.0 - level) * keep_on, level * keep_off)
        levels[:, day] = level
    return float(effect) * levels[inverse.reshape(-1)]


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
    _check_range("sd", sd, low=0)
    _check_range("effect_sd", effect_sd, low=0)
    _check_range("phi", phi, low=-1, high=1, open_low=True, open_high=True)
    _check_range("missing", missing, low=0, high=1, open_high=True)
    _check_range("secondary_fraction", secondary_fraction)
    _check_range("effect", effect)
    _check_range("trend", trend)
    rng = np.random.default_rng(rng)
    level = true_effect(protocol, allocations, 1.0, onset_half_life, offset_half_life)
    m, n = level.shape
    levels = baseline_levels(protocol, baseline)
    wanted = [protocol.outcome(name) for name in _known(protocol, outcomes)]
    # Draw in a fixed order (effects, noise per outcome, missing days) so that changing
    # one parameter leaves the other draws alone.
    effects = effect + effect_sd * rng.standard_normal((m, 1))
    primary = protocol.primary_outcome
    days = np.arange(n)
    out = {}
    for o in wanted:
        scale = _scale(primary, o)
        full = effects * scale * (1.0 if o.primary else secondary_fraction)
        y = levels[o.name] + full * level + trend * scale * days
        y = y + _ar1_noise(rng, (m, n), sd * abs(scale), phi)
        out[o.name] = np.clip(np.rint(y) if integer else y, o.min, o.max)
    gone = rng.random((m, n)) < missing
    for y in out.values():
        y[gone] = np.nan
    return out


def simulate_diaries(
    pf: ProtocolFile,
    ids: list[str],
    start: dt.date,
    seed: int,
    secret: str | None = None,
    **params,
) -> list[tuple[PatientSchedule, object]]:
    """Schedules and synthetic wide diaries for one patient or a series.

    The schedules are those ``nof1 schedule`` draws for the same protocol, ids, start,
    seed and secret (:func:`nof1.design.blinding.draw_schedules`; a fresh secret when
    none is given); the outcomes come from a separate stream spawned from the seed.

    Parameters
    ----------
    pf : ProtocolFile
    ids : list of str
        Patient ids.
    start : datetime.date
        Date of day 1.
    seed : int
    secret : str, optional
        The schedule's secret (64 hex digits; see :func:`~nof1.design.blinding.new_secret`).
    **params
        Keyword arguments of :func:`simulate_outcomes` (``effect``, ``sd`` and ``phi``
        at least), except ``rng``.

    Returns
    -------
    list of (PatientSchedule, pandas.DataFrame)
        Per patient, the schedule and a diary with the diary template's columns
        (``patient_id``, ``date``, ``day``, one per outcome, ``note``): one row per day,
        missing values as NA (empty cells in a CSV).

    Examples
    --------
    >>> from nof1.protocol import read_protocol
    >>> pairs = simulate_diaries(read_protocol("ldn-nof1-multicycle"), ["P01"],
    ...                          dt.date(2026, 1, 5), seed=7, effect=-10, sd=12, phi=0.5)
    >>> schedule, diary = pairs[0]
    >>> list(diary.columns)
    ['patient_id', 'date', 'day', 'pain', 'fatigue', 'sleep_quality', 'mood',
     'life_satisfaction', 'note']
    >>> len(diary), str(diary["date"].iloc[0])
    (182, '2026-01-05')
    """
    import pandas as pd

    schedules = draw_schedules(pf, ids, start, seed, secret)
    allocations = np.array([s.allocation for s in schedules])
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    values = simulate_outcomes(pf.protocol, allocations, rng=rng, **params)
    dtype = "Int64" if params.get("integer", True) else "Float64"
    pairs = []
    for i, s in enumerate(schedules):
        diary = pd.DataFrame(
            {"patient_id": s.patient_id, "date": s.timeline["date"], "day": s.timeline["day"]}
        )
        for name, y in values.items():
            diary[name] = pd.array(y[i], dtype="Float64").astype(dtype)
        diary["note"] = ""
        pairs.append((s, diary))
    return pairs


def _scale(primary, outcome) -> float:
    """Primary-outcome units to ``outcome`` units, signed so that better maps to better."""
    sign = 1.0 if outcome.better == primary.better else -1.0
    return sign * (outcome.max - outcome.min) / (primary.max - primary.min)


def _retention(half_life: float) -> float:
    """Share of the remaining gap (or effect) kept from one day to the next."""
    return 0.0 if half_life == 0 else 2.0 ** (-1.0 / half_life)


def _ar1_noise(rng: np.random.Generator, shape: tuple[int, int], sd: float, phi: float):
    """Stationary AR(1) noise along the last axis: e_d = phi e_(d-1) + innovation."""
    z = rng.standard_normal(shape)
    innovations = z * (sd * np.sqrt(1.0 - phi**2))
    innovations[:, 0] = z[:, 0] * sd  # day 1 drawn from the stationary distribution
    return lfilter([1.0], [1.0, -phi], innovations, axis=1)


def _known(protocol: Protocol, names: list[str] | None) -> list[str]:
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


def _as_allocations(protocol: Protocol, allocations) -> np.ndarray:
    allocations = np.atleast_2d(np.asarray(allocations, dtype=bool))
    if allocations.ndim != 2 or allocations.shape[1] != protocol.n_periods:
        raise Nof1Error(
            f"allocations: need shape (m, {protocol.n_periods}) for {protocol.id}, "
            f"got {allocations.shape}"
        )
    return allocations


def _check_range(name, value, low=None, high=None, open_low=False, open_high=False) -> None:
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

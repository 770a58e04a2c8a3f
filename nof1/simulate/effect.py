"""The treatment effect on each day without noise: onset, and carryover after a period."""

from __future__ import annotations

import numpy as np

from nof1.design.timeline import period_bounds
from nof1.protocol.model import Protocol
from nof1.simulate.parameters import as_allocations, check_range

__all__ = ["true_effect"]


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
    allocations = as_allocations(protocol, allocations)
    check_range("onset_half_life", onset_half_life, low=0)
    check_range("offset_half_life", offset_half_life, low=0)
    # The level depends only on the allocation: compute it once per distinct allocation.
    unique, inverse = np.unique(allocations, axis=0, return_inverse=True)
    first, last = period_bounds(protocol, unique)
    day = np.arange(1, protocol.total_days + 1)
    on = np.zeros((len(unique), protocol.total_days), dtype=bool)
    for p in range(protocol.n_periods):  # the active periods' days
        on |= unique[:, p : p + 1] & (day >= first[:, p : p + 1]) & (day <= last[:, p : p + 1])
    keep_on, keep_off = _retention(onset_half_life), _retention(offset_half_life)
    level = np.zeros(len(unique))
    levels = np.empty(on.shape)
    for day in range(on.shape[1]):
        # Each active day closes part of the gap to the full effect; each other day
        # loses part of what is left: exactly the half-life curves, and carryover.
        level = np.where(on[:, day], 1.0 - (1.0 - level) * keep_on, level * keep_off)
        levels[:, day] = level
    return float(effect) * levels[inverse.reshape(-1)]


def _retention(half_life: float) -> float:
    """Share of the remaining gap (or effect) kept from one day to the next."""
    return 0.0 if half_life == 0 else 2.0 ** (-1.0 / half_life)

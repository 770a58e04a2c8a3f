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

from nof1.simulate.diaries import simulate_diaries
from nof1.simulate.effect import true_effect
from nof1.simulate.outcomes import simulate_outcomes
from nof1.simulate.parameters import baseline_levels, check_range, outcome_effects

__all__ = [
    "baseline_levels",
    "check_range",
    "outcome_effects",
    "simulate_diaries",
    "simulate_outcomes",
    "true_effect",
]

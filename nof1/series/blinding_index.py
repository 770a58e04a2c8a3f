"""James' blinding index of a guess table (Bang's per arm is :mod:`nof1.analysis.blinding`).

A blinding question asks, at the end of a treatment period, "which do you think you took?"
with the answers ``drug``, ``placebo`` and ``unsure``. Pooled over periods (and patients),
the answers make a 3 x 2 table: the guess (drug, placebo, don't know) by the condition
actually taken (treated, control).

- :func:`nof1.analysis.blinding.bang_index`: Bang, Ni and Davis (2004), one arm at a
  time: (correct - incorrect) / n, 1 = every answer right (unblinded), 0 = as right as
  wrong (random guessing), -1 = every answer wrong; the same function per patient and
  across patients.
- :func:`james_index`: James, Bloch, Lee, Kraemer and Fuller (1996), both arms together:
  0 = complete unblinding, 0.5 = random guessing, 1 = complete blinding (everyone unsure);
  "don't know" answers count towards blinding. With the variance of the paper and a Wald
  interval.

Both are the indices of the R package BI (not in Debian); the reference values of the tests
are computed from the published formulas in ``tests/reference/blinding_reference.R``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import numpy as np

from nof1.schemas.records import Json, Record, entry

__all__ = ["JamesIndex", "james_index"]

# James' disagreement weights of the 2 x 2 part of the table (guess x arm): a right guess
# weighs 0, a wrong one 0.5 (the paper's default); "don't know" enters through P_DK.
_JAMES_WEIGHTS = np.array([[0.0, 0.5], [0.5, 0.0]])


@dataclass(frozen=True)
class JamesIndex(Record):
    """James' blinding index of a whole guess table, with its Wald interval."""

    n: Annotated[int, Json(minimum=0)] = entry(description="Answers (unsure too).")
    unsure_share: float | None = entry(None, description="P_DK, the share of 'unsure'.")
    estimate: float | None = entry(
        None,
        description="0 = complete unblinding, 0.5 = random guessing, 1 = complete blinding.",
    )
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None


def james_index(table, alpha: float = 0.05) -> JamesIndex:
    """James' blinding index of a 3 x 2 guess table (James et al. 1996).

    Parameters
    ----------
    table : array_like, shape (3, 2)
        Counts: rows the guess (treated, control, don't know), columns the arm (treated,
        control). A 2 x 2 table has no "don't know".
    alpha : float
        The interval has level 1 - alpha.

    Returns
    -------
    JamesIndex
        ``n``, ``unsure_share``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``reason``
        (None when it ran; not when nobody answered, or when everyone who guessed named the
        same condition and was on it). Everyone "don't know" is complete blinding: 1, se 0.

    Notes
    -----
    With ``p_ij = n_ij / N`` (i the guess, j the arm), ``P_DK = p_3.`` the share of "don't
    know", ``p_i.`` the guess margins and ``q_j = p_.j - p_3j`` the arm margins among those
    who guessed, and disagreement weights ``w_ij`` (0 right, 1/2 wrong), over i, j in
    {1, 2}::

        P_o = sum w_ij p_ij / (1 - P_DK)
        P_e = sum w_ij p_i. q_j / (1 - P_DK)^2
        k_d = (P_o - P_e) / P_e
        BI  = (1 + P_DK + (1 - P_DK) k_d) / 2

    so random guessing (P_o = P_e) gives (1 + P_DK) / 2, 0.5 without "don't know". The
    large-sample variance of the paper, with ``W = sum w_ij p_i. q_j``::

        V1  = sum p_ij (1 - P_DK)^2 [(1 - P_DK) w_ij
                - (1 + k_d) sum_r (w_rj p_r. + w_ir q_r)]^2 / (4 W^2)
        V2  = P_DK (1 - P_DK) - (1 - P_DK) (1 + k_d) (P_DK + (1 - P_DK) (1 + k_d) / 4)
        Var = (V1 + V2) / N

    and the interval is ``BI ± z_{1-alpha/2} sqrt(Var)``, kept within [0, 1] (as Bang's
    within [-1, 1]; null when Var is 0: every answer right, or every answer "don't know").
    Answers pooled from several periods of one patient are counted as separate answers, as
    the paper pools the answers of several centres.

    References
    ----------
    James KE, Bloch DA, Lee KK, Kraemer HC, Fuller RK. An index for assessing blindness in
    a multi-centre clinical trial: disulfiram for alcohol cessation - a VA cooperative
    study. Stat Med 1996;15:1421-1434.

    Examples
    --------
    >>> j = james_index([[48, 22], [4, 30], [330, 319]])  # the BI package's example
    >>> round(j.estimate, 3), round(j.se, 3)
    (0.896, 0.011)
    """
    from scipy.stats import norm

    x = np.asarray(table, dtype=float)
    if x.shape == (2, 2):
        x = np.vstack([x, [0.0, 0.0]])
    if x.shape != (3, 2) or (x < 0).any():
        raise ValueError("table must be 3 x 2 (or 2 x 2) counts >= 0")
    n = int(x.sum())
    if n == 0:
        return JamesIndex(0, reason="nobody answered the blinding question")
    p = x / n
    pdk = float(p[2].sum())
    guessed = p[:2]
    rows, cols = guessed.sum(axis=1), guessed.sum(axis=0)  # p_i., q_j
    if pdk == 1:
        return JamesIndex(n, 1.0, 1.0, 0.0)  # no interval, as Bang's index of equal answers
    w = _JAMES_WEIGHTS
    expected = float((w * np.outer(rows, cols)).sum())  # W
    if expected == 0:
        return JamesIndex(
            n, pdk, reason="everyone who guessed named the same condition and was on it"
        )
    p_o = float((w * guessed).sum()) / (1 - pdk)
    p_e = expected / (1 - pdk) ** 2
    kd = (p_o - p_e) / p_e
    estimate = (1 + pdk + (1 - pdk) * kd) / 2
    # sum_r (w_rj p_r. + w_ir q_r), for every i, j
    extra = (w * rows[:, None]).sum(axis=0)[None, :] + (w * cols[None, :]).sum(axis=1)[:, None]
    v1 = float(
        (guessed * (1 - pdk) ** 2 * ((1 - pdk) * w - (1 + kd) * extra) ** 2).sum()
        / (4 * expected**2)
    )
    v2 = pdk * (1 - pdk) - (1 - pdk) * (1 + kd) * (pdk + (1 - pdk) * (1 + kd) / 4)
    var = (v1 + v2) / n
    if not var >= 0:
        return JamesIndex(n, pdk, estimate, reason="the variance estimate is negative")
    se = math.sqrt(var)
    if se == 0:  # e.g. every guess right: the interval is not defined
        return JamesIndex(n, pdk, estimate, se)
    z = float(norm.ppf(1 - alpha / 2))
    low, high = max(estimate - z * se, 0.0), min(estimate + z * se, 1.0)
    return JamesIndex(n, pdk, estimate, se, low, high)

"""The AR(1) fits of the per-patient analysis, for one patient or for many at once.

Per outcome the analysis fits the GLS AR(1) model four times: ``gls_ar1``,
``gls_ar1_trend`` and ``bayes_ar1`` on the compared days (included days of the treated
and the control condition), and ``gls_ar1`` of each condition's included days against
the baseline days (``vs_baseline``). They take most of a patient's analysis time.

:func:`fit_patient` calls the single-series fitters (:mod:`nof1.analysis.ar1`,
:mod:`nof1.analysis.bayes`). :func:`fit_patients` puts every patient and outcome on one
day grid, a row per series with NaN on the days it does not use, and fits each model once
with the batched fitters (:mod:`nof1.analysis.ar1_batch`,
:mod:`nof1.analysis.bayes_batch`): the same model, likelihood and search, so the same
numbers to rounding (typically 1e-12, at most about 1e-10 relative: both stop the search
for phi at 1e-10), in a fraction of the time. Both select the days of each series with
the same :class:`~nof1.analysis.days.PatientDays` masks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nof1.analysis.days import PatientDays
from nof1.analysis.effect import Effect
from nof1.protocol.model import Protocol

__all__ = ["OutcomeFits", "fit_patient", "fit_patients"]


class OutcomeFits(NamedTuple):
    """The AR(1) effects of one outcome of one patient (treated minus control).

    ``vs_baseline`` maps each compared condition, in sorted order, to the ``gls_ar1``
    effect of its included days against the baseline days.
    """

    gls_ar1: Effect
    gls_ar1_trend: Effect
    bayes_ar1: Effect
    vs_baseline: dict[str, Effect]


def fit_patient(
    days: PatientDays, protocol: Protocol, treated: str, control: str
) -> list[OutcomeFits]:
    """The AR(1) effects of every outcome of one patient, by the single-series fitters.

    Parameters
    ----------
    days : PatientDays
    protocol : Protocol
        Its outcomes (name, better, mcid) and alpha.
    treated, control : str
        The conditions compared (``active``/``placebo``, or ``B``/``A`` when blinded).

    Returns
    -------
    list of OutcomeFits
        In protocol order.
    """
    from nof1.analysis.ar1 import gls_ar1, gls_ar1_trend
    from nof1.analysis.bayes import bayes_ar1

    alpha = protocol.analysis.alpha
    out = []
    for o in protocol.outcomes:
        y, day, is_treated = days.series(days.compared(o.name, treated, control), o.name, treated)
        vs_baseline = {
            c: gls_ar1(*days.series(days.vs_baseline(o.name, c), o.name, c), alpha)
            for c in sorted([treated, control])
        }
        out.append(
            OutcomeFits(
                gls_ar1(y, day, is_treated, alpha),
                gls_ar1_trend(y, day, is_treated, alpha),
                bayes_ar1(y, day, is_treated, o.better, o.mcid, alpha),
                vs_baseline,
            )
        )
    return out


def fit_patients(
    patients: list[tuple[PatientDays, str, str]], protocol: Protocol
) -> list[list[OutcomeFits]]:
    """:func:`fit_patient` for many patients at once, by the batched fitters.

    Parameters
    ----------
    patients : list of (PatientDays, treated, control)
    protocol : Protocol

    Returns
    -------
    list of list of OutcomeFits
        Per patient, per outcome in protocol order; equal to :func:`fit_patient`'s to
        rounding (the tests check 1e-9).

    Notes
    -----
    Rows are (patient, outcome) series on the grid of days from the earliest to the
    latest day of any patient (diaries aligned by their own condition column may differ
    in length: shorter ones are padded with unused days). The compared days give one
    :class:`~nof1.analysis.ar1_batch.Ar1Batch` for ``gls_ar1`` and, through its REML
    pieces, ``bayes_ar1``; a second with a day term gives ``gls_ar1_trend``; the two
    vs-baseline comparisons per outcome are the rows of a third.
    """
    from nof1.analysis.ar1_batch import Ar1Batch
    from nof1.analysis.bayes_batch import bayes_effects, posterior_ar1_batch

    if not patients:
        return []
    alpha = protocol.analysis.alpha
    outcomes = protocol.outcomes
    k = len(outcomes)
    every_day = np.concatenate([d.day for d, _, _ in patients])
    first = int(every_day.min(initial=1))
    grid = np.arange(first, int(every_day.max(initial=first)) + 1)
    shape = (len(patients) * k, grid.size)
    Y, treat = np.full(shape, np.nan), np.zeros(shape)
    Yb, treat_b = np.full((2 * shape[0], grid.size), np.nan), np.zeros((2 * shape[0], grid.size))
    for i, (days, treated, control) in enumerate(patients):
        column = days.day - first
        for j, o in enumerate(outcomes):
            row = i * k + j
            _put(Y, treat, row, column, days, days.compared(o.name, treated, control), o, treated)
            for h, c in enumerate(sorted([treated, control])):
                _put(Yb, treat_b, 2 * row + h, column, days, days.vs_baseline(o.name, c), o, c)

    compared = Ar1Batch(Y, grid, treat)
    gls = compared.fit(alpha)
    trend = Ar1Batch(Y, grid, treat, trend=True).fit(alpha)
    better = [o.better for o in outcomes] * len(patients)
    mcid = [o.mcid for o in outcomes] * len(patients)
    bayes = bayes_effects(posterior_ar1_batch(compared), better, mcid, alpha)
    baseline = Ar1Batch(Yb, grid, treat_b).fit(alpha)

    out = []
    for i, (_, treated, control) in enumerate(patients):
        fits = []
        for row in range(i * k, (i + 1) * k):
            vs_baseline = {
                c: baseline.effect(2 * row + h) for h, c in enumerate(sorted([treated, control]))
            }
            fits.append(
                OutcomeFits(
                    gls.effect(row),
                    trend.effect(row, "gls_ar1_trend"),
                    bayes[row],
                    vs_baseline,
                )
            )
        out.append(fits)
    return out


def _put(Y, treat, row, column, days: PatientDays, rows, outcome, condition: str) -> None:
    """Row ``row`` of the batch: the outcome on the days ``rows``, 1 where ``condition``."""
    y, _, is_condition = days.series(rows, outcome.name, condition)
    Y[row, column[rows]] = y
    treat[row, column[rows]] = is_condition

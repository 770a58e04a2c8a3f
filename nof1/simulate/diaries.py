"""Synthetic diaries on the schedules ``nof1 schedule`` draws (``nof1 simulate``)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from nof1.design.blinding import PatientSchedule, draw_schedules
from nof1.protocol.load import ProtocolFile
from nof1.simulate.answers import answers_rng, simulate_answers
from nof1.simulate.outcomes import simulate_outcomes

__all__ = ["simulate_diaries"]


def simulate_diaries(
    pf: ProtocolFile,
    ids: list[str],
    start: dt.date,
    seed: int,
    secret: str | None = None,
    answers: dict | None = None,
    **params,
) -> list[tuple[PatientSchedule, object]]:
    """Schedules and synthetic wide diaries for one patient or a series.

    The schedules are those ``nof1 schedule`` draws for the same protocol, ids, start,
    seed and secret (:func:`nof1.design.blinding.draw_schedules`; a fresh secret when
    none is given); the outcomes come from a separate stream spawned from the seed, and
    the answer items (adverse events, adherence, guesses: the protocol's
    ``answer_items``) from a third (:func:`~nof1.simulate.answers.answers_rng`), so that
    they never move an outcome. On a day whose outcomes are all missing, its answers are
    missing too (the whole day is unrecorded).

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
    answers : dict, optional
        Keyword arguments of :func:`~nof1.simulate.answers.simulate_answers` (``rates``,
        ``persistence``, ``missed_dose_rate``, ``guess_right``, ``guess_unsure``).
    **params
        Keyword arguments of :func:`simulate_outcomes` (``effect``, ``sd`` and ``phi``
        at least), except ``rng``.

    Returns
    -------
    list of (PatientSchedule, pandas.DataFrame)
        Per patient, the schedule and a diary with the diary template's columns
        (``patient_id``, ``date``, ``day``, one per outcome, one per answer item, ``note``):
        one row per day, missing values as NA (empty cells in a CSV), yes/no items as
        ``yes``/``no``, the guess as drug/placebo/unsure on the days it is asked.

    Examples
    --------
    >>> from nof1.protocol import read_protocol
    >>> pairs = simulate_diaries(read_protocol("ldn-nof1-multicycle"), ["P01"],
    ...                          dt.date(2026, 1, 5), seed=7, effect=-10, sd=12, phi=0.5)
    >>> schedule, diary = pairs[0]
    >>> list(diary.columns)
    ['patient_id', 'date', 'day', 'pain', 'fatigue', 'sleep_quality', 'mood',
     'life_satisfaction', 'vivid_dreams', 'insomnia', 'headache', 'nausea', 'dose_taken',
     'guess', 'note']
    >>> len(diary), str(diary["date"].iloc[0])
    (182, '2026-01-05')
    """
    import pandas as pd

    schedules = draw_schedules(pf, ids, start, seed, secret)
    allocations = np.array([s.allocation for s in schedules])
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    values = simulate_outcomes(pf.protocol, allocations, rng=rng, **params)
    said = simulate_answers(pf.protocol, allocations, answers_rng(seed), **(answers or {}))
    unrecorded = np.all([np.isnan(y) for y in values.values()], axis=0)
    dtype = "Int64" if params.get("integer", True) else "Float64"
    pairs = []
    for i, s in enumerate(schedules):
        diary = pd.DataFrame(
            {"patient_id": s.patient_id, "date": s.timeline["date"], "day": s.timeline["day"]}
        )
        for name, y in values.items():
            diary[name] = pd.array(y[i], dtype="Float64").astype(dtype)
        for name, a in said.items():
            diary[name] = _answer_texts(a[i], unrecorded[i])
        diary["note"] = ""
        pairs.append((s, diary))
    return pairs


def _answer_texts(values: np.ndarray, unrecorded: np.ndarray) -> list:
    """An answer item's cells: yes/no (floats 1/0) or the guess; None when not asked."""
    if values.dtype == object:
        cells = list(values)
    else:
        cells = [None if v != v else ("yes" if v else "no") for v in values]
    return [None if gone else c for c, gone in zip(cells, unrecorded, strict=True)]

"""A patient's data quality found from runs of days is what the row-by-row count gives
(``tests/oracles/data_quality.py``), key by key and digit by digit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from nof1.analysis.days import PatientDays
from nof1.analysis.quality import quality_entries, quality_entry
from nof1.analysis.summaries import data_quality
from tests.oracles.data_quality import data_quality as oracle


def _days(rng, n: int, regroup: bool) -> PatientDays:
    base = min(int(rng.integers(0, 15)), n)
    period = np.concatenate([np.zeros(base, dtype=int), np.repeat(np.arange(1, 10), 20)])[:n]
    condition = np.where(period == 0, "baseline", np.where(period % 2, "A", "B")).astype(object)
    phase = np.where(period == 0, "baseline", "treatment").astype(object)
    if regroup and n > 30:  # a group in two runs (baseline again after period 1)
        phase[25:28], period[25:28], condition[25:28] = "baseline", 0, "baseline"
    values = {}
    for j in range(3):
        y = rng.normal(50, 10, n)
        y[rng.random(n) < 0.2] = np.nan
        values[f"o{j}"] = y
    last = int(rng.integers(0, n + 1))
    for y in values.values():
        y[last:] = np.nan  # an interim analysis when the diary ends early
    start = dt.date(2026, 1, 5)
    return PatientDays(
        day=np.arange(1, n + 1),
        date=np.array([start + dt.timedelta(days=i) for i in range(n)], dtype=object),
        phase=phase,
        condition=condition,
        period=period,
        included=rng.random(n) < 0.8,
        values=values,
    )


@pytest.mark.parametrize("seed", range(10))
def test_runs_give_the_row_by_row_counts(seed):
    rng = np.random.default_rng(seed)
    days = _days(rng, int(rng.integers(0, 170)), regroup=seed % 3 == 0)
    expected = oracle(days, 7, ("a warning",)).to_dict()
    assert repr(quality_entry(days, 7, ("a warning",))) == repr(expected)
    assert repr(data_quality(days, 7, ("a warning",)).to_dict()) == repr(expected)


def test_a_chunk_at_once_gives_each_patients_own():
    rng = np.random.default_rng(42)
    patients = [_days(rng, int(rng.integers(1, 170)), regroup=i % 4 == 1) for i in range(12)]
    warnings = [(f"w{i}",) * (i % 2) for i in range(12)]
    found = quality_entries(patients, 3, warnings)
    for days, warned, got in zip(patients, warnings, found, strict=True):
        assert repr(got) == repr(oracle(days, 3, warned).to_dict())
    empty = _days(rng, 0, regroup=False)
    assert repr(quality_entries([patients[0], empty], 3, [(), ()])[1]) == repr(
        oracle(empty, 3, ()).to_dict()
    )

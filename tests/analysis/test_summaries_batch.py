"""The batched descriptive statistics and end points are the one-at-a-time functions',
bit for bit (results.json must not change by a digit)."""

from __future__ import annotations

import numpy as np
import pytest

from nof1.analysis.days import PatientDays
from nof1.analysis.summaries import described, end_points, percent_changes
from nof1.analysis.summaries_batch import outcome_summaries, row_sums


def test_row_sums_are_numpys_sums_for_every_length():
    rng = np.random.default_rng(0)
    for width in (1, 7, 8, 129, 300):
        n = np.arange(width + 1)
        x = rng.normal(size=(n.size, width)) * 10 ** rng.uniform(-3, 9, size=(n.size, width))
        x[rng.random(x.shape) < 0.1] = 0.0
        expected = [repr(float(np.add.reduce(r[:k]))) for r, k in zip(x, n, strict=True)]
        assert [repr(v) for v in row_sums(x, n).tolist()] == expected


def _patient(rng, days: int, conditions) -> PatientDays:
    base = min(int(rng.integers(0, 20)), days)
    length = int(np.ceil((days - base) / 8)) or 1
    periods = np.repeat(np.arange(1, 9), length)[: days - base]
    first, second = conditions[:: 1 if rng.random() < 0.5 else -1]
    arms = np.where(periods % 2 == 1, first, second)
    condition = np.array(["baseline"] * base + list(arms), dtype=object)
    period = np.concatenate([np.zeros(base, dtype=int), periods])
    values = {}
    for j in range(4):
        y = np.round(rng.normal(50, 15, days), int(rng.integers(0, 3))) * 10 ** rng.uniform(-2, 4)
        y[rng.random(days) < rng.uniform(0, 0.4)] = np.nan
        values[f"o{j}"] = y
    values["o3"][: days // 2] = np.nan
    return PatientDays(
        day=np.arange(1, days + 1),
        date=np.full(days, None, dtype=object),
        phase=np.where(period > 0, "treatment", "baseline").astype(object),
        condition=condition,
        period=period,
        included=rng.random(days) < 0.8,
        values=values,
    )


def _one_at_a_time(days: PatientDays, name: str, conditions, k: int):
    values = days.values[name]
    counted = days.included & ~np.isnan(values)
    desc = {"baseline": described(values[days.is_condition("baseline")])}
    for c in conditions:
        desc[c] = described(values[counted & days.is_condition(c)])
    ends = end_points(days, name, conditions, k)
    return desc, ends.to_dict(), percent_changes(ends)


@pytest.mark.parametrize("seed", range(8))
def test_a_chunk_at_once_is_each_patient_alone(seed):
    rng = np.random.default_rng(seed)
    arms = ["A", "B"] if seed % 2 else ["active", "placebo"]
    patients = [_patient(rng, int(rng.integers(0, 300)), arms) for _ in range(12)]
    if seed == 3:  # a negative zero goes one at a time
        patients[0].values["o1"][patients[0].values["o1"] > 0] = -0.0
    if seed == 4:  # days out of order
        d, shuffle = patients[1], rng.permutation(patients[1].day.size)
        values = {name: v[shuffle] for name, v in d.values.items()}
        fields = ("day", "date", "phase", "condition", "period", "included")
        patients[1] = PatientDays(**{f: getattr(d, f)[shuffle] for f in fields}, values=values)
    names = list(patients[0].values)
    k = int(rng.integers(1, 20))
    found = outcome_summaries(patients, names, [sorted(arms)] * len(patients), k)
    for d, mine in zip(patients, found, strict=True):
        for name, got in zip(names, mine, strict=True):
            assert repr(got) == repr(_one_at_a_time(d, name, sorted(arms), k))

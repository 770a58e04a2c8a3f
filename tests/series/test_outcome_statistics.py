"""A worker's mixed-model statistics for every outcome at once are those of
``mixed_statistics`` outcome by outcome, bit for bit (the pooled fits read them)."""

from __future__ import annotations

import numpy as np
import pytest

from nof1.series.mixed import mixed_statistics
from nof1.series.mixed_outcomes import outcome_statistics


def _same(a, b) -> None:
    assert a._fields == b._fields
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert repr(x.tolist()) == repr(y.tolist())  # repr tells -0.0 from 0.0


@pytest.mark.parametrize("seed", range(6))
def test_every_outcome_at_once_is_each_outcome_alone(seed):
    rng = np.random.default_rng(seed)
    days = int(rng.integers(1, 200))
    treat = rng.random(days) < 0.5
    values = {}
    for j in range(5):
        y = rng.normal(50, 10, days) * 10 ** rng.uniform(-3, 6)
        y[rng.random(days) < rng.uniform(0, 0.5)] = np.nan
        values[f"o{j}"] = y
    if seed == 1:
        values["o0"][:] = np.nan  # an outcome without a day
    if seed == 2:
        values["o1"][:] = -0.0
    who = np.full(days, "P7", dtype=object)
    found = outcome_statistics(values, treat, "P7")
    assert list(found) == list(values)
    for name, y in values.items():
        _same(found[name], mixed_statistics(y, treat, who))

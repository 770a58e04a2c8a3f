"""Simulated trials as the kernels' input, and the pooled meta-analysis of power."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from protocol_variants import vary

from nof1.design.allocation import sample_allocations
from nof1.design.timeline import build_timeline, included_conditions
from nof1.power.engine import _meta_analysis, _Trials
from nof1.power.trials import periods, simulated_trials
from nof1.protocol import load_protocol
from nof1.series.meta import meta_analysis


def as_float(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("protocol_id", ["ldn-nof1-multicycle", "ldn-fibromyalgia-2013", "unequal"])
def test_each_day_is_in_the_period_of_the_timeline(protocol_id):
    if protocol_id == "unequal":  # balanced scheme, unequal periods and a washout
        p = vary(
            "ldn-nof1-multicycle",
            schedule={"active_days": 35, "placebo_days": 21, "washout_days": 3},
            randomization={"scheme": "balanced"},
        )
    else:
        p = load_protocol(protocol_id)
    alloc = sample_allocations(p, 6, np.random.default_rng(1))
    got = periods(p, alloc)
    for i in range(len(alloc)):
        table = build_timeline(p, alloc[i])
        assert got[i].tolist() == table["period"].fillna(0).astype(int).tolist()


def test_simulated_trials_compare_the_included_days_of_each_allocation():
    p = load_protocol("ldn-nof1-multicycle")
    alloc = sample_allocations(p, 4, np.random.default_rng(2))
    y = np.random.default_rng(3).normal(50, 10, (4, p.total_days))
    trials = simulated_trials(p, alloc, y, np.random.default_rng(0))
    assert (trials.arm == included_conditions(p, alloc)).all()
    assert trials.day.tolist() == list(range(1, p.total_days + 1))
    assert (trials.better == -1).all() and (trials.mcid == p.primary_outcome.mcid).all()
    assert not trials.density and trials.n_grid == 80
    assert (trials.reference.allocation == alloc).all() and trials.reference.max_exact == 1024


def test_pooled_knapp_hartung_equals_the_series_meta_analysis():
    rng = np.random.default_rng(2)
    est = rng.normal(-5, 3, (4, 6))
    se = rng.uniform(1, 4, (4, 6))
    est[3, :5] = np.nan  # a series with a single usable patient cannot be pooled
    pooled = _meta_analysis(_Trials(est.ravel(), None, None, se.ravel()), 4, 6, -5.0, 0.05)
    for s in range(3):
        one = meta_analysis(est[s], se[s], method="REML")  # Knapp-Hartung p and interval
        assert_allclose(pooled.estimate[s], one.estimate, rtol=1e-10)
        assert pooled.reject[s] == (one.p_value <= 0.05)
        assert pooled.covered[s] == (one.ci_low <= -5 <= one.ci_high)
    assert np.isnan(as_float([pooled.estimate[3]])).all()

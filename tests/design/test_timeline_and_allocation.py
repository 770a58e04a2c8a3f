"""Timelines and randomization schemes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from math import comb

import numpy as np
import pytest
from protocol_variants import vary

from nof1.design.allocation import (
    count_allocations,
    enumerate_allocations,
    sample_allocations,
    series_allocations,
)
from nof1.design.timeline import build_timeline, included_conditions, period_bounds, segments
from nof1.protocol import load_protocol


@pytest.mark.parametrize(
    ("protocol_id", "days"),
    [
        ("ldn-fibromyalgia-2013", 154),
        ("ldn-nof1-multicycle", 182),
        ("ldn-fibromyalgia-2009-pilot", 98),
    ],
)
def test_timeline_length_is_the_protocols_total_for_every_allocation(protocol_id, days):
    p = load_protocol(protocol_id)
    for allocation in enumerate_allocations(p):
        t = build_timeline(p, allocation, dt.date(2026, 3, 1))
        assert len(t) == p.total_days == days
        assert t["day"].tolist() == list(range(1, days + 1))
        assert t["date"].iloc[-1] == dt.date(2026, 3, 1) + dt.timedelta(days=days - 1)


def test_2013_placebo_first_runs_baseline_placebo_ldn_follow_up():
    t = build_timeline(load_protocol("ldn-fibromyalgia-2013"), [False, True])
    runs = t.groupby((t.condition != t.condition.shift()).cumsum()).condition
    assert [(g.iloc[0], len(g)) for _, g in runs] == [
        ("baseline", 14),
        ("placebo", 28),
        ("active", 84),
        ("follow_up", 28),
    ]


def test_washout_days_fall_between_treatment_periods_only():
    p = vary("ldn-nof1-multicycle", schedule={"washout_days": 5, "follow_up_days": 7})
    segs = segments(p, [True, False, False, True, True, False])
    assert [s.phase for s in segs] == ["baseline"] + ["treatment", "washout"] * 5 + [
        "treatment",
        "follow_up",
    ]
    assert segs[-1].last_day == p.total_days == 14 + 6 * 28 + 5 * 5 + 7
    assert [s.cycle for s in segs if s.phase == "treatment"] == [1, 1, 2, 2, 3, 3]


def test_titration_is_the_same_ramp_on_active_and_placebo_but_only_active_has_drug():
    t = build_timeline(load_protocol("ldn-nof1-multicycle"), [True, False] * 3)
    for period in (1, 2):
        days = t[t.period == period]
        assert days.step_dose_mg.tolist() == [1.5] * 7 + [3.0] * 7 + [4.5] * 14
    assert t[t.period == 1].dose_mg.tolist() == [1.5] * 7 + [3.0] * 7 + [4.5] * 14
    assert (t[t.period == 2].dose_mg == 0).all()
    assert (t[t.phase == "baseline"].step_dose_mg == 0).all()


def test_analytic_washout_excludes_the_first_days_of_every_treatment_period():
    t = build_timeline(load_protocol("ldn-nof1-multicycle"), [False, True] * 3)
    treated = t[t.phase == "treatment"]
    assert (treated.included == (treated.day_in_period > 7)).all()
    assert not t[t.phase != "treatment"].included.any()
    assert t.included.sum() == 6 * 21


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        (lambda: load_protocol("ldn-nof1-multicycle"), 8),  # pairwise, 3 cycles: 2^3
        (lambda: vary("ldn-nof1-multicycle", randomization={"scheme": "balanced"}), 20),  # C(6,3)
        (lambda: load_protocol("ldn-fibromyalgia-2013"), 2),  # counterbalanced
        (lambda: load_protocol("ldn-fibromyalgia-2009-pilot"), 1),  # fixed
        (lambda: vary("ldn-nof1-multicycle", schedule={"cycles": 5}), 32),
        (
            lambda: vary(
                "ldn-nof1-multicycle", schedule={"cycles": 5}, randomization={"scheme": "balanced"}
            ),
            comb(10, 5),
        ),
    ],
)
def test_each_scheme_enumerates_exactly_its_allocations(protocol, expected):
    p = protocol()
    allocations = enumerate_allocations(p)
    assert count_allocations(p) == len(allocations) == expected
    assert len({a.tobytes() for a in allocations}) == expected  # all distinct
    assert (allocations.sum(axis=1) == p.schedule.cycles).all()  # k active periods each
    if p.randomization.scheme == "pairwise":
        assert (allocations[:, 0::2] != allocations[:, 1::2]).all()  # one of each per cycle


def test_the_fixed_scheme_gives_its_sequence():
    assert enumerate_allocations(load_protocol("ldn-fibromyalgia-2009-pilot")).tolist() == [
        [False, True]
    ]


@pytest.mark.parametrize("scheme", ["pairwise", "balanced"])
def test_random_draws_cover_the_enumerated_set_uniformly(scheme):
    p = vary("ldn-nof1-multicycle", randomization={"scheme": scheme})
    draws = sample_allocations(p, 40_000, np.random.default_rng(3))
    counts = Counter(d.tobytes() for d in draws)
    assert set(counts) == {a.tobytes() for a in enumerate_allocations(p)}
    expected = len(draws) / count_allocations(p)
    # chi-square goodness of fit, df = 7 or 19; 0.999 quantiles are 24.3 and 43.8
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < (24.3 if scheme == "pairwise" else 43.8)


def test_draws_are_reproducible_from_a_seed():
    p = load_protocol("ldn-nof1-multicycle")
    a = sample_allocations(p, 5, np.random.default_rng(11))
    b = sample_allocations(p, 5, np.random.default_rng(11))
    assert (a == b).all()


@pytest.mark.parametrize("n", [30, 31, 2, 1])
def test_a_counterbalanced_series_has_equal_numbers_of_each_order(n):
    allocations = series_allocations(
        load_protocol("ldn-fibromyalgia-2013"), n, np.random.default_rng(n)
    )
    active_first = int(allocations[:, 0].sum())
    assert abs(active_first - (n - active_first)) == n % 2


def test_a_pairwise_series_uses_every_allocation_equally_in_blocks():
    p = load_protocol("ldn-nof1-multicycle")
    allocations = series_allocations(p, 24, np.random.default_rng(5))
    counts = Counter(a.tobytes() for a in allocations)
    assert len(counts) == 8 and set(counts.values()) == {3}
    # each block of 8 is itself complete
    assert len({a.tobytes() for a in allocations[:8]}) == 8


def test_series_blocks_are_random_not_a_fixed_rotation():
    p = load_protocol("ldn-fibromyalgia-2013")
    orders = {tuple(series_allocations(p, 10, np.random.default_rng(s))[:, 0]) for s in range(20)}
    assert len(orders) > 5


@pytest.mark.parametrize(
    "protocol",
    [
        lambda: load_protocol("ldn-nof1-multicycle"),
        lambda: load_protocol("ldn-fibromyalgia-2013"),
        lambda: load_protocol("ldn-fibromyalgia-2009-pilot"),
        lambda: vary(
            "ldn-nof1-multicycle",
            schedule={"washout_days": 3, "placebo_days": 21},
            randomization={"scheme": "balanced"},
        ),
    ],
)
def test_the_vectorized_included_days_equal_the_timeline_for_every_allocation(protocol):
    p = protocol()
    allocations = enumerate_allocations(p)
    matrix = included_conditions(p, allocations)
    for row, allocation in zip(matrix, allocations, strict=True):
        t = build_timeline(p, allocation)
        expected = np.where(t.included, (t.condition == "active").astype(int), -1)
        assert (row == expected).all()


@pytest.mark.parametrize(
    "protocol",
    [
        load_protocol("ldn-fibromyalgia-2013"),
        load_protocol("ldn-nof1-multicycle"),
        vary("ldn-nof1-multicycle", schedule={"washout_days": 3, "placebo_days": 21}),
    ],
    ids=["2013", "multicycle", "washout and unequal periods"],
)
def test_period_bounds_are_the_treatment_segments_of_every_allocation(protocol):
    allocations = enumerate_allocations(protocol)
    first, last = period_bounds(protocol, allocations)
    for allocation, f, la in zip(allocations, first, last, strict=True):
        phases = segments(protocol, allocation)
        treatment = [(s.first_day, s.last_day) for s in phases if s.phase == "treatment"]
        assert list(zip(f.tolist(), la.tolist(), strict=True)) == treatment
        assert phases[-1].last_day == protocol.total_days

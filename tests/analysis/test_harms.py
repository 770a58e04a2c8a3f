"""The harms kernel: counts and rates by hand, the persistence variance, agreement with a
statsmodels GEE, one batch equal to rows one at a time, and its cost per patient."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from sim_harms import markov

from nof1.analysis.event_rates import any_event, block_variance, rate_difference


def test_counts_rates_and_persistence_by_hand():
    # Treated period 1: 1 1 0 NaN; control period 2: 0 0 1 0 (day 3 of 8 not compared).
    x = np.array([[1.0, 1, 0, np.nan, 0, 0, 1, 0]])
    arm = np.array([[1, 1, 1, 1, 0, 0, 0, 0]])
    arm_gap = arm.copy()
    period = np.array([[1, 1, 1, 1, 2, 2, 2, 2]])
    d = rate_difference(x, arm_gap, period, 0.05)
    assert (d.days_treated[0], d.events_treated[0]) == (3, 2)
    assert (d.days_control[0], d.events_control[0]) == (4, 1)
    assert d.rate_treated[0] == pytest.approx(2 / 3)
    assert d.rate_control[0] == pytest.approx(1 / 4)
    assert d.estimate[0] == pytest.approx(2 / 3 - 1 / 4)
    # Residuals: treated 1/3, 1/3, -2/3 (then a gap); control -1/4, -1/4, 3/4, -1/4.
    e_t, e_c = np.array([1, 1, -2]) / 3, np.array([-1, -1, 3, -1]) / 4
    num = e_t[0] * e_t[1] + e_t[1] * e_t[2] + e_c[0] * e_c[1] + e_c[1] * e_c[2] + e_c[2] * e_c[3]
    raw = num / (np.sum(e_t**2) + np.sum(e_c**2))
    length = 7 / 2  # observed days per period
    assert d.r[0] == pytest.approx(np.clip(raw + (1 + 3 * raw) / length, 0, 0.95))


def test_block_variance_is_the_ar1_sum():
    for n, r in [(1, 0.3), (5, 0.0), (28, 0.6), (84, 0.9)]:
        brute = n + 2 * sum((n - k) * r**k for k in range(1, n))
        assert block_variance(n, r) == pytest.approx(brute)


def test_independent_days_give_the_textbook_variance():
    rng = np.random.default_rng(0)
    x = (rng.random((1, 200)) < 0.3).astype(float)
    arm = np.repeat([1, 0], 100)[None, :]
    period = np.repeat([1, 2], 100)[None, :]
    d = rate_difference(x, arm, period, 0.05, persistence=False)
    p1, p0 = d.rate_treated[0], d.rate_control[0]
    assert d.se[0] == pytest.approx(np.sqrt(p1 * (1 - p1) / 100 + p0 * (1 - p0) / 100))


def test_any_event():
    out = any_event(np.array([1.0, 0, 0, np.nan, np.nan]), np.array([np.nan, 0, 1, 0, np.nan]))
    np.testing.assert_array_equal(out, [1.0, 0.0, 1.0, np.nan, np.nan])


def test_no_days_on_a_condition_has_a_reason_and_no_events_p_one():
    x = np.array([[0.0] * 8, [np.nan] * 4 + [0.0] * 4])
    arm = np.array([[1, 1, 1, 1, 0, 0, 0, 0]] * 2)
    period = np.array([[1, 1, 1, 1, 2, 2, 2, 2]] * 2)
    d = rate_difference(x, arm, period, 0.05)
    assert d.reason[0] is None and d.estimate[0] == 0 and d.p_value[0] == 1
    assert d.reason[1] == "needs answered days on both conditions"
    assert np.isnan(d.estimate[1]) and np.isnan(d.p_value[1])


def _diary(rng, rho, p1, p0, days=28):
    order = [1, 0, 0, 1, 1, 0]
    arm = np.repeat(order, days)
    period = np.repeat(np.arange(1, 7), days)
    x = np.concatenate([markov(rng, p1 if a else p0, rho, 1, days)[0] for a in order])
    return x, arm, period


@pytest.mark.parametrize("rho,p1,p0", [(0.0, 0.3, 0.1), (0.3, 0.25, 0.1), (0.5, 0.3, 0.1),
                                       (0.5, 0.2, 0.2)])  # fmt: skip
def test_agrees_with_statsmodels_gee(rho, p1, p0):
    """Two statsmodels GEE fits (binomial family, identity link, groups = periods):

    * independence working correlation with the period-clustered (bias-reduced) robust
      covariance: its estimate is exactly the difference of rates, and its SE is the
      period-level one that floors ours;
    * AR(1) working correlation over the days of each period, model-based covariance: the
      persistence part of our variance; its estimate is a GLS-weighted difference (days at
      a period's ends weigh more), within 0.03 of ours.

    Our SE lies between the two (it is the AR(1) part, plus periods that differ, floored
    by the period-level part): measured 0.057 vs 0.054/0.058, 0.081 vs 0.055/0.099, 0.108
    vs 0.096/0.132, 0.104 vs 0.097/0.112 for the four cases."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(int(rho * 10) + 7)
    x, arm, period = _diary(rng, rho, p1, p0)
    d = rate_difference(x[None], arm[None], period[None], 0.05)
    family = sm.families.Binomial(link=sm.families.links.Identity())
    exog = sm.add_constant(arm.astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the identity link's DomainWarning
        ar1 = sm.GEE(x, exog, groups=period, time=np.tile(np.arange(28), 6), family=family,
                     cov_struct=sm.cov_struct.Autoregressive(grid=True))  # fmt: skip
        ar1_fit = ar1.fit(cov_type="naive")
        independence = sm.cov_struct.Independence()
        robust = sm.GEE(x, exog, groups=period, family=family, cov_struct=independence)
        robust = robust.fit(cov_type="bias_reduced")
    assert d.estimate[0] == pytest.approx(robust.params[1], abs=1e-9)
    assert d.estimate[0] == pytest.approx(ar1_fit.params[1], abs=0.03)
    assert 0.95 * ar1_fit.bse[1] <= d.se[0] <= 1.05 * max(robust.bse[1], ar1_fit.bse[1])
    assert d.r[0] == pytest.approx(ar1.cov_struct.dep_params, abs=0.2)


def test_a_batch_equals_its_rows_one_at_a_time():
    rng = np.random.default_rng(5)
    rows = [_diary(rng, rho, 0.3, 0.1) for rho in (0.0, 0.4, 0.8)]
    x, arm, period = (np.stack(parts) for parts in zip(*rows, strict=True))
    x[1, 10:20] = np.nan
    batch = rate_difference(x, arm, period, 0.05)
    for i in range(3):
        one = rate_difference(x[i : i + 1], arm[i : i + 1], period[i : i + 1], 0.05)
        for name in ("estimate", "ci_low", "ci_high", "p_value", "r"):
            assert getattr(batch, name)[i] == pytest.approx(getattr(one, name)[0])


def test_cost_per_patient_is_well_under_a_millisecond():
    """1000 patients x (4 events + any) on the multicycle protocol's 182 days."""
    rng = np.random.default_rng(1)
    m, days = 5000, 182
    x = (rng.random((m, days)) < 0.2).astype(float)
    arm = np.tile(np.repeat([-1, 1, -1, 0, -1, 1, -1, 0, 1, 0, 0, 1, 0], 14), (m, 1))
    period = np.tile(np.repeat([0, 1, 0, 2, 0, 3, 0, 4, 5, 6, 7, 8, 9], 14), (m, 1))
    rate_difference(x[:10], arm[:10], period[:10], 0.05)
    start = time.process_time()
    rate_difference(x, arm, period, 0.05)
    per_patient = (time.process_time() - start) / 1000
    assert per_patient < 0.5e-3, f"{per_patient * 1e3:.3f} ms per patient"

"""Bang's and James' blinding indices and the paired t of side-effect rates, against R.

Reference values: tests/reference/blinding_reference.R (the indices by hand from the
published formulas, since the R package BI is not in Debian; the paired t by
``t.test(treated, control, paired = TRUE)``) -> tests/reference/expected_blinding.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from nof1.analysis.blinding import bang_index
from nof1.series.blinding_index import james_index
from nof1.series.harms import pool_harms

EXPECTED = json.loads(
    (Path(__file__).parents[1] / "reference" / "expected_blinding.json").read_text()
)
KEYS = ["estimate", "se", "ci_low", "ci_high"]


def _values(record, keys=KEYS):
    return [getattr(record, k) for k in keys]


@pytest.mark.parametrize("case", EXPECTED["blinding"], ids=lambda c: c["name"])
def test_bang_index_per_arm_matches_the_published_formula_in_r(case):
    # nof1.analysis.blinding.bang_index, the one used per patient and across patients
    (td, cd), (tp, cp), (tu, cu) = case["table"]
    # treated arm: right = guessed drug; control arm: right = guessed placebo
    keys = ["estimate", "ci_low", "ci_high"]
    for got, arm in [
        (bang_index(td, tp, tu), "bang_treated"),
        (bang_index(cp, cd, cu), "bang_control"),
    ]:
        expected = np.clip([case[arm][k] for k in keys], -1, 1)  # the interval is kept in [-1, 1]
        assert_allclose(np.array(got, dtype=float), expected, rtol=1e-12)


@pytest.mark.parametrize("case", EXPECTED["blinding"], ids=lambda c: c["name"])
def test_james_index_and_its_variance_match_the_published_formula_in_r(case):
    j = james_index(case["table"])
    keys = [*KEYS, "unsure_share"]
    assert_allclose(_values(j, keys), [case["james"][k] for k in keys], rtol=1e-12)


def test_the_bi_package_example_gives_its_documented_output():
    # BI::BI(matrix(c(48, 4, 330, 22, 30, 319), 3, 2)): James 0.896 (0.011),
    # Bang 0.115 (0.018) and 0.022 (0.019), as the package documents them
    j = james_index([[48, 22], [4, 30], [330, 319]])
    assert (round(j.estimate, 3), round(j.se, 3)) == (0.896, 0.011)
    estimate, low, high = bang_index(30, 22, 319)
    assert (round(float(estimate), 3), round(float(low), 3)) == (0.022, -0.016)


def test_paired_comparison_of_rates_matches_r_t_test():
    ref = EXPECTED["paired_rates"]  # t.test(treated, control, paired = TRUE)
    results = {}
    for i, (t, c) in enumerate(zip(ref["treated"], ref["control"], strict=True)):
        cells = {
            "active": {"days_observed": 20, "days_with_event": round(t * 20)},
            "placebo": {"days_observed": 20, "days_with_event": round(c * 20)},
        }
        results[f"P{i}"] = {"harms": {"events": [{"name": "nausea", "by_condition": cells}]}}
    labels = {"active": "LDN", "placebo": "Placebo"}
    harms = pool_harms(results, [("nausea", "Nausea")], "active", "placebo", labels)
    d = harms.events[0].difference
    keys = ["estimate", "se", "df", "t", "ci_low", "ci_high", "p_value"]
    assert_allclose(_values(d, keys), [ref[k] for k in keys], rtol=1e-10)


@pytest.mark.parametrize(
    ("table", "estimate"),
    [
        ([[10, 0], [0, 10], [0, 0]], 0.0),  # every guess right: complete unblinding
        ([[0, 0], [0, 0], [4, 6]], 1.0),  # everyone unsure: complete blinding
        ([[5, 5], [5, 5], [0, 0]], 0.5),  # as many right as wrong: random guessing
        ([[5, 5], [5, 5], [10, 10]], 0.75),  # random guessing with half unsure: (1 + 0.5) / 2
    ],
)
def test_james_index_at_its_landmarks(table, estimate):
    j = james_index(table)
    assert j.estimate == pytest.approx(estimate) and j.reason is None
    if j.se == 0:
        assert j.ci_low is None and j.ci_high is None


def test_james_index_needs_guesses_that_name_both_conditions():
    j = james_index([[6, 0], [0, 0], [1, 1]])  # every guess "drug", all of them on the drug
    assert j.estimate is None and "same condition" in j.reason
    assert james_index([[0, 0], [0, 0]]).reason == "nobody answered the blinding question"
    with pytest.raises(ValueError, match="3 x 2"):
        james_index([[1, 2, 3]])

"""The two public steps of the mixed model and the Knapp-Hartung fields of pool_rows."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from nof1.series.meta import pool_rows
from nof1.series.mixed import (
    concat_statistics,
    mixed_model,
    mixed_model_from_statistics,
    mixed_statistics,
)


def _series(seed=4, m=8, days=40):
    rng = np.random.default_rng(seed)
    patient = np.repeat(np.arange(m), days)
    treat = np.tile(np.repeat([0, 1], days // 2), m)
    y = (
        50
        + rng.normal(0, 5, m)[patient]
        + rng.normal(-8, 4, m)[patient] * treat
        + rng.normal(0, 6, patient.size)
    )
    y[rng.random(y.size) < 0.1] = np.nan
    return y, treat, patient


def test_mixed_model_is_the_fit_of_its_statistics():
    y, treat, patient = _series()
    assert mixed_model(y, treat, patient, 0.1) == mixed_model_from_statistics(
        mixed_statistics(y, treat, patient), 0.1
    )


def test_statistics_of_single_patients_concatenate_to_the_whole_fit():
    y, treat, patient = _series()
    parts = [
        mixed_statistics(y[patient == i], treat[patient == i], [f"p{i}"] * 40) for i in range(8)
    ]
    whole = mixed_model(y, treat, patient).to_dict()
    joined = mixed_model_from_statistics(concat_statistics(reversed(parts))).to_dict()
    for key, value in whole.items():
        if isinstance(value, float):
            assert joined[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key
        else:
            assert joined[key] == value, key


def test_a_patient_in_two_groups_is_refused():
    s = mixed_statistics([1.0, 2.0], [0, 1], ["a", "a"])
    with pytest.raises(ValueError, match="more than one group"):
        concat_statistics([s, s])


def test_knapp_hartung_fields_match_metafor():
    # rma(c(-12, -4, -9.5, 1), sei = c(3, 2.5, 4, 3.5), method = "REML", test = "knha")
    r = pool_rows([[-12.0, -4.0, -9.5, 1.0]], [[3.0, 2.5, 4.0, 3.5]], "REML")
    assert_allclose(r.kh_se, [2.87568052], rtol=1e-8)
    assert_allclose(r.kh_t, [-2.11614052], rtol=1e-8)
    assert_allclose(r.kh_p_value, [0.12463809], rtol=1e-7)
    assert r.kh_df.tolist() == [3]
    one = pool_rows([[1.0, np.nan]], [[1.0, 1.0]])
    assert np.isnan(one.kh_se[0]) and np.isnan(one.kh_p_value[0])

"""Holm's adjustment one value at a time gives numpy's arithmetic, ties and all."""

from __future__ import annotations

import numpy as np

from nof1.analysis.conclusions import holm


def _numpy_holm(p_values) -> list[float]:
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted.tolist()


def test_holm_is_numpys_holm():
    rng = np.random.default_rng(0)
    for m in range(12):
        for _ in range(30):
            p = rng.random(m) ** rng.uniform(1, 6)
            if m > 2:
                p[: m // 2] = p[0]  # ties
            assert repr(holm(p.tolist())) == repr(_numpy_holm(p))

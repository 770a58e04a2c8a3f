"""One patient's mixed-model sufficient statistics for every outcome at once (what a
``nof1 series`` worker sends back for the mixed models: :func:`outcome_statistics`).
"""

from __future__ import annotations

import numpy as np

from nof1.series.mixed import MixedStatistics, mixed_statistics

__all__ = ["outcome_statistics"]


def outcome_statistics(values: dict, treat, patient_id) -> dict[str, MixedStatistics]:
    """:func:`~nof1.series.mixed.mixed_statistics` of one patient for every outcome:
    ``values`` maps each outcome to its y on the same days, ``treat`` is those days' treat.

    The same numbers bit for bit (each sum is bincount's, over the days in order), in a
    handful of array operations instead of a dozen per outcome.

    Examples
    --------
    >>> y = {"a": np.array([1.0, 2.0, np.nan]), "b": np.array([np.nan, 5.0, 4.0])}
    >>> s = outcome_statistics(y, np.array([0, 1, 1]), "P1")
    >>> who = np.array(["P1"] * 3, dtype=object)
    >>> [str(s[k]) == str(mixed_statistics(v, [0, 1, 1], who)) for k, v in y.items()]
    [True, True]
    """
    names = list(values)
    treat = np.asarray(treat).astype(float)
    y = np.array([np.asarray(values[name], dtype=float) for name in names])
    y = y.reshape(len(names), treat.size)
    keep = np.isfinite(y)
    counts = keep.sum(axis=1).tolist()
    if not all(counts):  # an outcome without a day: as mixed_statistics has it
        who = np.full(treat.size, patient_id, dtype=object)
        return {name: mixed_statistics(values[name], treat, who) for name in names}
    at, day = np.nonzero(keep)  # outcome by outcome, each in the days' order
    # As ndarray.mean(): the pairwise sum, then one division.
    centre = np.array(
        [np.add.reduce(row[k]) / n for row, k, n in zip(y, keep, counts, strict=True)]
    )
    yc = y[keep] - centre[at]
    t = treat[day]

    def total(weights) -> np.ndarray:
        return np.bincount(at, weights=weights, minlength=len(names))

    n, n1 = np.array(counts, dtype=float), total(t)
    A = np.stack([np.stack([n, n1], axis=-1), np.stack([n1, n1], axis=-1)], axis=-2)
    b = np.stack([total(yc), total(yc * t)], axis=-1)
    yy = total(yc * yc)
    ids = np.array([patient_id], dtype=object)
    return {
        name: MixedStatistics(ids, A[j : j + 1], b[j : j + 1], yy[j : j + 1], centre[j : j + 1])
        for j, name in enumerate(names)
    }

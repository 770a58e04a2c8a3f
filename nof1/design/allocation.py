"""Randomization schemes: every allocation a protocol could produce, and random draws.

An allocation is the order of treatment periods, one entry per period, as a boolean
array (True = active). The randomization test needs the full reference set
(:func:`enumerate_allocations`) or random samples from it (:func:`sample_allocations`);
a schedule needs one draw; a series needs a list balanced across patients
(:func:`series_allocations`).
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np

from nof1.protocol.model import Protocol

__all__ = [
    "as_treatments",
    "count_allocations",
    "enumerate_allocations",
    "sample_allocations",
    "series_allocations",
]


def count_allocations(protocol: Protocol) -> int:
    """How many allocations the protocol's scheme can produce.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> count_allocations(load_protocol("ldn-nof1-multicycle"))  # pairwise, 3 cycles: 2^3
    8
    """
    k = protocol.schedule.cycles
    return {
        "pairwise": 2**k,
        "counterbalanced": 2,
        "balanced": comb(2 * k, k),
        "fixed": 1,
    }[protocol.randomization.scheme]


def enumerate_allocations(protocol: Protocol) -> np.ndarray:
    """Every allocation the scheme could produce, in a fixed order.

    Returns
    -------
    numpy.ndarray of bool, shape (count_allocations(protocol), n_periods)
        Row i is allocation i; True marks an active period.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> enumerate_allocations(load_protocol("ldn-fibromyalgia-2013")).astype(int).tolist()
    [[1, 0], [0, 1]]
    """
    k = protocol.schedule.cycles
    scheme = protocol.randomization.scheme
    if scheme == "fixed":
        rows = [[t == "active" for t in protocol.randomization.sequence]]
    elif scheme in ("pairwise", "counterbalanced"):
        # Counterbalanced is pairwise with one cycle; across a series it is balanced too.
        rows = [
            sum(cycle, []) for cycle in itertools.product([[True, False], [False, True]], repeat=k)
        ]
    else:  # balanced
        rows = []
        for active in itertools.combinations(range(2 * k), k):
            row = [False] * (2 * k)
            for i in active:
                row[i] = True
            rows.append(row)
    return np.array(rows, dtype=bool)


def sample_allocations(protocol: Protocol, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` allocations drawn uniformly (with replacement) from the scheme's set.

    Used for one patient's draw and for Monte Carlo randomization tests when the set is
    too large to enumerate; drawn directly, without building the set.

    Returns
    -------
    numpy.ndarray of bool, shape (m, n_periods)
    """
    k = protocol.schedule.cycles
    scheme = protocol.randomization.scheme
    if scheme == "fixed":
        return np.repeat(enumerate_allocations(protocol), m, axis=0)
    if scheme in ("pairwise", "counterbalanced"):
        first_active = rng.random((m, k)) < 0.5
        return np.stack([first_active, ~first_active], axis=2).reshape(m, 2 * k)
    # balanced: a uniformly random arrangement of k actives among 2k periods
    keys = rng.random((m, 2 * k))
    ranks = keys.argsort(axis=1).argsort(axis=1)
    return ranks < k


def series_allocations(protocol: Protocol, n: int, rng: np.random.Generator) -> np.ndarray:
    """Allocations for ``n`` patients, balanced across patients in random blocks.

    Each block holds every allocation of the scheme once, in random order, so the
    numbers of each order differ by at most one block's remainder (counterbalanced with
    31 patients: 16 and 15). Schemes with more than 64 allocations draw freely, since a
    block would be longer than any realistic series.

    Returns
    -------
    numpy.ndarray of bool, shape (n, n_periods)

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> alloc = series_allocations(load_protocol("ldn-fibromyalgia-2013"), 31,
    ...                            np.random.default_rng(1))
    >>> sorted([int(alloc[:, 0].sum()), int((~alloc[:, 0]).sum())])
    [15, 16]
    """
    if count_allocations(protocol) > 64:
        return sample_allocations(protocol, n, rng)
    full = enumerate_allocations(protocol)
    blocks = -(-n // len(full))
    order = np.concatenate([rng.permutation(len(full)) for _ in range(blocks)])
    return full[order[:n]]


def as_treatments(allocation: np.ndarray) -> list[str]:
    """One allocation as treatment names.

    Examples
    --------
    >>> as_treatments(np.array([True, False]))
    ['active', 'placebo']
    """
    return ["active" if a else "placebo" for a in allocation]

"""The sufficient statistics behind :class:`~nof1.analysis.ar1_batch.Ar1Batch`.

Whitening the AR(1) errors over calendar days with gaps (``z_i = (v_i - rho v_p) /
sqrt(1 - rho²)``, ``rho = phi^gap``) makes every REML quantity an inner product of whitened
columns. Summed per gap length once (:func:`gap_sums`, O(n) per series), these products give
the Gram matrix ``[X y]ᵀ R⁻¹ [X y]`` at any phi as a weighted sum over the few distinct gaps
(:func:`gram`); a Cholesky factor of that small packed matrix gives the REML pieces
(:func:`reml`). See :mod:`nof1.analysis.ar1_batch` for the algebra.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "KINDS",
    "LOG_2PI",
    "GapSums",
    "RemlPieces",
    "check_series",
    "cholesky_packed",
    "gap_sums",
    "gap_weights",
    "gram",
    "packed_index",
    "packed_pairs",
    "reml",
    "scatter",
]

KINDS = 5  # sums per gap: d·d and cross terms for s = +1, the same for s = -1, then a_p·b_p
LOG_2PI = float(np.log(2.0 * np.pi))
_SHARED_GRID = 16  # per-series grids of at least this many phis are looked for shared


class RemlPieces(NamedTuple):
    """REML pieces per series and phi."""

    loglik: np.ndarray  # REML log-likelihood, (m, P)
    estimate: np.ndarray  # b1(phi)
    var_factor: np.ndarray  # [(XᵀR⁻¹X)⁻¹]_11
    rss: np.ndarray  # whitened residual sum of squares


class GapSums(NamedTuple):
    """Per series: first-day products (m, q), per-gap sums (m, 5 G, q), day counts per gap."""

    first: np.ndarray
    sums: np.ndarray
    counts: np.ndarray
    gaps: np.ndarray

    def take(self, rows) -> GapSums:
        return GapSums(self.first[rows], self.sums[rows], self.counts[rows], self.gaps)


def check_series(Y, day, treat):
    """Validate shapes and values; sort the columns by day."""
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    day = np.asarray(day, dtype=float)
    if Y.ndim != 2 or day.ndim != 1 or day.size != Y.shape[1]:
        raise ValueError(f"Y must be (m, n) and day (n,); got {Y.shape} and {day.shape}")
    treat = np.asarray(treat, dtype=float)
    if treat.shape not in (Y.shape, day.shape):
        raise ValueError(f"treat must have shape {Y.shape} or {day.shape}; got {treat.shape}")
    treat = np.broadcast_to(treat, Y.shape)
    if np.isinf(Y).any():
        raise ValueError("Y must be finite or NaN (NaN = day not used)")
    if not np.all(np.isfinite(day)) or np.any(day != np.round(day)):
        raise ValueError("day must hold whole numbers (calendar day indices)")
    if np.unique(day).size != day.size:
        raise ValueError("day values must be unique: one column per day")
    if not np.all(np.isin(treat[~np.isnan(Y)], (0, 1))):
        raise ValueError("treat must be 0/1 (1 = active day, 0 = placebo day) on used days")
    order = np.argsort(day, kind="stable")
    return Y[:, order], day[order], treat[:, order]


def packed_index(k: int) -> np.ndarray:
    """Position of entry (a, b) of a symmetric k x k matrix in its packed upper triangle."""
    index = np.empty((k, k), dtype=int)
    for q, (a, b) in enumerate(packed_pairs(k)):
        index[a, b] = index[b, a] = q
    return index


def packed_pairs(k: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(k) for b in range(a, k)]


def gap_sums(V: np.ndarray, mask: np.ndarray, day: np.ndarray, known=None) -> GapSums:
    """Per-gap sums of products of the columns V (k, m, n) over consecutive observed days.

    ``known``: ``(sums, columns)``, the gap sums of some of these same columns on the same
    days (``columns`` = their positions in V); their pairs are copied, not summed again.
    """
    k, m, n = V.shape
    position = np.where(mask, np.arange(n), -1)
    prev = np.maximum.accumulate(position, axis=1)
    prev = np.concatenate([np.full((m, 1), -1), prev[:, :-1]], axis=1)  # previous observed day
    linked = mask & (prev >= 0)
    prev = np.maximum(prev, 0)
    gap = np.where(linked, day - day[prev], 0).astype(np.int64)
    gaps = np.flatnonzero(np.bincount(gap[linked], minlength=1))  # the gap lengths present
    lookup = np.zeros(gap.max() + 1, dtype=np.int64)
    lookup[gaps] = np.arange(gaps.size)
    pairs = packed_pairs(k)
    size = gaps.size
    copied = {}  # pair q of V -> its pair in the known sums
    if known is not None and np.array_equal(known[0].gaps, gaps):
        columns = known[1]
        old = {(columns[a], columns[b]): q for q, (a, b) in enumerate(packed_pairs(len(columns)))}
        copied = {q: old[pair] for q, pair in enumerate(pairs) if pair in old}
    sums = np.empty((m, KINDS, size, len(pairs)))
    counts = np.empty((m, size))
    first = np.empty((m, len(pairs)))
    block = max(1, 120_000 // (k * n))  # rows at a time: cache-sized temporaries, 2x faster
    for lo in range(0, m, block):
        rows = slice(lo, lo + block)
        b = min(block, m - lo)
        link = linked[rows]
        # One bin per (series, gap length); days without a predecessor go to a spare bin.
        bins = np.where(link, np.arange(b)[:, None] * size + lookup[gap[rows]], b * size)
        cur = V[:, rows] * link
        pre = np.take_along_axis(V[:, rows], prev[None, rows], axis=2) * link
        d_pos, d_neg = cur - pre, cur + pre  # d = a_i - s a_p for s = +1 and s = -1
        start = V[:, rows] * (mask[rows] & ~link)  # the first observed day of each series
        for q, (i, j) in enumerate(pairs):
            if q in copied:
                continue
            kinds = (
                d_pos[i] * d_pos[j],
                d_pos[i] * pre[j] + pre[i] * d_pos[j],
                d_neg[i] * d_neg[j],
                d_neg[i] * pre[j] + pre[i] * d_neg[j],
                pre[i] * pre[j],
            )
            for kind, w in enumerate(kinds):
                total = np.bincount(bins.ravel(), weights=w.ravel(), minlength=b * size + 1)
                sums[rows, kind, :, q] = total[:-1].reshape(b, size)
            first[rows, q] = (start[i] * start[j]).sum(axis=1)
        counts[rows] = np.bincount(bins.ravel(), minlength=b * size + 1)[:-1].reshape(b, size)
    sums = sums.reshape(m, -1, len(pairs))
    for q, q_known in copied.items():
        sums[:, :, q] = known[0].sums[:, :, q_known]
        first[:, q] = known[0].first[:, q_known]
    return GapSums(first, sums, counts, gaps)


def gap_weights(phis: np.ndarray, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the 5 kinds of per-gap sums at each phi (..., 5 G), and log(1 - rho²)."""
    phi = phis[..., None]
    with np.errstate(divide="ignore"):
        log_r = gaps * np.log(np.abs(phi))  # log |phi^g|; -inf at phi = 0
    c = -np.expm1(log_r)  # 1 - |rho|
    one_minus = -np.expm1(2.0 * log_r)  # 1 - rho²
    neg = (phi < 0) & (gaps % 2 == 1)  # rho < 0: odd gaps keep phi's sign
    w0, w1, w2 = 1.0 / one_minus, c / one_minus, c * c / one_minus
    # W[..., kind, gap]: the kinds s = +1 where rho > 0, s = -1 where rho < 0, zero elsewhere.
    W = np.zeros((*log_r.shape[:-1], KINDS, gaps.size))
    if neg.any():
        pos = ~neg
        np.copyto(W[..., 0, :], w0, where=pos)
        np.copyto(W[..., 1, :], w1, where=pos)
        np.copyto(W[..., 2, :], w0, where=neg)
        np.copyto(W[..., 3, :], -w1, where=neg)
    else:  # phi >= 0 everywhere (the usual case): no masks
        W[..., 0, :] = w0
        W[..., 1, :] = w1
    W[..., 4, :] = w2
    return W.reshape(*W.shape[:-2], -1), np.log(one_minus)


def gram(stats: GapSums, phis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed Gram matrices [X y]ᵀR⁻¹[X y] (m, P, q) and log|R| (m, P)."""
    if phis.ndim == 2 and phis.shape[1] >= _SHARED_GRID:
        # Series often share a grid (the Bayesian one is a cell range of a coarse grid):
        # the weights once per distinct grid, then each series' copy.
        grids, which = _distinct_rows(phis)
        W, log_one_minus = (a[which] for a in gap_weights(grids, stats.gaps))
    else:
        W, log_one_minus = gap_weights(phis, stats.gaps)
    if phis.ndim == 1:  # one grid for all series: a single matrix product
        packed = np.tensordot(stats.sums, W, axes=([1], [1])).transpose(0, 2, 1)
        logdet_r = stats.counts @ log_one_minus.T
    else:
        packed = np.matmul(W, stats.sums)
        logdet_r = np.einsum("mg,mpg->mp", stats.counts, log_one_minus)
    return packed + stats.first[:, None, :], logdet_r


def _distinct_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``a`` (equal bytes) in order of appearance, and each row's index
    among them (a dict of bytes: np.unique(axis=0) sorts structured rows, far slower)."""
    index: dict[bytes, int] = {}
    first: list[int] = []
    which = np.empty(len(a), dtype=np.intp)
    for i, row in enumerate(np.ascontiguousarray(a)):
        j = index.setdefault(row.tobytes(), len(first))
        if j == len(first):
            first.append(i)
        which[i] = j
    return a[first], which


def cholesky_packed(packed: np.ndarray, k: int) -> tuple[np.ndarray, list]:
    """Cholesky factors of packed k x k matrices (..., q): pivots L_jj² (k, ...) and L."""
    index = packed_index(k)
    L = [[None] * k for _ in range(k)]
    pivots = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(k):
            pivot = packed[..., index[j, j]] - sum(L[j][t] ** 2 for t in range(j))
            pivots.append(pivot)
            L[j][j] = np.sqrt(np.where(pivot > 0, pivot, np.nan))
            for i in range(j + 1, k):
                dot = sum(L[i][t] * L[j][t] for t in range(j))
                L[i][j] = (packed[..., index[i, j]] - dot) / L[j][j]
    return np.array(pivots), L


def reml(packed: np.ndarray, logdet_r: np.ndarray, df: np.ndarray, p: int) -> RemlPieces:
    """REML log-likelihood and treatment coefficient from the Gram matrices.

    Columns are ordered [1, (day), treat, y], so the last pivot is S² and the treatment
    pivot is 1 / [(XᵀR⁻¹X)⁻¹]_11; see the module notes.
    """
    pivots, L = cholesky_packed(packed, p + 1)
    t = p - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        rss = pivots[p]
        logdet_xrx = np.log(pivots[:p]).sum(axis=0)
        m2ll = df * (LOG_2PI + 1.0 + np.log(rss / df)) + logdet_r + logdet_xrx
        return RemlPieces(-0.5 * m2ll, L[p][t] / L[t][t], 1.0 / pivots[t], rss)


def scatter(rows: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Rows of a result for the series ``rows``, NaN for the others."""
    out = np.full((m, *values.shape[1:]), np.nan)
    out[rows] = values
    return out

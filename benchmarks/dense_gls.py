"""The straightforward way to fit GLS with AR(1) errors: a dense n x n correlation matrix.

Only for comparison in the benchmarks: O(n^3) per phi, where nof1's whitening is O(n).
Same model and REML criterion as ``nof1.analysis.ar1_batch`` (and R's nlme::gls).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize


def reml_dense(phi: float, y: np.ndarray, X: np.ndarray, day: np.ndarray) -> float:
    """REML log-likelihood (Harville 1977) at ``phi`` with the full correlation matrix."""
    n, p = X.shape
    R = phi ** np.abs(day[:, None] - day[None, :]).astype(float)
    c = linalg.cho_factor(R)
    Ri_X = linalg.cho_solve(c, X)
    Ri_y = linalg.cho_solve(c, y)
    XtRiX = X.T @ Ri_X
    beta = np.linalg.solve(XtRiX, X.T @ Ri_y)
    resid = y - X @ beta
    s2 = resid @ linalg.cho_solve(c, resid) / (n - p)
    logdet_R = 2 * np.log(np.diag(c[0])).sum()
    _, logdet_xrx = np.linalg.slogdet(XtRiX)
    return -0.5 * ((n - p) * np.log(2 * np.pi * s2) + logdet_R + logdet_xrx + (n - p))


def fit_dense(y, day, active):
    """(estimate, se, phi) of the active coefficient, maximizing the dense REML."""
    y = np.asarray(y, float)
    day = np.asarray(day, float)
    X = np.column_stack([np.ones_like(y), np.asarray(active, float)])
    res = optimize.minimize_scalar(
        lambda u: -reml_dense(np.tanh(u), y, X, day), bounds=(-5, 5), method="bounded"
    )
    phi = float(np.tanh(res.x))
    R = phi ** np.abs(day[:, None] - day[None, :])
    c = linalg.cho_factor(R)
    XtRiX = X.T @ linalg.cho_solve(c, X)
    beta = np.linalg.solve(XtRiX, X.T @ linalg.cho_solve(c, y))
    resid = y - X @ beta
    s2 = resid @ linalg.cho_solve(c, resid) / (len(y) - 2)
    cov = s2 * np.linalg.inv(XtRiX)
    return float(beta[1]), float(np.sqrt(cov[1, 1])), phi

"""Dense Kenward-Roger for one GLS AR(1) series: the oracle for nof1.analysis.ar1_kr.

Straight from Kenward & Roger (1997) with theta = (sigma², phi) (or (sigma², atanh phi))
and V = sigma² R(phi), R_ij = phi^|d_i - d_j|: every matrix n x n, the derivatives of R
analytic, the REML information a numerical Hessian of the dense REML log-likelihood
(scipy's optimizer finds phi). Only the tests use it.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize


def _r(day, phi):
    lag = np.abs(day[:, None] - day[None, :])
    R = phi**lag
    dR = np.where(lag > 0, lag * phi ** np.maximum(lag - 1, 0), 0.0)
    d2R = np.where(lag > 1, lag * (lag - 1) * phi ** np.maximum(lag - 2, 0), 0.0)
    return R, dR, d2R


def reml_loglik(y, X, day, sigma2, phi):
    """REML log-likelihood (nlme's scale) at (sigma², phi), sigma² not profiled."""
    n, p = X.shape
    V = sigma2 * _r(day, phi)[0]
    Vi = np.linalg.inv(V)
    xvx = X.T @ Vi @ X
    b = np.linalg.solve(xvx, X.T @ Vi @ y)
    e = y - X @ b
    return -0.5 * (
        (n - p) * np.log(2 * np.pi)
        + np.linalg.slogdet(V)[1]
        + np.linalg.slogdet(xvx)[1]
        + e @ Vi @ e
    )


def fit(y, X, day):
    """REML (sigma², phi) by profiling sigma² analytically and optimising phi."""
    n, p = X.shape

    def profile(phi):
        R = _r(day, phi)[0]
        Ri = np.linalg.inv(R)
        xrx = X.T @ Ri @ X
        b = np.linalg.solve(xrx, X.T @ Ri @ y)
        e = y - X @ b
        s2 = e @ Ri @ e
        N = n - p
        return N * np.log(s2 / N) + np.linalg.slogdet(R)[1] + np.linalg.slogdet(xrx)[1]

    res = optimize.minimize_scalar(
        lambda u: profile(np.tanh(u)), bounds=(-6, 6), method="bounded", options={"xatol": 1e-12}
    )
    phi = float(np.tanh(res.x))
    R = _r(day, phi)[0]
    Ri = np.linalg.inv(R)
    xrx = X.T @ Ri @ X
    b = np.linalg.solve(xrx, X.T @ Ri @ y)
    e = y - X @ b
    return (e @ Ri @ e) / (n - p), phi, b


def kenward_roger(y, X, day, contrast=1, h=1e-4, scale="phi"):
    """Everything of KR for coefficient ``contrast``: a dict of v, df, lambda1, lambda2, W.

    ``scale``: theta = (sigma², phi) ("phi") or (sigma², atanh phi) ("atanh"); W and lambda2
    are in that parameterization (v, df and lambda1 do not depend on it).
    """
    n, p = X.shape
    sigma2, phi, b = fit(y, X, day)
    atanh = scale == "atanh"
    theta = np.array([sigma2, np.arctanh(phi) if atanh else phi])

    def ll(t):
        return reml_loglik(y, X, day, t[0], np.tanh(t[1]) if atanh else t[1])

    # Numerical Hessian (central differences, steps relative to each parameter).
    steps = np.array([h * sigma2, h])
    Hs = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * steps[i], np.eye(2)[j] * steps[j]
            Hs[i, j] = (
                ll(theta + ei + ej)
                - ll(theta + ei - ej)
                - ll(theta - ei + ej)
                + ll(theta - ei - ej)
            ) / (4 * steps[i] * steps[j])
    W = np.linalg.inv(-Hs)
    R, dR, d2R = _r(day, phi)
    if atanh:  # chain rule: dphi/du = 1 - phi², d²phi/du² = -2 phi (1 - phi²)
        jac = 1 - phi * phi
        dR, d2R = jac * dR, jac * jac * d2R - 2 * phi * jac * dR
    V = sigma2 * R
    Vi = np.linalg.inv(V)
    dV = [R, sigma2 * dR]
    d2V = [[np.zeros_like(R), dR], [dR, sigma2 * d2R]]
    Phi = np.linalg.inv(X.T @ Vi @ X)
    P = [-X.T @ Vi @ dV[i] @ Vi @ X for i in range(2)]
    Q = [[X.T @ Vi @ dV[i] @ Vi @ dV[j] @ Vi @ X for j in range(2)] for i in range(2)]
    Rt = [[X.T @ Vi @ d2V[i][j] @ Vi @ X for j in range(2)] for i in range(2)]
    first = sum(W[i, j] * (Q[i][j] - P[i] @ Phi @ P[j]) for i in range(2) for j in range(2))
    second = sum(-0.25 * W[i, j] * Rt[i][j] for i in range(2) for j in range(2))
    lam1 = (Phi @ first @ Phi)[contrast, contrast]
    lam2 = (Phi @ second @ Phi)[contrast, contrast]
    # Satterthwaite: g = d Phi_cc / d theta = -(Phi P_i Phi)_cc.
    g = np.array([-(Phi @ P[i] @ Phi)[contrast, contrast] for i in range(2)])
    v = Phi[contrast, contrast]
    return {
        "estimate": b[contrast],
        "phi": phi,
        "sigma2": sigma2,
        "v": v,
        "df": 2 * v * v / (g @ W @ g),
        "lambda1": lam1,
        "lambda2": lam2,
        "W": W,
    }

"""Type I error and interval coverage of harms comparisons under persistent daily events.

Not collected by pytest (run by hand: ``.venv/bin/python tests/analysis/sim_harms.py``,
about 10 s). Design: three cycles of a 28-day treated and a 28-day control period in
random order within each cycle; each period's days follow a two-state Markov chain with
stationary rate p and lag-1 autocorrelation rho (P(1|1) = p + rho (1 - p),
P(1|0) = p (1 - rho)), started from its stationary distribution. Candidates:

* ``adjusted``: :func:`nof1.analysis.event_rates.rate_difference` (the shipped method);
* ``naive``: the same with days taken as independent (``persistence=False``);
* ``periods``: a paired t-test over cycles of the period rates (2 degrees of freedom);
* the randomization test over the scheme's 8 allocations cannot give p < 0.25, so it
  never rejects at 0.05 (type I error 0, power 0): not simulated.

Monte Carlo SE of a rate q over R replicates: sqrt(q (1 - q) / R). ``spread``: the SD of
each period's own rate about p (periods that differ: the exchangeable-within-period case).

Output (seed 20261201)::

    4000 replicates; rate (Monte Carlo SE)
    p1=0.1 p0=0.1 rho=0.0 spread=0:
          adjusted type I 0.032 (0.003)
          cover 0.975 (0.002)
          naive type I 0.050 (0.003)
          cover 0.962 (0.003)
          periods type I 0.041 (0.003)
          cover 0.959 (0.003)
    p1=0.1 p0=0.1 rho=0.5 spread=0:
          adjusted type I 0.015 (0.002)
          cover 0.993 (0.001)
          naive type I 0.242 (0.007)
          cover 0.778 (0.007)
          periods type I 0.038 (0.003)
          cover 0.962 (0.003)
    p1=0.1 p0=0.1 rho=0.8 spread=0:
          adjusted type I 0.003 (0.001)
          cover 0.999 (0.000)
          naive type I 0.502 (0.008)
          cover 0.542 (0.008)
          periods type I 0.016 (0.002)
          cover 0.984 (0.002)
    p1=0.3 p0=0.3 rho=0.0 spread=0:
          adjusted type I 0.025 (0.002)
          cover 0.976 (0.002)
          naive type I 0.048 (0.003)
          cover 0.953 (0.003)
          periods type I 0.052 (0.004)
          cover 0.948 (0.004)
    p1=0.3 p0=0.3 rho=0.5 spread=0:
          adjusted type I 0.026 (0.003)
          cover 0.976 (0.002)
          naive type I 0.254 (0.007)
          cover 0.748 (0.007)
          periods type I 0.048 (0.003)
          cover 0.952 (0.003)
    p1=0.3 p0=0.3 rho=0.8 spread=0:
          adjusted type I 0.014 (0.002)
          cover 0.988 (0.002)
          naive type I 0.479 (0.008)
          cover 0.524 (0.008)
          periods type I 0.044 (0.003)
          cover 0.956 (0.003)
    p1=0.3 p0=0.1 rho=0.5 spread=0:
          adjusted rejects 0.295 (0.007)
          cover 0.979 (0.002)
          naive rejects 0.800 (0.006)
          cover 0.760 (0.007)
          periods rejects 0.224 (0.007)
          cover 0.950 (0.003)
    p1=0.3 p0=0.1 rho=0.8 spread=0:
          adjusted rejects 0.069 (0.004)
          cover 0.975 (0.002)
          naive rejects 0.732 (0.007)
          cover 0.503 (0.008)
          periods rejects 0.098 (0.005)
          cover 0.946 (0.004)
    p1=0.3 p0=0.3 rho=0.0 spread=0.1:
          adjusted type I 0.050 (0.003)
          cover 0.950 (0.003)
          naive type I 0.209 (0.006)
          cover 0.793 (0.006)
          periods type I 0.049 (0.003)
          cover 0.951 (0.003)
    p1=0.3 p0=0.3 rho=0.3 spread=0.1:
          adjusted type I 0.046 (0.003)
          cover 0.956 (0.003)
          naive type I 0.267 (0.007)
          cover 0.734 (0.007)
          periods type I 0.056 (0.004)
          cover 0.944 (0.004)
    p1=0.1 p0=0.1 rho=0.0 spread=0.05:
          adjusted type I 0.049 (0.003)
          cover 0.957 (0.003)
          naive type I 0.140 (0.005)
          cover 0.881 (0.005)
          periods type I 0.046 (0.003)
          cover 0.954 (0.003)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from nof1.analysis.event_rates import rate_difference

DAYS, CYCLES, REPS, ALPHA = 28, 3, 4000, 0.05


def markov(rng, p, rho, n_rows, n_days):
    p = np.broadcast_to(np.asarray(p, float), (n_rows,))
    x = np.empty((n_rows, n_days))
    x[:, 0] = rng.random(n_rows) < p
    u = rng.random((n_rows, n_days))
    for t in range(1, n_days):
        prob = np.where(x[:, t - 1] == 1, p + rho * (1 - p), p * (1 - rho))
        x[:, t] = u[:, t] < prob
    return x


def simulate(rng, p1, p0, rho, spread=0.0):
    """``spread``: the SD of each period's own rate around p (periods differ: the
    exchangeable-within-period case), kept within [0.01, 0.99]."""
    order = rng.random((REPS, CYCLES)) < 0.5  # treated first in the cycle
    arm = np.empty((REPS, 2 * CYCLES * DAYS), dtype=int)
    x = np.empty_like(arm, dtype=float)
    period = np.repeat(np.arange(1, 2 * CYCLES + 1), DAYS)[None, :].repeat(REPS, 0)
    for c in range(CYCLES):
        for h in range(2):
            cols = slice((2 * c + h) * DAYS, (2 * c + h + 1) * DAYS)
            treated = order[:, c] == (h == 0)
            arm[:, cols] = treated[:, None]
            own = [np.clip(q + spread * rng.standard_normal(REPS), 0.01, 0.99) for q in (p1, p0)]
            x1, x0 = markov(rng, own[0], rho, REPS, DAYS), markov(rng, own[1], rho, REPS, DAYS)
            x[:, cols] = np.where(treated[:, None], x1, x0)
    return x, arm, period


def periods_t(x, arm):
    rates = x.reshape(REPS, 2 * CYCLES, DAYS).mean(axis=2)
    treated = arm.reshape(REPS, 2 * CYCLES, DAYS)[:, :, 0] == 1
    d = np.where(treated, rates, 0).reshape(REPS, CYCLES, 2).sum(2) - np.where(
        ~treated, rates, 0
    ).reshape(REPS, CYCLES, 2).sum(2)
    mean, se = d.mean(1), d.std(1, ddof=1) / np.sqrt(CYCLES)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.t.sf(np.abs(mean / se), CYCLES - 1)
    half = stats.t.ppf(1 - ALPHA / 2, CYCLES - 1) * se
    return np.where(np.isfinite(p), p, 1.0), mean - half, mean + half


def row(name, q):
    q = float(np.mean(q))
    return f"{name} {q:.3f} ({np.sqrt(q * (1 - q) / REPS):.3f})"


def main():
    rng = np.random.default_rng(20261201)
    print(f"{REPS} replicates; rate (Monte Carlo SE)")
    for p1, p0, rho, spread in [
        (0.1, 0.1, 0.0, 0), (0.1, 0.1, 0.5, 0), (0.1, 0.1, 0.8, 0), (0.3, 0.3, 0.0, 0),
        (0.3, 0.3, 0.5, 0), (0.3, 0.3, 0.8, 0), (0.3, 0.1, 0.5, 0), (0.3, 0.1, 0.8, 0),
        (0.3, 0.3, 0.0, 0.1), (0.3, 0.3, 0.3, 0.1), (0.1, 0.1, 0.0, 0.05),
    ]:  # fmt: skip
        x, arm, period = simulate(rng, p1, p0, rho, spread)
        truth = p1 - p0
        out = [f"p1={p1} p0={p0} rho={rho} spread={spread}:"]
        for name, persist in [("adjusted", True), ("naive", False)]:
            d = rate_difference(x, arm, period, ALPHA, persistence=persist)
            key = "rejects" if truth else "type I"
            out.append(row(f"{name} {key}", d.p_value <= ALPHA))
            out.append(row("cover", (d.ci_low <= truth) & (truth <= d.ci_high)))
        p, lo, hi = periods_t(x, arm)
        out.append(row("periods " + ("rejects" if truth else "type I"), p <= ALPHA))
        out.append(row("cover", (lo <= truth) & (truth <= hi)))
        print(" | ".join(out))


if __name__ == "__main__":
    main()

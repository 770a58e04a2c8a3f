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

Monte Carlo SE of a rate q over R replicates: sqrt(q (1 - q) / R).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from nof1.analysis.event_rates import rate_difference

DAYS, CYCLES, REPS, ALPHA = 28, 3, 4000, 0.05


def markov(rng, p, rho, n_rows, n_days):
    x = np.empty((n_rows, n_days))
    x[:, 0] = rng.random(n_rows) < p
    u = rng.random((n_rows, n_days))
    for t in range(1, n_days):
        prob = np.where(x[:, t - 1] == 1, p + rho * (1 - p), p * (1 - rho))
        x[:, t] = u[:, t] < prob
    return x


def simulate(rng, p1, p0, rho):
    order = rng.random((REPS, CYCLES)) < 0.5  # treated first in the cycle
    arm = np.empty((REPS, 2 * CYCLES * DAYS), dtype=int)
    x = np.empty_like(arm, dtype=float)
    period = np.repeat(np.arange(1, 2 * CYCLES + 1), DAYS)[None, :].repeat(REPS, 0)
    for c in range(CYCLES):
        for h in range(2):
            cols = slice((2 * c + h) * DAYS, (2 * c + h + 1) * DAYS)
            treated = order[:, c] == (h == 0)
            arm[:, cols] = treated[:, None]
            x1, x0 = markov(rng, p1, rho, REPS, DAYS), markov(rng, p0, rho, REPS, DAYS)
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
    for p1, p0, rho in [
        (0.1, 0.1, 0.0),
        (0.1, 0.1, 0.5),
        (0.1, 0.1, 0.8),
        (0.3, 0.3, 0.0),
        (0.3, 0.3, 0.5),
        (0.3, 0.3, 0.8),
        (0.3, 0.1, 0.5),
        (0.3, 0.1, 0.8),
    ]:
        x, arm, period = simulate(rng, p1, p0, rho)
        truth = p1 - p0
        out = [f"p1={p1} p0={p0} rho={rho}:"]
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

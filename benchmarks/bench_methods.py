"""Per-patient methods: times against DESIGN.md section 10, and against the straightforward way.

Run by hand (not a timed test):  .venv/bin/python benchmarks/bench_methods.py

1. One patient, a year of daily data (365 days), 5 outcomes, every method plus the
   results object (target: under 2 s with the report).
2. 1 000 simulated multicycle patients through every per-patient method.
3. In the same run, the same gls_ar1 fits by a dense n x n GLS loop (benchmarks/dense_gls.py),
   on a sample of trials, with the largest difference in the estimates.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dense_gls import fit_dense  # noqa: E402

from nof1.analysis.ar1 import gls_ar1, gls_ar1_trend  # noqa: E402
from nof1.analysis.bayes import bayes_ar1  # noqa: E402
from nof1.analysis.classic import paired_periods, welch_t  # noqa: E402
from nof1.analysis.nonoverlap import nap  # noqa: E402
from nof1.analysis.patient import analyze_patient  # noqa: E402
from nof1.analysis.randomization import randomization_test  # noqa: E402
from nof1.design.allocation import sample_allocations  # noqa: E402
from nof1.design.timeline import build_timeline, included_conditions  # noqa: E402
from nof1.protocol import read_protocol  # noqa: E402
from nof1.protocol.model import Protocol  # noqa: E402
from nof1.simulate import simulate_outcomes  # noqa: E402


def year_protocol():
    """ldn-nof1-multicycle stretched to 365 days: 6 cycles of 4 + 4 weeks, 15 d follow-up."""
    pf = read_protocol("ldn-nof1-multicycle")
    data = pf.protocol.model_dump()
    data["schedule"].update(cycles=6, follow_up_days=15)
    protocol = Protocol.model_validate(data)
    assert protocol.total_days == 365
    return SimpleNamespace(protocol=protocol, sha256=pf.sha256)


def one_patient_year():
    pf = year_protocol()
    rng = np.random.default_rng(1)
    allocation = sample_allocations(pf.protocol, 1, rng)
    start = time.perf_counter()
    table = build_timeline(pf.protocol, allocation[0])
    values = simulate_outcomes(
        pf.protocol, allocation, effect=-10, sd=12, phi=0.5, missing=0.05, rng=rng
    )
    for name, y in values.items():
        table[name] = y[0]
    aligned = SimpleNamespace(
        table=table, blinded=False, patient_id="BENCH", sha256="0" * 64, rows=len(table)
    )
    results = analyze_patient(aligned, pf)
    elapsed = time.perf_counter() - start
    print(
        f"1 patient x 365 days x 5 outcomes, every method: {elapsed:.2f} s (target < 2 s "
        f"including the report); primary gls_ar1 estimate "
        f"{results.outcomes[0].effects['gls_ar1'].estimate:.2f}"
    )


def many_patients(m=1000, dense_sample=50):
    pf = read_protocol("ldn-nof1-multicycle")
    p = pf.protocol
    rng = np.random.default_rng(2)
    allocations = sample_allocations(p, m, rng)
    pain = simulate_outcomes(
        p, allocations, effect=-10, sd=12, phi=0.5, missing=0.05, outcomes=["pain"], rng=rng
    )["pain"]
    conditions = included_conditions(p, allocations)
    day = np.arange(1, p.total_days + 1)
    times = dict.fromkeys(
        [
            "gls_ar1",
            "gls_ar1_trend",
            "welch_t",
            "paired_periods",
            "randomization",
            "nap",
            "bayes_ar1",
        ],
        0.0,
    )
    estimates = np.empty(m)
    for i in range(m):
        keep = (conditions[i] >= 0) & np.isfinite(pain[i])
        y, d, a = pain[i, keep], day[keep], conditions[i, keep] == 1
        t0 = time.perf_counter()
        estimates[i] = gls_ar1(y, d, a).estimate
        t1 = time.perf_counter()
        gls_ar1_trend(y, d, a)
        t2 = time.perf_counter()
        welch_t(y, a)
        t3 = time.perf_counter()
        period = np.cumsum(np.diff(conditions[i], prepend=-1) != 0)[keep]
        means = {
            c: [y[(period == k) & (a == c)].mean() for k in np.unique(period[a == c])]
            for c in (True, False)
        }
        paired_periods(means[True], means[False])
        t4 = time.perf_counter()
        randomization_test(p, pain[i], allocations[i])
        t5 = time.perf_counter()
        nap(y, a, "lower")
        t6 = time.perf_counter()
        bayes_ar1(y, d, a, "lower", 10)
        t7 = time.perf_counter()
        for key, dt_ in zip(times, np.diff([t0, t1, t2, t3, t4, t5, t6, t7]), strict=True):
            times[key] += dt_
    total = sum(times.values())
    print(
        f"\n{m} multicycle patients (182 days, pain), per-patient loop over methods: "
        f"{total:.1f} s in all"
    )
    for key, value in times.items():
        print(f"  {key:<15} {value:6.2f} s   ({value / m * 1e3:.2f} ms per patient)")

    # The straightforward way: dense n x n GLS, on a sample of the same trials.
    t0 = time.perf_counter()
    worst = 0.0
    for i in range(dense_sample):
        keep = (conditions[i] >= 0) & np.isfinite(pain[i])
        est, _, _ = fit_dense(pain[i, keep], day[keep], conditions[i, keep] == 1)
        worst = max(worst, abs(est - estimates[i]))
    dense = (time.perf_counter() - t0) / dense_sample
    ours = times["gls_ar1"] / m
    print(
        f"\ngls_ar1: {ours * 1e3:.2f} ms per fit (O(n) whitening) vs {dense * 1e3:.1f} ms per "
        f"fit with a dense n x n matrix ({dense / ours:.0f}x); largest difference in the "
        f"estimate over {dense_sample} trials: {worst:.2e}"
    )


if __name__ == "__main__":
    one_patient_year()
    many_patients()

"""Per-patient methods: times against DESIGN.md section 10, and against the straightforward way.

Run by hand (not a timed test):  .venv/bin/python benchmarks/bench_methods.py

1. One patient, a year of daily data (365 days), 5 outcomes: `nof1 analyze` with every
   method and the report, wall clock (target: under 2 s).
2. 1 000 simulated multicycle patients through every per-patient method.
3. In the same run, the same gls_ar1 fits by a dense n x n GLS loop (benchmarks/dense_gls.py),
   on a sample of trials, with the largest difference in the estimates.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dense_gls import fit_dense  # noqa: E402

from nof1.analysis.ar1 import gls_ar1, gls_ar1_trend  # noqa: E402
from nof1.analysis.bayes import bayes_ar1  # noqa: E402
from nof1.analysis.classic import paired_periods, welch_t  # noqa: E402
from nof1.analysis.nonoverlap import nap  # noqa: E402
from nof1.analysis.randomization import randomization_test  # noqa: E402
from nof1.design.allocation import sample_allocations  # noqa: E402
from nof1.design.timeline import included_conditions  # noqa: E402
from nof1.protocol import read_protocol  # noqa: E402
from nof1.protocol.model import Protocol  # noqa: E402
from nof1.simulate import simulate_outcomes  # noqa: E402


def one_patient_year():
    """`nof1 analyze` on 365 days x 5 outcomes, as a user runs it: wall clock, report included."""
    pf = read_protocol("ldn-nof1-multicycle")
    data = yaml.safe_load(pf.text)
    data["id"] = "ldn-nof1-year"
    data["schedule"].update(cycles=6, follow_up_days=15)  # 14 + 6 x 56 + 15 = 365 days
    assert Protocol.model_validate(data).total_days == 365
    with tempfile.TemporaryDirectory() as tmp:
        protocol = Path(tmp) / "year.yaml"
        protocol.write_text(yaml.safe_dump(data, sort_keys=False))
        nof1 = [sys.executable, "-m", "nof1"]
        subprocess.run(
            [
                *nof1,
                "simulate",
                str(protocol),
                "--patient",
                "Y1",
                "--effect",
                "-10",
                "--sd",
                "12",
                "--phi",
                "0.5",
                "--missing",
                "0.05",
                "--seed",
                "1",
                "--out",
                f"{tmp}/sim",
            ],
            check=True,
            capture_output=True,
        )
        start = time.perf_counter()
        subprocess.run(
            [
                *nof1,
                "analyze",
                f"{tmp}/sim/Y1-diary.csv",
                "--protocol",
                str(protocol),
                "--allocation",
                f"{tmp}/sim/Y1-unblinding-key.json",
                "--out",
                f"{tmp}/out",
            ],
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - start
        size = (Path(tmp) / "out" / "report.html").stat().st_size / 1e6
    print(
        f"nof1 analyze, 1 patient x 365 days x 5 outcomes, every method + report "
        f"({size:.1f} MB): {elapsed:.2f} s wall (target < 2 s)"
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

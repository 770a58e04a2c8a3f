"""The lean driver of `nof1 series` at 2 000 / 5 000 / 10 000 patients: the parent's peak
memory (RSS) for the whole run, its wall time and CPU per patient (issue 14: parent under
400 MB at 10 000 patients).

Run by hand (not a timed test)::

    .venv/bin/python benchmarks/bench_driver.py --patients 10000 --dask local:2
    .venv/bin/python benchmarks/bench_driver.py --patients 2000 --workers 2

Simulates ``--base`` patients on ldn-nof1-multicycle (182 days, 5 outcomes; the blinded
allocation as `nof1 schedule` writes it), copies them under new ids up to ``--patients``
(simulating the schedules is the slow part, not what is measured), then runs the whole
`nof1 series` command in a fresh process and reports that process's peak RSS
(``VmHWM``: the parent only; the workers are other processes), its wall time, and the
CPU of the parent and of the workers (local workers: its children; a LocalCluster's
workers are its children too, reaped when the cluster closes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import os, resource, sys, time
t = time.perf_counter()
from nof1.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])  # this process's
    print(f"RESULT {hwm / 1024:.0f} {time.perf_counter() - t:.1f} "
          f"{s.ru_utime + s.ru_stime:.1f} {c.ru_utime + c.ru_stime:.1f}", file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--base", type=int, default=200, help="patients simulated")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--dask", metavar="ADDRESS", help="e.g. local:2 (a LocalCluster)")
    parser.add_argument("--data", type=Path, help="a folder to keep the simulated data in")
    args = parser.parse_args()
    folder = args.data or Path(tempfile.mkdtemp(prefix="nof1-bench-driver-"))
    diary = folder / f"series-diary-{args.patients}.csv"
    alloc = folder / f"series-allocation-blinded-{args.patients}.csv"
    if not diary.exists():
        _simulate(folder, args.base, args.patients, diary, alloc)
    out = Path(tempfile.mkdtemp(prefix="nof1-bench-driver-out-")) / "out"
    where = ["--dask", args.dask] if args.dask else ["--workers", str(args.workers or 2)]
    load = os.getloadavg()
    run = subprocess.run(
        [sys.executable, "-c", CHILD, "series", str(diary), "--protocol", "ldn-nof1-multicycle",
         "--allocations", str(alloc), "--out", str(out), *where],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    line = [x for x in run.stderr.splitlines() if x.startswith("RESULT")]
    if run.returncode or not line:
        sys.exit(run.stderr[-3000:])
    rss, wall, cpu_parent, cpu_children = map(float, line[-1].split()[1:])
    n = args.patients
    print(
        f"{n} patients, {' '.join(where)}: parent peak RSS {rss:.0f} MB "
        f"({rss * 1000 / n:.0f} kB per patient, imports included); wall {wall:.0f} s; CPU "
        f"parent {cpu_parent:.1f} s ({cpu_parent / n * 1000:.1f} ms per patient), workers "
        f"{cpu_children:.1f} s ({cpu_children / n * 1000:.1f} ms per patient); load average "
        f"before {load[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 CPUs shared)"
    )


def _simulate(folder: Path, base: int, n: int, diary: Path, alloc: Path) -> None:
    import pandas as pd

    from nof1.design.blinding import patient_ids, schedule_files
    from nof1.protocol import read_protocol
    from nof1.simulate import simulate_diaries

    pf = read_protocol("ldn-nof1-multicycle")
    start = dt.date(2026, 1, 5)
    pairs = simulate_diaries(
        pf, patient_ids(base), start, 2026,
        effect=-10, effect_sd=6, sd=12, phi=0.5, onset_half_life=7, offset_half_life=3,
        missing=0.05,
    )  # fmt: skip
    table = pd.concat([d for _, d in pairs], ignore_index=True).to_csv(index=False)
    blinded = schedule_files(pf, [s for s, _ in pairs], start, 2026)
    _copies(table, diary, n, base, kit=None)
    _copies(blinded["series-allocation-blinded.csv"], alloc, n, base, kit=7)


def _copies(text: str, path: Path, n: int, base: int, kit: int | None) -> None:
    """``text`` (a table by patient_id, ids P0001...) copied under ids P00001... up to n;
    kit codes made distinct per copy."""
    head, *body = text.splitlines(keepends=True)
    with open(path, "w") as f:
        f.write(head)
        for copy in range((n + base - 1) // base):
            for line in body:
                pid, rest = line.split(",", 1)
                i = int(pid.lstrip("P")) + copy * base
                if i > n:
                    continue
                if kit is not None:
                    parts = rest.split(",")
                    if parts[kit - 1]:
                        parts[kit - 1] = f"{copy:03d}{parts[kit - 1]}"
                    rest = ",".join(parts)
                f.write(f"P{i:05d},{rest}")


if __name__ == "__main__":
    main()

"""The lean driver: what a worker sends back per patient is small, so the parent's memory
grows by a few kB per patient (issue 14: under 400 MB at 10 000 patients).

Measured, not timed: the real summaries of the sample series' patients, as the parent
receives them (unpickled), 2 000 of them, and the pooling of those 2 000 (meta-analyses,
mixed models from the sufficient statistics, tests) on top.
"""

from __future__ import annotations

import pickle
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
PATIENTS = 2000
KEY = SERIES / "series-unblinding-key.json"


def test_the_parent_holds_a_few_kb_per_patient():
    from nof1.protocol import read_protocol
    from nof1.series import load_series
    from nof1.series.packed import PackedSummaries, SummaryPacker, held_entry
    from nof1.series.pooling import compact_results, mixed_models, pool_outcomes
    from nof1.series.results import patient_files
    from nof1.series.run import _analyze_chunk, _Run

    pf = read_protocol("ldn-fibromyalgia-2013")
    data = load_series(
        SERIES / "series-diary.csv", pf.protocol, SERIES / "series-unblinding-key.json"
    )
    chunk = [(pid, d, data.allocations[pid], pid) for pid, d in list(data.diaries.items())[:10]]
    run = _Run(pf, patient_files, 0, None, False, False, None)
    entries = [{k: v for k, v in e.items() if k != "files"} for e in _analyze_chunk(chunk, run)]
    sent = [pickle.dumps(e) for e in entries]  # what crosses from the workers
    assert max(map(len, sent)) < 8_000

    import scipy.integrate  # noqa: F401  (pooling's imports are not per patient)
    import scipy.stats  # noqa: F401

    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    held, packer = [], SummaryPacker()
    for i in range(PATIENTS):  # distinct patients, kept as the parent keeps them
        e = pickle.loads(sent[i % len(sent)])
        e["patient_id"] = e["summary"]["patient_id"] = f"P{i:05d}"
        for s in e["mixed"].values():
            s.patient[:] = e["patient_id"]
        held.append(held_entry(e, packer))
    size = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    ids = [e["patient_id"] for e in held]
    results = PackedSummaries({e["patient_id"]: e["summary"] for e in held}, packer)
    mixed = mixed_models(ids, [e["mixed"] for e in held], pf.protocol)
    pool_outcomes(
        pf.protocol, ids, ("active", "placebo"), results, mixed, [e["order"] for e in held]
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_patient = size / PATIENTS
    print(f"parent: {per_patient / 1000:.1f} kB per patient held, pooling peak {peak / 1e6:.0f} MB")
    assert per_patient < 35_000  # 350 MB at 10 000 patients (issue 14: under 400 MB)
    assert peak < 150e6
    assert set(results[ids[0]]) <= set(compact_results.__globals__["SUMMARY_KEYS"]) | {"outcomes"}


COPIES = 2000
CHILD = r"""
import copy, pickle, sys
from pathlib import Path
import scipy.integrate, scipy.stats  # noqa: F401  (imports are not per patient)
import nof1.report.series, nof1.series.meta, nof1.series.mixed, nof1.series.pooled  # noqa
import nof1.series.run as series_run
from nof1.cli import main

entries, table, key, out = sys.argv[1:]
real = pickle.loads(Path(entries).read_bytes())


def replayed(chunk, how):  # each copy gets its original's real entry: analyses not measured
    out = []
    for pid, *_ in chunk:
        e = copy.deepcopy(real["P%02d" % ((int(pid[1:]) - 1) % 31 + 1)])
        e["patient_id"] = pid
        e["summary"]["patient_id"] = pid
        for s in e["mixed"].values():
            s.patient[:] = pid
        e["staged"] = {}
        out.append(e)
    return out


series_run._analyze_chunk = replayed
def peak():  # VmHWM: this process's own (ru_maxrss keeps the forking parent's across exec)
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0])


before = peak()
main(["series", table, "--protocol", "ldn-fibromyalgia-2013", "--allocations", key,
      "--out", out, "--workers", "1"], standalone_mode=False)
print("RSS", before, peak())
"""


def test_the_parent_of_a_whole_series_run_stays_small(tmp_path):
    """RSS of the parent for the whole `nof1 series` command (reading, checking, pooling,
    series.json and series.html) on 2 000 patients: the sample series' 31 copied under new
    ids (diary table and blinded allocation); the per-patient analyses are replayed (their
    summaries, as the workers send them: measured above), everything else is real."""
    import pickle
    import subprocess
    import sys

    from nof1.protocol import read_protocol
    from nof1.series import load_series
    from nof1.series.results import patient_files
    from nof1.series.run import _analyze_chunk, _Run

    pf = read_protocol("ldn-fibromyalgia-2013")
    data = load_series(SERIES / "series-diary.csv", pf.protocol, KEY)
    chunk = [(pid, d, data.allocations[pid], pid) for pid, d in data.diaries.items()]
    run = _Run(pf, patient_files, 0, None, False, False, None)
    real = {e.pop("patient_id"): e for e in _analyze_chunk(chunk, run)}
    for e in real.values():
        e.pop("files")
    entries = tmp_path / "entries.pickle"
    entries.write_bytes(pickle.dumps(real))
    table = tmp_path / "series-diary.csv"
    key = tmp_path / "series-allocation-blinded.csv"
    _copies(SERIES / "series-diary.csv", table, None)
    _copies(SERIES / "series-allocation-blinded.csv", key, 7)
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(entries), str(table), str(key), str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    line = [x for x in run.stdout.splitlines() if x.startswith("RSS")]
    assert run.returncode == 0 and line, run.stderr[-2000:]
    before, peak = (int(v) / 1024 for v in line[0].split()[1:])
    grown = (peak - before) * 1024 / COPIES
    print(f"parent: {before:.0f} MB after imports, peak {peak:.0f} MB: {grown:.0f} kB per patient")
    # Measured 84 kB (2 000 patients; 94 kB before pooling lost its n x n matrix): the
    # summaries held (31.5 kB, above), then series.json, series.html and the files' texts
    # built from them at the end. Issue 14's target (400 MB at 10 000) needs under ~20 kB.
    assert grown < 100


def _copies(source: Path, path: Path, kit: int | None) -> None:
    """A table by patient_id (P01..P31) copied under ids P00001... up to COPIES (kit codes
    made distinct per copy)."""
    head, *body = source.read_text().splitlines(keepends=True)
    with open(path, "w") as f:
        f.write(head)
        for n in range((COPIES + 30) // 31):
            for line in body:
                pid, rest = line.split(",", 1)
                i = int(pid[1:]) + n * 31
                if i > COPIES:
                    continue
                if kit is not None:
                    cells = rest.split(",")
                    cells[kit - 1] = f"{n:03d}{cells[kit - 1]}" if cells[kit - 1] else ""
                    rest = ",".join(cells)
                f.write(f"P{i:05d},{rest}")

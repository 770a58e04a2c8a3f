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


def test_the_parent_holds_a_few_kb_per_patient():
    from nof1.protocol import read_protocol
    from nof1.series import load_series
    from nof1.series.pooling import compact_results, mixed_models, pool_outcomes, shared_strings
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

    import pingouin  # noqa: F401  (pooling imports it; its import is not per patient)

    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    held = [pickle.loads(sent[i % len(sent)]) for i in range(PATIENTS)]
    for e in held:  # as the parent keeps them
        e["summary"] = shared_strings(e["summary"])
    for i, e in enumerate(held):  # distinct patients, as the parent would hold them
        e["patient_id"] = e["summary"]["patient_id"] = f"P{i:05d}"
        for s in e["mixed"].values():
            s.patient[:] = e["patient_id"]
    size = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    ids = [e["patient_id"] for e in held]
    results = {e["patient_id"]: e["summary"] for e in held}
    mixed = mixed_models([e["mixed"] for e in held], pf.protocol)
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

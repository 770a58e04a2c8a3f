"""A sample diary with side-effect, adherence and guess columns, and a protocol asking them,
written to a folder: the end-to-end input of ``nof1 analyze``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
ITEMS = """
adverse_events:
  - {name: vivid_dreams, label: Vivid dreams}
  - {name: insomnia, label: Trouble sleeping}
  - {name: headache, label: Headache}
  - {name: nausea, label: Nausea}
adherence: {name: dose_taken, label: "Took today's capsules", per_protocol_min: 0.8}
blinding_check: {name: guess, label: "Which do you think you took this period?"}
"""


def write_side_inputs(folder: Path, seed: int = 4) -> dict[str, Path]:
    """protocol.yaml (the multicycle protocol with the items, unless it has them), the
    sample's unblinding key and blinded allocation re-issued for it (its SHA-256), and a
    diary with the columns; events depend on the day's condition."""
    from nof1.design.timeline import blinding_check_days, build_timeline
    from nof1.protocol import read_protocol

    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "protocols" / "ldn-nof1-multicycle.yaml").read_text()
    if "adverse_events:" not in text:
        text += ITEMS
    protocol = folder / "protocol.yaml"
    protocol.write_text(text)
    pf = read_protocol(protocol)
    p = pf.protocol
    key = folder / "P01-unblinding-key.json"
    data = json.loads((SAMPLE / "P01-unblinding-key.json").read_text())
    old = data["protocol"]["sha256"]
    data["protocol"]["sha256"] = pf.sha256
    key.write_text(json.dumps(data, indent=2))
    blinded = folder / "P01-allocation-blinded.csv"
    blinded.write_text((SAMPLE / "P01-allocation-blinded.csv").read_text().replace(old, pf.sha256))
    allocation = [c == "active" for c in json.loads(key.read_text())["sequence"]]
    t = build_timeline(p, allocation)
    diary = pd.read_csv(SAMPLE / "P01-diary.csv")
    condition = t.set_index("day")["condition"].reindex(diary["day"]).to_numpy()
    period = t.set_index("day")["period"].reindex(diary["day"]).to_numpy()
    rng = np.random.default_rng(seed)
    active = condition == "active"
    yes = {True: "yes", False: "no"}
    rates = {"vivid_dreams": (0.35, 0.05), "insomnia": (0.15, 0.1), "headache": (0.05, 0.05),
             "nausea": (0.03, 0.0)}  # fmt: skip
    for name, (on, off) in rates.items():
        happened = rng.random(len(diary)) < np.where(active, on, off)
        diary[name] = [yes[bool(h)] for h in happened]
    taken = rng.random(len(diary)) < np.where(period == 4, 0.6, 0.95)
    diary["dose_taken"] = [yes[bool(x)] for x in taken]
    asked = set(blinding_check_days(p, allocation))
    diary["guess"] = [
        ("drug" if c == "active" else "unsure") if d in asked else ""
        for d, c in zip(diary["day"], condition, strict=True)
    ]
    path = folder / "P01-diary.csv"
    diary.to_csv(path, index=False)
    return {"protocol": protocol, "key": key, "blinded": blinded, "diary": path}

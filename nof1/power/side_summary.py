"""power.json's ``harms``, ``adherence`` and ``blinding``: the chunks' answer items
(:mod:`nof1.power.side`) summarised per design point, with Monte Carlo errors."""

from __future__ import annotations

import numpy as np
from scipy import stats

from nof1.analysis.blinding import bang_index
from nof1.power.results import AdherencePowerRow, BangPower, BlindingPowerRow, HarmsPowerRow
from nof1.power.side import per_protocol_method, true_rates

__all__ = ["adherence_row", "answer_inputs", "blinding_row", "harms_rows", "side_rows"]


def _se(rate: float, n: int) -> float:
    return float(np.sqrt(rate * (1 - rate) / n))


def _joined(parts: list[dict], item: str, key: str) -> np.ndarray:
    """A per-trial array of every chunk, joined along the trials (the last axis)."""
    return np.concatenate([part[item][key] for part in parts], axis=-1)


def harms_rows(design, parts: list[dict], answers: dict) -> list[dict]:
    """One row per event and for "any side effect" at ``design``."""
    p = design.protocol
    alpha = p.analysis.alpha
    reject, estimate = _joined(parts, "harms", "reject"), _joined(parts, "harms", "estimate")
    low, high = _joined(parts, "harms", "ci_low"), _joined(parts, "harms", "ci_high")
    ran = _joined(parts, "harms", "ran")
    n = reject.shape[1]
    rows = []
    for j, (name, label, placebo, active) in enumerate(true_rates(p, answers)):
        truth = active - placebo
        rate = float(reject[j].mean())
        ok = ran[j] & np.isfinite(estimate[j])
        held = (low[j][ok] <= truth) & (truth <= high[j][ok])
        coverage = float(held.mean()) if ok.any() else None
        row = HarmsPowerRow(
            **design.to_dict(),
            event=name,
            label=label,
            rate_placebo=placebo,
            rate_active=active,
            difference=truth,
            persistence=float(answers.get("persistence", 0.5)),
            sims=n,
            rule=f"two-sided p <= {alpha:g} (rate difference allowing for day-to-day persistence)",
            measures="type_i_error" if placebo == active else "power",
            rejection_rate=rate,
            mc_se=_se(rate, n),
            mean_difference=float(estimate[j][ok].mean()) if ok.any() else None,
            coverage=coverage,
            coverage_mc_se=None if coverage is None else _se(coverage, int(ok.sum())),
            failed=int(n - ran[j].sum()),
        )
        rows.append(row.to_dict())
    return rows


def blinding_row(design, parts: list[dict], answers: dict) -> dict:
    """The blinding question's row at ``design``."""
    p = design.protocol
    alpha = p.analysis.alpha
    c = {k: _joined(parts, "blinding", k) for k in parts[0]["blinding"]}
    bang = {}
    for arm in ("active", "placebo"):
        right, wrong, unsure = (c[f"{a}_{arm}"] for a in ("right", "wrong", "unsure"))
        estimate, _, _ = bang_index(right, wrong, unsure, alpha)
        seen = np.isfinite(estimate)
        k = int(seen.sum())
        bang[arm] = BangPower(
            float(estimate[seen].mean()) if k else None,
            float(estimate[seen].std(ddof=1) / np.sqrt(k)) if k > 1 else None,
        )
    correct = c["right_active"] + c["right_placebo"]
    asked = correct + c["wrong_active"] + c["wrong_placebo"]
    asked = asked + c["unsure_active"] + c["unsure_placebo"]
    # P(at least `correct` right of `asked` by chance), as the patient report's sentence
    chance = np.where(asked > 0, stats.binom.sf(correct - 1, asked, 0.5), 1.0)
    flagged = float(np.mean(chance <= alpha))
    n = len(correct)
    return BlindingPowerRow(
        **design.to_dict(),
        name=p.blinding_check.name,
        guess_right=float(answers.get("guess_right", 0.5)),
        guess_unsure=float(answers.get("guess_unsure", 0.2)),
        sims=n,
        periods_asked=float(asked.mean()),
        bang=bang,
        better_than_chance=flagged,
        mc_se=_se(flagged, n),
        can_flag=bool(0.5**p.n_periods <= alpha),
    ).to_dict()


def adherence_row(design, effect: float, parts: list[dict], answers: dict, itt) -> dict:
    """The adherence row at ``design`` and ``effect``; ``itt`` is the results row of the
    per-protocol method at the same design and effect (None when power does not run it)."""
    p = design.protocol
    left_out, periods = (
        _joined(parts, "adherence", "left_out"),
        _joined(parts, "adherence", "periods"),
    )
    n = len(left_out)
    method = per_protocol_method(p)
    rate = failed = None
    if method is not None and "reject" in parts[0]["adherence"]:
        rate = float(_joined(parts, "adherence", "reject").mean())
        failed = int(_joined(parts, "adherence", "failed").sum())
    return AdherencePowerRow(
        **design.to_dict(),
        effect=effect,
        name=p.adherence.name,
        missed_dose_rate=float(answers.get("missed_dose_rate", 0.05)),
        per_protocol_min=float(p.adherence.per_protocol_min),
        sims=n,
        periods_left_out=float(np.mean(left_out / periods)),
        trials_with_periods_left_out=float(np.mean(left_out > 0)),
        method=method if rate is not None else None,
        rejection_rate=rate,
        mc_se=None if rate is None else _se(rate, n),
        itt_rejection_rate=None if itt is None else itt["rejection_rate"],
        failed=failed,
    ).to_dict()


def side_rows(points, sides, results, answers) -> dict:
    """power.json's ``harms`` and ``blinding`` (per design) and ``adherence`` (per design
    and effect); null when the protocol has no such item."""
    p = points[0][0].protocol
    out = {
        "harms": [] if p.adverse_events else None,
        "adherence": [] if p.adherence is not None else None,
        "blinding": [] if p.blinding_check is not None else None,
    }
    method = per_protocol_method(p)
    for (design, effect), parts in zip(points, sides, strict=True):
        if "harms" in parts[0]:
            out["harms"].extend(harms_rows(design, parts, answers))
        if "blinding" in parts[0]:
            out["blinding"].append(blinding_row(design, parts, answers))
        if "adherence" in parts[0]:
            keys = {**design.to_dict(), "effect": effect, "method": method}
            itt = next((r for r in results if all(r[k] == v for k, v in keys.items())), None)
            out["adherence"].append(adherence_row(design, effect, parts, answers, itt))
    return out


def answer_inputs(p, answers: dict) -> dict:
    """power.json's ``inputs`` of the answer items the protocol has."""
    out = {}
    if p.adverse_events:
        out["event_rates"] = {k: list(v) for k, v in answers["rates"].items()}
        out["event_persistence"] = answers["persistence"]
    if p.adherence is not None:
        out["missed_dose_rate"] = answers["missed_dose_rate"]
    if p.blinding_check is not None:
        out["guess_right"] = answers["guess_right"]
        out["guess_unsure"] = answers["guess_unsure"]
    return out

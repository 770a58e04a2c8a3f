"""Simulated answer items (issue 16 item 6): events, adherence and guesses, on their own
random stream."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.design.timeline import blinding_check_days
from nof1.protocol import load_protocol, read_protocol
from nof1.simulate import simulate_diaries
from nof1.simulate.answers import answers_rng, event_rates, simulate_answers

MULTI = load_protocol("ldn-nof1-multicycle")
M = 400  # trials: 400 x 182 days


def allocations(m=M, seed=1):
    rng = np.random.default_rng(seed)
    first = rng.random((m, 3)) < 0.5
    return np.repeat(first, 2, axis=1) ^ np.tile([False, True], 3)  # pairwise


def test_event_rates_are_as_asked_on_each_condition():
    alloc = allocations()
    out = simulate_answers(MULTI, alloc, answers_rng(1), rates={"vivid_dreams": (0.05, 0.20)})
    from nof1.design.timeline import included_conditions

    with_washout = MULTI.model_copy(
        update={"analysis": MULTI.analysis.model_copy(update={"analytic_washout_days": 0})}
    )
    active = included_conditions(with_washout, alloc) == 1  # every active treatment day
    x = out["vivid_dreams"]
    # 33,600 active and 39,200 other days; with persistence 0.5 the variance triples:
    # SE about 0.004 and 0.002, so 0.015 is over 3.5 SE.
    assert abs(x[active].mean() - 0.20) < 0.015
    assert abs(x[~active].mean() - 0.05) < 0.01
    assert set(np.unique(x)) == {0.0, 1.0}


def lag1(x: np.ndarray) -> float:
    """Pooled lag-1 autocorrelation of 0/1 rows around their overall mean."""
    e = x - x.mean()
    return float((e[:, 1:] * e[:, :-1]).sum() / (e**2).sum())


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.7])
def test_persistence_is_the_lag1_autocorrelation_of_the_chain(rho):
    out = simulate_answers(
        MULTI, allocations(), answers_rng(2), rates={"nausea": (0.3, 0.3)}, persistence=rho
    )
    x = out["nausea"]
    assert abs(x.mean() - 0.3) < 0.02
    assert abs(lag1(x) - rho) < 0.02  # 72,400 pairs: SE about 0.004


def test_missed_doses_on_treatment_days_only():
    out = simulate_answers(MULTI, allocations(), answers_rng(3), missed_dose_rate=0.1)
    taken = out["dose_taken"]
    assert np.isnan(taken[:, :14]).all()  # baseline: no study medication
    on = taken[:, 14:]
    assert not np.isnan(on).any() and abs(1 - on.mean() - 0.1) < 0.01  # 67,200 days


def test_guesses_only_on_the_question_days_right_as_often_as_asked():
    alloc = allocations()
    out = simulate_answers(MULTI, alloc, answers_rng(4), guess_right=0.8, guess_unsure=0.25)
    g = out["guess"]
    asked = np.array(blinding_check_days(MULTI)) - 1
    others = np.delete(g, asked, axis=1)
    assert all(v is None for v in others.ravel())
    said = g[:, asked]
    truth = np.where(alloc, "drug", "placebo")
    unsure = said == "unsure"
    assert abs(unsure.mean() - 0.25) < 0.04  # 2,400 answers: SE 0.009
    assert abs((said == truth)[~unsure].mean() - 0.8) < 0.04


def test_at_chance_the_guesses_do_not_depend_on_the_allocation():
    a = simulate_answers(MULTI, [[True, False] * 3], answers_rng(5))["guess"]
    b = simulate_answers(MULTI, [[False, True] * 3], answers_rng(5))["guess"]
    assert (a == b).all()


def test_unequal_periods_ask_on_each_allocations_last_days():
    p = load_protocol("ldn-fibromyalgia-2013")
    g = simulate_answers(p, [[True, False], [False, True]], answers_rng(6))["guess"]
    asked = [[d + 1 for d in np.flatnonzero([v is not None for v in row])] for row in g]
    assert asked == [[98, 126], [42, 126]]


def test_the_defaults_are_ldn_like():
    rates = event_rates(MULTI)
    assert rates["vivid_dreams"][1] > rates["vivid_dreams"][0]  # more often on LDN
    assert rates["headache"][0] == rates["headache"][1]
    with pytest.raises(ValueError, match="not an adverse event of protocol"):
        event_rates(MULTI, {"itch": (0.1, 0.1)})


def test_answers_never_move_an_outcome():
    pf = read_protocol("ldn-nof1-multicycle")
    kw = dict(effect=-10, sd=12, phi=0.5, missing=0.1)
    start, secret = dt.date(2026, 1, 5), "ab" * 32
    plain = simulate_diaries(pf, ["P01", "P02"], start, 11, secret, **kw)
    other = dict(rates={"vivid_dreams": (0.9, 0.1)}, persistence=0.9, guess_right=1.0)
    changed = simulate_diaries(pf, ["P01", "P02"], start, 11, secret, answers=other, **kw)
    outcomes = [o.name for o in pf.protocol.outcomes]
    for (_, a), (_, b) in zip(plain, changed, strict=True):
        assert a[outcomes].equals(b[outcomes])
        assert not a["vivid_dreams"].equals(b["vivid_dreams"])
        # a day without any outcome has no answers either
        gone = a[outcomes].isna().all(axis=1)
        assert gone.any() and a.loc[gone, pf.protocol.answer_items].isna().all().all()


def test_the_answer_stream_is_independent_of_the_outcome_stream():
    outcome = np.random.default_rng(np.random.SeedSequence(9).spawn(1)[0]).random(10_000)
    answer = answers_rng(9).random(10_000)
    assert abs(np.corrcoef(outcome, answer)[0, 1]) < 0.04  # SE 0.01
    assert not np.allclose(outcome[:5], answer[:5])


def test_simulate_records_the_answer_options_and_refuses_bad_ones(tmp_path):
    args = ["simulate", "ldn-nof1-multicycle", "--patient", "P01", "--effect", "-10",
            "--sd", "12", "--phi", "0.5", "--seed", "3"]  # fmt: skip
    ok = CliRunner().invoke(
        main,
        [
            *args,
            "--event-rate",
            "nausea=0.1:0.3",
            "--guess-right",
            "0.7",
            "--out",
            str(tmp_path / "a"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    text = (tmp_path / "a" / "SIMULATION.md").read_text()
    assert "--event-rate nausea=0.1:0.3" in text and "--guess-right 0.7" in text
    assert "| nausea | daily rate 0.1 on placebo and off treatment, 0.3 on active" in text
    for bad, message in [
        ("itch=0.1:0.2", "not an adverse event of protocol 'ldn-nof1-multicycle': itch"),
        ("nausea=0.1", "expected NAME=PLACEBO:ACTIVE"),
        ("nausea=0.1:1.5", "expected NAME=PLACEBO:ACTIVE"),
    ]:
        result = CliRunner().invoke(
            main, [*args, "--event-rate", bad, "--out", str(tmp_path / "b")]
        )
        assert (
            result.exit_code == 2 and message in result.output and "Traceback" not in result.output
        )
        assert not (tmp_path / "b").exists()

"""Harms, adherence and the blinding question pooled across patients, from per-patient
results of the shape results.json has (hand-built here)."""

from __future__ import annotations

import pytest

from nof1.series.adherence import pool_adherence
from nof1.series.blinding_check import pool_blinding
from nof1.series.harms import pool_harms
from nof1.series.meta import meta_analysis
from nof1.series.results import OutcomeSeries, PatientEffect, PrimaryEffect

LABELS = {"active": "LDN", "placebo": "Placebo"}
BLINDED = {"B": "group B", "A": "group A"}
EVENTS = [("vivid_dreams", "Vivid dreams"), ("nausea", "Nausea")]


def _cell(days, with_event):
    return {"days_observed": days, "days_with_event": with_event,
            "rate": with_event / days if days else None}  # fmt: skip


def _harms(counts, t="active", c="placebo"):
    """counts: event name -> ((days, with) on t, (days, with) on c)."""
    events = []
    for name, (on_t, on_c) in counts.items():
        label = "Any side effect" if name == "any" else name.replace("_", " ").capitalize()
        events.append({"name": name, "label": label,
                       "by_condition": {t: _cell(*on_t), c: _cell(*on_c)}})  # fmt: skip
    return {"method": "test", "events": events}


def _series():
    return {
        "P1": {
            "harms": _harms(
                {
                    "vivid_dreams": ((80, 12), (28, 1)),
                    "nausea": ((80, 0), (28, 0)),
                    "any": ((80, 12), (28, 1)),
                }
            )
        },  # fmt: skip
        "P2": {
            "harms": _harms(
                {
                    "vivid_dreams": ((84, 20), (28, 2)),
                    "nausea": ((84, 2), (28, 0)),
                    "any": ((84, 21), (28, 2)),
                }
            )
        },  # fmt: skip
        "P3": {
            "harms": _harms(
                {
                    "vivid_dreams": ((70, 7), (20, 0)),
                    "nausea": ((70, 0), (20, 1)),
                    "any": ((70, 7), (20, 1)),
                }
            )
        },  # fmt: skip
        "P4": {"harms": None},  # no side-effect records
        "P5": {
            "harms": _harms(
                {
                    "vivid_dreams": ((60, 3), (0, 0)),
                    "nausea": ((60, 0), (0, 0)),
                    "any": ((60, 3), (0, 0)),
                }
            )
        },  # fmt: skip
    }


def test_pooled_harms_count_patients_with_the_event_per_condition():
    h = pool_harms(_series(), EVENTS, "active", "placebo", LABELS)
    assert [e.name for e in h.events] == ["vivid_dreams", "nausea", "any"]
    dreams = h.events[0]
    assert dreams.patients_with_data == 3 and dreams.patients_without_data == 2
    t, c = dreams.by_condition["active"], dreams.by_condition["placebo"]
    assert (t.patients, t.with_event, c.patients, c.with_event) == (4, 4, 3, 2)
    assert (t.days_observed, t.days_with_event) == (294, 42)
    assert t.share == 1.0 and c.share == pytest.approx(2 / 3)
    assert t.mean_rate == pytest.approx((12 / 80 + 20 / 84 + 7 / 70 + 3 / 60) / 4)
    rates = {r.patient_id: r.rates for r in dreams.per_patient}
    assert rates["P4"] == {"active": None, "placebo": None}
    assert rates["P5"] == {"active": 0.05, "placebo": None}


def test_the_paired_comparison_uses_the_patients_with_both_conditions():
    h = pool_harms(_series(), EVENTS, "active", "placebo", LABELS)
    d = h.events[0].difference
    diffs = [12 / 80 - 1 / 28, 20 / 84 - 2 / 28, 7 / 70 - 0]
    assert d.n == 3 and d.estimate == pytest.approx(sum(diffs) / 3)
    assert d.ci_low > 0  # vivid dreams clearly more frequent on LDN
    assert "vivid dreams more often on LDN than on Placebo" in h.message
    assert "nausea" not in h.message
    assert h.events[0].message.startswith(
        "Vivid dreams: 4 of 4 patients had it at least once on LDN and 2 of 3 on Placebo"
    )


def test_harms_are_null_without_adverse_events_in_the_protocol():
    assert pool_harms(_series(), [], "active", "placebo", LABELS) is None


def test_harms_of_a_series_without_any_records_say_so():
    h = pool_harms({"P1": {"harms": None}, "P2": {}}, EVENTS, "active", "placebo", LABELS)
    assert h.events[0].patients_without_data == 2
    assert h.events[0].difference.reason.startswith("needs at least 2 patients")
    assert h.message == "No patient has side-effect records for both conditions."
    h.to_dict()  # JSON-ready


def test_blinded_harms_say_group_a_and_b():
    results = {f"P{i}": {"harms": _harms({"nausea": ((50, i), (50, 2 * i))}, "B", "A")}
               for i in range(1, 4)}  # fmt: skip
    h = pool_harms(results, [("nausea", "Nausea")], "B", "A", BLINDED)
    assert set(h.events[0].by_condition) == {"B", "A"}
    assert "group A" in h.events[0].message and "LDN" not in h.events[0].message


# --- adherence ------------------------------------------------------------------------------


def _adherence(t_share, c_share, below, left_out, effect):
    periods = [{"period": k + 1, "cycle": 1, "condition": "active", "days_observed": 28,
                "days_taken": 28, "share": 1.0, "below_min": k < below}
               for k in range(2)]  # fmt: skip
    return {
        "name": "dose_taken", "label": "Took today's capsules", "per_protocol_min": 0.8,
        "by_period": periods,
        "by_condition": {"active": {"days_observed": 84, "days_taken": 80, "share": t_share},
                         "placebo": {"days_observed": 28, "days_taken": 27, "share": c_share}},
        "per_protocol": {"periods_left_out": left_out, "effect": effect, "reason": None},
        "message": "",
    }  # fmt: skip


def _effect(estimate, se):
    return {"estimate": estimate, "se": se, "ci_low": estimate - 2 * se,
            "ci_high": estimate + 2 * se, "p_value": 0.01, "reason": None}  # fmt: skip


def _primary(main):
    effects = tuple(PatientEffect(pid, PrimaryEffect.from_results(e)) for pid, e in main.items())
    ok = [e for e in effects if e.effect.reason is None]
    yi, se = [e.effect.estimate for e in ok], [e.effect.se for e in ok]
    meta = meta_analysis(yi, se, "REML", 0.05, [e.patient_id for e in ok])
    return OutcomeSeries("pain", "Pain", True, "lower", 10.0, effects, meta=meta,
                         dl=meta_analysis(yi, se, "DL"), percent_change=None, mixed=None,
                         order_effect=None)  # fmt: skip


ADHERENCE = ("dose_taken", "Took today's capsules", 0.8)


def test_adherence_summarises_shares_and_pools_the_per_protocol_effects():
    main = {"P1": _effect(-10, 3), "P2": _effect(-4, 2.5), "P3": _effect(-9, 4),
            "P4": _effect(-1, 3.5)}  # fmt: skip
    results = {
        "P1": {"adherence": _adherence(0.95, 1.0, 0, 0, None)},  # nothing left out: main effect
        "P2": {"adherence": _adherence(0.70, 0.9, 1, 1, _effect(-6, 3))},
        "P3": {"adherence": _adherence(0.90, 0.8, 0, 0, _effect(-9, 4))},
        "P4": {"adherence": None},
    }
    a = pool_adherence(results, ADHERENCE, _primary(main), "active", "placebo", LABELS)
    assert (a.patients_with_data, a.patients_without_data, a.patients_below_min) == (3, 1, 1)
    t = a.by_condition["active"]
    assert (t.patients, t.median, t.min, t.max) == (3, 0.90, 0.70, 0.95)
    assert t.mean == pytest.approx(0.85)
    pp = a.per_protocol
    assert (pp.periods_left_out, pp.patients_with_periods_left_out) == (1, 1)
    assert [e.patient_id for e in pp.excluded] == ["P4"]
    expected = meta_analysis([-10, -6, -9], [3, 3, 4], "REML", 0.05)
    assert pp.meta_analysis.estimate == pytest.approx(expected.estimate, rel=1e-12)
    assert "1 of 3 had a period below 80.0%" in a.message
    assert "leaving out the 1 period below it, the pooled effect on pain (3 patients)" in a.message
    a.to_dict()


def test_adherence_is_null_without_the_protocol_item():
    assert pool_adherence({}, None, None, "active", "placebo", LABELS) is None


# --- blinding -------------------------------------------------------------------------------


def _guesses(t, c, arms=("active", "placebo")):
    answers = ("drug", "placebo", "unsure")
    guesses = {arm: dict(zip(answers, x, strict=True)) for arm, x in zip(arms, (t, c), strict=True)}
    return {"blinding": {"name": "guess", "label": "Which?", "guesses": guesses}}


def test_blinding_pools_the_guesses_and_gives_bang_and_james():
    from nof1.analysis.blinding import BangIndex, bang_index
    from nof1.series.blinding_index import james_index

    results = {"P1": _guesses((2, 1, 0), (1, 1, 1)), "P2": _guesses((1, 0, 1), (0, 2, 0)),
               "P3": {"blinding": None}}  # fmt: skip
    b = pool_blinding(results, ("guess", "Which?"), "active", "placebo", LABELS, False)
    assert (b.patients_asked, b.patients_without_data, b.periods_asked) == (2, 1, 10)
    assert b.guesses["active"].to_dict() == {"drug": 3, "placebo": 1, "unsure": 1}
    assert b.correct == 3 + 3
    expected = BangIndex(*(float(x) for x in bang_index(3, 1, 1)))
    assert b.bang["active"] == expected and b.bang["placebo"] == expected
    assert b.james == james_index([[3, 1], [1, 3], [1, 1]])
    assert b.message.startswith("Across 2 patients, 6 of 10 answers were right (2 unsure)")


def test_a_blinded_series_has_the_table_by_group_and_no_indices():
    results = {"P1": _guesses((2, 1, 0), (1, 1, 1), ("B", "A"))}
    b = pool_blinding(results, ("guess", "Which?"), "B", "A", BLINDED, True)
    assert b.guesses["B"].drug == 2 and b.bang is None and b.james is None
    assert b.correct is None and "blinded series" in b.reason
    assert "group B: 2 drug, 1 no drug, 0 unsure" in b.message


def test_blinding_check_is_null_without_the_question():
    assert pool_blinding({}, None, "active", "placebo", LABELS, False) is None


def test_any_side_effect_is_named_only_when_no_single_one_is_clear():
    results = {
        f"P{i}": {"harms": _harms({"nausea": ((50, 3 + i % 2), (50, 1)),
                                   "vivid_dreams": ((50, 2 + i % 3), (50, 1 + i % 2)),
                                   "any": ((50, 9 + i % 2), (50, 2))})}
        for i in range(6)
    }  # fmt: skip
    h = pool_harms(results, EVENTS, "active", "placebo", LABELS)
    p = {e.name: e.difference.p_value for e in h.events}
    assert p["any"] < 0.05 and p["nausea"] < 0.05
    assert "nausea more often on LDN" in h.message and "any side effect" not in h.message
    for r in results.values():  # only "any" is recorded
        r["harms"]["events"] = [e for e in r["harms"]["events"] if e["name"] == "any"]
    h = pool_harms(results, EVENTS, "active", "placebo", LABELS)
    assert h.message.startswith("Across patients, any side effect more often on LDN")

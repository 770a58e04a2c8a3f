"""A column of plain cells is read at once, any other cell by cell: both ways give the same
values and the same problems (nof1/data/_validate.py ``_plain_values``, nof1/data/_answers.py).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from nof1.data import _answers, _validate
from nof1.data._layouts import Day
from nof1.protocol import load_protocol

PAIN = load_protocol("ldn-nof1-multicycle").outcomes[0]  # 0 to 100
NUMBERS = ["54", "0", "100", "7.5", "-1", "101", "1e1", " 45 ", "", None]
ODD = ["NA", "nan", "NaN", "-nan", "inf", "-inf", "1_0", "٣٣", "５５", "abc", " ", "1e400",
       True, False, 3, 4.5, float("nan"), dt.date(2026, 1, 5)]  # fmt: skip
YES_NO = ["yes", "no", "Y", "N", "TRUE", "false", "1", "0", "1.0", "", None]
ODD_YES_NO = [" yes ", "maybe", "NA", True, 0, 1.0, 2, "Yes!"]
GUESSES = ["drug", "Placebo", "UNSURE", "", None]
ODD_GUESSES = [" drug ", "Drug?", "NA", 1, "dRuG"]


def days(cells, name):
    return [
        Day(row=i + 2, patient="P1", date=dt.date(2026, 1, 1) + dt.timedelta(i),
            values={} if cell is None and i % 2 else {name: (cell, i + 2)})
        for i, cell in enumerate(cells)
    ]  # fmt: skip


def columns(vocabulary, odd, seed):
    """Random columns of plain cells, with and without one odd cell."""
    rng = np.random.default_rng(seed)
    plain = [vocabulary[i] for i in rng.integers(0, len(vocabulary), 30)]
    yield plain
    for cell in odd:
        mixed = list(plain)
        mixed[rng.integers(0, len(mixed))] = cell
        yield mixed


def same(a, b) -> bool:
    if a.dtype == object:  # guesses: texts and None
        return list(a) == list(b)
    return np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("seed", range(5))
def test_numbers_read_at_once_equal_cell_by_cell(seed, monkeypatch):
    for cells in columns(NUMBERS, ODD, seed):
        d = days(cells, PAIN.name)
        fast = []
        got = _validate._values(d, PAIN, fast)
        with monkeypatch.context() as m:  # no whole-column reading: cell by cell
            m.setattr(_validate, "_plain_values", lambda *_: None)
            slow = []
            want = _validate._values(d, PAIN, slow)
        assert np.array_equal(got, want, equal_nan=True), cells
        assert [str(p) for _, p in fast] == [str(p) for _, p in slow]


def test_a_plain_column_takes_the_fast_path_and_an_odd_cell_does_not():
    assert _validate._plain_values(days(["1", "", None, "2.5"], "pain"), "pain") is not None
    for cell in ODD:
        assert _validate._plain_values(days(["1", cell], "pain"), "pain") is None, cell


@pytest.mark.parametrize("seed", range(5))
def test_yes_no_and_guesses_read_at_once_equal_cell_by_cell(seed, monkeypatch):
    cases = [
        (_answers.yes_no, YES_NO, ODD_YES_NO, "headache"),
        (_answers.guesses, GUESSES, ODD_GUESSES, "guess"),
    ]
    for read, vocabulary, odd, name in cases:
        for cells in columns(vocabulary, odd, seed):
            d = days(cells, name)
            fast = []
            got = read(d, name, fast)
            with monkeypatch.context() as m:  # no whole-column reading: cell by cell
                m.setattr(_answers, "_PLAIN_YES_NO", {})
                m.setattr(_answers, "_PLAIN_GUESS", {})
                slow = []
                want = read(d, name, slow)
            assert got.dtype == want.dtype and same(got, want), cells
            assert [str(p) for _, p in fast] == [str(p) for _, p in slow]

"""The methods text on harms, adherence and the blinding check: only for the items the
results have, in plain words (patient report and series.html)."""

from __future__ import annotations

from nof1.report.text import side_methods

HARMS = {"method": "...", "events": [{"name": "vivid_dreams", "label": "Vivid dreams"},
                                     {"name": "any", "label": "Any side effect"}]}  # fmt: skip
ADHERENCE = {"label": "Took today's capsules", "per_protocol_min": 0.8}
BLINDING = {"label": "Which did you take?", "guesses": {"active": {}, "placebo": {}}}
PRIMARY = "Corrected AR(1) regression"


def test_nothing_is_said_without_the_items():
    assert side_methods({"blinding": {"warnings": [], "guesses": None}}, PRIMARY) == ""


def test_a_patient_report_describes_each_item_it_has():
    text = side_methods(
        {"harms": HARMS, "adherence": ADHERENCE, "blinding": BLINDING, "blinded": False}, PRIMARY
    )
    assert "Side effects (vivid dreams)" in text and "any side effect" not in text.lower()
    assert "lag-1 autocorrelation within periods" in text and "not independent" in text
    assert "intention to treat" in text and "per-protocol" in text and "80%" in text
    assert PRIMARY in text
    assert "one-sided binomial test" in text and "Bang's blinding index" in text
    assert "James" not in text and "blinded" not in text


def test_only_the_items_present_are_described():
    text = side_methods({"adherence": ADHERENCE}, PRIMARY)
    assert text.startswith("Adherence (took today's capsules)")
    assert "Side effects" not in text and "Blinding check" not in text


def test_series_text_pools_across_patients_and_names_james_index():
    series = {"harms": HARMS, "adherence": ADHERENCE, "blinding": BLINDING, "blinded": True}
    text = side_methods(series, PRIMARY, series=True)
    assert "paired t-test" in text and "random-effects meta-analysis" in text
    assert "James' index" in text and "summed over patients" in text
    assert "This analysis is blinded" in text


def test_a_blinded_text_names_no_treatment():
    text = side_methods({"blinding": BLINDING, "blinded": True}, PRIMARY)
    assert "placebo" not in text.lower() and "drug" not in text.lower()
    assert "either treatment or unsure" in text

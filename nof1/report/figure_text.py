"""Text that the figures of a report share: condition names, effect-axis titles and
two-line tick labels (plotly-escaped: labels come from the protocol)."""

from __future__ import annotations

from nof1.design.comparison import Comparison
from nof1.report.html import plotly_text

__all__ = [
    "NARROW_PLOT_PX",
    "compared_arms",
    "condition_name",
    "effect_axis_title",
    "label_rows",
    "wrap_label",
]

#: Width in CSS pixels of a figure's plot area on a 390 px phone screen: labels placed
#: so that they do not overlap there do not overlap on any wider screen either.
NARROW_PLOT_PX = 230


def condition_name(condition: str, labels: dict) -> str:
    """A condition's name for a figure (plotly-escaped: labels come from the protocol)."""
    return plotly_text(labels.get(condition, condition.replace("_", "-").capitalize()))


def effect_axis_title(results: dict, outcome: dict) -> str:
    """'treated minus control (outcome, points)', plotly-escaped, for an effect axis;
    on two lines when long (it would run past a phone's screen)."""
    treated, control = compared_arms(results)
    labels = results["labels"]
    return wrap_label(
        plotly_text(
            f"{labels[treated]} minus {labels[control]} ({outcome['label'].lower()}, points)"
        ),
        32,
    )


def wrap_label(label: str, width: int = 20) -> str:
    """A long tick label on two lines (the plot keeps its width on a phone): before a
    parenthesis, else at the space nearest the middle.

    Examples
    --------
    >>> wrap_label("AR(1) regression with a time trend")
    'AR(1) regression<br>with a time trend'
    >>> wrap_label("Welch t-test (ignores correlation)")
    'Welch t-test<br>(ignores correlation)'
    >>> wrap_label("Randomization test")
    'Randomization test'
    """
    if len(label) <= width or " " not in label:
        return label
    if " (" in label:
        at = label.index(" (")
    else:
        spaces = [i for i, c in enumerate(label) if c == " "]
        at = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return f"{label[:at]}<br>{label[at + 1 :]}"


def compared_arms(results: dict) -> tuple[str, str]:
    """(treated, control) as the results record them."""
    return Comparison.from_dict(results["comparison"]).arms


def label_rows(starts: list[float], texts: list[str], rows: int, size: int = 10) -> list:
    """For labels left-anchored at ``starts`` (pixels on the narrowest plot, in order),
    the row (0..rows-1) each takes so that none overlaps the one before it in its row,
    or None for a label that fits in no row (it is left out).

    Widths are estimated generously (0.62 em a character): plotly does not say.

    Examples
    --------
    >>> label_rows([0, 25, 50, 75], ["Placebo", "Placebo", "Placebo", "Placebo"], 2)
    [0, 1, 0, 1]
    >>> label_rows([0, 5, 10], ["Placebo", "Placebo", "Placebo"], 2)
    [0, 1, None]
    """
    ends = [float("-inf")] * rows
    placed = []
    for start, text in zip(starts, texts, strict=True):
        row = next((r for r in range(rows) if start >= ends[r] + 4), None)
        if row is not None:
            ends[row] = start + len(text) * size * 0.62
        placed.append(row)
    return placed

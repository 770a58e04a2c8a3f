"""Shared machinery for every nof1 HTML page: templates, inlined plotly.js, figures, palette.

A page is one self-contained file: plotly.js is inlined once in the page head (not per
figure), figures are plotly divs rendered by it, and nothing is fetched from a network.
The plotly.js inlined is the official cartesian partial bundle vendored in ``vendor/``
(1.5 MB instead of the full 4.8 MB bundle plotly.py ships): nof1 draws only scatter and
box traces, and a report should stay small enough to e-mail.
The patient, series and power reports all render through :func:`render_page`.
"""

from __future__ import annotations

import math
from functools import cache

import jinja2

__all__ = [
    "COLORS",
    "PLOTLY_JS_VERSION",
    "figure_html",
    "fmt",
    "fmt_bf",
    "fmt_p",
    "fmt_prob",
    "level_text",
    "num",
    "page_pieces",
    "plotly_js",
    "plotly_js_name",
    "plotly_text",
    "render_page",
]

#: Okabe-Ito colour-blind-safe palette, one colour per condition.
COLORS = {
    "active": "#0072B2",  # blue
    "placebo": "#E69F00",  # orange
    "A": "#CC79A7",  # reddish purple: blinded groups get colours that suggest nothing
    "B": "#009E73",  # bluish green
    "baseline": "#7f7f7f",
    "washout": "#bdbdbd",
    "follow_up": "#bdbdbd",
    "excluded": "#555555",
    "ink": "#222222",
}

#: Version of the vendored plotly.js partial bundle (see ``vendor/README.md``).
PLOTLY_JS_VERSION = "4.1.1"

_PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def fmt(value, digits: int = 1, signed: bool = False) -> str:
    """A number for people: fixed decimals, an en dash for missing.

    Examples
    --------
    >>> fmt(-8.2345), fmt(None), fmt(3.0, signed=True), fmt(0.5, 2)
    ('-8.2', '–', '+3.0', '0.50')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def num(value) -> str:
    """A protocol's number as it was written: no trailing zeros.

    Examples
    --------
    >>> num(100.0), num(0.5), num(10)
    ('100', '0.5', '10')
    """
    return f"{value:g}"


def fmt_p(p) -> str:
    """A p-value for people.

    Examples
    --------
    >>> fmt_p(0.0004), fmt_p(0.0312), fmt_p(0.25), fmt_p(1.0), fmt_p(None)
    ('< 0.001', '0.031', '0.25', '1.00', '–')
    """
    if p is None:
        return "–"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}" if p < 0.1 else f"{p:.2f}"  # three decimals near alpha


def fmt_bf(bf) -> str:
    """A Bayes factor for people: two decimals from 0.01 to 1000, else a power of ten (a
    series of hundreds of patients gives BF10 of 1e30 and more, 33 digits in fixed point).

    Examples
    --------
    >>> fmt_bf(3.456), fmt_bf(2.5065e31), fmt_bf(0.00042), fmt_bf(None)
    ('3.46', '2.5 × 10³¹', '4.2 × 10⁻⁴', '–')
    """
    if bf is None or (isinstance(bf, float) and not math.isfinite(bf)):
        return "–" if bf is None or math.isnan(bf) else "∞"
    if 0.01 <= bf < 1000 or bf == 0:
        return f"{bf:.2f}"
    mantissa, exponent = f"{bf:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_prob(p) -> str:
    """A probability as a percentage that never rounds to a certainty.

    Examples
    --------
    >>> fmt_prob(0.9996), fmt_prob(0.004), fmt_prob(0.333), fmt_prob(None)
    ('> 99%', '< 1%', '33%', '–')
    """
    if p is None:
        return "–"
    if p > 0.99:
        return "> 99%"
    if p < 0.01:
        return "< 1%"
    return f"{p:.0%}"


def level_text(interval_level: float) -> str:
    """An interval level (results' ``analysis.interval_level``) as people write it.

    Examples
    --------
    >>> level_text(0.9), level_text(0.975), level_text(0.99)
    ('90%', '97.5%', '99%')
    """
    return f"{interval_level * 100:.4g}%"


def plotly_text(text: str) -> str:
    """Text shown as itself inside a plotly figure.

    Plotly reads ``<a href>``, ``<b>``, ``<br>`` and entities in titles, axis titles,
    legend names, tick labels, annotations and hover text; a protocol's label
    ``<a href="https://...">`` would become a clickable external link. Escaping ``&``,
    ``<`` and ``>`` shows it literally (plotly decodes the entities). Every label or
    reason from a protocol or results file goes through here before it enters a figure;
    captions are HTML, escaped by the templates.

    Examples
    --------
    >>> plotly_text('<a href="https://x.invalid">Pain</a> & co')
    '&lt;a href="https://x.invalid"&gt;Pain&lt;/a&gt; &amp; co'
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def figure_html(fig, div_id: str, height: int = 360) -> str:
    """A plotly figure as a div, without plotly.js (the page carries it once)."""
    fig.update_layout(
        height=height,
        autosize=True,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13},
        template="plotly_white",
    )
    return fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOTLY_CONFIG
    )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nof1.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["fmt"] = fmt
    env.filters["fmt_p"] = fmt_p
    env.filters["fmt_prob"] = fmt_prob
    env.filters["num"] = num
    env.filters["level"] = level_text
    return env


@cache
def plotly_js() -> str:
    """The vendored plotly.js partial bundle, as inlined in every page."""
    from importlib.resources import files

    bundle = files("nof1.report") / "vendor" / f"plotly-cartesian-{PLOTLY_JS_VERSION}.min.js"
    return bundle.read_text(encoding="utf-8")


def plotly_js_name() -> str:
    """The file name of the vendored bundle, for pages that share it (``plotly_src``)."""
    return f"plotly-cartesian-{PLOTLY_JS_VERSION}.min.js"


def render_page(template: str, plotly_src: str | None = None, **context) -> str:
    """Render ``templates/<template>`` with plotly.js inlined once in the page, or, with
    ``plotly_src``, loaded from that relative path (a local file beside the page: many
    pages written together share one copy of the bundle instead of 1.4 MB each)."""
    return "".join(page_pieces(template, plotly_src, **context))


def page_pieces(template: str, plotly_src: str | None = None, **context):
    """:func:`render_page`'s text in pieces of about 64 kB (an iterator), for a page too big
    to hold whole (a large series')."""
    page = _environment().get_template(template)
    script = None if plotly_src else plotly_js()
    parts, size = [], 0
    for text in page.generate(plotly_js=script, plotly_src=plotly_src, colors=COLORS, **context):
        parts.append(text)
        size += len(text)
        if size >= 1 << 16:
            yield "".join(parts)
            parts, size = [], 0
    yield "".join(parts)

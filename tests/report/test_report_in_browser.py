"""Reports open offline in a real headless Chromium, draw every figure, log no errors."""

from __future__ import annotations

import pytest

CASES = ["sample", "blinded", "pilot", "one-cycle", "no-placebo"]


def open_report(browser, path, screenshot=None):
    """Open a report from file:// with every non-file request blocked; return what happened."""
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith("file://"):
            return r.continue_()
        requests.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function(
        "[...document.querySelectorAll('[data-figure]')].every(e => e.querySelector('svg'))",
        timeout=15_000,
    )
    figures = page.eval_on_selector_all(
        "[data-figure]", "els => els.map(e => [e.dataset.figure, !!e.querySelector('svg')])"
    )
    # A trace type missing from the inlined (partial) plotly.js bundle is drawn as a
    # scatter without an error: every trace must keep the type the figure asked for.
    mistyped = page.eval_on_selector_all(
        ".js-plotly-plot",
        """els => els.flatMap(gd => gd.data.map((t, i) => [t.type || 'scatter',
                                                       gd._fullData[i].type])
                                  .filter(([asked, drawn]) => asked !== drawn))""",
    )
    assert mistyped == [], mistyped
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)
    return page, errors, requests, figures


def page_width_overflow(browser, path, width=390):
    """How many CSS pixels the page is wider than a phone's screen (0 when it fits)."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelector('.js-plotly-plot svg') !== null")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.close()
    return overflow


def headings_ending_a_page(browser, path, tmp_path):
    """Print ``path`` to an A4 PDF; return the headings that are the last line of a page."""
    import unicodedata

    from pypdf import PdfReader

    page = browser.new_page()
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelector('.js-plotly-plot svg') !== null")
    headings = set(
        page.eval_on_selector_all(
            "h1, h2, h3, summary", "els => els.map(e => e.innerText.trim()).filter(t => t)"
        )
    )
    pdf = tmp_path / f"{path.stem}.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    page.close()
    stranded = []
    for number, pdf_page in enumerate(PdfReader(pdf).pages, start=1):
        fragments = []

        def visit(text, cm, tm, font, size, fragments=fragments):
            if text.strip():  # y of the text on the page: text matrix times current matrix
                fragments.append((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text.strip()))

        pdf_page.extract_text(visitor_text=visit)
        if not fragments:
            continue
        bottom = min(y for y, _ in fragments)
        last_line = " ".join(t for y, t in fragments if y - bottom < 2)
        last_line = unicodedata.normalize("NFKC", last_line)  # pdf ligatures (ﬀ -> ff)
        if last_line in headings:
            stranded.append((number, last_line))
    return stranded


@pytest.mark.parametrize("case", CASES)
def test_report_fits_a_phone_screen_without_sideways_scrolling(browser, reports, case):
    assert page_width_overflow(browser, reports[case] / "report.html") <= 0


@pytest.mark.parametrize("case", ["sample", "blinded", "pilot"])
def test_no_heading_of_the_printed_report_ends_a_page(browser, reports, case, tmp_path):
    assert headings_ending_a_page(browser, reports[case] / "report.html", tmp_path) == []


@pytest.mark.parametrize("case", CASES)
def test_report_opens_offline_with_every_figure_drawn_and_no_console_errors(
    browser, reports, case, tmp_path
):
    shot = tmp_path / f"{case}.png"
    page, errors, requests, figures = open_report(browser, reports[case] / "report.html", shot)
    assert errors == []
    assert requests == []  # nothing asked of any network
    assert len(figures) >= 7 and all(drawn for _, drawn in figures), figures
    assert shot.stat().st_size > 50_000  # a real picture of a real page
    page.close()


def test_the_first_screen_gives_the_verdict_in_plain_words(browser, reports):
    page, *_ = open_report(browser, reports["sample"] / "report.html")
    first_screen = page.evaluate("document.elementFromPoint(600, 500).closest('section').id")
    assert first_screen == "verdict"
    text = page.inner_text("#verdict")
    assert "Pain was on average" in text and "probability" in text
    assert "randomization test can never give p below 0.25" in text
    page.close()


def test_the_report_prints_on_a4(browser, reports, tmp_path):
    page, *_ = open_report(browser, reports["sample"] / "report.html")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") >= 4
    page.close()


@pytest.fixture(scope="session")
def power_page(tmp_path_factory):
    from click.testing import CliRunner

    from nof1.cli import main

    out = tmp_path_factory.mktemp("power")
    result = CliRunner().invoke(
        main,
        [
            "power",
            "ldn-nof1-multicycle",
            "--effect",
            "0,-10",
            "--cycles",
            "2,3",
            "--sims",
            "300",
            "--seed",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out / "power.html"


def test_power_report_opens_offline_with_every_figure_drawn(browser, power_page, tmp_path):
    page, errors, requests, figures = open_report(browser, power_page, tmp_path / "power.png")
    assert errors == [] and requests == []
    assert len(figures) == 3 and all(drawn for _, drawn in figures), figures
    assert "power" in page.inner_text(".verdict")
    page.close()


def test_power_report_fits_a_phone_and_prints_without_stranded_headings(
    browser, power_page, tmp_path
):
    assert page_width_overflow(browser, power_page) <= 0
    assert headings_ending_a_page(browser, power_page, tmp_path) == []


def test_the_protocol_change_banner_fits_a_phone(browser, tmp_path):
    """The banner quotes two 64-character SHA-256 digests: they wrap, not widen the page."""
    from conftest import ROOT, SAMPLE, _run

    text = (ROOT / "protocols" / "ldn-nof1-multicycle.yaml").read_text()
    protocol = tmp_path / "changed.yaml"
    protocol.write_text(text.replace("\ntitle: ", "\ntitle: Changed ", 1))
    out = tmp_path / "out"
    _run(
        "analyze",
        SAMPLE / "P01-diary.csv",
        "--protocol",
        protocol,
        "--allocation",
        SAMPLE / "P01-unblinding-key.json",
        "--allow-protocol-change",
        "--out",
        out,
    )
    assert 'id="protocol-change"' in (out / "report.html").read_text()
    assert page_width_overflow(browser, out / "report.html") <= 0

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

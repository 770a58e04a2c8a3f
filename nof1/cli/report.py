"""``nof1 report``: re-render a patient's report from its results folder."""

from __future__ import annotations

import click

from nof1.cli._common import claim_out

__all__ = ["report"]


@click.command()
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True), metavar="RESULTS_DIR")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Where to write the HTML report.",
)
@click.option(
    "--protocol",
    metavar="ID_OR_FILE",
    help="The protocol analysed, when it is not a shipped one (its SHA-256 must match "
    "the one in results.json).",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def report(results_dir, out_file, protocol, force):
    """Render RESULTS_DIR/results.json and aligned.csv (written by `nof1 analyze`) as a
    self-contained HTML report. Nothing is recomputed."""
    from pathlib import Path

    from nof1.data import read_aligned_csv
    from nof1.errors import Nof1Error
    from nof1.protocol import read_protocol
    from nof1.report.patient import render_patient_report
    from nof1.report.results_file import check_results, read_results

    target = Path(out_file)
    out = claim_out(target.parent, force)
    folder = Path(results_dir)
    path = folder / "results.json"
    results = read_results(path)
    pf = read_protocol(protocol or results["protocol"]["id"])
    if pf.sha256 != results["protocol"]["sha256"]:
        raise Nof1Error(
            f"{pf.path}: differs from the protocol the results were computed with "
            f"(SHA-256 {results['protocol']['sha256'][:12]}…); pass that file with --protocol"
        )
    aligned = read_aligned_csv(folder / "aligned.csv")
    check_results(results, pf.protocol, str(path), aligned)
    html = render_patient_report(results, aligned, pf.protocol)
    inputs = {"results file": path, "aligned table": folder / "aligned.csv", "--protocol": pf.path}
    written = out.write({target.name: html}, inputs)
    click.echo(str(written[0]))

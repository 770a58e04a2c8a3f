"""``nof1.analyze``: one patient's diary (a file or a DataFrame) -> :class:`AnalysisResult`."""

from __future__ import annotations

import html
import json
import os
from functools import cached_property
from pathlib import Path

import pandas as pd

from nof1.api._common import (
    arm_labels,
    cell,
    diary_frame,
    interval_words,
    protocol_file,
    table_html,
    write_report,
)
from nof1.api.effects import effects_frame
from nof1.protocol.load import ProtocolFile

__all__ = ["AnalysisResult", "analyze"]


def analyze(
    diary,
    protocol,
    allocation=None,
    *,
    patient_id: str | None = None,
    mapping=None,
    date_format: str | None = None,
    seed: int = 0,
    allow_protocol_change: bool = False,
) -> AnalysisResult:
    """Analyse one patient's diary with the protocol's pre-specified methods.

    What ``nof1 analyze`` does, without writing files: the same checks, the same
    messages when the input is wrong, the same numbers.

    Parameters
    ----------
    diary : str, path or pandas.DataFrame
        A diary file (CSV or XLSX, wide or long; docs/input-formats.md), or a DataFrame
        with the same columns (``date`` and one column per outcome; optionally
        ``patient_id``, ``day``, ``condition``, ``period``, ``note``), e.g. the diary
        template ``nof1 schedule`` writes, filled in and read with ``pandas.read_csv``. A
        named index (``set_index("date")``) is read as a column.
    protocol : str, path or ProtocolFile
        A shipped protocol id, a YAML file, or what :func:`nof1.read_protocol` returns.
    allocation : str or path, optional
        The allocation ``nof1 schedule`` wrote: the analyst's ``*-allocation-blinded.csv``
        (blinded: groups A and B) or the pharmacist's ``*-unblinding-key.json``. Not needed
        when the diary has a ``condition`` column.
    patient_id : str, optional
        Which patient, when the diary or the allocation holds several.
    mapping : str or path, optional
        A mapping file for a diary not in nof1's columns (``nof1 analyze --map``).
    date_format : str, optional
        ``day-first``, ``month-first`` or a ``strptime`` pattern, for dates whose order
        the data does not settle (``--date-format``).
    seed : int
        Seed of the Monte Carlo randomization test (schemes of over 100 000 allocations).
    allow_protocol_change : bool
        Analyse even when the allocation was made from another version of the protocol.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    nof1.errors.DiaryError
        Every problem of the diary (or of the allocation with it), rows numbered as in a
        spreadsheet (for a DataFrame: row 2 is ``diary.iloc[0]``).
    nof1.errors.ProtocolError
        An unknown protocol id or an invalid protocol file.

    Examples
    --------
    >>> import pandas as pd
    >>> import nof1
    >>> frame = pd.read_csv("sample_data/ldn-nof1-multicycle/P01-diary.csv")
    >>> result = nof1.analyze(frame, "ldn-nof1-multicycle",
    ...                       allocation="sample_data/ldn-nof1-multicycle/P01-unblinding-key.json")
    >>> result.verdict[:60]
    'Pain was on average 8.9 points lower on LDN 4.5 mg than on P'
    >>> pain = result.effects.query("outcome == 'pain'")
    >>> pain[["method", "estimate", "ci_low", "ci_high", "p_value"]].round(3)
               method  estimate  ci_low  ci_high  p_value
    0         gls_ar1    -8.883 -13.844   -3.921    0.001
    1      gls_ar1_kr    -8.883 -13.949   -3.816    0.001
    2   gls_ar1_trend    -9.012 -14.268   -3.755    0.001
    3         welch_t    -8.548 -12.435   -4.661    0.000
    4  paired_periods    -8.540 -25.771    8.690    0.167
    5   randomization    -8.548     NaN      NaN    0.250
    6             nap     0.714   0.530    0.898      NaN
    7       bayes_ar1    -8.906 -14.090   -3.843      NaN
    >>> nof1.analyze(frame.drop(columns="date"), "ldn-nof1-multicycle")
    Traceback (most recent call last):
    ...
    nof1.errors.DiaryError: <DataFrame>: 1 problem(s)
      - no date column (expected a header row: date, then one column per outcome (pain, ...
    """
    from nof1.analysis.patient import analyze_patient
    from nof1.data import ReadOptions, load_aligned
    from nof1.data.align import nothing_to_compare
    from nof1.errors import DiaryError

    pf = protocol_file(protocol)
    if isinstance(diary, pd.DataFrame):
        diary, inputs = diary_frame(diary), {}
    elif isinstance(diary, str | os.PathLike):
        inputs = {"diary": diary, "--map": mapping}
    else:
        raise TypeError(
            f"diary must be a file path or a pandas DataFrame, got {type(diary).__name__}"
        )
    options = ReadOptions(mapping=mapping, date_format=date_format)
    aligned = load_aligned(diary, pf.protocol, allocation, patient_id=patient_id, options=options)
    empty = nothing_to_compare(aligned)
    if empty:
        raise DiaryError(aligned.source, [empty])
    results = analyze_patient(
        aligned, pf, seed=seed, command=None, allow_protocol_change=allow_protocol_change
    ).to_dict()
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    inputs |= {"--allocation": allocation, "--protocol": pf.path}
    return AnalysisResult(text, aligned.to_csv(), pf, inputs, notes=aligned.notes)


class AnalysisResult:
    """One patient's results: what ``nof1 analyze`` writes, as Python objects.

    Made by :func:`analyze` (and per patient by :func:`nof1.series`), from the texts of
    results.json and aligned.csv, so that it holds exactly what the files would.

    Attributes
    ----------
    effects : pandas.DataFrame
        One row per outcome and method (methods in the order of
        ``nof1.analysis.registry.METHODS``): ``outcome``, ``method``, ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``p_value``, ``df``, ``reason`` (why a method could not
        run, else None), then the methods' other fields (``phi``, ``n_allocations``,
        ``exact``, ``min_p``, ``p_benefit``, ``p_mcid``). Effects are treated minus
        control (active minus placebo, or B minus A when blinded), in outcome units
        (NAP: a probability).
    verdict : str
        The plain-language verdict of the report.
    patient_id : str or None
    aligned : pandas.DataFrame
        aligned.csv: one row per planned day, which day counted for what.
    protocol : ProtocolFile
    notes : tuple of str
        How the diary was read when not as nof1's own template (a REDCap export, a
        mapping file, the date order...): what ``nof1 analyze`` prints as ``Note:``.

    The tables are fresh copies on each access: changing one changes nothing here.
    """

    def __init__(
        self, results_json: str, aligned_csv: str, protocol: ProtocolFile, inputs=None, notes=()
    ):
        self._json = results_json
        self._csv = aligned_csv
        self.protocol = protocol
        self._inputs = dict(inputs or {})
        self.notes = tuple(dict.fromkeys(notes))

    @cached_property
    def _results(self) -> dict:
        return json.loads(self._json)

    def to_dict(self) -> dict:
        """results.json (a fresh copy): exactly what ``nof1 analyze`` writes, but for
        ``software.command`` (None: there is no command line)."""
        return json.loads(self._json)

    @property
    def verdict(self) -> str:
        return self._results["verdict"]

    @property
    def patient_id(self) -> str | None:
        return self._results["patient_id"]

    @property
    def effects(self) -> pd.DataFrame:
        return self._effects.copy()  # a copy: changing it changes nothing here

    @property
    def aligned(self) -> pd.DataFrame:
        return self._aligned.copy()

    @cached_property
    def _effects(self) -> pd.DataFrame:
        return effects_frame(self._results["outcomes"])

    @cached_property
    def _aligned(self) -> pd.DataFrame:
        import io

        from nof1.data import read_aligned_csv

        return read_aligned_csv(io.StringIO(self._csv))

    def report(self, path, *, overwrite: bool = False) -> Path:
        """Write the report page ``nof1 analyze`` writes (report.html; opens offline).

        Parameters
        ----------
        path : str or path
            The HTML file to write.
        overwrite : bool
            Replace ``path`` if it exists (otherwise an existing file is an error).

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        nof1.errors.Nof1Error
            ``path`` exists (without ``overwrite``), is one of the inputs, or cannot be
            written.
        """
        from nof1.report.patient import report_from_texts

        page = report_from_texts(self._json, self._csv, self.protocol.protocol)
        return write_report(path, page, overwrite, self._inputs)

    def __repr__(self) -> str:
        r = self._results
        who = f"patient {r['patient_id']}" if r["patient_id"] else "a patient"
        return (
            f"<nof1 AnalysisResult: {who}, protocol {r['protocol']['id']}, "
            f"{len(r['outcomes'])} outcomes; .effects, .verdict, .report(path)>"
        )

    def _repr_html_(self) -> str:
        r = self._results
        p = self.protocol.protocol
        quality = r["data_quality"]
        head = (
            f"<p><b>nof1 analysis</b> · {html.escape(r['patient_id'] or 'patient')} · "
            f"protocol {html.escape(r['protocol']['id'])} · {quality['days_observed']} of "
            f"{quality['days_planned']} planned days observed</p>"
        )
        body = [head, *(f"<p>Note: {html.escape(n)}.</p>" for n in self.notes)]
        body += [f"<p>{html.escape(self.verdict)}</p>", self._tables(r, p)]
        body.append(
            '<p style="color:#666">Every outcome and method: <code>.effects</code> '
            "(a DataFrame); the full report: <code>.report(&quot;report.html&quot;)</code>.</p>"
        )
        return '<div class="nof1-result">' + "".join(body) + "</div>"

    def _tables(self, r: dict, p) -> str:
        from nof1.analysis.registry import METHODS

        ci = interval_words(r, p)
        vs = "{} minus {}".format(*arm_labels(r))
        primary = next(o for o in r["outcomes"] if o["primary"])
        rows = []
        for key, effect in primary["effects"].items():
            method = METHODS.get(key)
            rows.append(_effect_row(method.name if method else key, effect, method))
        first = table_html(
            ["Method", "Estimate", ci, "p-value", "Note"],
            rows,
            f"{p.outcome(primary['name']).label} ({primary['name']}), {vs}",
        )
        main = (r.get("analysis") or {}).get("primary_method") or p.analysis.primary_method
        rows = [
            [p.outcome(o["name"]).label, *_effect_row(None, o["effects"][main])[1:4]]
            + [cell(o["p_holm"], 3)]
            for o in r["outcomes"]
        ]
        every = table_html(
            ["Outcome", "Estimate", ci, "p-value", "Holm p"],
            rows,
            f"Every outcome, {METHODS[main].name if main in METHODS else main} ({main})",
        )
        return first + every


def _effect_row(name, effect: dict, method=None) -> list:
    """Method, estimate, interval, p-value and a note, as table cells."""
    from nof1.report.html import fmt_p, fmt_prob

    if effect.get("reason"):
        return [name, "–", "–", "–", effect["reason"]]
    low, high = effect.get("ci_low"), effect.get("ci_high")
    interval = "–" if low is None or high is None else f"{cell(low)} to {cell(high)}"
    note = ""
    if effect.get("p_benefit") is not None:
        note = f"P(benefit) {fmt_prob(effect['p_benefit'])}"
    elif effect.get("min_p") is not None:
        note = f"smallest attainable p {effect['min_p']:.3g}"
    elif method is not None and not method.outcome_units:
        note = f"a probability ({method.null:g} = no difference)"
    p_value = effect.get("p_value")
    return [name, cell(effect.get("estimate")), interval, fmt_p(p_value), note]

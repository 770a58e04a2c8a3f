"""``nof1.series``: many patients on one protocol -> :class:`SeriesResult`."""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import pandas as pd

from nof1.api._common import (
    arm_labels,
    cell,
    diary_frame,
    interval_words,
    protocol_file,
    shown_name,
    table_html,
    write_report,
)
from nof1.api.analysis import AnalysisResult
from nof1.protocol.load import ProtocolFile

__all__ = ["SeriesResult", "series"]

_NESTED = {"dl", "shrunken", "excluded", "z"}  # in to_dict() only


def series(
    diaries,
    protocol,
    allocations=None,
    *,
    skip_bad: bool = False,
    workers: int | None = None,
    seed: int = 0,
    allow_protocol_change: bool = False,
    mapping=None,
    date_format: str | None = None,
    client=None,
) -> SeriesResult:
    """Analyse a series of n-of-1 trials: every patient, then pooled across patients.

    What ``nof1 series`` does, without writing files: each patient analysed as
    :func:`nof1.analyze` would, then per outcome a random-effects meta-analysis of the
    patients' effects, a mixed model on the daily data, percent change from baseline,
    the order effect and the responder rates.

    Parameters
    ----------
    diaries : str, path or pandas.DataFrame
        One diary table with a ``patient_id`` column (a file, CSV or XLSX, wide or long,
        or a DataFrame of the same columns), or a folder of per-patient diaries
        (``ID-diary.csv``).
    protocol : str, path or ProtocolFile
        A shipped protocol id, a YAML file, or what :func:`nof1.read_protocol` returns.
    allocations : str or path, optional
        ``series-allocation-blinded.csv`` (blinded: effects B minus A),
        ``series-unblinding-key.json``, or (with a diary file or folder) a folder of
        allocation files. Not needed when the diaries have a ``condition`` column.
    skip_bad : bool
        Analyse the other patients when some cannot be; they are listed in ``skipped``.
    workers : int, optional
        Worker processes (default: one per CPU for a large series; same results).
    seed : int
        Seed of each patient's Monte Carlo randomization test (large schemes only).
    allow_protocol_change : bool
        Analyse even when the allocations were made from another version of the protocol.
    mapping : str or path, optional
        A mapping file for diaries not in nof1's columns (``nof1 series --map``).
    date_format : str, optional
        ``day-first``, ``month-first`` or a ``strptime`` pattern (``--date-format``).
    client : dask.distributed.Client, optional
        Analyse the patients on its Dask cluster (``pip install 'nof1[dask]'``; then
        ``workers`` is not used); the same results.

    Returns
    -------
    SeriesResult

    Raises
    ------
    nof1.series.SeriesError
        Patients that cannot be analysed (without ``skip_bad``), each named with why.
    nof1.errors.DiaryError
        Diaries or allocations that cannot be read.

    Examples
    --------
    >>> import nof1
    >>> folder = "sample_data/ldn-fibromyalgia-2013-series"
    >>> s = nof1.series(f"{folder}/series-diary.csv", "ldn-fibromyalgia-2013",
    ...                 allocations=f"{folder}/series-unblinding-key.json")
    >>> s.meta_analysis[["outcome", "k", "estimate", "ci_low", "ci_high"]].round(2)
                 outcome   k  estimate  ci_low  ci_high
    0               pain  31     -8.42  -11.00    -5.84
    1            fatigue  31     -5.83   -7.56    -4.11
    2      sleep_quality  31      4.19    2.24     6.14
    3               mood  31      4.96    3.42     6.50
    4  life_satisfaction  31      3.63    1.68     5.59
    >>> print(len(s.patients), round(s.patients["P01"].effects.at[0, "estimate"], 2))
    31 4.79
    """
    from nof1.data import ReadOptions
    from nof1.series import SeriesError, analyze_series
    from nof1.series.series_json import series_json_text

    pf = protocol_file(protocol)
    # The diaries checked are kept here for the analysis (not read twice); a cluster's
    # workers that cannot see it read their rows again.
    with tempfile.TemporaryDirectory(prefix="nof1-series-") as cache:
        reading = ReadOptions(mapping=mapping, date_format=date_format)
        try:
            data, inputs = _series_input(
                diaries, pf.protocol, allocations, skip_bad, reading,
                workers=workers, client=client, cache=cache,
            )  # fmt: skip
            results = analyze_series(
                data,
                pf,
                skip_bad=skip_bad,
                workers=workers,
                seed=seed,
                command=None,
                allow_protocol_change=allow_protocol_change,
                client=client,
                density=False,  # as nof1 series without --patient-reports
            )
        except SeriesError as exc:
            if not skip_bad:
                exc.add_note(
                    "(skip_bad=True analyses the other patients and lists these as skipped)"
                )
            raise
    text = series_json_text(results)  # json.dumps(indent=2)'s text, by the C encoder
    inputs |= {"--allocations": allocations, "--protocol": pf.path}
    patients = {
        pid: AnalysisResult(files["results.json"], files["aligned.csv"], pf, inputs)
        for pid, files in results.patient_files.items()
    }
    return SeriesResult(text, patients, pf, inputs, notes=data.notes)


def _series_input(diaries, protocol, allocations, skip_bad: bool, options, **lean):
    """The :class:`~nof1.series.SeriesInput` of a file, a folder or a DataFrame, and the
    input files (that a report must never replace). A CSV table is read lean, by the
    workers (or the Dask cluster), as ``nof1 series`` reads it: ``lean`` holds
    :func:`~nof1.series.load_series`'s ``workers``, ``client`` and ``cache``."""
    from nof1.series import load_series

    if isinstance(diaries, pd.DataFrame):
        return _frame_series(diary_frame(diaries), protocol, allocations, skip_bad, options), {}
    if not isinstance(diaries, str | os.PathLike):
        raise TypeError(
            f"diaries must be a file, a folder or a pandas DataFrame, got {type(diaries).__name__}"
        )
    data = load_series(
        diaries, protocol, allocations, skip_bad=skip_bad, options=options,
        lean=True, **lean,
    )  # fmt: skip
    inputs = {"diary": [diaries, *(d.source for d in data.diaries.values())]}
    inputs["--map"] = options.mapping
    # series.json is shared: it names its inputs by file name, as the command line does
    data = replace(
        data,
        source=shown_name(data.source),
        allocation_sources=tuple(shown_name(a) for a in data.allocation_sources),
    )
    return data, inputs


def _frame_series(frame, protocol, allocations, skip_bad: bool, options):
    """A series' :class:`~nof1.series.SeriesInput` from one DataFrame of every patient, as
    ``nof1.series.load_series`` reads a diary table."""
    from nof1.data import read_allocations, read_patients
    from nof1.data.tables import with_row_note
    from nof1.errors import DiaryError
    from nof1.series import SeriesError, SeriesInput

    allocs, sources = {}, ()
    if allocations is not None:
        if Path(allocations).is_dir():
            raise DiaryError(
                str(allocations),
                [
                    "is a folder: with a DataFrame of diaries give the allocation file "
                    "(series-allocation-blinded.csv or series-unblinding-key.json)"
                ],
            )
        allocs, sources = read_allocations(allocations), (shown_name(allocations),)
    table = read_patients(frame, protocol, allocs, options)
    bad = []
    if table.problems:
        if not skip_bad:
            raise SeriesError(
                with_row_note(table.source),
                [{"patient_id": None, "reason": p} for p in table.problems],
            )
        if table.unnamed:
            shown = ", ".join(map(str, table.unnamed[:10]))
            more = ", ..." if len(table.unnamed) > 10 else ""
            bad.append({"patient_id": None, "reason": f"rows {shown}{more} have no patient_id"})
        for pid, exc in table.errors.items():
            bad.append({"patient_id": pid, "reason": exc.one_line(), "error": exc})
    sha = next(iter(table.diaries.values())).sha256 if table.diaries else None
    notes = tuple(dict.fromkeys(n for d in table.diaries.values() for n in d.notes))
    return SeriesInput(table.source, sha, table.diaries, allocs, sources, tuple(bad), notes)


class SeriesResult:
    """A series' results: what ``nof1 series`` writes, as Python objects.

    Made by :func:`series`.

    Attributes
    ----------
    meta_analysis : pandas.DataFrame
        One row per outcome (protocol order): the random-effects meta-analysis (REML) of
        the patients' effects (series.json ``patient_effects``): ``outcome``, ``primary``,
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``tau2``, ``i2``
        (percent), ``pi_low``, ``pi_high`` (prediction interval for a new patient), ``k``
        (patients pooled), ``method``, ``q``, ``q_p_value``, ``converged``, ``reason``.
        DerSimonian-Laird, the shrunken estimates, the mixed model and the rest are in
        :meth:`to_dict` (series.json).
    patients : dict of str to AnalysisResult
        Every analysed patient's own results (what ``nof1 analyze`` gives), by patient
        id in input order; the skipped patients are in :attr:`skipped`.
    effects : pandas.DataFrame
        Every analysed patient's effects: ``patient_id`` then the columns of
        :attr:`AnalysisResult.effects <nof1.api.analysis.AnalysisResult>`.
    skipped : pandas.DataFrame
        ``patient_id`` and ``reason`` of each patient not analysed (with ``skip_bad``).
    protocol : ProtocolFile
    notes : tuple of str
        How the diaries were read when not as nof1's own template (``Note:`` lines of
        ``nof1 series``).
    """

    def __init__(
        self, series_json: str, patients: dict, protocol: ProtocolFile, inputs=None, notes=()
    ):
        self._json = series_json
        self._series = json.loads(series_json)
        self.patients: dict[str, AnalysisResult] = dict(patients)
        self.protocol = protocol
        self._inputs = dict(inputs or {})
        self.notes = tuple(dict.fromkeys(notes))

    def to_dict(self) -> dict:
        """series.json (a fresh copy), as ``nof1 series`` writes it but for
        ``software.command`` (None)."""
        return json.loads(self._json)

    @property
    def meta_analysis(self) -> pd.DataFrame:
        return self._meta_analysis.copy()  # a copy: changing it changes nothing here

    @property
    def effects(self) -> pd.DataFrame:
        return self._effects.copy()

    @cached_property
    def _meta_analysis(self) -> pd.DataFrame:
        rows = []
        for outcome in self._series["outcomes"]:
            meta = outcome["meta_analysis"]
            row = {"outcome": outcome["name"], "primary": outcome["primary"]}
            rows.append(row | {k: v for k, v in meta.items() if k not in _NESTED})
        frame = pd.DataFrame(rows)
        for column in ("estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "i2"):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    @cached_property
    def _effects(self) -> pd.DataFrame:
        from nof1.api.effects import effects_frame

        frames = [
            effects_frame(r._results["outcomes"], {"patient_id": pid})
            for pid, r in self.patients.items()
        ]
        return pd.concat(frames, ignore_index=True)

    @property
    def skipped(self) -> pd.DataFrame:
        return pd.DataFrame(self._series["skipped"], columns=["patient_id", "reason"])

    def report(self, path, *, overwrite: bool = False) -> Path:
        """Write the page ``nof1 series`` writes (series.html; opens offline).

        An existing ``path`` is replaced only with ``overwrite=True``. Returns the path
        written. Each patient's own report: ``result.patients[ID].report(path)``.
        """
        from nof1.report.series import render_series_report

        patient_results = {pid: r._results for pid, r in self.patients.items()}
        page = render_series_report(self.to_dict(), patient_results, False)
        return write_report(path, page, overwrite, self._inputs)

    def __repr__(self) -> str:
        counts = self._series["counts"]
        return (
            f"<nof1 SeriesResult: protocol {self._series['protocol']['id']}, "
            f"{counts['analysed']} patients analysed, {counts['skipped']} skipped; "
            ".meta_analysis, .patients, .report(path)>"
        )

    def _repr_html_(self) -> str:
        s = self._series
        p = self.protocol.protocol
        counts = s["counts"]
        vs = "{} minus {}".format(*arm_labels(s))
        ci = interval_words(s, p)
        rows = []
        for outcome in s["outcomes"]:
            m = outcome["meta_analysis"]
            if m["reason"]:
                rows.append([outcome["label"], m["k"], "–", "–", "–", "–", "–", m["reason"]])
                continue
            rows.append(
                [
                    outcome["label"] + (" (primary)" if outcome["primary"] else ""),
                    m["k"],
                    cell(m["estimate"]),
                    f"{cell(m['ci_low'])} to {cell(m['ci_high'])}",
                    f"{cell(m['pi_low'])} to {cell(m['pi_high'])}",
                    cell(m["tau2"]),
                    f"{cell(m['i2'], 0)}%",
                    "",
                ]
            )
        table = table_html(
            ["Outcome", "k", "Estimate", ci, "Prediction interval", "tau²", "I²", "Note"],
            rows,
            f"Random-effects meta-analysis (REML) of the patients' effects, {vs}",
        )
        parts = [
            f"<p><b>nof1 series</b> · protocol {html.escape(s['protocol']['id'])} · "
            f"{counts['analysed']} patients analysed, {counts['skipped']} skipped"
            + (" · blinded: effects are B minus A" if s["blinded"] else "")
            + "</p>",
            *(f"<p>Note: {html.escape(n)}.</p>" for n in self.notes),
            table,
        ]
        if s["skipped"]:
            listed = "".join(
                f"<li>{html.escape(str(k['patient_id']))}: {html.escape(k['reason'])}</li>"
                for k in s["skipped"][:10]
            )
            more = len(s["skipped"]) - 10
            tail = f"<p>... and {more} more</p>" if more > 0 else ""
            parts.append(f"<p>Skipped:</p><ul>{listed}</ul>{tail}")
        parts.append(
            '<p style="color:#666"><code>.meta_analysis</code>, <code>.effects</code> '
            "(every patient), <code>.patients[ID]</code> (one patient's results); the full "
            "report: <code>.report(&quot;series.html&quot;)</code>.</p>"
        )
        return '<div class="nof1-result">' + "".join(parts) + "</div>"

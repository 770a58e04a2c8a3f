"""Reading a results.json back for ``nof1 report``: validated before anything reads it.

A results.json may be hand-edited, truncated or written by an older nof1. The report reads
dozens of nested fields, so instead of guarding each one the file is validated against the
shipped JSON Schema (``nof1/schemas/results.schema.json``, the contract the writer's tests
hold it to), and every violation is named with its JSON path. That needs ``jsonschema``,
a runtime dependency for this reason: a hand-written check of the fields the report reads
would be a second copy of the schema, and would drift from it.

What the schema cannot say (the outcomes are the protocol's, exactly one is primary) is
checked by :func:`check_results`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from nof1.design.comparison import arms
from nof1.errors import ResultsError
from nof1.inputs import read_input

__all__ = [
    "RESULTS_SCHEMA",
    "RESULTS_SCHEMA_PATH",
    "check_results",
    "results_text",
    "read_results",
    "validation_problems",
]

RESULTS_SCHEMA = "nof1.results/2"
RESULTS_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "results.schema.json"
#: Violations listed at most (a wrong file can have thousands).
_MAX_LISTED = 20


def results_text(results: dict, levels: int = 4) -> str:
    """A results.json's text as ``nof1 series`` writes it: indented by two spaces down to
    ``levels`` of nesting (results, outcomes, an outcome, its effects), each value below
    that, and each list of numbers or strings, on one line: e.g. one line per method's
    effect. The same results give the same bytes; :func:`json.loads` reads either the same.

    Made by :func:`nof1.outputs.json_text.json_text` (the C encoder for every one-line
    value: a tenth of ``json.dumps(indent=2)``'s time, which matters at one file per
    patient).

    Examples
    --------
    >>> print(results_text({"a": [{"b": {"c": {"d": 1, "e": [1, 2]}}}], "f": [3, 4]}), end="")
    {
      "a": [
        {
          "b": {
            "c": {"d": 1, "e": [1, 2]}
          }
        }
      ],
      "f": [3, 4]
    }
    """
    from nof1.outputs.json_text import json_text

    return json_text(results, levels) + "\n"


def read_results(path: str | Path) -> dict:
    """Read and validate a results.json.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        The results, valid against the ``nof1.results/2`` schema.

    Raises
    ------
    ResultsError
        Unreadable, not JSON, not a nof1 results file, or each schema violation with its
        JSON path (``outcomes.0.effects.welch_t: 'estimate' is a required property``).
    """
    source = str(path)
    if not Path(path).exists():
        raise ResultsError(source, ["not found (RESULTS_DIR is the --out folder of nof1 analyze)"])
    try:
        text = read_input(path, ResultsError).decode("utf-8")
    except UnicodeDecodeError:
        raise ResultsError(source, ["is not a UTF-8 text file"]) from None
    try:
        results = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise ResultsError(source, [f"is not valid JSON{where}: {_reason(exc)}"]) from None
    if not isinstance(results, dict) or "schema" not in results:
        raise ResultsError(source, [f"is not a nof1 results file (schema {RESULTS_SCHEMA})"])
    if results["schema"] != RESULTS_SCHEMA:
        older = results["schema"] == "nof1.results/1"
        raise ResultsError(
            source,
            [
                f"schema: expected '{RESULTS_SCHEMA}', got {results['schema']!r} "
                + (
                    "(written by an older nof1, before results recorded their alpha, primary "
                    "method and comparison: re-run nof1 analyze to get a current results.json)"
                    if older
                    else "(re-run nof1 analyze with this version to get a current results.json)"
                )
            ],
        )
    problems = validation_problems(results)
    if problems:
        raise ResultsError(source, problems)
    return results


def validation_problems(results: object) -> list[str]:
    """'json.path: what is wrong' for every schema violation, in file order (at most 20).

    Examples
    --------
    >>> validation_problems({"schema": "nof1.results/2"})[0]
    "(top level): 'software' is a required property"
    """
    validator = _validator()
    errors = sorted(validator.iter_errors(results), key=lambda e: [str(p) for p in e.path])
    # One problem per path: a bad date breaks both its format and its pattern.
    first = {}
    for e in errors:
        first.setdefault(_json_path(e.absolute_path), _message(e))
    problems = [f"{path}: {message}" for path, message in first.items()]
    if len(problems) > _MAX_LISTED:
        more = len(problems) - _MAX_LISTED
        problems = problems[:_MAX_LISTED] + [f"... and {more} more"]
    return problems


def check_results(results: dict, protocol, source: str, aligned=None) -> None:
    """What the schema cannot say and the report relies on.

    The outcomes are the protocol's and one is primary (the one ``analysis`` names); the
    ``comparison`` agrees with ``blinded`` and ``labels``, and ``interval_level`` is
    1 - alpha; the conditions the report shows (baseline, and the comparison's two) are
    present; a method with
    an estimate has its interval and p-value; the posterior density's x and y match; the
    aligned table (when given) has a column per outcome.

    Raises
    ------
    ResultsError
        Naming each JSON path at fault.
    """
    comparison = results["comparison"]
    treated, control = comparison["treated"], comparison["control"]
    names = [o.name for o in protocol.outcomes]
    problems = []
    if comparison["blinded"] != results["blinded"] or (treated, control) != arms(
        results["blinded"]
    ):
        problems.append(
            f"comparison: {treated} vs {control} (blinded {str(comparison['blinded']).lower()}) "
            f"does not match blinded {str(results['blinded']).lower()}"
        )
    if set(results["labels"]) != {treated, control}:
        problems.append(
            f"labels: expected {treated} and {control} (the comparison's), "
            f"got {', '.join(results['labels'])}"
        )
    for key, condition in (("treated_label", treated), ("control_label", control)):
        if results["labels"].get(condition, comparison[key]) != comparison[key]:
            problems.append(
                f"comparison.{key}: {comparison[key]!r} differs from labels.{condition} "
                f"({results['labels'][condition]!r})"
            )
    analysis = results["analysis"]
    if abs(analysis["interval_level"] - (1 - analysis["alpha"])) > 1e-9:
        problems.append(
            f"analysis.interval_level: expected 1 - alpha ({1 - analysis['alpha']:g}), "
            f"got {analysis['interval_level']:g}"
        )
    if set(results["labels"]) != {treated, control}:
        problems.append(
            f"labels: expected {treated} and {control} (blinded is "
            f"{str(results['blinded']).lower()}), got {', '.join(results['labels'])}"
        )
    for i, out in enumerate(results["outcomes"]):
        where = f"outcomes.{i}"
        if aligned is not None and out["name"] not in aligned.columns:
            problems.append(f"{where}.name: aligned.csv has no column '{out['name']}'")
        if out["name"] not in names:
            problems.append(
                f"{where}.name: '{out['name']}' is not an outcome of protocol "
                f"'{protocol.id}' (outcomes: {', '.join(names)})"
            )
        for field, keys in (
            ("descriptive", ("baseline", treated, control)),
            ("percent_change", (treated, control)),
            ("vs_baseline", (treated, control)),
        ):
            problems += [f"{where}.{field}: '{k}' is missing" for k in keys if k not in out[field]]
        for method, effect in out["effects"].items():
            if effect["estimate"] is None:
                continue
            no_interval = effect.get("interval_reason") is not None  # said why (nap)
            problems += [
                f"{where}.effects.{method}.{key}: expected a number when estimate is given, "
                "got null"
                for key in ("ci_low", "ci_high", "p_value", "min_p", "n_allocations")
                if key in effect
                and effect[key] is None
                and not (no_interval and key in ("ci_low", "ci_high"))
            ]
        density = out["effects"]["bayes_ar1"]["density"]
        if density and len(density["x"]) != len(density["y"]):
            problems.append(
                f"{where}.effects.bayes_ar1.density: x has {len(density['x'])} values "
                f"but y has {len(density['y'])}"
            )
    problems += [
        f"responder: '{k}' is missing" for k in (treated, control) if k not in results["responder"]
    ]
    for i, period in enumerate(results["data_quality"]["periods"]):
        if (period["first_date"] is None) != (period["last_date"] is None):
            problems.append(
                f"data_quality.periods.{i}: first_date and last_date must both be dates "
                "or both be null"
            )
    primaries = [o["name"] for o in results["outcomes"] if o["primary"]]
    if len(primaries) != 1:
        problems.append(
            f"outcomes: exactly one outcome must have primary: true "
            f"(found {len(primaries)}: {', '.join(primaries) or 'none'})"
        )
    elif analysis["primary_outcome"] != primaries[0]:
        problems.append(
            f"analysis.primary_outcome: '{analysis['primary_outcome']}' is not the outcome "
            f"marked primary ('{primaries[0]}')"
        )
    if problems:
        raise ResultsError(source, problems)


@cache
def _validator():
    import jsonschema

    schema = json.loads(RESULTS_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


def _json_path(parts) -> str:
    return ".".join(str(p) for p in parts) or "(top level)"


def _message(error) -> str:
    """jsonschema's message, without repeating a whole sub-object."""
    if error.validator == "type":
        expected = error.schema["type"]
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        shown = json.dumps(error.instance)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return f"expected {expected}, got {shown}"
    message = error.message
    return message if len(message) <= 160 else message[:157] + "..."


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)

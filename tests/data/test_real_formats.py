"""Files as other tools write them give the same results.json as nof1's own template.

The fixtures in fixtures/real/ are built by make_real.py and make_studyu.py the way each
tool writes its files (README.md there names the source of each shape).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main

REAL = Path(__file__).parent / "fixtures" / "real"
PROTOCOL = "ldn-nof1-multicycle"
SAME = ("patient_id", "blinded", "labels", "data_quality", "outcomes", "responder", "verdict")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    out = tmp_path_factory.mktemp("schedule")
    r = run(
        "schedule",
        PROTOCOL,
        "--patient",
        "P01",
        "--start",
        "2026-01-05",
        "--seed",
        "7",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output
    return out / "P01-unblinding-key.json"


@pytest.fixture(scope="module")
def reference(key, tmp_path_factory):
    return _analyze(REAL / "template-P01.csv", key, tmp_path_factory.mktemp("template"))[0]


def _analyze(diary, key, out, *extra):
    r = run("analyze", diary, "--protocol", PROTOCOL, "--allocation", key, "--out", out, *extra)
    assert r.exit_code == 0, r.output
    return json.loads((out / "results.json").read_text()), r.output


@pytest.mark.parametrize(
    ("name", "extra", "said"),
    [
        ("redcap-raw.csv", [], "read as a REDCap raw export, instrument daily_diary"),
        ("redcap-labels.csv", [], "read as a REDCap labels export, instrument Daily Diary"),
        ("excel-de.csv", [], "dates read as day.month.year"),
        ("google-forms.csv", ["--map", REAL / "google-forms-map.yaml"], "read through the map"),
        ("msforms.xlsx", ["--map", REAL / "msforms-map.yaml"], "read sheet 'Form1'"),
    ],
)
def test_a_real_file_gives_the_numbers_of_the_same_diary_in_the_template(
    name, extra, said, key, reference, tmp_path
):
    results, output = _analyze(REAL / name, key, tmp_path / "out", *extra)
    assert {k: results[k] for k in SAME} == {k: reference[k] for k in SAME}
    assert said in output


def test_a_european_csv_says_how_its_numbers_were_read(key, tmp_path):
    output = _analyze(REAL / "excel-de.csv", key, tmp_path / "out")[1]
    assert "decimal commas read as points" in output


def test_a_dataframe_reads_as_its_file(key):
    import pandas as pd

    from nof1.data import ReadOptions, read_diary, read_map
    from nof1.protocol import load_protocol

    protocol = load_protocol(PROTOCOL)
    frame = pd.read_csv(REAL / "google-forms.csv", dtype=str)
    mapping = read_map(REAL / "google-forms-map.yaml", protocol)
    from_frame = read_diary(frame, protocol, options=ReadOptions(mapping=mapping))
    from_file = read_diary(REAL / "template-P01.csv", protocol)
    cols = ["date", "pain", "fatigue"]
    assert from_frame.table[cols].equals(from_file.table[cols])
    assert from_frame.source == "<DataFrame>"


# --- StudyU -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("studyu") / "study"
    r = run(
        "import", "studyu", REAL / "studyu-export.zip", "--timezone", "Europe/Berlin", "--out", out
    )
    assert r.exit_code == 0, r.output
    return out, r.output


def test_studyu_import_writes_the_diaries_studyu_recorded(imported):
    out, output = imported
    for expected in sorted(REAL.glob("studyu-expected-*.csv")):
        prefix = expected.stem.removeprefix("studyu-expected-")
        (written,) = (out / "diaries").glob(f"{prefix}*-diary.csv")
        got = [
            line.replace(".0,", ",").removesuffix(".0") for line in written.read_text().splitlines()
        ]
        assert got == expected.read_text().splitlines()
    assert "Left out: question 'Anything else?' (freeText" in output
    assert "deleted from the design (N/A)" in output
    assert "2 participant(s) imported" in output


def test_studyu_import_makes_the_protocol_of_its_design(imported):
    from nof1.protocol import load_protocol

    p = load_protocol(imported[0] / "protocol.yaml")
    assert (p.schedule.baseline_days, p.schedule.cycles, p.schedule.active_days) == (7, 2, 7)
    assert [o.name for o in p.outcomes] == [
        "how_bad_was_your_pain_today",
        "how_tired_were_you_today",
    ]
    assert (p.outcomes[1].min, p.outcomes[1].max) == (0, 10)
    # The two participants chose their interventions in opposite orders.
    assert p.randomization.scheme == "pairwise"
    assert "the randomization test assumes a randomization StudyU did not do" in imported[1]


def test_studyu_import_runs_through_series_and_analyze(imported, tmp_path):
    out = imported[0]
    r = run(
        "series",
        out / "diaries",
        "--protocol",
        out / "protocol.yaml",
        "--allocations",
        out / "allocations",
        "--out",
        tmp_path / "series",
    )
    assert r.exit_code == 0, r.output
    assert len(json.loads((tmp_path / "series" / "series.json").read_text())["patients"]) == 2
    (diary,) = (out / "diaries").glob("0f8fad5b*")
    (key,) = (out / "allocations").glob("0f8fad5b*")
    r = run(
        "analyze",
        diary,
        "--protocol",
        out / "protocol.yaml",
        "--allocation",
        key,
        "--out",
        tmp_path / "one",
    )
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "one" / "results.json").read_text())["labels"]["active"]


def test_studyu_reads_its_unzipped_folder_too(tmp_path):
    import zipfile

    folder = tmp_path / "export"
    zipfile.ZipFile(REAL / "studyu-export.zip").extractall(folder)
    r = run("import", "studyu", folder, "--timezone", "Europe/Berlin", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output


def test_an_evening_answer_after_midnight_counts_for_the_evening(tmp_path):
    # With the day starting at 00:00 the after-midnight answers fall on the next date,
    # where a second answer already is: the import stops and names --same-day.
    r = run(
        "import",
        "studyu",
        REAL / "studyu-export.zip",
        "--timezone",
        "Europe/Berlin",
        "--day-starts-at",
        "00:00",
        "--out",
        tmp_path / "o",
    )
    assert r.exit_code == 1
    assert "give --same-day first, last or mean" in r.output
    assert "measurements.csv (row 1 is the header)" in r.output
    assert not (tmp_path / "o" / "protocol.yaml").exists()


def test_a_studyu_export_given_to_analyze_says_to_import_it(tmp_path):
    r = run("analyze", REAL / "studyu-export.zip", "--protocol", PROTOCOL, "--out", tmp_path)
    assert r.exit_code == 1
    assert "is a StudyU export: import it first with `nof1 import studyu" in r.output


def test_studyu_without_active_and_placebo_names_the_options(tmp_path):
    shutil.copy(REAL / "studyu-export.zip", tmp_path / "e.zip")
    import zipfile

    with zipfile.ZipFile(REAL / "studyu-export.zip") as z:
        d = json.loads(z.read("study_definition.json"))
        others = {n: z.read(n) for n in z.namelist() if n != "study_definition.json"}
    d["interventions"][1]["name"] = "Sugar pill"
    with zipfile.ZipFile(tmp_path / "e.zip", "w") as z:
        z.writestr("study_definition.json", json.dumps(d))
        for n, data in others.items():
            z.writestr(n, data)
    r = run("import", "studyu", tmp_path / "e.zip", "--out", tmp_path / "o")
    assert r.exit_code == 1
    assert "give --active NAME and --placebo NAME" in r.output
    r = run(
        "import",
        "studyu",
        tmp_path / "e.zip",
        "--active",
        "LDN 4.5 mg",
        "--placebo",
        "Sugar pill",
        "--timezone",
        "Europe/Berlin",
        "--out",
        tmp_path / "o",
    )
    assert r.exit_code == 0, r.output


def test_the_workbook_fixture_has_the_stale_dimension_of_openxlsx():
    import zipfile

    with zipfile.ZipFile(REAL / "msforms.xlsx") as z:
        assert b'<dimension ref="A1"/>' in z.read("xl/worksheets/sheet2.xml")


def test_the_shipped_map_schema_is_current():
    from nof1.data.mapping import SCHEMA_PATH, map_schema_text

    assert SCHEMA_PATH.read_text() == map_schema_text()


def test_one_order_for_everyone_is_the_fixed_scheme_with_that_order(tmp_path):
    import zipfile

    from nof1.protocol import load_protocol

    with zipfile.ZipFile(REAL / "studyu-export.zip") as z:
        files = {n: z.read(n) for n in z.namelist()}
    lines = files["measurements.csv"].decode().split("\r\n")
    files["measurements.csv"] = "\r\n".join(
        [lines[0]] + [line for line in lines[1:] if "0f8fad5b" in line.split(",")[3]]
    ).encode()
    with zipfile.ZipFile(tmp_path / "one.zip", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    r = run(
        "import",
        "studyu",
        tmp_path / "one.zip",
        "--timezone",
        "Europe/Berlin",
        "--primary",
        "how_tired_were_you_today",
        "--higher-better",
        "how_tired_were_you_today",
        "--out",
        tmp_path / "o",
    )
    assert r.exit_code == 0, r.output
    p = load_protocol(tmp_path / "o" / "protocol.yaml")
    assert p.randomization.scheme == "fixed"
    assert p.randomization.sequence == ["active", "placebo", "active", "placebo"]
    assert p.primary_outcome.name == "how_tired_were_you_today"
    assert p.primary_outcome.better == "higher"
    assert "Warning" not in r.output

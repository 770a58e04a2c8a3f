"""Files that look like a known source but are not quite: one message, row and column,
the option or map key that fixes it, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.data import ReadOptions, read_diary, read_map
from nof1.errors import DiaryError
from nof1.protocol import load_protocol

REAL = Path(__file__).parent / "fixtures" / "real"
PROTOCOL = load_protocol("ldn-nof1-multicycle")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


def problems(path, **options):
    with pytest.raises(DiaryError) as info:
        read_diary(path, PROTOCOL, options=ReadOptions(**options))
    return info.value.problems


def test_ambiguous_dates_ask_for_date_format_and_it_settles_them(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,pain\n05/01/2026,40\n06/01/2026,41\n")
    r = run("analyze", path, "--protocol", "ldn-nof1-multicycle", "--out", tmp_path / "o")
    assert r.exit_code == 1
    assert "could be day/month or month/day" in r.output and "--date-format" in r.output
    assert not (tmp_path / "o" / "results.json").exists()
    d = read_diary(path, PROTOCOL, options=ReadOptions(date_format="day-first"))
    assert [x.isoformat() for x in d.table["date"]] == ["2026-01-05", "2026-01-06"]
    d = read_diary(path, PROTOCOL, options=ReadOptions(date_format="month-first"))
    assert [x.isoformat() for x in d.table["date"]] == ["2026-05-01", "2026-06-01"]


def test_a_day_above_12_settles_the_order_and_a_mix_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,pain\n12/01/2026,40\n13/01/2026,41\n")
    d = read_diary(path, PROTOCOL)
    assert d.table["date"].iloc[1].isoformat() == "2026-01-13"
    assert d.notes == ("dates read as day/month/year",)
    path.write_text("date,pain\n13/01/2026,40\n01/14/2026,41\n")
    assert problems(path)[0].startswith("dates mix day/month ('13/01/2026', row 2)")


def test_a_quoted_header_with_commas_does_not_fool_the_delimiter(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('date;"pain, today, 0-100, please";x\n2026-01-05;40;1\n')
    m = tmp_path / "m.yaml"
    m.write_text('date: date\noutcomes: {pain: "pain, today, 0-100, please"}\nignore: [x]\n')
    d = read_diary(path, PROTOCOL, options=ReadOptions(mapping=m))
    assert d.table["pain"].tolist() == [40.0]


def test_a_map_names_every_key_at_fault(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text(
        "date: {column: Timestamp, day_starts_at: '25:00', timezone: Mars/Olympus}\n"
        "outcomes: {itch: Q1}\nsame_day: sometimes\ncolour: red\n"
    )
    with pytest.raises(DiaryError) as info:
        read_map(m, PROTOCOL)
    text = "\n".join(info.value.problems)
    for part in (
        "date.day_starts_at",
        "date.timezone: unknown time zone 'Mars/Olympus'",
        "same_day:",
        "colour: unknown key",
    ):
        assert part in text, text
    m.write_text("date: Timestamp\noutcomes: {itch: Q1}\n")
    with pytest.raises(DiaryError) as info:
        read_map(m, PROTOCOL)
    assert info.value.problems[0].startswith("outcomes.itch: not an outcome of protocol")
    assert "outcomes: needs the primary outcome 'pain'" in info.value.problems[1]


def test_a_mapped_column_missing_from_the_file_names_its_key(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text('date: Timestamp\noutcomes: {pain: "How bad is it?"}\n')
    found = problems(REAL / "google-forms.csv", mapping=m)
    assert found[0] == f"has no column 'How bad is it?' (outcomes.pain in {m})"


def test_two_entries_on_one_day_without_a_rule_name_both_rows_and_the_key(tmp_path):
    m = tmp_path / "m.yaml"
    text = (REAL / "google-forms-map.yaml").read_text().replace("same_day: last\n", "")
    m.write_text(text)
    found = problems(REAL / "google-forms.csv", mapping=m)
    assert "are both for" in found[0] and f"set same_day in {m}" in found[0]


def test_google_forms_without_a_map_asks_for_one():
    assert "looks like a Google Forms responses sheet" in problems(REAL / "google-forms.csv")[0]


def test_a_redcap_export_with_a_field_that_is_no_outcome_names_it(tmp_path):
    text = (REAL / "redcap-raw.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "r.csv"
    path.write_text(text.replace(",fatigue,", ",tiredness,"))
    found = problems(path)
    assert "unknown column(s) 'tiredness'" in found[0]


def test_redcap_labels_complete_columns_twice_are_fine_other_twins_are_not(tmp_path):
    read_diary(REAL / "redcap-labels.csv", PROTOCOL)  # "Complete?" twice: dropped
    path = tmp_path / "d.csv"
    path.write_text("date,pain,pain\n2026-01-05,1,2\n")
    assert problems(path) == ["column 'pain' appears twice (columns B and C)"]


def test_a_series_reads_a_redcap_table_through_the_cli(tmp_path):
    text = (REAL / "redcap-raw.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    second = [line.replace("P01,", "P02,", 1) for line in lines[1:]]
    path = tmp_path / "redcap.csv"
    path.write_text("\r\n".join(lines + second) + "\r\n")
    out = tmp_path / "s"
    r = run(
        "schedule",
        "ldn-nof1-multicycle",
        "--patients",
        "2",
        "--start",
        "2026-01-05",
        "--seed",
        "3",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output
    r = run(
        "series",
        path,
        "--protocol",
        "ldn-nof1-multicycle",
        "--allocations",
        out / "series-allocation-blinded.csv",
        "--out",
        tmp_path / "res",
    )
    assert r.exit_code == 0, r.output
    assert "read as a REDCap raw export" in r.output


def _studyu_copy(tmp_path, change):
    import zipfile

    with zipfile.ZipFile(REAL / "studyu-export.zip") as z:
        files = {n: z.read(n) for n in z.namelist()}
    files["measurements.csv"] = change(files["measurements.csv"].decode()).encode()
    path = tmp_path / "e.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def test_a_studyu_export_without_its_columns_is_named(tmp_path):
    path = _studyu_copy(tmp_path, lambda t: t.replace("current_day_of_study", "day", 1))
    r = run("import", "studyu", path, "--timezone", "UTC", "--out", tmp_path / "o")
    assert r.exit_code == 1
    assert "e.zip:measurements.csv: 1 problem(s)" in r.output
    assert "has no column(s) current_day_of_study (not StudyU's)" in r.output
    assert not (tmp_path / "o" / "protocol.yaml").exists()


def test_a_studyu_answer_that_is_no_number_names_row_and_column(tmp_path):
    def change(text):
        lines = text.split("\r\n")
        lines[1] = lines[1].replace(",42.0,", ",a lot,", 1)
        return "\r\n".join(lines)

    path = _studyu_copy(tmp_path, change)
    r = run("import", "studyu", path, "--timezone", "UTC", "--out", tmp_path / "o")
    assert r.exit_code == 1
    assert "row 2, column survey1_question1_response: answer 'a lot' is not a number" in r.output


def test_a_series_of_google_forms_reads_through_its_map(tmp_path):
    text = (REAL / "google-forms.csv").read_text()
    lines = text.splitlines()
    second = [line.replace(",P01,", ",P02,") for line in lines[1:]]
    path = tmp_path / "forms.csv"
    path.write_text("\n".join(lines + second) + "\n")
    out = tmp_path / "s"
    r = run(
        "schedule",
        "ldn-nof1-multicycle",
        "--patients",
        "2",
        "--start",
        "2026-01-05",
        "--seed",
        "3",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output
    r = run(
        "series",
        path,
        "--protocol",
        "ldn-nof1-multicycle",
        "--allocations",
        out,
        "--map",
        REAL / "google-forms-map.yaml",
        "--out",
        tmp_path / "res",
    )
    assert r.exit_code == 0, r.output
    assert "Note: read through the map" in r.output

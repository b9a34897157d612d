"""`python -m cs_logic inspect FILE --json` on the bad-input corpus: JSON and exit 0, or exit 2 and one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import badfiles

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"table", "rows", "columns", "mapping", "encoding", "delimiter", "header_row", "problems"}
CASES = {
    "good": badfiles.good_survey,
    "excel_fr": badfiles.semicolon_cp1252_survey,
    "titled": badfiles.titled_survey,
    "xlsx_as_csv": badfiles.xlsx_named_csv,
    "nps": badfiles.nps_edge_survey,
    "empty": badfiles.empty_file,
    "garbage": badfiles.binary_garbage,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every CLI run of this file, started together (each interpreter takes about 1.5 s to import)."""
    base = tmp_path_factory.mktemp("cli")
    commands: dict[str, list[str]] = {}
    for key, make in CASES.items():
        name, data = make()
        folder = base / key
        folder.mkdir()
        (folder / name).write_bytes(data)
        commands[key] = [str(folder / name)]
    commands["missing"] = [str(base / "no_such_file.csv")]
    procs = {key: subprocess.Popen([sys.executable, "-m", "cs_logic", "inspect", *args, "--json"], cwd=ROOT,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, encoding="utf-8")
             for key, args in commands.items()}
    done = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        done[key] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def report(runs, key: str) -> dict:
    run = runs[key]
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_inspect_prints_every_key_for_a_good_survey(runs):
    doc = report(runs, "good")
    assert KEYS <= set(doc)
    assert (doc["table"], doc["rows"], doc["encoding"], doc["delimiter"], doc["header_row"]) == (
        "surveys", 5, "utf-8", ",", 1)
    assert doc["columns"] == list(badfiles.SURVEY_HEADER) and doc["mapping"]["nps"] == "nps"


def test_inspect_reports_windows_1252_and_semicolons(runs):
    doc = report(runs, "excel_fr")
    assert (doc["encoding"], doc["delimiter"], doc["rows"]) == ("cp1252", ";", 4)


def test_inspect_reports_the_header_row_under_titles_and_the_bad_date_by_row(runs):
    doc = report(runs, "titled")
    assert doc["header_row"] == 4
    assert {"column": "date", "row": 7, "value": "yesterday"}.items() <= next(
        p for p in doc["problems"] if p["column"] == "date").items()


def test_inspect_reads_an_xlsx_named_csv_as_a_workbook(runs):
    doc = report(runs, "xlsx_as_csv")
    assert (doc["file_type"], doc["rows"], doc["encoding"], doc["delimiter"]) == ("xlsx", 5, None, None)


def test_inspect_reports_nps_11_on_row_5_and_keeps_every_row(runs):
    """survey.csv: 11 on row 5, -1 on row 6, 9.5 on row 8; N/A on row 7 is a blank; 7 rows kept."""
    doc = report(runs, "nps")
    assert (doc["table"], doc["rows"]) == ("surveys", 7)
    bad = {(p["column"], p["row"], p["value"]) for p in doc["problems"]}
    assert {("nps", 5, "11"), ("nps", 6, "-1"), ("nps", 8, "9.5")} <= bad


@pytest.mark.parametrize(("key", "words"), [("empty", "empty"), ("garbage", "binary"),
                                            ("missing", "cannot read")])
def test_inspect_exits_2_with_one_line_on_stderr_for_an_unreadable_file(runs, key, words):
    run = runs[key]
    assert run.returncode == 2 and run.stdout == ""
    line = run.stderr.strip()
    assert line.startswith("error: ") and words in line
    assert badfiles.problems_in_reason(line) == [], line
    assert Path(runs[key].args[4]).name in line

"""Data too big to upload: a folder or a DuckDB file opened from disk gives the same figures as its files one by one."""

import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from cs_logic.__main__ import main
from cs_logic.read.sources import Source, SourceError, find_sources, open_database, reading
from cs_logic.read.workspace import load_file

SAAS = ("ravenstack_accounts.csv", "ravenstack_feature_usage.csv", "ravenstack_subscriptions.csv",
        "ravenstack_support_tickets.csv")


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _summary(*paths: object) -> tuple[dict, str]:
    code, out, err = _cli("summary", *map(str, paths), "--json")
    assert code == 0, err
    return json.loads(out), err


@pytest.fixture
def folder(tmp_path, shared_data):
    """The SaaS exports copied into a folder, beside what a real folder also holds and the app must leave out."""
    for name in SAAS:
        shutil.copy(shared_data / "saas_usage" / name, tmp_path / name)
    (tmp_path / ".~lock.ravenstack_accounts.csv#").write_text("a lock file\n")
    (tmp_path / "cs_settings.json").write_text(json.dumps({"version": 1, "mappings": [], "scorecard": None,
                                                           "targets": {}, "benchmarks": []}))
    (tmp_path / "scorecard.json").write_text(json.dumps({"name": "x", "bands": {}, "measures": []}))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 not a table")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "older").mkdir()
    return tmp_path


@pytest.fixture
def database(tmp_path, shared_data):
    """The same SaaS exports as DuckDB tables, typed by DuckDB's own CSV reader (dates, numbers, booleans), and a view."""
    path = tmp_path / "portfolio.duckdb"
    con = duckdb.connect(str(path))
    for name in SAAS:
        con.execute(f"CREATE TABLE {Path(name).stem} AS SELECT * FROM read_csv($p)",
                    {"p": str(shared_data / "saas_usage" / name)})
    con.execute("CREATE VIEW big_accounts AS SELECT * FROM ravenstack_accounts WHERE seats > 50")
    con.close()
    return path


def test_a_folder_gives_the_same_summary_as_its_files_named_one_by_one(folder):
    """Same JSON, file names included; the lock file, settings, scorecard, PDF, empty file and sub-folder are
    each named on stderr with why they were left out."""
    one_by_one, _ = _summary(*(folder / n for n in SAAS))
    whole, err = _summary(folder)
    assert whole == one_by_one
    assert set(whole["files"]) == set(SAAS)
    skipped = dict(line.removeprefix("skipped ").split(": ", 1) for line in err.splitlines())
    assert set(skipped) == {".~lock.ravenstack_accounts.csv#", "cs_settings.json", "scorecard.json", "notes.pdf",
                            "empty.csv", "older"}
    assert "hidden" in skipped[".~lock.ravenstack_accounts.csv#"] and "settings file" in skipped["cs_settings.json"]
    assert "scorecard" in skipped["scorecard.json"] and "PDF" in skipped["notes.pdf"]
    assert "empty" in skipped["empty.csv"] and "folder" in skipped["older"]


def test_a_duckdb_file_gives_the_same_figures_as_the_csvs(folder, database):
    """Each table is one file named <db file>:<table>; every figure equals the CSVs' although DuckDB typed the
    columns (dates, timestamps, integers, booleans) where the CSVs are text."""
    csvs, _ = _summary(*(folder / n for n in SAAS))
    tables, err = _summary(database)
    assert tables.pop("files") == {f"portfolio.duckdb:{Path(n).stem}": csvs["files"][n] for n in SAAS}
    csvs.pop("files")
    assert tables == csvs
    assert "skipped portfolio.duckdb:big_accounts: a view" in err


def test_inspect_of_a_folder_lists_every_file_and_what_was_skipped(folder):
    code, out, _ = _cli("inspect", str(folder), "--json")
    doc = json.loads(out)
    assert code == 0
    assert [(f["file"], f["table"]) for f in doc["files"]] == [
        ("ravenstack_accounts.csv", "accounts"), ("ravenstack_feature_usage.csv", "usage"),
        ("ravenstack_subscriptions.csv", "subscriptions"), ("ravenstack_support_tickets.csv", "tickets")]
    assert {s["file"] for s in doc["skipped"]} >= {"cs_settings.json", "notes.pdf"}


def test_score_and_report_take_a_folder(folder, tmp_path):
    """The scored accounts and the report from a folder equal those from the files named one by one."""
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"name": "seats", "bands": {"red_below": 50, "green_from": 75}, "measures": [
        {"column": "seats", "method": "linear", "worst": 0, "best": 100, "weight": 1}]}))
    outs = []
    for args in ([str(folder)], [str(folder / n) for n in SAAS]):
        out = tmp_path / f"scores{len(outs)}.csv"
        code, _, err = _cli("score", *args, "--scorecard", str(card), "-o", str(out))
        assert code == 0, err
        outs.append(out.read_text())
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 501
    report = tmp_path / "report.html"
    assert _cli("report", str(folder), "-o", str(report))[0] == 0
    assert "ravenstack_accounts.csv" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: p / "nowhere", "no such file or folder"),
    (lambda p: (p / "empty_folder").mkdir() or p / "empty_folder", "it is empty"),
    (lambda p: (p / "bad.duckdb").write_bytes(bytes(8) + b"DUCK" + b"garbage" * 200) and p / "bad.duckdb",
     "cannot be opened as a DuckDB database"),
])
def test_a_bad_path_exits_2_with_one_line(tmp_path, make, words):
    path = make(tmp_path)
    code, out, err = _cli("summary", str(path), "--json")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and words in err and err.count("\n") == 1 and "Error" not in err


def test_a_folder_of_nothing_readable_says_what_it_skipped(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".hidden.csv").write_text("id\n1\n")
    with pytest.raises(SourceError, match=r"holds no export .*a\.pdf: this file is a PDF"):
        find_sources(tmp_path)


def test_the_duckdb_connection_is_read_only_and_reaches_no_other_file(database, folder):
    con = open_database(database)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM read_csv($p)", {"p": str(folder / SAAS[0])}).fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE t AS SELECT 1")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
        second = open_database(database)  # DuckDB shares the open database: locked already, still usable
        assert second.execute("SELECT count(*) FROM ravenstack_accounts").fetchone() == (500,)
        second.close()
    finally:
        con.close()


def test_a_source_is_keyed_by_path_size_and_time_and_refuses_a_changed_file(folder):
    """The digest is a fingerprint (no hash of the bytes); a file rewritten since it was found is not read as if
    it were the one the key names."""
    path = folder / SAAS[0]
    source = next(s for s in find_sources(folder).sources if s.name == SAAS[0])
    info = path.stat()
    assert source == Source(SAAS[0], str(path.resolve()), info.st_size, info.st_mtime_ns)
    assert find_sources(path).sources[0].digest == source.digest
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    assert find_sources(path).sources[0].digest != source.digest
    with pytest.raises(SourceError, match="changed on disk"), reading(source):
        pass


def test_a_duckdb_table_loads_like_its_csv(folder, database):
    """The table read through arrow= maps and types exactly as the CSV read through path=."""
    table = next(s for s in find_sources(database).sources if s.db_table == ("main", "ravenstack_support_tickets"))
    with reading(table) as where:
        from_db = load_file(table.name, **where)
    csv = next(s for s in find_sources(folder).sources if s.name == "ravenstack_support_tickets.csv")
    with reading(csv) as where:
        from_csv = load_file(csv.name, **where)
    assert (from_db.table, from_db.rows, from_db.mapping) == (from_csv.table, from_csv.rows, from_csv.mapping)
    assert from_db.prepared.frame.equals(from_csv.prepared.frame)

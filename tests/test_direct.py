"""A big plain usage CSV read by DuckDB itself (cs_logic.read.direct) gives exactly what the careful reader gives:
the same table in DuckDB (rows, order, types), the same mapping, decisions, problems, notes and preview. Any file
with something the careful reader would decide or report goes the careful way, and leaves nothing behind."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_logic.read import direct, workspace
from cs_logic.read.resident import STAGE_PREFIX
from cs_logic.read.store import Store
from cs_logic.read.workspace import LoadedFile, load_file

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")


def load(monkeypatch: pytest.MonkeyPatch, name: str, data: bytes | None, *, fast: bool, path: str | None = None,
         **kwargs: object) -> tuple[LoadedFile, bool, Store]:
    """The file loaded into a new session store: (loaded, whether DuckDB read it itself, store). ``fast`` False keeps
    the careful reader (the direct path starts at a size no test file has)."""
    monkeypatch.setattr(direct, "DIRECT_BYTES", 0 if fast else 1 << 62)
    taken: list[bool] = []
    real = workspace._direct

    def spied(*args: object, **kw: object) -> LoadedFile | None:
        found = real(*args, **kw)  # type: ignore[arg-type]
        taken.append(found is not None)
        return found

    monkeypatch.setattr(workspace, "_direct", spied)
    store = Store()
    lf = load_file(name, data, path=path, con=store.con, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(workspace, "_direct", real)
    return lf, bool(taken and taken[0]), store


def staged_tables(store: Store) -> list[str]:
    return [r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            if str(r[0]).startswith(STAGE_PREFIX)]


def assert_same(fast: LoadedFile, careful: LoadedFile) -> None:
    """Everything a page, the store or a check reads of a loaded file."""
    assert (fast.name, fast.digest, fast.size, fast.table, fast.mapping, fast.rows) == \
        (careful.name, careful.digest, careful.size, careful.table, careful.mapping, careful.rows)
    assert (fast.decisions, fast.choices) == (careful.decisions, careful.choices)
    # What the file is, recognised on the head's rows as a batched read recognises it on its first batch: the table,
    # the mapping and the other readings are the same; the confidence figures are the head's (0.849 against 0.855).
    assert (fast.detection.table, fast.detection.mapping, fast.detection.alternatives) == \
        (careful.detection.table, careful.detection.mapping, careful.detection.alternatives)
    assert fast.problems == careful.problems
    assert fast.prepared is not None and careful.prepared is not None
    assert (fast.prepared.notes, fast.prepared.mapping, fast.prepared.rows, fast.prepared.churn_values) == \
        (careful.prepared.notes, careful.prepared.mapping, careful.prepared.rows, careful.prepared.churn_values)
    pd.testing.assert_frame_equal(fast.prepared.frame, careful.prepared.frame)  # empty: columns and types
    pd.testing.assert_frame_equal(fast.read.frame, careful.read.frame)  # the preview
    assert (fast.read.header_row, fast.read.first_data_row, fast.read.encoding, fast.read.delimiter, fast.read.notes) == \
        (careful.read.header_row, careful.read.first_data_row, careful.read.encoding, careful.read.delimiter,
         careful.read.notes)
    assert fast.resident is not None and careful.resident is not None
    assert fast.resident.columns == careful.resident.columns and len(fast.resident) == len(careful.resident)
    kinds = [r[:2] for r in fast.resident.con.execute(f"DESCRIBE {fast.resident.sql}").fetchall()]
    assert kinds == [r[:2] for r in careful.resident.con.execute(f"DESCRIBE {careful.resident.sql}").fetchall()]
    pd.testing.assert_frame_equal(fast.resident.df(), careful.resident.df())  # every row, in the file's order


def check(monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, expect_direct: bool, **kwargs: object) -> LoadedFile:
    careful, taken, careful_store = load(monkeypatch, name, data, fast=False, **kwargs)
    assert not taken
    fast, taken, store = load(monkeypatch, name, data, fast=True, **kwargs)
    assert taken == expect_direct
    assert_same(fast, careful)
    assert len(staged_tables(store)) == 1  # a read DuckDB began and gave up on left no table behind
    folder = direct.files_folder(store.con)
    assert folder is not None and (not os.path.isdir(folder) or not os.listdir(folder))  # the upload's copy is gone
    store.close()
    careful_store.close()
    return fast


def real_usage(columns: list[str]) -> bytes:
    """RavenStack's feature-usage export (25,000 rows) with some of its columns, every value as the export wrote it."""
    with open(SHARED / "saas_usage" / "ravenstack_feature_usage.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    keep = [rows[0].index(c) for c in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([[r[i] for i in keep] for r in rows])
    return out.getvalue().encode()


def test_a_real_usage_export_read_by_duckdb_equals_the_careful_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids, ISO dates, a feature category, plain counts and an unmapped count: DuckDB reads it, nothing differs."""
    data = real_usage(["usage_id", "subscription_id", "usage_date", "feature_name", "usage_count", "error_count"])
    lf = check(monkeypatch, "feature_usage.csv", data, expect_direct=True)
    assert lf.table == "usage" and lf.rows == 25_000
    assert "error_count" in lf.resident.columns  # type: ignore[union-attr]


def test_the_demo_usage_file_is_read_by_duckdb_and_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    check(monkeypatch, "usage.csv", (ROOT / "data" / "usage.csv").read_bytes(), expect_direct=True)


def test_a_flag_or_a_duration_column_goes_the_careful_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole export: a duration with its unit in the header and a True/False flag are the careful reader's."""
    data = (SHARED / "saas_usage" / "ravenstack_feature_usage.csv").read_bytes()
    check(monkeypatch, "ravenstack_feature_usage.csv", data, expect_direct=False)


def usage_lines(rows: int = 60_000, dated: str = "2025-{m:02d}-{d:02d}") -> list[str]:
    """A usage export longer than the head DuckDB's reading is decided on (1 MB), so an oddity far down is past it."""
    return ["account_id,date,events,active_users"] + [
        f"ACC-{i % 997:04d},{dated.format(m=i % 12 + 1, d=i % 28 + 1)},{i % 53},{i % 7}" for i in range(rows)]


def text(lines: list[str], end: str = "\n") -> bytes:
    return (end.join(lines) + end).encode()


@pytest.mark.parametrize("what, change", [
    ("a date that is no date", lambda ls: ls.__setitem__(50_000, "ACC-0001,2025-13-45,3,1")),
    ("a count that is no number", lambda ls: ls.__setitem__(50_000, "ACC-0001,2025-01-02,n/a,1")),
    ("a count in words for none", lambda ls: ls.__setitem__(50_000, "ACC-0001,2025-01-02,NaN,1")),
    ("a decimal comma", lambda ls: ls.__setitem__(50_000, 'ACC-0001,2025-01-02,"3,5",1')),
    ("a blank line", lambda ls: ls.insert(30_000, "")),
    ("a padded id", lambda ls: ls.__setitem__(50_000, " ACC-0001,2025-01-02,3,1")),
    ("a tab after an id", lambda ls: ls.__setitem__(50_000, "ACC-0001\t,2025-01-02,3,1")),
    ("a date before 1990", lambda ls: ls.__setitem__(50_000, "ACC-0001,1970-01-01,3,1")),
    ("a non-ASCII id", lambda ls: ls.__setitem__(50_000, "ACC-Ü001,2025-01-02,3,1")),
    ("a value holding a line break", lambda ls: ls.__setitem__(50_000, '"ACC\n0001",2025-01-02,3,1')),
    ("a totals row", lambda ls: ls.append(",,123456,")),
    ("a footer under a blank line", lambda ls: ls.extend(["", "Exported on 2025-12-31"])),
    ("a text in an unmapped count", lambda ls: ls.__setitem__(50_000, "ACC-0001,2025-01-02,3,many")),
])
def test_anything_the_careful_reader_reports_goes_the_careful_way(monkeypatch: pytest.MonkeyPatch, what: str,
                                                                  change: object) -> None:
    lines = usage_lines()
    change(lines)  # type: ignore[operator]
    lf = check(monkeypatch, "usage.csv", text(lines), expect_direct=False)
    assert lf.rows >= 59_999, what


@pytest.mark.parametrize("what, lines, end", [
    ("semicolons", [line.replace(",", ";") for line in usage_lines()], "\n"),
    ("Windows line ends", usage_lines(), "\r\n"),
    ("quoted values", ['"' + line.replace(",", '","') + '"' for line in usage_lines()], "\n"),
    ("dates with times", usage_lines(dated="2025-{m:02d}-{d:02d} 10:30:00"), "\n"),
    ("a number in exponent form", usage_lines()[:50_000] + ["ACC-0001,2025-01-02,1e3,1"], "\n"),
    ("a blank id (no problem for usage: the cross-file check counts it)",
     usage_lines()[:50_000] + [",2025-01-02,3,1"] + usage_lines()[50_001:], "\n"),
])
def test_plain_layouts_are_read_by_duckdb_and_equal(monkeypatch: pytest.MonkeyPatch, what: str, lines: list[str],
                                                    end: str) -> None:
    check(monkeypatch, "usage.csv", text(lines, end), expect_direct=True)


def test_no_line_break_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    check(monkeypatch, "usage.csv", text(usage_lines())[:-1], expect_direct=True)


def test_a_date_more_than_a_year_after_the_as_of_day_goes_the_careful_way(monkeypatch: pytest.MonkeyPatch) -> None:
    data = text(usage_lines())
    check(monkeypatch, "usage.csv", data, expect_direct=True, as_of=pd.Timestamp("2025-06-30").date())
    check(monkeypatch, "usage.csv", data, expect_direct=False, as_of=pd.Timestamp("2023-06-30").date())


def test_a_file_opened_from_disk_is_linked_not_copied(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A file from a folder (make run DATA=...) is read where it lies when it shares the session's file system
    (a second name for it inside the folder DuckDB may read); elsewhere the careful way. Either way it is equal,
    and the file itself is left as it was."""
    file = tmp_path / "usage.csv"
    data = text(usage_lines())
    file.write_bytes(data)
    careful, _, _ = load(monkeypatch, "usage.csv", None, fast=False, path=str(file))
    fast, taken, store = load(monkeypatch, "usage.csv", None, fast=True, path=str(file))
    folder = direct.files_folder(store.con)
    assert folder is not None
    os.makedirs(folder, exist_ok=True)
    assert taken == (os.stat(folder).st_dev == os.stat(file).st_dev)
    assert_same(fast, careful)
    assert file.read_bytes() == data and not os.listdir(folder)


def test_a_file_on_another_file_system_is_copied_or_read_the_careful_way(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    """Where no link can be made, a file up to COPY_BYTES is copied into the session's folder (and removed after);
    a bigger one is read the careful way. Both equal the careful read."""
    file = tmp_path / "usage.csv"
    file.write_bytes(text(usage_lines()))

    def no_link(src: str, dst: str) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    careful, _, _ = load(monkeypatch, "usage.csv", None, fast=False, path=str(file))
    for limit, expect in ((1 << 30, True), (1000, False)):
        monkeypatch.setattr(direct, "COPY_BYTES", limit)
        fast, taken, store = load(monkeypatch, "usage.csv", None, fast=True, path=str(file))
        assert taken == expect
        assert_same(fast, careful)
        folder = direct.files_folder(store.con)
        assert folder is not None and (not os.path.isdir(folder) or not os.listdir(folder))


def test_a_connection_that_may_read_any_file_or_none_is_never_given_one() -> None:
    """files_folder: only a locked session store has a folder DuckDB may read while all else is refused."""
    assert direct.files_folder(duckdb.connect()) is None
    store = Store()
    assert direct.files_folder(store.con) is not None
    with pytest.raises(duckdb.Error):
        store.con.execute(f"SELECT * FROM read_csv('{ROOT / 'data' / 'usage.csv'}')")
    store.close()

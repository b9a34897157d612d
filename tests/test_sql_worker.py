"""Issue 19.6: the SQL box runs in a worker process with a memory cap and a time limit, on a read-only copy of
the session's tables, so whatever is typed the server's memory stays bounded and the pages keep working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from cs_logic.metrics import explore
from cs_logic.metrics.explore import run_readonly_sql, run_sql_isolated
from cs_logic.read.store import Filters, Store
from cs_logic.read.workspace import combine, load_file

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data"


def demo_tables() -> dict[str, pd.DataFrame]:
    files = [load_file(p.name, p.read_bytes()) for p in sorted(DEMO.glob("*.csv"))]
    tables, _ = combine(files)
    return tables


@pytest.fixture(scope="module")
def demo():
    store = Store(memory_limit="512MB")
    store.load(demo_tables())
    yield store
    store.close()


ORDINARY = [
    "SELECT owner, count(*) AS deals, sum(amount) AS amount FROM f_deals GROUP BY owner ORDER BY deals DESC, owner",
    "SELECT * FROM accounts ORDER BY account_id",
    ("SELECT a.segment, avg(s.nps) AS nps, count(*) AS n FROM surveys s JOIN accounts a USING (account_id) "
    "GROUP BY a.segment ORDER BY a.segment"),
    "SELECT * FROM f_tickets ORDER BY ticket_id LIMIT 300",
    "SELECT date_trunc('month', date) AS month, sum(events) AS events FROM usage GROUP BY 1 ORDER BY 1",
    ("WITH o AS (SELECT account_id, count(*) AS n FROM orders GROUP BY 1) SELECT n, count(*) AS accounts FROM o "
    "GROUP BY n ORDER BY n"),
    "SELECT 1.5::DECIMAL(10, 2) AS d, DATE '2024-03-01' AS day, NULL AS nothing",
]


@pytest.mark.parametrize("sql", ORDINARY)
def test_the_worker_answers_ordinary_queries_exactly_as_the_in_process_path(demo, sql):
    """Same rows, columns, values and dtypes as run_readonly_sql on the session's own connection."""
    inside, inside_note = run_readonly_sql(demo.con, sql)
    worker, worker_note = run_sql_isolated(demo.sql_snapshot(), sql)
    assert inside is not None, inside_note
    assert worker is not None, worker_note
    assert len(worker) > 0 and worker_note == inside_note
    pd.testing.assert_frame_equal(worker, inside)


def test_the_worker_applies_the_sidebar_filters_set_after_the_copy_was_written(demo):
    """The copy holds the tables once; the f_ views follow the filters of the moment. Counted independently in
    pandas: the accounts of segment SMB, and the surveys of those accounts."""
    snapshot_path = demo.sql_snapshot().path
    accounts, surveys = demo.tables["accounts"], demo.tables["surveys"]
    smb = set(accounts.loc[accounts["segment"] == "SMB", "account_id"])
    demo.set_filters(Filters(segment=("SMB",)))
    try:
        snapshot = demo.sql_snapshot()
        rows, note = run_sql_isolated(snapshot, "SELECT (SELECT count(*) FROM f_accounts) AS a, "
                                                "(SELECT count(*) FROM f_surveys) AS s, (SELECT count(*) FROM surveys) AS al")
    finally:
        demo.set_filters(Filters())
    assert snapshot.path == snapshot_path, "a filter change writes no new copy"
    assert note is None and 0 < len(smb) < len(accounts)
    assert rows.iloc[0].tolist() == [len(smb), int(surveys["account_id"].isin(smb).sum()), len(surveys)]


@pytest.mark.parametrize(("sql", "says"), [
    ("SELECT * FROM information_schema.tables", "'tables'"),
    ("SELECT * FROM duckdb_settings", "'duckdb_settings'"),
    ("SELECT * FROM sqlite_master", "'sqlite_master'"),
    ("SELECT * FROM _flt_values", "'_flt_values'"),
    ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings"),
    ("COPY accounts TO '/tmp/sqlbox_out.csv'", "COPY"),
])
def test_the_worker_refuses_internal_views_helper_tables_and_files(demo, sql, says):
    rows, message = run_sql_isolated(demo.sql_snapshot(), sql)
    assert rows is None and says.casefold() in message.casefold()
    assert not Path("/tmp/sqlbox_out.csv").exists()


def test_a_result_over_the_byte_budget_is_cut_to_the_rows_that_fit(demo):
    """1,000-character rows cost 1,004 bytes each in Arrow (the text and a 4-byte offset) plus 4 for the last
    offset: 4 MiB = 4,194,304 bytes holds 4,177 rows (4,177 * 1,004 + 4 = 4,193,712; one more is 4,194,716)."""
    rows, note = run_sql_isolated(demo.sql_snapshot(), "SELECT repeat('x', 1000) AS t FROM range(10000)",
                                  byte_limit=4 * 2**20)
    assert rows is not None and "4 MB" in note
    assert len(rows) == 4177 and set(rows["t"].str.len()) == {1000}


def test_a_first_row_over_the_byte_budget_is_not_shown(demo):
    rows, message = run_sql_isolated(demo.sql_snapshot(), "SELECT repeat('x', 2000000) AS t", byte_limit=2**20)
    assert rows is None and "first row" in message and "1 MB" in message


def test_the_time_limit_stops_a_huge_cross_join_with_the_message(demo):
    rows, message = run_sql_isolated(demo.sql_snapshot(), "SELECT count(*) FROM range(1000000) a(i), "
                                     "range(1000000) b(j) WHERE (i + j) % 7 = 3", timeout_s=2)
    assert rows is None and "took longer than 2 s" in message


def test_the_parent_kills_a_worker_that_outlives_the_time_limit(demo, monkeypatch):
    """DuckDB's own limit is 3 s here but the parent's deadline is 0.5 s after the start (the start-up grace made
    negative): the parent kills the worker, starting or mid-query, and the message is the same."""
    monkeypatch.setattr(explore, "SQL_STARTUP_S", -2.5)
    rows, message = run_sql_isolated(demo.sql_snapshot(), "SELECT count(*) FROM range(1000000000000)", timeout_s=3)
    assert rows is None and "took longer than 3 s" in message


def test_pages_keep_working_while_a_long_sql_box_query_runs(demo):
    """The slow query runs in the worker; meanwhile the session's own connection answers and registers."""
    answers: dict[str, tuple[pd.DataFrame | None, str | None]] = {}
    snapshot = demo.sql_snapshot()
    worker = threading.Thread(target=lambda: answers.setdefault("slow", run_sql_isolated(
        snapshot, "SELECT count(*) FROM range(1000000) a(i), range(1000000) b(j) WHERE (i + j) % 7 = 3",
        timeout_s=3)))
    worker.start()
    try:
        assert demo.con.execute("SELECT count(*) FROM f_accounts").fetchall() == [(len(demo.tables["accounts"]),)]
        demo.con.register("meanwhile", pd.DataFrame({"a": [1]}))
        assert worker.is_alive(), "the pages' query was answered while the SQL box query still ran"
    finally:
        worker.join(60)
        demo.con.unregister("meanwhile")
    assert answers["slow"][0] is None and "longer than 3 s" in str(answers["slow"][1])


def test_the_copy_is_written_once_per_load_and_removed_with_the_store():
    store = Store(memory_limit="256MB")
    store.load({"accounts": pd.DataFrame({"account_id": ["A1", "A2"], "segment": ["SMB", "Ent"]})})
    assert not store.sql_snapshot_ready
    first = store.sql_snapshot()
    assert store.sql_snapshot_ready and store.sql_snapshot().path == first.path and os.path.exists(first.path)
    assert first.names == ("accounts", "f_accounts")
    store.load({"deals": pd.DataFrame({"deal_id": ["D1"], "owner": ["Ann"]})})
    assert not store.sql_snapshot_ready and not os.path.exists(first.path)
    second = store.sql_snapshot()
    assert run_sql_isolated(second, "SELECT * FROM deals")[0].to_dict("list") == {"deal_id": ["D1"], "owner": ["Ann"]}
    assert "no table called 'accounts'" in str(run_sql_isolated(second, "SELECT * FROM accounts")[1])
    assert not os.path.exists(second.spill), "the worker's spill folder goes with it"
    store.close()
    assert not os.path.exists(second.path)


SERVER = """
import json, resource, sys
sys.path.insert(0, {root!r})
import cs_logic
import pandas as pd
from cs_logic.metrics.explore import run_sql_isolated
from cs_logic.read.store import Store
store = Store()
store.load({{"accounts": pd.DataFrame({{"account_id": ["A1", "A2"]}})}})
snapshot = store.sql_snapshot()
run_sql_isolated(snapshot, "SELECT 1 AS warm")
out = {{}}
for sql in {queries!r}:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows, message = run_sql_isolated(snapshot, sql)
    out[sql] = [(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024, rows is None, message]
store.close()
print(json.dumps(out))
"""


def test_a_query_needing_gigabytes_ends_with_the_message_and_the_server_stays_small():
    """Run as the server would, in a fresh process: 10,000 rows of 1 MB (10 GB) and 300 rows of 10 MB (3 GB)
    peaked at 2.1 and about 3 GB in the server when DuckDB ran them in-process; here the worker hits its 1 GB
    cap and the server's own peak (ru_maxrss, which never counts children) grows by under 300 MB."""
    queries = ["SELECT repeat('x', 1000000) FROM range(10000)", "SELECT repeat('x', 10000000) AS t FROM range(300)"]
    done = subprocess.run([sys.executable, "-c", SERVER.format(root=str(ROOT), queries=queries)],
                          check=False, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for sql in queries:
        grown_mb, refused, message = out[sql]
        assert refused and "needed more than 1 GB" in message, (sql, message)
        assert grown_mb < 300, (sql, grown_mb)

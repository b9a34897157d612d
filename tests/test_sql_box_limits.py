"""Issue 19: the SQL box keeps to a byte budget and its own connection; the session's temp folder goes with it."""

from __future__ import annotations

import gc
import os
import tempfile
import threading

import pandas as pd

from cs_logic.metrics.explore import SQL_BATCH_ROWS, run_readonly_sql
from cs_logic.read import store as store_module
from cs_logic.read.store import Store


def _store() -> Store:
    s = Store()
    s.load({"accounts": pd.DataFrame({"account_id": [f"A{i}" for i in range(100)], "segment": ["SMB"] * 100})})
    return s


def test_a_result_over_the_byte_budget_is_cut_with_a_message():
    """10,000 rows of 100,000 characters (1 GB) against a 4 MB budget: 64-row batches of 6.4 MB each never fit,
    so nothing is shown and the message names the budget; 1,000-character rows fit 4 MB / 1 KB ~ 4,000 rows."""
    s = _store()
    try:
        with s.query_cursor() as cursor:
            frame, message = run_readonly_sql(cursor, "SELECT repeat('x', 100000) AS t FROM range(10000)",
                                              byte_limit=4 * 2**20)
            assert frame is None and "4 MB" in message
            frame, message = run_readonly_sql(cursor, "SELECT repeat('x', 1000) AS t FROM range(10000)",
                                              byte_limit=4 * 2**20)
        assert frame is not None and "4 MB" in message
        assert 3000 < len(frame) < 4200 and len(frame) % SQL_BATCH_ROWS == 0
        assert set(frame["t"].str.len()) == {1000}
    finally:
        s.close()


def test_the_connection_is_free_after_a_result_was_cut():
    s = _store()
    try:
        run_readonly_sql(s.con, "SELECT repeat('x', 1000) AS t FROM range(10000)", byte_limit=2**20)
        s.con.register("later", pd.DataFrame({"a": [1]}))
        assert run_readonly_sql(s.con, "SELECT count(*) AS n FROM accounts")[0]["n"].tolist() == [100]
    finally:
        s.close()


def test_pages_keep_working_while_a_long_query_runs_on_the_sql_box_cursor():
    """The slow query runs on a cursor in another thread; the pages' connection answers meanwhile."""
    s = _store()
    started, answers = threading.Event(), {}

    def slow() -> None:
        with s.query_cursor() as cursor:
            started.set()
            answers["slow"] = run_readonly_sql(cursor, "SELECT count(*) FROM range(1000000) a(i), range(1000000) b(j) WHERE (i + j) % 7 = 3",
                                               timeout_s=2)
    try:
        worker = threading.Thread(target=slow)
        worker.start()
        started.wait(10)
        assert s.con.execute("SELECT count(*) FROM f_accounts").fetchall() == [(100,)]
        s.con.register("meanwhile", pd.DataFrame({"a": [1]}))
        worker.join(60)
        assert answers["slow"][0] is None and "too long" in answers["slow"][1]
    finally:
        s.close()


def test_the_sql_box_cursor_sees_the_tables_and_filters_with_the_locked_settings():
    s = _store()
    try:
        with s.query_cursor() as cursor:
            assert run_readonly_sql(cursor, "SELECT count(*) AS n FROM f_accounts")[0]["n"].tolist() == [100]
            settings = dict(cursor.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                           "('max_execution_time', 'python_enable_replacements', "
                                           "'enable_external_access', 'lock_configuration')").fetchall())
        assert settings == {"max_execution_time": str(store_module.QUERY_TIMEOUT_MS), "python_enable_replacements":
                            "false", "enable_external_access": "false", "lock_configuration": "true"}
    finally:
        s.close()


def test_a_store_leaves_no_temp_folder_when_closed_or_dropped():
    s = _store()
    folder = s._temp
    os.makedirs(folder, exist_ok=True)  # as DuckDB makes it when a query spills
    s.close()
    assert not os.path.exists(folder)
    dropped = _store()
    folder = dropped._temp
    os.makedirs(folder, exist_ok=True)
    del dropped
    gc.collect()
    assert not os.path.exists(folder)
    assert not [n for n in os.listdir(tempfile.gettempdir()) if n.startswith(f"{store_module.TEMP_PREFIX}{os.getpid()}_")]


def test_folders_of_ended_processes_are_removed_on_the_next_start(tmp_path):
    dead = tmp_path / f"{store_module.TEMP_PREFIX}999999999_abc"
    mine = tmp_path / f"{store_module.TEMP_PREFIX}{os.getpid()}_def"
    other = tmp_path / "unrelated"
    for folder in (dead, mine, other):
        folder.mkdir()
    removed = store_module.remove_stale_temp(str(tmp_path))
    assert removed == [dead.name]
    assert not dead.exists() and mine.exists() and other.exists()

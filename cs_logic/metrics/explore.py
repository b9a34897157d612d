"""Ad-hoc exploration in DuckDB: a safe group-by builder and a read-only SQL box."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from cs_logic.metrics.sqlcheck import (  # noqa: F401 - the SQL box's rules, importable from here as before
    ALLOWED_TABLE_FUNCTIONS,
    FORBIDDEN_FUNCTIONS,
    FORBIDDEN_WORDS,
    limited,
)
from cs_logic.metrics.sqlworker import STATUS_PREFIX
from cs_logic.read.store import QUERY_TIMEOUT_MS, SqlSnapshot

MAX_GROUPS = 5_000
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "contains")
MEASURES = ("count", "sum", "mean", "median", "nps", "csat", "churn_share")
MEASURE_LABELS = {
    "count": "Rows", "sum": "Sum", "mean": "Mean", "median": "Median", "nps": "NPS (-100 to 100)",
    "csat": "CSAT % (share of 4-5)", "churn_share": "Share churned",
}

def quote_identifier(name: str) -> str:
    """A DuckDB identifier in double quotes, inner quotes doubled.

    >>> quote_identifier('a"b')
    '"a""b"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The real column names of ``table`` (ValueError when there is no such table)."""
    try:
        return [row[0] for row in con.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()]
    except duckdb.Error as exc:
        raise ValueError(f"There is no table called {table!r}.") from exc


def _measure_sql(measure: str, col: str | None) -> tuple[str, str]:
    """SQL for (value, n) of one measure over the quoted column ``col``."""
    if measure == "count":
        return ("COUNT(*)", "COUNT(*)") if col is None else (f"COUNT({col})", f"COUNT({col})")
    num = f"TRY_CAST({col} AS DOUBLE)"
    if measure in ("sum", "mean", "median"):
        fn = {"sum": "SUM", "mean": "AVG", "median": "MEDIAN"}[measure]
        return f"{fn}({num})", f"COUNT({num})"
    if measure in ("nps", "csat"):
        # METRICS.md: NPS counts whole numbers 0-10 only; CSAT % = share of 4-5 among whole numbers 1-5.
        low, high, good = (0, 10, f"{num} >= 9") if measure == "nps" else (1, 5, f"{num} >= 4")
        valid = f"{num} BETWEEN {low} AND {high} AND {num} = FLOOR({num})"
        bad = f" - COUNT(*) FILTER (WHERE {valid} AND {num} <= 6)" if measure == "nps" else ""
        value = f"100.0 * (COUNT(*) FILTER (WHERE {valid} AND {good}){bad}) / NULLIF(COUNT(*) FILTER (WHERE {valid}), 0)"
        return value, f"COUNT(*) FILTER (WHERE {valid})"
    flag = f"TRY_CAST({col} AS BOOLEAN)"
    return f"AVG(CAST({flag} AS DOUBLE))", f"COUNT({flag})"


def _filter_sql(filters: Sequence[tuple[str, str, Any]], columns: list[str]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for col, op, value in filters:
        if col not in columns:
            raise ValueError(f"Unknown column in a filter: {col!r}.")
        if op not in OPS:
            raise ValueError(f"Unknown filter operator {op!r}; use one of {', '.join(OPS)}.")
        q = quote_identifier(col)
        if op == "in":
            values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
            clauses.append(f"{q} IN ({', '.join('?' * len(values))})" if values else "FALSE")
            params.extend(values)
        elif op == "contains":
            clauses.append(f"CONTAINS(LOWER(CAST({q} AS VARCHAR)), LOWER(CAST(? AS VARCHAR)))")
            params.append(value)
        else:
            clauses.append(f"{q} {op} ?")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def group_summary(
    con: duckdb.DuckDBPyConnection,
    table: str,
    by: Sequence[str],
    measure: str,
    value_col: str | None = None,
    filters: Sequence[tuple[str, str, Any]] = (),
) -> pd.DataFrame:
    """One measure per group of 1 or 2 columns, with n, the largest 5,000 groups by n.

    Columns: the ``by`` columns, ``value`` and ``n`` (the rows or valid answers the value rests on).
    Names are checked against the table's columns and quoted; filter values are bound parameters.
    ``df.attrs["truncated"]`` is True when more groups existed. Raises ValueError on bad input.

    >>> con = duckdb.connect()
    >>> con.register("s", pd.DataFrame({"team": ["a", "a", "b"], "nps": [10, 0, 9]}))  # doctest: +ELLIPSIS
    <...>
    >>> group_summary(con, "s", ["team"], "nps", "nps")[["team", "value", "n"]].values.tolist()
    [['a', 0.0, 2], ['b', 100.0, 1]]
    """
    columns = table_columns(con, table)
    if not 1 <= len(by) <= 2 or len(set(by)) != len(by):
        raise ValueError("Group by one or two different columns.")
    unknown = [c for c in [*by, *([value_col] if value_col is not None else [])] if c not in columns]
    if unknown:
        raise ValueError(f"Unknown column(s): {', '.join(map(repr, unknown))}.")
    if measure not in MEASURES:
        raise ValueError(f"Unknown measure {measure!r}; use one of {', '.join(MEASURES)}.")
    if value_col is None and measure != "count":
        raise ValueError(f"The measure {measure!r} needs a value column.")
    value, n = _measure_sql(measure, quote_identifier(value_col) if value_col is not None else None)
    groups = ", ".join(quote_identifier(c) for c in by)
    where, params = _filter_sql(filters, columns)
    sql = (f"SELECT {groups}, {value} AS __value, {n} AS __n FROM {quote_identifier(table)}{where} "
           f"GROUP BY ALL ORDER BY __n DESC, {groups} LIMIT {MAX_GROUPS + 1}")
    try:
        result = con.execute(sql, params).df()
    except duckdb.Error as exc:
        raise ValueError(f"Could not compute the summary: {exc}") from exc
    result.columns = [*(c if c not in ("value", "n") else f"{c} (group)" for c in by), "value", "n"]
    truncated = len(result) > MAX_GROUPS
    result = result.head(MAX_GROUPS)
    result["n"] = result["n"].astype("int64")
    result.attrs["truncated"] = truncated
    return result


EXAMPLE_SQL = "SELECT owner, count(*) AS deals FROM f_deals GROUP BY owner ORDER BY deals DESC"


# Bytes of result the SQL box hands to the page: Streamlit builds the whole message in memory before it checks
# server.maxMessageSize, and SELECT repeat('x', 100000) FROM range(10000) took the server from 2.3 to 7.8 GB.
SQL_BYTE_LIMIT = 32 * 1024 * 1024
# Rows per batch read from DuckDB while the budget is counted: a batch is at most this many rows over budget.
SQL_BATCH_ROWS = 64


def run_readonly_sql(
    con: duckdb.DuckDBPyConnection, sql: str, row_limit: int = 10_000, timeout_s: float | None = None,
    byte_limit: int = SQL_BYTE_LIMIT,
) -> tuple[pd.DataFrame | None, str | None]:
    """Run one read-only SELECT; return (rows, note) or (None, error message). Never raises.

    The note says when the rows were cut at ``row_limit`` or at ``byte_limit`` bytes of result (read from DuckDB
    SQL_BATCH_ROWS rows at a time, so no more than a batch past the budget is ever held). The time limit is the
    connection's ``max_execution_time`` when the app set one, or ``timeout_s`` when given and shorter
    (``con.interrupt()`` fires then); a connection with no limit gets 10 s. Pass a cursor of the session's
    database (cs_logic.read.store.Store.query_cursor) so a long query does not keep the pages' connection busy.

    >>> run_readonly_sql(duckdb.connect(), "SELECT 1 AS x")[0]["x"].tolist()
    [1]
    >>> run_readonly_sql(duckdb.connect(), "DROP TABLE x")[1]
    'Only SELECT queries run here (this statement is DROP).'
    """
    if not isinstance(sql, str) or not sql.strip():
        return None, "Type a SELECT query."
    timer: threading.Timer | None = None
    try:
        wrapped, problem = limited(con, sql, row_limit)
        if wrapped is None:
            return None, problem
        # fetchall, not fetchone: DuckDB 2.0 keeps a partly fetched result open, and the streamed query
        # below then fails with "connection has an unfinished result".
        setting = con.execute("SELECT current_setting('max_execution_time')").fetchall()
        limit_ms = int(setting[0][0] or 0) if setting else 0
        own_s = timeout_s if timeout_s is not None else (None if limit_ms > 0 else 10.0)
        if own_s is not None and (limit_ms <= 0 or own_s * 1000 < limit_ms):
            timer = threading.Timer(own_s, con.interrupt)
            timer.start()
        frame, cut = _fetch_within(con, wrapped, byte_limit)
    except duckdb.InterruptException:
        return None, "The query took too long and was stopped. Try a smaller query or add filters."
    except (duckdb.Error, ValueError, TypeError, OverflowError) as exc:  # DuckDB's errors and pandas' conversions
        return None, f"The query failed: {str(exc).strip()[:500]}"
    finally:
        if timer is not None:
            timer.cancel()
    return _noted(frame, cut, row_limit, byte_limit, f"the first {SQL_BATCH_ROWS} rows of the result are")


def _fetch_within(con: duckdb.DuckDBPyConnection, query: str, byte_limit: int) -> tuple[pd.DataFrame | None, bool]:
    """The query's rows up to ``byte_limit`` bytes (Arrow's count) and whether it was cut there; None when not
    even the first batch fits. A result cut short is closed, so the connection is free for the next query.

    Read as a stream of Arrow batches (``con.sql``: a DB-API result would be copied whole first), then typed as
    DuckDB's ``.df()`` types them: dates as datetime64, decimals as floats.
    """
    reader = con.sql(query).to_arrow_reader(SQL_BATCH_ROWS)
    batches, size, cut = [], 0, False
    try:
        for batch in reader:
            size += batch.nbytes
            if size > byte_limit:
                cut = True
                break
            batches.append(batch)
    finally:
        reader.close()
    if cut and not batches:
        return None, True
    return _frame(pa.Table.from_batches(batches, schema=reader.schema)), cut


# The SQL box's worker process: its memory beyond start-up (RLIMIT_AS), and the time it gets to start on a busy
# machine on top of the query's own limit before the parent kills it anyway.
SQL_MEMORY_MB = 1024
SQL_STARTUP_S = 10.0
SQL_THREADS = 2
_ROOT = Path(__file__).resolve().parents[2]
# Workers running at once across every session of this server: each may take SQL_MEMORY_MB beyond its ~100 MB
# start-up, so N sessions' queries at once could take N x 1.1 GB. A query past the cap waits SQL_WAIT_S for a
# slot, then is refused with SQL_BUSY. Process-wide on purpose (the one mutable module-level object here): the
# budget is the machine's, shared by every session, and a semaphore holds no session's data.
SQL_WORKERS = 2
SQL_WAIT_S = 5.0
SQL_BUSY = ("The SQL box is busy: {n} queries are already running on this server (from you or other users). "
            "Try again in a moment.")
_WORKER_SLOTS = threading.BoundedSemaphore(SQL_WORKERS)


def run_sql_isolated(
    snapshot: SqlSnapshot, sql: str, row_limit: int = 10_000, timeout_s: float = QUERY_TIMEOUT_MS / 1000,
    byte_limit: int = SQL_BYTE_LIMIT, memory_mb: int = SQL_MEMORY_MB, wait_s: float = SQL_WAIT_S,
) -> tuple[pd.DataFrame | None, str | None]:
    """Run one read-only SELECT in a worker process on the session's read-only copy; (rows, note) or (None,
    message), as :func:`run_readonly_sql`. Never raises.

    At most SQL_WORKERS workers run at once in this server, whichever sessions start them; a query waits up to
    ``wait_s`` seconds for one to finish and is otherwise answered with SQL_BUSY.

    The worker (``cs_logic.metrics.sqlworker``) may use ``memory_mb`` of memory beyond its start-up and
    ``timeout_s`` seconds of query time (DuckDB stops it; the parent kills it ``SQL_STARTUP_S`` later whatever
    it is doing); it sends at most ``byte_limit`` bytes of Arrow, so this process never holds more of the result.
    Whatever is typed, the server's memory grows by the budget at most.
    """
    if not isinstance(sql, str) or not sql.strip():
        return None, "Type a SELECT query."
    request = {"path": snapshot.path, "names": list(snapshot.names), "setup": [list(s) for s in snapshot.setup],
               "sql": sql, "row_limit": int(row_limit), "byte_limit": int(byte_limit), "batch_rows": SQL_BATCH_ROWS,
               "timeout_ms": max(1, int(timeout_s * 1000)), "memory_mb": int(memory_mb), "threads": SQL_THREADS,
               "spill": snapshot.spill}
    if not _WORKER_SLOTS.acquire(timeout=max(0.0, wait_s)):
        shutil.rmtree(snapshot.spill, ignore_errors=True)
        return None, SQL_BUSY.format(n=SQL_WORKERS)
    try:
        batches, schema, status, killed = _in_worker(request, timeout_s + SQL_STARTUP_S)
    except OSError as exc:  # the worker could not be started
        return None, f"The query could not be run: {exc}"
    finally:
        _WORKER_SLOTS.release()
        shutil.rmtree(snapshot.spill, ignore_errors=True)
    too_long = (f"The query took longer than {timeout_s:g} s and was stopped. Try a smaller query, aggregate, or "
                "add filters.")
    too_big = (f"The query needed more than {memory_mb / 1024:g} GB of memory and was stopped. Select fewer or "
               "shorter columns, aggregate, or add filters.")
    if killed or status.get("timeout"):
        return None, too_long
    if status.get("memory"):
        return None, too_big
    if "refused" in status:
        return None, str(status["refused"])
    if "failed" in status:
        return None, f"The query failed: {status['failed']}"
    if not status.get("ok") or schema is None:
        return None, ("The query's process ended without an answer, most likely because it " + too_big[10:])
    return _within_limits(batches, schema, bool(status.get("cut")), row_limit, byte_limit)


def _in_worker(request: dict[str, Any], deadline_s: float) -> tuple[list[pa.RecordBatch], pa.Schema | None,
                                                                     dict[str, Any], bool]:
    """Start the worker, send ``request``, read its Arrow stream (never past the byte budget) and its status;
    the worker is killed after ``deadline_s``. (batches, schema or None, status, killed by the deadline)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])),
           "MALLOC_ARENA_MAX": "2"}
    fired = threading.Event()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "cs_logic.metrics.sqlworker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, cwd=_ROOT, env=env)

        def kill() -> None:
            if proc.poll() is None:  # not when it ended just now: that answer stands
                fired.set()
                proc.kill()
        timer = threading.Timer(deadline_s, kill)
        timer.start()
        batches: list[pa.RecordBatch] = []
        schema = None
        try:
            assert proc.stdin is not None and proc.stdout is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(json.dumps(request).encode())
                proc.stdin.close()
            size, over = 0, False
            with contextlib.suppress(pa.ArrowInvalid, OSError):  # no stream (refused) or cut off (killed)
                reader = pa.ipc.open_stream(proc.stdout)
                schema = reader.schema
                for batch in reader:
                    size += batch.nbytes
                    if size > int(request["byte_limit"]):  # the worker keeps to the budget; never trust it past it
                        over = True
                        proc.kill()
                        break
                    batches.append(batch)
            proc.stdout.close()
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").splitlines()
    found = [ln[len(STATUS_PREFIX):] for ln in lines if ln.startswith(STATUS_PREFIX)]
    status: dict[str, Any] = json.loads(found[-1]) if found else {}
    if over:
        status = {"ok": True, "cut": True}
    return batches, schema, status, fired.is_set()


def _within_limits(batches: list[pa.RecordBatch], schema: pa.Schema, cut: bool, row_limit: int,
                   byte_limit: int) -> tuple[pd.DataFrame | None, str | None]:
    """The rows as a DataFrame typed as DuckDB's ``.df()`` types them, with the note on any limit reached."""
    frame = None if cut and not batches else _frame(pa.Table.from_batches(batches, schema=schema))
    return _noted(frame, cut, row_limit, byte_limit, "the first row of the result is")


def _noted(frame: pd.DataFrame | None, cut: bool, row_limit: int, byte_limit: int,
           first: str) -> tuple[pd.DataFrame | None, str | None]:
    """The rows to show and the note on any limit reached: ``frame`` None when even ``first`` (the smallest
    piece read) was over the byte budget, ``cut`` when the rows stop at the budget, else the row limit."""
    budget = f"{byte_limit / 2**20:,.0f} MB"
    if frame is None:
        return None, (f"Not shown: {first} already over the {budget} the page can show. Select fewer or shorter "
                      "columns (left(text, 200)), or aggregate.")
    if cut:
        return frame, (f"Showing the first {len(frame):,} rows: the result passed the {budget} the page can show. "
                       "Select fewer or shorter columns, or aggregate.")
    if len(frame) > row_limit:
        return frame.head(row_limit), f"Showing the first {row_limit:,} rows; the query returned more."
    return frame, None


def _frame(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas as DuckDB's ``.df()`` does it: dates as datetime64, decimals as floats."""
    for i, kind in enumerate(table.schema.types):
        if pa.types.is_decimal(kind):
            table = table.set_column(i, table.schema.names[i], table.column(i).cast(pa.float64()))
    return table.to_pandas(date_as_object=False)

"""Ad-hoc exploration in DuckDB: a safe group-by builder and a read-only SQL box."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

MAX_GROUPS = 5_000
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "contains")
MEASURES = ("count", "sum", "mean", "median", "nps", "csat", "churn_share")
MEASURE_LABELS = {
    "count": "Rows", "sum": "Sum", "mean": "Mean", "median": "Median", "nps": "NPS (-100 to 100)",
    "csat": "CSAT % (share of 4-5)", "churn_share": "Share churned",
}

# Statements and functions the SQL box never runs, whatever the parser says (defence in depth:
# the app's connection also has enable_external_access=false and a locked configuration).
FORBIDDEN_WORDS = frozenset(
    "copy attach detach install load pragma set reset export import call create insert update delete "
    "drop alter checkpoint vacuum use begin rollback truncate merge grant revoke".split()
)
FORBIDDEN_FUNCTIONS = frozenset(
    "read_csv read_csv_auto read_parquet parquet_scan parquet_metadata parquet_schema parquet_file_metadata "
    "parquet_kv_metadata read_json read_json_auto read_json_objects read_json_objects_auto read_ndjson "
    "read_ndjson_auto read_ndjson_objects read_text read_blob read_xlsx glob sniff_csv query query_table "
    "getenv iceberg_scan delta_scan sqlite_scan postgres_scan mysql_scan st_read load_extension".split()
)
# Table functions the SQL box allows; any other is refused.
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "duckdb_tables", "duckdb_columns", "duckdb_views"})


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


def _tokens(sql: str) -> list[tuple[str, str]]:
    """(type, text) of each token, comments dropped."""
    raw = duckdb.tokenize(sql)
    out = []
    for i, (start, kind) in enumerate(raw):
        end = raw[i + 1][0] if i + 1 < len(raw) else len(sql)
        name = str(kind).rsplit(".", 1)[-1]
        if name != "comment":
            out.append((name, sql[start:end].strip()))
    return out


def _token_problem(sql: str) -> str | None:
    tokens = _tokens(sql)
    for i, (kind, text) in enumerate(tokens):
        word = text.strip('"').casefold()
        if kind == "keyword" and word in FORBIDDEN_WORDS:
            return (f"The SQL box only runs SELECT queries; {text.upper()} is not allowed "
                    "(put a column with that name in double quotes).")
        calls = i + 1 < len(tokens) and tokens[i + 1][1] == "("
        if kind in ("identifier", "keyword") and calls and (
            word in FORBIDDEN_FUNCTIONS or word.startswith("read_") or word.endswith("_scan")
        ):
            return f"The SQL box cannot read files or URLs; {word}() is not allowed."
    return None


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes(value)


def _tree_problem(con: duckdb.DuckDBPyConnection, sql: str) -> str | None:
    """Refuse table functions outside the allowed list and tables that are not in the database
    (a quoted file name, or a Python variable DuckDB would otherwise find by replacement scan)."""
    row = con.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchall()[0]
    tree = json.loads(row[0]) if row else {"error": True}
    if tree.get("error"):
        return "This query could not be checked, so it was not run. Use a plain SELECT."
    known = {r[0].casefold() for r in con.execute(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()").fetchall()}
    nodes = list(_nodes(tree))
    for node in nodes:
        for cte in node.get("cte_map", {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []:
            known.add(str(cte.get("key", "")).casefold())
    for node in nodes:
        if node.get("type") == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).casefold()
            if name not in ALLOWED_TABLE_FUNCTIONS:
                return f"The SQL box does not run the table function {name}()."
        if node.get("type") == "BASE_TABLE" and str(node.get("table_name", "")).casefold() not in known:
            return f"There is no table called {node.get('table_name')!r} (files cannot be read here)."
    return None


def _check(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[str | None, str | None]:
    """(query to run, None) or (None, why it is refused)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        return None, f"The query has a syntax error: {exc}"
    if len(statements) != 1:
        return None, "Write exactly one SELECT statement (no semicolon-separated list)."
    if statements[0].type != duckdb.StatementType.SELECT:
        return None, f"Only SELECT queries run here (this statement is {statements[0].type.name})."
    query = statements[0].query.strip().rstrip(";").strip()
    problem = _token_problem(query) or _tree_problem(con, query)
    return (None, problem) if problem else (query, None)


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
        query, problem = _check(con, sql)
        if query is None:
            return None, problem
        wrapped = f"SELECT * FROM (\n{query}\n) LIMIT {int(row_limit) + 1}"
        if _check(con, wrapped)[0] is None:
            return None, "The query could not be limited safely; remove trailing semicolons or comments."
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
    if frame is None:
        return None, (f"Not shown: the first {SQL_BATCH_ROWS} rows of the result are already over the "
                      f"{byte_limit / 2**20:,.0f} MB the page can show. Select fewer or shorter columns "
                      "(left(text, 200)), or aggregate.")
    if cut:
        return frame, (f"Showing the first {len(frame):,} rows: the result passed the {byte_limit / 2**20:,.0f} MB "
                       "the page can show. Select fewer or shorter columns, or aggregate.")
    if len(frame) > row_limit:
        return frame.head(row_limit), f"Showing the first {row_limit:,} rows; the query returned more."
    return frame, None


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
    table = pa.Table.from_batches(batches, schema=reader.schema)
    for i, kind in enumerate(table.schema.types):
        if pa.types.is_decimal(kind):
            table = table.set_column(i, table.schema.names[i], table.column(i).cast(pa.float64()))
    return table.to_pandas(date_as_object=False), cut

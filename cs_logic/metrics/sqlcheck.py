"""What the SQL box runs: one SELECT over the tables it may read, no files, settings or other table functions.

Kept apart from ``explore`` and free of pandas so the SQL box's worker process (``sqlworker``) starts quickly.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from typing import Any

import duckdb

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
# The names a query may read when the caller gives no list: the database's own tables and views, never DuckDB's
# internal views (information_schema, pg_catalog, sqlite_master...).
READABLE = ("SELECT table_name FROM duckdb_tables() "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal")


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


def _tree_problem(con: duckdb.DuckDBPyConnection, sql: str, allowed: Collection[str] | None) -> str | None:
    """Refuse table functions outside the allowed list and tables outside ``allowed`` (a quoted file name, an
    internal view, or a Python variable DuckDB would otherwise find by replacement scan)."""
    row = con.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchall()[0]
    tree = json.loads(row[0]) if row else {"error": True}
    if tree.get("error"):
        return "This query could not be checked, so it was not run. Use a plain SELECT."
    names = allowed if allowed is not None else [r[0] for r in con.execute(READABLE).fetchall()]
    known = {str(n).casefold() for n in names}
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


def check(con: duckdb.DuckDBPyConnection, sql: str, allowed: Collection[str] | None = None) -> tuple[str | None, str | None]:
    """(query to run, None) or (None, why it is refused): one SELECT reading only ``allowed`` tables and views
    (by default the database's own, never DuckDB's internal views).

    >>> check(duckdb.connect(), "SELECT 1; SELECT 2")[1]
    'Write exactly one SELECT statement (no semicolon-separated list).'
    >>> check(duckdb.connect(), "SELECT * FROM information_schema.tables")[1]
    "There is no table called 'tables' (files cannot be read here)."
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        return None, f"The query has a syntax error: {exc}"
    if len(statements) != 1:
        return None, "Write exactly one SELECT statement (no semicolon-separated list)."
    if statements[0].type != duckdb.StatementType.SELECT:
        return None, f"Only SELECT queries run here (this statement is {statements[0].type.name})."
    query = statements[0].query.strip().rstrip(";").strip()
    problem = _token_problem(query) or _tree_problem(con, query, allowed)
    return (None, problem) if problem else (query, None)


def limited(con: duckdb.DuckDBPyConnection, sql: str, row_limit: int,
            allowed: Collection[str] | None = None) -> tuple[str | None, str | None]:
    """A checked query wrapped to return at most ``row_limit + 1`` rows (one more says it was cut), or the refusal.

    >>> limited(duckdb.connect(), "SELECT 1 AS x", 10)[0]
    'SELECT * FROM (\\nSELECT 1 AS x\\n) LIMIT 11'
    """
    query, problem = check(con, sql, allowed)
    if query is None:
        return None, problem
    wrapped = f"SELECT * FROM (\n{query}\n) LIMIT {int(row_limit) + 1}"
    if check(con, wrapped, allowed)[0] is None:
        return None, "The query could not be limited safely; remove trailing semicolons or comments."
    return wrapped, None

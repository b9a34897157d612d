"""Tests for cs_logic.metrics.explore: the group-by builder and the read-only SQL box."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from cs_logic.charts.explore import group_chart
from cs_logic.metrics.explore import MAX_GROUPS, group_summary, run_readonly_sql

LOCKDOWN = (
    "SET enable_external_access = false",
    "SET autoload_known_extensions = false",
    "SET autoinstall_known_extensions = false",
    "SET enable_progress_bar = false",
)


def surveys() -> pd.DataFrame:
    """Team a NPS answers 10, 9, 7, 3 valid; 11, 9.5 and blank are not answers. Team b: one 0."""
    return pd.DataFrame({
        "team": ["a"] * 7 + ["b"],
        "nps": [10, 9, 7, 3, 11, 9.5, np.nan, 0],
        "csat": [5, 4, 3, 1, 6, 4.5, np.nan, 2],
        "churned": pd.array([True, False, None, True, False, False, False, True], dtype="boolean"),
        "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0],
        "region": ["North", "North", "South", "South", "North", "South", "North", "South"],
    })


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.register("surveys", surveys())
    return connection


@pytest.fixture
def locked() -> duckdb.DuckDBPyConnection:
    """A connection configured as the app's: no files or URLs, no extensions, a 300 ms limit, locked."""
    connection = duckdb.connect()
    connection.register("deals", pd.DataFrame({"n": range(50), "owner": ["Ann", "Bob"] * 25}))
    for statement in (*LOCKDOWN, "SET max_execution_time = 300", "SET lock_configuration = true"):
        connection.execute(statement)
    return connection


def by_team(frame: pd.DataFrame) -> dict[str, tuple[float, int]]:
    return {row.team: (row.value, row.n) for row in frame.itertuples()}


def test_nps_counts_only_whole_answers_0_to_10():
    """Team a: 2 promoters (10, 9), 1 detractor (3) of 4 valid -> 25, n 4. Team b: one 0 -> -100, n 1."""
    con = duckdb.connect()
    con.register("surveys", surveys())
    assert by_team(group_summary(con, "surveys", ["team"], "nps", "nps")) == {"a": (25.0, 4), "b": (-100.0, 1)}


def test_csat_is_share_of_4_and_5_among_whole_answers_1_to_5(con):
    """Team a: 5, 4, 3, 1 valid (6 and 4.5 are not) -> 2 of 4 = 50%. Team b: 2 -> 0%."""
    assert by_team(group_summary(con, "surveys", ["team"], "csat", "csat")) == {"a": (50.0, 4), "b": (0.0, 1)}


def test_churn_share_is_the_mean_of_known_flags(con):
    """Team a flags: T, F, <NA>, T, F, F, F -> 2 of 6 known."""
    assert by_team(group_summary(con, "surveys", ["team"], "churn_share", "churned"))["a"] == pytest.approx((2 / 6, 6))


@pytest.mark.parametrize(
    ("measure", "expected_a"),
    [("count", (7, 7)), ("sum", (280.0, 7)), ("mean", (40.0, 7)), ("median", (40.0, 7))],
)
def test_plain_measures_per_group_with_n(con, measure, expected_a):
    """Team a amounts 10..70: sum 280, mean and median 40."""
    frame = group_summary(con, "surveys", ["team"], measure, None if measure == "count" else "amount")
    assert by_team(frame)["a"] == expected_a


@pytest.mark.parametrize(
    ("flt", "expected_count"),
    [
        (("region", "=", "North"), 4), (("region", "!=", "North"), 4), (("amount", "<", 30), 2),
        (("amount", "<=", 30), 3), (("amount", ">", 70), 1), (("amount", ">=", 70), 2),
        (("region", "in", ["North", "West"]), 4), (("region", "in", []), 0), (("region", "contains", "OUT"), 4),
        (("region", "=", "North' OR '1'='1"), 0),
    ],
)
def test_filters_bind_their_values(con, flt, expected_count):
    frame = group_summary(con, "surveys", ["team"], "count", None, [flt])
    assert int(frame["value"].sum()) == expected_count


def test_two_group_columns_give_one_row_per_pair_and_a_heatmap(con):
    frame = group_summary(con, "surveys", ["team", "region"], "mean", "amount")
    assert len(frame) == 3 and list(frame.columns) == ["team", "region", "value", "n"]
    spec = group_chart(frame, ["team", "region"], "Mean amount").to_dict()
    assert spec["mark"]["type"] == "rect" and spec["encoding"]["color"]["field"] == "value"
    assert group_chart(frame.head(2), ["team"], "Mean").to_dict()["mark"]["type"] == "bar"


def test_identifiers_with_quotes_are_quoted_and_unknown_names_refused():
    con = duckdb.connect()
    con.register('odd "table"', pd.DataFrame({'we"ird': ["x", "x", "y"], "v": [1, 2, 3]}))
    frame = group_summary(con, 'odd "table"', ['we"ird'], "sum", "v", [('we"ird', "=", "x")])
    assert frame.to_dict("records") == [{'we"ird': "x", "value": 3.0, "n": 2}]
    with pytest.raises(ValueError, match="Unknown column"):
        group_summary(con, 'odd "table"', ['v"; DROP TABLE x; --'], "count", None)
    with pytest.raises(ValueError, match="no table"):
        group_summary(con, 'nope"; --', ["v"], "count", None)
    with pytest.raises(ValueError, match="operator"):
        group_summary(con, 'odd "table"', ["v"], "count", None, [("v", "; DROP", 1)])


def test_group_summary_keeps_the_largest_5000_groups():
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"g": [f"g{i}" for i in range(MAX_GROUPS + 100)] + ["g1"] * 5}))
    frame = group_summary(con, "t", ["g"], "count", None)
    assert len(frame) == MAX_GROUPS and frame.attrs["truncated"] is True
    assert frame.iloc[0].to_dict() == {"g": "g1", "value": 6, "n": 6}


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("COPY deals TO '/tmp/out.csv'", "COPY"),
        ("ATTACH '/tmp/x.duckdb' AS x", "ATTACH"),
        ("INSTALL httpfs", "SELECT"),
        ("LOAD httpfs", "SELECT"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto"),
        ("SELECT * FROM \"read_csv\"('/etc/passwd')", "read_csv"),
        ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
        ("SELECT * FROM deals, 'data.parquet'", "data.parquet"),
        ("SELECT read_text('/etc/passwd')", "read_text"),
        ("SELECT * FROM glob('/*')", "glob"),
        ("SELECT 1; SELECT 2", "one"),
        ("PRAGMA version", "PRAGMA"),
        ("SET lock_configuration = false", "SET"),
        ("CREATE TABLE x AS SELECT 1", "CREATE"),
        ("WITH x AS (SELECT 1) INSERT INTO deals SELECT * FROM x", "INSERT"),
        ("DROP TABLE deals", "DROP"),
        ("SELECT * FROM duckdb_settings()", "duckdb_settings"),
        ("SELECT 1)", "syntax"),
        ("", "SELECT"),
    ],
)
def test_sql_box_refuses_with_a_message_and_never_raises(locked, sql, says):
    frame, message = run_readonly_sql(locked, sql)
    assert frame is None and says.casefold() in message.casefold()
    assert run_readonly_sql(locked, "SELECT count(*) AS n FROM deals")[0]["n"].tolist() == [50]


def test_sql_box_cannot_reach_python_variables_by_replacement_scan(locked):
    secret = pd.DataFrame({"password": ["hunter2"]})
    frame, message = run_readonly_sql(locked, "SELECT * FROM secret")
    assert frame is None and "secret" in message and len(secret) == 1


def test_sql_box_accepts_a_with_query_and_says_when_it_cut_rows(locked):
    sql = "WITH big AS (SELECT n, owner FROM deals WHERE n >= 10) SELECT * FROM big ORDER BY n -- forty rows"
    frame, note = run_readonly_sql(locked, sql, row_limit=25)
    assert frame["n"].tolist() == list(range(10, 35)) and "first 25" in note
    frame, note = run_readonly_sql(locked, sql + "\n;", row_limit=100)
    assert len(frame) == 40 and note is None


def test_sql_box_stops_a_slow_query_by_the_connections_time_limit(locked):
    frame, message = run_readonly_sql(locked, "SELECT count(*) FROM range(10000000000)")
    assert frame is None and "too long" in message
    assert run_readonly_sql(locked, "SELECT 1 AS one")[0]["one"].tolist() == [1]


def test_sql_box_interrupts_a_slow_query_itself_when_the_connection_has_no_limit():
    con = duckdb.connect()
    frame, message = run_readonly_sql(con, "SELECT count(*) FROM range(10000000000)", timeout_s=0.2)
    assert frame is None and "too long" in message
    assert run_readonly_sql(con, "SELECT 2 AS two")[0]["two"].tolist() == [2]

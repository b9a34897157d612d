"""The session database: bounded, locked, isolated, and filtered through parameters."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from cs_logic.read.store import TABLES_AND_VIEWS, Filters, Store, connect, quote_ident


def _accounts():
    return pd.DataFrame({
        "account_id": ["A1", "A2", "A3"],
        "segment": ["SMB", "Enterprise", "SMB"],
        "owner": ["Ana", "Bo", "Bo"],
    })


def _tickets():
    return pd.DataFrame({
        "ticket_id": ["T1", "T2", "T3", "T4"],
        "account_id": ["A1", "A2", "A3", "A3"],
        "created_at": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-01", "2024-03-20"]),
    })


def test_connection_cannot_read_files():
    """External access is off: read_csv on a path is refused."""
    con = connect(memory_limit="64MB")
    with pytest.raises(duckdb.Error, match="(?i)disabled|permission"):
        con.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()


def test_connection_configuration_is_locked():
    """No later SET can lift a limit."""
    con = connect(memory_limit="64MB")
    with pytest.raises(duckdb.Error, match="(?i)locked"):
        con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error, match="(?i)locked"):
        con.execute("SET memory_limit = '20GB'")


def test_query_time_is_limited():
    """A runaway query is stopped by max_execution_time."""
    con = connect(memory_limit="64MB", timeout_ms=200)
    with pytest.raises(duckdb.Error, match="(?i)execution time|interrupt"):
        con.execute("SELECT count(*) FROM range(1000000000000)").fetchall()


def test_two_sessions_never_see_each_others_tables():
    """Each store is its own database."""
    a, b = Store(memory_limit="64MB"), Store(memory_limit="64MB")
    a.load({"accounts": _accounts()})
    with pytest.raises(duckdb.Error):
        b.con.execute("SELECT * FROM accounts").fetchall()
    a.close()
    b.close()


def test_quote_ident_survives_a_crafted_header():
    """A header with quotes and SQL in it stays a column name."""
    name = 'x"; DROP TABLE accounts; --'
    store = Store(memory_limit="64MB")
    store.load({"accounts": pd.DataFrame({"account_id": ["A"], name: [1]})})
    got = store.con.execute(f"SELECT {quote_ident(name)} FROM accounts").fetchall()
    assert got == [(1,)]
    assert store.con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1
    store.close()


def test_segment_filter_reaches_other_tables_through_account_ids():
    """Filtering accounts to SMB keeps only SMB accounts' tickets (A1, A3: 3 tickets)."""
    store = Store(memory_limit="64MB")
    store.load({"accounts": _accounts(), "tickets": _tickets()})
    store.set_filters(Filters(segment=("SMB",)))
    assert sorted(store.frame("accounts")["account_id"]) == ["A1", "A3"]
    assert sorted(store.frame("tickets")["ticket_id"]) == ["T1", "T3", "T4"]
    store.close()


def test_date_filter_applies_to_event_tables_only():
    """February to March keeps T2, T3, T4 and every account."""
    store = Store(memory_limit="64MB")
    store.load({"accounts": _accounts(), "tickets": _tickets()})
    store.set_filters(Filters(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 3, 20)))
    assert sorted(store.frame("tickets")["ticket_id"]) == ["T2", "T3", "T4"]
    assert len(store.frame("accounts")) == 3
    store.close()


def test_filter_value_with_quotes_is_a_value_not_sql():
    """A segment named with a quote filters by that name."""
    store = Store(memory_limit="64MB")
    acc = _accounts()
    acc.loc[0, "segment"] = "O'Brien's ' OR 1=1 --"
    store.load({"accounts": acc})
    store.set_filters(Filters(segment=("O'Brien's ' OR 1=1 --",)))
    assert list(store.frame("accounts")["account_id"]) == ["A1"]
    store.close()


def test_filter_options_list_what_the_data_has():
    store = Store(memory_limit="64MB")
    store.load({"accounts": _accounts(), "tickets": _tickets()})
    opts = store.filter_options()
    assert opts["segment"] == ["Enterprise", "SMB"]
    assert opts["owner"] == ["Ana", "Bo"]
    assert opts["dates"] == (dt.date(2024, 1, 5), dt.date(2024, 3, 20))
    assert "plan" not in opts
    store.close()


def test_caption_says_no_filters():
    assert Filters().caption() == "Filters: none (all data)"


def test_reload_drops_everything_derived_from_the_old_data():
    """A comment index or any helper table built on the old data does not survive a new load."""
    store = Store(memory_limit="64MB")
    store.load({"accounts": _accounts()})
    store.con.execute("CREATE TABLE _cidx_accounts AS SELECT 1 AS x")
    store.load({"tickets": _tickets()})
    left = {r[0] for r in store.con.execute(TABLES_AND_VIEWS).fetchall()}
    assert "_cidx_accounts" not in left and "accounts" not in left and "tickets" in left
    store.close()


def test_rep_filter_keeps_a_reps_prospect_deals_without_account():
    """Deals are filtered by their own owner: a prospect deal with no account stays in Bo's pipeline."""
    store = Store(memory_limit="64MB")
    deals = pd.DataFrame({"deal_id": ["D1", "D2", "D3"], "account_id": ["A2", None, "A1"],
                          "owner": ["Bo", "Bo", "Ana"], "stage": ["Won", "Prospecting", "Lost"]})
    store.load({"accounts": _accounts(), "deals": deals})
    store.set_filters(Filters(owner=("Bo",)))
    assert sorted(store.frame("deals")["deal_id"]) == ["D1", "D2"]
    store.close()


def test_loaded_frames_are_scanned_in_place_not_copied():
    """The session holds its data once: each frame is a view DuckDB scans (no base table copy of it), and a
    query reads exactly the frame's rows and types."""
    store = Store(memory_limit="64MB")
    accounts = _accounts()
    store.load({"accounts": accounts})
    base_tables = {r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "accounts" not in base_tables
    assert "accounts" in {r[0] for r in store.con.execute(TABLES_AND_VIEWS).fetchall()}
    assert store.tables["accounts"] is accounts
    back = store.con.execute("SELECT * FROM accounts").df()
    assert back["account_id"].tolist() == accounts["account_id"].tolist()
    assert len(back.columns) == len(accounts.columns)
    store.close()

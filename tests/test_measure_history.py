"""The health history's measures at twelve month ends from one statement equal the month-by-month ones.

``measure_history.derived_measures_at`` rewrites each measure's date window as a join with a months table;
the reference is ``measures.derived_measures`` run once per month end (the definitions every figure follows).
Run on hand-made tables (every measure, dates typed three ways, tables and columns missing), the demo data and
real exports loaded the way a manager uploads them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_logic.metrics import measure_history
from cs_logic.metrics.measure_history import derived_measures_at
from cs_logic.metrics.measures import derived_measures
from cs_logic.read.store import Store
from cs_logic.read.workspace import combine, load_file
from cs_logic.scoring import health, portfolio
from tests.test_measures import tiny_tables

ROOT = Path(__file__).resolve().parents[1]
DEMO = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")


def month_ends(as_of: dt.date, months: int = 12) -> list[dt.date]:
    start, end = portfolio.history_window(as_of, months)
    return [d.date() for d in pd.date_range(start, end, freq="ME")]


def assert_same_as_month_by_month(con: duckdb.DuckDBPyConnection, tables: set[str], days: list[dt.date]) -> None:
    many = dict(derived_measures_at(con, tables, days))
    assert sorted(many) == sorted(days)
    for day in days:
        one = derived_measures(con, tables, day)
        pd.testing.assert_frame_equal(many[day], one, check_exact=False, rtol=1e-12, obj=f"measures at {day}")


def connect(tables: dict[str, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, frame in tables.items():
        con.register(name, frame)
    return con


def loaded(paths: list[Path]) -> dict[str, pd.DataFrame]:
    """The tables the app builds from these files, uploaded unchanged (load_file, then combine)."""
    tables, _ = combine([load_file(p.name, p.read_bytes()) for p in paths])
    return tables


# Days around every window edge of the hand-made tables (their as-of is 2024-03-31): a day before any account
# started (no rows), month ends before, at and after it, and single days where a row enters or leaves a 30-, 60-, 90- or 180-day window.
TINY_DAYS = [dt.date(2022, 12, 31), dt.date(2023, 10, 31), dt.date(2023, 12, 31), dt.date(2024, 1, 31), dt.date(2024, 2, 29),
             dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 4, 1), dt.date(2024, 4, 2),
             dt.date(2024, 4, 30), dt.date(2024, 6, 30), dt.date(2024, 7, 1)]


@pytest.mark.parametrize("kind", ["timestamp", "date", "text"])
def test_every_measure_at_many_days_equals_one_day_at_a_time(kind):
    """Every measure of the hand-worked tables (test_measures), dates typed as timestamps, dates or text (typed
    dates are windowed at the scan, text ones are not): the same figures, day by day."""
    tables = tiny_tables()
    for frame in tables.values():
        for col in [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]:
            if kind == "text":
                frame[col] = frame[col].dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(frame[col].notna(), None)
            elif kind == "date":
                frame[col] = frame[col].dt.date.astype(object).where(frame[col].notna(), None)
    assert_same_as_month_by_month(connect(tables), set(tables), TINY_DAYS)


@pytest.mark.parametrize("keep", [
    {"orders": None},  # no accounts table: the ids come from the other tables
    {"accounts": ["account_id", "seats"], "usage": None},  # accounts without start dates
    {"accounts": None, "tickets": ["ticket_id", "account_id", "created_at", "status"]},  # open by status only
    {"accounts": None, "tickets": ["ticket_id", "account_id", "created_at", "resolved_at"]},  # no status
    {"accounts": None, "orders": ["account_id", "date"]},  # orders without ids or amounts
    {"accounts": None, "subscriptions": ["subscription_id", "account_id", "start_date", "seats"]},  # no end dates
    {"surveys": ["account_id", "nps"]},  # undated answers: all of them count every day
])
def test_missing_tables_and_columns_give_the_same_measures_as_one_day_at_a_time(keep):
    tables = {name: frame if keep[name] is None else frame[keep[name]]
              for name, frame in tiny_tables().items() if name in keep}
    assert_same_as_month_by_month(connect(tables), set(tables), TINY_DAYS)


def test_one_day_and_no_day():
    """One day is derived_measures itself; no day is nothing."""
    tables = tiny_tables()
    con = connect(tables)
    assert_same_as_month_by_month(con, set(tables), [dt.date(2024, 3, 31)])
    assert list(derived_measures_at(con, set(tables), [])) == []


@pytest.mark.parametrize("vectors", [measure_history.CHUNK_VECTORS, 1])
def test_demo_history_measures_equal_month_by_month(monkeypatch, vectors):
    """The demo portfolio, uploaded as its six files: the twelve month ends to 2026-10-31. Also fetched 2,048 rows
    at a time (500 accounts a month: every chunk ends inside a month, and months span chunks)."""
    monkeypatch.setattr(measure_history, "CHUNK_VECTORS", vectors)
    tables = loaded([ROOT / "data" / name for name in DEMO])
    store = Store(memory_limit="512MB")
    try:
        store.load(tables)
        assert_same_as_month_by_month(store.con, set(store.tables), month_ends(dt.date(2026, 10, 31)))
    finally:
        store.close()


@pytest.mark.parametrize("files, as_of", [
    # usage reaching accounts through subscriptions, tickets, seats on subscriptions
    ([f"saas_usage/ravenstack_{n}.csv" for n in ("accounts", "subscriptions", "feature_usage", "support_tickets")],
     dt.date(2024, 12, 31)),
    (["saas_sales/saas_sales.csv"], dt.date(2023, 12, 31)),  # order lines only (one order id on several lines)
])
def test_real_export_history_measures_equal_month_by_month(shared_data, files, as_of):
    tables = loaded([shared_data / f for f in files])
    store = Store(memory_limit="512MB")
    try:
        store.load(tables)
        assert_same_as_month_by_month(store.con, set(store.tables), month_ends(as_of))
    finally:
        store.close()


def months_one_by_one(con: duckdb.DuckDBPyConnection, tables: set[str], accounts: pd.DataFrame, sc: health.Scorecard,
                      as_of: dt.date) -> pd.DataFrame:
    """The history as it was computed before: measure_frame (derived measures, purchase model) month by month."""
    start, end = portfolio.history_window(as_of)
    return health.score_history(lambda d: portfolio.measure_frame(con, tables, accounts, d), sc, start, end)


@pytest.mark.parametrize("files, as_of", [
    ([ROOT / "data" / name for name in DEMO], dt.date(2026, 10, 31)),
    (["saas_sales/saas_sales.csv"], dt.date(2023, 12, 31)),  # a shop's buyers: P(alive) refitted each month end
])
def test_score_history_equals_the_month_by_month_history(shared_data, files, as_of):
    """portfolio.score_history (one statement for the measures, the orders fetched once) scores every account at
    every month end exactly as scoring measure_frame month by month did, with the starting scorecard of today."""
    tables = loaded([f if isinstance(f, Path) else shared_data / f for f in files])
    store = Store(memory_limit="512MB")
    try:
        store.load(tables)
        names, accounts = set(store.tables), store.frame("accounts")
        measured = portfolio.measure(store.con, names, accounts, as_of)
        sc = measured.starting
        fast = portfolio.score_history(store.con, names, accounts, sc, as_of)
        slow = months_one_by_one(store.con, names, accounts, sc, as_of)
    finally:
        store.close()
    assert fast["month"].nunique() == 12 and fast["health_score"].notna().any()
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-9)

"""portfolio.score_history (the orders fetched once for a shop's purchase model) equals scoring measure_frame month
by month, the way the history was computed before, on the demo and on a real shop's export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_logic.read.store import Store
from cs_logic.read.workspace import combine, load_file
from cs_logic.scoring import health, portfolio

ROOT = Path(__file__).resolve().parents[1]
DEMO = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")


def loaded(paths: list[Path]) -> dict[str, pd.DataFrame]:
    """The tables the app builds from these files, uploaded unchanged (load_file, then combine)."""
    tables, _ = combine([load_file(p.name, p.read_bytes()) for p in paths])
    return tables


def months_one_by_one(con: duckdb.DuckDBPyConnection, tables: set[str], accounts: pd.DataFrame, sc: health.Scorecard,
                      as_of: dt.date) -> pd.DataFrame:
    """The history as it was computed before: measure_frame (derived measures, purchase model) month by month."""
    start, end = portfolio.history_window(as_of)
    return health.score_history(lambda d: portfolio.measure_frame(con, tables, accounts, d), sc, start, end)


def some_measures(sc: health.Scorecard, keep: str) -> health.Scorecard:
    """A scorecard that reads less than the data has: its first measure only ("first"), or a shop's order measures
    without the purchase model's ("no model")."""
    if keep == "first":
        assert len(sc.measures) > 1
        return health.Scorecard(sc.name, sc.bands, sc.measures[:1])
    return health.Scorecard(sc.name, sc.bands, (health.Measure("orders_90d", 50, "percentile"), health.Measure(
        "days_since_last_order", 50, "linear", worst=365, best=0)))


@pytest.mark.parametrize("files, as_of, keep", [
    ([ROOT / "data" / name for name in DEMO], dt.date(2026, 10, 31), None),
    ([ROOT / "data" / name for name in DEMO], dt.date(2026, 10, 31), "first"),  # one measure: one table read a month
    (["saas_sales/saas_sales.csv"], dt.date(2023, 12, 31), None),  # a shop's buyers: P(alive) refitted each month end
    (["saas_sales/saas_sales.csv"], dt.date(2023, 12, 31), "no model"),  # no P(alive) scored: no model fitted
])
def test_score_history_equals_the_month_by_month_history(shared_data, files, as_of, keep):
    """The history works out only what the scorecard scores; its scores are those of every measure worked out."""
    tables = loaded([f if isinstance(f, Path) else shared_data / f for f in files])
    store = Store(memory_limit="512MB")
    try:
        store.load(tables)
        names, accounts = set(store.tables), store.frame("accounts")
        sc = portfolio.measure(store.con, names, accounts, as_of).starting
        sc = sc if keep is None else some_measures(sc, keep)
        fast = portfolio.score_history(store.con, names, accounts, sc, as_of)
        slow = months_one_by_one(store.con, names, accounts, sc, as_of)
    finally:
        store.close()
    assert fast["month"].nunique() == 12 and fast["health_score"].notna().any()
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-9)

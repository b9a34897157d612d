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


def _text_history(measures_at, sc: health.Scorecard, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The history as score_history built it before its categoricals: text ids, timestamps and band names."""
    frames = []
    for month_end in pd.date_range(start, end, freq="ME"):
        scored = health.health_scores(health.points_matrix(measures_at(month_end.date()), sc), sc)
        frames.append(pd.DataFrame({"account_id": scored.index.to_numpy(), "month": month_end,
                                    "health_score": scored["health_score"].to_numpy(),
                                    "health_band": scored["health_band"].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def test_categorical_history_shows_the_same_trend_and_account_charts_as_text_history():
    """A portfolio that grows month by month (accounts listed in a different order each month, some with no
    score): ids as codes, months and bands as categoricals hold the same rows, and the portfolio trend and
    each account's chart (its Vega-Lite spec) are those of the text history."""
    import json

    import numpy as np

    from cs_logic.charts import health as charts

    ids = pd.Index([f"A{i:04d}" for i in range(400)], name="account_id").astype(str)

    def measures_at(day: dt.date) -> pd.DataFrame:
        rng = np.random.default_rng(day.month)
        n = 200 + 15 * day.month
        return pd.DataFrame({"x": rng.normal(50, 30, n), "y": np.where(rng.random(n) < 0.2, np.nan, rng.random(n))},
                            index=ids[:n][::-1] if day.month % 2 else ids[:n])

    sc = health.Scorecard("s", health.Bands(), (health.Measure("x", 1, "linear", worst=0, best=100),
                                                health.Measure("y", 2, "percentile")))
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    ours, text = health.score_history(measures_at, sc, start, end), _text_history(measures_at, sc, start, end)
    assert {c: str(t) for c, t in ours.dtypes.items()} == {"account_id": "category", "month": "category",
                                                           "health_score": "float64", "health_band": "category"}
    plain = ours.astype({"account_id": object, "month": text["month"].dtype, "health_band": text["health_band"].dtype})
    pd.testing.assert_frame_equal(plain, text.astype({"account_id": object}))
    ends = pd.to_datetime(np.where(np.arange(400) % 5 == 0, "2024-06-15", None))
    frame = pd.DataFrame({"end_date": ends}, index=ids)
    pd.testing.assert_frame_equal(portfolio.health_over_time(ours, frame), portfolio.health_over_time(text, frame))
    for account in ("A0000", "A0250", "A0399"):
        assert (json.dumps(charts.score_history_chart(ours, account).to_dict(), sort_keys=True)
                == json.dumps(charts.score_history_chart(text, account).to_dict(), sort_keys=True))

"""Tests for the measures derived per account in DuckDB (usage, tickets, surveys, orders, seats)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cs_logic.metrics.measures import MEASURE_DOCS, available_measures, derived_measures

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SAAS = DATA / "saas_usage"
AS_OF = dt.date(2024, 3, 31)
# Windows for AS_OF 2024-03-31 (2024 is a leap year):
#   last 30 days = 03-02..03-31, the 30 before = 02-01..03-01
#   last 90 days = 01-02..03-31, the 90 before = 2023-10-04..01-01


def ts(text: str | None) -> pd.Timestamp:
    return pd.NaT if text is None else pd.Timestamp(text)


def tiny_tables() -> dict[str, pd.DataFrame]:
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3"], "seats": [4.0, 10.0, np.nan],
        "start_date": pd.to_datetime(["2023-01-01", "2023-01-01", "2023-06-01"]),
    })
    usage = pd.DataFrame([
        ("A1", "2024-03-31", "u1", 5.0), ("A1", "2024-03-02", "u2", 3.0), ("A1", "2024-03-02", "u1", 2.0),
        ("A1", "2024-03-01", "u1", 10.0), ("A1", "2024-02-01", "u1", 4.0), ("A1", "2024-01-31", "u3", 100.0),
        ("A1", "2024-04-01", "u1", 50.0), ("A2", "2024-03-15", "u9", 6.0),
    ], columns=["account_id", "date", "user_id", "events"])
    usage["date"] = pd.to_datetime(usage["date"])
    tickets = pd.DataFrame([
        ("t1", "A1", "2024-03-10 09:00", None, "Open", "HIGH", 2.0),
        ("t2", "A1", "2024-03-20 12:00", "2024-04-02 08:00", "Closed", "low", 4.0),
        ("t3", "A1", "2024-02-01 10:00", "2024-02-03 10:00", "closed", "Urgent ", 10.0),
        ("t4", "A1", "2023-12-01 10:00", None, "Solved", "critical", 1.0),
        ("t5", "A1", "2024-04-05 10:00", None, "Open", "high", 3.0),
        ("t6", "A2", "2024-01-01 10:00", None, "open", None, 7.0),
        ("t7", "A3", "2024-01-02 00:30", "2024-01-03 09:00", "closed", "low", 6.0),
        ("t8", "A3", "2024-03-30 10:00", None, None, None, None),
    ], columns=["ticket_id", "account_id", "created_at", "resolved_at", "status", "priority", "first_response_hours"])
    for col in ("created_at", "resolved_at"):
        tickets[col] = pd.to_datetime(tickets[col])
    surveys = pd.DataFrame([
        ("A1", "2024-03-01", 9.0, 5.0), ("A1", "2024-03-20", 3.0, 4.0), ("A1", "2024-03-20", 8.0, 2.0),
        ("A1", "2024-04-10", 10.0, 5.0), ("A1", "2024-02-01", 11.0, 6.0), ("A1", "2024-02-02", 7.5, np.nan),
        ("A2", "2024-01-15", 10.0, 3.0), ("A3", "2024-03-31", 0.0, np.nan),
    ], columns=["account_id", "date", "nps", "csat"])
    surveys["date"] = pd.to_datetime(surveys["date"])
    orders = pd.DataFrame([
        ("o1", "A1", "2024-03-25", 100.0), ("o2", "A1", "2024-01-02", 50.0), ("o3", "A1", "2024-01-01", 200.0),
        ("o4", "A1", "2023-10-04", 100.0), ("o5", "A1", "2023-10-03", 999.0), ("o6", "A1", "2024-04-02", 500.0),
        ("o7", "A2", "2023-12-31", 80.0),
    ], columns=["order_id", "account_id", "date", "amount"])
    orders["date"] = pd.to_datetime(orders["date"])
    subscriptions = pd.DataFrame([
        ("s1", "A1", "2023-06-01", None, 10.0), ("s2", "A1", "2024-02-01", None, 5.0),
        ("s3", "A2", "2023-01-01", "2024-03-01", 20.0), ("s4", "A2", "2024-03-01", None, 10.0),
        ("s5", "A3", "2024-02-15", None, 3.0),
    ], columns=["subscription_id", "account_id", "start_date", "end_date", "seats"])
    for col in ("start_date", "end_date"):
        subscriptions[col] = pd.to_datetime(subscriptions[col])
    return {"accounts": accounts, "usage": usage, "tickets": tickets, "surveys": surveys, "orders": orders,
            "subscriptions": subscriptions}


def connect(tables: dict[str, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, frame in tables.items():
        con.register(name, frame)
    return con


@pytest.fixture(scope="module")
def tiny() -> pd.DataFrame:
    tables = tiny_tables()
    return derived_measures(connect(tables), set(tables), AS_OF)


def value(frame: pd.DataFrame, account: str, measure: str) -> float:
    return float(frame.loc[account, measure])


# Each case: account, measure, expected (NaN = blank), and the working.
HAND_WORKED = [
    ("A1", "usage_active_days_30d", 2, "03-31 and 03-02; 03-01 is outside the 30 days, 04-01 is after as_of"),
    ("A1", "usage_events_30d", 10, "5 + 3 + 2"),
    ("A1", "usage_trend_30d", 100 * (10 / 14 - 1), "earlier 30 days: 10 (03-01) + 4 (02-01) = 14; 01-31 is outside"),
    ("A1", "active_users_per_seat", 0.5, "u1 and u2 in 30 days / 4 seats"),
    ("A2", "usage_active_days_30d", 1, "03-15"),
    ("A2", "usage_trend_30d", math.nan, "no events in the earlier 30 days"),
    ("A2", "active_users_per_seat", 0.1, "1 user / 10 seats"),
    ("A3", "usage_active_days_30d", 0, "no usage rows: a count of 0"),
    ("A3", "usage_events_30d", 0, "no usage rows"),
    ("A3", "active_users_per_seat", math.nan, "no seats"),
    ("A1", "open_tickets", 2, "t1 (no resolved date, Open) and t2 (resolved after as_of); t3 resolved, t4 Solved, t5 later"),
    ("A1", "tickets_per_month", 1.0, "t1, t2, t3 in 01-02..03-31 -> 3 / 3"),
    ("A1", "high_priority_share", 100 * 2 / 3, "HIGH and 'Urgent ' of 3 (low is not)"),
    ("A1", "median_first_response_hours", 4.0, "median of 2, 4, 10"),
    ("A2", "open_tickets", 1, "t6 open"),
    ("A2", "tickets_per_month", 0.0, "t6 created 01-01 = as_of - 90, outside the window"),
    ("A2", "high_priority_share", math.nan, "no tickets in 90 days"),
    ("A3", "open_tickets", 1, "t8: no resolved date and no status says closed; t7 was resolved on 01-03"),
    ("A3", "tickets_per_month", 2 / 3, "t7 created 01-02 00:30 (the window's first day) and t8 -> 2 / 3"),
    ("A3", "high_priority_share", 0.0, "t7 is low; t8 has no priority and is left out"),
    ("A3", "median_first_response_hours", 6.0, "t7 alone (t8 has no response)"),
    ("A1", "nps_latest", 3, "latest valid day 03-20 has 3 and 8: the lower; 04-10 is after as_of, 11 and 7.5 invalid"),
    ("A1", "account_nps", 0.0, "valid 9, 3, 8: (1 promoter - 1 detractor) / 3"),
    ("A1", "csat_pct", 100 * 2 / 3, "valid 5, 4, 2 (6 invalid, 04-10 later): 2 of 3 are 4-5"),
    ("A2", "nps_latest", 10, "only answer"),
    ("A2", "account_nps", 100.0, "1 promoter of 1"),
    ("A2", "csat_pct", 0.0, "3 is not top-2-box"),
    ("A3", "nps_latest", 0, "answer on as_of itself counts"),
    ("A3", "account_nps", -100.0, "1 detractor of 1"),
    ("A3", "csat_pct", math.nan, "no CSAT answer"),
    ("A1", "days_since_last_order", 6, "03-31 - 03-25 (04-02 is after as_of)"),
    ("A1", "orders_90d", 2, "o1, o2 (o2 on 01-02, the first day)"),
    ("A1", "spend_trend_90d", -50.0, "last 90: 100 + 50 = 150; before: 200 + 100 = 300; o5 outside -> 150/300 - 1"),
    ("A2", "days_since_last_order", 91, "2023-12-31 -> 2024-03-31: 31 + 29 + 31 days"),
    ("A2", "orders_90d", 0, "none in 90 days"),
    ("A2", "spend_trend_90d", -100.0, "0 / 80 - 1"),
    ("A3", "days_since_last_order", math.nan, "never ordered"),
    ("A3", "orders_90d", 0, "no orders"),
    ("A1", "seat_change_pct", 50.0, "now s1 + s2 = 15; on 01-01 only s1 = 10"),
    ("A2", "seat_change_pct", -50.0, "now s4 = 10 (s3 ended 03-01); on 01-01 s3 = 20"),
    ("A3", "seat_change_pct", math.nan, "no seats 90 days ago"),
]


@pytest.mark.parametrize("account, measure, expected, working", HAND_WORKED, ids=[f"{a}-{m}" for a, m, *_ in HAND_WORKED])
def test_measure_worked_by_hand(tiny, account, measure, expected, working):
    """Each derived measure on a 3-account database equals the figure worked by hand (see `working`)."""
    got = value(tiny, account, measure)
    if math.isnan(expected):
        assert math.isnan(got), working
    else:
        assert got == pytest.approx(expected), working


def test_every_measure_is_derived_and_documented(tiny):
    """With all tables present every documented measure is a column, in MEASURE_DOCS order, one row per account."""
    assert list(tiny.columns) == list(MEASURE_DOCS)
    assert tiny.index.tolist() == ["A1", "A2", "A3"] and tiny.index.name == "account_id"


@pytest.mark.parametrize("kind", ["date", "text", "microseconds"])
def test_measures_do_not_depend_on_how_the_dates_are_typed(tiny, kind):
    """Typed date columns are windowed at the scan (rows outside the windows dropped before grouping); text
    dates are not. Dates as DATE, as text and as microsecond timestamps give the very same measures as the
    nanosecond timestamps of the hand-worked cases."""
    tables = tiny_tables()
    for frame in tables.values():
        for col in [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]:
            if kind == "text":
                frame[col] = frame[col].dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(frame[col].notna(), None)
            elif kind == "date":
                frame[col] = frame[col].dt.date.astype(object).where(frame[col].notna(), None)
            else:
                frame[col] = frame[col].astype("datetime64[us]")
    con = connect(tables)
    if kind != "microseconds":
        typed = con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'usage' "
                            "AND column_name = 'date'").fetchone()[0]
        assert typed == ("VARCHAR" if kind == "text" else "DATE")
    pd.testing.assert_frame_equal(derived_measures(con, set(tables), AS_OF), tiny)


def test_an_undated_answer_is_not_taken_as_the_latest():
    """A1 answered 5 on 03-01 and 9 with no date: the latest known answer is the dated 5 (the undated one
    still counts in the account's NPS). A2 has only an undated 8: that is its latest."""
    surveys = pd.DataFrame({"account_id": ["A1", "A1", "A2"], "nps": [5.0, 9.0, 8.0],
                            "date": pd.to_datetime(["2024-03-01", None, None])})
    out = derived_measures(connect({"surveys": surveys}), {"surveys"}, AS_OF)
    assert out.loc["A1", "nps_latest"] == 5.0 and out.loc["A2", "nps_latest"] == 8.0
    assert out.loc["A1", "account_nps"] == 0.0  # 1 promoter, 1 detractor of 2


def test_the_latest_answer_orders_days_before_1970_and_same_day_answers():
    """A1: 1965 beats undated, 1966 beats 1965. A2: two answers on one day, 0 and 10: the lower (0). A3: the
    valid 10 on 2024-01-02 beats 9 on 2024-01-01, and the invalid 11 on a later day is not taken."""
    surveys = pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A2", "A2", "A3", "A3", "A3"],
        "nps": [7.0, 2.0, 9.0, 10.0, 0.0, 9.0, 10.0, 11.0],
        "date": pd.to_datetime([None, "1965-05-01", "1966-01-01", "2024-02-02", "2024-02-02",
                                "2024-01-01", "2024-01-02", "2024-01-03"])})
    out = derived_measures(connect({"surveys": surveys}), {"surveys"}, AS_OF)
    assert out["nps_latest"].to_dict() == {"A1": 9.0, "A2": 0.0, "A3": 10.0}


def test_accounts_not_started_by_as_of_are_left_out():
    """An account starting after as_of has no measures yet (it is not in the portfolio on that date)."""
    tables = tiny_tables()
    tables["accounts"] = pd.concat([tables["accounts"], pd.DataFrame(
        {"account_id": ["A4"], "seats": [5.0], "start_date": [pd.Timestamp("2024-06-01")]})], ignore_index=True)
    out = derived_measures(connect(tables), set(tables), AS_OF)
    assert "A4" not in out.index and len(out) == 3


def test_missing_tables_and_columns_leave_measures_out():
    """No surveys/orders/subscriptions; tickets without priority or response times; usage without user_id:
    only the measures those columns allow are offered and derived."""
    tables = tiny_tables()
    tables = {"accounts": tables["accounts"], "usage": tables["usage"].drop(columns="user_id"),
              "tickets": tables["tickets"][["ticket_id", "account_id", "created_at", "status"]]}
    con = connect(tables)
    expected = ["usage_active_days_30d", "usage_events_30d", "usage_trend_30d", "open_tickets", "tickets_per_month"]
    assert sorted(available_measures(con, set(tables))) == sorted(expected)
    out = derived_measures(con, set(tables), AS_OF)
    assert list(out.columns) == expected
    # status only: t1, t2 (status Closed means closed now) -> A1 open = t1 only; t5 is after as_of
    assert out.loc["A1", "open_tickets"] == 1


def test_table_named_but_not_loaded_is_skipped():
    """'surveys' is named but not registered: no survey measures, no error."""
    tables = {"orders": tiny_tables()["orders"]}
    con = connect(tables)
    assert sorted(available_measures(con, {"orders", "surveys"})) == ["days_since_last_order", "orders_90d",
                                                                     "spend_trend_90d"]


def test_without_accounts_table_the_ids_come_from_the_other_tables():
    """Orders only: A1 and A2 have orders, so they are the portfolio; counts for them are as worked above."""
    tables = {"orders": tiny_tables()["orders"]}
    out = derived_measures(connect(tables), set(tables), AS_OF)
    assert out.index.tolist() == ["A1", "A2"] and out["orders_90d"].tolist() == [2.0, 0.0]


# ---------------------------------------------------------------- real data: RavenStack SaaS usage

@pytest.mark.skipif(not SAAS.exists(), reason="shared test data (../shared/data/saas_usage) is absent")
def test_saas_usage_events_30d_match_pandas_through_subscriptions():
    """feature_usage has no account_id: events reach accounts through subscriptions. For 2024-12-31,
    usage_events_30d of the busiest account (and every account) equals a pandas sum over 12-02..12-31."""
    accounts = pd.read_csv(SAAS / "ravenstack_accounts.csv", parse_dates=["signup_date"]).rename(
        columns={"signup_date": "start_date", "churn_flag": "churned", "plan_tier": "plan"})
    subs = pd.read_csv(SAAS / "ravenstack_subscriptions.csv", parse_dates=["start_date", "end_date"]).rename(
        columns={"mrr_amount": "mrr", "arr_amount": "arr", "plan_tier": "plan"})
    usage = pd.read_csv(SAAS / "ravenstack_feature_usage.csv", parse_dates=["usage_date"]).rename(
        columns={"usage_date": "date", "usage_count": "events", "feature_name": "feature",
                 "usage_duration_secs": "duration_seconds"})
    tables = {"accounts": accounts, "subscriptions": subs, "usage": usage}
    as_of = dt.date(2024, 12, 31)
    out = derived_measures(connect(tables), set(tables), as_of)

    owner = dict(zip(subs["subscription_id"], subs["account_id"]))
    window = usage[(usage["date"] > pd.Timestamp("2024-12-01")) & (usage["date"] <= pd.Timestamp(as_of))]
    by_account = window.assign(account_id=window["subscription_id"].map(owner)).groupby("account_id")["events"].sum()
    busiest = by_account.idxmax()
    assert out.loc[busiest, "usage_events_30d"] == by_account[busiest]
    started = accounts.loc[accounts["start_date"] <= pd.Timestamp(as_of), "account_id"]
    expected = by_account.reindex(started.to_numpy(), fill_value=0).astype(float).sort_index()
    assert out["usage_events_30d"].sort_index().to_numpy().tolist() == expected.to_numpy().tolist()


def test_every_registered_measure_has_a_query_that_can_produce_it():
    """The registry is the one list: each derived measure names a source table with a query builder, counts are
    0 when an account has no rows, and every measure a builder returns is registered (none outside the list)."""
    from cs_logic.metrics import measures as ms

    assert set(ms.MEASURE_DOCS) == {m.name for m in ms.MEASURES} and len(ms.MEASURES) == len(ms.MEASURE)
    assert {m.table for m in ms.MEASURES} <= set(ms.QUERIES)
    assert ms.ZERO_WHEN_ABSENT == ("usage_active_days_30d", "usage_events_30d", "open_tickets", "tickets_per_month",
                                   "orders_90d")
    everything = {t: {c: "TIMESTAMP" if c in ("date", "created_at", "start_date", "end_date", "first_response_at",
                                             "resolved_at") else "VARCHAR" for c in cols}
                  for t, cols in {"accounts": ["account_id", "seats"],
                                  "usage": ["account_id", "date", "events", "user_id"],
                                  "tickets": ["account_id", "created_at", "resolved_at", "status", "priority",
                                              "first_response_at"],
                                  "surveys": ["account_id", "date", "nps", "csat"],
                                  "orders": ["account_id", "date", "amount", "order_id"],
                                  "subscriptions": ["account_id", "seats", "start_date", "end_date"]}.items()}
    produced = [n for q in ms._plan(everything) for n in q.measures]
    assert sorted(produced) == sorted(ms.MEASURE_DOCS)
    assert ms.MEASURE["active_users_per_seat"].expression("p0").startswith("COALESCE(p0.users_30d, 0) /")
    assert ms.MEASURE["orders_90d"].expression("p3") == "COALESCE(p3.orders_90d, 0)"
    assert ms.MEASURE["usage_trend_30d"].expression("p0") == "p0.usage_trend_30d"


def test_unordered_measures_are_the_ordered_ones_and_the_measure_frame_keeps_the_accounts_order():
    """``ordered=False`` (what measure_frame and the history ask for) leaves out only the sort: the same rows and
    values. The measure frame's rows follow the accounts file either way (ids shuffled here, so not sorted)."""
    from cs_logic.scoring.portfolio import measure_frame

    rng = np.random.default_rng(7)
    ids = [f"A{i:05d}" for i in rng.permutation(3000)]
    accounts = pd.DataFrame({"account_id": ids, "plan": rng.choice(["Pro", "Basic"], 3000)})
    usage = pd.DataFrame({"account_id": rng.choice(ids, 60_000),
                          "date": pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 70, 60_000), unit="D"),
                          "events": rng.integers(1, 9, 60_000).astype(float)})
    tickets = pd.DataFrame({"ticket_id": [f"t{i}" for i in range(9000)], "account_id": rng.choice(ids, 9000),
                            "created_at": pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 200, 9000), unit="D"),
                            "priority": rng.choice(["High", "low", None], 9000)})
    tables = {"accounts": accounts, "usage": usage, "tickets": tickets}
    con = connect(tables)
    ordered = derived_measures(con, set(tables), AS_OF)
    loose = derived_measures(con, set(tables), AS_OF, ordered=False)
    assert list(ordered.index) == sorted(ids)
    pd.testing.assert_frame_equal(loose.sort_index(), ordered)
    frame = measure_frame(con, set(tables), accounts, AS_OF)
    assert list(frame.index) == ids
    pd.testing.assert_frame_equal(frame[ordered.columns], ordered.reindex(ids), check_names=False)

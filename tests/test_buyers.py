"""Customers who buy (issue 16): the customer table from orders, repeat purchase, cohorts, RFM, and health that
rests on P(alive) or the customer's own rhythm, never on raw days since the last order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cs_logic.metrics import buyers as bu
from cs_logic.metrics.repeat import cohort_repeat, gap_distribution, repeat_purchase
from cs_logic.metrics.rfm import SEGMENT_RULES, quintile_score, rfm_segments, rfm_table, segment_of
from cs_logic.read.buyers import BY_DAY, BY_ORDER_ID, customers_from_orders, purchases
from cs_logic.read.workspace import combine, load_file
from cs_logic.scoring import portfolio as pf
from cs_logic.views.buyers_view import NO_ORDERS, buyers_part


def _orders(rows: list[tuple]) -> pd.DataFrame:
    """(customer, order id, date, amount) rows."""
    frame = pd.DataFrame(rows, columns=["account_id", "order_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


# ------------------------------------------------------------------------------------- the customer table


def test_customer_table_from_orders_by_hand():
    """a: order 1 is two rows on 1 Jan (10 + 5), order 2 on 1 Feb (20) -> 2 purchases, spend 35, first 1 Jan, last
    1 Feb, tenure to 1 Apr = 91 days / 30.44 = 2.99 months. b: one order with a blank amount -> 1 purchase, spend
    unknown (blank, not 0). The order of 1 May is after the as-of date and left out."""
    o = _orders([("a", "1", "2024-01-01", 10.0), ("a", "1", "2024-01-01", 5.0), ("a", "2", "2024-02-01", 20.0),
                 ("b", "3", "2024-03-01", None), ("a", "4", "2024-05-01", 99.0)])
    c = customers_from_orders(o, dt.date(2024, 4, 1)).set_index("account_id")
    assert c.loc["a", ["purchases", "spend", "tenure"]].tolist() == [2, 35.0, 2.99]
    assert (c.loc["a", "start_date"], c.loc["a", "last_order"]) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"))
    assert c.loc["b", "purchases"] == 1 and np.isnan(c.loc["b", "spend"])
    assert not {"churned", "end_date", "status"} & set(c.columns)


def test_customer_columns_come_along_only_when_each_customer_has_one_value():
    """Industry is one value per customer, so it describes the customer; Segment differs between a's orders
    (it describes the order) and is left out, never guessed."""
    o = _orders([("a", "1", "2024-01-01", 1.0), ("a", "2", "2024-01-02", 1.0), ("b", "3", "2024-01-03", 1.0)])
    o["Industry"], o["Segment"] = ["Retail", "Retail", "Energy"], ["SMB", "Enterprise", "SMB"]
    c = customers_from_orders(o).set_index("account_id")
    assert c["industry"].to_dict() == {"a": "Retail", "b": "Energy"}
    assert "segment" not in c.columns


def test_combine_derives_accounts_only_when_no_accounts_file_is_loaded(tmp_path):
    orders = b"Order ID,Customer ID,Order Date,Sales\n1,c1,2024-01-01,10\n2,c1,2024-02-01,5\n3,c2,2024-01-15,7\n"
    accounts = b"Customer ID,Customer Name,Plan\nc1,Acme,Gold\nc2,Bolt,Silver\n"
    tables, problems = combine([load_file("orders.csv", orders)])
    assert tables["accounts"]["account_id"].tolist() == ["c1", "c2"]
    assert tables["accounts"]["purchases"].tolist() == [2, 1]
    assert any("derived from the orders" in p.message and "Churn is unknown" in p.message for p in problems)
    tables, problems = combine([load_file("orders.csv", orders), load_file("accounts.csv", accounts)])
    assert "purchases" not in tables["accounts"].columns
    assert not any("derived from the orders" in p.message for p in problems)


# -------------------------------------------------------------------------------------------- purchases


def test_a_purchase_is_an_order_id_and_without_one_a_customers_day():
    """Rows: a/order 1 twice on 1 Jan, a/order 2 on 1 Jan, a/order 3 on 5 Jan. With order ids: 3 purchases.
    Without: 1 Jan and 5 Jan -> 2 purchases (METRICS.md "Purchase")."""
    o = _orders([("a", "1", "2024-01-01", 1.0), ("a", "1", "2024-01-01", 1.0), ("a", "2", "2024-01-01", 1.0),
                 ("a", "3", "2024-01-05", 1.0)])
    assert len(purchases(o)) == 3
    assert len(purchases(o.drop(columns="order_id"))) == 2
    assert repeat_purchase(o).definition == BY_ORDER_ID
    assert repeat_purchase(o.drop(columns="order_id")).definition == BY_DAY


def test_repeat_purchase_rate_and_gaps_by_hand():
    """a: 1 Jan, 11 Jan (two lines of order 2), 31 Jan; b: 5 Jan; c: 1 Feb, 2 Mar.
    Customers 3, repeaters a and c -> 2/3. Gaps: a 10 and 20, c 30 (29-day February) -> median 20;
    first to second: a 10, c 30 -> median 20. The 1 Apr order is after the as-of date (31 Mar): left out."""
    o = _orders([("a", "1", "2024-01-01", 1.0), ("a", "2", "2024-01-11", 1.0), ("a", "2", "2024-01-11", 2.0),
                 ("a", "3", "2024-01-31", 1.0), ("b", "4", "2024-01-05", 1.0), ("c", "5", "2024-02-01", 1.0),
                 ("c", "6", "2024-03-02", 1.0), ("b", "7", "2024-04-01", 1.0)])
    r = repeat_purchase(o, as_of="2024-03-31")
    assert (r.customers, r.repeat_customers, r.purchases) == (3, 2, 6)
    assert r.rate == pytest.approx(2 / 3)
    assert (r.median_days_between, r.median_days_to_second) == (20.0, 20.0)
    gaps = gap_distribution(o, as_of="2024-03-31").set_index("gap")["purchases"]
    assert (gaps["8-30 days"], gaps["up to 7 days"], gaps["31-90 days"]) == (3, 0, 0)  # 10, 20, 30 days


def test_cohort_repeat_leaves_cells_not_yet_observable_blank():
    """As of 15 Mar 2024. January cohort: a (5 Jan, again 10 Feb), b (20 Jan) -> size 2; month 1 (Feb) 1 of 2 =
    0.5; month 2 (March) has not ended -> blank, not 0. February cohort: c (3 Feb) -> month 0 only.
    All cohorts: month 1 pools the cohorts that can see it (January only) -> 0.5."""
    o = _orders([("a", "1", "2024-01-05", 1.0), ("a", "2", "2024-02-10", 1.0), ("b", "3", "2024-01-20", 1.0),
                 ("c", "4", "2024-02-03", 1.0)])
    m = cohort_repeat(o, None, "2024-03-15")
    assert m.loc["2024-01", ["size", 0, 1]].tolist() == [2.0, 1.0, 0.5]
    assert np.isnan(m.loc["2024-01", 2]) and np.isnan(m.loc["2024-02", 1])
    assert m.loc["All cohorts", 1] == 0.5


# -------------------------------------------------------------------------------------------------- RFM


def test_quintile_scores_share_a_score_on_ties_and_reverse_for_recency():
    """Recency 1, 5, 5, 30, 90 days (lower is better): customers strictly worse than each = 4, 2, 2, 1, 0 ->
    1 + floor(5 * worse / 5) = 5, 3, 3, 2, 1."""
    assert quintile_score(pd.Series([1, 5, 5, 30, 90]), higher_is_better=False).tolist() == [5, 3, 3, 2, 1]


def test_every_r_f_pair_has_exactly_one_segment():
    pairs = [(r, f) for r in range(1, 6) for f in range(1, 6)]
    hits = [sum(r in rs and f in fs for _, rs, fs, _ in SEGMENT_RULES) for r, f in pairs]
    assert hits == [1] * 25


def test_rfm_segments_by_hand():
    """As of 31 Mar. Recency days: a 1, b 10, c 30, d 60, e 90 -> R 5, 4, 3, 2, 1. Purchases a 3, b 1, c 1,
    d 3, e 1 -> F: 1s have 0 worse (1), 3s have 3 worse: 1 + floor(15/5) = 4. Segments: a (5, 4) Champions,
    b (4, 1) Promising, c (3, 1) About to sleep, d (2, 4) At risk, e (1, 1) Hibernating.
    Revenue: a 30 of 30 + 20 + 5 + 15 + 40 = 110 -> 27.3%."""
    o = _orders([("a", "1", "2024-02-01", 10.0), ("a", "2", "2024-03-01", 10.0), ("a", "3", "2024-03-30", 10.0),
                 ("b", "4", "2024-03-21", 20.0), ("c", "5", "2024-03-01", 5.0), ("d", "6", "2024-01-01", 5.0),
                 ("d", "7", "2024-01-15", 5.0), ("d", "8", "2024-01-31", 5.0), ("e", "9", "2024-01-01", 40.0)])
    t = rfm_table(o, "2024-03-31").set_index("customer")
    assert t["recency_days"].tolist() == [1, 10, 30, 60, 90]
    assert t["R"].tolist() == [5, 4, 3, 2, 1] and t["F"].tolist() == [4, 1, 1, 4, 1]
    assert t["monetary"].tolist() == [10.0, 20.0, 5.0, 5.0, 40.0]
    assert t["segment"].tolist() == ["Champions", "Promising", "About to sleep", "At risk", "Hibernating"]
    seg = rfm_segments(t.reset_index()).set_index("segment")
    assert seg.loc["Champions", ["customers", "revenue"]].tolist() == [1, 30.0]
    assert seg.loc["Champions", "revenue_share"] == pytest.approx(30 / 110)
    assert int(seg["customers"].sum()) == 5 and seg.loc["Loyal customers", "customers"] == 0
    assert segment_of(pd.NA, 3) is None


# ------------------------------------------------------------------------------ health of customers who buy


def _five() -> dict[str, pd.DataFrame]:
    """Five customers, as of 30 Jun 2024 (orders only):
    new: one purchase on 29 Jun (yesterday); old: one purchase on 1 Jan; steady: every 10 days, last 25 Jun;
    late: every 10 days from 1 Mar to 21 Mar, nothing since (101 days: 10x its rhythm); pair: 1 Feb and 1 Jun."""
    rows = [("new", "n1", "2024-06-29", 20.0), ("old", "o1", "2024-01-01", 20.0)]
    rows += [("steady", f"s{i}", str((pd.Timestamp("2024-05-26") + pd.Timedelta(days=10 * i)).date()), 5.0)
             for i in range(4)]
    rows += [("late", f"l{i}", str((pd.Timestamp("2024-03-01") + pd.Timedelta(days=10 * i)).date()), 5.0)
             for i in range(3)]
    rows += [("pair", "p1", "2024-02-01", 9.0), ("pair", "p2", "2024-06-01", 9.0)]
    orders = _orders(rows)
    return {"orders": orders, "accounts": customers_from_orders(orders, dt.date(2024, 6, 30))}


def test_a_one_off_buyer_who_bought_yesterday_is_not_red():
    """Five customers are too few for the purchase model (30 needed), so health rests on overdue = days since
    the last purchase / the customer's own median gap: steady 5/10 = 0.5 (100 points), pair 29/121 = 0.24
    (100), late 101/10 = 10.1 (0 points, red). The one-off buyers new and old have no rhythm of their own:
    no score, so never red. Days since the last order would have put new at 1 day (green) and old at 181
    (red) on a measure they cannot be judged by."""
    port = pf.score_tables(_five(), dt.date(2024, 6, 30))
    assert port.measured.buyers == "purchase_overdue"
    assert [m.column for m in port.scorecard.measures] == ["purchase_overdue"]
    overdue = port.frame["purchase_overdue"]
    assert overdue["steady"] == 0.5 and overdue["late"] == pytest.approx(10.1)
    assert overdue["pair"] == pytest.approx(29 / 121)
    bands = port.scores["health_band"]
    assert pd.isna(bands["new"]) and pd.isna(bands["old"])
    assert (bands["steady"], bands["pair"], bands["late"]) == ("green", "green", "red")
    assert "days_since_last_order" not in [m.column for m in port.scorecard.measures]


def test_with_enough_repeat_buyers_health_rests_on_p_alive_and_a_new_buyer_is_green(shared_data):
    """CDNOW's 1/10 sample (2,357 customers, 1,411 bought again by 30 Jun 1998) fits the model. A one-off buyer
    cannot have dropped out in BG/NBD (P(alive) = 1), so one added the day before the as-of date scores 100."""
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master", "account_id", "date", "cds", "amount"])
    orders = raw.assign(date=pd.to_datetime(raw["date"].astype(str)), account_id=raw["account_id"].astype(str))
    orders = pd.concat([orders, pd.DataFrame({"account_id": ["newbie"], "date": [pd.Timestamp("1998-06-29")],
                                              "amount": [15.0]})], ignore_index=True)[["account_id", "date", "amount"]]
    tables = {"orders": orders, "accounts": customers_from_orders(orders, dt.date(1998, 6, 30))}
    port = pf.score_tables(tables, dt.date(1998, 6, 30))
    assert port.measured.buyers == "p_alive"
    assert [(m.column, m.worst, m.best) for m in port.scorecard.measures] == [("p_alive", 0.0, 1.0)]
    assert port.frame.loc["newbie", "p_alive"] == 1.0 and port.scores.loc["newbie", "health_band"] == "green"
    assert port.frame["p_alive"].between(0, 1).all()


def test_olist_one_off_buyers_are_not_red_right_after_buying(shared_data):
    """Olist's sample: 4,000 per-order customer ids, 3,998 people, 2 of them bought twice. The old starting
    scorecard (days since the last order, orders in 90 days) put 3,249 of 4,000 in the red. Two repeat buyers
    cannot teach the model how often people return, so health rests on each customer's own rhythm, which a
    one-off buyer does not have: 0 of the 275 one-off buyers who bought in the 30 days to the as-of date is red
    (none is scored), and only the 2 people who bought twice (4 ids) have a score at all."""
    olist = shared_data / "olist_sample"
    files = [load_file(n, (olist / n).read_bytes()) for n in
             ("olist_orders_dataset.csv", "olist_customers_dataset.csv", "olist_order_reviews_dataset.csv")]
    tables, _ = combine(files)
    as_of = tables["orders"]["date"].max().date()
    port = pf.score_tables(tables, as_of)
    assert port.measured.buyers == "purchase_overdue"
    m = bu.purchase_measures(tables["orders"], tables["accounts"], as_of)
    assert m.reason.startswith("only 2 customers bought more than once")
    people = tables["accounts"].set_index("account_id")["unique_customer_id"]
    orders = tables["orders"].assign(person=tables["orders"]["account_id"].map(people))
    per = orders.groupby("person")["date"].agg(["count", "max"])
    recent_once = per[(per["count"] == 1) & (per["max"] > pd.Timestamp(as_of) - pd.Timedelta(days=30))].index
    ids = orders.loc[orders["person"].isin(recent_once), "account_id"]
    assert len(ids) == 275
    red = port.scores["health_band"].reindex(ids) == "red"
    assert int(red.sum()) == 0
    assert int((port.scores["health_band"] == "red").sum()) <= 2
    assert int(port.scores["health_score"].notna().sum()) == 4


def test_purchase_measures_give_each_id_its_persons_figures():
    """Ids o1 and o2 are one person u (bought 1 Jan and 11 Jan: rhythm 10 days); as of 21 Jan both ids read
    overdue 10 / 10 = 1.0; o3 is a one-off buyer: blank."""
    o = _orders([("o1", "1", "2024-01-01", 1.0), ("o2", "2", "2024-01-11", 1.0), ("o3", "3", "2024-01-05", 1.0)])
    accounts = pd.DataFrame({"account_id": ["o1", "o2", "o3"], "unique_customer_id": ["u", "u", "v"]})
    m = bu.purchase_measures(o, accounts, "2024-01-21")
    assert m.customer_key == "unique_customer_id"
    assert m.frame["purchase_overdue"].tolist()[:2] == [1.0, 1.0] and np.isnan(m.frame.loc["o3", "purchase_overdue"])


def test_a_subscription_business_keeps_its_starting_scorecard():
    """Orders beside usage are a SaaS with add-on orders, not a shop: no P(alive) in the starting scorecard."""
    assert not bu.is_buyers_portfolio({"accounts", "orders", "usage"}, pd.DataFrame({"account_id": ["a"]}))


# ---------------------------------------------------------------------------------- CDNOW against pandas


@pytest.fixture(scope="module")
def cdnow(shared_data) -> pd.DataFrame:
    """CDNOW_master.txt: a header row, whitespace-separated (customer_id, date YYYYMMDD, number_of_cds,
    dollar_value); no order id, so a purchase is a customer's day."""
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    return pd.DataFrame({"account_id": raw["customer_id"].astype(str),
                         "date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
                         "amount": raw["dollar_value"], "quantity": raw["number_of_cds"]})


def test_cdnow_repeat_purchase_rate_matches_a_plain_count(cdnow):
    """Distinct purchase days per customer, counted with numpy on the raw columns: customers with 2+ days /
    all 23,570 customers."""
    days = np.unique((cdnow["account_id"] + "|" + cdnow["date"].dt.strftime("%Y%m%d")).to_numpy(str))
    ids, counts = np.unique([d.split("|")[0] for d in days], return_counts=True)
    r = repeat_purchase(cdnow, as_of="1998-06-30")
    assert r.customers == len(ids) == 23570
    assert r.repeat_customers == int((counts >= 2).sum())
    assert r.rate == pytest.approx((counts >= 2).mean())
    assert r.purchases == len(days)
    assert r.definition == BY_DAY


def test_cdnow_cohort_repeat_matches_pandas(cdnow):
    """Every customer first bought in Q1 1997 (three cohorts). Cell (cohort c, month k) = share of the cohort's
    customers with a purchase in calendar month c + k; as of 30 Jun 1998 (a month end) June 1998 is observable,
    July is not."""
    m = cohort_repeat(cdnow, None, "1998-06-30")
    month = cdnow["date"].dt.to_period("M")
    first = month.groupby(cdnow["account_id"]).transform("min")
    frame = pd.DataFrame({"id": cdnow["account_id"], "cohort": first, "k": (month - first).apply(lambda d: d.n)})
    size = frame.groupby("cohort")["id"].nunique()
    active = frame.groupby(["cohort", "k"])["id"].nunique()
    assert list(m.index[:-1]) == ["1997-01", "1997-02", "1997-03"]
    for cohort in size.index:
        row = m.loc[str(cohort)]
        last = (pd.Period("1998-06", "M") - cohort).n
        expected = [active.get((cohort, k), 0) / size[cohort] for k in range(last + 1)]
        assert row[list(range(last + 1))].tolist() == pytest.approx(expected)
        assert row[[c for c in m.columns if c != "size" and c > last]].isna().all()
    jan_k1 = active[(pd.Period("1997-01", "M"), 1)] / size[pd.Period("1997-01", "M")]
    assert m.loc["1997-01", 1] == pytest.approx(jan_k1)


def test_cdnow_model_check_counts_holdout_purchases_like_pandas(cdnow):
    """Split at half of 1 Jan 1997 - 30 Jun 1998 (39 weeks: 30 Sep 1997, the paper's calibration end). The actual
    holdout total = distinct (customer, day) from 1 Oct 1997 to 30 Jun 1998 by customers seen by the split (all
    of them: everyone first bought in Q1 1997)."""
    check, reason = bu.model_check(cdnow, None, "1998-06-30")
    assert reason is None and check.reason is None
    assert check.split == pd.Timestamp("1997-09-30")
    later = cdnow[(cdnow["date"] > "1997-09-30") & (cdnow["date"] <= "1998-06-30")]
    assert check.actual_total == len(later[["account_id", "date"]].drop_duplicates())
    assert check.new_customers == 0
    assert check.by_frequency["customers"].sum() == 23570
    assert check.by_week["actual_cumulative"].iloc[-1] == check.actual_total


# ------------------------------------------------------------------------------------------------ the view


def test_buyers_section_without_orders_says_what_to_add():
    assert buyers_part(None, None, "2024-01-01").missing == NO_ORDERS


def test_buyers_section_on_the_five_customers():
    """Tiles: 3 of 5 bought again (steady, late, pair) -> 60.0%; the model is not used (5 customers) and the
    section says so and why; the model check has no room either and says why."""
    t = _five()
    b = buyers_part(t["orders"], t["accounts"], dt.date(2024, 6, 30))
    shown = {s.tile.label: s.tile.shown for s in b.tiles}
    assert shown["Repeat purchase rate"] == "60.0%" and shown["Customers who bought"] == "5"
    alive = next(block for block in b.blocks if block.title.startswith("Still a customer"))
    assert alive.chart is None and "only 5 customers bought" in alive.caption
    assert any(block.title == "RFM segments" and block.table is not None for block in b.blocks)


def test_buyers_section_keeps_no_per_customer_table():
    """The Loyalty page keeps the section in its session memo: 400 customers buying over a year give tiles
    and blocks whose tables and charts are summaries, never a row per customer (a million at size L)."""
    import dataclasses

    rng = np.random.default_rng(4)
    n = 4000
    orders = pd.DataFrame({"account_id": (rng.integers(0, 400, n)).astype(str), "order_id": np.arange(n).astype(str),
                           "date": pd.to_datetime("2023-07-01") + pd.to_timedelta(rng.integers(0, 360, n), unit="D"),
                           "amount": rng.integers(5, 50, n).astype(float)})
    b = buyers_part(orders, None, dt.date(2024, 6, 30))
    assert b.missing is None and len(b.blocks) >= 4
    frames = [f for block in b.blocks for f in (block.table, *(block.chart.data if block.chart is not None and
              isinstance(block.chart.data, pd.DataFrame) else None,)) if isinstance(f, pd.DataFrame)]
    assert frames and all(len(f) < 100 for f in frames)
    assert [f.name for f in dataclasses.fields(b)] == ["tiles", "blocks", "missing", "repeat", "check"]


def _purchases_by_object_key(orders, as_of=None):
    """read.buyers.purchases as written before it grouped by the order id's codes: the ids as Python objects,
    every row put together before the rows after as_of were left out."""
    at = pd.to_datetime(orders["date"], errors="coerce")
    day = at.dt.normalize()
    by_order = "order_id" in orders.columns and orders["order_id"].notna().any()
    number = {c: pd.to_numeric(orders[c], errors="coerce").astype(float) if c in orders.columns
              else pd.Series(np.nan, index=orders.index) for c in ("amount", "quantity")}
    frame = pd.DataFrame({"customer": orders["account_id"], "day": day, "at": at,
                          "key": orders["order_id"].astype(object) if by_order else day, **number})
    keep = frame["customer"].notna() & frame["day"].notna() & frame["key"].notna()
    if as_of is not None:
        keep &= frame["day"] <= pd.Timestamp(as_of).normalize()
    frame = frame[keep].assign(blank=lambda f: f["amount"].isna())
    out = frame.groupby(["customer", "key"], sort=False).agg(
        day=("day", "min"), at=("at", "min"), amount=("amount", "sum"), blank=("blank", "any"),
        quantity=("quantity", "sum"), quantities=("quantity", "count")).reset_index()
    out.loc[out["blank"], "amount"] = np.nan
    out.loc[out["quantities"] == 0, "quantity"] = np.nan
    return out.sort_values(["customer", "at"], kind="stable")[["customer", "day", "at", "amount", "quantity"]] \
        .reset_index(drop=True)


@pytest.mark.parametrize("ids", ["str", object, None])
def test_purchases_grouped_by_order_id_codes_equal_grouping_by_the_ids(ids):
    """3,000 order lines (orders of several lines, lines on the same stamp, blank customers, ids, dates and
    amounts, lines after the as-of day; without order ids a purchase is a customer's day): the purchases are
    those grouping by the ids as objects gives, row for row."""
    rng = np.random.default_rng(8)
    n = 3000
    order = rng.integers(0, 1200, n)
    orders = pd.DataFrame({
        "account_id": pd.Series(np.where(rng.random(n) < 0.02, None, (order % 300).astype(str)), dtype=object),
        "order_id": pd.Series(np.where(rng.random(n) < 0.02, None, order.astype(str)), dtype=ids or object),
        "date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 400 * 24, n) // 6 * 6, unit="h"),
        "amount": np.where(rng.random(n) < 0.05, np.nan, rng.integers(1, 90, n).astype(float)),
        "quantity": np.where(rng.random(n) < 0.3, np.nan, 1.0)})
    orders.loc[rng.random(n) < 0.01, "date"] = pd.NaT
    if ids is None:
        orders = orders.drop(columns="order_id")
    for as_of in (None, dt.date(2024, 9, 30)):
        pd.testing.assert_frame_equal(purchases(orders, as_of), _purchases_by_object_key(orders, as_of))


@pytest.mark.parametrize("kind", ["str", "string[pyarrow]", "string[python]", object])
def test_first_seen_codes_are_factorize_codes(kind):
    """Order ids numbered by sorting (Arrow text) or by pd.factorize (the rest) get factorize's codes: each
    distinct id numbered where it first appears; empty, blank-looking, accented and NUL-holding ids included."""
    from cs_logic.read.buyers import first_seen_codes

    rng = np.random.default_rng(6)
    for n in (0, 1, 2, 9, 5000):
        ids = pd.Series(rng.choice([f"o{i}" for i in range(max(n // 3, 1))] + ["", " ", "é", "e\u0301", "a\x00b"], n),
                        dtype=kind)
        assert first_seen_codes(ids).tolist() == pd.factorize(ids)[0].tolist()

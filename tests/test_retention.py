"""Retention: hand-worked churn, MRR, cohort, survival, repeat purchase and owner cases, plus real exports."""

from __future__ import annotations

import csv
import datetime as dt
import math
import statistics
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.charts.loyalty import cohort_heatmap, mrr_movements_chart, owner_funnel_chart, survival_chart
from cs_logic.metrics.owner_churn import churn_by_owner
from cs_logic.metrics.repeat import repeat_purchase
from cs_logic.metrics.retention import (
    ALL_COHORTS,
    DAYS_PER_MONTH,
    churn_flags,
    churn_share,
    cohort_matrix,
    logo_churn,
    mrr_at,
    mrr_movements,
    revenue_retention,
    summary_accounts,
)
from cs_logic.metrics.survival import kaplan_meier, median_lifetime, survival_by

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RAVENSTACK_SUBS = DATA / "saas_usage" / "ravenstack_subscriptions.csv"
OLIST = DATA / "olist_sample"

T = pd.Timestamp


def _dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def _subs(rows: list[tuple[str, str, str | None, float]]) -> pd.DataFrame:
    ids, starts, ends, mrr = zip(*rows)
    return pd.DataFrame({"account_id": ids, "start_date": _dates(*starts), "end_date": _dates(*ends),
                         "mrr": list(mrr)})


# ------------------------------------------------------------------------------------------- churn


def test_churn_flags_use_end_date_before_flag_and_say_which_rule() -> None:
    """End 2024-01-31 <= as-of 2024-06-30 -> churned; end 2024-09-01 is after as-of -> not yet churned even
    though flagged; no end date -> the flag decides."""
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"],
                             "end_date": _dates("2024-01-31", "2024-09-01", None),
                             "churned": pd.array([False, True, True], dtype="boolean")})
    out = churn_flags(accounts, "2024-06-30")
    assert out["churned"].tolist() == [True, False, True]
    assert out["rule"].tolist() == ["end_date <= as_of", "end_date <= as_of", "churned flag"]


def test_churn_share_is_named_share_of_accounts_churned_when_only_a_flag_exists() -> None:
    """1 of 4 flagged (one unknown left out) -> 1 / 3."""
    share = churn_share(pd.DataFrame({"churned": pd.array([True, False, False, None], dtype="boolean")}))
    assert share.label == "share of accounts churned"
    assert (share.numerator, share.denominator) == (1, 3)
    assert share.value == pytest.approx(1 / 3)


def test_summary_accounts_counts_churn_by_as_of() -> None:
    """Ends 2024-01-10 and 2024-05-01; as of 2024-03-01 only the first has churned: 1 of 3."""
    accounts = pd.DataFrame({"end_date": _dates("2024-01-10", "2024-05-01", None)})
    expected = {"count": 3, "churned": 1, "churn_share": pytest.approx(1 / 3)}
    assert summary_accounts(accounts, "2024-03-01") == expected


def test_logo_churn_excludes_joiners_from_the_denominator() -> None:
    """January 2024. Active on 1 Jan: A, B, C (3). Joined in January: D (left 25 Jan) and E (2).
    Left in January from the start group: B (1) -> logo churn 1/3, not 2/5 or 1/5.
    Active on 31 Jan: A, C, E (3) -> customer retention (3 - 2) / 3 = 1/3 (METRICS.md formula; D counts
    against it because it joined and left inside the month).
    """
    accounts = pd.DataFrame({
        "account_id": list("ABCDE"),
        "start_date": _dates("2023-12-01", "2023-12-15", "2023-11-01", "2024-01-05", "2024-01-10"),
        "end_date": _dates(None, "2024-01-20", "2024-02-10", "2024-01-25", None),
    })
    jan = logo_churn(accounts, "2024-01-31").set_index("period").loc[T("2024-01-01")]
    counts = [jan[c] for c in ("active_start", "new", "churned", "churned_new", "active_end")]
    assert counts == [3, 2, 1, 1, 3]
    assert jan["logo_churn_rate"] == pytest.approx(1 / 3)
    assert jan["customer_retention_rate"] == pytest.approx(1 / 3)
    assert bool(jan["complete"])


def test_logo_churn_marks_the_period_containing_as_of_incomplete() -> None:
    """As of 15 Feb, February is counted to the 15th only."""
    accounts = pd.DataFrame({"start_date": _dates("2024-01-05"), "end_date": _dates(None)})
    out = logo_churn(accounts, "2024-02-15")
    assert out["complete"].tolist() == [True, False]
    assert out["period_end"].iloc[-1] == T("2024-02-15")


def test_logo_churn_without_dates_says_to_use_churn_share() -> None:
    """A flag-only export has no periods: a clear error, not a wrong rate."""
    with pytest.raises(ValueError, match="churn_share"):
        logo_churn(pd.DataFrame({"churned": [True]}), "2024-01-01")


# --------------------------------------------------------------------------------------------- MRR


def _february_book() -> pd.DataFrame:
    """MRR on 31 Jan: a 100, b 200, c 100 (d left 20 Dec) = 400.  On 29 Feb: a 100 + 50 (expansion 50),
    b 0 (churned 200), c 60 (contraction 40), d 90 (reactivation: paid on 30 Nov), e 70 (new) = 370."""
    return _subs([
        ("a", "2023-12-01", None, 100.0), ("a", "2024-02-10", None, 50.0),
        ("b", "2023-12-01", "2024-02-15", 200.0),
        ("c", "2023-12-01", "2024-02-01", 100.0), ("c", "2024-02-01", None, 60.0),
        ("d", "2023-11-01", "2023-12-20", 80.0), ("d", "2024-02-05", None, 90.0),
        ("e", "2024-02-20", None, 70.0),
    ])


def test_mrr_movements_split_a_month_into_the_standard_movements() -> None:
    """February (see _february_book): start 400, new 70, expansion 50, contraction 40, churned 200,
    reactivation 90, end 370 (400 + 70 + 90 + 50 - 40 - 200).
    GRR = (400 - 40 - 200) / 400 = 0.4; NRR = (400 + 50 - 40 - 200) / 400 = 0.525."""
    feb = mrr_movements(_february_book(), "2024-02-29").set_index("period").loc[T("2024-02-01")]
    cols = ("start_mrr", "new", "expansion", "contraction", "churned", "reactivation", "end_mrr")
    got = [feb[c] for c in cols]
    assert got == [400.0, 70.0, 50.0, 40.0, 200.0, 90.0, 370.0]
    assert feb["grr"] == pytest.approx(0.4)
    assert feb["nrr"] == pytest.approx(0.525)


def test_grr_is_never_above_100_percent_when_a_month_has_only_expansion() -> None:
    """a pays 100 from December and adds 50 on 10 Feb; x joins at 1000 in February.
    February: GRR = (100 - 0 - 0) / 100 = 1.0, NRR = (100 + 50) / 100 = 1.5; the new 1000 is in neither."""
    subs = _subs([("a", "2023-12-01", None, 100.0), ("a", "2024-02-10", None, 50.0),
                  ("x", "2024-02-03", None, 1000.0)])
    out = mrr_movements(subs, "2024-02-29")
    feb = out.set_index("period").loc[T("2024-02-01")]
    assert (feb["grr"], feb["nrr"], feb["new"]) == (1.0, 1.5, 1000.0)
    assert (out["grr"].dropna() <= 1.0).all()


def test_mrr_on_a_day_excludes_a_subscription_ending_that_day() -> None:
    """Active on D when start <= D and (no end or end > D): the end date is the first day without it."""
    subs = _subs([("a", "2024-01-01", "2024-01-31", 10.0), ("a", "2024-01-15", None, 5.0)])
    assert mrr_at(subs, ["2024-01-30", "2024-01-31"]).loc["a"].tolist() == [15.0, 5.0]


def test_revenue_retention_over_a_window_matches_the_month_hand_case() -> None:
    """The February window: GRR 0.4, NRR 0.525 over a, b, c (d and e had no MRR on 31 Jan); their end MRR
    is 150 + 0 + 60 = 210."""
    r = revenue_retention(_february_book(), "2024-02-01", "2024-02-29")
    assert (r.accounts, r.start_mrr, r.end_mrr) == (3, 400.0, 210.0)
    assert (r.grr, r.nrr) == (pytest.approx(0.4), pytest.approx(0.525))


def test_revenue_retention_is_none_when_nobody_paid_at_the_start() -> None:
    """No MRR on the day before the window -> no ratio rather than a division by zero."""
    r = revenue_retention(_subs([("a", "2024-03-01", None, 10.0)]), "2024-01-01", "2024-12-31")
    assert (r.grr, r.nrr, r.start_mrr) == (None, None, 0.0)


@pytest.mark.skipif(not RAVENSTACK_SUBS.exists(), reason="../shared/data/saas_usage is absent")
def test_real_ravenstack_grr_and_nrr_for_2024_match_a_plain_loop() -> None:
    """Calendar 2024: MRR at the close of 2023-12-31 and of 2024-12-31, per account, summed from the CSV
    rows with plain loops (active on D: start <= D and (no end or end > D)); only accounts paying on
    2023-12-31 count. GRR = sum(min(start, end)) / sum(start), NRR = sum(end) / sum(start)."""
    d0, d1 = dt.date(2023, 12, 31), dt.date(2024, 12, 31)
    start: dict[str, float] = defaultdict(float)
    end: dict[str, float] = defaultdict(float)
    with RAVENSTACK_SUBS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            s = dt.date.fromisoformat(row["start_date"])
            e = dt.date.fromisoformat(row["end_date"]) if row["end_date"] else None
            for day, book in ((d0, start), (d1, end)):
                if s <= day and (e is None or e > day):
                    book[row["account_id"]] += float(row["mrr_amount"])
    paying = [a for a, v in start.items() if v > 0]
    total = sum(start[a] for a in paying)
    grr = sum(min(start[a], end.get(a, 0.0)) for a in paying) / total
    nrr = sum(end.get(a, 0.0) for a in paying) / total

    subs = pd.read_csv(RAVENSTACK_SUBS, parse_dates=["start_date", "end_date"])
    subs = subs.rename(columns={"mrr_amount": "mrr"})
    r = revenue_retention(subs, "2024-01-01", "2024-12-31")
    assert r.accounts == len(paying)
    assert r.grr == pytest.approx(grr) and r.nrr == pytest.approx(nrr)
    assert r.grr <= 1.0
    year = mrr_movements(subs, "2024-12-31", freq="Y").set_index("period").loc[T("2024-01-01")]
    assert year["grr"] == pytest.approx(grr) and year["nrr"] == pytest.approx(nrr)
    assert year["end_mrr"] == pytest.approx(sum(end.values()))


# ------------------------------------------------------------------------------------------ cohorts


def test_cohort_cells_not_yet_observable_are_nan_and_all_cohorts_is_size_weighted() -> None:
    """As of 2024-03-15. January cohort a, b, c, d: a left 20 Jan, b left 10 Feb.
    Active on 1 Feb: b, c, d = 3/4; on 1 Mar: c, d = 2/4.  February cohort e, left 25 Feb: 0/1 on 1 Mar;
    April has not begun -> its month 2 is NaN, not 0.
    All cohorts: month 1 = (3 + 0) / (4 + 1) = 0.6 (the unweighted mean would be 0.375); month 2 = 2/4
    (only January can see it)."""
    accounts = pd.DataFrame({
        "account_id": list("abcde"),
        "start_date": _dates("2024-01-03", "2024-01-09", "2024-01-15", "2024-01-30", "2024-02-02"),
        "end_date": _dates("2024-01-20", "2024-02-10", None, None, "2024-02-25"),
    })
    m = cohort_matrix(accounts, "2024-03-15")
    assert list(m.columns) == ["size", 0, 1, 2]
    assert m.loc["2024-01", [0, 1, 2]].tolist() == [1.0, 0.75, 0.5]
    assert m.loc["2024-02", [0, 1]].tolist() == [1.0, 0.0]
    assert math.isnan(m.loc["2024-02", 2])
    assert m.loc[ALL_COHORTS, [0, 1, 2]].tolist() == pytest.approx([1.0, 0.6, 0.5])
    assert m.loc[ALL_COHORTS, "size"] == 5.0


def test_order_cohorts_count_customers_who_ordered_in_each_complete_month() -> None:
    """x orders Jan and Mar, y Jan, z twice in Feb. As of 15 Mar, March is unfinished -> NaN;
    January cohort month 1 (Feb): 0/2. As of 31 Mar, January month 2 = 1/2 (x), February month 1 = 0/1."""
    orders = pd.DataFrame({"account_id": list("xxyzz"),
                           "date": _dates("2024-01-05", "2024-03-02", "2024-01-20",
                                          "2024-02-01", "2024-02-20")})
    mid = cohort_matrix(orders, "2024-03-15", order_date_col="date")
    assert mid.loc["2024-01", [0, 1]].tolist() == [1.0, 0.0]
    assert math.isnan(mid.loc["2024-01", 2]) and math.isnan(mid.loc["2024-02", 1])
    end = cohort_matrix(orders, "2024-03-31", order_date_col="date")
    assert end.loc["2024-01", 2] == 0.5 and end.loc["2024-02", 1] == 0.0
    assert end.loc[ALL_COHORTS, 1] == pytest.approx(0 / 3)


def test_revenue_cohorts_weigh_by_revenue_still_active() -> None:
    """January cohort: a (revenue 300, left 10 Feb) and b (100, active): on 1 Mar 100 / 400 = 0.25."""
    accounts = pd.DataFrame({"account_id": ["a", "b"], "start_date": _dates("2024-01-03", "2024-01-09"),
                             "end_date": _dates("2024-02-10", None), "revenue": [300.0, 100.0]})
    m = cohort_matrix(accounts, "2024-03-15", by="revenue")
    assert m.loc["2024-01", [0, 1, 2]].tolist() == [1.0, 1.0, 0.25]


# ----------------------------------------------------------------------------------------- survival


def test_kaplan_meier_matches_a_hand_computed_table() -> None:
    """durations [1, 2, 2, 3, 4], events [1, 1, 0, 1, 0]:
    t=1: at risk 5, 1 event -> S = 4/5 = 0.8
    t=2: at risk 4, 1 event, 1 censored -> S = 0.8 * 3/4 = 0.6
    t=3: at risk 2, 1 event -> S = 0.6 * 1/2 = 0.3
    t=4: at risk 1, 0 events, 1 censored -> S = 0.3.  Median lifetime = 3 (first S <= 0.5)."""
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    assert km["t"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert km["n_at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert km["events"].tolist() == [0, 1, 1, 1, 0]
    assert km["censored"].tolist() == [0, 0, 1, 0, 1]
    assert km["survival"].tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3])
    assert median_lifetime(km) == 3.0


def test_median_lifetime_is_none_when_survival_never_reaches_half() -> None:
    """One churn in four: S falls to 0.75 only."""
    assert median_lifetime(kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0])) is None


def test_survival_censors_active_accounts_at_as_of() -> None:
    """Start 1 Jan 2024; a leaves 31 Jan (30 days = 30/30.4375 months, event); b has no end and c ends
    after the as-of date 1 Mar: both censored at 60 days. S = 1 - 1/3 = 2/3 from 0.9856 months on."""
    accounts = pd.DataFrame({"start_date": _dates("2024-01-01", "2024-01-01", "2024-01-01"),
                             "end_date": _dates("2024-01-31", None, "2024-06-01"), "plan": ["p", "p", "p"]})
    curve = survival_by(accounts, "plan", "2024-03-01")
    assert curve["group"].unique().tolist() == ["p"]
    assert curve["t"].tolist() == pytest.approx([0.0, 30 / DAYS_PER_MONTH, 60 / DAYS_PER_MONTH])
    assert curve["events"].tolist() == [0, 1, 0] and curve["censored"].tolist() == [0, 0, 2]
    assert curve["survival"].tolist() == pytest.approx([1.0, 2 / 3, 2 / 3])


# ---------------------------------------------------------------------------------- repeat purchase


def test_repeat_purchase_on_a_tiny_table() -> None:
    """a: orders 1 (1 Jan) and 2 (11 Jan, two lines); b: order 3; c: orders 4 (1 Feb) and 5 (2 Mar 2024).
    Customers 3, with 2+ orders 2 -> 2/3. Gaps: a 10 days, c 30 days (29-day February) -> median 20."""
    orders = pd.DataFrame({"account_id": list("aaabcc"), "order_id": ["1", "2", "2", "3", "4", "5"],
                           "date": _dates("2024-01-01", "2024-01-11", "2024-01-11", "2024-01-05",
                                          "2024-02-01", "2024-03-02")})
    r = repeat_purchase(orders)
    assert (r.customers, r.repeat_customers) == (3, 2)
    assert r.rate == pytest.approx(2 / 3)
    assert r.median_days_between == 20.0


def test_repeat_purchase_counts_people_through_unique_customer_id() -> None:
    """Per-order ids o1 and o2 are the same person u1 -> 2 people, 1 repeat buyer (not 0 of 3)."""
    orders = pd.DataFrame({"account_id": ["o1", "o2", "o3"], "order_id": ["1", "2", "3"],
                           "date": _dates("2024-01-01", "2024-01-04", "2024-01-02")})
    customers = pd.DataFrame({"account_id": ["o1", "o2", "o3"], "unique_customer_id": ["u1", "u1", "u2"]})
    r = repeat_purchase(orders, customers)
    got = (r.customers, r.repeat_customers, r.customer_key, r.median_days_between)
    assert got == (2, 1, "unique_customer_id", 3.0)


@pytest.mark.skipif(not OLIST.exists(), reason="../shared/data/olist_sample is absent")
def test_real_olist_repeat_purchase_through_customer_unique_id_matches_a_plain_count() -> None:
    """orders.customer_id -> customers.customer_unique_id, then people with 2+ orders, counted with the csv
    module (SOURCE.txt: 3,998 people, 2 repeat buyers)."""
    with (OLIST / "olist_customers_dataset.csv").open(newline="", encoding="utf-8") as fh:
        person = {r["customer_id"]: r["customer_unique_id"] for r in csv.DictReader(fh)}
    when: dict[str, list[dt.datetime]] = defaultdict(list)
    with (OLIST / "olist_orders_dataset.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            when[person[r["customer_id"]]].append(dt.datetime.fromisoformat(r["order_purchase_timestamp"]))
    repeaters = [p for p, ts in when.items() if len(ts) >= 2]
    gaps = []
    for p in repeaters:
        ts = sorted(when[p])
        gaps += [(b - a).total_seconds() / 86400 for a, b in pairwise(ts)]

    orders = pd.read_csv(OLIST / "olist_orders_dataset.csv", parse_dates=["order_purchase_timestamp"]).rename(
        columns={"customer_id": "account_id", "order_purchase_timestamp": "date"})
    customers = pd.read_csv(OLIST / "olist_customers_dataset.csv", dtype=str).rename(
        columns={"customer_id": "account_id", "customer_unique_id": "unique_customer_id"})
    r = repeat_purchase(orders, customers)
    assert (r.customers, r.repeat_customers) == (len(when), len(repeaters)) == (3998, 2)
    assert r.rate == pytest.approx(2 / 3998)
    assert r.median_days_between == pytest.approx(statistics.median(gaps))
    assert r.unmapped_orders == 0


# ------------------------------------------------------------------------------------ churn per owner


def test_churn_by_owner_flags_only_owners_outside_the_funnel_limits() -> None:
    """x: 10 accounts, 2 churned; y: 10, 8; z: 20, 4 -> overall p = 14/40 = 0.35.
    n = 10: 0.35 -+ 1.96 * sqrt(0.35 * 0.65 / 10) = 0.35 -+ 0.295629 -> x (0.2) within, y (0.8) above.
    n = 20: 0.35 -+ 0.209042 = (0.140958, 0.559042) -> z (0.2) within. Revenue 10 each: lost 20, 80, 40."""
    owners = ["x"] * 10 + ["y"] * 10 + ["z"] * 20
    churned = [True] * 2 + [False] * 8 + [True] * 8 + [False] * 2 + [True] * 4 + [False] * 16
    accounts = pd.DataFrame({"owner": owners, "churned": churned, "revenue": 10.0})
    result = churn_by_owner(accounts)
    t = result.table.set_index("owner")
    assert result.overall_share == pytest.approx(0.35)
    assert t["flag"].to_dict() == {"x": "within limits", "y": "above limits", "z": "within limits"}
    assert t.loc["y", "limit_low"] == pytest.approx(0.054371, abs=1e-6)
    assert t.loc["z", "limit_high"] == pytest.approx(0.559042, abs=1e-6)
    assert t["revenue_churned"].tolist() == [20.0, 80.0, 40.0]
    assert len(result.limits) == 20 and result.limits["n"].tolist()[:2] == [1, 2]


def test_small_book_is_not_blamed_for_chance() -> None:
    """x: 2 of 4 churned (50%, 2.5x the average) beside y: 18 of 96 -> p = 20/100 = 0.2; limits at n = 4:
    0.2 -+ 1.96 * sqrt(0.16 / 4) = 0.2 -+ 0.392 -> (0, 0.592): x is within."""
    accounts = pd.DataFrame({"owner": ["x"] * 4 + ["y"] * 96,
                             "churned": [True, True, False, False] + [True] * 18 + [False] * 78})
    t = churn_by_owner(accounts).table.set_index("owner")
    assert t.loc["x", "flag"] == "within limits"
    assert t.loc["x", "limit_high"] == pytest.approx(0.592)


def test_churn_by_owner_needs_an_owner_column() -> None:
    """No owner column -> a clear message."""
    with pytest.raises(ValueError, match="owner"):
        churn_by_owner(pd.DataFrame({"churned": [True]}))


# ------------------------------------------------------------------------------------------- charts


def test_cohort_heatmap_leaves_unobservable_cells_blank() -> None:
    """NaN cells get no rectangle (no data row), so they show blank instead of a 0% colour."""
    m = pd.DataFrame({"size": [2.0, 1.0, 3.0], 0: [1.0, 1.0, 1.0], 1: [0.5, np.nan, 0.5]},
                     index=pd.Index(["2024-01", "2024-02", ALL_COHORTS], name="cohort"))
    chart = cohort_heatmap(m)
    assert len(chart.data) == 5 and chart.data["share"].notna().all()
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "rect" and spec["encoding"]["color"]["type"] == "quantitative"


def test_survival_chart_draws_step_curves_per_group() -> None:
    """Step-after lines coloured by group, survival on a 0..1 axis."""
    accounts = pd.DataFrame({"tenure": [1, 2, 3], "churned": [True, False, True], "plan": ["a", "a", "b"]})
    spec = survival_chart(survival_by(accounts, "plan", "2024-01-01")).to_dict()
    assert spec["mark"]["interpolate"] == "step-after"
    assert spec["encoding"]["color"]["field"] == "group"


def test_funnel_chart_has_limit_lines_and_owner_points() -> None:
    """Three layers: the three limit lines (long rows), one point per owner with its flag, and the owners' names."""
    result = churn_by_owner(pd.DataFrame({"owner": ["x", "x", "y"], "churned": [True, False, False]}))
    spec = owner_funnel_chart(result).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "circle", "text"]
    assert sorted(spec["layer"][2]["transform"][0]["filter"]["oneOf"]) == ["x", "y"]
    assert spec["layer"][1]["encoding"]["color"]["field"] == "flag"


def test_mrr_chart_draws_losses_below_zero() -> None:
    """Contraction 40 and churn 200 of the February case are drawn as -40 and -200."""
    data = mrr_movements_chart(mrr_movements(_february_book(), "2024-02-29")).data
    feb = data[data["period"] == T("2024-02-01")].set_index("movement")["amount"]
    assert (feb["contraction"], feb["churned"], feb["expansion"]) == (-40.0, -200.0, 50.0)


def test_customers_from_a_subscriptions_export_churn_when_every_subscription_ended():
    """As of 2024-06-30. a: two subscriptions, one ended 2024-02-01, one live -> not churned. b: ended
    2024-03-01 -> churned. c: asked to cancel (cancel date 2024-06-10) but no end date and status active ->
    not churned. d: status 'cancelled', no end date -> churned. e: ends 2024-07-31, after the as-of date ->
    not yet. Churned b, d: 2 of 5 = 0.4."""
    from cs_logic.metrics.retention import accounts_from_subscriptions, summary_accounts
    subs = pd.DataFrame({
        "subscription_id": ["s1", "s2", "s3", "s4", "s5", "s6"], "account_id": ["a", "a", "b", "c", "d", "e"],
        "end_date": pd.to_datetime(["2024-02-01", None, "2024-03-01", None, None, "2024-07-31"]),
        "churned": pd.array([True, False, True, False, True, True], dtype="boolean")})
    customers = accounts_from_subscriptions(subs, "2024-06-30")
    assert customers.set_index("account_id")["churned"].to_dict() == {
        "a": False, "b": True, "c": False, "d": True, "e": False}
    assert summary_accounts(customers, "2024-06-30") == {"count": 5, "churned": 2, "churn_share": 0.4}

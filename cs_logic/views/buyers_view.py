"""What the Loyalty page's "Customers who buy" section shows: repeat purchase, RFM, P(alive) and the model's check."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from cs_logic.charts import buyers as charts
from cs_logic.charts.loyalty import cohort_heatmap
from cs_logic.metrics import buyers as bu
from cs_logic.metrics.purchase import HoldoutCheck, PurchaseModel
from cs_logic.metrics.repeat import RepeatPurchase, cohort_repeat, gap_distribution, repeat_purchase
from cs_logic.metrics.rfm import rfm_segments, rfm_table
from cs_logic.views.loyalty_view import Shown, Tile

NO_ORDERS = ("Add an orders export (one row per order: customer and date; amount optional) to see repeat purchase, "
             "RFM segments and the purchase model.")
NO_AS_OF = "Pick an as-of date above: repeat purchase and the purchase model count purchases up to it."
COHORT_MONTHS = 24
MODEL_RESTS_ON = ("It rests on two assumptions: while a customer is still a customer they buy at a steady rate of "
                  "their own (rates vary between customers as a gamma distribution), and after each purchase they "
                  "may leave for good with a probability of their own (a beta distribution). A one-off buyer "
                  "cannot have left yet in this model, so their P(alive) is 1.")


@dataclass(frozen=True, eq=False)
class Block:
    """One part of the section: a title, a chart or a table (or neither, when its caption says why not), the
    caption (definition, n, what it rests on) and whether it opens unfolded."""

    title: str
    caption: str
    chart: alt.Chart | alt.LayerChart | None = None
    table: pd.DataFrame | None = None
    open: bool = False


@dataclass(frozen=True, eq=False)
class Buyers:
    """The section: headline tiles, its blocks in page order, and ``missing`` (what to add) when it cannot show
    anything. ``repeat`` and ``check`` are the figures behind it. The per-customer tables the blocks are drawn
    from (RFM, the purchase model's measures: a million rows each at size L) are not kept: the page keeps
    this record in its session memo and draws only the blocks."""

    tiles: tuple[Shown, ...]
    blocks: tuple[Block, ...]
    missing: str | None = None
    repeat: RepeatPurchase | None = None
    check: HoldoutCheck | None = None


def buyers_part(orders: pd.DataFrame | None, accounts: pd.DataFrame | None, as_of: Any) -> Buyers:
    """Everything "Customers who buy" shows, over the purchases up to ``as_of``.

    >>> buyers_part(None, None, "2024-01-01").missing == NO_ORDERS
    True
    >>> o = pd.DataFrame({"account_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05"])})
    >>> [(s.tile.label, s.tile.shown) for s in buyers_part(o, None, "2024-01-31").tiles][:2]
    [('Repeat purchase rate', '50.0%'), ('Customers who bought', '2')]
    """
    if orders is None or not {"account_id", "date"} <= set(orders.columns):
        return Buyers((), (), NO_ORDERS)
    if as_of is None:
        return Buyers((), (), NO_AS_OF)
    r = repeat_purchase(orders, accounts, as_of=as_of)
    table = rfm_table(orders, as_of, accounts)
    measures = bu.purchase_measures(orders, accounts, as_of)
    check, check_reason = bu.model_check(orders, accounts, as_of)
    blocks = (_gaps_block(orders, accounts, as_of, r), _cohort_block(orders, accounts, as_of),
              _rfm_block(table), _alive_block(measures), *_check_blocks(check, check_reason))
    return Buyers(repeat_tiles(r), blocks, None, r, check)


def repeat_tiles(r: RepeatPurchase) -> tuple[Shown, ...]:
    """Repeat purchase rate, customers, median days between purchases and to the second one, as drawn tiles.

    >>> [s.tile.shown for s in repeat_tiles(RepeatPurchase(4, 1, 0.25, None, "account_id", 0, "x", 5, None))]
    ['25.0%', '4', '–', '–']
    """
    who = "people (unique_customer_id)" if r.customer_key == "unique_customer_id" else "customers"
    tiles = (
        Tile(None, "Repeat purchase rate", None if r.rate is None else 100 * r.rate, _pct(r.rate),
             f"{r.repeat_customers:,} of {r.customers:,} {who} bought more than once",
             f"Customers with 2 or more purchases / customers with at least 1, up to the as-of date; {r.definition}.",
             r.customers),
        Tile(None, "Customers who bought", r.customers, f"{r.customers:,}", f"{r.purchases:,} purchases",
             f"Distinct {who} with a purchase up to the as-of date."),
        Tile(None, "Median days between purchases", r.median_days_between, _days(r.median_days_between),
             "over every repeat purchase", "Median time from a purchase to the same customer's next one."),
        Tile(None, "Median days to the second purchase", r.median_days_to_second, _days(r.median_days_to_second),
             "over repeat buyers", "Median time from a customer's first purchase to their second."),
    )
    return tuple(Shown(t, None, "normal") for t in tiles)


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f}%"


def _days(days: float | None) -> str:
    return "–" if days is None else f"{days:,.0f}"


def _gaps_block(orders: pd.DataFrame, accounts: pd.DataFrame | None, as_of: Any, r: RepeatPurchase) -> Block:
    gaps = gap_distribution(orders, accounts, as_of)
    caption = (f"Each repeat purchase by the days since the same customer's purchase before ({int(gaps['purchases'].sum()):,} "
               f"repeat purchases). A purchase: {r.definition}.")
    return Block("Time between purchases", caption, charts.gaps_chart(gaps), open=True)


def _cohort_block(orders: pd.DataFrame, accounts: pd.DataFrame | None, as_of: Any) -> Block:
    matrix = cohort_repeat(orders, accounts, as_of, COHORT_MONTHS)
    caption = (f"Row = month of a customer's first purchase (the last {COHORT_MONTHS} months); cell = share of that "
               "cohort who bought in each later month (month 0 is the first purchase itself). Blank cells cannot "
               "be observed yet (the month has not ended by the as-of date). “All cohorts” is weighted by cohort size.")
    chart = cohort_heatmap(matrix, title="Share of each first-purchase cohort who bought again, by month")
    return Block("Cohort repeat purchase", caption, chart)


def _rfm_block(table: pd.DataFrame) -> Block:
    segments = rfm_segments(table)
    caption = ("Recency = days from the last purchase to the as-of date; frequency = purchases; monetary = mean "
               "spend per purchase. Each is scored 1-5 by quintile within the customers (5 = best; ties share a "
               "score: 1 + floor(5 × customers scoring worse / customers)); segments follow the R and F scores by "
               "the rule shown." + ("" if segments["revenue"].notna().any() else
                                    " Revenue is unknown: the orders have no amount (or a blank one)."))
    shown = segments.assign(share=lambda d: (100 * d["share"]).round(1),
                            revenue_share=lambda d: (100 * d["revenue_share"]).round(1))
    return Block("RFM segments", caption, table=shown.rename(columns={
        "segment": "Segment", "rule": "Rule", "customers": "Customers", "share": "% of customers",
        "revenue": "Revenue", "revenue_share": "% of revenue"}))


def _alive_block(measures: bu.BuyerMeasures) -> Block:
    model = measures.model
    if measures.reason is not None:
        return Block("Still a customer? P(alive)", (
            f"The purchase model is not used: {measures.reason}. Health for these customers starts instead from "
            "days since the last purchase / their own median days between purchases (blank for a one-off buyer)."))
    per = model.customers
    return Block("Still a customer? P(alive)", model_caption(model),
                 charts.alive_chart(alive_histogram(per["p_alive"])))


def alive_histogram(p_alive: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Customers per P(alive) band of width 1/``bins`` (the last band includes 1.0); blanks left out.

    >>> alive_histogram(pd.Series([0.05, 0.5, 1.0, None]), bins=2)[["band", "customers"]].values.tolist()
    [['0.0-0.5', 1], ['0.5-1.0', 2]]
    """
    x = pd.to_numeric(p_alive, errors="coerce").dropna().clip(0, 1).to_numpy(float)
    edges = np.linspace(0, 1, bins + 1)
    counts, _ = np.histogram(x, edges)
    return pd.DataFrame({"band": [f"{lo:.1f}-{hi:.1f}" for lo, hi in pairwise(edges)],
                         "low": edges[:-1], "customers": counts.astype(int)})


def model_caption(model: PurchaseModel) -> str:
    """The fit in words: the parameters, n, what a purchase is, what it predicts, and what it rests on."""
    p = model.params
    assert p is not None  # only called for a fitted model
    per = model.customers
    ahead = float(np.nansum(per["expected_purchases"]))
    text = (f"BG/NBD (Fader, Hardie & Lee 2005) fitted by maximum likelihood on {p.customers:,} customers' purchases "
            f"up to {model.as_of:%d %b %Y}, one purchase per customer and day, time in weeks: r = {p.r:.3g}, "
            f"alpha = {p.alpha:.3g}, a = {p.a:.3g}, b = {p.b:.3g} (log-likelihood {p.log_likelihood:,.1f}). "
            f"{int((per['p_alive'] >= 0.5).sum()):,} customers are more likely still customers than not; they are "
            f"expected to make {ahead:,.0f} purchases in the next {model.horizon_days} days. ")
    if model.spend is not None and model.spend_reason is None:
        g = model.spend
        text += (f"Spend per purchase (Gamma-Gamma, {g.customers:,} repeat buyers): p = {g.p:.3g}, q = {g.q:.3g}, "
                 f"gamma = {g.gamma:.3g}. ")
    else:
        text += f"Spend per purchase is not modelled: {model.spend_reason}. "
    return text + MODEL_RESTS_ON


def _check_blocks(check: HoldoutCheck | None, reason: str | None) -> tuple[Block, ...]:
    title = "Model check: predicted against actual purchases"
    if check is None or check.reason is not None:
        why = reason if check is None else check.reason
        return (Block(title, f"No check: {why}."),)
    weeks = (check.end - check.split).days / 7
    head = (f"Fitted on purchases up to {check.split:%d %b %Y}, the model predicted {check.predicted_total:,.0f} "
            f"purchases in the {weeks:.0f} weeks to {check.end:%d %b %Y}; the customers made {check.actual_total:,}. "
            f"{check.new_customers:,} customers who first bought after the split are in no figure.")
    return (Block(title + ", by purchases before the split", head + " Per group: mean purchases per customer "
                  "after the split, by how many repeat purchases they had made before it.",
                  charts.check_by_frequency_chart(check.by_frequency)),
            Block(title + ", week by week", head + " Cumulative purchases since the split; predicted from each "
                  "customer's own history (the figures each customer's P(alive) comes from).",
                  charts.check_by_week_chart(check.by_week)))

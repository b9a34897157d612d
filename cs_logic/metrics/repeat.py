"""Repeat purchase: who buys again, how long between purchases, and each first-purchase cohort's return by month.

A purchase follows METRICS.md (one order id; without order ids one customer on one day; several rows of one
order or day are one purchase: :func:`cs_logic.read.buyers.purchases`), and every figure says which it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cs_logic.metrics.retention import cohort_matrix
from cs_logic.read.buyers import buyer_ids, purchase_definition, purchases


@dataclass(frozen=True)
class RepeatPurchase:
    """Repeat purchase rate = customers with 2+ purchases / customers with 1+; gaps in days.

    ``definition`` says what one purchase is (an order id, or a customer's day); ``median_days_to_second``
    is the median time from a repeat buyer's first to second purchase.
    """

    customers: int
    repeat_customers: int
    rate: float | None
    median_days_between: float | None
    customer_key: str
    unmapped_orders: int
    definition: str = ""
    purchases: int = 0
    median_days_to_second: float | None = None


def buyer_purchases(orders: pd.DataFrame, customers: pd.DataFrame | None = None, as_of: Any = None,
                    customer_key: str = "account_id") -> tuple[pd.DataFrame, str, int]:
    """:func:`~cs_logic.read.buyers.purchases` per person: (purchases, the customer key used, order rows whose
    per-order id the customers do not map).

    >>> o = pd.DataFrame({"account_id": ["o1", "o2"], "order_id": ["1", "2"],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-03"])})
    >>> p, key, unmapped = buyer_purchases(o, pd.DataFrame({"account_id": ["o1", "o2"], "unique_customer_id": ["u", "u"]}))
    >>> p["customer"].tolist(), key, unmapped
    (['u', 'u'], 'unique_customer_id', 0)
    """
    frame = orders if customer_key == "account_id" else orders.assign(account_id=orders[customer_key])
    who, key = buyer_ids(frame, customers)
    unmapped = 0
    if key != "account_id":
        known = set(customers["account_id"].dropna()) if customers is not None else set()
        unmapped = int((frame["account_id"].notna() & ~frame["account_id"].isin(known)).sum())
    else:
        key = customer_key
    return purchases(frame, as_of, who), key, unmapped


def repeat_purchase(orders: pd.DataFrame, customers: pd.DataFrame | None = None,
                    customer_key: str = "account_id", as_of: Any = None) -> RepeatPurchase:
    """Repeat purchase over the orders up to ``as_of`` (all of them without it; filter a window or status first).

    When ``customers`` maps ``customer_key`` to ``unique_customer_id`` (Olist: a customer_id per order),
    customers are counted by unique_customer_id; an order whose id is not in the map keeps its own id
    (``unmapped_orders``). A purchase is an order id (a customer's day where there is none); the gaps are
    between consecutive purchases of the same customer, in days from their first time stamps.

    >>> o = pd.DataFrame({"account_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05"])})
    >>> r = repeat_purchase(o); (r.rate, r.median_days_between, r.purchases)
    (0.5, 10.0, 3)
    """
    bought, key, unmapped = buyer_purchases(orders, customers, as_of, customer_key)
    counts = bought.groupby("customer").size()
    gaps = _gaps(bought)
    n, k = len(counts), int((counts >= 2).sum())
    second = gaps[gaps["nth"] == 1]["days"]
    return RepeatPurchase(n, k, k / n if n else None, float(gaps["days"].median()) if len(gaps) else None,
                          key, unmapped, purchase_definition(orders), len(bought),
                          float(second.median()) if len(second) else None)


def _gaps(bought: pd.DataFrame) -> pd.DataFrame:
    """Each repeat purchase's gap from the purchase before, in days, and which repeat it is (1 = the second)."""
    previous = bought.groupby("customer")["at"].shift()
    days = (bought["at"] - previous).dt.total_seconds() / 86400
    nth = bought.groupby("customer").cumcount()
    return pd.DataFrame({"days": days, "nth": nth})[days.notna()]


# Bins of the time between purchases a manager reads: a week, a month, a quarter, half a year, a year, longer.
GAP_BINS = (0, 7, 30, 90, 180, 365, np.inf)
GAP_LABELS = ("up to 7 days", "8-30 days", "31-90 days", "91-180 days", "181-365 days", "over a year")


def gap_distribution(orders: pd.DataFrame, customers: pd.DataFrame | None = None, as_of: Any = None) -> pd.DataFrame:
    """How long customers take to buy again: repeat purchases per gap bin (``GAP_LABELS``), count and share.

    A gap of d days falls in the bin whose upper edge is the first >= d (7.0 days is "up to 7 days").

    >>> o = pd.DataFrame({"account_id": ["a", "a", "a", "b", "b"], "order_id": list("12345"),
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-03-01", "2024-01-01", "2024-01-08"])})
    >>> gap_distribution(o)[["gap", "purchases"]].values.tolist()[:3]
    [['up to 7 days', 2], ['8-30 days', 0], ['31-90 days', 1]]
    """
    bought, _, _ = buyer_purchases(orders, customers, as_of)
    days = _gaps(bought)["days"]
    binned = pd.cut(days, GAP_BINS, labels=list(GAP_LABELS), right=True, include_lowest=True)
    counts = binned.value_counts().reindex(list(GAP_LABELS), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame({"gap": list(GAP_LABELS), "purchases": counts.to_numpy(int),
                         "share": counts.to_numpy(float) / total if total else np.nan})


def cohort_repeat(orders: pd.DataFrame, customers: pd.DataFrame | None, as_of: Any,
                  months: int | None = None) -> pd.DataFrame:
    """Cohort repeat rates: rows = month of a customer's first purchase, columns ``size`` then months since
    0..N; cell = share of the cohort who bought in that month (month 0 is 1.0 by definition; a purchase in a
    later month is a repeat purchase). Cells that cannot be observed yet (the month has not ended by
    ``as_of``) are blank, not 0; "All cohorts" is weighted by cohort size
    (:func:`cs_logic.metrics.retention.cohort_matrix` on the purchases). ``months``: only cohorts whose first
    month is one of the last ``months`` months to ``as_of``.

    >>> o = pd.DataFrame({"account_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
    ...                   "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20"])})
    >>> cohort_repeat(o, None, "2024-03-15").loc["2024-01", ["size", 0, 1, 2]].tolist()
    [2.0, 1.0, 0.5, nan]
    """
    bought, _, _ = buyer_purchases(orders, customers, as_of)
    if months is not None:
        first = bought.groupby("customer")["day"].transform("min")
        since = (pd.Timestamp(as_of).to_period("M") - (months - 1)).start_time
        bought = bought[first >= since]
    return cohort_matrix(bought, as_of, id_col="customer", order_date_col="day")

"""Repeat purchase: the share of customers with two orders or more, and the median days between orders."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class RepeatPurchase:
    """Repeat purchase rate = customers with 2+ orders / customers with 1+; gaps in days."""

    customers: int
    repeat_customers: int
    rate: float | None
    median_days_between: float | None
    customer_key: str
    unmapped_orders: int


def repeat_purchase(orders: pd.DataFrame, customers: pd.DataFrame | None = None,
                    customer_key: str = "account_id") -> RepeatPurchase:
    """Repeat purchase over all orders given (filter the window or status before calling).

    When ``customers`` maps ``customer_key`` to ``unique_customer_id`` (Olist: a customer_id per order),
    customers are counted by unique_customer_id; an order whose id is not in the map keeps its own id
    (``unmapped_orders``). Orders are distinct ``order_id`` values (rows if there is none); the median gap
    is over consecutive orders of the same customer, in days.

    >>> o = pd.DataFrame({"account_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05"])})
    >>> r = repeat_purchase(o); (r.rate, r.median_days_between)
    (0.5, 10.0)
    """
    who = orders[customer_key]
    key, unmapped = customer_key, 0
    if customers is not None and {customer_key, "unique_customer_id"} <= set(customers.columns):
        lookup = customers.dropna(subset=["unique_customer_id"]).drop_duplicates(customer_key)
        mapped = who.map(lookup.set_index(customer_key)["unique_customer_id"])
        unmapped = int((mapped.isna() & who.notna()).sum())
        who, key = mapped.fillna(who), "unique_customer_id"
    frame = pd.DataFrame({"who": who, "order": orders["order_id"] if "order_id" in orders.columns
                          else pd.Series(range(len(orders)), index=orders.index)})
    frame["date"] = pd.to_datetime(orders["date"]) if "date" in orders.columns else pd.NaT
    per_order = frame.dropna(subset=["who"]).groupby(["who", "order"], sort=False)["date"].min().reset_index()
    counts = per_order.groupby("who").size()
    dated = per_order.dropna(subset=["date"]).sort_values(["who", "date"])
    gaps = dated.groupby("who")["date"].diff().dropna().dt.total_seconds() / 86400
    n, k = len(counts), int((counts >= 2).sum())
    median_gap = float(gaps.median()) if len(gaps) else None
    return RepeatPurchase(n, k, k / n if n else None, median_gap, key, unmapped)

"""Customers who buy: purchases from order rows, and the customer table derived from orders alone.

A shop's, marketplace's or reseller's export is one row per order line, with no accounts file and no
churn flag (a buyer never cancels, they just stop buying). METRICS.md "Purchase": a purchase is one
order id; where the export has no order id, one (customer, day). Several rows of one order or one day
are one purchase. Orders after the as-of date are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_logic.core.problems import Problem
from cs_logic.read.detect import map_columns

BY_ORDER_ID = "one purchase = one order id (several rows of one order are one purchase)"
BY_DAY = "one purchase = one customer on one day (the orders have no order id; several rows that day are one)"
DERIVED_FROM = "orders"  # the value of a derived accounts table's ``attrs["derived_from"]``
# Accounts fields an orders export may carry per customer (Shopify's "Billing Company", a "Segment" column).
DESCRIPTIVE_FIELDS = ("account_name", "segment", "region", "industry", "owner", "plan")
DAYS_PER_MONTH = 365.25 / 12  # tenure is in months everywhere (cs_logic.read.validate)


def purchase_definition(orders: pd.DataFrame) -> str:
    """Which purchase definition applies to these orders (METRICS.md "Purchase"), in words.

    >>> purchase_definition(pd.DataFrame({"order_id": ["1"]})) == BY_ORDER_ID
    True
    >>> purchase_definition(pd.DataFrame({"order_id": [None]})) == BY_DAY
    True
    """
    return BY_ORDER_ID if "order_id" in orders.columns and orders["order_id"].notna().any() else BY_DAY


def purchases(orders: pd.DataFrame, as_of: Any = None, customer: pd.Series | None = None) -> pd.DataFrame:
    """One row per purchase: ``customer``, ``day`` (its first day), ``at`` (its first time stamp), ``amount``
    (summed; blank when a row's amount is blank) and ``quantity`` (summed), sorted by customer and time.

    ``customer`` replaces ``orders["account_id"]`` as the buyer (the same person behind several ids, see
    :func:`buyer_ids`). Rows without a customer or a date, and rows after ``as_of``, are left out.

    Examples
    --------
    Two rows of order 1 are one purchase of 15; order 2 is another purchase the same day.

    >>> o = pd.DataFrame({"account_id": ["a", "a", "a"], "order_id": ["1", "1", "2"], "amount": [10.0, 5.0, 7.0],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"])})
    >>> purchases(o)[["customer", "amount"]].values.tolist()
    [['a', 15.0], ['a', 7.0]]
    >>> len(purchases(o.drop(columns="order_id")))
    1
    """
    who = orders["account_id"] if customer is None else customer
    at = pd.to_datetime(orders["date"], errors="coerce")
    if isinstance(at.dtype, pd.DatetimeTZDtype):
        at = at.dt.tz_localize(None)  # a shop's 23:30 order is that day's, whatever its offset
    day = at.dt.normalize()
    by_order = purchase_definition(orders) == BY_ORDER_ID
    key = orders["order_id"] if by_order else day
    kept = who.notna() & day.notna() & key.notna()
    if as_of is not None:
        kept &= day <= pd.Timestamp(as_of).normalize()
    keep = kept.to_numpy(bool)
    # A purchase is told by one integer per (customer, key) pair, numbered in the order pairs first appear, as
    # groupby(["customer", "key"], sort=False) numbers its groups: grouping 5M order lines at size L by the
    # customer and order id as Python objects held 1.5 GB more than the purchases. Only the rows kept are read.
    amount = _number(orders, "amount")[keep]
    person, people = pd.factorize(who[keep])
    order = first_seen_codes(key[keep])
    pair = pd.factorize(person.astype(np.int64) * (int(order.max(initial=0)) + 1) + order)[0]
    frame = pd.DataFrame({"day": day[keep], "at": at[keep], "amount": amount,
                          "quantity": _number(orders, "quantity")[keep], "blank": amount.isna()})
    if frame.empty:
        return pd.DataFrame({"customer": pd.Series(dtype=object), "day": pd.Series(dtype="datetime64[ns]"),
                             "at": pd.Series(dtype="datetime64[ns]"), "amount": pd.Series(dtype=float),
                             "quantity": pd.Series(dtype=float)})
    out = frame.groupby(pair, sort=False).agg(
        day=("day", "min"), at=("at", "min"), amount=("amount", "sum"), blank=("blank", "any"),
        quantity=("quantity", "sum"), quantities=("quantity", "count")).reset_index(drop=True)
    whose = np.empty(len(out), dtype=np.int64)
    whose[pair] = person  # every line of a purchase has its customer
    del frame, amount, order, pair, person  # the lines' arrays (5M rows each at size L) before the sort
    if people.dtype == object:  # the type grouping gives its keys: text ids as text, mixed ones as objects
        people = pd.Index(people.to_numpy())
    out.insert(0, "customer", people.take(whose))
    out.loc[out["blank"], "amount"] = np.nan
    out.loc[out["quantities"] == 0, "quantity"] = np.nan
    columns = ["customer", "day", "at", "amount", "quantity"]
    # By customer, then time, ties in purchase order (a stable sort by time, then by customer): each customer
    # placed among the sorted distinct ids, rather than the purchases' ids sorted as text.
    try:
        place = np.empty(len(people), dtype=np.int64)
        place[np.asarray(people.argsort())] = np.arange(len(people))
    except TypeError:  # ids of mixed types: pandas' own order for them
        return out.sort_values(["customer", "at"], kind="stable")[columns].reset_index(drop=True)
    by_time = np.argsort(out["at"].to_numpy(), kind="stable")
    rows = by_time[np.argsort(place[whose][by_time], kind="stable")]
    return out[columns].take(rows).reset_index(drop=True)


def first_seen_codes(values: pd.Series) -> np.ndarray:
    """``pd.factorize(values)[0]`` (each distinct value numbered in the order it first appears; no blanks): for
    Arrow text, found by sorting rather than hashing, which held 700 MB for 5M distinct order ids at size L.

    >>> first_seen_codes(pd.Series(["b", "a", "b", "c", "a"], dtype="string[pyarrow]")).tolist()
    [0, 1, 0, 2, 1]
    """
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow") or len(values) < 2:
        return np.asarray(pd.factorize(values)[0], dtype=np.int64)
    text = pa.array(values.array)  # the column's own Arrow data
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    order = pc.sort_indices(text).to_numpy()
    ordered = text.take(order)
    new = np.ones(len(order), dtype=bool)
    new[1:] = pc.not_equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(new)
    rank = np.empty(len(starts), dtype=np.int64)
    rank[np.argsort(np.minimum.reduceat(order, starts), kind="stable")] = np.arange(len(starts))
    codes = np.empty(len(order), dtype=np.int64)
    codes[order] = rank[np.cumsum(new) - 1]
    return codes


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def buyer_ids(orders: pd.DataFrame, accounts: pd.DataFrame | None) -> tuple[pd.Series, str]:
    """Who bought each order row: the accounts' ``unique_customer_id`` where it maps the order's account_id (Olist
    issues a new customer_id per order), else the order's own account_id; and the name of the key used.

    >>> o = pd.DataFrame({"account_id": ["c1", "c2", "c9"]})
    >>> a = pd.DataFrame({"account_id": ["c1", "c2"], "unique_customer_id": ["p", "p"]})
    >>> who, key = buyer_ids(o, a); who.tolist(), key
    (['p', 'p', 'c9'], 'unique_customer_id')
    """
    who = orders["account_id"]
    if accounts is None or not {"account_id", "unique_customer_id"} <= set(accounts.columns):
        return who, "account_id"
    lookup = accounts.dropna(subset=["unique_customer_id"]).drop_duplicates("account_id")
    mapped = who.map(lookup.set_index("account_id")["unique_customer_id"])
    return mapped.fillna(who), "unique_customer_id"


def customers_from_orders(orders: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """The customer table of an orders-only upload, one row per customer (METRICS.md "Customer table from orders").

    account_id; the customer's own columns where the orders carry them with one value per customer (name,
    segment, region, industry, rep, plan: recognised by header and values like any accounts file);
    ``start_date`` = first purchase, ``last_order`` = last purchase, ``purchases``, ``spend`` (the amounts
    summed; blank when any of the customer's amounts is blank or the orders have none) and ``tenure`` in
    months from the first purchase to ``as_of`` (the latest order date when not given). There is no churn
    column: a buyer does not cancel, so churn is unknown, never invented. ``attrs`` hold ``derived_from``,
    ``as_of`` and the purchase ``definition``.

    Examples
    --------
    a: two rows of order 1 on 1 Jan (10 + 5) and order 2 on 31 Jan (20) -> 2 purchases, spend 35, tenure to
    1 Mar = 60 days = 60 / 30.44 = 1.97 months.

    >>> o = pd.DataFrame({"account_id": ["a", "a", "a", "b"], "order_id": ["1", "1", "2", "3"],
    ...                   "amount": [10.0, 5.0, 20.0, 8.0],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-31", "2024-03-01"])})
    >>> c = customers_from_orders(o)
    >>> c[["account_id", "purchases", "spend", "tenure"]].values.tolist()
    [['a', 2, 35.0, 1.97], ['b', 1, 8.0, 0.0]]
    >>> "churned" in c.columns, c.attrs["as_of"]
    (False, datetime.date(2024, 3, 1))
    """
    dated = pd.to_datetime(orders["date"], errors="coerce") if "date" in orders.columns else pd.Series(dtype=object)
    day = as_of_day(dated) if as_of is None else pd.Timestamp(as_of).date()
    bought = purchases(orders, day) if day is not None else purchases(orders.iloc[0:0])
    has_amount = "amount" in orders.columns and orders["amount"].notna().any()
    g = bought.groupby("customer", sort=True)
    out = pd.DataFrame({
        "start_date": g["day"].min(), "last_order": g["day"].max(), "purchases": g.size(),
        "spend": g["amount"].sum(min_count=1).where(g["amount"].count() == g.size()) if has_amount else np.nan,
    })
    out.index.name = "account_id"
    if day is not None:
        out["tenure"] = ((pd.Timestamp(day) - out["start_date"]).dt.days / DAYS_PER_MONTH).round(2)
    out = out.join(_descriptive(orders, out.index)).reset_index()
    out = out[["account_id", *[c for c in out.columns if c != "account_id"]]]
    out.attrs.update(derived_from=DERIVED_FROM, as_of=day, definition=purchase_definition(orders))
    return out


def as_of_day(dates: pd.Series) -> dt.date | None:
    """The latest date in ``dates`` (the as-of date's default), None when there is none.

    >>> as_of_day(pd.Series(pd.to_datetime(["2024-01-02", None])))
    datetime.date(2024, 1, 2)
    """
    latest = pd.to_datetime(dates, errors="coerce").max()
    return None if pd.isna(latest) else pd.Timestamp(latest).date()


def _descriptive(orders: pd.DataFrame, customers: pd.Index) -> pd.DataFrame:
    """The orders' columns that describe the customer: mapped to an accounts field by header and values, and
    holding at most one value per customer (a column that varies between a customer's orders describes the order)."""
    extras = [c for c in orders.columns if c not in ("order_id", "account_id", "date", "amount", "status",
                                                    "product", "quantity", "source_file")]
    if not extras or "account_id" not in orders.columns:
        return pd.DataFrame(index=customers)
    mapping = map_columns(orders[extras].astype(object), "accounts")
    # A second customer column beside the id (SaaS Sales' "Customer" beside "Customer ID") is the customer's name.
    if "account_id" in mapping and "account_name" not in mapping:
        mapping["account_name"] = mapping["account_id"]
    found: dict[str, pd.Series] = {}
    used: set[str] = set()
    g = orders.groupby("account_id", sort=False)
    for field in DESCRIPTIVE_FIELDS:
        column = mapping.get(field)
        if column is None or column in used or (g[column].nunique() > 1).any():
            continue
        used.add(column)
        found[field] = g[column].first()
    return pd.DataFrame(found).reindex(customers)


def derived_note(accounts: pd.DataFrame, orders_file: str) -> Problem:
    """The Data page's line saying the customer table was derived from the orders, and that churn is unknown.

    >>> o = pd.DataFrame({"account_id": ["a"], "date": pd.to_datetime(["2024-01-01"])})
    >>> derived_note(customers_from_orders(o), "o.csv").message[:58]
    'No accounts file: the customer table (1 customers) was der'
    """
    return Problem(
        f"No accounts file: the customer table ({len(accounts):,} customers) was derived from the orders: first "
        f"and last purchase, purchases, spend and tenure to {accounts.attrs.get('as_of')} "
        f"({accounts.attrs.get('definition')}). Churn is unknown (a buyer does not cancel; "
        "nothing in the orders says who has left).",
        None, None, None, "pages that need accounts use this table", "info", orders_file)

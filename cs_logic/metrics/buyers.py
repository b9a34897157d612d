"""Health for customers who buy: P(alive) and expected purchases per account, or how overdue a customer is.

For a shop's customers (orders, no churn field, no usage or subscriptions) days since the last order is no
health measure: a one-off buyer of a yearly product is not "at risk" the day after buying. The measure is
instead the BG/NBD probability that the customer is still a customer (cs_logic.metrics.purchase, fitted on
purchases up to the as-of date), or, when that model cannot be fitted, how late the customer is against
their own rhythm: days since the last purchase / their median days between purchases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cs_logic.metrics.purchase import (
    HORIZON_DAYS,
    MIN_CUSTOMERS,
    HoldoutCheck,
    PurchaseModel,
    holdout_check,
    purchase_model,
)
from cs_logic.read.buyers import buyer_ids

# The four BG/NBD parameters say how often people come back and when they drop out; with fewer repeat buyers
# than this the fit converges on anything (Olist's sample: 2 repeat buyers of 3,998, alpha = 170,000).
MIN_REPEAT_BUYERS = MIN_CUSTOMERS
BEHAVIOUR_TABLES = ("usage", "subscriptions")  # a portfolio with these is a subscription business, not a shop
MEASURE_DOCS: dict[str, str] = {
    "p_alive": ("BG/NBD probability that the customer still buys (Fader, Hardie & Lee 2005), fitted on every "
                "customer's purchases up to the as-of date, one purchase per customer and day; 1 for a one-off buyer."),
    "expected_purchases_90d": "BG/NBD expected purchases in the 90 days after the as-of date, from the customer's history.",
    "purchase_overdue": ("Days from the last purchase to the as-of date / the customer's median days between purchase "
                         "days (1 = on their usual rhythm); blank for a one-off buyer."),
}
MEASURES = tuple(MEASURE_DOCS)
HOLDOUT_MAX_WEEKS = 52
HOLDOUT_MIN_WEEKS = 4


def is_buyers_portfolio(tables: Collection[str], accounts: pd.DataFrame | None) -> bool:
    """True for customers who buy: orders loaded, no usage or subscriptions, and no churn field in the accounts.

    >>> is_buyers_portfolio({"orders", "accounts"}, pd.DataFrame({"account_id": ["a"]}))
    True
    >>> is_buyers_portfolio({"orders", "accounts"}, pd.DataFrame({"account_id": ["a"], "churned": [True]}))
    False
    >>> is_buyers_portfolio({"orders", "accounts", "usage"}, None)
    False
    """
    if "orders" not in tables or any(t in tables for t in BEHAVIOUR_TABLES):
        return False
    if accounts is None:
        return True
    return not any(c in accounts.columns and accounts[c].notna().any() for c in ("churned", "end_date"))


@dataclass(frozen=True, eq=False)
class BuyerMeasures:
    """Per account (index account_id): ``p_alive``, ``expected_purchases_90d`` (both only when the model could be
    fitted) and ``purchase_overdue``. ``measure`` is the one health rests on ("p_alive", else
    "purchase_overdue"), ``reason`` why the model was not used (None when it was), ``model`` the fit."""

    frame: pd.DataFrame
    measure: str
    reason: str | None
    model: PurchaseModel
    customer_key: str


def model_reason(model: PurchaseModel) -> str | None:
    """Why ``model`` cannot be used for health (None when it can): not fitted, or too few repeat buyers.

    >>> o = pd.DataFrame({"account_id": ["a"], "date": pd.to_datetime(["2024-01-01"])})
    >>> model_reason(purchase_model(o, "2024-02-01"))
    'only 1 customers bought by the as-of date; the model needs at least 30'
    """
    if model.reason is not None or model.params is None:
        return model.reason or "the model could not be fitted"
    repeaters = int((model.customers["frequency"] > 0).sum())
    if repeaters < MIN_REPEAT_BUYERS:
        return (f"only {repeaters:,} customers bought more than once by the as-of date; the model needs at least "
                f"{MIN_REPEAT_BUYERS} to learn how often people come back")
    return None


def purchase_measures(orders: pd.DataFrame, accounts: pd.DataFrame | None, as_of: Any) -> BuyerMeasures:
    """The buyers' health measures per account as of ``as_of`` (only purchases on or before it count).

    The same person behind several account ids (the accounts' ``unique_customer_id``) is one customer of the
    model, and each of their ids gets the person's figures. ``purchase_overdue`` = days since the last purchase
    / the median days between the customer's purchase days (blank for a one-off buyer: no rhythm of their own).

    Examples
    --------
    a bought on days 0, 10 and 30 (gaps 10 and 20, median 15) and is seen on day 45: overdue = 15 / 15 = 1.0.

    >>> o = pd.DataFrame({"account_id": ["a", "a", "a", "b"],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-31", "2024-02-01"])})
    >>> m = purchase_measures(o, None, "2024-02-15")
    >>> m.frame["purchase_overdue"].tolist(), m.measure
    ([1.0, nan], 'purchase_overdue')
    """
    who, key = buyer_ids(orders, accounts)
    frame = pd.DataFrame({"account_id": orders["account_id"], "date": orders["date"],
                          "amount": orders["amount"] if "amount" in orders.columns else np.nan})
    model = purchase_model(frame.assign(account_id=who), as_of, unit="weeks", horizon_days=HORIZON_DAYS)
    reason = model_reason(model)
    per = model.customers.set_index("customer")
    person = pd.Series(who.to_numpy(), index=orders["account_id"].to_numpy()).dropna()
    person = person[~person.index.duplicated()]
    if accounts is not None and "account_id" in accounts.columns:
        extra = accounts["account_id"].dropna()
        extra = extra[~extra.isin(person.index)]
        person = pd.concat([person, pd.Series(extra.to_numpy(), index=extra.to_numpy())])
    person.index = person.index.astype(str)
    out = pd.DataFrame(index=pd.Index(person.index, name="account_id"))
    if reason is None:
        out["p_alive"] = per["p_alive"].reindex(person.to_numpy()).to_numpy()
        out["expected_purchases_90d"] = per["expected_purchases"].reindex(person.to_numpy()).to_numpy()
    out["purchase_overdue"] = _overdue(frame.assign(account_id=who), as_of).reindex(person.to_numpy()).to_numpy()
    measure = "p_alive" if reason is None else "purchase_overdue"
    return BuyerMeasures(out, measure, reason, model, key)


def _overdue(orders: pd.DataFrame, as_of: Any) -> pd.Series:
    """Days since the last purchase day / median days between purchase days, per customer (index customer)."""
    day = pd.to_datetime(orders["date"], errors="coerce")
    if isinstance(day.dtype, pd.DatetimeTZDtype):
        day = day.dt.tz_localize(None)
    cut = pd.Timestamp(as_of).normalize()
    days = pd.DataFrame({"customer": orders["account_id"], "day": day.dt.normalize()}).dropna()
    days = days[days["day"] <= cut].drop_duplicates().sort_values(["customer", "day"])
    gap = days.groupby("customer")["day"].diff().dt.days
    rhythm = gap.groupby(days["customer"]).median()
    since = (cut - days.groupby("customer")["day"].max()).dt.days
    return since / rhythm.where(rhythm > 0)


def holdout_split(orders: pd.DataFrame, as_of: Any) -> tuple[dt.date | None, str | None]:
    """Where the model check splits the orders: the as-of date minus half the time since the first purchase,
    rounded to whole weeks, at most ``HOLDOUT_MAX_WEEKS`` (the paper: 39 of 78 weeks); None with the reason when the
    holdout would be under ``HOLDOUT_MIN_WEEKS`` weeks.

    >>> o = pd.DataFrame({"date": pd.to_datetime(["1997-01-01"])})
    >>> holdout_split(o, "1998-06-30")
    (datetime.date(1997, 9, 30), None)
    """
    first = pd.to_datetime(orders["date"], errors="coerce").min()
    end = pd.Timestamp(as_of).normalize()
    if pd.isna(first) or first.normalize() >= end:
        return None, "the orders span no time before the as-of date"
    weeks = min(round((end - first.normalize()).days / 14), HOLDOUT_MAX_WEEKS)
    if weeks < HOLDOUT_MIN_WEEKS:
        return None, f"the orders span under {2 * HOLDOUT_MIN_WEEKS} weeks, too short to hold half back"
    return (end - pd.Timedelta(weeks=weeks)).date(), None


def model_check(orders: pd.DataFrame, accounts: pd.DataFrame | None, as_of: Any) -> tuple[HoldoutCheck | None, str | None]:
    """The model's honest check: fitted on purchases up to :func:`holdout_split`, predicting those after it up to
    ``as_of`` (:func:`cs_logic.metrics.purchase.holdout_check`); (None, reason) when there is no room for one."""
    split, reason = holdout_split(orders, as_of)
    if split is None:
        return None, reason
    who, _ = buyer_ids(orders, accounts)
    frame = pd.DataFrame({"account_id": who, "date": orders["date"]})
    return holdout_check(frame, split, pd.Timestamp(as_of).normalize()), None

"""The headline figures of every loaded table, as the `summary` command prints them.

Figures are at full precision (rounding is for display only). A figure the data cannot support is
``None`` and its reason is listed under ``notes`` (cs_logic.core.unknown's convention).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cs_logic.core.unknown import NO_CHURN_FIELD, Figure, as_of_from, note
from cs_logic.metrics import feedback, funnel, nps, repeat, retention, support
from cs_logic.read.resident import Resident, iter_frames
from cs_logic.read.workspace import rows_with

SECTIONS = ("accounts", "nps", "csat", "tickets", "orders", "deals")


def latest_date(tables: Mapping[str, pd.DataFrame | Resident]) -> dt.date | None:
    """The latest date in any date column of the loaded tables: the as-of date when none is given.

    >>> latest_date({"t": pd.DataFrame({"d": pd.to_datetime(["2024-01-02", "2024-03-04"])})})
    datetime.date(2024, 3, 4)
    """
    return as_of_date(tables).value


def as_of_date(tables: Mapping[str, pd.DataFrame | Resident], given: dt.date | None = None) -> Figure[dt.date]:
    """``given``, else the latest date in any date column; unknown (with the reason) when no file has one.

    >>> as_of_date({"accounts": pd.DataFrame({"churned": [True]})}).value is None
    True
    """
    if given is not None:
        return Figure.known(given)
    return as_of_from(day for table in tables.values() for day in (
        table.latest_dates() if isinstance(table, Resident) else
        [table[col].max() for col in table.columns if pd.api.types.is_datetime64_any_dtype(table[col])]))


def _accounts(tables: dict[str, pd.DataFrame], as_of: dt.date | None, notes: list[str]) -> dict[str, Any] | None:
    accounts = tables.get("accounts")
    subscriptions = tables.get("subscriptions")
    if accounts is None and subscriptions is not None and {"account_id", "subscription_id"} & set(subscriptions):
        # A billing export (Stripe, Chargebee) is the customer list when no accounts file is loaded.
        accounts = retention.accounts_from_subscriptions(subscriptions, as_of)
    if accounts is None:
        return None
    out = retention.summary_accounts(accounts, as_of)
    if out["churned"] is None:
        note(notes, "accounts.churned", NO_CHURN_FIELD)
    out["median_tenure_months"] = _median_tenure(accounts, notes)
    return out


def _median_tenure(accounts: pd.DataFrame, notes: list[str]) -> float | None:
    """Median of the accounts' tenure column, in months (a tenure in years is times 12 once read: the decision
    in cs_logic.read.meanings); unknown without one. Tenure is not derived from start dates here."""
    tenure = pd.to_numeric(accounts["tenure"], errors="coerce").dropna() if "tenure" in accounts.columns else None
    if tenure is None or tenure.empty:
        note(notes, "accounts.median_tenure_months", "unknown: the accounts have no tenure column with a value")
        return None
    return float(tenure.median())


def _nps(tables: dict[str, pd.DataFrame], notes: list[str]) -> dict[str, Any] | None:
    surveys = tables.get("surveys")
    if surveys is None or "nps" not in surveys.columns:
        return None
    out = nps.summary_nps(rows_with(surveys, "nps"))
    if out["nps"] is None:
        note(notes, "nps.nps", "n = 0: no valid 0-10 answer")
    return out


def _csat(tables: dict[str, pd.DataFrame], notes: list[str]) -> dict[str, Any] | None:
    """CSAT from survey answers where they carry it, else from tickets' satisfaction ratings."""
    for name in ("surveys", "tickets"):
        frame = tables.get(name)
        if frame is not None and "csat" in frame.columns and frame["csat"].notna().any():
            r = feedback.csat(rows_with(frame, "csat")["csat"])
            if r.csat is None:
                note(notes, "csat", f"n = 0: no valid 1-5 answer in the {name}' satisfaction column")
            mean = r.mean_rating
            if "csat" in frame.attrs.get("word_ratings", ()):
                mean = None  # satisfied / not satisfied words have a share, not a mean on 1-5
                note(notes, "csat.mean_rating", "unknown: the ratings are words (satisfied or not), not a 1-5 scale")
            return {"n": r.n, "csat": r.csat, "mean_rating": mean}
    return None


def _tickets(tables: dict[str, pd.DataFrame], as_of: dt.date | None, notes: list[str]) -> dict[str, Any] | None:
    tickets = tables.get("tickets")
    if tickets is None:
        return None
    s = support.support_summary(tickets)
    for key, n in (("median_first_response_hours", "n_first_response"), ("median_resolution_hours", "n_resolution")):
        if s.get(key) is None:
            note(notes, f"tickets.{key}", "n = 0: no ticket has this time")
    out = {k: _plain(s.get(k)) for k in ("count", "median_first_response_hours",
                                         "p90_first_response_hours", "median_resolution_hours")}
    # METRICS.md: backlog = tickets not resolved on the as-of date (its end, as the Support page counts it).
    day_end = None if as_of is None else pd.Timestamp(dt.datetime.combine(as_of, dt.time.max))
    open_now = support.backlog_size(tickets, day_end)
    out["backlog"] = None if open_now is None else open_now[0]
    if open_now is None:
        note(notes, "tickets.backlog", "unknown: no status, resolved flag or resolved date says which tickets are resolved")
    return out


def _orders(tables: dict[str, pd.DataFrame], notes: list[str]) -> dict[str, Any] | None:
    orders = tables.get("orders")
    if orders is None or "account_id" not in orders.columns:
        return None
    r = repeat.repeat_purchase(orders, tables.get("accounts"))
    n_orders = int(orders["order_id"].nunique()) if "order_id" in orders.columns else len(orders)
    if r.rate is None:
        note(notes, "orders.repeat_purchase_rate", "n = 0: no customer with an order")
    return {"customers": r.customers, "orders": n_orders, "repeat_purchase_rate": _plain(r.rate)}


def _deals(tables: dict[str, pd.DataFrame], notes: list[str]) -> dict[str, Any] | None:
    deals = tables.get("deals")
    if deals is None or "stage" not in deals.columns:
        return None
    s = {k: _plain(v) for k, v in funnel.summary_deals(deals).items()}
    if s.get("win_rate") is None:
        note(notes, "deals.win_rate", "n = 0: no closed (won or lost) deal")
    order = funnel.stage_order(deals)
    forecast = funnel.weighted_forecast(deals, order)
    # METRICS.md: a figure resting on imputed amounts says so; a pipeline with no amount is unknown.
    s.update(weighted_forecast=_plain(forecast.total), forecast_imputed_share=_plain(forecast.imputed_share),
             pipeline_value=_plain(funnel.pipeline_value(deals, order)))
    if s["pipeline_value"] is None:
        note(notes, "deals.pipeline_value", "unknown: no open deal has an amount")
    return s


def _plain(value: Any) -> Any:
    """``value`` as JSON takes it: NaN and NA become None, numpy numbers plain ones; never rounded."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def summary(tables: Mapping[str, pd.DataFrame | Resident], as_of: dt.date | None = None) -> dict[str, Any]:
    """One object with a section per area, each ``None`` where the loaded tables do not allow it.

    NPS and CSAT are in points (NPS -100..100, CSAT 0..100); every ``*_rate`` and ``*_share`` is a
    fraction from 0 to 1. Full precision; a figure the data cannot support is None, and ``notes``
    lists why (``as_of`` is None when no file has a date).

    >>> s = summary({"surveys": pd.DataFrame({"nps": [10, 9, 7, 3]})})
    >>> s["nps"]["nps"], s["accounts"], s["as_of"], len(s["notes"])
    (25.0, None, None, 1)
    """
    notes: list[str] = []
    day = as_of_date(tables, as_of)
    note(notes, "as_of", day.reason)
    tables = dict(iter_frames(tables))  # no section reads the usage table (kept in DuckDB); the as-of date did
    out: dict[str, Any] = {
        "as_of": None if day.value is None else day.value.isoformat(),
        "accounts": _accounts(tables, day.value, notes),
        "nps": _nps(tables, notes),
        "csat": _csat(tables, notes),
        "tickets": _tickets(tables, day.value, notes),
        "orders": _orders(tables, notes),
        "deals": _deals(tables, notes),
    }
    out["notes"] = notes
    return out

"""The headline figures of every loaded table, as the `summary` command prints them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cs_logic.metrics import feedback, funnel, nps, repeat, retention, support
from cs_logic.read.workspace import rows_with

SECTIONS = ("accounts", "nps", "csat", "tickets", "orders", "deals")


def latest_date(tables: dict[str, pd.DataFrame]) -> dt.date | None:
    """The latest date in any date column of the loaded tables: the as-of date when none is given.

    >>> latest_date({"t": pd.DataFrame({"d": pd.to_datetime(["2024-01-02", "2024-03-04"])})})
    datetime.date(2024, 3, 4)
    """
    latest = None
    for frame in tables.values():
        for col in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[col]):
                value = frame[col].max()
                if pd.notna(value) and (latest is None or value > latest):
                    latest = value
    return latest.date() if latest is not None else None


def _accounts(tables: dict[str, pd.DataFrame], as_of: dt.date) -> dict[str, Any] | None:
    accounts = tables.get("accounts")
    if accounts is None:
        return None
    return retention.summary_accounts(accounts, as_of)


def _nps(tables: dict[str, pd.DataFrame]) -> dict[str, Any] | None:
    surveys = tables.get("surveys")
    if surveys is None or "nps" not in surveys.columns:
        return None
    return nps.summary_nps(rows_with(surveys, "nps"))


def _csat(tables: dict[str, pd.DataFrame]) -> dict[str, Any] | None:
    """CSAT from survey answers where they carry it, else from tickets' satisfaction ratings."""
    for name in ("surveys", "tickets"):
        frame = tables.get(name)
        if frame is not None and "csat" in frame.columns and frame["csat"].notna().any():
            r = feedback.csat(rows_with(frame, "csat")["csat"])
            return {"n": r.n, "csat": _round(r.csat), "mean_rating": _round(r.mean_rating)}
    return None


def _tickets(tables: dict[str, pd.DataFrame]) -> dict[str, Any] | None:
    tickets = tables.get("tickets")
    if tickets is None:
        return None
    s = support.support_summary(tickets)
    return {k: _round(s.get(k)) for k in ("count", "median_first_response_hours",
                                          "p90_first_response_hours", "median_resolution_hours")}


def _orders(tables: dict[str, pd.DataFrame]) -> dict[str, Any] | None:
    orders = tables.get("orders")
    if orders is None or "account_id" not in orders.columns:
        return None
    r = repeat.repeat_purchase(orders, tables.get("accounts"))
    n_orders = int(orders["order_id"].nunique()) if "order_id" in orders.columns else len(orders)
    return {"customers": r.customers, "orders": n_orders, "repeat_purchase_rate": _round(r.rate, 4)}


def _deals(tables: dict[str, pd.DataFrame]) -> dict[str, Any] | None:
    deals = tables.get("deals")
    if deals is None or "stage" not in deals.columns:
        return None
    s = funnel.summary_deals(deals)
    order = funnel.stage_order(deals)
    forecast = funnel.weighted_forecast(deals, order)
    # METRICS.md: a figure resting on imputed amounts says so; a pipeline with no amount is unknown.
    return {**s, "win_rate": _round(s.get("win_rate"), 4), "weighted_forecast": _round(forecast.total),
            "forecast_imputed_share": _round(forecast.imputed_share, 4),
            "pipeline_value": _round(funnel.pipeline_value(deals, order))}


def _round(value: Any, digits: int = 2) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return round(float(value), digits) if isinstance(value, float) else value


def summary(tables: dict[str, pd.DataFrame], as_of: dt.date | None = None) -> dict[str, Any]:
    """One object with a section per area, each ``None`` where the loaded tables do not allow it.

    NPS and CSAT are in points (NPS -100..100, CSAT 0..100); every ``*_rate`` and ``*_share`` is a
    fraction from 0 to 1.

    >>> s = summary({"surveys": pd.DataFrame({"nps": [10, 9, 7, 3]})})
    >>> s["nps"]["nps"], s["accounts"]
    (25.0, None)
    """
    as_of = as_of or latest_date(tables) or dt.date(1970, 1, 1)
    return {
        "as_of": as_of.isoformat(),
        "accounts": _accounts(tables, as_of),
        "nps": _nps(tables),
        "csat": _csat(tables),
        "tickets": _tickets(tables),
        "orders": _orders(tables),
        "deals": _deals(tables),
    }

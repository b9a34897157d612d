"""Survival: Kaplan-Meier curves of account lifetimes per group, and the median lifetime.

Lifetimes follow the date rules of cs_logic.metrics.retention (an end date is the first day an account is gone; times
of day are dropped), in months of 30.4375 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cs_logic.metrics.retention import DAYS_PER_MONTH, churn_flags, day_start, day_starts, undated_churn


def kaplan_meier(durations: Sequence[float] | pd.Series, events: Sequence[Any] | pd.Series) -> pd.DataFrame:
    """The Kaplan-Meier survival curve: S(t) = prod over event times t_i <= t of (1 - d_i / n_i).

    Rows: t = 0 (S = 1, unless there are events at 0) and each distinct duration; columns t, n_at_risk,
    events, censored, survival. ``events`` is 1/True for a churn, 0/False for censored (still active).

    >>> kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])["survival"].round(3).tolist()
    [1.0, 0.8, 0.6, 0.3, 0.3]
    """
    t = pd.to_numeric(pd.Series(durations), errors="coerce").to_numpy(dtype="float64")
    e = pd.Series(events).astype("boolean").fillna(False).to_numpy(dtype=bool)
    keep = ~np.isnan(t) & (t >= 0)
    frame = pd.DataFrame({"t": t[keep], "event": e[keep]})
    table = frame.groupby("t")["event"].agg(events="sum", total="size").reset_index()
    if table.empty or table["t"].iloc[0] > 0:
        table = pd.concat([pd.DataFrame({"t": [0.0], "events": [0], "total": [0]}), table], ignore_index=True)
    table["n_at_risk"] = len(frame) - table["total"].cumsum().shift(fill_value=0)
    table["censored"] = table["total"] - table["events"]
    at_risk = table["n_at_risk"]
    ratio = np.where(at_risk > 0, table["events"] / at_risk.where(at_risk > 0, 1), 0)
    table["survival"] = np.cumprod(1 - ratio)
    return table[["t", "n_at_risk", "events", "censored", "survival"]].astype(
        {"n_at_risk": "int64", "events": "int64", "censored": "int64"})


def survival_by(accounts: pd.DataFrame, group_col: str | None, as_of: Any) -> pd.DataFrame:
    """Kaplan-Meier curves per group, lifetime in months (days / 30.4375), censored at ``as_of``.

    With start dates: duration runs from start_date to end_date (churned by as_of) or to as_of (active);
    an account flagged churned without an end date has no known duration, so the curves cannot be drawn
    (ValueError with :func:`cs_logic.metrics.retention.undated_churn`'s reason; never an end on as_of).
    Without start dates but with ``tenure`` and a churn flag (e.g. the Telco export), the tenure as
    exported is the duration. Columns: group then the ``kaplan_meier`` columns.

    >>> a = pd.DataFrame({"tenure": [1, 2, 3], "churned": [True, False, True]})
    >>> survival_by(a, None, "2024-01-01")["survival"].round(3).tolist()
    [1.0, 0.667, 0.667, 0.0]
    """
    flags = churn_flags(accounts, as_of)["churned"]
    if "start_date" in accounts.columns and (reason := undated_churn(accounts, as_of)):
        raise ValueError(reason)
    if "start_date" in accounts.columns:
        start = day_starts(accounts["start_date"])
        end = (day_starts(accounts["end_date"]) if "end_date" in accounts.columns
               else pd.Series(pd.NaT, index=accounts.index))
        stop = end.where(flags.fillna(False).astype(bool) & end.notna(), day_start(as_of))
        months = (stop - start).dt.days / DAYS_PER_MONTH
    elif "tenure" in accounts.columns:
        months = pd.to_numeric(accounts["tenure"], errors="coerce")
    else:
        raise ValueError("Survival needs start dates (or a tenure column) to measure lifetimes.")
    groups = (accounts[group_col].astype(object).where(accounts[group_col].notna(), "(blank)")
              if group_col else pd.Series("All accounts", index=accounts.index))
    known = flags.notna() & months.notna()
    curves = [kaplan_meier(months[known & (groups == g)], flags[known & (groups == g)]).assign(group=g)
              for g in sorted(groups[known].unique(), key=str)]
    if not curves:
        return pd.DataFrame(columns=["group", "t", "n_at_risk", "events", "censored", "survival"])
    out = pd.concat(curves, ignore_index=True)
    return out[["group", "t", "n_at_risk", "events", "censored", "survival"]]


def median_lifetime(curve: pd.DataFrame) -> float | None:
    """The first t where survival falls to 0.5 or below; None if the curve never gets there.

    >>> median_lifetime(kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0]))
    3.0
    """
    below = curve[curve["survival"] <= 0.5]
    return None if below.empty else float(below["t"].iloc[0])

"""Churn per owner (rep, CSM) with Wilson intervals, against funnel-plot limits for each book size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cs_logic.core.stats import Z95, wilson_interval
from cs_logic.metrics.retention import churn_flags

OWNER_COLUMNS = ("owner", "accounts", "churned", "churn_share", "wilson_low", "wilson_high", "revenue_churned",
                 "limit_low", "limit_high", "flag")


@dataclass(frozen=True, eq=False)
class OwnerChurn:
    """Churn per owner (``table``), funnel-plot control limits for every book size (``limits``)."""

    table: pd.DataFrame
    limits: pd.DataFrame
    overall_share: float | None


def churn_by_owner(accounts: pd.DataFrame, as_of: Any = None) -> OwnerChurn:
    """Churn per owner with Wilson 95% intervals and funnel-plot limits (overall p +- 1.96 sqrt(p(1-p)/n)).

    ``table`` columns: owner, accounts (book size, churn known), churned, churn_share, wilson_low,
    wilson_high, revenue_churned (NaN without revenue), limit_low, limit_high, flag ("above limits",
    "below limits" or "within limits"). ``limits``: n (1 .. largest book), centre, low, high (clipped to
    0..1). An owner is flagged only when their share is outside the limits for their own book size.

    >>> a = pd.DataFrame({"owner": ["x", "x", "y", "y"], "churned": [True, False, False, False]})
    >>> churn_by_owner(a).table["churned"].tolist()
    [1, 0]
    """
    if "owner" not in accounts.columns:
        raise ValueError("Churn per owner needs an owner column (rep, CSM or account manager).")
    if "end_date" in accounts.columns and as_of is None:
        raise ValueError("The accounts have end dates: give an as-of date to decide who has churned.")
    flags = churn_flags(accounts, as_of if as_of is not None else pd.Timestamp.max)["churned"]
    revenue = (pd.to_numeric(accounts["revenue"], errors="coerce") if "revenue" in accounts.columns
               else pd.Series(np.nan, index=accounts.index))
    owner = accounts["owner"].astype(object).where(accounts["owner"].notna(), "(no owner)")
    frame = pd.DataFrame({"owner": owner,
                          "churned": flags, "revenue": revenue})
    frame = frame[frame["churned"].notna()]
    frame["churned"] = frame["churned"].astype(bool)
    frame["lost"] = frame["revenue"].where(frame["churned"], 0.0)
    g = frame.groupby("owner").agg(accounts=("churned", "size"), churned=("churned", "sum"),
                                   revenue_churned=("lost", lambda s: s.sum(min_count=1)))
    total = int(g["accounts"].sum())
    p = float(g["churned"].sum()) / total if total else None
    limits = _funnel_limits(p, int(g["accounts"].max()) if total else 0)
    rows = []
    for owner, r in g.iterrows():
        n, k = int(r["accounts"]), int(r["churned"])
        low, high = wilson_interval(k, n)
        lim = limits.iloc[n - 1]
        share = k / n
        flag = ("above limits" if share > lim["high"] else "below limits" if share < lim["low"]
                else "within limits")
        rows.append({"owner": owner, "accounts": n, "churned": k, "churn_share": share, "wilson_low": low,
                     "wilson_high": high, "revenue_churned": r["revenue_churned"],
                     "limit_low": lim["low"], "limit_high": lim["high"], "flag": flag})
    return OwnerChurn(pd.DataFrame(rows, columns=list(OWNER_COLUMNS)), limits, p)


def _funnel_limits(p: float | None, largest: int) -> pd.DataFrame:
    n = np.arange(1, largest + 1, dtype="float64")
    if p is None:
        return pd.DataFrame({"n": n.astype(int), "centre": np.nan, "low": np.nan, "high": np.nan})
    half = Z95 * np.sqrt(p * (1 - p) / n)
    return pd.DataFrame({"n": n.astype(int), "centre": p,
                         "low": np.clip(p - half, 0, 1), "high": np.clip(p + half, 0, 1)})

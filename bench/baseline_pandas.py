"""The health score the way an analyst would write it in plain pandas: the yardstick the app must beat.

Same measures (METRICS.md / cs_logic.metrics.measures.MEASURE_DOCS) and the same weighted, renormalised score
as the app's benchmark scorecard, with no cs_logic import, so the two can be checked against each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

CLOSED = {"closed", "resolved", "solved", "done", "completed", "cancelled", "canceled"}


def _usage_measures(usage: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    u = usage.dropna(subset=["account_id", "date"])
    day = u["date"].dt.normalize()
    u = u.assign(day=day, events=u["events"].fillna(1.0))
    u = u[u["day"] <= as_of]
    last = u[u["day"] > as_of - pd.Timedelta(days=30)]
    prior = u[(u["day"] > as_of - pd.Timedelta(days=60)) & (u["day"] <= as_of - pd.Timedelta(days=30))]
    out = pd.DataFrame({
        "usage_active_days_30d": last.groupby("account_id")["day"].nunique(),
        "usage_events_30d": last.groupby("account_id")["events"].sum(),
    })
    out = out.join(prior.groupby("account_id")["events"].sum().rename("events_prior_30d"), how="outer")
    out[["usage_active_days_30d", "usage_events_30d"]] = out[["usage_active_days_30d", "usage_events_30d"]].fillna(0)
    trend = 100.0 * (out["usage_events_30d"] / out["events_prior_30d"] - 1)
    out["usage_trend_30d"] = trend.where(out["events_prior_30d"] > 0)
    return out.drop(columns="events_prior_30d")


def _ticket_measures(tickets: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    t = tickets.dropna(subset=["account_id", "created_at"])
    t = t[t["created_at"].dt.normalize() <= as_of]
    resolved_day = t["resolved_at"].dt.normalize()
    closed_by_status = t["status"].str.strip().str.lower().isin(CLOSED)
    is_open = (resolved_day.isna() | (resolved_day > as_of)) & ~(resolved_day.isna() & closed_by_status)
    recent = t[t["created_at"].dt.normalize() > as_of - pd.Timedelta(days=90)]
    frh = (recent["first_response_at"] - recent["created_at"]).dt.total_seconds() / 3600.0
    frh = frh[frh >= 0]
    return pd.DataFrame({
        "open_tickets": is_open.groupby(t["account_id"]).sum().astype(float),
        "median_first_response_hours": frh.groupby(recent.loc[frh.index, "account_id"]).median(),
    })


def _survey_measures(surveys: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    s = surveys.dropna(subset=["account_id"])
    s = s[s["date"].isna() | (s["date"].dt.normalize() <= as_of)]
    nps = s[s["nps"].between(0, 10) & (s["nps"] == s["nps"].round())]
    # Latest answer per account; on the same day the lower answer wins.
    latest = (nps.assign(day=nps["date"].dt.normalize())
              .sort_values(["account_id", "day", "nps"], ascending=[True, True, False])
              .groupby("account_id")["nps"].last())
    csat = s[s["csat"].between(1, 5) & (s["csat"] == s["csat"].round())]
    csat_pct = 100.0 * (csat["csat"] >= 4).groupby(csat["account_id"]).mean()
    return pd.DataFrame({"nps_latest": latest, "csat_pct": csat_pct})


def measures(tables: dict[str, pd.DataFrame], as_of: dt.date) -> pd.DataFrame:
    """One row per account that started by ``as_of`` with the benchmark's measures and its plan."""
    ts = pd.Timestamp(as_of)
    accounts = tables["accounts"]
    accounts = accounts[accounts["start_date"].isna() | (accounts["start_date"].dt.normalize() <= ts)]
    out = accounts.drop_duplicates("account_id").set_index("account_id")[["plan"]]
    for part in (_usage_measures(tables["usage"], ts), _ticket_measures(tables["tickets"], ts),
                 _survey_measures(tables["surveys"], ts)):
        out = out.merge(part, left_index=True, right_index=True, how="left")
    for col in ("usage_active_days_30d", "usage_events_30d", "open_tickets"):
        out[col] = out[col].fillna(0.0)
    return out


def _points(x: pd.Series, m: dict[str, Any]) -> pd.Series:
    if m["method"] == "linear":
        return 100.0 * ((x.astype(float) - m["worst"]) / (m["best"] - m["worst"])).clip(0, 1)
    if m["method"] == "points":
        return x.map(m["points"]).astype(float)
    rank = x.astype(float).rank(method="average")
    n = float(x.notna().sum())
    return 100.0 * rank / n if m.get("higher_is_better", True) else 100.0 * (n - rank + 1) / n


def health_scores(tables: dict[str, pd.DataFrame], scorecard: dict[str, Any], as_of: dt.date) -> pd.DataFrame:
    """Measures, points and the weighted score (weights renormalised over the measures present).

    ``scorecard`` is the METRICS.md JSON object.

    Examples
    --------
    >>> # health_scores({"accounts": a, "usage": u, "tickets": t, "surveys": s}, card, date(2025, 12, 31))
    """
    m = measures(tables, as_of)
    num = pd.Series(0.0, index=m.index)
    den = pd.Series(0.0, index=m.index)
    for spec in scorecard["measures"]:
        pts = _points(m[spec["column"]], spec)
        num += pts.fillna(0.0) * spec["weight"]
        den += pts.notna() * spec["weight"]
    score = (num / den).where(den > 0)
    bands = scorecard.get("bands", {"red_below": 50, "green_from": 75})
    band = np.where(score < bands["red_below"], "red", np.where(score >= bands["green_from"], "green", "yellow"))
    return pd.DataFrame({"health_score": score, "health_band": pd.Series(band, index=m.index).where(score.notna())})

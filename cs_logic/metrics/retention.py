"""Retention and churn: flags, logo churn, MRR movements, cohorts (survival, repeat purchase and churn per
owner are in their own modules and follow the date rules below).

Date rules used throughout (METRICS.md leaves the instant open):
- An account or subscription is *active on day D* when ``start_date <= D`` and (``end_date`` is blank or
  ``end_date > D``): the end date is the first day it is gone. Times of day are dropped.
- *MRR on day D* = the sum of ``mrr`` over an account's subscriptions active on D (``arr / 12`` when only
  ``arr`` exists). A monthly MRR table (``account_id``, ``date``, ``mrr``) gives the MRR of the month that
  contains D.
- A period's *start* is the close of the day before it begins; its *end* is the close of its last day,
  or ``as_of`` for the period that contains it (``complete`` is False there).
- Lifetimes in months are days / 30.4375 (the mean Gregorian month).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.4375
ALL_COHORTS = "All cohorts"
DAY = pd.Timedelta(days=1)
MOVEMENT_COLUMNS = ("start_mrr", "new", "expansion", "contraction", "churned", "reactivation", "end_mrr",
                    "grr", "nrr")


def day_start(value: Any) -> pd.Timestamp:
    """The day of ``value`` (a date, text or timestamp) at midnight: times of day are dropped (see above)."""
    return pd.Timestamp(value).normalize()


def day_starts(s: pd.Series) -> pd.Series:
    """:func:`day_start` of each value of a column."""
    return pd.to_datetime(s).dt.normalize()


# ---------------------------------------------------------------------------------------------- churn


def churn_flags(accounts: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    """Whether each account has churned by ``as_of``, and the rule that decided it.

    ``end_date <= as_of`` decides where an end date exists (an end date after as_of means not churned
    yet); otherwise the ``churned`` flag; otherwise an account in a table with end dates is active
    (rule "no end date"), and without either column churn is unknown (<NA>).

    Returns columns ``account_id`` (when present), ``churned`` (boolean), ``rule``.

    >>> a = pd.DataFrame({"end_date": pd.to_datetime(["2024-01-31", None]), "churned": [False, True]})
    >>> churn_flags(a, "2024-06-30")[["churned", "rule"]].values.tolist()
    [[True, 'end_date <= as_of'], [True, 'churned flag']]
    """
    churned = pd.Series(pd.NA, index=accounts.index, dtype="boolean")
    rule = pd.Series("unknown", index=accounts.index, dtype=object)
    if "end_date" in accounts.columns:
        rule[:] = "no end date"
        churned[:] = False
    if "churned" in accounts.columns:
        flag = accounts["churned"].astype("boolean")
        has = flag.notna()
        churned[has], rule[has] = flag[has], "churned flag"
    if "end_date" in accounts.columns:
        end = day_starts(accounts["end_date"])
        dated = end.notna()
        churned[dated], rule[dated] = end[dated] <= day_start(as_of), "end_date <= as_of"
    out = pd.DataFrame({"churned": churned, "rule": rule}, index=accounts.index)
    if "account_id" in accounts.columns:
        out.insert(0, "account_id", accounts["account_id"])
    return out


def accounts_from_subscriptions(subscriptions: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    """One row per customer of a subscriptions export: account_id, start_date, end_date, churned.

    Each subscription is churned by :func:`churn_flags` (its end date on or before ``as_of``, else its churn
    flag or status; a requested cancellation with no end yet is not churn). A customer has churned when every
    one of their subscriptions has (end_date = the last end); a customer with one live subscription has not;
    otherwise unknown. In an export with end dates a subscription without one is live (c below), as
    :func:`churn_flags` reads it. Without a customer id, each subscription is a customer.

    >>> s = pd.DataFrame({"account_id": ["a", "a", "b", "c"], "churned": [True, False, True, None],
    ...                   "end_date": pd.to_datetime(["2024-01-31", None, "2024-02-10", None])})
    >>> accounts_from_subscriptions(s, "2024-06-30")["churned"].tolist()
    [False, True, False]
    """
    key = "account_id" if "account_id" in subscriptions.columns else "subscription_id"
    flags = churn_flags(subscriptions, as_of)["churned"]
    frame = pd.DataFrame({"account_id": subscriptions[key].astype(object), "churned": flags})
    frame["end_date"] = subscriptions["end_date"] if "end_date" in subscriptions.columns else pd.NaT
    frame["start_date"] = subscriptions["start_date"] if "start_date" in subscriptions.columns else pd.NaT
    frame = frame.dropna(subset=["account_id"])

    def gone(flags: pd.Series) -> Any:
        if flags.eq(False).any():
            return False
        return True if flags.notna().all() else pd.NA

    per = frame.groupby("account_id", sort=True)
    out = pd.DataFrame({"start_date": per["start_date"].min(), "end_date": per["end_date"].max(),
                        "churned": per["churned"].agg(gone).astype("boolean")}).reset_index()
    out["end_date"] = out["end_date"].where(out["churned"].fillna(False).astype(bool))
    if "end_date" not in subscriptions.columns:
        out = out.drop(columns=["end_date"])
    if "start_date" not in subscriptions.columns:
        out = out.drop(columns=["start_date"])
    return out


def undated_churn(accounts: pd.DataFrame, as_of: Any = None) -> str | None:
    """Why cohorts and survival cannot be drawn from these accounts, or None when they can.

    An account flagged churned (flag or status) with no end date left at some unknown time: counting it
    as active for ever (cohorts at 100%) or as ending on the as-of date (survival) would invent a date.
    METRICS.md: the matrix and the curve then cannot be drawn from that file, and the app says so.

    >>> a = pd.DataFrame({"start_date": pd.to_datetime(["2024-01-05"]), "churned": [True]})
    >>> undated_churn(a)[:48]
    '1 account is flagged churned with no end date, s'
    """
    flags = churn_flags(accounts, as_of if as_of is not None else pd.Timestamp.max)
    k = int((flags["churned"].fillna(False).astype(bool) & (flags["rule"] == "churned flag")).sum())
    if not k:
        return None
    who = "1 account is" if k == 1 else f"{k:,} accounts are"
    return (f"{who} flagged churned with no end date, so when they left is unknown: cohort retention and "
            "survival cannot be drawn from this file (an end date is never assumed). Add the accounts' end "
            "(cancellation) dates to see them.")


@dataclass(frozen=True)
class Share:
    """A labelled share: ``value = numerator / denominator`` (None when the denominator is 0)."""

    label: str
    numerator: int
    denominator: int
    value: float | None


def churn_share(accounts: pd.DataFrame, as_of: Any = None) -> Share:
    """The "share of accounts churned" = churned / all accounts whose churn is known.

    Use it where the export has a churn flag but no dates; ``as_of`` is needed only with end dates.

    >>> churn_share(pd.DataFrame({"churned": pd.array([True, False, False, True], "boolean")})).value
    0.5
    """
    if "end_date" in accounts.columns and as_of is None:
        raise ValueError("The accounts have end dates: give an as-of date to decide who has churned.")
    flags = churn_flags(accounts, as_of if as_of is not None else pd.Timestamp.max)["churned"].dropna()
    k, n = int(flags.sum()), len(flags)
    return Share("share of accounts churned", k, n, k / n if n else None)


def summary_accounts(accounts: pd.DataFrame, as_of: Any = None) -> dict[str, Any]:
    """Headline counts: accounts, churned (known), churn_share (churned / accounts with known status).

    ``churned`` and ``churn_share`` are None (unknown, not 0) when no account's churn is known: no churn
    flag, status or end date. ``as_of`` is needed only where end dates exist.

    >>> summary_accounts(pd.DataFrame({"churned": [True, False]}), "2024-01-01")
    {'count': 2, 'churned': 1, 'churn_share': 0.5}
    >>> summary_accounts(pd.DataFrame({"plan": ["a"]}))
    {'count': 1, 'churned': None, 'churn_share': None}
    """
    dated = "end_date" in accounts.columns and accounts["end_date"].notna().any()
    if dated and as_of is None:
        raise ValueError("The accounts have end dates: give an as-of date to decide who has churned.")
    flags = churn_flags(accounts, as_of if as_of is not None else pd.Timestamp.max)["churned"].dropna()
    if flags.empty:
        return {"count": len(accounts), "churned": None, "churn_share": None}
    k = int(flags.sum())
    return {"count": len(accounts), "churned": k, "churn_share": k / len(flags)}


# ------------------------------------------------------------------------------------------ logo churn


def _periods(first: pd.Timestamp, as_of: pd.Timestamp, freq: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(first day, last counted day) of every calendar period from ``first`` to ``as_of``."""
    span = pd.period_range(first.to_period(freq), as_of.to_period(freq), freq=freq)
    return [(p.start_time.normalize(), min(p.end_time.normalize(), as_of)) for p in span]


def logo_churn(accounts: pd.DataFrame, as_of: Any, freq: str = "M") -> pd.DataFrame:
    """Logo churn and customer retention per calendar period (``M``, ``Q`` or ``Y``) up to ``as_of``.

    Columns: period, period_end, active_start, new, churned (of those active at the start),
    churned_new (joined and left in the period), active_end, logo_churn_rate = churned / active_start
    (joiners are not in the denominator), customer_retention_rate = (active_end - new) / active_start,
    complete. Accounts without an end date count as active (an undated churn flag cannot be placed).

    >>> a = pd.DataFrame({"start_date": pd.to_datetime(["2024-01-05", "2024-01-10", "2024-02-03"]),
    ...                   "end_date": pd.to_datetime([None, "2024-02-20", None])})
    >>> logo_churn(a, "2024-02-29")["logo_churn_rate"].tolist()[1]  # 1 of the 2 active on 1 Feb left
    0.5
    """
    if "start_date" not in accounts.columns or "end_date" not in accounts.columns:
        raise ValueError("Logo churn needs start and end dates; with only a churn flag use churn_share.")
    as_of = day_start(as_of)
    start = day_starts(accounts["start_date"])
    end = day_starts(accounts["end_date"]).where(lambda e: e <= as_of)  # a future end is not a churn yet
    ok = start.notna() & (start <= as_of)
    start, end = start[ok], end[ok]
    if start.empty:
        return pd.DataFrame(columns=["period", "period_end", "active_start", "new", "churned", "churned_new",
                                     "active_end", "logo_churn_rate", "customer_retention_rate", "complete"])
    # Plain numpy days, a missing end as the far future: pandas' aligned comparisons per period were most of the
    # Overview's churn and retention tiles at 100,000 accounts (120 months of history).
    starts = start.to_numpy("datetime64[ns]").view("int64")
    ends = end.to_numpy("datetime64[ns]")
    ends = np.where(np.isnat(ends), np.iinfo(np.int64).max, ends.view("int64"))
    rows = []
    for first, last in _periods(start.min(), as_of, freq):
        lo, hi = pd.Timestamp(first).as_unit("ns").value, pd.Timestamp(last).as_unit("ns").value
        at_start = (starts < lo) & (ends >= lo)
        new = (starts >= lo) & (starts <= hi)
        left = (ends >= lo) & (ends <= hi)
        at_end = (starts <= hi) & (ends > hi)
        s = int(at_start.sum())
        rows.append({
            "period": first, "period_end": last, "active_start": s, "new": int(new.sum()),
            "churned": int((at_start & left).sum()), "churned_new": int((new & left).sum()),
            "active_end": int(at_end.sum()),
            "logo_churn_rate": (at_start & left).sum() / s if s else np.nan,
            "customer_retention_rate": (at_end.sum() - new.sum()) / s if s else np.nan,
            "complete": last == first.to_period(freq).end_time.normalize(),
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------- MRR


def _mrr_column(subs: pd.DataFrame) -> pd.Series:
    if "mrr" in subs.columns:
        return pd.to_numeric(subs["mrr"], errors="coerce").fillna(0.0)
    if "arr" in subs.columns:
        return pd.to_numeric(subs["arr"], errors="coerce").fillna(0.0) / 12
    raise ValueError("MRR needs an mrr (or arr) column.")


def mrr_at(subs: pd.DataFrame, dates: Sequence[Any]) -> pd.DataFrame:
    """MRR per account at the close of each date: rows account_id, one column per date.

    Takes subscriptions (start_date, end_date, mrr/arr) or a monthly MRR table (account_id, date, mrr).

    >>> s = pd.DataFrame({"account_id": ["a", "a"],
    ...                   "start_date": pd.to_datetime(["2024-01-01", "2024-02-10"]),
    ...                   "end_date": pd.to_datetime(["2024-03-01", None]), "mrr": [100.0, 50.0]})
    >>> mrr_at(s, ["2024-01-31", "2024-02-29", "2024-03-31"]).loc["a"].tolist()
    [100.0, 150.0, 50.0]
    """
    days = [day_start(d) for d in dates]
    mrr = _mrr_column(subs)
    ids = subs["account_id"]
    cols = {}
    if "start_date" in subs.columns:
        start = day_starts(subs["start_date"])
        end = day_starts(subs["end_date"]) if "end_date" in subs.columns else pd.Series(pd.NaT, index=subs.index)
        for d in days:
            active = (start <= d) & (end.isna() | (end > d))
            cols[d] = mrr.where(active, 0.0).groupby(ids).sum()
    else:
        month = pd.to_datetime(subs["date"]).dt.to_period("M")
        for d in days:
            cols[d] = mrr.where(month == d.to_period("M"), 0.0).groupby(ids).sum()
    out = pd.DataFrame(cols).fillna(0.0)
    out.index.name = "account_id"
    return out


def _movement(before: pd.Series, after: pd.Series, paid_before: pd.Series) -> dict[str, float]:
    """Split the change from one MRR snapshot to the next into the standard movements."""
    was, now = before > 0, after > 0
    diff = after - before
    start = float(before[was].sum())
    contraction = float(-diff[was & now & (diff < 0)].sum())
    churned = float(before[was & ~now].sum())
    expansion = float(diff[was & now & (diff > 0)].sum())
    return {
        "start_mrr": start,
        "new": float(after[~was & now & ~paid_before].sum()),
        "expansion": expansion,
        "contraction": contraction,
        "churned": churned,
        "reactivation": float(after[~was & now & paid_before].sum()),
        "end_mrr": float(after.sum()),
        "grr": (start - contraction - churned) / start if start else np.nan,
        "nrr": (start + expansion - contraction - churned) / start if start else np.nan,
    }


def mrr_movements(subs: pd.DataFrame, as_of: Any, freq: str = "M") -> pd.DataFrame:
    """MRR movements per calendar period (``M``, ``Q``, ``Y``) from the first subscription to ``as_of``.

    Each account's MRR at the period's start is compared with its MRR at the end: new (no MRR at the
    start and never at an earlier month end), reactivation (no MRR at the start, some at an earlier month
    end), expansion, contraction, churned (MRR at the start, none at the end). GRR = (start - contraction
    - churned) / start (never above 1) and NRR = (start + expansion - contraction - churned) / start use
    only accounts active at the start. Columns: period, period_end, start_mrr, new, expansion,
    contraction, churned, reactivation, end_mrr, grr, nrr, complete.

    >>> s = pd.DataFrame({"account_id": ["a", "a"],
    ...                   "start_date": pd.to_datetime(["2024-01-01", "2024-02-10"]),
    ...                   "end_date": pd.to_datetime([None, None]), "mrr": [100.0, 50.0]})
    >>> mrr_movements(s, "2024-02-29")[["expansion", "grr", "nrr"]].iloc[1].tolist()
    [50.0, 1.0, 1.5]
    """
    as_of = day_start(as_of)
    first = day_starts(subs["start_date"] if "start_date" in subs.columns else subs["date"]).min()
    if pd.isna(first) or first > as_of:
        return pd.DataFrame(columns=["period", "period_end", *MOVEMENT_COLUMNS, "complete"])
    periods = _periods(first, as_of, freq)
    months = pd.period_range(first.to_period("M") - 1, as_of.to_period("M"))
    month_ends = [p.end_time.normalize() for p in months]
    days = {*month_ends, *(f - DAY for f, _ in periods), *(last for _, last in periods)}
    snaps = mrr_at(subs, sorted(days))
    rows = []
    for first_day, last in periods:
        earlier = [d for d in month_ends if d < first_day]
        paid_before = (snaps[earlier] > 0).any(axis=1) if earlier else pd.Series(False, index=snaps.index)
        rows.append({"period": first_day, "period_end": last,
                     **_movement(snaps[first_day - DAY], snaps[last], paid_before),
                     "complete": last == first_day.to_period(freq).end_time.normalize()})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RevenueRetention:
    """Revenue retention over a window: the MRR of accounts active at its start, followed to its end."""

    start: pd.Timestamp
    end: pd.Timestamp
    accounts: int
    start_mrr: float
    end_mrr: float
    expansion: float
    contraction: float
    churned: float
    grr: float | None
    nrr: float | None


def revenue_retention(subs: pd.DataFrame, start: Any, end: Any) -> RevenueRetention:
    """GRR and NRR over the window ``start``..``end`` (e.g. a calendar year).

    Start MRR is taken at the close of the day before ``start``, end MRR at the close of ``end``; only
    accounts with MRR at the start count (``end_mrr`` is theirs alone; new accounts are left out).

    >>> s = pd.DataFrame({"account_id": ["a", "b"],
    ...                   "start_date": pd.to_datetime(["2023-06-01", "2023-06-01"]),
    ...                   "end_date": pd.to_datetime([None, "2024-05-01"]), "mrr": [100.0, 100.0]})
    >>> r = revenue_retention(s, "2024-01-01", "2024-12-31"); (r.grr, r.nrr)
    (0.5, 0.5)
    """
    first, last = day_start(start), day_start(end)
    snaps = mrr_at(subs, [first - DAY, last])
    before, after = snaps[first - DAY], snaps[last]
    kept = before > 0
    m = _movement(before[kept], after[kept], pd.Series(True, index=before[kept].index))
    grr = None if math.isnan(m["grr"]) else m["grr"]
    nrr = None if math.isnan(m["nrr"]) else m["nrr"]
    return RevenueRetention(first, last, int(kept.sum()), m["start_mrr"], m["end_mrr"], m["expansion"],
                            m["contraction"], m["churned"], grr, nrr)


# -------------------------------------------------------------------------------------------- cohorts


def _month_index(s: pd.Series) -> pd.Series:
    d = pd.to_datetime(s)
    return (d.dt.year * 12 + d.dt.month - 1).astype("Int64")


def cohort_matrix(
    df: pd.DataFrame,
    as_of: Any,
    id_col: str = "account_id",
    start_col: str = "start_date",
    end_col: str = "end_date",
    order_date_col: str | None = None,
    by: str = "logos",
    value_col: str | None = None,
) -> pd.DataFrame:
    """Cohort retention: rows = cohort month, columns ``size`` then months since 0..N, cells = shares.

    Accounts (default): cohort = start month; month k is the share still active at the start of month
    cohort + k (end date blank or on/after its first day; month 0 is 1.0); observable once that month has
    begun by ``as_of``. Orders (``order_date_col`` given): cohort = month of the first order; month k is
    the share of the cohort's customers who ordered in month k; observable once month k has ended by
    ``as_of`` (month 0 always). ``by="revenue"`` weighs by ``value_col`` (accounts: revenue still active /
    cohort revenue; orders: amount in month k / amount in month 0). Unobservable cells are NaN. The last
    row, "All cohorts", pools the cohorts that can observe each column (weighted by cohort size).

    >>> a = pd.DataFrame({"account_id": ["a", "b"],
    ...                   "start_date": pd.to_datetime(["2024-01-03", "2024-01-09"]),
    ...                   "end_date": pd.to_datetime(["2024-02-10", None])})
    >>> cohort_matrix(a, "2024-03-15").loc["2024-01", [0, 1, 2]].tolist()
    [1.0, 1.0, 0.5]
    """
    if by not in ("logos", "revenue"):
        raise ValueError('by must be "logos" or "revenue"')
    as_of = day_start(as_of)
    last_month = as_of.year * 12 + as_of.month - 1
    if order_date_col is not None:
        weights, active, observable_to = _order_cells(df, id_col, order_date_col, by, value_col, as_of)
    else:
        weights, active, observable_to = _account_cells(df, id_col, start_col, end_col, by, value_col, as_of)
    cohorts = sorted(weights.index.get_level_values(0).unique()) if len(weights) else []
    n_cols = last_month - min(cohorts) + 1 if cohorts else 0
    size = weights.groupby(level=0).sum()
    table = pd.DataFrame(np.nan, index=cohorts, columns=range(n_cols), dtype="float64")
    pooled_num, pooled_den = np.zeros(n_cols), np.zeros(n_cols)
    for c in cohorts:
        reach = min(observable_to(c) - c, n_cols - 1)
        for k in range(reach + 1):
            num = float(active(c, c + k))
            if math.isnan(num):
                continue  # unknown: an undated churn in the cohort
            table.loc[c, k] = num / size[c] if size[c] else np.nan
            pooled_num[k] += num
            pooled_den[k] += size[c]
    seen = pooled_den > 0
    table.loc[ALL_COHORTS] = np.where(seen, pooled_num / np.where(seen, pooled_den, 1), np.nan)
    table.insert(0, "size", [*(float(size[c]) for c in cohorts), float(size.sum()) if cohorts else 0.0])
    table.index = [c if c == ALL_COHORTS else f"{c // 12}-{c % 12 + 1:02d}" for c in table.index]
    table.index.name = "cohort"
    return table


def _account_cells(df: pd.DataFrame, id_col: str, start_col: str, end_col: str, by: str,
                   value_col: str | None, as_of: pd.Timestamp) -> tuple[pd.Series, Any, Any]:
    last_month = as_of.year * 12 + as_of.month - 1
    accounts = df[df[start_col].notna() & (day_starts(df[start_col]) <= as_of)].drop_duplicates(id_col)
    cohort = _month_index(accounts[start_col])
    ends = (_month_index(accounts[end_col]) if end_col in accounts.columns
            else pd.Series(pd.NA, index=accounts.index, dtype="Int64")).fillna(10**9)
    w = (pd.to_numeric(accounts[value_col or "revenue"], errors="coerce").fillna(0.0) if by == "revenue"
         else pd.Series(1.0, index=accounts.index))
    flags = churn_flags(accounts, as_of)
    undated = (flags["rule"] == "churned flag") & flags["churned"].fillna(False).astype(bool)
    frame = pd.DataFrame({"cohort": cohort, "end": ends, "w": w, "undated": undated})
    weights = frame.groupby(["cohort", "end"])["w"].sum()

    def active(c: int, m: int) -> float:
        part = frame[frame["cohort"] == c]
        if m == c:
            return float(part["w"].sum())
        return math.nan if part["undated"].any() else float(part.loc[part["end"] >= m, "w"].sum())

    return weights, active, lambda c: last_month


def _order_cells(df: pd.DataFrame, id_col: str, date_col: str, by: str,
                 value_col: str | None, as_of: pd.Timestamp) -> tuple[pd.Series, Any, Any]:
    orders = df[df[date_col].notna() & df[id_col].notna() & (day_starts(df[date_col]) <= as_of)]
    month = _month_index(orders[date_col])
    w = (pd.to_numeric(orders[value_col or "amount"], errors="coerce").fillna(0.0) if by == "revenue"
         else pd.Series(1.0, index=orders.index))
    frame = pd.DataFrame({"id": orders[id_col], "month": month, "w": w})
    frame["cohort"] = frame.groupby("id")["month"].transform("min")
    per_month = (frame.groupby(["cohort", "month"])["w"].sum() if by == "revenue"
                 else frame.groupby(["cohort", "month"])["id"].nunique().astype("float64"))
    weights = per_month[per_month.index.get_level_values(0) == per_month.index.get_level_values(1)]

    def active(c: int, m: int) -> float:
        return float(per_month.get((c, m), 0.0))

    # a month is observable once it has ended by as_of (month 0 always: the cohort exists)
    last_full = as_of.year * 12 + as_of.month - 1 - (0 if as_of.is_month_end else 1)
    return weights, active, lambda c: max(c, last_full)

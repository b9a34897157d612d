"""RFM: recency, frequency and monetary value per customer, scored 1-5 by quintile, and the segments they name.

METRICS.md "RFM": recency = days from the last purchase to the as-of date, frequency = purchases, monetary =
mean spend per purchase; each scored 1-5 within the portfolio (5 = best; ties share a score). The segments
are the common R x F map (R and F scores; M is shown beside them, since it says how much, not whether, a
customer buys); :data:`SEGMENT_RULES` is shown on the page as the rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cs_logic.metrics.repeat import buyer_purchases

# (segment, R scores, F scores, what it means): every (R, F) pair in 1..5 x 1..5 falls in exactly one.
SEGMENT_RULES: tuple[tuple[str, tuple[int, ...], tuple[int, ...], str], ...] = (
    ("Champions", (5,), (4, 5), "bought lately and often"),
    ("Loyal customers", (3, 4), (4, 5), "buy often, a little less lately"),
    ("Potential loyalists", (4, 5), (2, 3), "recent, have come back"),
    ("New customers", (5,), (1,), "first purchase lately"),
    ("Promising", (4,), (1,), "one purchase, fairly recent"),
    ("Need attention", (3,), (3,), "middling on both"),
    ("About to sleep", (3,), (1, 2), "few purchases, not lately"),
    ("Can't lose them", (1, 2), (5,), "bought most often, but long ago"),
    ("At risk", (1, 2), (3, 4), "bought often, but long ago"),
    ("Hibernating", (1, 2), (1, 2), "few purchases, long ago"),
)
SEGMENTS = tuple(rule[0] for rule in SEGMENT_RULES)


def quintile_score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """1-5 by quintile: ``1 + floor(5 * (customers strictly worse) / n)``, so ties share a score.

    Blank values get no score (<NA>).

    Examples
    --------
    Ten customers 1..10: 0 and 1 worse -> 1, 2 and 3 -> 2, ..., 8 and 9 worse -> 5. Ties: 6 x "1" and 4 x "2"
    -> the 1s have 0 worse (score 1), the 2s have 6 worse: 1 + floor(30 / 10) = 4.

    >>> quintile_score(pd.Series(range(1, 11))).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintile_score(pd.Series([1] * 6 + [2] * 4)).tolist()
    [1, 1, 1, 1, 1, 1, 4, 4, 4, 4]
    """
    x = pd.to_numeric(values, errors="coerce").astype(float)
    known = x.dropna()
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if known.empty:
        return out
    ranked = known if higher_is_better else -known
    worse = ranked.rank(method="min") - 1  # customers strictly worse than each
    out.loc[known.index] = (1 + np.floor(5 * worse / len(known))).astype(int).to_numpy()
    return out


def segment_of(r: Any, f: Any) -> str | None:
    """The segment an (R, F) pair falls in (:data:`SEGMENT_RULES`); None when either score is blank.

    >>> segment_of(5, 1), segment_of(1, 5), segment_of(2, 2)
    ('New customers', "Can't lose them", 'Hibernating')
    """
    if pd.isna(r) or pd.isna(f):
        return None
    return next(name for name, rs, fs, _ in SEGMENT_RULES if int(r) in rs and int(f) in fs)


def rfm_table(orders: pd.DataFrame, as_of: Any, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per customer: recency_days, frequency (purchases), monetary (mean spend per purchase with a known
    amount; blank without amounts), spend (total; blank when an amount is blank), R/F/M scores and segment.

    Purchases after ``as_of`` are left out.

    >>> o = pd.DataFrame({"account_id": ["a", "a", "b"], "order_id": ["1", "2", "3"], "amount": [10.0, 30.0, 5.0],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"])})
    >>> rfm_table(o, "2024-03-31")[["customer", "recency_days", "frequency", "monetary"]].values.tolist()
    [['a', 30, 2, 20.0], ['b', 59, 1, 5.0]]
    """
    bought, _, _ = buyer_purchases(orders, customers, as_of)
    g = bought.groupby("customer", sort=True)
    day = pd.Timestamp(as_of).normalize()
    out = pd.DataFrame({"recency_days": (day - g["day"].max()).dt.days, "frequency": g.size(),
                        "monetary": g["amount"].mean(),
                        "spend": g["amount"].sum(min_count=1).where(g["amount"].count() == g.size())})
    out["R"] = quintile_score(out["recency_days"], higher_is_better=False)
    out["F"] = quintile_score(out["frequency"])
    out["M"] = quintile_score(out["monetary"])
    out["segment"] = [segment_of(r, f) for r, f in zip(out["R"], out["F"])]
    return out.rename_axis("customer").reset_index()


def rfm_segments(table: pd.DataFrame) -> pd.DataFrame:
    """Per segment (in :data:`SEGMENT_RULES` order): its rule, customers, their share, revenue (blank when a
    spend is unknown) and revenue share; segments with no customer are listed with 0.

    >>> t = pd.DataFrame({"segment": ["Champions", "Champions", "Hibernating"], "spend": [50.0, 30.0, 20.0]})
    >>> rfm_segments(t).set_index("segment").loc[["Champions", "Hibernating"], ["customers", "revenue_share"]].values.tolist()
    [[2.0, 0.8], [1.0, 0.2]]
    """
    rows = []
    n = len(table)
    known_revenue = table["spend"].notna().all() if "spend" in table.columns else False
    total = float(table["spend"].sum()) if known_revenue else None
    for name, rs, fs, meaning in SEGMENT_RULES:
        part = table[table["segment"] == name]
        revenue = float(part["spend"].sum()) if known_revenue else None
        rows.append({"segment": name, "rule": f"R {_span(rs)}, F {_span(fs)}: {meaning}", "customers": len(part),
                     "share": len(part) / n if n else np.nan, "revenue": revenue,
                     "revenue_share": revenue / total if revenue is not None and total else np.nan})
    return pd.DataFrame(rows)


def _span(scores: tuple[int, ...]) -> str:
    return str(scores[0]) if len(scores) == 1 else f"{scores[0]}-{scores[-1]}"

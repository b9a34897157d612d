"""Where a scorecard starts and how the Scorecard page edits it: the default scorecard for the columns present,
each column's kind, a new measure to start from, a measure in words, the weight table, and the columns a
manager may add as a measure."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from cs_logic.core.schema import TABLES
from cs_logic.read.parse import infer_kind
from cs_logic.scoring import health
from cs_logic.scoring.health import Bands, Measure, Scorecard

# Direction of the measures the app knows: True = higher is healthier.
KNOWN_DIRECTIONS: dict[str, bool] = {
    "tenure": True, "usage_active_days_30d": True, "usage_events_30d": True, "usage_trend_30d": True,
    "active_users_per_seat": True, "nps_latest": True, "account_nps": True, "csat_pct": True,
    "orders_90d": True, "spend_trend_90d": True, "seat_change_pct": True,
    "open_tickets": False, "tickets_per_month": False, "high_priority_share": False,
    "median_first_response_hours": False, "days_since_last_order": False,
    "p_alive": True, "purchase_overdue": False,
}
# Ranges used when there is no data to take the 10th/90th percentiles from: (worst, best).
FALLBACK_RANGES: dict[str, tuple[float, float]] = {
    "tenure": (0, 36), "usage_active_days_30d": (0, 20), "usage_events_30d": (0, 100),
    "usage_trend_30d": (-50, 20), "active_users_per_seat": (0, 1), "nps_latest": (0, 10),
    "account_nps": (-100, 100), "csat_pct": (0, 100), "orders_90d": (0, 3), "spend_trend_90d": (-50, 20),
    "seat_change_pct": (-20, 20), "open_tickets": (5, 0), "tickets_per_month": (5, 0),
    "high_priority_share": (50, 0), "median_first_response_hours": (48, 1), "days_since_last_order": (180, 14),
    "p_alive": (0, 1), "purchase_overdue": (3, 1),
}
# Measures whose scale means the same in every portfolio, so the data's percentiles do not set their range:
# P(alive) 0 -> 1 (a customer more likely gone than not scores under 50, red); overdue 3 -> 1 (on their own
# rhythm 100 points, three of their usual gaps late 0, twice late 50).
FIXED_RANGES = ("p_alive", "purchase_overdue")
# The orders' raw measures a shop's starting scorecard leaves out (cs_logic.metrics.buyers): days since the last
# order and orders in 90 days punish a one-off buyer of a yearly product, and tenure a new customer.
RAW_BUYER_MEASURES = ("days_since_last_order", "orders_90d", "spend_trend_90d", "tenure")
# Plan/contract only: a segment (SMB, Enterprise) is who the customer is, not how healthy it is.
CATEGORY_MEASURES = ("plan",)
_CATEGORY_HINTS = ("contract", "plan", "tier", "package", "subscription")
_MAX_CATEGORIES = 12


def _nice(x: float) -> float:
    """Round to two significant figures (68.6 -> 69, 0.434 -> 0.43, 1234 -> 1200)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return float(round(x, 1 - math.floor(math.log10(abs(x)))))


def _linear_default(col: str, sample: pd.DataFrame | None) -> Measure | None:
    higher = KNOWN_DIRECTIONS[col]
    worst, best = FALLBACK_RANGES[col]
    if sample is not None and col in sample.columns and col not in FIXED_RANGES:
        x = pd.to_numeric(sample[col], errors="coerce").dropna()
        if len(x):
            lo, hi = _nice(float(x.quantile(0.1))), _nice(float(x.quantile(0.9)))
            if lo == hi:
                lo, hi = _nice(float(x.min())), _nice(float(x.max()))
            if lo == hi:
                return None
            worst, best = (lo, hi) if higher else (hi, lo)
    return Measure(col, 10.0, "linear", worst=float(worst), best=float(best))


def _points_default(col: str, sample: pd.DataFrame | None) -> Measure | None:
    if sample is None or col not in sample.columns:
        return None
    text = sample[col].dropna().astype(str)
    cats = sorted(text.unique())
    if not 2 <= len(cats) <= _MAX_CATEGORIES:
        return None
    table = {cat: 50.0 for cat in cats}
    if "churned" in sample.columns:
        flag = sample["churned"].astype("boolean")
        share = flag[text.index].groupby(text).mean().dropna()
        if len(share) == len(cats) and share.max() > share.min():
            table = {cat: float(round(100 * (share.max() - share[cat]) / (share.max() - share.min()))) for cat in cats}
    return Measure(col, 10.0, "points", points=tuple(table.items()))


def default_scorecard(columns_with_kinds: dict[str, str], sample: pd.DataFrame | None = None,
                      buyers: str | None = None) -> Scorecard:
    """A first scorecard from the columns present, for the manager to edit.

    ``buyers`` (a shop's customers, cs_logic.metrics.buyers): the one buyer measure health starts from
    ("p_alive", else "purchase_overdue"), in place of the orders' raw measures (RAW_BUYER_MEASURES) and the
    other buyer measure; P(alive) and overdue keep their fixed ranges (FIXED_RANGES).

    Known numeric measures (KNOWN_DIRECTIONS) are scored linearly from the data's 10th to 90th
    percentile (two significant figures; fixed ranges without data); plan/segment and extra
    columns named like contract/plan/tier with 2-12 categories get a points table spread 0-100 by
    churn share when ``sample`` has ``churned``, else 50 each. Every measure weighs 10. Ids,
    names, dates, flags, free text and the churn flag itself are never used.

    Examples
    --------
    >>> [m.column for m in default_scorecard({"account_id": "id", "tenure": "number"}).measures]
    ['tenure']
    >>> kinds = {"days_since_last_order": "number", "p_alive": "number", "purchase_overdue": "number"}
    >>> [(m.column, m.worst, m.best) for m in default_scorecard(kinds, buyers="p_alive").measures]
    [('p_alive', 0.0, 1.0)]
    """
    measures: list[Measure] = []
    for col, kind in columns_with_kinds.items():
        if col in FIXED_RANGES and col != buyers or buyers and col in RAW_BUYER_MEASURES:
            continue
        m: Measure | None = None
        if col in KNOWN_DIRECTIONS and kind in ("number", "duration", "nps", "csat", "ces"):
            m = _linear_default(col, sample)
        elif kind in ("category", "text") and (
            col in CATEGORY_MEASURES or any(h in col.lower() for h in _CATEGORY_HINTS)
        ) and col not in ("status", "account_name", "owner"):
            m = _points_default(col, sample)
        if m is not None:
            measures.append(m)
    return Scorecard("Starting point (edit me)", Bands(), tuple(measures))


def column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's kind: the schema's for canonical accounts fields, else inferred from the typed values."""
    fields = {f.name: f.kind for f in TABLES["accounts"].fields}
    return {str(c): fields.get(str(c)) or infer_kind(frame[c]) for c in frame.columns}


def churn_direction(values: pd.Series, churned: pd.Series | None) -> tuple[bool | None, str]:
    """Whether higher values went with staying, from the accounts whose churn is known, and why.

    The mean rank of retained accounts' values against churned ones' (the Mann-Whitney view: the same
    sign as the rank correlation of the value with staying, ties counting half). None when churn is
    unknown, one side is empty, or the ranks are equal.

    >>> churn_direction(pd.Series([5.0, 4, 1, 0]), pd.Series([True, True, False, False]))
    (False, 'churned accounts had higher values (mean rank 3.5 vs 1.5 of 4)')
    """
    if churned is None:
        return None, "no churn status in the data"
    known = churned.reindex(values.index).astype("boolean")
    x = pd.to_numeric(values, errors="coerce")
    keep = known.notna() & x.notna()
    x, flag = x[keep], known[keep].astype(bool)
    if not flag.any() or flag.all():
        return None, "no churned and retained accounts with a value to compare"
    ranks = x.rank()
    gone, kept = float(ranks[flag].mean()), float(ranks[~flag].mean())
    if gone == kept:
        return None, "churned and retained accounts had the same values on average"
    words = "higher" if gone > kept else "lower"
    return gone < kept, f"churned accounts had {words} values (mean rank {gone:g} vs {kept:g} of {len(x)})"


def churn_share_points(values: pd.Series, churned: pd.Series | None, cats: list[str]) -> dict[str, float]:
    """Points per category from its churn share: the lowest share gets 100, the highest 0, linear between.

    A category with no known churn, or every category alike, gets 50.

    >>> churn_share_points(pd.Series(["a", "a", "b", "b", "c"]), pd.Series([True, False, False, False, True]),
    ...                    ["a", "b", "c"])
    {'a': 50.0, 'b': 100.0, 'c': 0.0}
    """
    table = dict.fromkeys(cats, 50.0)
    if churned is None:
        return table
    text = values.dropna().astype(str)
    flag = churned.reindex(text.index).astype("boolean")
    share = flag.groupby(text).mean().dropna()
    share = share[share.index.isin(cats)]
    if len(share) < 2 or share.max() == share.min():
        return table
    for cat, value in share.items():
        table[str(cat)] = float(round(100 * (share.max() - value) / (share.max() - share.min())))
    return table


def new_measure(frame: pd.DataFrame, column: str, method: str, weight: float = 10.0,
                churned: pd.Series | None = None) -> health.Measure:
    """A measure for ``column`` to start editing, from the data.

    Linear: from the 10th to the 90th percentile; percentile: by rank. Their direction comes from
    ``churned`` (churn status per account, indexed like ``frame``) through :func:`churn_direction`, else
    from KNOWN_DIRECTIONS, else higher is better. Points: the 20 most common categories, each scored by
    its churn share (:func:`churn_share_points`), 50 each without churn. The churn status is today's, so a
    measure that falls when an account leaves (usage) reads as "higher is better", as it should.

    Examples
    --------
    >>> new_measure(pd.DataFrame({"x": [0.0, 10.0]}), "x", "linear").best
    9.0
    >>> m = new_measure(pd.DataFrame({"t": [5.0, 4, 1, 0]}), "t", "linear", churned=pd.Series([True, True, False, False]))
    >>> m.worst, m.best
    (4.7, 0.3)
    """
    values = frame[column] if column in frame.columns else pd.Series(dtype=float)
    if method == "points":
        cats = values.dropna().astype(str).value_counts().index[:20].tolist() or ["(none)"]
        table = churn_share_points(values, churned, cats)
        return health.Measure(column, weight, "points", points=tuple((c, table[c]) for c in sorted(cats)))
    higher, _ = churn_direction(values, churned)
    higher = KNOWN_DIRECTIONS.get(column, True) if higher is None else higher
    if method == "percentile":
        return health.Measure(column, weight, "percentile", higher_is_better=higher)
    x = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    lo, hi = (float(x.quantile(0.1)), float(x.quantile(0.9))) if len(x) else (0.0, 1.0)
    if lo == hi:
        lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
    hi = hi if hi != lo else lo + 1.0
    worst, best = (lo, hi) if higher else (hi, lo)
    return health.Measure(column, weight, "linear", worst=round(worst, 4), best=round(best, 4))


def describe_measure(m: health.Measure) -> str:
    """How a measure turns values into points, in a few words.

    Examples
    --------
    >>> describe_measure(health.Measure("t", 1, "linear", worst=90, best=10))
    'linear: 90 → 10 (lower is better)'
    """
    text = health.METHOD[m.method].describe(m)
    return text + ("" if m.missing_points is None else f"; blank = {m.missing_points:g} points")


def weight_table(sc: Scorecard, proposal: Scorecard | None = None) -> pd.DataFrame:
    """Measures with their rule, weight and weight share in percent (and a proposal's, when given).

    Examples
    --------
    >>> sc = Scorecard("s", measures=(health.Measure("a", 1, "percentile"), health.Measure("b", 3, "percentile")))
    >>> weight_table(sc)["weight_pct"].tolist()
    [25.0, 75.0]
    """
    total = float(sc.weights.sum())
    out = pd.DataFrame({
        "measure": [m.label or m.column for m in sc.measures],
        "rule": [describe_measure(m) for m in sc.measures],
        "weight": sc.weights,
        "weight_pct": 100.0 * sc.weights / total if total > 0 else np.nan,
    })
    if proposal is not None:
        rules = {m.column: describe_measure(m) for m in proposal.measures}
        out["proposed_rule"] = [("turned round: " + rules[m.column]) if rules.get(m.column, describe_measure(m))
                                != describe_measure(m) else "same" for m in sc.measures]
        by_col = {m.column: m.weight for m in proposal.measures}
        proposed = np.array([by_col.get(m.column, 0.0) for m in sc.measures], dtype=float)
        out["proposed_weight"] = proposed
        out["proposed_pct"] = 100.0 * proposed / proposed.sum() if proposed.sum() > 0 else np.nan
    return out


# Never offered as a measure: names and reps say nothing of health; churn and status are the outcome itself.
NOT_MEASURES = ("account_name", "owner", "churned", "status", "unique_customer_id")


def measure_choices(frame: pd.DataFrame, kinds: Mapping[str, str], taken: set[str]) -> list[str]:
    """Columns a manager may add as a measure: not an id, date, name, rep or the churn outcome, and not used yet.

    Examples
    --------
    >>> measure_choices(pd.DataFrame(columns=["owner", "seats", "plan"]), {"seats": "number"}, {"plan"})
    ['seats']
    """
    return [str(c) for c in frame.columns
            if c not in taken and c not in NOT_MEASURES and kinds.get(str(c)) not in ("id", "date")]

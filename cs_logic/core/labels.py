"""The words a manager reads for every field, derived measure and table column the app shows.

Pages, charts, exports and the report call ``label(name)`` (or ``relabel(frame)`` for a table) rather
than showing a column's code name: ``usage_active_days_30d`` is "Active days, last 30". A name with no
entry still reads as words ("rows_left_out" -> "Rows left out"), so no snake_case reaches a screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cs_logic.core.schema import TABLES

if TYPE_CHECKING:
    import pandas as pd

# Derived measures (cs_logic.metrics.measures.MEASURE_DOCS): the window is part of the name a manager reads.
MEASURE_LABELS: dict[str, str] = {
    "usage_active_days_30d": "Active days, last 30",
    "usage_events_30d": "Usage events, last 30 days",
    "usage_trend_30d": "Usage trend, last 30 days (%)",
    "active_users_per_seat": "Active users per seat",
    "open_tickets": "Open tickets",
    "tickets_per_month": "Tickets per month",
    "high_priority_share": "High-priority tickets (%)",
    "median_first_response_hours": "Median first response (hours)",
    "nps_latest": "Latest NPS answer",
    "account_nps": "Account NPS",
    "csat_pct": "CSAT (%)",
    "days_since_last_order": "Days since last order",
    "orders_90d": "Orders, last 90 days",
    "spend_trend_90d": "Spend trend, last 90 days (%)",
    "seat_change_pct": "Seat change, 90 days (%)",
}

# Columns the metrics and views return in tables (grep the pages' column_config for them).
COLUMN_LABELS: dict[str, str] = {
    # health and portfolio
    "health_score": "Health score", "health_band": "Band", "band": "Band", "score": "Score",
    "measures_used": "Measures used", "weakest_measure": "Weakest measure", "mean_health": "Mean health",
    "mean_health_score": "Mean health score", "red_share": "Share red", "revenue_at_risk": "Revenue at risk",
    "n_at_risk": "Accounts at risk", "at_risk": "At risk", "n_accounts": "Accounts", "accounts": "Accounts",
    "health_score_before": "Score before", "health_score_after": "Score after",
    "health_band_before": "Band before", "health_band_after": "Band after",
    "measure": "Measure", "value": "Value", "points": "Points", "weight": "Weight", "weight_pct": "Weight (%)",
    "contribution": "Contribution", "rule": "Points from", "raw_weight": "Raw weight",
    "proposed_weight": "Proposed weight", "proposed_pct": "Proposed weight (%)", "log_odds": "Log-odds",
    "missing_points": "Missing points", "direction": "Direction", "proposed_direction": "Proposed direction",
    "higher_is_better": "Higher is better", "lower_is_better": "Lower is better",
    "category": "Category", "column": "Column", "kind": "Kind",
    # churn and retention
    "churned": "Churned", "churn_share": "Churn share", "churn_low": "95% from", "churn_high": "95% to",
    "ci_low": "95% from", "ci_high": "95% to", "wilson_low": "95% from", "wilson_high": "95% to",
    "limit_low": "Lower limit", "limit_high": "Upper limit", "differs_from_rest": "Differs from the rest",
    "logo_churn_rate": "Logo churn rate", "customer_retention_rate": "Customer retention rate",
    "start_mrr": "MRR at start", "end_mrr": "MRR at end", "revenue_churned": "Revenue churned",
    "active_start": "Active at start", "active_end": "Active at end", "churned_new": "Churned (new)",
    "median_months": "Median months", "period_end": "Period end", "previous_period": "Previous period",
    "repeat_purchase_rate": "Repeat purchase rate", "mean_spend": "Mean spend", "spend_purchases": "Purchases",
    "actual_cumulative": "Actual (cumulative)", "predicted_cumulative": "Predicted (cumulative)",
    "predicted_cohort_cumulative": "Predicted for the cohort (cumulative)", "cohort": "Cohort",
    "months_since": "Months since", "last_90": "Last 90 days", "prior_90": "90 days before",
    # voice of the customer
    "nps": "NPS", "moe95": "Margin of error (95%)", "n": "Answers", "n_answers": "Answers",
    "promoters_pct": "Promoters (%)", "passives_pct": "Passives (%)", "detractors_pct": "Detractors (%)",
    "small_sample": "Small sample", "significant_change": "Significant change", "csat_n": "CSAT answers",
    "mean_rating": "Mean rating", "answered_share": "Answered (%)", "theme": "Theme", "term": "Term",
    "share_a": "Share in A", "share_b": "Share in B", "count_a": "Count in A", "count_b": "Count in B",
    "points_a": "Points in A", "points_b": "Points in B", "feature_score": "Feature score",
    "question": "Question", "example": "Example", "z": "z",
    # support
    "median_resolution_hours": "Median resolution (hours)", "p90_first_response_hours": "90th pct first response (hours)",
    "p90_resolution_hours": "90th pct resolution (hours)", "n_first_response": "Tickets with a first response",
    "n_resolution": "Tickets resolved", "resolved_share": "Resolved (%)", "tickets": "Tickets", "backlog": "Backlog",
    "negative_first_response": "Negative first responses", "negative_resolution": "Negative resolutions",
    # funnel
    "stage": "Stage", "p_won": "Chance of winning", "weighted_forecast": "Weighted forecast",
    "pipeline_value": "Pipeline value", "open_deals": "Open deals", "win_rate": "Win rate",
    "win_rate_low": "95% from", "win_rate_high": "95% to", "step_conversion": "Step conversion",
    "overall_conversion": "Overall conversion", "median_days": "Median days", "reached": "Reached",
    "at_stage_now": "At this stage now", "lost_at_stage": "Lost at this stage", "closed_reached": "Closed",
    "accounts_sold": "Accounts sold", "deals": "Deals", "won": "Won", "lost": "Lost",
    # targets, explore, data
    "gap_to_target": "Gap to target", "target": "Target", "source": "Source", "kpi": "KPI",
    "rows": "Rows", "rows_left_out": "Rows left out", "table_name": "Table", "table": "Table",
    "date_from": "From", "date_to": "To", "as_of": "As of", "covered_by": "Covered by",
    "problem": "Problem", "row": "Row", "reason": "Reason", "count": "Count", "share": "Share",
    "mrr": "MRR", "arr": "ARR",
}

# Pieces of a code name and the word they stand for, used only for names without an entry.
_WORDS = {"pct": "%", "n": "number of", "p90": "90th percentile", "id": "id", "csat": "CSAT",
          "nps": "NPS", "ces": "CES", "mrr": "MRR", "arr": "ARR", "kpi": "KPI", "moe95": "margin of error"}
_WINDOW = re.compile(r"^(\d+)d$")


def _fields() -> dict[str, str]:
    # The first table that has a field names it ("account_id" is "Account id" from accounts).
    out: dict[str, str] = {}
    for t in TABLES.values():
        for f in t.fields:
            out.setdefault(f.name, f.label)
    return out


FIELD_LABELS: dict[str, str] = _fields()


def words(name: str) -> str:
    """A code name read as words, for a name with no label entry.

    >>> words("rows_left_out")
    'Rows left out'
    >>> words("p90_wait_hours")
    '90th percentile wait hours'
    >>> words("visits_7d")
    'Visits, last 7 days'
    >>> words("MRR")
    'MRR'
    """
    text = str(name)
    if "_" not in text and not text.islower():
        return text  # already written for a reader ("Account", "MRR")
    parts = [p for p in re.split(r"[_\s]+", text) if p]
    out: list[str] = []
    window = ""
    for p in parts:
        m = _WINDOW.match(p)
        if m:
            window = f", last {m.group(1)} days"
        else:
            out.append(_WORDS.get(p.lower(), p))
    if not out:
        return text
    phrase = " ".join(out) + window
    return phrase[0].upper() + phrase[1:]


def label(name: object, table: str | None = None) -> str:
    """What the app calls a field, measure or table column; never snake_case.

    ``table`` picks that table's field label where tables differ (``account_id`` in orders is
    "Customer id").

    >>> label("usage_active_days_30d")
    'Active days, last 30'
    >>> label("account_id"), label("account_id", "orders")
    ('Account id', 'Customer id')
    >>> label("p_won")
    'Chance of winning'
    >>> label("some_new_column")
    'Some new column'
    """
    key = str(name)
    if table is not None and table in TABLES:
        for f in TABLES[table].fields:
            if f.name == key:
                return f.label
    for source in (MEASURE_LABELS, COLUMN_LABELS, FIELD_LABELS):
        if key in source:
            return source[key]
    return words(key)


def labels(names: Iterable[object], table: str | None = None) -> dict[str, str]:
    """``{name: label(name)}`` for each name, e.g. a column_config or ``frame.rename`` mapping.

    >>> labels(["nps", "n"])
    {'nps': 'NPS', 'n': 'Answers'}
    """
    return {str(n): label(n, table) for n in names}


def relabel(frame: pd.DataFrame, table: str | None = None, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of ``frame`` whose columns (and named index) carry labels; ``keep`` names stay as they are.

    Two columns that would get the same label keep their distinct code-name reading, so no column is lost.

    >>> import pandas as pd
    >>> list(relabel(pd.DataFrame({"p_won": [0.5], "weighted_forecast": [10.0]})).columns)
    ['Chance of winning', 'Weighted forecast']
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for c in frame.columns:
        new = str(c) if c in keep else label(c, table)
        if new in taken:
            new = words(str(c))
        mapping[c] = new
        taken.add(new)
    out = frame.rename(columns=mapping)
    if out.index.name is not None:
        out.index.name = label(out.index.name, table)
    return out

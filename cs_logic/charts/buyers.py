"""Altair charts for customers who buy: time between purchases, P(alive), and the purchase model's check."""

from __future__ import annotations

import altair as alt
import pandas as pd

ACTUAL, PREDICTED = "#1f77b4", "#ff7f0e"


def gaps_chart(gaps: pd.DataFrame, title: str = "Time between purchases") -> alt.Chart:
    """Bars of repeat purchases per gap bin (``repeat.gap_distribution``), bins in their own order.

    >>> from cs_logic.metrics.repeat import GAP_LABELS
    >>> g = pd.DataFrame({"gap": list(GAP_LABELS), "purchases": [1, 0, 2, 0, 0, 0], "share": [1/3, 0, 2/3, 0, 0, 0]})
    >>> gaps_chart(g).to_dict()["encoding"]["x"]["sort"][0]
    'up to 7 days'
    """
    return (
        alt.Chart(gaps, title=title)
        .mark_bar()
        .encode(
            x=alt.X("gap:N", title="Days since the purchase before", sort=list(gaps["gap"])),
            y=alt.Y("purchases:Q", title="Repeat purchases"),
            tooltip=[alt.Tooltip("gap:N", title="Gap"), alt.Tooltip("purchases:Q", title="Repeat purchases"),
                     alt.Tooltip("share:Q", title="Share", format=".1%")],
        )
    )


def alive_chart(histogram: pd.DataFrame, title: str = "P(alive): probability each customer still buys") -> alt.Chart:
    """Bars of customers per P(alive) band (``buyers_view.alive_histogram``: band, customers); at most a few bars.

    >>> alive_chart(pd.DataFrame({"band": ["0.0-0.5", "0.5-1.0"], "customers": [1, 2]})).to_dict()["mark"]["type"]
    'bar'
    """
    return (
        alt.Chart(histogram, title=title)
        .mark_bar()
        .encode(
            x=alt.X("band:O", title="P(alive)", sort=list(histogram["band"])),
            y=alt.Y("customers:Q", title="Customers"),
            tooltip=[alt.Tooltip("band:O", title="P(alive)"), alt.Tooltip("customers:Q", title="Customers")],
        )
    )


def check_by_frequency_chart(by_frequency: pd.DataFrame,
                             title: str = "Holdout purchases per customer, by purchases before the split") -> alt.Chart:
    """Mean holdout purchases per customer, actual against predicted, per calibration repeat purchases
    (``purchase.HoldoutCheck.by_frequency``: the paper's Figure 4).

    >>> f = pd.DataFrame({"calibration_repeat_purchases": ["0", "1"], "customers": [5, 2],
    ...                   "actual_mean": [0.2, 1.0], "predicted_mean": [0.25, 0.9]})
    >>> check_by_frequency_chart(f).data["series"].tolist()
    ['actual', 'actual', 'predicted', 'predicted']
    """
    long = by_frequency.melt(id_vars=["calibration_repeat_purchases", "customers"],
                             value_vars=["actual_mean", "predicted_mean"], var_name="series", value_name="purchases")
    long["series"] = long["series"].map({"actual_mean": "actual", "predicted_mean": "predicted"})
    order = list(by_frequency["calibration_repeat_purchases"])
    return (
        alt.Chart(long, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("calibration_repeat_purchases:O", title="Repeat purchases before the split", sort=order),
            y=alt.Y("purchases:Q", title="Mean purchases after the split"),
            color=alt.Color("series:N", title="", scale=alt.Scale(domain=["actual", "predicted"],
                                                                 range=[ACTUAL, PREDICTED])),
            tooltip=[alt.Tooltip("calibration_repeat_purchases:O", title="Repeat purchases before"),
                     alt.Tooltip("customers:Q", title="Customers"), alt.Tooltip("series:N", title="Series"),
                     alt.Tooltip("purchases:Q", title="Mean purchases after", format=".2f")],
        )
    )


def check_by_week_chart(by_week: pd.DataFrame,
                        title: str = "Cumulative purchases after the split, week by week") -> alt.Chart:
    """Cumulative holdout purchases, actual against predicted from each customer's history
    (``purchase.HoldoutCheck.by_week``: the paper's Figure 2 tracking plot).

    >>> w = pd.DataFrame({"week": [1, 2], "through": pd.to_datetime(["2024-01-08", "2024-01-15"]),
    ...                   "actual_cumulative": [3, 5], "predicted_cumulative": [2.5, 5.2],
    ...                   "predicted_cohort_cumulative": [2.4, 5.0]})
    >>> check_by_week_chart(w).data["purchases"].tolist()
    [3.0, 5.0, 2.5, 5.2]
    """
    long = by_week.melt(id_vars=["week", "through"], value_vars=["actual_cumulative", "predicted_cumulative"],
                        var_name="series", value_name="purchases")
    long["series"] = long["series"].map({"actual_cumulative": "actual", "predicted_cumulative": "predicted"})
    return (
        alt.Chart(long, title=title)
        .mark_line()
        .encode(
            x=alt.X("through:T", title="Week ending"),
            y=alt.Y("purchases:Q", title="Purchases since the split"),
            color=alt.Color("series:N", title="", scale=alt.Scale(domain=["actual", "predicted"],
                                                                 range=[ACTUAL, PREDICTED])),
            tooltip=[alt.Tooltip("week:Q", title="Week"), alt.Tooltip("through:T", title="Through"),
                     alt.Tooltip("series:N", title="Series"),
                     alt.Tooltip("purchases:Q", title="Purchases", format=",.0f")],
        )
    )

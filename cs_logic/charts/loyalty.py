"""Altair charts for loyalty: NPS answers and trend, cohorts, survival, churn per owner, MRR movements."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cs_logic.charts.points import point_labels
from cs_logic.metrics.owner_churn import OwnerChurn
from cs_logic.metrics.retention import ALL_COHORTS

MAX_ROWS = 5000
NPS_COLOURS = {"detractor": "#d62728", "passive": "#bdbdbd", "promoter": "#2ca02c"}
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churned")
MOVEMENT_COLOURS = ("#2ca02c", "#98df8a", "#1f77b4", "#ff9896", "#d62728")


def nps_distribution_chart(dist: pd.DataFrame, title: str = "Answers 0-10") -> alt.Chart:
    """Bars of the count of each answer 0..10 (``nps.distribution``), coloured by promoter/passive/detractor.

    >>> from cs_logic.metrics.nps import distribution
    >>> nps_distribution_chart(distribution([10, 3])).to_dict()["mark"]["type"]
    'bar'
    """
    return (
        alt.Chart(dist[["score", "count", "category"]], title=title)
        .mark_bar()
        .encode(
            x=alt.X("score:O", title="Answer (0-10)", sort=list(range(11))),
            y=alt.Y("count:Q", title="Answers"),
            color=alt.Color("category:N", title="Group",
                            scale=alt.Scale(domain=list(NPS_COLOURS), range=list(NPS_COLOURS.values()))),
            tooltip=[alt.Tooltip("score:O", title="Answer"), alt.Tooltip("count:Q", title="Answers"),
                     alt.Tooltip("category:N", title="Group")],
        )
    )


def nps_trend_chart(
    trend: pd.DataFrame, title: str = "NPS over time (band: 95% adjusted-Wald interval)"
) -> alt.LayerChart | alt.FacetChart:
    """NPS per period (``nps.nps_trend``): a line, the interval as a band, diamonds on significant changes,
    and periods under 30 answers drawn as grey points (``small_sample``; never marked significant).

    >>> from cs_logic.metrics.nps import nps_trend
    >>> df = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-05"]), "nps": [10, 0]})
    >>> len(nps_trend_chart(nps_trend(df)).to_dict()["layer"])
    4
    """
    cols = ["period", "n", "nps", "moe95", "ci_low", "ci_high", "small_sample", "significant_change"]
    base = alt.Chart(trend[cols]).encode(x=alt.X("period:T", title="Period"))
    tooltip = [
        alt.Tooltip("period:T", title="Period"), alt.Tooltip("nps:Q", title="NPS", format=".1f"),
        alt.Tooltip("n:Q", title="Answers (n)"),
        alt.Tooltip("moe95:Q", title="Margin of error (95%)", format=".1f"),
        alt.Tooltip("ci_low:Q", title="Interval low", format=".1f"),
        alt.Tooltip("ci_high:Q", title="Interval high", format=".1f"),
        alt.Tooltip("small_sample:N", title="Under 30 answers"),
        alt.Tooltip("significant_change:N", title="Significant change"),
    ]
    band = base.mark_area(opacity=0.2).encode(
        y=alt.Y("ci_low:Q", title="NPS", scale=alt.Scale(domain=[-100, 100])), y2="ci_high:Q", tooltip=tooltip
    )
    line = base.mark_line(point=True).encode(y=alt.Y("nps:Q", title="NPS"), tooltip=tooltip)
    marks = (base.transform_filter(alt.datum.significant_change)
             .mark_point(shape="diamond", size=140, filled=True, color="#d62728")
             .encode(y="nps:Q", tooltip=tooltip))
    small = (base.transform_filter(alt.datum.small_sample)
             .mark_point(shape="circle", size=90, filled=True, color="#bdbdbd", opacity=1)
             .encode(y="nps:Q", tooltip=tooltip))
    return alt.layer(band, line, marks, small, title=title)


def cohort_heatmap(matrix: pd.DataFrame, title: str = "Cohort retention (share active)") -> alt.Chart:
    """Heatmap of ``retention.cohort_matrix``; unobservable (NaN) cells get no mark, so they stay blank.

    >>> m = pd.DataFrame({"size": [2.0], 0: [1.0], 1: [np.nan]}, index=pd.Index(["2024-01"], name="cohort"))
    >>> len(cohort_heatmap(m).data)
    1
    """
    months = [c for c in matrix.columns if c != "size"]
    long = (matrix.reset_index().melt(id_vars=["cohort", "size"], value_vars=months,
                                      var_name="months_since", value_name="share").dropna(subset=["share"]))
    long["months_since"] = long["months_since"].astype(int)
    order = [c for c in matrix.index if c != ALL_COHORTS] + [ALL_COHORTS]
    return (
        alt.Chart(long.head(MAX_ROWS), title=title)
        .mark_rect()
        .encode(
            x=alt.X("months_since:O", title="Months since start"),
            y=alt.Y("cohort:O", title="Cohort", sort=order),
            # The scale starts at the lowest share shown, so 80% and 100% do not look alike.
            color=alt.Color("share:Q", title="Share active", scale=alt.Scale(
                domain=[float(long["share"].min()) if len(long) else 0.0, 1.0], scheme="blues")),
            tooltip=[alt.Tooltip("cohort:O", title="Cohort"),
                     alt.Tooltip("months_since:O", title="Months since"),
                     alt.Tooltip("share:Q", title="Share active", format=".1%"),
                     alt.Tooltip("size:Q", title="Cohort size")],
        )
    )


def survival_chart(
    curves: pd.DataFrame, title: str = "Share of accounts still active (Kaplan-Meier)"
) -> alt.Chart:
    """Step curves of ``survival.survival_by``, one per group; t in months.

    Rows where nothing churned do not move the curve, so only event rows and each group's last row are drawn.

    >>> from cs_logic.metrics.survival import survival_by
    >>> a = pd.DataFrame({"tenure": [1, 2, 3], "churned": [True, False, True]})
    >>> survival_chart(survival_by(a, None, "2024-01-01")).to_dict()["mark"]["interpolate"]
    'step-after'
    """
    last = curves.groupby("group", sort=False).tail(1).index
    drawn = curves[(curves["events"] > 0) | (curves["t"] == 0) | curves.index.isin(last)]
    if len(drawn) > MAX_ROWS:
        drawn = drawn.assign(t=drawn["t"].round(1)).groupby(["group", "t"], as_index=False).last()
    return (
        alt.Chart(drawn[["group", "t", "n_at_risk", "events", "survival"]], title=title)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("t:Q", title="Months since start"),
            y=alt.Y("survival:Q", title="Share still active", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            color=alt.Color("group:N", title="Group"),
            tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("t:Q", title="Months", format=".1f"),
                     alt.Tooltip("survival:Q", title="Still active", format=".1%"),
                     alt.Tooltip("n_at_risk:Q", title="At risk"),
                     alt.Tooltip("events:Q", title="Churned here")],
        )
    )


def owner_funnel_chart(
    owner_churn: OwnerChurn, title: str = "Churn per owner against book size"
) -> alt.LayerChart | alt.FacetChart:
    """Funnel plot: each owner's churn share by book size (each dot named), with the overall share and its 95% limits.

    >>> from cs_logic.metrics.owner_churn import churn_by_owner
    >>> a = pd.DataFrame({"owner": ["x", "x", "y"], "churned": [True, False, False]})
    >>> [layer["mark"]["type"] for layer in owner_funnel_chart(churn_by_owner(a)).to_dict()["layer"]]
    ['line', 'circle', 'text']
    """
    limits = owner_funnel_limits(owner_churn.limits)
    lines = (
        alt.Chart(limits)
        .mark_line(strokeDash=[4, 3])
        .encode(
            x=alt.X("n:Q", title="Book size (accounts)"),
            y=alt.Y("share:Q", title="Churn share", axis=alt.Axis(format="%")),
            detail="line:N",
            color=alt.value("#7f7f7f"),
            tooltip=[alt.Tooltip("line:N", title="Line"), alt.Tooltip("n:Q", title="Book size"),
                     alt.Tooltip("share:Q", title="Share", format=".1%")],
        )
    )
    cols = ["owner", "accounts", "churned", "churn_share", "wilson_low", "wilson_high", "flag"]
    table = owner_churn.table[cols]
    dots = alt.Chart(table.head(MAX_ROWS))
    points = (
        dots
        .mark_circle(size=80)
        .encode(
            x="accounts:Q",
            y="churn_share:Q",
            color=alt.Color("flag:N", title="Against the limits",
                            scale=alt.Scale(domain=["above limits", "within limits", "below limits"],
                                            range=["#d62728", "#1f77b4", "#2ca02c"])),
            tooltip=[alt.Tooltip("owner:N", title="Owner"), alt.Tooltip("accounts:Q", title="Accounts"),
                     alt.Tooltip("churned:Q", title="Churned"),
                     alt.Tooltip("churn_share:Q", title="Churn share", format=".1%"),
                     alt.Tooltip("wilson_low:Q", title="95% low (Wilson)", format=".1%"),
                     alt.Tooltip("wilson_high:Q", title="95% high (Wilson)", format=".1%"),
                     alt.Tooltip("flag:N", title="Against the limits")],
        )
    )
    names = point_labels(dots, table.head(MAX_ROWS).assign(owner=lambda t: t["owner"].astype(str)), "owner",
                         "accounts:Q", "churn_share:Q", rank_by="accounts")
    return alt.layer(lines, points, names, title=title)


def owner_funnel_limits(limits: pd.DataFrame, points: int = 300) -> pd.DataFrame:
    """The control limits as long rows (n, line, share), thinned to about ``points`` book sizes per line."""
    if limits.empty:
        return pd.DataFrame({"n": [], "line": [], "share": []})
    keep = np.unique(np.geomspace(1, len(limits), num=min(points, len(limits))).round().astype(int)) - 1
    names = {"centre": "overall", "low": "lower limit", "high": "upper limit"}
    picked = limits.iloc[keep].rename(columns=names)
    return picked.melt(id_vars="n", value_vars=["lower limit", "overall", "upper limit"],
                       var_name="line", value_name="share")


def mrr_movements_chart(movements: pd.DataFrame, title: str = "MRR movements per period") -> alt.Chart:
    """Stacked bars per period (``retention.mrr_movements``): gains above zero, contraction and churn below.

    >>> m = pd.DataFrame({"period": pd.to_datetime(["2024-01-01"]), "new": [10.0], "reactivation": [0.0],
    ...                   "expansion": [5.0], "contraction": [2.0], "churned": [1.0], "start_mrr": [100.0],
    ...                   "end_mrr": [112.0], "grr": [0.97], "nrr": [1.02]})
    >>> mrr_movements_chart(m).data["amount"].tolist()
    [10.0, 0.0, 5.0, -2.0, -1.0]
    """
    long = movements.melt(id_vars=["period", "start_mrr", "end_mrr", "grr", "nrr"],
                          value_vars=list(MOVEMENTS), var_name="movement", value_name="amount")
    long.loc[long["movement"].isin(["contraction", "churned"]), "amount"] *= -1
    long["order"] = long["movement"].map({m: i for i, m in enumerate(MOVEMENTS)})
    long = long.sort_values(["period", "order"], kind="stable").reset_index(drop=True)
    return (
        alt.Chart(long.head(MAX_ROWS), title=title)
        .mark_bar()
        .encode(
            x=alt.X("period:T", title="Period"),
            y=alt.Y("amount:Q", title="MRR change"),
            color=alt.Color("movement:N", title="Movement",
                            scale=alt.Scale(domain=list(MOVEMENTS), range=list(MOVEMENT_COLOURS))),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("period:T", title="Period"), alt.Tooltip("movement:N", title="Movement"),
                     alt.Tooltip("amount:Q", title="Amount", format=",.0f"),
                     alt.Tooltip("start_mrr:Q", title="Start MRR", format=",.0f"),
                     alt.Tooltip("end_mrr:Q", title="End MRR", format=",.0f"),
                     alt.Tooltip("grr:Q", title="GRR", format=".1%"),
                     alt.Tooltip("nrr:Q", title="NRR", format=".1%")],
        )
    )

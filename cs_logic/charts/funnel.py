"""Funnel charts: deals reaching each stage, win rate per owner, weighted forecast per stage."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from cs_logic.core.labels import label

MAX_BARS = 5_000


def funnel_chart(table: pd.DataFrame) -> alt.Chart:
    """Horizontal bars of deals reaching each stage (``funnel.funnel_table`` output), in stage order.

    >>> t = pd.DataFrame({"stage": ["Lead", "Won"], "reached": [4, 1], "step_conversion": [None, 0.25],
    ...                   "overall_conversion": [1.0, 0.25]})
    >>> funnel_chart(t).to_dict()["mark"]["type"]
    'bar'
    """
    data = table[["stage", "reached", "step_conversion", "overall_conversion"]].head(MAX_BARS)
    order = data["stage"].astype(str).tolist()
    return (
        alt.Chart(data, title="Deals reaching each stage (current-stage assumption)")
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=order, title="Stage"),
            x=alt.X("reached:Q", title="Deals that reached the stage"),
            tooltip=[
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("reached:Q", title="Reached", format=","),
                alt.Tooltip("step_conversion:Q", title="Step conversion (from previous stage)", format=".1%"),
                alt.Tooltip("overall_conversion:Q", title="Conversion from first stage", format=".1%"),
            ],
        )
    )


def owner_conversion_chart(by_owner: pd.DataFrame, dim: str = "owner") -> alt.Chart:
    """Win rate per owner (``funnel.by_dim`` output), highest first, the Wilson 95% interval in the tooltip.

    >>> t = pd.DataFrame({"owner": ["A"], "win_rate": [0.5], "win_rate_low": [0.1], "win_rate_high": [0.9],
    ...                   "won": [1], "lost": [1], "deals": [2]})
    >>> owner_conversion_chart(t).to_dict()["encoding"]["x"]["field"]
    'win_rate'
    """
    data = by_owner[[dim, "win_rate", "win_rate_low", "win_rate_high", "won", "lost", "deals"]].head(MAX_BARS)
    data = data.rename(columns={dim: "group"}).assign(group=lambda d: d["group"].astype(str), closed=lambda d: d["won"] + d["lost"])
    return (
        alt.Chart(data, title=f"Win rate by {label(dim).lower()} (won / closed deals)")
        .mark_bar()
        .encode(
            y=alt.Y("group:N", sort="-x", title=label(dim)),
            x=alt.X("win_rate:Q", title="Win rate", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip("group:N", title=label(dim)),
                alt.Tooltip("win_rate:Q", title="Win rate", format=".1%"),
                alt.Tooltip("win_rate_low:Q", title="95% interval from", format=".1%"),
                alt.Tooltip("win_rate_high:Q", title="95% interval to", format=".1%"),
                alt.Tooltip("closed:Q", title="Closed deals (n)", format=","),
                alt.Tooltip("deals:Q", title="All deals", format=","),
            ],
        )
    )


def forecast_chart(by_stage: pd.DataFrame, order: Sequence[str] | None = None) -> alt.Chart:
    """Weighted forecast per open stage (``funnel.forecast_by_stage`` output).

    >>> t = pd.DataFrame({"stage": ["Lead"], "open_deals": [3], "pipeline_value": [0.0], "p_won": [0.5],
    ...                   "weighted_forecast": [25.0]})
    >>> forecast_chart(t).to_dict()["encoding"]["x"]["field"]
    'weighted_forecast'
    """
    data = by_stage[["stage", "open_deals", "pipeline_value", "p_won", "weighted_forecast"]].head(MAX_BARS)
    sort = list(order) if order is not None else data["stage"].astype(str).tolist()
    return (
        alt.Chart(data, title="Weighted forecast by stage (amount x P(won | stage))")
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=sort, title="Stage"),
            x=alt.X("weighted_forecast:Q", title="Weighted forecast"),
            tooltip=[
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("open_deals:Q", title="Open deals", format=","),
                alt.Tooltip("pipeline_value:Q", title="Pipeline value (recorded amounts)", format=",.0f"),
                alt.Tooltip("p_won:Q", title="P(won | reached stage)", format=".1%"),
                alt.Tooltip("weighted_forecast:Q", title="Weighted forecast", format=",.0f"),
            ],
        )
    )

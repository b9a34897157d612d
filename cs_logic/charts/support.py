"""Charts for the support page: tickets per week and first-response percentiles per agent."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cs_logic.core.labels import label


def tickets_per_week_chart(weekly: pd.DataFrame) -> alt.Chart:
    """Bars of tickets created per week (from :func:`cs_logic.metrics.support.tickets_per_week`).

    >>> w = pd.DataFrame({"week": pd.to_datetime(["2024-01-01", "2024-01-08"]), "tickets": [3, 5]})
    >>> tickets_per_week_chart(w).to_dict()["encoding"]["x"]["type"]
    'temporal'
    """
    return alt.Chart(weekly.tail(5000)).mark_bar().encode(
        x=alt.X("week:T", title="Week starting"),
        y=alt.Y("tickets:Q", title="Tickets created"),
        tooltip=[alt.Tooltip("week:T", title="Week starting"), alt.Tooltip("tickets:Q", title="Tickets")],
    ).properties(title="Tickets per week")


_PERCENTILE_WORDS = {"p10": "10th percentile", "p25": "25th percentile", "p50": "Median", "p75": "75th percentile",
                     "p90": "90th percentile"}


def response_time_chart(percentiles: pd.DataFrame, col: str = "agent") -> alt.LayerChart | alt.FacetChart:
    """Box-style bars per group from :func:`cs_logic.metrics.support.response_percentiles`.

    A thin rule spans the 10th-90th percentile, a bar the 25th-75th, a tick marks the median.

    >>> p = pd.DataFrame({"agent": ["a"] * 5, "quantile": [0.1, 0.25, 0.5, 0.75, 0.9],
    ...                   "hours": [1.0, 2.0, 3.0, 4.0, 9.0], "n": [5] * 5})
    >>> len(response_time_chart(p).to_dict()["layer"])
    3
    """
    wide = percentiles.pivot_table(index=col, columns="quantile", values="hours").reset_index()
    wide.columns = [col] + [f"p{round(float(q) * 100)}" for q in wide.columns[1:]]
    wide = wide.merge(percentiles.groupby(col)["n"].first().reset_index(), on=col)
    tooltip = [alt.Tooltip(f"{col}:N", title=label(col)), alt.Tooltip("n:Q", title="Tickets with a time")] + [
        alt.Tooltip(f"{c}:Q", format=".1f", title=_PERCENTILE_WORDS.get(c, c) + " (hours)")
        for c in wide.columns if c.startswith("p")]
    base = alt.Chart(wide).encode(y=alt.Y(f"{col}:N", title=None, sort=alt.EncodingSortField("p50")),
                                  tooltip=tooltip)
    whisker = base.mark_rule().encode(x=alt.X("p10:Q", title="First response (hours)"), x2="p90:Q")
    box = base.mark_bar(size=14, opacity=0.6).encode(x="p25:Q", x2="p75:Q")
    median = base.mark_tick(color="black", size=18, thickness=2).encode(x="p50:Q")
    return alt.layer(whisker, box, median).properties(
        title="First response time per agent (10th, 25th, median, 75th, 90th percentile)")

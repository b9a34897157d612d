"""Explore charts: bars for one group column, a heatmap for two, from ``explore.group_summary`` output."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from cs_logic.core.labels import label

MAX_MARKS = 5_000


def group_chart(summary: pd.DataFrame, by: Sequence[str], measure_label: str = "Value") -> alt.Chart:
    """Bars (one group column) or a heatmap (two), value and n in the tooltip.

    Group columns are renamed inside the chart so names with dots or brackets cannot be misread
    as nested fields; the axis titles name them as the app does (``label``: "plan" -> "Plan", a file's own
    header read as words).

    >>> s = pd.DataFrame({"team": ["a", "b"], "value": [10.0, 20.0], "n": [3, 4]})
    >>> group_chart(s, ["team"], "NPS").to_dict()["mark"]["type"]
    'bar'
    >>> group_chart(s.rename(columns={"team": "owner"}), ["owner"], "NPS").to_dict()["encoding"]["y"]["title"]
    'Rep / owner'
    """
    columns = list(summary.columns[: len(by)])
    data = summary.head(MAX_MARKS).rename(columns={columns[0]: "g1", **({columns[1]: "g2"} if len(by) > 1 else {})})
    data = data.assign(**{g: data[g].astype(object).where(data[g].notna(), "(blank)").astype(str)
                          for g in ("g1", "g2") if g in data.columns})
    names = [label(b) for b in by]
    tooltip = [alt.Tooltip("g1:N", title=names[0])]
    tooltip += [alt.Tooltip("g2:N", title=names[1])] if len(by) > 1 else []
    tooltip += [alt.Tooltip("value:Q", title=measure_label, format=",.2f"), alt.Tooltip("n:Q", title="n", format=",")]
    title = f"{measure_label} by {' and '.join(names)}"
    if len(by) == 1:
        return (
            alt.Chart(data, title=title)
            .mark_bar()
            .encode(y=alt.Y("g1:N", sort="-x", title=names[0]), x=alt.X("value:Q", title=measure_label), tooltip=tooltip)
        )
    return (
        alt.Chart(data, title=title)
        .mark_rect()
        .encode(
            x=alt.X("g2:N", title=names[1]),
            y=alt.Y("g1:N", title=names[0]),
            color=alt.Color("value:Q", title=measure_label, scale=alt.Scale(scheme="blues")),
            tooltip=tooltip,
        )
    )

"""Altair charts for the health score: bands, score spread, history, contributions, migration and rep portfolios."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cs_logic.charts.points import point_labels
from cs_logic.core.labels import label
from cs_logic.scoring.health import BAND_COLOURS, BANDS

_BAND_SCALE = alt.Scale(domain=list(BANDS), range=[BAND_COLOURS[b] for b in BANDS])


def _named(data: pd.DataFrame, name: str, title: str) -> alt.Chart:
    """A chart of ``data`` held as the named dataset ``name``, so its spec is the same whatever the numbers.

    Streamlit names a chart's inline data by a hash of its content, so new counts made a new spec and the page
    built the whole Vega view again on every Scorecard weight move; with a fixed name only the data changes and
    the page updates the drawn view in place (bench/results.md, issue 18).

    >>> spec = _named(pd.DataFrame({"n": [1]}), "counts", "t").mark_bar().to_dict()
    >>> spec["data"], spec["datasets"]
    ({'name': 'counts'}, {'counts': [{'n': 1}]})
    """
    return alt.Chart(alt.NamedData(name=name), title=title).properties(datasets={name: data.to_dict("records")})


def band_distribution_chart(scores: pd.DataFrame, title: str = "Active accounts by health band") -> alt.Chart:
    """Bar per band (red, yellow, green) with the number and share of scored accounts.

    Give it the active accounts only (``portfolio.active_scores``), as the tiles beside it count.

    Examples
    --------
    >>> band_distribution_chart(pd.DataFrame({"health_band": ["red", "green"]})).to_dict()["mark"]["type"]
    'bar'
    """
    counts = scores["health_band"].value_counts().reindex(list(BANDS), fill_value=0)
    total = int(counts.sum())
    data = pd.DataFrame({"band": list(BANDS), "accounts": counts.to_numpy(int)})
    data["share"] = data["accounts"] / total if total else 0.0
    return (
        _named(data, "band_counts", title)
        .mark_bar()
        .encode(
            x=alt.X("band:N", title="Band", sort=list(BANDS), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("accounts:Q", title="Accounts"),
            color=alt.Color("band:N", scale=_BAND_SCALE, legend=None),
            tooltip=[alt.Tooltip("band:N", title="Band"), alt.Tooltip("accounts:Q", title="Accounts"),
                     alt.Tooltip("share:Q", title="Share", format=".1%")],
        )
    )


def score_histogram(scores: pd.DataFrame, bins: int = 20) -> alt.Chart:
    """Histogram of health scores binned in pandas over 0-100 (at most 50 bars).

    Examples
    --------
    >>> len(score_histogram(pd.DataFrame({"health_score": [10.0, 90.0]}), bins=10).data)
    10
    """
    bins = int(min(max(bins, 1), 50))
    edges = np.linspace(0.0, 100.0, bins + 1)
    counts, _ = np.histogram(scores["health_score"].dropna().clip(0, 100), bins=edges)
    data = pd.DataFrame({"score_from": edges[:-1], "score_to": edges[1:], "accounts": counts})
    return (
        alt.Chart(data, title="Spread of health scores")
        .mark_bar()
        .encode(
            # "binned": the bins were made in pandas; without it Vega-Lite drew each bin as a flat dash at its count.
            x=alt.X("score_from:Q", bin="binned", title="Health score", scale=alt.Scale(domain=[0, 100])),
            x2="score_to:Q",
            y=alt.Y("accounts:Q", title="Accounts"),
            tooltip=[alt.Tooltip("score_from:Q", title="From", format=".0f"),
                     alt.Tooltip("score_to:Q", title="To", format=".0f"), alt.Tooltip("accounts:Q", title="Accounts")],
        )
    )


def score_history_chart(history: pd.DataFrame, account_id: str) -> alt.LayerChart | alt.FacetChart:
    """Monthly health score of one account (from ``score_history``), points coloured by band."""
    rows = history.loc[history["account_id"] == account_id, ["month", "health_score", "health_band"]]
    # score_history keeps months and bands as categoricals; the chart's data is their plain values.
    data = rows.astype({c: rows[c].cat.categories.dtype for c in rows.columns if isinstance(rows[c].dtype, pd.CategoricalDtype)})
    base = alt.Chart(data, title=f"Health score over time: {account_id}")
    tooltip = [alt.Tooltip("month:T", title="Month", format="%b %Y"),
               alt.Tooltip("health_score:Q", title="Score", format=".1f"), alt.Tooltip("health_band:N", title="Band")]
    line = base.mark_line(color="#888888").encode(
        x=alt.X("month:T", title="Month"), y=alt.Y("health_score:Q", title="Health score", scale=alt.Scale(domain=[0, 100]))
    )
    dots = base.mark_circle(size=60).encode(
        x="month:T", y="health_score:Q", color=alt.Color("health_band:N", scale=_BAND_SCALE, title="Band"), tooltip=tooltip
    )
    return line + dots


def contributions_chart(contrib: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: each measure's contribution to one account's score (from ``contributions``)."""
    data = contrib[["measure", "points", "weight_pct", "contribution"]].copy()
    data["measure"] = data["measure"].map(lambda m: label(m) if isinstance(m, str) else m)  # words, not code names
    data["value"] = contrib["value"].astype(object).map(lambda v: "" if v is None else str(v))
    return (
        alt.Chart(data, title="What makes up this score")
        .mark_bar()
        .encode(
            y=alt.Y("measure:N", title="Measure", sort="-x"),
            x=alt.X("contribution:Q", title="Points added to the score"),
            tooltip=[alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("value:N", title="Value"),
                     alt.Tooltip("points:Q", title="Points (0-100)", format=".1f"),
                     alt.Tooltip("weight_pct:Q", title="Weight %", format=".1f"),
                     alt.Tooltip("contribution:Q", title="Contribution", format=".1f")],
        )
    )


def migration_heatmap(matrix: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """3x3 heatmap of accounts by band before (rows) and after (columns), counts written in the cells."""
    data = matrix.rename_axis(index="before", columns="after").stack().rename("accounts").reset_index()
    base = alt.Chart(alt.NamedData(name="band_changes"), title="Band changes")  # named: see _named
    enc = {"x": alt.X("after:N", title="Band after", sort=list(BANDS)), "y": alt.Y("before:N", title="Band before", sort=list(BANDS))}
    tooltip = [alt.Tooltip("before:N", title="Before"), alt.Tooltip("after:N", title="After"),
               alt.Tooltip("accounts:Q", title="Accounts")]
    cells = base.mark_rect().encode(**enc, color=alt.Color("accounts:Q", title="Accounts", scale=alt.Scale(scheme="blues")),
                                    tooltip=tooltip)
    text = base.mark_text().encode(**enc, text=alt.Text("accounts:Q"), tooltip=tooltip)
    return (cells + text).properties(datasets={"band_changes": data.to_dict("records")})


# The accounts' columns rep_portfolio_scatter reads besides the scores (a caller joins only these onto them).
REP_COLUMNS = ("owner", "revenue")


def rep_portfolio_scatter(
    accounts: pd.DataFrame, owner_col: str = "owner", revenue_col: str | None = "revenue"
) -> alt.LayerChart:
    """One point per rep: accounts (x) vs mean health (y), sized by revenue at risk, each named beside its dot.

    ``accounts`` holds the owner, ``health_score``, ``health_band`` and optionally revenue per account.
    """
    df = accounts[[owner_col, "health_score", "health_band"]].copy()
    rev = accounts[revenue_col] if revenue_col and revenue_col in accounts.columns else pd.Series(0.0, index=accounts.index)
    df["at_risk"] = np.where(df["health_band"] == "red", pd.to_numeric(rev, errors="coerce").fillna(0.0), 0.0)
    df["red"] = (df["health_band"] == "red").astype(int)
    data = (
        df.groupby(owner_col, dropna=False)
        .agg(accounts=("health_score", "size"), mean_health=("health_score", "mean"), red=("red", "sum"),
             revenue_at_risk=("at_risk", "sum"))
        .reset_index()
        .rename(columns={owner_col: "rep"})
    )
    data["rep"] = data["rep"].astype(object).where(data["rep"].notna(), "(no rep)").astype(str)
    base = alt.Chart(data)
    # Scales fit the reps (not 0-100): books of similar health sit close, and their names must not overlap.
    return alt.LayerChart(title="Portfolio health by rep", layer=[base.mark_circle(opacity=0.7).encode(
        x=alt.X("accounts:Q", title="Accounts", scale=alt.Scale(zero=False, padding=30)),
        y=alt.Y("mean_health:Q", title="Mean health score", scale=alt.Scale(zero=False, padding=30)),
        size=alt.Size("revenue_at_risk:Q", title="Revenue at risk (red accounts)"),
        tooltip=[alt.Tooltip("rep:N", title="Rep"), alt.Tooltip("accounts:Q", title="Accounts"),
                 alt.Tooltip("mean_health:Q", title="Mean health", format=".1f"),
                 alt.Tooltip("red:Q", title="Red accounts"),
                 alt.Tooltip("revenue_at_risk:Q", title="Revenue at risk", format=",.0f")],
    ), point_labels(base, data, "rep", "accounts:Q", "mean_health:Q", rank_by="revenue_at_risk")])


def health_trend_chart(trend: pd.DataFrame,
                       title: str = "Portfolio health by month (bars: % of active accounts per band; line: mean score)"
                       ) -> alt.LayerChart | alt.FacetChart:
    """Band shares per month as stacked bars (0-100%) with the mean score drawn over them on the same 0-100 scale.

    ``trend`` is ``portfolio.health_over_time``; months with no scored active account are left out.

    Examples
    --------
    >>> t = pd.DataFrame({"month": pd.to_datetime(["2024-01-31"]), "accounts": [2.0], "mean_score": [60.0],
    ...                   "red_share": [0.5], "yellow_share": [0.0], "green_share": [0.5]})
    >>> [layer["mark"]["type"] for layer in health_trend_chart(t).to_dict()["layer"]]
    ['bar', 'line']
    """
    known = trend[trend["accounts"] > 0]
    shares = known.melt(id_vars=["month", "accounts"], value_vars=[f"{b}_share" for b in BANDS],
                        var_name="band", value_name="share")
    shares["band"] = shares["band"].str.removesuffix("_share")
    shares["percent"] = 100 * shares["share"].astype(float)
    shares["order"] = shares["band"].map({b: i for i, b in enumerate(BANDS)})
    month = alt.X("yearmonth(month):O", title="Month", axis=alt.Axis(format="%b %y", labelAngle=0))
    bars = alt.Chart(shares).mark_bar(opacity=0.55).encode(
        x=month, y=alt.Y("percent:Q", title="% of active accounts / mean score", stack="zero",
                         scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("band:N", scale=_BAND_SCALE, title="Band", sort=list(BANDS)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("yearmonth(month):O", title="Month"), alt.Tooltip("band:N", title="Band"),
                 alt.Tooltip("percent:Q", title="% of active accounts", format=".1f"),
                 alt.Tooltip("accounts:Q", title="Active accounts scored", format=",.0f")])
    line = alt.Chart(known.assign(mean_score=known["mean_score"].astype(float))).mark_line(
        color="#111111", point=alt.OverlayMarkDef(color="#111111"), strokeWidth=2).encode(
        x=month, y=alt.Y("mean_score:Q", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("yearmonth(month):O", title="Month"),
                 alt.Tooltip("mean_score:Q", title="Mean score", format=".1f")])
    return alt.layer(bars, line, title=title)

"""Charts for the feedback page: CSAT over time, distinctive terms, key-driver quadrant, FAQ groups."""

from __future__ import annotations

import altair as alt
import pandas as pd

MAX_ROWS = 5000


def csat_trend_chart(by_period: pd.DataFrame, period_col: str = "period") -> alt.LayerChart | alt.FacetChart:
    """CSAT % per period (from :func:`cs_logic.metrics.feedback.csat_by` with ``freq``), n in the tooltip.

    Small-sample periods (n < 30) get their own point shape.

    >>> df = pd.DataFrame({"period": pd.to_datetime(["2024-01-01"]), "n": [40], "csat": [75.0],
    ...                    "mean_rating": [4.1], "small_sample": [False]})
    >>> csat_trend_chart(df).to_dict()["title"]
    'CSAT % (share of 4-5 answers) by period'
    """
    data = by_period.head(MAX_ROWS).rename(columns={period_col: "period"})
    base = alt.Chart(data).encode(
        x=alt.X("period:T", title="Period"),
        y=alt.Y("csat:Q", title="CSAT % (4-5 of 5)", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("period:T", title="Period"), alt.Tooltip("csat:Q", title="CSAT %", format=".1f"),
                 alt.Tooltip("n:Q", title="Answers (n)"),
                 alt.Tooltip("mean_rating:Q", title="Mean rating", format=".2f"),
                 alt.Tooltip("small_sample:N", title="Under 30 answers")],
    )
    points = base.mark_point(size=60, filled=True).encode(shape=alt.Shape("small_sample:N", title="Under 30 answers"))
    return (base.mark_line() + points).properties(title="CSAT % (share of 4-5 answers) by period")


def distinctive_terms_chart(terms: pd.DataFrame, top: int = 15,
                            labels: tuple[str, str] = ("Detractors", "Promoters")) -> alt.Chart:
    """Diverging bars of z-scores: the ``top`` terms of each side of :func:`distinctive_terms`.

    >>> t = pd.DataFrame({"term": ["slow", "easy"], "z": [3.0, -2.5], "count_a": [9, 1], "count_b": [1, 8]})
    >>> distinctive_terms_chart(t).to_dict()["encoding"]["x"]["field"]
    'z'
    """
    ranked = terms.sort_values("z", ascending=False)
    data = pd.concat([ranked[ranked["z"] > 0].head(top), ranked[ranked["z"] < 0].tail(top)])
    data = data[["term", "z", "count_a", "count_b"]].assign(
        side=[labels[0] if z > 0 else labels[1] for z in data["z"]])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("z:Q", title=f"z-score (log-odds): right = {labels[0]}, left = {labels[1]}"),
        y=alt.Y("term:N", sort=alt.EncodingSortField("z", order="descending"), title=None),
        color=alt.Color("side:N", title=None, scale=alt.Scale(domain=list(labels), range=["#c0392b", "#27ae60"])),
        tooltip=[alt.Tooltip("term:N", title="Term"), alt.Tooltip("z:Q", format=".2f", title="z-score"),
                 alt.Tooltip("count_a:Q", title=f"Mentions ({labels[0]})"),
                 alt.Tooltip("count_b:Q", title=f"Mentions ({labels[1]})")],
    ).properties(title=f"Words that set {labels[0].lower()} apart from {labels[1].lower()}")


def driver_quadrant_chart(table: pd.DataFrame, r2: float | None = None,
                          n: int | None = None) -> alt.LayerChart | alt.FacetChart:
    """Importance (% of R^2) against performance (0-100), lines at each axis's mean, labelled points.

    >>> t = pd.DataFrame({"driver": ["a", "b"], "importance": [70.0, 30.0], "performance": [40.0, 80.0],
    ...                   "quadrant": ["Fix first", "Possible overkill"]})
    >>> len(driver_quadrant_chart(t, 0.4, 120).to_dict()["layer"])
    4
    """
    data = table[["driver", "importance", "performance", "quadrant"]].head(MAX_ROWS)
    subtitle = f"R² = {r2:.2f}, n = {n}" if r2 is not None and n is not None else ""
    x = alt.X("performance:Q", title="Performance (mean rescaled to 0-100)")
    y = alt.Y("importance:Q", title="Importance (% of R²)")
    points = alt.Chart(data).mark_circle(size=90).encode(
        x=x, y=y, color=alt.Color("quadrant:N", title="Quadrant"),
        tooltip=[alt.Tooltip("driver:N", title="Driver"), alt.Tooltip("importance:Q", format=".1f", title="Importance %"),
                 alt.Tooltip("performance:Q", format=".1f", title="Performance"),
                 alt.Tooltip("quadrant:N", title="Quadrant")])
    text = points.mark_text(align="left", dx=7).encode(text="driver:N")
    vline = alt.Chart(data).mark_rule(strokeDash=[4, 4]).encode(x="mean(performance):Q")
    hline = alt.Chart(data).mark_rule(strokeDash=[4, 4]).encode(y="mean(importance):Q")
    return alt.layer(points, text, vline, hline).properties(
        title=alt.TitleParams("Key drivers: importance vs performance", subtitle=subtitle))


def faq_chart(groups: pd.DataFrame, top: int = 20) -> alt.Chart:
    """Bars of the largest FAQ candidate groups (from :func:`cs_logic.metrics.faq.faq_candidates`).

    >>> g = pd.DataFrame({"label": ["reset password"], "count": [12], "share": [0.3], "change": [4]})
    >>> faq_chart(g).to_dict()["mark"]["type"]
    'bar'
    """
    data = groups.head(top)[["label", "count", "share"] + (["change"] if "change" in groups.columns else [])]
    tooltip = [alt.Tooltip("label:N", title="Question"), alt.Tooltip("count:Q", title="Times asked"),
               alt.Tooltip("share:Q", format=".1%", title="Share of questions")]
    if "change" in data.columns:
        tooltip.append(alt.Tooltip("change:Q", title="Last 90 days vs 90 before"))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("count:Q", title="Times asked"),
        y=alt.Y("label:N", sort="-x", title=None),
        tooltip=tooltip,
    ).properties(title="Questions customers keep asking")


def themes_chart(themes: pd.DataFrame, top: int = 20) -> alt.Chart:
    """Bars of the most mentioned words and phrases (from :func:`cs_logic.metrics.feedback.themes`).

    >>> t = pd.DataFrame({"term": ["delivery"], "kind": ["word"], "comments": [5], "share": [0.5]})
    >>> themes_chart(t).to_dict()["encoding"]["y"]["field"]
    'term'
    """
    data = themes.head(top)[["term", "kind", "comments", "share"]]
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("comments:Q", title="Comments mentioning it"),
        y=alt.Y("term:N", sort="-x", title=None),
        color=alt.Color("kind:N", title="Kind"),
        tooltip=[alt.Tooltip("term:N", title="Term"), alt.Tooltip("comments:Q", title="Comments"),
                 alt.Tooltip("share:Q", format=".1%", title="Share of comments")],
    ).properties(title="What comments talk about")

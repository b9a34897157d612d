"""Overview: the headline numbers, the accounts at risk and what detractors say, ready for a projector.

The tiles are drawn as soon as they are known; the twelve-month health history (shared with the Success page
through ``health_history``) and the report are computed after them, while the tiles are already on screen.
"""

import functools

import streamlit as st

from cs_logic.output.exports import chart_png, chart_svg
from cs_logic.views import kpi
from cs_logic.views import overview as ov
from pages._shared.frame import as_of_default, require_data
from pages._shared.portfolio import health_history, scored_portfolio
from pages._shared.widgets import MONEY, show_table, table_downloads
from pages.state import data_key, init_state, memo

init_state()
title, pick = st.columns([5, 1])
title.title("Overview")
store = require_data()
as_of = pick.date_input("As of", value=as_of_default(), key="ov_as_of", help="Periods and churn are counted up to "
                        "this day; the arrows compare each figure with the period before.")
settings = st.session_state["settings"]
# THE scored portfolio as of the chosen day, the same one the Success page shows (none without accounts).
scored = scored_portfolio(store, as_of) if "account_id" in store.columns("accounts") else None
files = [(f.name, f.table, dict(f.mapping)) for f in st.session_state["files"]]
notes = [n for f in st.session_state["files"] for n in (f.prepared.notes if f.prepared else ())]
# The view computes each part when first read (ov.Overview): the tiles first, the history and the report last.
view = memo("ov_view", (data_key(store), as_of, settings, scored and (scored.scorecard, scored.source)),
            lambda: ov.build({name: store.table(name) for name in store.tables}, as_of, settings, scored, files,
                             notes, history=None if scored is None else lambda: health_history(store, scored)))
with st.spinner("Computing the headline figures…"):
    kpis = view.kpis

for start in range(0, len(kpis), 4):
    for column, k in zip(st.columns(4), kpis[start:start + 4]):
        column.metric(k.name, kpi.shown(k), delta=kpi.change_text(k), delta_color=kpi.delta_color(k),
                      help=k.note, border=True)
        column.caption(kpi.caption(k))

left, right = st.columns(2)
with left:
    st.subheader("Top risks")
    if view.risks.empty:
        st.info("No red accounts." if "no accounts" not in view.scores_from else "Load an accounts export "
                "to see the accounts at risk.")
    else:
        show_table(view.risks.drop(columns="account_id") if "account_name" in view.risks else view.risks, {
            "account_id": "Account", "account_name": "Account", "owner": "Rep", "revenue": {**MONEY, "label": "Revenue"},
            "health_score": st.column_config.NumberColumn("Health", format="%.0f"), "weakest_measure": "Weakest measure"})
    st.caption(f"Red accounts still active, {ov.risk_order(view.risks)}; {view.scores_from}.")
with right:
    st.subheader("What detractors talk about")
    if view.themes.empty:
        st.info("Add survey answers with an NPS score and a comment to see what sets detractors apart.")
    else:
        show_table(view.themes.drop(columns=["z", "example"]), {
            "term": "Word",
            "detractors_pct": st.column_config.ProgressColumn("Detractors", format="%.0f%%", min_value=0, max_value=100),
            "promoters_pct": st.column_config.ProgressColumn("Promoters", format="%.0f%%", min_value=0, max_value=100),
            "mentions": "Mentions"})
    st.caption("Share of each group's comments that mention the word; words that set detractors apart.")

if scored is not None:
    with st.container(key="ov_history"):
        st.subheader("Health over time")
        with st.spinner("Scoring every account at each of the last 12 month ends…"):
            chart = view.charts.get("Health over time")
        if chart is None:
            st.info("No account could be scored at any of the last 12 month ends.")
        else:
            st.altair_chart(chart, width="stretch")
            st.caption("Bars: share of each band among the accounts active at each month's end; line: their mean "
                       "score (the current scorecard applied to each month's measures).")

with st.spinner("Writing the report…"):
    report_html = view.html
with st.expander("Export: report, charts and tables"):
    st.download_button("Download the report (HTML)", report_html, file_name=f"overview_{as_of}.html", mime="text/html",
                       key="ov_report", type="primary", on_click="ignore",
                       help="One file: a summary, charts drawn in, opens offline, prints on A4 or Letter; definitions at the end.")
    for name, chart in view.charts.items():
        slug = name.lower().replace(" ", "_")
        c1, c2, c3 = st.columns([2, 1, 1])
        c1.write(name)
        c2.download_button("PNG", functools.partial(chart_png, chart), file_name=f"{slug}.png", mime="image/png",
                           key=f"ov_png_{slug}", on_click="ignore")
        c3.download_button("SVG", functools.partial(chart_svg, chart), file_name=f"{slug}.svg",
                           mime="image/svg+xml", key=f"ov_svg_{slug}", on_click="ignore")
    for name, table in (("headline", kpi.kpi_table(view.kpis)), ("top_risks", view.risks), ("top_themes", view.themes)):
        c1, c2, c3 = st.columns([2, 1, 1])
        c1.write(name.replace("_", " ").capitalize())
        table_downloads(c2, c3, table, name, key=f"ov_{name}", labels=("CSV", "XLSX"))

"""Targets: the manager's target per KPI and any benchmark figures, kept in the settings file."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.metrics.targets import KPIS, benchmarks_with, benchmarks_without, check_benchmark
from pages._shared.loading import current_store, load_demo
from pages._shared.widgets import currency, show_table
from pages.state import init_state

init_state()
st.title("Targets")
st.write("Set the level you aim for on each KPI, and enter benchmark figures you trust (a competitor's or "
         "your industry's), with where they come from. The Overview and Loyalty tiles show their gap to them.")
st.caption("The app ships no benchmark numbers of its own. Targets and benchmarks are part of the settings "
           "file: keep them with “Save settings” on the Data page.")
if current_store() is None:
    info, button = st.columns([4, 1])
    info.info("No data is loaded. Targets need none; load the demo to see them against numbers.")
    if button.button("Load demo data", key="targets_demo"):
        load_demo()
        st.rerun()

st.header("Currency")
box, found = st.columns(2)
typed = box.text_input(
    "Currency of the amounts (e.g. EUR or €)", value=st.session_state["settings"].currency or "", max_chars=8,
    key="targets_currency", help="Shown beside revenue. Leave blank to take it from the data (a currency column "
    "or sign); with neither, amounts are shown without a currency.")
if (typed.strip() or None) != st.session_state["settings"].currency:
    st.session_state["settings"] = replace(st.session_state["settings"], currency=typed.strip() or None)
shown = currency()
found.caption(f"Amounts are shown in **{md_escape(shown)}**." if shown else "No currency is set and none is named in "
              "the data, so amounts are shown without one (never assumed to be dollars).")

st.header("Targets")
UNIT_WORDS = {"pts": "NPS points", "%": "%", "h": "hours", "accounts": "accounts", "money": "amount"}
for kpi, spec in KPIS.items():  # every headline tile of the Overview and the report, in their order
    settings = st.session_state["settings"]
    value = st.columns(2)[0].number_input(
        f"{spec.label} ({UNIT_WORDS[spec.unit]}; {'higher' if spec.higher_is_better else 'lower'} is better)",
        min_value=spec.lowest, max_value=spec.highest, value=settings.target(kpi), step=1.0,
        format="%.0f" if spec.unit in ("accounts", "money") else "%.1f", key=f"targets_{kpi}",
        placeholder="no target", help=f"{spec.label}: {spec.definition}. Clear the box to remove the target.")
    if value != settings.target(kpi):
        st.session_state["settings"] = settings.with_target(kpi, value)

st.header("Benchmarks")
settings = st.session_state["settings"]
if settings.benchmarks:
    table = pd.DataFrame([{"KPI": KPIS[k].label if k in KPIS else k, "figure": v, "source": s}
                          for k, v, s in settings.benchmarks])
    show_table(table, {"figure": "Figure", "source": "Source"})
    left, right = st.columns([4, 1])
    drop = left.selectbox("Remove a benchmark", range(len(settings.benchmarks)), key="targets_drop",
                          format_func=lambda i: f"{table['KPI'][i]}: {table['figure'][i]:g}")
    if right.button("Remove", key="targets_remove"):
        st.session_state["settings"] = benchmarks_without(settings, drop)
        st.rerun()
else:
    st.caption("No benchmarks yet.")

with st.form("targets_add"):
    st.markdown("**Add a benchmark**")
    c1, c2 = st.columns(2)
    kpi = c1.selectbox("KPI", list(KPIS), format_func=lambda k: KPIS[k].label, key="targets_new_kpi")
    figure = c2.number_input("Figure (NPS points, or % for the rates)", value=None, step=1.0, format="%.1f",
                             key="targets_new_value")
    source = st.text_input("Source, in words", key="targets_new_source",
                           placeholder="e.g. Industry survey 2025, B2B software, n = 400")
    if st.form_submit_button("Add benchmark"):
        problems = check_benchmark(kpi, figure, source)
        for problem in problems:
            st.error(problem)
        if not problems:
            st.session_state["settings"] = benchmarks_with(st.session_state["settings"], kpi, figure, source)
            st.rerun()

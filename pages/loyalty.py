"""Loyalty: how customers rate us (NPS), how many stay (churn, retention, survival) and who buys again."""

import pandas as pd
import streamlit as st

from cs_logic.charts import loyalty as charts
from cs_logic.core import fmt
from cs_logic.views import buyers_view
from cs_logic.views import loyalty_view as lv
from pages._shared.frame import as_of_default, require_data
from pages._shared.widgets import draw_blocks, show_table
from pages.state import data_key, init_state, memo

init_state()
st.title("Loyalty")
store = require_data("surveys", "accounts")
as_of = st.columns(4)[0].date_input("As of", value=as_of_default(required=False), key="loy_as_of",
                                    help="Churn is decided on this date; periods after it are not counted.")
if as_of is None:
    st.caption("No loaded file has a date: pick an as-of date above for figures that need one (never today).")
KEY = data_key(store)


def section(name: str, tables: tuple[str, ...], args: tuple):
    """``loyalty_view.<name>(*frames, *args)`` (``buyers_view.buyers_part``), once per data, filters and choices."""
    view = buyers_view if name == "buyers_part" else lv
    return memo("loy_" + name, (KEY, args), lambda: getattr(view, name)(
        *(store.frame(t) if t in store.tables else None for t in tables), *args), keep=8)


def tile(column, shown: lv.Shown) -> None:
    """Draw one KPI tile with its gap to the target (or the first benchmark) and its n and period."""
    column.metric(shown.tile.label, shown.tile.shown, delta=shown.delta, delta_color=shown.delta_color,
                  help=shown.tile.definition, border=True)
    column.caption(shown.tile.detail)


view = lv.build(section("nps_part", ("surveys", "accounts"), ()),
                section("retention_part", ("accounts", "subscriptions", "orders"), (as_of,)),
                st.session_state["settings"])
NUM = st.column_config.NumberColumn
nps_tab, churn_tab, cohort_tab, repeat_tab = st.tabs(["NPS", "Churn & retention", "Cohorts & survival",
                                                      "Customers who buy"])
s = view.retention
NO_ACCOUNTS = "Add an accounts export (start and end dates, or a churn flag) to see churn and retention."
with nps_tab:
    if (v := view.nps) is None:
        st.info("Add a survey export with a 0-10 recommendation (NPS) answer to see NPS here.")
    else:
        c1, c2, c3 = st.columns(3)
        tile(c1, view.nps_tiles[0])
        c2.metric("NPS answers (n)", fmt.count(v.n), border=True,
                  help="Valid whole-number answers 0-10; blanks, text and out-of-range values are not answers.")
        for shown in view.nps_tiles[1:]:  # CSAT %, when the surveys have it
            tile(c3, shown)
        st.caption(v.definition)
        left, right = st.columns(2)
        left.altair_chart(charts.nps_distribution_chart(v.distribution), width="stretch")
        if v.trend is None:
            right.info("The surveys have no date column, so there is no trend over time.")
        else:
            freq = right.selectbox("Trend by", ["Q", "M"], key="loy_trend_freq",
                                   format_func={"M": "Month", "Q": "Quarter"}.get)
            right.altair_chart(charts.nps_trend_chart(v.trend[freq]), width="stretch")
            right.caption("Band: adjusted-Wald 95% interval. Red diamond: the change from the period before is "
                          "significant (|NPS₁ − NPS₂| / √(se₁² + se₂²) > 1.96).")
        st.subheader("NPS by segment and rep")
        if not v.groups:
            st.info("Add an accounts export with segment, owner or plan (matched on account id) to split NPS.")
        else:
            by = st.selectbox("Split by", v.groups, key="loy_nps_by", format_func=lv.GROUP_LABELS.get)
            groups = section("nps_groups", ("surveys", "accounts"), (by,))
            show_table(groups, {
                by: lv.GROUP_LABELS[by], "n": "Answers (n)", "nps": NUM("NPS", format="%+.1f"),
                "ci_low": NUM("95% low", format="%+.1f"), "ci_high": NUM("95% high", format="%+.1f"),
                **{f"{c}s_pct": NUM(f"% {c}s", format="%.1f") for c in ("promoter", "passive", "detractor")},
                "small_sample": "Under 30 answers", "differs_from_rest": "Differs from the rest (95%)",
                "se": None, "moe95": None, "invalid": None})
            st.caption("“Differs from the rest”: the group's NPS against all other answers, with the same "
                       "test as the trend.")
        st.subheader("Account-level NPS")
        show_table(v.variants, {"variant": "Variant", "nps": NUM("NPS", format="%+.1f"), "n_answers": "Answers",
                                "n_accounts": "Accounts", "note": "Why blank"})
        st.caption("Per account: each answer counts +100 (promoter), 0 (passive) or −100 (detractor); an "
                   "account's answers are averaged, then accounts are averaged (or weighted by revenue).")

with churn_tab:
    if s is None:
        st.info(NO_ACCOUNTS)
    else:
        if not view.retention_tiles:
            st.info("The accounts have neither end dates nor a churn flag, so churn cannot be counted.")
        for column, shown in zip(st.columns(max(len(view.retention_tiles), 1)), view.retention_tiles):
            tile(column, shown)
        if s.caption:
            st.caption(s.caption)
        if not s.revenue:
            st.caption("Add a subscriptions export (start, end and MRR per subscription) to see GRR and NRR.")
        st.subheader("Churn per rep")
        if s.owners is None:
            st.info("Add an owner (rep / CSM) column to the accounts export to compare churn per rep.")
        else:
            st.altair_chart(charts.owner_funnel_chart(s.owners), width="stretch")
            st.caption("Each dot is a rep's share of accounts churned by the as-of date against the size of "
                       "their book; dashed lines: the overall share and its 95% limits for each book size. A "
                       "rep outside the limits differs by more than chance.")
    if view.comparisons:
        st.subheader("Against targets and benchmarks")
        show_table(pd.DataFrame(list(view.comparisons)))
        st.caption("Gap = our value − the reference, in points. For churn lower is better, so a negative gap "
                   "is ahead. Set targets and benchmarks on the Targets page.")

with cohort_tab:
    history_gap = section("history_unknown", ("accounts",), (as_of,)) if s is not None else None
    if s is None or not s.cohorts:
        st.info(NO_ACCOUNTS if s is None else "Add start dates to the accounts export to see cohorts.")
    elif history_gap:
        st.info(history_gap)
    else:
        months = st.selectbox("Cohorts that started in the last", [12, 24, 36], index=1,
                              key="loy_cohort_months", format_func=lambda m: f"{m} months")
        matrix = section("cohort_section", ("accounts",), (as_of, months))
        st.altair_chart(charts.cohort_heatmap(matrix), width="stretch")
        st.caption("Row = month the account started; cell = share of that cohort still active at the start "
                   "of each later month. Blank cells cannot be observed yet. “All cohorts” is weighted "
                   "by cohort size.")
    st.subheader("Survival")
    if s is None or not s.survival:
        st.info("Add start dates (or a tenure column) to the accounts export to see how long accounts stay.")
    elif history_gap and s.cohorts:
        st.info(history_gap)
    else:
        by = st.selectbox("Curves by", [None, *s.groups], key="loy_surv_by",
                          format_func=lambda c: "All accounts" if c is None else lv.GROUP_LABELS[c])
        curves, medians = section("survival_section", ("accounts",), (by, as_of))
        left, right = st.columns([3, 2])
        left.altair_chart(charts.survival_chart(curves), width="stretch")
        show_table(medians, {"median_months": NUM("Median lifetime (months)", format="%.1f")}, where=right)
        right.caption("Kaplan-Meier; accounts still active are censored at the as-of date. Median “–”: over "
                      f"half of the group is still active. The chart draws the {lv.MAX_LINES} largest groups "
                      "at most; the table lists every group.")

with repeat_tab:  # repeat purchase, RFM, P(alive) and the model's check (cs_logic.views.buyers_view)
    buy = section("buyers_part", ("orders", "accounts"), (as_of,))
    for column, shown in zip(st.columns(max(len(buy.tiles), 1)), buy.tiles):
        tile(column, shown)
    draw_blocks(buy.blocks, buy.missing)

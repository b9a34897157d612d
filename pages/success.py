"""Success: how healthy the portfolio is, who is at risk, each rep's book, one account up close, and whether the score predicts churn.

Reads THE scored portfolio (pages._shared.portfolio.scored_portfolio) and the session memo; ``suc_`` keys are this page's widgets.
"""

import streamlit as st

from cs_logic.charts import health as charts
from cs_logic.core import fmt
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from pages._shared.frame import require_data
from pages._shared.portfolio import backtest, health_history, scored_portfolio
from pages._shared.widgets import MONEY, ONE_DECIMAL, SHARE, currency, download_row, show_table
from pages.state import data_key, init_state, memo

init_state()

st.title("Success")
store = require_data("accounts")
port = scored_portfolio(store)
sc, scored, frame, churned, as_of, resolve = (port.scorecard, port.scored, port.frame, port.churned, port.as_of,
                                              port.measured.resolve)
DATA_KEY = (data_key(store), as_of)
SCORE_KEY = (DATA_KEY, health.dump_scorecard(sc))  # what the results below use: data, filters, day, scorecard

st.caption(f"Scorecard: **{pf.md_escape(sc.name)}**" + (" — a starting point built from your columns; adjust it on the Scorecard "
           "page." if port.source == pf.STARTING_SOURCE else "") + f" Measures as of {as_of:%d %b %Y} (the latest date in the data).")
st.caption(health.how_it_works(sc.bands))
if scored.attrs.get("reason"):
    st.warning(scored.attrs["reason"] + " Open the Scorecard page to change it.")
    st.stop()
if missing := health.missing_columns(frame, sc, resolve):
    st.warning(pf.md_escape("Not in the loaded data, so scored as blank: " + ", ".join(missing)))
if frame.empty:
    st.info("No accounts match the filters in the sidebar.")
    st.stop()

k = memo("suc_kpis", SCORE_KEY, lambda: pf.kpis(scored, frame, as_of, churned, pf.revenue_basis(
    frame, store.frame("subscriptions") if "subscriptions" in store.tables else None, as_of)))
c1, c2, c3, c4 = st.columns(4)
c1.metric("Accounts", fmt.count(k.accounts), border=True, help="Accounts not churned by the as-of date.")
c2.metric("Mean health", fmt.number(k.mean_health), border=True,
          help=f"Mean score of the {k.scored:,} active accounts with a score (0-100).")
c3.metric("Share red", fmt.pct(k.red_share), border=True,
          help=f"{k.red:,} of {k.scored:,} scored active accounts are red." if k.red_share is not None
          else f"Unknown: {k.red_reason}.")
c4.metric("Revenue at risk", fmt.money(k.revenue_at_risk, currency(), compact=True), border=True,
          help=f"Revenue of red active accounts: {fmt.money(k.revenue_at_risk, currency())}."
          + (f" {k.revenue_n:,} red accounts have a revenue figure, from {k.revenue_source}."
             if k.revenue_at_risk is not None else f" Unknown: {k.revenue_reason}."))
active = memo("suc_active", SCORE_KEY, lambda: scored[["health_score", "health_band"]][pf.active_mask(
    frame, as_of, churned).reindex(scored.index, fill_value=True).to_numpy(bool)])  # the two columns its charts read
risk_tab, rep_tab, one_tab, time_tab, predict_tab = st.tabs(
    ["At risk", "By rep", "One account", "Over time", "Does it predict churn?"])


with risk_tab:
    left, right = st.columns(2)
    bands_chart, histogram = memo("suc_charts", SCORE_KEY, lambda: (charts.band_distribution_chart(active),
                                                                    charts.score_histogram(active)))
    left.altair_chart(bands_chart, width="stretch")
    right.altair_chart(histogram, width="stretch")
    st.caption("Active accounts only: accounts churned by the as-of date are lost, not at risk.")
    band = st.segmented_control("Band", list(health.BANDS), default="red", key="suc_band") or "red"
    text = st.text_input("Search by account id or name", key="suc_search", placeholder="e.g. ACC-0042 or Lakeshore")
    table = pf.search(memo("suc_at_risk", (SCORE_KEY, band), lambda: pf.at_risk(scored, frame, band, sc, as_of,
                                                                                churned)), text)
    show_table(table, {"account_id": "Account", "account_name": "Name", "revenue": MONEY, "health_score": ONE_DECIMAL})
    st.caption(f"{len(table):,} {band} accounts, lowest score first (click a header to sort). Weakest measure: the "
               "measure with the fewest points.")
    download_row(table, f"{band}_accounts", key="suc", sheet=f"{band} accounts")

with rep_tab:
    if "owner" not in frame.columns:
        st.info("Add an owner (rep / CSM / account manager) column to the accounts export to compare books.")
    else:
        reps = memo("suc_reps", SCORE_KEY, lambda: pf.rep_portfolio(scored, frame, as_of, churned))
        st.altair_chart(memo("suc_rep_chart", SCORE_KEY, lambda: charts.rep_portfolio_scatter(
            frame[[c for c in charts.REP_COLUMNS if c in frame.columns]].join(
                active[["health_score", "health_band"]], how="inner"))), width="stretch")
        show_table(reps, {"accounts": "Accounts (book)", "active": "Active", "mean_health": ONE_DECIMAL,
                          "red_share": SHARE, "revenue_at_risk": MONEY, "churn_share": SHARE,
                          "churn_low": {**SHARE, "label": "95% low"}, "churn_high": {**SHARE, "label": "95% high"}})
        st.caption("Health columns are over active accounts; churn share = churned / accounts with a known status, "
                   "with its Wilson 95% interval. Intervals that do not overlap differ by more than chance.")

with one_tab:
    choices = memo("suc_choices", SCORE_KEY, lambda: pf.account_choices(scored, frame))
    account = st.selectbox("Account (lowest score first; type to search)", list(choices), key="suc_account",
                           format_func=choices.get)
    if account is not None:
        parts = pf.breakdown(scored, frame, sc, account, resolve)
        left, right = st.columns([3, 2])
        show_table(parts.drop(columns="column"), {
            "points": ONE_DECIMAL, "weight": st.column_config.NumberColumn(format="%g"),
            "weight_pct": {**ONE_DECIMAL, "label": "Weight %"}, "contribution": ONE_DECIMAL}, where=left)
        right.altair_chart(charts.contributions_chart(parts), width="stretch")
        st.caption("Weight % is the measure's share of the weights of the measures this account has; the "
                   "contributions add up to its score.")
        if st.toggle("Show its score month by month (the last 12 months; takes a few seconds the first time)",
                     key="suc_history"):
            st.altair_chart(charts.score_history_chart(health_history(store, port), account), width="stretch")

with time_tab:
    if st.toggle("Show the portfolio's health month by month (the last 12 months; a few seconds the first time)",
                 key="suc_trend"):
        st.altair_chart(memo("suc_trend", SCORE_KEY, lambda: charts.health_trend_chart(
            pf.health_over_time(health_history(store, port), frame))), width="stretch")
        st.caption("Bars: share of each band among the accounts active at each month's end; line: their mean score.")

with predict_tab:
    past = backtest(store, port)  # the Scorecard page's too: one result under one set of memo names
    basis, bt = past.basis, past.result
    if bt.reason:
        st.info(bt.reason)
    else:
        b1, b2 = st.columns([1, 3])
        b1.metric("AUC", f"{bt.auc:.2f}", border=True,
                  help="The chance that a retained account scores higher than a churned one (ties count half).")
        b2.caption(f"0.5 = chance, 1.0 = perfect; 95% interval {bt.auc_low:.2f} to {bt.auc_high:.2f}. Over "
                   f"{bt.n:,} scored accounts with a known status, {bt.n_churned:,} churned. {basis.note}")
        if bt.flag:
            st.warning(bt.flag)
        left, right = st.columns(2)
        show_table(bt.by_band, {"churn_share": SHARE, "ci_low": {**SHARE, "label": "95% low"},
                                "ci_high": {**SHARE, "label": "95% high"}}, where=left)
        show_table(bt.lift, {"decile": "Score decile (1 = lowest)", "churn_share": SHARE,
                             "lift": st.column_config.NumberColumn(format="%.2f")}, where=right)
        st.caption("A good score puts most churn in red and in the lowest deciles: lift = the decile's churn "
                   "share / the overall churn share.")

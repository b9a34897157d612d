"""Success: how healthy the portfolio is, who is at risk, each rep's book, one account up close, and whether the score predicts churn.

Reads THE scored portfolio (pages.common.scored_portfolio) and the session memo; ``suc_`` keys are this page's widgets.
"""

import streamlit as st

from cs_logic.charts import health as charts
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from pages.common import data_key, init_state, memo, require_data, scored_portfolio, table_downloads

init_state()
PCT = st.column_config.NumberColumn(format="percent")
SCORE = st.column_config.NumberColumn("Health score", format="%.1f")
MONEY = st.column_config.NumberColumn("Revenue", format="localized")


st.title("Success")
store = require_data("accounts")
port = scored_portfolio(store)
sc, scored, frame, churned, as_of, resolve = (port.scorecard, port.scored, port.frame, port.churned, port.as_of,
                                              port.measured.resolve)
DATA_KEY = (data_key(store), as_of)
SCORE_KEY = (DATA_KEY, health.dump_scorecard(sc))  # what the results below use: data, filters, day, scorecard

st.caption(f"Scorecard: **{pf.md_escape(sc.name)}**" + (" — a starting point built from your columns; adjust it on the Scorecard "
           "page." if port.source == pf.STARTING_SOURCE else "") + f" Measures as of {as_of:%d %b %Y} (the latest date in the data).")
st.caption("How the score works: each measure becomes 0-100 points; the score is the weighted mean of the points. "
           "A measure with no value for an account is left out and the other weights renormalised. Bands: "
           f"red below {sc.bands.red_below:g}, yellow from {sc.bands.red_below:g} to below {sc.bands.green_from:g}, "
           f"green from {sc.bands.green_from:g}.")
if scored.attrs.get("reason"):
    st.warning(scored.attrs["reason"] + " Open the Scorecard page to change it.")
    st.stop()
if missing := health.missing_columns(frame, sc, resolve):
    st.warning(pf.md_escape("Not in the loaded data, so scored as blank: " + ", ".join(missing)))
if frame.empty:
    st.info("No accounts match the filters in the sidebar.")
    st.stop()

# ---------------------------------------------------------------------------------------- portfolio tiles
k = memo("suc_kpis", SCORE_KEY, lambda: pf.kpis(scored, frame, as_of, churned, pf.revenue_basis(
    frame, store.frame("subscriptions") if "subscriptions" in store.tables else None, as_of)))
c1, c2, c3, c4 = st.columns(4)
c1.metric("Accounts", f"{k.accounts:,}", border=True, help="Accounts not churned by the as-of date.")
c2.metric("Mean health", "–" if k.mean_health is None else f"{k.mean_health:.1f}", border=True,
          help=f"Mean score of the {k.scored:,} active accounts with a score (0-100).")
c3.metric("Share red", "–" if k.red_share is None else f"{k.red_share:.1%}", border=True,
          help=f"{k.red:,} of {k.scored:,} scored active accounts are red." if k.red_share is not None
          else f"Unknown: {k.red_reason}.")
c4.metric("Revenue at risk", "–" if k.revenue_at_risk is None else f"{k.revenue_at_risk:,.0f}", border=True,
          help="Revenue of red active accounts."
          + (f" {k.revenue_n:,} red accounts have a revenue figure, from {k.revenue_source}."
             if k.revenue_at_risk is not None else f" Unknown: {k.revenue_reason}."))
active = memo("suc_active", SCORE_KEY, lambda: scored[pf.active_mask(frame, as_of, churned).reindex(
    scored.index, fill_value=True).to_numpy(bool)])
left, right = st.columns(2)
bands_chart, histogram = memo("suc_charts", SCORE_KEY, lambda: (charts.band_distribution_chart(active),
                                                                      charts.score_histogram(active)))
left.altair_chart(bands_chart, width="stretch")
right.altair_chart(histogram, width="stretch")
st.caption("Active accounts only: accounts churned by the as-of date are lost, not at risk.")
history = memo("history", SCORE_KEY, lambda: pf.score_history(store.con, set(store.tables), store.frame("accounts"),
                                                               sc, as_of, resolve))
trend = memo("suc_trend", SCORE_KEY, lambda: charts.health_trend_chart(pf.health_over_time(history, frame)))
st.altair_chart(trend, width="stretch")

# ---------------------------------------------------------------------------------------------- at risk
st.header("Accounts at risk")
band = st.segmented_control("Band", list(health.BANDS), default="red", key="suc_band") or "red"
text = st.text_input("Search by account id or name", key="suc_search", placeholder="e.g. ACC-0042 or Lakeshore")
table = pf.search(memo("suc_at_risk", (SCORE_KEY, band), lambda: pf.at_risk(scored, frame, band, sc, as_of,
                                                                                    churned)), text)
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "account_id": "Account", "account_name": "Name", "owner": "Rep / owner", "revenue": MONEY,
    "health_score": SCORE, "health_band": "Band", "weakest_measure": "Weakest measure"})
st.caption(f"{len(table):,} {band} accounts, lowest score first (click a header to sort). Weakest measure: the "
           "measure with the fewest points.")
d1, d2, _ = st.columns([1, 1, 4])
table_downloads(d1, d2, table, f"{band}_accounts", key="suc", sheet=f"{band} accounts")

# ------------------------------------------------------------------------------------------------- reps
st.header("Portfolio by rep")
if "owner" not in frame.columns:
    st.info("Add an owner (rep / CSM / account manager) column to the accounts export to compare books.")
else:
    reps = memo("suc_reps", SCORE_KEY, lambda: pf.rep_portfolio(scored, frame, as_of, churned))
    st.dataframe(reps, hide_index=True, width="stretch", column_config={
        "owner": "Rep / owner", "accounts": "Accounts (book)", "active": "Active",
        "mean_health": st.column_config.NumberColumn("Mean health", format="%.1f"),
        "red_share": st.column_config.NumberColumn("Share red", format="percent"),
        "revenue_at_risk": st.column_config.NumberColumn("Revenue at risk", format="localized"),
        "churned": "Churned", "churn_share": st.column_config.NumberColumn("Churn share", format="percent"),
        "churn_low": st.column_config.NumberColumn("95% low", format="percent"),
        "churn_high": st.column_config.NumberColumn("95% high", format="percent")})
    st.caption("Health columns are over active accounts; churn share = churned / accounts with a known status, "
               "with its Wilson 95% interval. Intervals that do not overlap differ by more than chance.")
    st.altair_chart(memo("suc_rep_chart", SCORE_KEY, lambda: charts.rep_portfolio_scatter(
        frame.join(active[["health_score", "health_band"]], how="inner"))), width="stretch")

# -------------------------------------------------------------------------------------------- one account
st.header("One account up close")
choices = memo("suc_choices", SCORE_KEY, lambda: pf.account_choices(scored, frame))
account = st.selectbox("Account (lowest score first; type to search)", list(choices), key="suc_account",
                       format_func=choices.get)
if account is not None:
    parts = pf.breakdown(scored, frame, sc, account, resolve)
    left, right = st.columns([3, 2])
    left.dataframe(parts.drop(columns="column"), hide_index=True, width="stretch", column_config={
        "measure": "Measure", "value": "Value", "points": st.column_config.NumberColumn("Points", format="%.1f"),
        "weight": st.column_config.NumberColumn("Weight", format="%g"),
        "weight_pct": st.column_config.NumberColumn("Weight %", format="%.1f"),
        "contribution": st.column_config.NumberColumn("Contribution", format="%.1f")})
    right.altair_chart(charts.contributions_chart(parts), width="stretch")
    st.caption("Weight % is the measure's share of the weights of the measures this account has; the "
               "contributions add up to its score.")
    if st.toggle("Show its score month by month (the last 12 months)", key="suc_history"):
        st.altair_chart(charts.score_history_chart(history, account), width="stretch")

# ------------------------------------------------------------------------------------------------ backtest
st.header("Does the score predict churn?")
basis = memo("basis", DATA_KEY, lambda: pf.backtest_basis(store.con, set(store.tables),
                                                                  store.frame("accounts"), frame, as_of))
past = memo("basis_points", (DATA_KEY, pf.definition_key(sc)), lambda: pf.portfolio_points(basis.frame, sc, resolve))
past_churned = memo("basis_churned", DATA_KEY, lambda: pf.churn_status(basis.frame, as_of))
bt = memo("backtest", SCORE_KEY, lambda: pf.backtest(
    pf.rescore_portfolio(past, sc), basis.frame, as_of, past_churned))
if bt.reason:
    st.info(bt.reason)
else:
    b1, b2 = st.columns([1, 3])
    b1.metric("AUC", f"{bt.auc:.2f}", border=True,
              help="The chance that a retained account scores higher than a churned one (ties count half).")
    b2.caption(f"0.5 = chance, 1.0 = perfect; 95% interval {bt.auc_low:.2f} to {bt.auc_high:.2f}. Over {bt.n:,} "
               f"scored accounts with a known status, {bt.n_churned:,} churned. {basis.note}")
    if bt.flag:
        st.warning(bt.flag)
    left, right = st.columns(2)
    left.dataframe(bt.by_band, hide_index=True, width="stretch", column_config={
        "band": "Band", "accounts": "Accounts", "churned": "Churned", "churn_share": st.column_config.NumberColumn(
            "Churn share", format="percent"), "ci_low": st.column_config.NumberColumn("95% low", format="percent"),
        "ci_high": st.column_config.NumberColumn("95% high", format="percent")})
    right.dataframe(bt.lift, hide_index=True, width="stretch", column_config={
        "decile": "Score decile (1 = lowest)", "accounts": "Accounts", "churned": "Churned",
        "churn_share": st.column_config.NumberColumn("Churn share", format="percent"),
        "lift": st.column_config.NumberColumn("Lift", format="%.2f")})
    st.caption("A good score puts most churn in red and in the lowest deciles: lift = the decile's churn share / "
               "the overall churn share.")

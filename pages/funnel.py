"""Funnel: how deals move through the stages, the win rate, the weighted forecast, and who sells what.

Every table is memoised on the data and the stage order (``funnel_*`` memo names): at 100,000 deals the page
re-read every deal's stage for each table on each rerun, 1.4 s (bench/results.md, issue 18.5).
"""

import pandas as pd
import streamlit as st

from cs_logic.charts.funnel import forecast_chart, funnel_chart, owner_conversion_chart
from cs_logic.core import fmt
from cs_logic.core.labels import label as field_label
from cs_logic.metrics import funnel
from pages._shared.frame import as_of_default, require_data
from pages._shared.portfolio import scored_portfolio
from pages._shared.widgets import DAYS, MONEY, ONE_DECIMAL, SHARE, currency, show_table, table_downloads
from pages.state import data_key, memo


def downloads(name: str, table: pd.DataFrame, label: str) -> None:
    c1, c2, _ = st.columns([1, 1, 2])  # wide enough for "Conversion table (XLSX)"
    table_downloads(c1, c2, table, name, key=f"funnel_{name}", labels=(f"{label} (CSV)", f"{label} (XLSX)"))


st.title("Funnel")
store = require_data("deals")
deals = store.frame("deals")
if deals.empty:
    st.info("No deals match the filters in the sidebar.")
    st.stop()
if "stage" not in deals.columns or deals["stage"].isna().all():
    st.warning("The deals table has no stage column (or it is empty), so there is no funnel to draw. "
               "Map a column to the stage field on the Data page.")
    st.stop()

# The stage order: read from the data, editable, remembered for the session under funnel_stage_order.
data_order, options = memo("funnel_stages", data_key(store), lambda: (
    (found := funnel.stage_order(deals)),
    found + sorted({str(s).strip() for s in deals["stage"].dropna().unique()} - set(found))))
saved = st.session_state.get("funnel_stage_order") or data_order
if "funnel_order" not in st.session_state or any(s not in options for s in st.session_state["funnel_order"]):
    st.session_state["funnel_order"] = [s for s in saved if s in options] or data_order


def reset_order() -> None:
    st.session_state["funnel_order"] = data_order


with st.expander("Stage order", expanded=False):
    st.caption("The funnel's stages from first to last, read from your data. The LAST stage counts as won. "
               "Remove a stage with its ×; to move a stage, remove it and add it back (it goes to the end). "
               "Lost stages stay out of the order: they are outcomes, not steps.")
    order = st.multiselect("Stages, in order", options, key="funnel_order")
    st.button("Back to the order in the data", key="funnel_reset_order", on_click=reset_order)
st.session_state["funnel_stage_order"] = order
if len(order) < 2:
    st.warning("Pick at least two stages (the last one is the won stage) to see the funnel.")
    st.stop()
if funnel.stage_kind(order[-1]) != "won":
    st.warning("The last stage in the order does not look like a won stage, yet it is counted as won. "
               "Check the stage order above.")

at = (data_key(store), tuple(order))  # what every table below depends on
counts = memo("funnel_counts", at, lambda: funnel.outcome_counts(deals, order))
if counts["unknown"]:
    st.warning(f"{counts['unknown']:,} deals are at a stage that is neither in the order nor recognised as "
               "lost (or have no stage); they are left out of the funnel.")
won, lost = counts["won"], counts["lost"]
low, high = funnel.wilson_interval(won, won + lost)
forecast = memo("funnel_forecast", at, lambda: funnel.weighted_forecast(deals, order))

k = st.columns(6)
k[0].metric("Deals", fmt.count(len(deals)))
k[1].metric("Won", fmt.count(won))
k[2].metric("Lost", fmt.count(lost))
k[3].metric("Open", fmt.count(counts["open"]))
rate = funnel.win_rate(counts)
k[4].metric("Win rate", fmt.pct(rate),
            help="Won / (won + lost): closed deals only. The range is the 95% Wilson interval.")
k[5].metric("Weighted forecast", forecast.shown(currency()), help=forecast.method)
k[5].caption(f"{forecast.n_open - forecast.n_skipped:,} of {forecast.n_open:,} open deals"
             + (f", {forecast.n_imputed:,} with imputed amounts" if forecast.n_imputed else ""))
if won + lost:
    st.caption(f"Win rate 95% interval: {low:.1%} to {high:.1%} ({won + lost:,} closed deals).")

conv, fc, by, after = st.tabs(["Conversion", "Weighted forecast", "By owner, product or segment", "Churn after the sale"])
with conv:
    table = memo("funnel_table", (at, as_of_default()),
                 lambda: funnel.funnel_table(deals, order, as_of=pd.Timestamp(as_of_default())))
    st.altair_chart(funnel_chart(table), width="stretch")
    show_table(table, {
        "step_conversion": {**SHARE, "help": "Reached this stage / reached the previous stage"},
        "overall_conversion": {**SHARE, "label": "From first stage", "help": "Reached this stage / reached the first stage"},
        "median_days": {**DAYS, "help": "Won stage: created to close of won deals. Open stages: age today "
                        f"({as_of_default()}) of the deals there now."}})
    downloads("funnel_conversion", table, "Conversion table")
    st.caption("Days from created to close date, closed deals:")
    show_table(memo("funnel_days", at, lambda: funnel.days_to_close(deals, order)), {"n": "Deals", "median_days": DAYS},
               width="content")
    st.caption(funnel.ASSUMPTION)

with fc:
    st.write(forecast.method)
    by_stage = memo("funnel_by_stage", at, lambda: funnel.forecast_by_stage(deals, order))
    st.altair_chart(forecast_chart(by_stage, order[:-1]), width="stretch")
    show_table(by_stage, {"p_won": SHARE, "pipeline_value": MONEY, "weighted_forecast": MONEY})
    st.markdown("**Chance of winning from each stage** (won / closed deals that reached it), from this file")
    show_table(memo("funnel_p_won", at, lambda: funnel.win_probability_by_stage(deals, order)), {"p_won": SHARE})

with by:
    dims = [c for c in ("owner", "product", "segment") if c in deals.columns]
    if dims:
        dim = st.selectbox("Break down by", dims, key="funnel_dim")
        per = memo("funnel_by_dim", (at, dim), lambda: funnel.by_dim(deals, dim, order))
        st.altair_chart(owner_conversion_chart(per, dim), width="stretch")
        show_table(per, {"win_rate": SHARE, "win_rate_low": SHARE, "win_rate_high": SHARE,
                         "pipeline_value": MONEY, "weighted_forecast": MONEY})
        downloads(f"funnel_by_{dim}", per, f"Table by {field_label(dim).lower()}")
    else:
        st.info("The deals table has no owner, product or segment column to break the funnel down by.")

with after:
    st.markdown("**Do accounts sold by an owner churn more?**")
    if "accounts" not in store.tables:
        st.info("Load an accounts table (with account id and churned) to follow won deals to churn.")
    else:
        port = scored_portfolio(store)  # THE scored portfolio, whichever page ran first
        sold = memo("funnel_sold", (data_key(store), port.scorecard), lambda: funnel.owner_outcomes(
            deals, store.frame("accounts"), port.scored["health_score"]))
        if sold.empty:
            st.info("No won deal has an account id found in the accounts table, so there is nothing to follow.")
        else:
            st.caption("Accounts with a won deal, by the deal's owner: how many have churned since. Mean health "
                       "score: the accounts' scores with the scorecard in use (Success and Scorecard pages).")
            show_table(sold, {"churn_share": SHARE, "churn_low": SHARE, "churn_high": SHARE,
                              "mean_health_score": ONE_DECIMAL})

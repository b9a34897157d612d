"""Support: how many tickets come in, how fast they are answered and solved, by whom, and what is still open."""

import datetime as dt

import streamlit as st

from cs_logic.charts.support import response_time_chart, tickets_per_week_chart
from cs_logic.metrics import support
from pages.common import as_of_default, init_state, require_data

init_state()
st.title("Support")
store = require_data("tickets")
KEY = repr((st.session_state["loaded_key"], store.filters))  # what is loaded and filtered: a cheap cache key
CACHE = {"max_entries": 8, "scope": "session", "show_spinner": False}
DIMS = {"agent": "Agent", "channel": "Channel", "priority": "Priority", "topic": "Topic"}
TABLE = {  # one column setup for every breakdown table
    "tickets": "Tickets",
    "median_first_response_hours": st.column_config.NumberColumn("Median first response (h)", format="%.1f"),
    "p90_first_response_hours": st.column_config.NumberColumn("90th pct first response (h)", format="%.1f"),
    "median_resolution_hours": st.column_config.NumberColumn("Median resolution (h)", format="%.1f"),
    "answered_share": st.column_config.NumberColumn("Answered", format="percent"),
    "resolved_share": st.column_config.NumberColumn("Resolved", format="percent"),
    "csat": st.column_config.NumberColumn("CSAT %", format="%.1f"), "csat_n": "CSAT answers (n)",
    "small_sample": "Under 30 CSAT answers"}


@st.cache_data(**CACHE)
def overview(key, _store):
    tickets = _store.frame("tickets")
    weekly = support.tickets_per_week(tickets) if "created_at" in tickets.columns else None
    return support.support_summary(tickets), weekly


@st.cache_data(**CACHE)
def breakdown(key, dim, _store):
    return support.by_dim(_store.frame("tickets"), dim)


@st.cache_data(**CACHE)
def backlog_size(key, as_of, _store) -> tuple[int | None, str]:
    """How many tickets were open at the end of ``as_of``, and the rule (kept: a rerun counted 5M tickets again)."""
    open_now = support.backlog(_store.frame("tickets"), dt.datetime.combine(as_of, dt.time.max))
    if open_now is None:
        return None, "unknown: the export has no resolved date, status or resolved flag to tell open tickets"
    return len(open_now), open_now.attrs["method"]


@st.cache_data(**CACHE)
def percentiles(key, _store):
    return support.response_percentiles(_store.frame("tickets"), "agent")


hours = support.format_hours


columns = set(store.columns("tickets"))
summary, weekly = overview(KEY, store)
as_of = st.date_input("As of", value=as_of_default(), key="sup_as_of",
                      help="The backlog counts tickets open at the end of this day.")

# ------------------------------------------------------------------------------------------------ tiles
t1, t2, t3, t4, t5 = st.columns(5)
t1.metric("Median first response", hours(summary["median_first_response_hours"]), border=True)
t2.metric("90th percentile first response", hours(summary["p90_first_response_hours"]), border=True)
t3.metric("Median resolution", hours(summary["median_resolution_hours"]), border=True)
t4.metric("90th percentile resolution", hours(summary["p90_resolution_hours"]), border=True)
for tile in (t1, t2):
    tile.caption(f"n = {summary['n_first_response']:,} of {summary['count']:,} tickets")
for tile in (t3, t4):
    tile.caption(f"n = {summary['n_resolution']:,} of {summary['count']:,} tickets")
if "created_at" in columns:
    n_open, rule = backlog_size(KEY, as_of, store)
    t5.metric(f"Backlog on {as_of:%Y-%m-%d}", "–" if n_open is None else f"{n_open:,}", border=True, help=rule)
    t5.caption("open tickets at the end of that day (the rule: ⓘ)")
st.caption("First response and resolution time are hours from the ticket's creation (the export's hours "
           "column where it has one), over the tickets that have the timestamp; median and 90th percentile. "
           f"Negative durations (a reply stamped before the ticket) are left out: {summary['negative_first_response']:,} "
           f"first responses and {summary['negative_resolution']:,} resolutions.")

# ---------------------------------------------------------------------------------------------- volume
st.header("Tickets per week")
if weekly is None:
    st.info("The tickets have no creation date (created_at), so there is no weekly volume.")
else:
    st.altair_chart(tickets_per_week_chart(weekly), width="stretch")
    st.caption("Tickets created per week; weeks start on Monday and weeks without tickets show 0.")

# ----------------------------------------------------------------------------------------------- agents
st.header("Per agent")
if "agent" not in columns:
    st.info("Map the ticket export's assignee column to “agent” on the Data page to compare agents.")
else:
    # A column the export cannot fill (no CSAT, no response times) is left out rather than shown blank.
    st.dataframe(breakdown(KEY, "agent", store).dropna(axis=1, how="all"), hide_index=True, width="stretch",
                 column_config={"agent": st.column_config.TextColumn("Agent"), **TABLE})
    st.caption("Answered / Resolved = share of tickets with a first response / a resolution (the export's flag "
               "where it has one). CSAT % = share of the tickets' 1-5 ratings that are 4 or 5, over the tickets "
               "rated (n); under 30 answers the CSAT is flagged as a small sample. A blank agent is a group of "
               "its own.")
    if summary["n_first_response"]:
        st.altair_chart(response_time_chart(percentiles(KEY, store), "agent"), width="stretch")
        st.caption("Thin line: 10th to 90th percentile of first response hours; bar: 25th to 75th; tick: median.")

# ------------------------------------------------------------------------------------------- breakdowns
st.header("By channel, priority or topic")
dims = [d for d in ("channel", "priority", "topic") if d in columns]
if not dims:
    st.info("The tickets have no channel, priority or topic column to break them down by.")
else:
    dim = st.selectbox("Break down by", dims, key="sup_dim", format_func=DIMS.get)
    st.dataframe(breakdown(KEY, dim, store).dropna(axis=1, how="all"), hide_index=True, width="stretch",
                 column_config={dim: st.column_config.TextColumn(DIMS[dim]), **TABLE})
    st.caption("Same definitions as the agent table: times in hours from creation, CSAT % of 4-5 ratings with n.")

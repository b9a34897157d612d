"""Support: how many tickets come in, how fast they are answered and solved, by whom, and what is still open."""

import datetime as dt

import streamlit as st

from cs_logic.charts.support import response_time_chart, tickets_per_week_chart
from cs_logic.metrics import support
from pages._shared.frame import as_of_default, require_data
from pages._shared.widgets import COUNT, SHARE, show_table
from pages.state import data_key, init_state, memo

init_state()
st.title("Support")
store = require_data("tickets")
KEY = data_key(store)
DIMS = {"agent": "Agent", "channel": "Channel", "priority": "Priority", "topic": "Topic"}
TABLE = {  # one column setup for every breakdown table
    "tickets": {**COUNT, "label": "Tickets"},
    "median_first_response_hours": st.column_config.NumberColumn("Median first response (h)", format="%.1f"),
    "p90_first_response_hours": st.column_config.NumberColumn("90th pct first response (h)", format="%.1f"),
    "median_resolution_hours": st.column_config.NumberColumn("Median resolution (h)", format="%.1f"),
    "answered_share": {**SHARE, "label": "Answered"}, "resolved_share": {**SHARE, "label": "Resolved"},
    "csat": st.column_config.NumberColumn("CSAT %", format="%.1f"), "csat_n": {**COUNT, "label": "CSAT answers (n)"},
    "small_sample": "Under 30 CSAT answers"}


def overview():
    tickets = store.frame("tickets")
    weekly = support.tickets_per_week(tickets) if "created_at" in tickets.columns else None
    return support.support_summary(tickets), weekly


def backlog_size(as_of) -> tuple[int | None, str]:
    """How many tickets were open at the end of ``as_of``, and the rule (kept: a rerun counted 5M tickets again)."""
    found = support.backlog_size(store.frame("tickets"), dt.datetime.combine(as_of, dt.time.max))
    if found is None:
        return None, "unknown: the export has no resolved date, status or resolved flag to tell open tickets"
    return found


def breakdown(dim):
    return memo("sup_by", (KEY, dim), lambda: support.by_dim(store.frame("tickets"), dim), keep=8)


hours = support.format_hours


columns = set(store.columns("tickets"))
summary, weekly = memo("sup_summary", KEY, overview)
as_of = st.columns([1, 3])[0].date_input("As of", value=as_of_default(), key="sup_as_of",
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
    n_open, rule = memo("sup_backlog", (KEY, as_of), lambda: backlog_size(as_of))
    t5.metric(f"Backlog on {as_of:%Y-%m-%d}", "–" if n_open is None else f"{n_open:,}", border=True, help=rule)
    t5.caption("open tickets at the end of that day (hover ? for the rule)")
st.caption("First response and resolution time are hours from the ticket's creation (the export's hours "
           "column where it has one), over the tickets that have the timestamp; median and 90th percentile. "
           f"Negative durations (a reply stamped before the ticket) are left out: {summary['negative_first_response']:,} "
           f"first responses and {summary['negative_resolution']:,} resolutions.")

# Each section in a tab, so the page opens on its answer (the tiles above) and fits a screen.
agent_tab, dim_tab, week_tab = st.tabs(["Per agent", "By channel, priority or topic", "Tickets per week"])
with agent_tab:
    if "agent" not in columns:
        st.info("Map the ticket export's assignee column to “agent” on the Data page to compare agents.")
    else:
        # A column the export cannot fill (no CSAT, no response times) is left out rather than shown blank.
        show_table(breakdown("agent").dropna(axis=1, how="all"), {"agent": st.column_config.TextColumn("Agent"), **TABLE})
        st.caption("Answered / Resolved = share of tickets with a first response / a resolution (the export's flag "
                   "where it has one). CSAT % = share of the tickets' 1-5 ratings that are 4 or 5, over the tickets "
                   "rated (n); under 30 answers the CSAT is flagged as a small sample. A blank agent is a group of "
                   "its own.")
        if summary["n_first_response"]:
            st.altair_chart(response_time_chart(memo("sup_pct", KEY, lambda: support.response_percentiles(
                store.frame("tickets"), "agent")), "agent"), width="stretch")
            st.caption("Thin line: 10th to 90th percentile of first response hours; bar: 25th to 75th; tick: median.")

with dim_tab:
    dims = [d for d in ("channel", "priority", "topic") if d in columns]
    if not dims:
        st.info("The tickets have no channel, priority or topic column to break them down by.")
    else:
        dim = st.selectbox("Break down by", dims, key="sup_dim", format_func=DIMS.get)
        show_table(breakdown(dim).dropna(axis=1, how="all"), {dim: st.column_config.TextColumn(DIMS[dim]), **TABLE})
        st.caption("Same definitions as the agent table: times in hours from creation, CSAT % of 4-5 ratings with n.")

with week_tab:
    if weekly is None:
        st.info("The tickets have no creation date (created_at), so there is no weekly volume.")
    else:
        st.altair_chart(tickets_per_week_chart(weekly), width="stretch")
        st.caption("Tickets created per week; weeks start on Monday and weeks without tickets show 0.")

"""Explore: the questions no fixed view answers: group any loaded table, or ask it in read-only SQL."""

import pandas as pd
import streamlit as st

from cs_logic.charts.explore import group_chart
from cs_logic.core.escape import shown_frame
from cs_logic.core.fmt import UNKNOWN
from cs_logic.core.labels import label as field_label
from cs_logic.metrics import explore
from cs_logic.read.store import QUERY_TIMEOUT_MS
from pages._shared.frame import require_data
from pages._shared.widgets import COUNT, show_table, table_downloads

SQL_ROW_LIMIT = 10_000
# Which columns fit which measure: numbers for sum/mean/median, the survey scales for NPS and CSAT.
FITTING = {"nps": ("nps",), "csat": ("csat",), "churn_share": ("churned",)}


def downloads(name: str, table: pd.DataFrame, labelled: bool = True) -> None:
    c1, c2, _ = st.columns([1, 1, 4])
    table_downloads(c1, c2, table, name, key=f"explore_{name}", labelled=labelled)


def first_grouping(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The first text column with 2-12 values (a segment, plan or channel), so the page opens on an answer."""
    sample = frame.head(5_000)
    for c in columns:
        kind = sample[c].dtype
        if not (pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_datetime64_any_dtype(kind)) \
                and 2 <= sample[c].nunique() <= 12:
            return [c]
    return []


def refused(message: str) -> None:
    """A refusal or error, the message shown as plain text (it may quote what the user typed)."""
    st.warning("Not run. The reason:")
    st.code(message, language=None, wrap_lines=True)


st.title("Explore")
st.write("For the questions no fixed view answers: group any loaded table by one or two columns and pick "
         "a measure. The sidebar filters apply.")
store = require_data()

group_tab, sql_tab = st.tabs(["Group and measure", "SQL (for analysts)"])
with group_tab:
    table = st.selectbox("Table", list(store.tables), key="explore_table", format_func=field_label)
    frame = store.sample(table)  # its first rows: the columns' kinds and the first grouping (usage stays in DuckDB)
    columns = store.columns(table)
    numeric = [c for c in columns
               if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    fits = {"count": [None], "sum": numeric, "mean": numeric, "median": numeric,
            **{m: [c for c in names if c in columns] for m, names in FITTING.items()}}
    measures = [m for m in explore.MEASURES if fits[m]]

    c1, c2, c3 = st.columns(3)
    by = c1.multiselect("Group by (one or two columns)", columns, max_selections=2, key=f"explore_by_{table}",
                        format_func=field_label, default=first_grouping(frame, columns))
    measure = c2.selectbox("Measure", measures, format_func=explore.MEASURE_LABELS.get,
                           key=f"explore_measure_{table}")
    value_col = None if measure == "count" else c3.selectbox("Of column", fits[measure], format_func=field_label,
                                                             key=f"explore_col_{table}_{measure}")

    st.caption("Optional filters, all must hold. Operators: " + ", ".join(explore.OPS)
               + ". For 'in', separate values with commas; dates as YYYY-MM-DD; flags as true / false.")
    rules = st.data_editor(
        pd.DataFrame({"column": pd.Series(dtype=object), "operator": pd.Series(dtype=object),
                      "value": pd.Series(dtype=object)}),
        num_rows="dynamic", hide_index=True, width="stretch", key=f"explore_filters_{table}",
        column_config={"column": st.column_config.SelectboxColumn("Column", options=columns),
                       "operator": st.column_config.SelectboxColumn("Operator", options=list(explore.OPS)),
                       "value": st.column_config.TextColumn("Value")})
    filters = [
        (r.column, r.operator, [v.strip() for v in str(r.value).split(",")] if r.operator == "in" else r.value)
        for r in rules.itertuples() if pd.notna(r.column) and pd.notna(r.operator) and pd.notna(r.value)]

    if not by:
        st.info("Pick one or two columns to group by.")
    else:
        try:
            # The f_ view applies the sidebar's global filters; group_summary checks names against it.
            summary = explore.group_summary(store.con, f"f_{table}", by, measure, value_col, filters)
        except ValueError as exc:
            refused(str(exc))
        else:
            label = explore.MEASURE_LABELS[measure]
            label += f" of {field_label(value_col)}" if measure in ("sum", "mean", "median") else ""
            if summary.empty:
                st.info("No rows match the filters.")
            else:
                st.altair_chart(group_chart(summary, by, label), width="stretch")
            if summary.attrs.get("truncated"):
                st.caption(f"Showing the {explore.MAX_GROUPS:,} largest groups; there are more.")
            st.caption("Rows or answers (n): what each value rests on.")
            show_table(summary, {"value": label, "n": {**COUNT, "label": "Rows or answers (n)"}}, key="explore_summary")
            downloads("explore_summary", summary)

with sql_tab:
    st.caption(f"Read-only: one SELECT or WITH statement; at most {SQL_ROW_LIMIT:,} rows come back and a query "
               f"stops after {QUERY_TIMEOUT_MS // 1000} seconds or {explore.SQL_MEMORY_MB // 1024} GB of memory. "
               "Files, URLs and settings are out of reach. "
               "Table names are the loaded tables below; their f_ views (f_deals...) apply the sidebar filters. "
               "Quote column names with spaces in double quotes.")
    with st.expander("Tables and their columns"):
        show_table(pd.DataFrame([{"table": t, "filtered view": f"f_{t}", "rows": store.info(t).rows,
                                    "columns": ", ".join(store.columns(t))} for t in store.tables]),
                   {"table": "Table (in SQL)", "filtered view": "Filtered view (in SQL)"})
    sql = st.text_area("Query", key="explore_sql", height=120,
                       placeholder="One SELECT or WITH statement, e.g. " + explore.EXAMPLE_SQL)
    if st.button("Run", key="explore_run", type="primary"):
        if not store.sql_snapshot_ready:  # written once per data load, on the first query
            with st.spinner("Preparing a read-only copy for SQL…"):
                store.sql_snapshot()
        # In its own process on that copy: a query that needs too much memory or time ends there, not the app.
        with st.spinner("Running the query…"):
            st.session_state["explore_sql_result"] = explore.run_sql_isolated(store.sql_snapshot(), sql,
                                                                              row_limit=SQL_ROW_LIMIT)
    result, message = st.session_state.get("explore_sql_result", (None, None))
    if result is None and message:
        refused(message)
    elif result is not None:
        if message:
            st.info(message)
        st.dataframe(shown_frame(result), hide_index=True, width="stretch", key="explore_sql_rows",
                     placeholder=UNKNOWN)  # the query's own headers, as the analyst named them
        downloads("explore_query", result, labelled=False)

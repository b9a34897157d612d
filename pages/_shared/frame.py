"""What frames every page: the sidebar, and what a page needs before it draws (data loaded, an as-of date).

The sidebar shows the data loaded, a reset and the global filters; :func:`require_data` offers the demo when
nothing is loaded, :func:`as_of_default` asks for a date when no file has one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.core.unknown import as_of_from
from cs_logic.read.store import Filters, Store
from pages._shared.loading import current_store, load_demo, reset_data
from pages.state import init_state


def require_data(*tables: str) -> Store:
    """The store, or stop the page with an offer of the demo when nothing (or not ``tables``) is loaded."""
    init_state()
    store = current_store()
    missing = [t for t in tables if store is None or t not in store.tables]
    if store is None or (tables and len(missing) == len(tables)):
        what = "No data is loaded yet." if store is None else (
            f"This page needs a {' or '.join(tables)} table, and none of the loaded files is one.")
        st.info(what + " Upload your exports on the Data page, or try the built-in demo portfolio.")
        if st.button("Load demo data", type="primary", key=f"demo_{'_'.join(tables) or 'any'}"):
            load_demo()
            st.rerun()
        st.stop()
    st.text(store.filters.caption())  # plain text: segment and rep names come from the files
    return store


def sidebar() -> None:
    """Which data is loaded, a reset, and the global filters the data allows."""
    store = current_store()
    with st.sidebar:
        if store is None:
            st.caption("No data loaded.")
            return
        st.markdown(f"**Loaded:** {md_escape(st.session_state['data_label'] or 'uploads')}")
        st.caption(" · ".join(f"{t} {store.info(t).rows:,} rows" for t in store.tables))
        if st.button("Reset data", key="reset_data", help="Forget the loaded files (settings are kept)."):
            reset_data()
            st.rerun()
        _filters(store)


def _filters(store: Store) -> None:
    options = store.filter_options()
    if not options:
        return
    st.markdown("**Filters** (every page)")
    chosen: dict[str, Any] = {}
    if "dates" in options:
        lo, hi = options["dates"]
        picked = st.date_input("Date range", value=(lo, hi), min_value=lo, max_value=hi, key="flt_dates")
        if isinstance(picked, (tuple, list)) and len(picked) == 2 and (picked[0], picked[1]) != (lo, hi):
            chosen["date_from"], chosen["date_to"] = picked[0], picked[1]
    for dim, label in (("segment", "Segment"), ("owner", "Rep / owner"), ("plan", "Plan")):
        if dim in options:
            chosen[dim] = tuple(st.multiselect(label, options[dim], key=f"flt_{dim}"))
    filters = Filters(**chosen)
    if filters != store.filters:
        store.set_filters(filters)


def as_of_default(required: bool = True) -> dt.date | None:
    """The as-of date pages use unless the manager picks one: the latest date in the data.

    With no date in any file it is unknown (cs_logic.core.unknown.as_of_from, never today): the page
    asks for one and stops until it is given; with ``required=False`` it gets None (a page whose own
    "As of" input asks, and whose figures need no date when no file has one).
    """
    store = current_store()
    found = as_of_from([(store.filter_options().get("dates") or (None, None))[1]] if store is not None else [])
    if found.value is not None:
        return found.value
    if st.session_state.get("as_of_chosen") is None and not required:
        return None
    if st.session_state.get("as_of_chosen") is None:
        st.info(found.reason)
        st.date_input("As-of date", value=None, key="as_of_ask", on_change=lambda: st.session_state.update(
            as_of_chosen=st.session_state.get("as_of_ask")))
        st.stop()
    return st.session_state["as_of_chosen"]

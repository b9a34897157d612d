"""The Feedback page's parts: its comment index in the store and its search filters."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cs_logic.read.store import Store
from cs_logic.views import feedback_view
from pages.state import memo


def comment_index(store: Store) -> tuple[str, str]:
    """The Feedback page's folded comment table and index in the store, built once per data load (Store.load
    drops both with the old data)."""
    table, index = memo("fb_index", st.session_state["loaded_key"],
                        lambda: feedback_view.comment_index(store.con, set(store.tables)))
    if not feedback_view.table_exists(store.con, table):  # the store was reloaded under the same files
        st.session_state["memo"].pop("fb_index")
        return comment_index(store)
    return table, index


def comment_filters(choices: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """The Feedback page's search filters (segment, rep, agent, answer dates; keys ``fb_<column>``,
    ``fb_dates``) for the values the surveys have (``feedback_view.filter_choices``), added to ``chosen``."""
    slots = st.columns(4)
    for slot, (col, label) in zip(slots, [("segment", "Segment"), ("owner", "Rep"), ("agent", "Agent")]):
        if col in choices:
            pick = slot.selectbox(label, ["All", *choices[col]], key=f"fb_{col}")
            chosen[col] = None if pick == "All" else pick
    if "dates" in choices:
        lo, hi = choices["dates"]
        span = slots[3].date_input("Answered between", (lo, hi), min_value=lo, max_value=hi, key="fb_dates")
        if isinstance(span, (tuple, list)) and len(span) == 2:
            chosen.update(date_from=span[0], date_to=span[1])
    return chosen

"""Scorecard: the what-if. Change measures, weights and bands; every account is rescored at once.

The scorecard edited IS the session's ``scorecard`` (pages.state; None = the starting one): every page scores
with it. ``sc_editing``: the scorecard the editor's widgets were built from (they restart when the one in use
changes elsewhere); ``sc_baseline``: pinned scores; ``sc_suggestion``: suggested weights and the definitions
they were fitted on; ``sc_loaded``: the file last applied; ``sc_saved``: the scorecard the Save button writes;
other ``sc_`` keys are widgets.

The name, bands and weight sliders and the results are one fragment (:func:`what_if`): a weight move
reruns it alone, not the rule editors, the sidebar or the navigation, so the browser redraws a third of the
page and the server runs less (bench/results.md, issue 18). Everything that shows the scorecard in use is in
it; the tabs below are drawn by the whole page, and the fragment fills in what in them follows the weights (the
proposal, what Save writes). A rule edit, add, remove, load, suggest, apply or pin reruns the whole page.
"""

from dataclasses import replace

import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.core.labels import label as field_label
from cs_logic.scoring import health
from cs_logic.scoring import scorecard_edit as se
from cs_logic.views import scorecard_view as sv
from pages._shared.frame import require_data
from pages._shared.portfolio import backtest, scored_portfolio
from pages._shared.scorecard_parts import (
    rule_editors,
    scorecard_proposal,
    scorecard_results,
    scorecard_tabs,
    use_scorecard,
    weight_sliders,
)
from pages._shared.widgets import currency
from pages.state import data_key, init_state, memo

init_state()
NUM = st.column_config.NumberColumn
EDITOR = ("sc_name", "sc_bands", "sc_w_", "sc_lo_", "sc_hi_", "sc_pts_", "sc_dir_")  # widget keys built from it


def edited(sc):
    """The widgets made ``sc`` into this: it becomes the scorecard in use (the widgets show it already)."""
    use_scorecard(sc)
    st.session_state["sc_editing"] = sc


@st.fragment
def what_if(store, results, proposal, saved):
    """Name, bands and weights (here), the portfolio they give (``results``), a proposal against them
    (``proposal``) and the scorecard Save writes (``saved``): see ``scorecard_tabs``."""
    port = scored_portfolio(store)
    sc, resolve = port.scorecard, port.measured.resolve
    name = st.text_input("Scorecard name", sc.name, key="sc_name")
    bands = st.slider("Bands: red below · green from", 0.0, 100.0, (float(sc.bands.red_below),
                      float(sc.bands.green_from)), 1.0, key="sc_bands", format="%g")
    weights = weight_sliders(sc.measures, resolve)
    current, problem = sv.edited(sc, name, bands, tuple(replace(m, weight=weights[m.column]) for m in sc.measures))
    if problem:
        st.error(md_escape(problem))
    if current != sc:
        edited(current)
        port = scored_portfolio(store)
    sc = port.scorecard
    past = backtest(store, port)  # accounts scored as they were before the outcome (portfolio.backtest_basis)
    with results:
        scorecard_results(sv.build(port, past, st.session_state.get("sc_baseline"), store.tables.get("subscriptions"),
                              currency()))
    saved["scorecard"] = sc
    with proposal:
        scorecard_proposal(sc, past)


st.title("Scorecard")
store = require_data("accounts")
port = scored_portfolio(store)
sc, frame, as_of = port.scorecard, port.frame, port.as_of
if st.session_state.get("sc_editing") != sc:  # replaced elsewhere (a file, Apply), or new data
    for key in [k for k in st.session_state if str(k).startswith(EDITOR)]:
        del st.session_state[key]
    st.session_state["sc_editing"] = sc
st.caption("Move a weight and every account is rescored at once. Pin a baseline first to see who changes band. "
           f"Measures as of {as_of:%d %b %Y}.")

edit, results = st.columns([2, 3], gap="large")
with edit.container(height=720, border=False):  # the editor scrolls inside; the results stay in view
    st.subheader("Measures and weights")
    sliders = st.container()
    st.markdown("**How each measure scores**")
    measures, removed = rule_editors(sc.measures)
    if removed is not None:
        use_scorecard(sv.without(sc, removed), from_outside=True)
        st.rerun()
    if (ruled := replace(sc, measures=tuple(measures))) != sc:
        edited(ruled)

    st.markdown("**Add a measure**")
    kinds = memo("sc_kinds", (data_key(store), as_of), lambda: se.column_kinds(frame))
    a1, a2 = st.columns(2)
    column = a1.selectbox("Column", sv.addable(frame, kinds, sc, port.measured.resolve), key="sc_add_column",
                          format_func=field_label,
                          help="Columns of the accounts file and the measures derived from usage, tickets, surveys "
                               "and orders (hover a weight to read how).")
    method = a2.selectbox("Scored by", health.METHODS, key=f"sc_add_method_{column}",
                          index=health.METHODS.index(sv.default_method(kinds, column)))
    if column is not None and st.button("Add measure", key="sc_add"):
        use_scorecard(replace(sc, measures=(*measures, se.new_measure(frame, column, method, churned=port.churned))),
            from_outside=True)
        st.rerun()

saved = st.session_state.setdefault("sc_saved", {})  # the scorecard the Save button writes when clicked
proposal = scorecard_tabs(store, scored_portfolio(store), saved)  # the scorecard as the rule editors left it
with sliders:
    what_if(store, results, proposal, saved)

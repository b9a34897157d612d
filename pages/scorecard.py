"""Scorecard: the what-if. Change measures, weights and bands; every account is rescored at once.

The scorecard edited IS the session's ``scorecard`` (pages.state; None = the starting one): every page scores
with it. ``sc_editing``: the scorecard the editor's widgets were built from (they restart when the one in use
changes elsewhere); ``sc_baseline``: pinned scores; ``sc_suggestion``: suggested weights and the definitions
they were fitted on; ``sc_loaded``: the file last applied; other ``sc_`` keys are widgets.

The name, bands and weight sliders, the results and the tabs are one fragment (:func:`what_if`): a weight move
reruns it alone, not the rule editors, the sidebar or the navigation, so the browser redraws a third of the
page and the server runs less (bench/results.md, issue 18). Everything that shows the scorecard in use is in
it. A rule edit, add, remove, load, apply or pin reruns the whole page.
"""

from dataclasses import replace
from functools import partial

import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from cs_logic.scoring import scorecard_edit as se
from cs_logic.views import scorecard_view as sv
from pages.common import (
    ONE_DECIMAL,
    backtest,
    data_key,
    init_state,
    memo,
    require_data,
    rule_editors,
    scored_portfolio,
    show_table,
    weight_sliders,
)

init_state()
NUM = st.column_config.NumberColumn
EDITOR = ("sc_name", "sc_bands", "sc_w_", "sc_lo_", "sc_hi_", "sc_pts_", "sc_dir_")  # widget keys built from it


def use(sc, from_outside=False):
    """Make ``sc`` the scorecard in use; the editor's widgets restart from it when it came from outside them."""
    st.session_state["scorecard"] = sc
    if from_outside:
        st.session_state.pop("sc_editing", None)


def edited(sc):
    """The widgets made ``sc`` into this: it becomes the scorecard in use (the widgets show it already)."""
    use(sc)
    st.session_state["sc_editing"] = sc


@st.fragment
def what_if(store, results, below):
    """Name, bands and weights (here), the portfolio they give (``results``), suggestions and the file (``below``)."""
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
        show_results(sv.build(port, past, st.session_state.get("sc_baseline"), store.tables.get("subscriptions")))
    with below:
        show_tabs(sc, past)


def show_results(view):
    """The tiles, the band chart, who moved (after a pin) and the weights."""
    st.subheader("What the portfolio looks like")
    for warning in view.warnings:
        st.warning(md_escape(warning))
    for slot, tile in zip([*st.columns(2), *st.columns(2)], view.tiles):
        slot.metric(tile.label, tile.shown, delta=tile.delta, help=tile.help, border=True,
                    delta_color="inverse" if tile.lower_is_better else "normal")
    st.altair_chart(view.bands, width="stretch")
    p1, p2 = st.columns(2)
    if p1.button("Pin as baseline", key="sc_pin", type="primary", help="Keep these scores to compare changes with."):
        st.session_state["sc_baseline"] = view.pinned
        st.rerun()
    if view.comparison is not None and p2.button("Clear the baseline", key="sc_unpin"):
        del st.session_state["sc_baseline"]
        st.rerun()
    if view.comparison is None:
        st.caption("No baseline pinned yet: pin the current scores, then change weights to see who moves.")
    else:
        cmp = view.comparison
        st.caption(md_escape(view.baseline_note))
        st.altair_chart(view.migration, width="stretch")
        show_table(cmp.matrix.reset_index(), {"before": "Band before"})
        st.markdown(f"**{len(cmp.moved):,} accounts changed band** (biggest drops first)")
        show_table(cmp.moved, {"health_band_after": "Band now", "health_score_before": ONE_DECIMAL, "health_score_after":
                               {**ONE_DECIMAL, "label": "Score now"}, "change": NUM(format="%+.1f")}, height=300)
    show_table(view.weights, {"weight_pct": NUM("Share of the score", format="%.1f%%")}, column_order=(
        "measure", "weight_pct", "weight", "rule"))


def show_tabs(sc, past):
    """Suggested weights (a proposal until applied) and the scorecard file, for ``sc``."""
    suggest_tab, file_tab = st.tabs(["Suggested weights", "Save or load a scorecard"])
    with suggest_tab:
        st.caption("A logistic regression of churn on each measure's points proposes weights that rank accounts the "
                   "way churn did. Nothing changes until you press Apply.")
        if st.button("Suggest weights from churn", key="sc_suggest"):
            st.session_state["sc_suggestion"] = (pf.definition_key(sc), past.suggest(sc))
        suggestion = st.session_state.get("sc_suggestion")
        if suggestion and suggestion[0] == pf.definition_key(sc):
            alpha = st.slider("Blend: 0 = your weights, 1 = the suggested weights", 0.0, 1.0, 1.0, 0.1, key="sc_alpha")
            proposal = sv.proposal(sc, suggestion[1], alpha, past.auc, past.result.auc)
            show_table(proposal.weights, {"weight": "Weight now", "weight_pct": NUM("Share now", format="%.1f%%"),
                                          "proposed_rule": "Proposed direction", "proposed_weight": ONE_DECIMAL,
                                          "proposed_pct": NUM("Proposed share", format="%.1f%%")})
            st.caption(proposal.summary)
            for note in proposal.notes:
                st.text(note)
            if st.button("Apply the proposed weights", key="sc_apply"):
                use(proposal.scorecard, from_outside=True)
                st.rerun()
    with file_tab:
        s1, s2 = st.columns(2)
        # Written on click (a callable): bytes held by the button were re-sent on every slider move.
        s1.download_button("Save scorecard", partial(health.dump_scorecard, sc), file_name="scorecard.json",
                           mime="application/json", key="sc_save", on_click="ignore")
        s1.caption("A JSON file (the format in METRICS.md); “Save settings” on the Data page keeps it too.")
        upload = s2.file_uploader("Load a scorecard", type=["json"], key="sc_load")
        if upload is not None and st.session_state.get("sc_loaded") != upload.file_id:
            loaded, problem = sv.read_scorecard(upload.getvalue(), upload.name)
            if problem:
                s2.error(md_escape(problem))
            else:
                st.session_state["sc_loaded"] = upload.file_id
                use(loaded, from_outside=True)
                st.rerun()


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
        use(sv.without(sc, removed), from_outside=True)
        st.rerun()
    if (ruled := replace(sc, measures=tuple(measures))) != sc:
        edited(ruled)

    st.markdown("**Add a measure**")
    kinds = memo("sc_kinds", (data_key(store), as_of), lambda: se.column_kinds(frame))
    a1, a2 = st.columns(2)
    column = a1.selectbox("Column", sv.addable(frame, kinds, sc, port.measured.resolve), key="sc_add_column",
                          help="Columns of the accounts file and the measures derived from usage, tickets, surveys "
                               "and orders (hover a weight to read how).")
    method = a2.selectbox("Scored by", health.METHODS, key=f"sc_add_method_{column}",
                          index=health.METHODS.index(sv.default_method(kinds, column)))
    if column is not None and st.button("Add measure", key="sc_add"):
        use(replace(sc, measures=(*measures, se.new_measure(frame, column, method, churned=port.churned))),
            from_outside=True)
        st.rerun()

below = st.container()
with sliders:
    what_if(store, results, below)

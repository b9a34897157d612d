"""The Scorecard page's parts: the weight sliders, the rule editors, the results, the tabs and the proposal.

Its ``sc_`` keys are described in pages/scorecard.py.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.core.labels import label as field_label
from cs_logic.metrics.buyers import MEASURE_DOCS as BUYER_DOCS
from cs_logic.metrics.measures import MEASURE_DOCS
from cs_logic.read.store import Store
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from cs_logic.scoring.scorecard_edit import describe_measure
from cs_logic.views import scorecard_view
from pages._shared.portfolio import backtest
from pages._shared.widgets import NUM, ONE_DECIMAL, show_table


def weight_sliders(measures: tuple[health.Measure, ...], resolve: Any) -> dict[str, float]:
    """The Scorecard page's weight slider of each measure (key ``sc_w_`` + its column, help = how the measure
    is derived): column -> weight as the slider shows it."""
    docs = {**MEASURE_DOCS, **BUYER_DOCS}
    return {m.column: st.slider(md_escape(m.label or field_label(m.column)), 0.0, max(100.0, float(m.weight)),
                                float(m.weight), 1.0, key=f"sc_w_{m.column}", format="%g",
                                help=docs.get(resolve(m.column))) for m in measures}


def rule_editors(measures: tuple[health.Measure, ...]) -> tuple[list[health.Measure], str | None]:
    """The Scorecard page's rule editor of each measure (:func:`rule_editor`): the measures as edited (weights
    as given), and the column whose Remove button was pressed (None when none was)."""
    edited, removed = [], None
    for m in measures:
        measure, remove = rule_editor(m)
        edited.append(measure)
        removed = m.column if remove else removed
    return edited, removed


def rule_editor(m: health.Measure) -> tuple[health.Measure, bool]:
    """One measure's rule in an expander: its inputs and a Remove button.

    Returns the measure as the widgets describe it (an edit that breaks a rule keeps the measure as it was,
    and says why) and whether Remove was pressed. Keys: ``sc_lo_``, ``sc_hi_``, ``sc_pts_``, ``sc_dir_``,
    ``sc_rm_`` + the measure's column.
    """
    with st.expander(md_escape(f"{m.label or field_label(m.column)}: {describe_measure(m)}"), expanded=False):
        changes: dict[str, Any] = {}
        if m.method == "linear":
            c1, c2 = st.columns(2)
            changes["worst"] = c1.number_input("Worst (0 points)", value=float(m.worst), key=f"sc_lo_{m.column}")
            changes["best"] = c2.number_input("Best (100 points)", value=float(m.best), key=f"sc_hi_{m.column}")
        elif m.method == "points":
            table = st.data_editor({"category": [c for c, _ in m.points], "points": [p for _, p in m.points]},
                                   disabled=["category"], key=f"sc_pts_{m.column}", width="stretch",
                                   column_config={"category": "Category", "points": "Points"})
            changes["points"] = tuple(zip(table["category"], table["points"]))
        else:
            changes["higher_is_better"] = st.toggle("Higher is better", m.higher_is_better, key=f"sc_dir_{m.column}")
        removed = st.button("Remove this measure", key=f"sc_rm_{m.column}")
    edited, problem = scorecard_view.edited_measure(m, m.weight, changes)
    if problem:
        st.error(md_escape(problem))
    return edited, removed


def use_scorecard(sc: Any, from_outside: bool = False) -> None:
    """Make ``sc`` the scorecard in use; the editor's widgets restart from it when it came from outside them."""
    st.session_state["scorecard"] = sc
    if from_outside:
        st.session_state.pop("sc_editing", None)


def scorecard_results(view: Any) -> None:
    """The Scorecard page's results (:class:`scorecard_view.WhatIf`): tiles, band chart, who moved, weights."""
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
        show_table(cmp.moved, {"health_band_after": "Band now", "health_score_before": ONE_DECIMAL,
                               "health_score_after": {**ONE_DECIMAL, "label": "Score now"},
                               "change": NUM(format="%+.1f")}, height=300)
    show_table(view.weights, {"weight_pct": NUM("Share of the score", format="%.1f%%")}, column_order=(
        "measure", "weight_pct", "weight", "rule"))


def scorecard_tabs(store: Store, port: pf.ScoredPortfolio, saved: dict[str, Any]) -> Any:
    """The Scorecard page's tabs: suggested weights (a proposal until applied) and the scorecard file.

    Drawn by the whole page, not by the weight sliders' fragment: a weight move leaves them as they are, so the
    browser does not redraw them (bench/results.md, issue 18). What does change with the weights is filled in by
    the fragment: ``saved["scorecard"]`` (what Save writes, read when it is clicked) and the returned container,
    where :func:`scorecard_proposal` shows a proposal against the weights now.
    """
    sc = port.scorecard
    saved["scorecard"] = sc
    suggest_tab, file_tab = st.tabs(["Suggested weights", "Save or load a scorecard"])
    with suggest_tab:
        st.caption("A logistic regression of churn on each measure's points proposes weights that rank accounts the "
                   "way churn did. Nothing changes until you press Apply.")
        if st.button("Suggest weights from churn", key="sc_suggest"):
            st.session_state["sc_suggestion"] = (pf.definition_key(sc), backtest(store, port).suggest(sc))
        proposal_slot = st.container()
    with file_tab:
        s1, s2 = st.columns(2)
        # Written on click (a callable) from the scorecard in use then: bytes held by the button were re-sent on
        # every slider move, and a scorecard bound here would miss the moves made since the page last ran whole.
        s1.download_button("Save scorecard", partial(_saved_scorecard, saved), file_name="scorecard.json",
                           mime="application/json", key="sc_save", on_click="ignore")
        s1.caption("A JSON file (the format in METRICS.md); “Save settings” on the Data page keeps it too.")
        upload = s2.file_uploader("Load a scorecard", type=["json"], key="sc_load")
        if upload is not None and st.session_state.get("sc_loaded") != upload.file_id:
            loaded, problem = scorecard_view.read_scorecard(upload.getvalue(), upload.name)
            if problem:
                s2.error(md_escape(problem))
            else:
                st.session_state["sc_loaded"] = upload.file_id
                use_scorecard(loaded, from_outside=True)
                st.rerun()
    return proposal_slot


def _saved_scorecard(saved: dict[str, Any]) -> str:
    return health.dump_scorecard(saved["scorecard"])


def scorecard_proposal(sc: Any, past: Any) -> None:
    """The suggested weights blended with ``sc``'s (a blend slider, both weight columns, Apply), when a suggestion
    was made for ``sc``'s measure definitions; nothing otherwise."""
    suggestion = st.session_state.get("sc_suggestion")
    if not suggestion or suggestion[0] != pf.definition_key(sc):
        return
    alpha = st.slider("Blend: 0 = your weights, 1 = the suggested weights", 0.0, 1.0, 1.0, 0.1, key="sc_alpha")
    proposal = scorecard_view.proposal(sc, suggestion[1], alpha, past.auc, past.result.auc)
    show_table(proposal.weights, {"weight": "Weight now", "weight_pct": NUM("Share now", format="%.1f%%"),
                                  "proposed_rule": "Proposed direction", "proposed_weight": ONE_DECIMAL,
                                  "proposed_pct": NUM("Proposed share", format="%.1f%%")})
    st.caption(proposal.summary)
    for note in proposal.notes:
        st.text(note)
    if st.button("Apply the proposed weights", key="sc_apply"):
        use_scorecard(proposal.scorecard, from_outside=True)
        st.rerun()

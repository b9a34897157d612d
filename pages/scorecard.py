"""Scorecard: the what-if. Change measures, weights and bands; every account is rescored at once, against a pinned baseline.

Session keys: ``sc_scorecard`` (the Scorecard being edited, mirrored into ``settings.scorecard`` so "Save
settings" on the Data page keeps it), ``sc_version`` (bumped when the scorecard is replaced from outside the
sliders, so the widgets start from it), ``sc_baseline`` (pinned scores and their scorecard), ``sc_suggestion``
(suggested weights and the measure definitions they were fitted on), ``sc_loaded`` (the uploaded file last
applied); ``portfolio_memo`` (measures and points, shared with the Success page); writes ``health_scores``.
"""

from dataclasses import replace
from functools import partial

import streamlit as st

from cs_logic.charts import health as charts
from cs_logic.metrics.measures import MEASURE_DOCS
from cs_logic.scoring import backtest, health
from cs_logic.scoring import portfolio as pf
from cs_logic.scoring import scorecard_edit as se
from pages.common import health_inputs, init_state, remembered, require_data

init_state()
PCT = st.column_config.NumberColumn(format="%.1f%%")


def use(sc, from_outside=False):
    """Make ``sc`` the scorecard in use, here and in the settings; widgets restart from it when it came from outside."""
    st.session_state["sc_scorecard"] = sc
    st.session_state["settings"] = replace(st.session_state["settings"], scorecard=health.dump_scorecard(sc))
    if from_outside:
        st.session_state["sc_version"] = st.session_state.get("sc_version", 0) + 1


st.title("Scorecard")
store = require_data("accounts")
as_of, DATA_KEY, frame, churned, resolve, in_use = health_inputs(store)
if st.session_state["settings"].scorecard:
    try:
        in_use = health.load_scorecard(st.session_state["settings"].scorecard)
    except ValueError as exc:
        st.error(pf.md_escape(f"The saved scorecard cannot be used, so the starting point is shown: {exc}"))
if st.session_state.get("sc_scorecard") != in_use:  # loaded elsewhere, or new data with no saved scorecard
    st.session_state["sc_scorecard"] = in_use
    st.session_state["sc_version"] = st.session_state.get("sc_version", 0) + 1
sc, v = st.session_state["sc_scorecard"], st.session_state.get("sc_version", 0)
st.caption("Move a weight and every account is rescored at once. Pin a baseline first to see who changes band. "
           f"Measures as of {as_of:%d %b %Y}.")

edit, results = st.columns([2, 3], gap="large")
# ---------------------------------------------------------------------------------------------- the editor
with edit:
    st.subheader("Measures and weights")
    name = st.text_input("Scorecard name", sc.name, key=f"sc_name_{v}")
    red_below, green_from = st.slider("Bands: red below · green from", 0.0, 100.0, (float(sc.bands.red_below),
                                      float(sc.bands.green_from)), 1.0, key=f"sc_bands_{v}", format="%g")
    measures, removed = [], None
    for m in sc.measures:
        label = pf.md_escape(m.label or m.column)
        weight = st.slider(label, 0.0, max(100.0, float(m.weight)), float(m.weight), 1.0, key=f"sc_w_{v}_{m.column}",
                           format="%g", help=MEASURE_DOCS.get(resolve(m.column)))
        with st.expander(pf.md_escape(se.describe_measure(m)), expanded=False):
            changes = {}
            if m.method == "linear":
                c1, c2 = st.columns(2)
                changes["worst"] = c1.number_input("Worst (0 points)", value=float(m.worst), key=f"sc_lo_{v}_{m.column}")
                changes["best"] = c2.number_input("Best (100 points)", value=float(m.best), key=f"sc_hi_{v}_{m.column}")
            elif m.method == "points":
                table = st.data_editor({"category": [c for c, _ in m.points], "points": [p for _, p in m.points]},
                                       disabled=["category"], key=f"sc_pts_{v}_{m.column}", width="stretch")
                changes["points"] = tuple(zip(table["category"], table["points"]))
            else:
                changes["higher_is_better"] = st.toggle("Higher is better", m.higher_is_better, key=f"sc_dir_{v}_{m.column}")
            if st.button("Remove this measure", key=f"sc_rm_{v}_{m.column}"):
                removed = m.column
        try:
            measures.append(replace(m, weight=weight, **changes))
        except ValueError as exc:
            st.error(pf.md_escape(str(exc)))
            measures.append(replace(m, weight=weight))
    if removed is not None:
        use(replace(sc, measures=tuple(x for x in sc.measures if x.column != removed)), from_outside=True)
        st.rerun()

    st.markdown("**Add a measure**")
    taken = {resolve(m.column) for m in sc.measures}
    kinds = remembered("kinds", DATA_KEY, lambda: se.column_kinds(frame))
    options = se.measure_choices(frame, kinds, taken)
    a1, a2 = st.columns(2)
    column = a1.selectbox("Column", options, key="sc_add_column", help="Columns of the accounts file and the "
                          "measures derived from usage, tickets, surveys and orders (hover a weight to read how).")
    method = a2.selectbox("Scored by", health.METHODS, key=f"sc_add_method_{column}",
                          index=0 if kinds.get(column) == "number" else 1)
    if column is not None and st.button("Add measure", key="sc_add"):
        use(replace(sc, measures=(*measures, se.new_measure(frame, column, method))), from_outside=True)
        st.rerun()

try:
    current = health.Scorecard(name.strip() or "Scorecard", health.Bands(red_below, green_from), tuple(measures))
except ValueError as exc:
    st.error(pf.md_escape(str(exc)))
    current = sc
if current != sc:
    use(current)
sc = current
points = remembered("points", (DATA_KEY, pf.definition_key(sc)), lambda: pf.portfolio_points(frame, sc, resolve))
# The backtest scores accounts as they were before the outcome (see portfolio.backtest_basis).
basis = remembered("basis", DATA_KEY, lambda: pf.backtest_basis(store.con, set(store.tables),
                                                                  store.frame("accounts"), frame, as_of))
past = remembered("basis_points", (DATA_KEY, pf.definition_key(sc)), lambda: pf.portfolio_points(basis.frame, sc, resolve))
past_churned = remembered("basis_churned", DATA_KEY, lambda: pf.churn_status(basis.frame, as_of))
scored = pf.rescore_portfolio(points, sc)
st.session_state["health_scores"] = scored[["health_score", "health_band"]]

# ---------------------------------------------------------------------------------------------- the results
with results:
    st.subheader("What the portfolio looks like")
    if scored.attrs.get("reason"):
        st.warning(scored.attrs["reason"])
    if missing := health.missing_columns(frame, sc, resolve):
        st.warning(pf.md_escape("Not in the loaded data, so scored as blank: " + ", ".join(missing)))
    baseline = st.session_state.get("sc_baseline")
    revenue = pf.revenue_basis(frame, store.frame("subscriptions") if "subscriptions" in store.tables else None, as_of)
    k = pf.kpis(scored, frame, as_of, churned, revenue)
    b = pf.kpis(baseline["scored"], frame, as_of, churned, revenue) if baseline else None
    cmp = pf.compare(baseline["scored"], scored, frame, as_of, churned, revenue) if baseline else None
    result = remembered("backtest", (DATA_KEY, health.dump_scorecard(sc)), lambda: pf.backtest(
        pf.rescore_portfolio(past, sc), basis.frame, as_of, past_churned))
    auc = result.auc
    (t1, t2), (t3, t4) = st.columns(2), st.columns(2)
    t1.metric("Mean health", "–" if k.mean_health is None else f"{k.mean_health:.1f}", border=True,
              delta=None if not b or k.mean_health is None or b.mean_health is None else
              f"{k.mean_health - b.mean_health:+.1f}", help=f"Active accounts with a score: {k.scored:,}.")
    t2.metric("Share red", "–" if k.red_share is None else f"{k.red_share:.1%}", border=True, delta_color="inverse",
              delta=None if not b or k.red_share is None or b.red_share is None else
              f"{100 * (k.red_share - b.red_share):+.1f} pts", help=f"{k.red:,} red of {k.scored:,} active accounts.")
    t3.metric("Revenue at risk", "–" if k.revenue_at_risk is None else f"{k.revenue_at_risk:,.0f}", border=True,
              delta=None if not cmp or cmp.revenue_at_risk_change is None else f"{cmp.revenue_at_risk_change:+,.0f}",
              delta_color="inverse", help="Revenue of red active accounts" + (
                  f", from {k.revenue_source}." if k.revenue_at_risk is not None else f". Unknown: {k.revenue_reason}."))
    t4.metric("AUC", "–" if auc is None else f"{auc:.2f}", border=True,
              delta=None if not baseline or auc is None or baseline.get("auc") is None else f"{auc - baseline['auc']:+.3f}",
              help="How well the score separates churned from retained accounts: 0.5 = chance, 1.0 = perfect. "
                   + basis.note)
    if result.flag:
        st.warning(result.flag)
    st.altair_chart(charts.band_distribution_chart(pf.active_scores(scored, frame, as_of, churned)), width="stretch")
    st.caption("Tiles, the band chart and the band-migration matrix count " + pf.ACTIVE_POPULATION.split(":")[0] + ".")
    st.dataframe(se.weight_table(sc), hide_index=True, width="stretch", column_order=(
        "measure", "weight_pct", "weight", "rule"), column_config={
        "measure": "Measure", "rule": "Points from", "weight": "Weight", "weight_pct": st.column_config.NumberColumn(
            "Share of the score", format="%.1f%%")})

    st.subheader("Against the baseline")
    p1, p2 = st.columns(2)
    if p1.button("Pin as baseline", key="sc_pin", type="primary", help="Keep these scores to compare changes with."):
        st.session_state["sc_baseline"] = {"scored": scored[["health_score", "health_band"]].copy(), "scorecard": sc,
                                           "auc": auc}
        st.rerun()
    if baseline and p2.button("Clear the baseline", key="sc_unpin"):
        del st.session_state["sc_baseline"]
        st.rerun()
    if not cmp:
        st.caption("No baseline pinned yet: pin the current scores, then change weights to see who moves.")
    else:
        st.caption(pf.md_escape(f"Baseline: {baseline['scorecard'].name}. Active accounts only, as the tiles. Rows: "
                                "band in the baseline; columns: band now."))
        st.altair_chart(charts.migration_heatmap(cmp.matrix), width="stretch")
        st.dataframe(cmp.matrix.reset_index(), hide_index=True, width="stretch")
        st.markdown(f"**{len(cmp.moved):,} accounts changed band** (biggest drops first)")
        st.dataframe(cmp.moved, hide_index=True, width="stretch", column_config={
            "account_id": "Account", "account_name": "Name", "owner": "Rep / owner",
            "health_score_before": st.column_config.NumberColumn("Score before", format="%.1f"),
            "health_band_before": "Band before", "health_band_after": "Band now",
            "health_score_after": st.column_config.NumberColumn("Score now", format="%.1f"),
            "change": st.column_config.NumberColumn("Change", format="%+.1f")})

# -------------------------------------------------------------------------------- suggestions, save and load
st.header("Suggested weights")
st.caption("A logistic regression of churn on each measure's points proposes weights that rank accounts the way "
           "churn did. Nothing changes until you press Apply.")
if st.button("Suggest weights from churn", key="sc_suggest"):
    st.session_state["sc_suggestion"] = (pf.definition_key(sc), pf.suggest(past, basis.frame, sc, as_of))
suggestion = st.session_state.get("sc_suggestion")
if suggestion and suggestion[0] == pf.definition_key(sc):
    alpha = st.slider("Blend: 0 = your weights, 1 = the suggested weights", 0.0, 1.0, 1.0, 0.1, key="sc_alpha")
    proposal = backtest.blend_weights(sc, suggestion[1], alpha)
    st.dataframe(se.weight_table(sc, proposal), hide_index=True, width="stretch", column_config={
        "measure": "Measure", "rule": "Points from", "weight": "Weight now", "weight_pct": PCT,
        "proposed_weight": st.column_config.NumberColumn("Proposed weight", format="%.1f"), "proposed_pct": PCT})
    new_auc = pf.backtest(pf.rescore_portfolio(past, proposal), basis.frame, as_of, past_churned).auc
    st.caption(f"AUC with the proposal: {'–' if new_auc is None else f'{new_auc:.3f}'} (now "
               f"{'–' if auc is None else f'{auc:.3f}'}); fitted on {suggestion[1].n:,} accounts, "
               f"{suggestion[1].n_churned:,} churned.")
    for note in suggestion[1].notes:
        st.text(note)
    if st.button("Apply the proposed weights", key="sc_apply"):
        use(proposal, from_outside=True)
        st.rerun()

st.header("Save or load a scorecard")
s1, s2 = st.columns(2)
# A callable: the file is written on click. A button holding the bytes re-sent them on every slider move, and
# the browser's check of an earlier run's file could meet a 404 once a newer run had replaced it.
s1.download_button("Save scorecard", partial(health.dump_scorecard, sc), file_name="scorecard.json",
                   mime="application/json", key="sc_save", on_click="ignore")
s1.caption("A JSON file (the format in the app's metric definitions); it is also kept in the settings file.")
upload = s2.file_uploader("Load a scorecard", type=["json"], key="sc_load")
if upload is not None and st.session_state.get("sc_loaded") != upload.file_id:
    try:
        loaded = health.load_scorecard(upload.getvalue().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        s2.error(pf.md_escape(f"{upload.name}: {exc}"))
    else:
        st.session_state["sc_loaded"] = upload.file_id
        use(loaded, from_outside=True)
        st.rerun()

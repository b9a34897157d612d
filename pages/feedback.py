"""Feedback: what customers say and score, what drives it, and the questions they keep asking.

Reads the session memo (``fb_`` names) and THE scored portfolio; other ``fb_`` keys are this page's widgets.
"""

import streamlit as st

from cs_logic.charts import feedback as charts
from cs_logic.metrics import feedback as fb
from cs_logic.metrics.measures import derived_measures
from cs_logic.views import feedback_view as fv
from cs_logic.views import voice
from pages._shared.feedback_parts import comment_filters, comment_index
from pages._shared.frame import as_of_default, require_data
from pages._shared.portfolio import scored_portfolio
from pages._shared.widgets import download_row, show_table
from pages.state import data_key, init_state, memo

init_state()
st.title("Feedback")
store = require_data("surveys")
KEY = data_key(store)  # what is loaded and filtered
TEXT = st.column_config.TextColumn  # user text stays text in a grid, never Markdown
NUM = st.column_config.NumberColumn
as_of = as_of_default()
accounts = store.frame("accounts") if "accounts" in store.tables else None
tickets = store.frame("tickets") if "tickets" in store.tables else None
v = memo("fb_voice", KEY, lambda: voice.build(store.frame("surveys"), accounts, tickets))

for column, tile in zip(st.columns(max(len(v.tiles), 1)), v.tiles):
    column.metric(tile.label, tile.shown, help=tile.definition, border=True)
    column.caption(tile.detail)
if not v.tiles:
    st.info("The surveys have no NPS, CSAT or CES answers; only the comments are shown.")

comments_tab, drivers_tab, faq_tab, features_tab = st.tabs(
    ["Comments and themes", "Key drivers", "FAQ candidates", "Feature interest"])
with comments_tab:
    if "comment" not in v.columns:
        st.info("Map a free-text column of the surveys to “comment” on the Data page to search and read comments.")
    else:
        table, index = comment_index(store)
        q1, q2 = st.columns([2, 1])
        query = q1.text_input("Search comments", key="fb_query", placeholder='words or "a quoted phrase", any language',
                              help="Case, accents and Arabic/Persian letter forms (ي/ی, ك/ک) are ignored; words match "
                                   "by their start.")
        group = q2.selectbox("Score group", ["All", *v.groups], key="fb_group")
        chosen = comment_filters(v.choices, {"group": v.groups.get(group)})
        where = fv.search_filters(store.filters, chosen)
        found = memo("fb_found", (KEY, query, repr(where)), lambda: voice.found(
            fb.search_comments(store.con, table, query, where, index=index), v))
        show_table(found.table, {
            "comment": TEXT("Comment", width=560), "date": st.column_config.DateColumn("Date")})
        download_row(found.table, "comments", key="fb_comments", sheet="Comments")
        st.caption(found.caption)
        if len(found.table):
            pick = st.selectbox("Read one comment in full", range(len(found.table)), key="fb_detail",
                                format_func=found.labels.__getitem__)
            st.text(fv.reading_text(found.table["comment"].iloc[pick]))  # plain text; RTL comments read right to left

        st.subheader("Themes")
        themes = memo("fb_themes", KEY, lambda: fb.themes(v.surveys["comment"]))
        st.altair_chart(charts.themes_chart(themes), width="stretch")
        show_table(themes, {
            "share": NUM("Share of comments", format="percent"), "examples": "Examples"})
        st.caption(voice.NOTES["themes"])

        st.subheader("What sets unhappy customers apart")
        if v.comparisons:
            pair = v.comparisons[st.selectbox("Compare", list(v.comparisons), key="fb_compare")]
            terms = memo("fb_terms", (KEY, pair), lambda: voice.telling(v, pair))
            st.altair_chart(charts.distinctive_terms_chart(terms.terms, labels=pair.labels), width="stretch")
            show_table(terms.table, {
                "z": NUM("z-score", format="%.2f"), "log_odds": None, "examples": "Examples",
                "count_a": f"Mentions ({pair.labels[0]})", "count_b": f"Mentions ({pair.labels[1]})",
                "share_a": NUM(f"% of {pair.labels[0]}", format="percent"),
                "share_b": NUM(f"% of {pair.labels[1]}", format="percent")})
            st.caption(voice.terms_note(pair))

with drivers_tab:
    if not v.ratings or not v.outcomes:
        st.info("Key drivers need an NPS or CSAT answer and attribute ratings (extra survey columns of whole "
                "numbers 0-10, such as rating_support) in the same survey.")
    else:
        outcome = st.selectbox("Outcome", v.outcomes, key="fb_outcome", format_func=voice.OUTCOME_LABELS.get)
        kd = memo("fb_drivers", (KEY, outcome), lambda: voice.key_drivers(v, outcome))
        k1, k2 = st.columns(2)
        k1.metric("R²", kd.r2, border=True)
        k2.metric("Complete answers (n)", f"{kd.result.n:,}", border=True)
        if kd.fix_first is not None:
            st.altair_chart(charts.driver_quadrant_chart(kd.result.table, kd.result.r2, kd.result.n), width="stretch")
            st.text(kd.fix_first)
        st.text(kd.notes)
        st.caption(voice.NOTES["drivers"])

    st.subheader("Operational drivers")
    port = scored_portfolio(store) if accounts is not None and "account_id" in accounts.columns else None
    # The measures are read into fb_ops only (kept once, not also on their own: 1M accounts at size L).
    ops = memo("fb_ops", (KEY, as_of, port and port.scorecard), lambda: voice.operational(
        derived_measures(store.con, set(store.tables), as_of), accounts, as_of, port and port.scores))
    if not ops.outcomes or not ops.candidates:
        st.info("Operational drivers need accounts with NPS answers or churn, and tickets or usage per account.")
    else:
        op = st.selectbox("Outcome per account", ops.outcomes, key="fb_op_outcome",
                          format_func=voice.ACCOUNT_OUTCOMES.get)
        od, summary = memo("fb_op_drivers", (KEY, as_of, port and port.scorecard, op),
                           lambda: voice.operational_result(ops, op))
        show_table(od, {
            "raw_weight": None, "scale_min": None, "scale_max": None, "performance": None,
            "importance": NUM("Importance (% of R²)", format="%.1f"), "mean": NUM("Mean per account", format="%.2f")})
        st.text(summary)
        st.caption(voice.operational_note(as_of))
        with st.expander("How each measure is computed"):
            show_table(fv.measure_definitions(ops.candidates))

with faq_tab:
    source = st.selectbox("Questions from", v.faq_sources, key="fb_faq_source")
    listed = st.file_uploader("Your current FAQ (.txt or .csv, one question per line)", type=["txt", "csv"],
                              key="fb_faq_upload")
    faq = voice.faq(memo("fb_faq", (KEY, source), lambda: voice.faq_groups(v, source, tickets)), listed)
    if faq.groups.empty:
        st.info("No question is asked three times or more in this source." if source else voice.NO_TEXT)
    else:
        st.altair_chart(charts.faq_chart(faq.groups), width="stretch")
        show_table(faq.table, {
            "label": TEXT("Question (normalised)"), "count": "Times asked", "examples": TEXT("Example wordings"),
            "share": NUM("Share", format="percent"), "last_90": "Last 90 days",
            "prior_90": "90 days before", "change": "Change", "covered_by": TEXT("Covered by")})
        st.caption(voice.NOTES["faq"])
        download_row(faq.table, "faq_candidates", key="fb_faq", sheet="FAQ candidates")

with features_tab:
    if not v.features:
        st.info("No survey column's header contains “feature” or “which”, so there is no feature question to tally.")
    else:
        ask = st.selectbox("Question", v.features, key="fb_feature")
        interest, summary = memo("fb_interest", (KEY, ask), lambda: voice.interest(v, ask))
        show_table(interest, {
            "feature": TEXT("Feature"), "share": NUM("Share of respondents", format="percent")})
        st.text(summary)
        st.caption(voice.NOTES["features"])

"""Feedback: what customers say and score, what drives it, and the questions they keep asking.

Reads the session memo (``fb_`` names) and THE scored portfolio; other ``fb_`` keys are this page's widgets.
"""

import pandas as pd
import streamlit as st

from cs_logic.charts import feedback as charts
from cs_logic.metrics import feedback as fb
from cs_logic.metrics.drivers import operational_drivers, relative_weights
from cs_logic.metrics.faq import mark_covered
from cs_logic.metrics.measures import derived_measures
from cs_logic.views import feedback_view as fv
from cs_logic.views import voice
from pages.common import (
    as_of_default,
    data_key,
    init_state,
    memo,
    require_data,
    scored_portfolio,
    table_downloads,
)

init_state()
st.title("Feedback")
store = require_data("surveys")
KEY = data_key(store)  # what is loaded and filtered
TEXT = st.column_config.TextColumn  # user text stays text in a grid, never Markdown
as_of = as_of_default()
accounts = store.frame("accounts") if "accounts" in store.tables else None
tickets = store.frame("tickets") if "tickets" in store.tables else None
v = memo("fb_voice", KEY, lambda: voice.build(store.frame("surveys"), accounts, tickets))
sv, cols = v.surveys, v.columns


def comment_index() -> tuple[str, str]:
    """The folded comment index in the store, built once per data load (Store.load drops it with the old data)."""
    table, index = memo("fb_index", st.session_state["loaded_key"], lambda: fv.comment_index(store.con, set(store.tables)))
    if not fv.table_exists(store.con, table):  # the store was reloaded under the same files
        st.session_state["memo"].pop("fb_index")
        return comment_index()
    return table, index


# ------------------------------------------------------------------------------------------------ tiles
tiles = v.tiles
for column, tile in zip(st.columns(max(len(tiles), 1)), tiles):
    column.metric(tile.label, tile.shown, help=tile.definition, border=True)
    column.caption(tile.detail)
if not tiles:
    st.info("The surveys have no NPS, CSAT or CES answers; only the comments are shown.")

# ------------------------------------------------------------------------------------- comment explorer
st.header("Comments")
if "comment" not in cols:
    st.info("Map a free-text column of the surveys to “comment” on the Data page to search and read comments.")
else:
    table, index = comment_index()
    groups = v.groups
    q1, q2 = st.columns([2, 1])
    query = q1.text_input("Search comments", key="fb_query", placeholder='words or "a quoted phrase", any language',
                          help="Case, accents and Arabic/Persian letter forms (ي/ی, ك/ک) are ignored; words match "
                               "by their start.")
    group = q2.selectbox("Score group", ["All", *groups], key="fb_group")
    chosen = {"group": groups.get(group)}
    f_cols = st.columns(4)
    options = v.choices
    for slot, (col, label) in zip(f_cols, [("segment", "Segment"), ("owner", "Rep"), ("agent", "Agent")]):
        if col in options:
            pick = slot.selectbox(label, ["All", *options[col]], key=f"fb_{col}")
            chosen[col] = None if pick == "All" else pick
    if "dates" in options:
        lo, hi = options["dates"]
        span = f_cols[3].date_input("Answered between", (lo, hi), min_value=lo, max_value=hi, key="fb_dates")
        if isinstance(span, (tuple, list)) and len(span) == 2:
            chosen.update(date_from=span[0], date_to=span[1])
    where = fv.search_filters(store.filters, chosen)
    found = memo("fb_found", (KEY, query, repr(where)), lambda: fb.search_comments(store.con, table, query, where,
                                                                                     index=index)).copy()
    found.insert(0, "group", fb.score_group(found) if cols & {"nps", "csat"} else None)
    # The comment comes second so its column stays in view: the grid right-aligns Persian text.
    shown = [c for c in ("response_id", "comment", "group", "nps", "csat", "date", "segment", "owner", "agent")
             if c in found.columns]
    st.dataframe(found[shown], hide_index=True, width="stretch", column_config={
        "comment": TEXT("Comment", width=560), "date": st.column_config.DateColumn("Date")})
    st.caption(f"{found.attrs['matches']:,} answers match; the newest {len(found):,} are listed (blank comments "
               "included when no words are searched).")
    if len(found):
        label = {c: found[c] for c in ("response_id", "date", "group") if c in found.columns}  # once, not per option
        pick = st.selectbox("Read one comment in full", range(len(found)), key="fb_detail",
                            format_func=lambda i: " · ".join(str(v.iloc[i])[:10 if c == "date" else None]
                                                             for c, v in label.items()) or f"#{i + 1}")
        st.text(fv.reading_text(found["comment"].iloc[pick]))  # plain text; RTL comments read right to left

    st.subheader("Themes")
    themes = memo("fb_themes", KEY, lambda: fb.themes(sv["comment"]))
    st.altair_chart(charts.themes_chart(themes), width="stretch")
    st.dataframe(themes, hide_index=True, width="stretch", column_config={
        "share": st.column_config.NumberColumn("Share of comments", format="percent"), "examples": "Examples"})
    st.caption("Comments mentioning each word or two-word phrase (stop words of English, Portuguese, Russian, "
               "Belarusian and Persian dropped); share = of the non-blank comments.")

    st.subheader("What sets unhappy customers apart")
    if v.comparisons:
        pair = v.comparisons[st.selectbox("Compare", list(v.comparisons), key="fb_compare")]
        labels = pair.labels
        terms = memo("fb_terms", (KEY, pair), lambda: voice.telling_terms(v, pair))
        st.altair_chart(charts.distinctive_terms_chart(terms, labels=labels), width="stretch")
        st.dataframe(pd.concat([terms.head(10), terms.tail(10)]), hide_index=True, width="stretch", column_config={
            "z": st.column_config.NumberColumn("z-score", format="%.2f"), "log_odds": None,
            "count_a": f"Mentions ({labels[0]})", "count_b": f"Mentions ({labels[1]})",
            "share_a": st.column_config.NumberColumn(f"% of {labels[0]}", format="percent"),
            "share_b": st.column_config.NumberColumn(f"% of {labels[1]}", format="percent"), "examples": "Examples"})
        st.caption("Log-odds with an informative Dirichlet prior (Monroe et al. 2008): z above 1.96 leans to the "
                   f"{labels[0].lower()} side more than chance explains, below −1.96 to the {labels[1].lower()} side. "
                   "Terms seen fewer than 3 times are left out. The table lists the 10 most telling terms of each side.")

# ---------------------------------------------------------------------------------------------- drivers
st.header("Key drivers")
ratings, outcomes = v.ratings, v.outcomes
if not ratings or not outcomes:
    st.info("Key drivers need an NPS or CSAT answer and attribute ratings (extra survey columns of whole "
            "numbers 0-10, such as rating_support) in the same survey.")
else:
    outcome = st.selectbox("Outcome", outcomes, key="fb_outcome", format_func=voice.OUTCOME_LABELS.get)
    kd = memo("fb_drivers", (KEY, outcome), lambda: relative_weights(sv, outcome, list(ratings)))
    k1, k2 = st.columns(2)
    k1.metric("R²", "–" if kd.r2 is None else f"{kd.r2:.2f}", border=True)
    k2.metric("Complete answers (n)", f"{kd.n:,}", border=True)
    if len(kd.table):
        st.altair_chart(charts.driver_quadrant_chart(kd.table, kd.r2, kd.n), width="stretch")
        st.text("Fix first: " + (", ".join(kd.table.loc[kd.table["quadrant"] == "Fix first", "driver"]) or "none"))
    st.text("\n".join(kd.notes))
    st.caption("Importance = Johnson's relative weights (share of R², sums to 100%); performance = the rating's "
               "mean rescaled to 0-100. Quadrants split at each axis's mean: important and weak = Fix first. "
               "Attribute ratings: extra survey columns holding whole numbers 0-10.")

st.subheader("Operational drivers")
port = scored_portfolio(store) if accounts is not None and "account_id" in accounts.columns else None
ops = memo("fb_ops", (KEY, as_of, port and port.scorecard), lambda: voice.operational(
    memo("fb_measures", (KEY, as_of), lambda: derived_measures(store.con, set(store.tables), as_of)), accounts,
    as_of, port and port.scores))
op_outcomes, candidates, sparse = ops.outcomes, ops.candidates, ops.sparse
if not op_outcomes or not candidates:
    st.info("Operational drivers need accounts with NPS answers or churn, and tickets or usage per account.")
else:
    op = st.selectbox("Outcome per account", op_outcomes, key="fb_op_outcome",
                      format_func=voice.ACCOUNT_OUTCOMES.get)
    od = memo("fb_op_drivers", (KEY, as_of, port and port.scorecard, op),
              lambda: operational_drivers(ops.table, op, candidates))
    st.dataframe(od.table, hide_index=True, width="stretch", column_config={
        "raw_weight": None, "scale_min": None, "scale_max": None, "performance": None,
        "importance": st.column_config.NumberColumn("Importance (% of R²)", format="%.1f"),
        "mean": st.column_config.NumberColumn("Mean per account", format="%.2f")})
    st.text(f"R² = {'–' if od.r2 is None else f'{od.r2:.2f}'}, n = {od.n:,} accounts\n" + "\n".join(
        [*od.notes, *(f"{c} left out: known for fewer than half of the accounts" for c in sparse)]))
    st.caption(f"Measures per account at {as_of:%Y-%m-%d} (the latest date in the data). For churn they describe "
               "accounts after they left (a churned account's usage is 0): read them as a description, not a "
               "forecast. Health score: the accounts' scores with the scorecard in use.")
    with st.expander("How each measure is computed"):
        st.dataframe(fv.measure_definitions(candidates), hide_index=True, width="stretch")

# ------------------------------------------------------------------------------------------------- FAQ
st.header("FAQ candidates")
source = st.selectbox("Questions from", v.faq_sources, key="fb_faq_source")
faq = memo("fb_faq", (KEY, source), lambda: voice.faq_groups(v, source, tickets))
listed = st.file_uploader("Your current FAQ (.txt or .csv, one question per line)", type=["txt", "csv"],
                          key="fb_faq_upload")
if listed is not None and listed.size <= 5_000_000:
    faq = mark_covered(faq, fv.faq_lines(listed.getvalue(), listed.name))
if faq.empty:
    st.info("No question is asked three times or more in this source.")
else:
    st.altair_chart(charts.faq_chart(faq), width="stretch")
    table_faq = fv.faq_table(faq)
    st.dataframe(table_faq, hide_index=True, width="stretch", column_config={
        "label": TEXT("Question (normalised)"), "count": "Times asked", "examples": TEXT("Example wordings"),
        "share": st.column_config.NumberColumn("Share", format="percent"), "last_90": "Last 90 days",
        "prior_90": "90 days before", "change": "Change", "covered_by": TEXT("Covered by")})
    st.caption("Texts grouped by similar wording (TF-IDF of words and letter triples, cosine ≥ 0.5 to the group's "
               "most common wording); groups of 3 or more. Ticket subjects and bodies count whole; survey comments "
               "only when they read as a question. Trend: the 90 days to the latest date against the 90 before.")
    d1, d2, _ = st.columns([1, 1, 4])
    table_downloads(d1, d2, table_faq, "faq_candidates", key="fb_faq", sheet="FAQ candidates")

# -------------------------------------------------------------------------------------- feature interest
st.header("Feature interest")
asks = v.features
if not asks:
    st.info("No survey column's header contains “feature” or “which”, so there is no feature question to tally.")
else:
    ask = st.selectbox("Question", asks, key="fb_feature")
    fi = memo("fb_interest", (KEY, ask), lambda: fb.feature_interest(sv, ask))
    st.dataframe(fi.table, hide_index=True, width="stretch", column_config={
        "feature": TEXT("Feature"), "share": st.column_config.NumberColumn("Share of respondents", format="percent")})
    st.text(f"{fi.respondents:,} respondents. Most wanted: {', '.join(fi.most) or '–'}")
    st.caption("Answers split on ; and , (multiple choice); spellings grouped ignoring case and accents. "
               "Columns whose header contains “feature” or “which” are offered here.")

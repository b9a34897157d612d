"""Feedback: what customers say and score, what drives it, and the questions they keep asking.

Session keys: ``fb_surveys`` (the surveys with their accounts' columns, per data load and filters),
``fb_index`` (the searchable comment table, per data load), ``fb_memo`` (the operational drivers' inputs per
data load, as-of date and health scores); other ``fb_`` keys are this page's widgets.
"""

import pandas as pd
import streamlit as st

from cs_logic.charts import feedback as charts
from cs_logic.core.escape import shown_frame
from cs_logic.metrics import feedback as fb
from cs_logic.metrics.drivers import operational_drivers, relative_weights
from cs_logic.metrics.faq import faq_candidates, mark_covered
from cs_logic.metrics.measures import derived_measures
from cs_logic.views import feedback_view as fv
from cs_logic.views.loyalty_view import surveys_with_accounts
from pages.common import as_of_default, init_state, require_data, table_downloads

init_state()
st.title("Feedback")
store = require_data("surveys")
KEY = repr((st.session_state["loaded_key"], store.filters))  # what is loaded and filtered: a cheap cache key
CACHE = {"max_entries": 8, "scope": "session", "show_spinner": False}
TEXT = st.column_config.TextColumn  # user text stays text in a grid, never Markdown
as_of = as_of_default()


def surveys(key, _store):
    """Once per data load and filters, kept in the session (st.cache_data would unpickle a copy on every rerun)."""
    memo = st.session_state.get("fb_surveys")
    if memo is None or memo[0] != key:
        accounts = _store.frame("accounts") if "accounts" in _store.tables else None
        memo = st.session_state["fb_surveys"] = (key, surveys_with_accounts(_store.frame("surveys"), accounts))
    return memo[1]


@st.cache_data(**CACHE)
def faq_groups(key, source, _store):
    tickets = _store.frame("tickets") if "tickets" in _store.tables else None
    if source is None:  # no comment column and no ticket text: nothing to group
        return faq_candidates(pd.Series([], dtype=object))
    if source == "survey comments":
        sv = surveys(key, _store)
        return faq_candidates(sv["comment"], sv.get("date"), questions_only=True)
    return faq_candidates(tickets[source.split()[-1]], tickets.get("created_at"), questions_only=False)


@st.cache_data(**CACHE)
def measures(key, as_of, _store):
    return derived_measures(_store.con, set(_store.tables), as_of)


@st.cache_data(**CACHE)
def tiles_of(key, _store):
    return fv.voice_tiles(surveys(key, _store))


@st.cache_data(**CACHE)
def choices_of(key, _store):
    return fv.filter_choices(surveys(key, _store))


@st.cache_data(**CACHE)
def key_drivers(key, outcome, ratings, _store):
    return relative_weights(surveys(key, _store), outcome, list(ratings))


@st.cache_data(**CACHE)
def interest_in(key, ask, _store):
    return fb.feature_interest(surveys(key, _store), ask)


@st.cache_data(**CACHE)
def themes_of(key, _store):
    return fb.themes(surveys(key, _store)["comment"])


@st.cache_data(**CACHE)
def telling_terms(key, basis, a, b, _store):
    sv = surveys(key, _store)
    score = fb.score_group(sv, basis)
    return fb.distinctive_terms(fv.group_texts(sv, score, a), fv.group_texts(sv, score, b))


@st.cache_data(**CACHE)
def comments_found(key, table, index, query, filters, _store):
    return fb.search_comments(_store.con, table, query, filters, index=index)


def for_health(name, health, compute):
    """Computed once per data load, as-of date and health scores (the Success page replaces those when it rescores)."""
    memo = st.session_state.get("fb_memo")
    if memo is None or memo["key"] != (KEY, as_of) or memo["health"] is not health:
        memo = st.session_state["fb_memo"] = {"key": (KEY, as_of), "health": health}
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def search_table() -> tuple[str, str]:
    """The folded comment index, built once per data load (Store.load drops it with the old data)."""
    state = st.session_state.get("fb_index")
    if state is None or state[0] != st.session_state["loaded_key"] or not fv.table_exists(store.con, state[1]):
        st.session_state["fb_index"] = (st.session_state["loaded_key"], *fv.comment_index(store.con, set(store.tables)))
    return st.session_state["fb_index"][1:]


sv = surveys(KEY, store)
cols = set(sv.columns)
# ------------------------------------------------------------------------------------------------ tiles
tiles = tiles_of(KEY, store)
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
    table, index = search_table()
    groups = {k: v for k, v in fv.GROUP_CHOICES.items() if ("nps" if v in fb.NPS_GROUPS else "csat") in cols}
    q1, q2 = st.columns([2, 1])
    query = q1.text_input("Search comments", key="fb_query", placeholder='words or "a quoted phrase", any language',
                          help="Case, accents and Arabic/Persian letter forms (ي/ی, ك/ک) are ignored; words match "
                               "by their start.")
    group = q2.selectbox("Score group", ["All", *groups], key="fb_group")
    chosen = {"group": groups.get(group)}
    f_cols = st.columns(4)
    options = choices_of(KEY, store)
    for slot, (col, label) in zip(f_cols, [("segment", "Segment"), ("owner", "Rep"), ("agent", "Agent")]):
        if col in options:
            pick = slot.selectbox(label, ["All", *options[col]], key=f"fb_{col}")
            chosen[col] = None if pick == "All" else pick
    if "dates" in options:
        lo, hi = options["dates"]
        span = f_cols[3].date_input("Answered between", (lo, hi), min_value=lo, max_value=hi, key="fb_dates")
        if isinstance(span, (tuple, list)) and len(span) == 2:
            chosen.update(date_from=span[0], date_to=span[1])
    found = comments_found(KEY, table, index, query, fv.search_filters(store.filters, chosen), store)
    found.insert(0, "group", fb.score_group(found) if cols & {"nps", "csat"} else None)
    # The comment comes second so its column stays in view: the grid right-aligns Persian text.
    shown = [c for c in ("response_id", "comment", "group", "nps", "csat", "date", "segment", "owner", "agent")
             if c in found.columns]
    st.dataframe(shown_frame(found[shown]), hide_index=True, width="stretch", column_config={
        "comment": TEXT("Comment", width=560), "date": st.column_config.DateColumn("Date")})
    d1, d2, _ = st.columns([1, 1, 4])  # the one way out for comments: Streamlit's own table download is off
    table_downloads(d1, d2, found[shown], "comments", key="fb_comments", sheet="Comments")
    st.caption(f"{found.attrs['matches']:,} answers match; the newest {len(found):,} are listed (blank comments "
               "included when no words are searched).")
    if len(found):
        label = {c: found[c] for c in ("response_id", "date", "group") if c in found.columns}  # once, not per option
        pick = st.selectbox("Read one comment in full", range(len(found)), key="fb_detail",
                            format_func=lambda i: " · ".join(str(v.iloc[i])[:10 if c == "date" else None]
                                                             for c, v in label.items()) or f"#{i + 1}")
        st.text(fv.reading_text(found["comment"].iloc[pick]))  # plain text; RTL comments read right to left

    st.subheader("Themes")
    themes = themes_of(KEY, store)
    st.altair_chart(charts.themes_chart(themes), width="stretch")
    st.dataframe(themes, hide_index=True, width="stretch", column_config={
        "share": st.column_config.NumberColumn("Share of comments", format="percent"), "examples": "Examples"})
    st.caption("Comments mentioning each word or two-word phrase (stop words of English, Portuguese, Russian, "
               "Belarusian and Persian dropped); share = of the non-blank comments.")

    st.subheader("What sets unhappy customers apart")
    pairs = {"Detractors vs promoters (NPS)": ("nps", "detractor", "promoter", ("Detractors", "Promoters")),
             "Low (1-2) vs high (4-5) CSAT": ("csat", "low", "high", ("Low CSAT", "High CSAT"))}
    pairs = {k: v for k, v in pairs.items() if v[0] in cols}
    if pairs:
        basis, a, b, labels = pairs[st.selectbox("Compare", list(pairs), key="fb_compare")]
        terms = telling_terms(KEY, basis, a, b, store)
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
ratings = fv.attribute_columns(sv)
outcomes = [c for c in ("nps", "csat") if c in cols]
if not ratings or not outcomes:
    st.info("Key drivers need an NPS or CSAT answer and attribute ratings (extra survey columns of whole "
            "numbers 0-10, such as rating_support) in the same survey.")
else:
    outcome = st.selectbox("Outcome", outcomes, key="fb_outcome", format_func={"nps": "NPS answer (0-10)",
                                                                              "csat": "CSAT (1-5)"}.get)
    kd = key_drivers(KEY, outcome, tuple(ratings), store)
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
health = st.session_state.get("health_scores")
health = health if isinstance(health, pd.DataFrame) else None
ops = for_health("ops", health, lambda: fv.account_outcomes(
    measures(KEY, as_of, store), store.frame("accounts") if "accounts" in store.tables else None, as_of, health))
op_outcomes = for_health("outcomes", health, lambda: [c for c in ("account_nps", "churned")
                                                      if c in ops.columns and ops[c].notna().any()])
candidates, sparse = for_health("candidates", health, lambda: fv.operational_candidates(ops))
if not op_outcomes or not candidates:
    st.info("Operational drivers need accounts with NPS answers or churn, and tickets or usage per account.")
else:
    op = st.selectbox("Outcome per account", op_outcomes, key="fb_op_outcome",
                      format_func={"account_nps": "Account NPS", "churned": "Churned (0/1)"}.get)
    od = for_health(("drivers", op), health, lambda: operational_drivers(ops, op, candidates))
    st.dataframe(od.table, hide_index=True, width="stretch", column_config={
        "raw_weight": None, "scale_min": None, "scale_max": None, "performance": None,
        "importance": st.column_config.NumberColumn("Importance (% of R²)", format="%.1f"),
        "mean": st.column_config.NumberColumn("Mean per account", format="%.2f")})
    st.text(f"R² = {'–' if od.r2 is None else f'{od.r2:.2f}'}, n = {od.n:,} accounts\n" + "\n".join(
        [*od.notes, *(f"{c} left out: known for fewer than half of the accounts" for c in sparse)]))
    st.caption(f"Measures per account at {as_of:%Y-%m-%d} (the latest date in the data). For churn they describe "
               "accounts after they left (a churned account's usage is 0): read them as a description, not a "
               "forecast. Health score included when the health score page has scored accounts.")
    with st.expander("How each measure is computed"):
        st.dataframe(fv.measure_definitions(candidates), hide_index=True, width="stretch")

# ------------------------------------------------------------------------------------------------- FAQ
st.header("FAQ candidates")
sources = [s for s, ok in (("ticket subject", "tickets" in store.tables and "subject" in store.columns("tickets")),
                           ("ticket body", "tickets" in store.tables and "body" in store.columns("tickets")),
                           ("survey comments", "comment" in cols)) if ok]
source = st.selectbox("Questions from", sources, key="fb_faq_source")
faq = faq_groups(KEY, source, store)
listed = st.file_uploader("Your current FAQ (.txt or .csv, one question per line)", type=["txt", "csv"],
                          key="fb_faq_upload")
if listed is not None and listed.size <= 5_000_000:
    faq = mark_covered(faq, fv.faq_lines(listed.getvalue(), listed.name))
if faq.empty:
    st.info("No question is asked three times or more in this source." if source else "No text to find questions "
            "in: the surveys have no comment column and no tickets with a subject or body are loaded.")
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
asks = fv.feature_columns(sv)
if not asks:
    st.info("No survey column's header contains “feature” or “which”, so there is no feature question to tally.")
else:
    ask = st.selectbox("Question", asks, key="fb_feature")
    fi = interest_in(KEY, ask, store)
    st.dataframe(fi.table, hide_index=True, width="stretch", column_config={
        "feature": TEXT("Feature"), "share": st.column_config.NumberColumn("Share of respondents", format="percent")})
    st.text(f"{fi.respondents:,} respondents. Most wanted: {', '.join(fi.most) or '–'}")
    st.caption("Answers split on ; and , (multiple choice); spellings grouped ignoring case and accents. "
               "Columns whose header contains “feature” or “which” are offered here.")

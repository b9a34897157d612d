"""The Feedback page's view: what the surveys allow (tiles, filters, comparisons, drivers, FAQ sources), as records.

The page draws; the rules live here: which detractor/promoter pairs can be compared, which texts
FAQ candidates come from, which accounts' outcomes the operational drivers explain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from cs_logic.metrics import feedback as fb
from cs_logic.metrics.drivers import DriverResult, operational_drivers, relative_weights
from cs_logic.metrics.faq import faq_candidates, mark_covered
from cs_logic.views import feedback_view as fv
from cs_logic.views.loyalty_view import Tile, surveys_with_accounts


@dataclass(frozen=True)
class Comparison:
    """Two score groups whose comments are compared: the score column, the groups, and their labels."""

    basis: str
    a: str
    b: str
    labels: tuple[str, str]


COMPARISONS = {
    "Detractors vs promoters (NPS)": Comparison("nps", "detractor", "promoter", ("Detractors", "Promoters")),
    "Low (1-2) vs high (4-5) CSAT": Comparison("csat", "low", "high", ("Low CSAT", "High CSAT")),
}
OUTCOME_LABELS = {"nps": "NPS answer (0-10)", "csat": "CSAT (1-5)"}
ACCOUNT_OUTCOMES = {"account_nps": "Account NPS", "churned": "Churned (0/1)"}


@dataclass(frozen=True, eq=False)
class Voice:
    """What the Feedback page can show for these surveys, before any widget choice.

    ``surveys`` carry their accounts' segment, owner and plan; ``groups`` are the score groups a
    comment search can pick (label -> group); ``comparisons`` the group pairs the answers allow;
    ``ratings`` the attribute ratings and ``outcomes`` the answers key drivers explain;
    ``features`` the feature-question columns; ``faq_sources`` the texts FAQ candidates can come from.
    """

    surveys: pd.DataFrame
    columns: frozenset[str]
    tiles: list[Tile]
    choices: dict[str, Any]
    groups: dict[str, str]
    comparisons: dict[str, Comparison]
    ratings: list[str]
    outcomes: list[str]
    features: list[str]
    faq_sources: list[str]


def build(surveys: pd.DataFrame, accounts: pd.DataFrame | None, tickets: pd.DataFrame | None) -> Voice:
    """The :class:`Voice` of ``surveys`` (with their ``accounts``, and ``tickets`` for FAQ sources).

    >>> v = build(pd.DataFrame({"nps": [9, 3], "comment": ["ok", "slow?"]}), None, None)
    >>> list(v.comparisons), v.outcomes, v.faq_sources
    (['Detractors vs promoters (NPS)'], ['nps'], ['survey comments'])
    """
    sv = surveys_with_accounts(surveys, accounts)
    cols = frozenset(sv.columns)
    ticket_cols = set() if tickets is None else set(tickets.columns)
    sources = [s for s, ok in (("ticket subject", "subject" in ticket_cols), ("ticket body", "body" in ticket_cols),
                               ("survey comments", "comment" in cols)) if ok]
    return Voice(
        sv, cols, fv.voice_tiles(sv), fv.filter_choices(sv),
        {k: v for k, v in fv.GROUP_CHOICES.items() if ("nps" if v in fb.NPS_GROUPS else "csat") in cols},
        {k: c for k, c in COMPARISONS.items() if c.basis in cols},
        fv.attribute_columns(sv), [c for c in ("nps", "csat") if c in cols], fv.feature_columns(sv), sources)


def telling_terms(voice: Voice, pair: Comparison) -> pd.DataFrame:
    """``feedback.distinctive_terms`` of group ``pair.a``'s comments against group ``pair.b``'s."""
    score = fb.score_group(voice.surveys, pair.basis)
    return fb.distinctive_terms(fv.group_texts(voice.surveys, score, pair.a), fv.group_texts(voice.surveys, score, pair.b))


NO_TEXT = ("No text to find questions in: the surveys have no comment column and no tickets with a subject or "
           "body are loaded.")


def faq_groups(voice: Voice, source: str | None, tickets: pd.DataFrame | None) -> pd.DataFrame:
    """FAQ candidates from ``source``: ticket subjects and bodies count whole, survey comments only as questions;
    none when there is no source (no comment column and no ticket text)."""
    if source is None:
        return faq_candidates(pd.Series([], dtype=object))
    if source == "survey comments":
        return faq_candidates(voice.surveys["comment"], voice.surveys.get("date"), questions_only=True)
    assert tickets is not None, "a ticket source is offered only with tickets"
    return faq_candidates(tickets[source.split()[-1]], tickets.get("created_at"), questions_only=False)


@dataclass(frozen=True, eq=False)
class Operational:
    """Per account: operational measures, the health score and outcomes (``table``); which outcomes are
    known, which measures may drive them, and which were left out as mostly blank."""

    table: pd.DataFrame
    outcomes: list[str]
    candidates: list[str]
    sparse: list[str]


def operational(measures: pd.DataFrame, accounts: pd.DataFrame | None, as_of: dt.date,
                scores: pd.DataFrame | None) -> Operational:
    """The operational drivers' inputs: ``feedback_view.account_outcomes`` with THE scored portfolio's ``scores``.

    >>> m = pd.DataFrame({"tickets_per_month": [2.0, 0.0]}, index=pd.Index(["a", "b"], name="account_id"))
    >>> operational(m, None, dt.date(2024, 1, 1), None).outcomes
    []
    """
    ops = fv.account_outcomes(measures, accounts, as_of, scores)
    outcomes = [c for c in ACCOUNT_OUTCOMES if c in ops.columns and ops[c].notna().any()]
    candidates, sparse = fv.operational_candidates(ops)
    return Operational(ops, outcomes, candidates, sparse)


# ---------------------------------------------------------------- each section as shown

# How each section is computed, in the words its caption uses (beside the rules they describe).
NOTES = {
    "themes": "Comments mentioning each word or two-word phrase (stop words of English, Portuguese, Russian, "
              "Belarusian and Persian dropped); share = of the non-blank comments.",
    "drivers": "Importance = Johnson's relative weights (share of R², sums to 100%); performance = the rating's "
               "mean rescaled to 0-100. Quadrants split at each axis's mean: important and weak = Fix first. "
               "Attribute ratings: extra survey columns holding whole numbers 0-10.",
    "faq": "Texts grouped by similar wording (TF-IDF of words and letter triples, cosine ≥ 0.5 to the group's "
           "most common wording); groups of 3 or more. Ticket subjects and bodies count whole; survey comments "
           "only when they read as a question. Trend: the 90 days to the latest date against the 90 before.",
    "features": "Answers split on ; and , (multiple choice); spellings grouped ignoring case and accents. "
                "Columns whose header contains “feature” or “which” are offered here.",
}
RESULT_COLUMNS = ("response_id", "comment", "group", "nps", "csat", "date", "segment", "owner", "agent")
TELLING = 10  # terms listed per side of a comparison
FAQ_LIST_MAX_BYTES = 5_000_000  # an uploaded FAQ list larger than this is not read


def terms_note(pair: Comparison) -> str:
    """The caption of a comparison of ``pair``'s comments: the method and how to read z."""
    return ("Log-odds with an informative Dirichlet prior (Monroe et al. 2008): z above 1.96 leans to the "
            f"{pair.labels[0].lower()} side more than chance explains, below −1.96 to the {pair.labels[1].lower()} "
            f"side. Terms seen fewer than 3 times are left out. The table lists the {TELLING} most telling terms "
            "of each side.")


def operational_note(as_of: dt.date) -> str:
    """The caption of the operational drivers: what the measures describe, and when."""
    return (f"Measures per account at {as_of:%Y-%m-%d} (the latest date in the data). For churn they describe "
            "accounts after they left (a churned account's usage is 0): read them as a description, not a "
            "forecast. Health score: the accounts' scores with the scorecard in use.")


@dataclass(frozen=True, eq=False)
class Found:
    """A comment search as shown: ``table`` (score group added; the comment second, so it stays in view
    where the grid right-aligns Persian text), one label per row for the detail picker, and the caption."""

    table: pd.DataFrame
    labels: tuple[str, ...]
    caption: str


def found(results: pd.DataFrame, voice: Voice) -> Found:
    """``feedback.search_comments`` results as the page lists them.

    >>> r = pd.DataFrame({"response_id": ["r1"], "comment": ["slow"], "nps": [3],
    ...                   "date": pd.to_datetime(["2024-05-02"])})
    >>> r.attrs["matches"] = 7
    >>> f = found(r, build(r, None, None))
    >>> list(f.table.columns), f.labels
    (['response_id', 'comment', 'group', 'nps', 'date'], ('r1 · 2024-05-02 · detractor',))
    >>> f.caption[:33]
    '7 answers match; the newest 1 are'
    """
    out = results.copy()
    out.insert(0, "group", fb.score_group(out) if voice.columns & {"nps", "csat"} else None)
    parts = {c: out[c] for c in ("response_id", "date", "group") if c in out.columns}  # a date: its day only
    labels = tuple(" · ".join(str(x.iloc[i])[:10 if c == "date" else None] for c, x in parts.items()) or f"#{i + 1}"
                   for i in range(len(out)))
    caption = (f"{results.attrs['matches']:,} answers match; the newest {len(out):,} are listed (blank comments "
               "included when no words are searched).")
    return Found(out[[c for c in RESULT_COLUMNS if c in out.columns]], labels, caption)


@dataclass(frozen=True, eq=False)
class Telling:
    """The terms that set one group's comments apart (``terms``, by z) and the table of the most telling."""

    terms: pd.DataFrame
    table: pd.DataFrame


def telling(voice: Voice, pair: Comparison) -> Telling:
    """:func:`telling_terms` and the :data:`TELLING` most telling terms of each side."""
    terms = telling_terms(voice, pair)
    return Telling(terms, pd.concat([terms.head(TELLING), terms.tail(TELLING)]))


@dataclass(frozen=True, eq=False)
class Drivers:
    """Key drivers as shown: the relative weights (``result``), R² as text, "Fix first: ..." (None without
    drivers) and the notes."""

    result: DriverResult
    r2: str
    fix_first: str | None
    notes: str


def key_drivers(voice: Voice, outcome: str) -> Drivers:
    """Johnson's relative weights of the attribute ratings for ``outcome`` (``drivers.relative_weights``)."""
    kd = relative_weights(voice.surveys, outcome, list(voice.ratings))
    fix = ", ".join(kd.table.loc[kd.table["quadrant"] == "Fix first", "driver"]) if len(kd.table) else None
    return Drivers(kd, "–" if kd.r2 is None else f"{kd.r2:.2f}",
                   None if fix is None else "Fix first: " + (fix or "none"), "\n".join(kd.notes))


def operational_result(ops: Operational, outcome: str) -> tuple[pd.DataFrame, str]:
    """The operational drivers of ``outcome`` per account: their table, and R², n and the notes as text
    (measures left out as mostly blank included)."""
    od = operational_drivers(ops.table, outcome, ops.candidates)
    left_out = [f"{c} left out: known for fewer than half of the accounts" for c in ops.sparse]
    return od.table, (f"R² = {'–' if od.r2 is None else f'{od.r2:.2f}'}, n = {od.n:,} accounts\n"
                      + "\n".join([*od.notes, *left_out]))


@dataclass(frozen=True, eq=False)
class Faq:
    """FAQ candidates (``groups``, marked against an uploaded FAQ list when one was read) and their table."""

    groups: pd.DataFrame
    table: pd.DataFrame


class Upload(Protocol):
    """An uploaded file: its name and its bytes."""

    name: str

    def getvalue(self) -> bytes: ...


def faq(groups: pd.DataFrame, listed: Upload | None = None) -> Faq:
    """:func:`faq_groups`, marked as covered by the questions of an uploaded FAQ list (``listed``: one
    question per line, or per row of a .csv; at most :data:`FAQ_LIST_MAX_BYTES`, a larger list is not
    read), and its table for display and download."""
    data = None if listed is None else listed.getvalue()
    if listed is not None and data is not None and len(data) <= FAQ_LIST_MAX_BYTES:
        groups = mark_covered(groups, fv.faq_lines(data, listed.name))
    return Faq(groups, fv.faq_table(groups))


def interest(voice: Voice, column: str) -> tuple[pd.DataFrame, str]:
    """The feature tally of ``column`` and its summary ("n respondents. Most wanted: ...").

    >>> table, text = interest(build(pd.DataFrame({"which": ["API; SSO", "api"]}), None, None), "which")
    >>> text
    '2 respondents. Most wanted: API'
    """
    fi = fb.feature_interest(voice.surveys, column)
    return fi.table, f"{fi.respondents:,} respondents. Most wanted: {', '.join(fi.most) or '–'}"

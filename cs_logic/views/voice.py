"""The Feedback page's view: what the surveys allow (tiles, filters, comparisons, drivers, FAQ sources), as records.

The page draws; the rules live here: which detractor/promoter pairs can be compared, which texts
FAQ candidates come from, which accounts' outcomes the operational drivers explain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cs_logic.metrics import feedback as fb
from cs_logic.metrics.faq import faq_candidates
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


def faq_groups(voice: Voice, source: str, tickets: pd.DataFrame | None) -> pd.DataFrame:
    """FAQ candidates from ``source``: ticket subjects and bodies count whole, survey comments only as questions."""
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

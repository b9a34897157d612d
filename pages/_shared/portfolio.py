"""THE scored portfolio of the session and what derives from it: the health history and the backtest.

One per (data and mappings, filters, as-of, scorecard), kept in the session memo, so what a page shows does not
depend on which page was opened first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from cs_logic.read.store import Store
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from cs_logic.views import scorecard_view
from pages._shared.frame import as_of_default
from pages.state import data_key, memo


def accounts_mapping() -> dict[str, str]:
    """The accounts files' mapping (canonical field -> file header), so a scorecard naming raw headers resolves."""
    return {k: v for f in st.session_state["files"] if f.table == "accounts" for k, v in f.mapping.items()}


def scored_portfolio(store: Store, as_of: dt.date | None = None) -> pf.ScoredPortfolio:
    """THE scored portfolio of this session: one per (data and mappings, filters, as-of, scorecard).

    Every page, the Overview's report included, reads it from here, so what a page shows does not
    depend on which page was opened first. The measures are kept per data and as-of day, the points
    per measure definitions (a weight move reuses them), the scores per scorecard.
    """
    as_of = as_of_default() if as_of is None else as_of
    at = (data_key(store), as_of)
    measured = memo("measured", at, lambda: pf.measure(store.con, set(store.tables), store.frame("accounts"),
                                                          as_of, accounts_mapping()))
    chosen = st.session_state["scorecard"]
    sc = measured.starting if chosen is None else chosen
    points = memo("points", (at, pf.definition_key(sc)), lambda: pf.portfolio_points(measured.frame, sc,
                                                                                        measured.resolve))
    return memo("scored", (at, health.dump_scorecard(sc), chosen is None),
                lambda: pf.scored_portfolio(measured, chosen, points))


def health_history(store: Store, port: pf.ScoredPortfolio) -> Any:
    """Every account's score at each of the last 12 month ends for THE scored portfolio (``pf.score_history``):
    computed once per data, as-of day and scorecard, and shared by the Overview (its chart and report) and the
    Success page's month-by-month views."""
    return memo("history", ((data_key(store), port.as_of), health.dump_scorecard(port.scorecard)),
                lambda: pf.score_history(store.con, set(store.tables), store.frame("accounts"), port.scorecard,
                                         port.as_of, port.measured.resolve))


def backtest(store: Store, port: pf.ScoredPortfolio) -> scorecard_view.Past:
    """THE backtest of the scored portfolio: the accounts as they were before the outcome
    (``portfolio.backtest_basis``), their points for the scorecard in use, their churn, and the backtest.

    The memo names and keys are the Success page's, so both pages read one result.
    """
    sc, frame, as_of, resolve = port.scorecard, port.frame, port.as_of, port.measured.resolve
    at = (data_key(store), as_of)
    basis = memo("basis", at, lambda: pf.backtest_basis(store.con, set(store.tables), store.frame("accounts"),
                                                        frame, as_of))
    past = memo("basis_points", (at, pf.definition_key(sc)), lambda: pf.portfolio_points(basis.frame, sc, resolve))
    churned = memo("basis_churned", at, lambda: pf.churn_status(basis.frame, as_of))
    result = memo("backtest", (at, health.dump_scorecard(sc)), lambda: pf.backtest(
        pf.rescore_portfolio(past, sc), basis.frame, as_of, churned))
    return scorecard_view.Past(basis, past, churned, as_of, result)

"""AppTest: the Success page on the demo: tiles match its own scores, the lists, the drill-down and the backtest run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "success.py")
# The demo's churned accounts all ended before its as-of date (2026-10-31), so "active" = churned "No".
ACCOUNTS = pd.read_csv(ROOT / "data" / "accounts.csv", dtype=str)
ACTIVE = set(ACCOUNTS.loc[ACCOUNTS["churned"] == "No", "account_id"])


@pytest.fixture(scope="module")
def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.button(key="demo_accounts").click().run()
    at.run()
    assert not at.exception, at.exception
    return at


def _scores(at: AppTest) -> pd.DataFrame:
    """The scores of THE scored portfolio the page last read (pages._shared.portfolio.scored_portfolio's memo)."""
    return list(at.session_state["memo"]["scored"].values())[-1].scores


def _metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no {label!r} tile among {[m.label for m in at.metric]}"
    return found[0]


def test_page_runs_on_empty_state_and_offers_the_demo():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert "Load demo data" in [b.label for b in at.button]


def test_tiles_equal_the_page_scores_over_active_accounts(page):
    """Mean health and share red worked from the page's own scored portfolio and the demo file's churn flags."""
    scores = _scores(page)
    assert list(scores.columns) == ["health_score", "health_band"] and scores.index.name == "account_id"
    assert len(scores) == 500
    active = scores[scores.index.isin(ACTIVE)]
    scored = active["health_score"].dropna()
    assert _metric(page, "Accounts") == f"{len(ACTIVE):,}"
    assert _metric(page, "Mean health") == f"{scored.mean():.1f}"
    assert _metric(page, "Share red") == f"{(active['health_band'] == 'red').sum() / len(scored):.1%}"


def test_revenue_at_risk_is_the_revenue_of_red_active_accounts(page):
    scores = _scores(page)
    red = scores.index[(scores["health_band"] == "red") & scores.index.isin(ACTIVE)]
    revenue = ACCOUNTS.set_index("account_id")["revenue"].astype(float)
    # The tile is shortened as every money tile is (Overview, Scorecard: "155k", issue 17.2); the help gives it in full.
    tile = next(m for m in page.metric if m.label == "Revenue at risk")
    assert tile.value == f"{revenue[red].sum() / 1e3:.0f}k"
    assert f"Revenue of red active accounts: {revenue[red].sum():,.0f}." in tile.help


def test_at_risk_list_holds_the_red_active_accounts_and_filters_by_search(page):
    scores = _scores(page)
    table = next(d.value for d in page.dataframe if "weakest_measure" in d.value.columns)
    expected = scores.index[(scores["health_band"] == "red") & scores.index.isin(ACTIVE)]
    assert sorted(table["account_id"]) == sorted(expected)
    assert table["health_score"].is_monotonic_increasing
    first = table["account_id"].iloc[0]
    page.text_input(key="suc_search").set_value(first.lower()).run()
    table = next(d.value for d in page.dataframe if "weakest_measure" in d.value.columns)
    assert table["account_id"].tolist() == [first]
    page.text_input(key="suc_search").set_value("").run()


def test_rep_table_has_every_rep_with_the_readme_churn_share(page):
    """data/README.md: Marcus Reed lost 26 of 86 accounts (30.2%)."""
    reps = next(d.value for d in page.dataframe if "churn_low" in d.value.columns).set_index("owner")
    assert len(reps) == 8
    assert reps.loc["Marcus Reed", ["accounts", "churned"]].tolist() == [86, 26]
    low, high = reps.loc["Marcus Reed", ["churn_low", "churn_high"]]
    assert low < 26 / 86 < high


def test_drill_down_contributions_add_up_to_the_account_score(page):
    account = page.selectbox(key="suc_account").value
    parts = next(d.value for d in page.dataframe if "contribution" in d.value.columns)
    score = _scores(page).at[account, "health_score"]
    assert parts["contribution"].sum() == pytest.approx(score)


def test_score_history_and_backtest_show_without_error(page):
    page.toggle(key="suc_history").set_value(True).run()
    assert not page.exception, page.exception
    assert "history" in page.session_state["memo"]
    auc = float(_metric(page, "AUC"))
    assert 0.5 < auc <= 1.0
    assert any("0.5 = chance, 1.0 = perfect" in c.value for c in page.caption)

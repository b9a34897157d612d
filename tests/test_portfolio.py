"""The scored portfolio: golden numbers on four accounts worked by hand, and the Telco export end to end."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cs_logic.read.store import Store
from cs_logic.read.workspace import combine, load_file
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from cs_logic.scoring import scorecard_edit as se
from cs_logic.scoring.health import Bands, Measure, Scorecard

AS_OF = dt.date(2024, 12, 31)
SC = Scorecard("Golden", Bands(50, 75), (
    Measure("tenure", 30, "linear", worst=0, best=72),
    Measure("plan", 70, "points", points=(("Basic", 0), ("Pro", 100))),
))


@pytest.fixture
def frame() -> pd.DataFrame:
    """Four accounts: A and C churned; D has no tenure."""
    return pd.DataFrame({
        "account_name": ["Acme", "Bolt", "Crane", "Delta"],
        "owner": ["x", "x", "y", "y"],
        "tenure": [0.0, 36.0, 72.0, np.nan],
        "plan": ["Basic", "Pro", "Pro", "Basic"],
        "revenue": [100.0, 200.0, 300.0, 400.0],
        "churned": pd.array([True, False, True, False], dtype="boolean"),
    }, index=pd.Index(["A", "B", "C", "D"], name="account_id"))


@pytest.fixture
def scored(frame: pd.DataFrame) -> pd.DataFrame:
    return pf.score_portfolio(frame, SC)


def test_scores_are_the_weighted_mean_of_points_with_blanks_left_out(scored):
    """A: tenure 0, plan Basic 0 -> 0. B: tenure 36/72 = 50 points, Pro 100 -> (30*50 + 70*100)/100 = 85.
    C: 100 and 100 -> 100. D: no tenure, so plan alone (weight 70 renormalised) -> 0, on 1 of 2 measures."""
    assert scored["health_score"].tolist() == pytest.approx([0.0, 85.0, 100.0, 0.0])
    assert scored["health_band"].tolist() == ["red", "green", "green", "red"]
    assert scored["measures_used"].tolist() == [2, 2, 2, 1]
    assert scored["coverage"].tolist() == [1.0, 1.0, 1.0, 0.5]
    assert scored["points_tenure"].tolist()[:3] == [0.0, 50.0, 100.0]
    assert scored.index.name == "account_id"


def test_kpis_count_every_account_without_an_as_of_date(scored, frame):
    """Mean (0 + 85 + 100 + 0)/4 = 46.25; red A and D: 2 of 4; revenue at risk 100 + 400 = 500."""
    k = pf.kpis(scored, frame)
    assert (k.accounts, k.scored, k.red, k.revenue_n) == (4, 4, 2, 2)
    assert k.mean_health == pytest.approx(46.25)
    assert k.red_share == pytest.approx(0.5)
    assert k.revenue_at_risk == pytest.approx(500.0)


def test_kpis_leave_out_churned_accounts_given_an_as_of_date(scored, frame):
    """Active: B (85) and D (0, red, revenue 400): mean 42.5, red 1 of 2, revenue at risk 400."""
    k = pf.kpis(scored, frame, AS_OF)
    assert (k.accounts, k.red, k.mean_health, k.red_share, k.revenue_at_risk) == (2, 1, 42.5, 0.5, 400.0)


def test_revenue_at_risk_is_none_without_a_revenue_column(scored, frame):
    assert pf.kpis(scored, frame.drop(columns="revenue")).revenue_at_risk is None


def test_at_risk_lists_red_accounts_with_their_weakest_measure(scored, frame):
    """A: both measures 0 points, the first (tenure) is named; D: only plan has a value."""
    table = pf.at_risk(scored, frame)
    assert table["account_id"].tolist() == ["A", "D"]
    assert table["weakest_measure"].tolist() == ["tenure", "plan"]
    assert table[["account_name", "owner", "revenue"]].values.tolist() == [["Acme", "x", 100.0], ["Delta", "y", 400.0]]
    assert pf.at_risk(scored, frame, as_of=AS_OF)["account_id"].tolist() == ["D"]


def test_search_matches_id_or_name_ignoring_case(scored, frame):
    table = pf.at_risk(scored, frame)
    assert pf.search(table, "delt")["account_id"].tolist() == ["D"]
    assert pf.search(table, " ACM ")["account_id"].tolist() == ["A"]
    assert len(pf.search(table, "")) == 2


def test_rep_portfolio_splits_health_over_active_accounts_and_churn_over_all(scored, frame):
    """x: A churned, B active 85 -> mean 85, no red, churn 1/2. y: C churned, D active 0 (red, 400) -> churn 1/2.
    Wilson(1, 2) at 95%: centre (0.5 + 1.96²/4)/(1 + 1.96²/2) = 0.5, half ≈ 0.4056 -> 0.0945 .. 0.9055."""
    reps = pf.rep_portfolio(scored, frame, AS_OF).set_index("owner")
    assert reps.loc["x", ["accounts", "active", "mean_health", "red_share", "revenue_at_risk"]].tolist() == [
        2, 1, 85.0, 0.0, 0.0]
    assert reps.loc["y", ["mean_health", "red_share", "revenue_at_risk", "churned", "churn_share"]].tolist() == [
        0.0, 1.0, 400.0, 1, 0.5]
    assert reps.loc["y", "churn_low"] == pytest.approx(0.0945, abs=1e-4)
    assert reps.loc["y", "churn_high"] == pytest.approx(0.9055, abs=1e-4)
    assert list(reps.index) == ["y", "x"]  # lowest mean health first


def test_backtest_auc_counts_ties_as_half(scored, frame):
    """Retained B 85, D 0; churned A 0, C 100. Pairs (retained, churned): B>A 1, B<C 0, D=A 1/2, D<C 0 -> 1.5/4."""
    bt = pf.backtest(scored, frame, AS_OF)
    assert bt.auc == pytest.approx(0.375)
    assert (bt.n, bt.n_churned, bt.reason) == (4, 2, None)
    assert bt.by_band.set_index("band")["churned"].to_dict() == {"red": 1, "yellow": 0, "green": 1}
    assert bt.lift["accounts"].sum() == 4


@pytest.mark.parametrize("churned, reason", [
    (pd.array([None] * 4, dtype="boolean"), pf.CHURN_UNKNOWN),
    (pd.array([False] * 4, dtype="boolean"), pf.ONE_CLASS),
])
def test_backtest_gives_a_reason_instead_of_an_auc(scored, frame, churned, reason):
    bt = pf.backtest(scored, frame.assign(churned=churned), AS_OF)
    assert bt.auc is None and bt.reason == reason


def test_compare_reports_band_moves_and_changes(scored, frame):
    """Weights 70/30: B = (70*50 + 30*100)/100 = 65, green -> yellow (change -20); the others keep their band.
    Revenue at risk stays 500 (A, D red); the ranking of retained over churned accounts and so the AUC is unchanged."""
    after = pf.score_portfolio(frame, replace_weights(SC, 70, 30))
    cmp = pf.compare(scored, after, frame)
    assert cmp.matrix.loc["green", "yellow"] == 1
    assert int(np.trace(cmp.matrix.to_numpy())) == 3
    assert cmp.moved["account_id"].tolist() == ["B"]
    assert cmp.moved["change"].tolist() == pytest.approx([-20.0])
    assert cmp.moved["account_name"].tolist() == ["Bolt"]
    assert cmp.revenue_at_risk_change == 0.0
    assert cmp.auc_change == 0.0


def replace_weights(sc: Scorecard, *weights: float) -> Scorecard:
    return Scorecard(sc.name, sc.bands, tuple(Measure(**{**m.__dict__, "weight": w}) for m, w in zip(sc.measures, weights)))


def test_a_weight_change_reuses_the_points_and_gives_the_same_scores_as_scoring_afresh(frame):
    """The cached points do not depend on weights (same definition key), and rescoring them equals a fresh score."""
    points = pf.portfolio_points(frame, SC)
    heavier = replace_weights(SC, 90, 10)
    assert pf.definition_key(heavier) == pf.definition_key(SC)
    pd.testing.assert_frame_equal(pf.rescore_portfolio(points, heavier), pf.score_portfolio(frame, heavier))
    other = Scorecard("x", SC.bands, (Measure("tenure", 30, "linear", worst=0, best=36), SC.measures[1]))
    assert pf.definition_key(other) != pf.definition_key(SC)


def test_resolver_maps_source_headers_to_canonical_names_and_keeps_others():
    resolve = pf.resolver({"account_id": "customerID", "revenue": "MonthlyCharges", "plan": "Contract"})
    assert [resolve(c) for c in ("MonthlyCharges", "Contract", "revenue", "tenure")] == ["revenue", "plan", "revenue", "tenure"]


def test_measure_frame_joins_derived_measures_to_accounts_started_by_the_as_of_date():
    """A started before as_of with 2 tickets in the last 90 days (2/3 a month); B has none (0); C starts after
    as_of and is left out; the repeated A row keeps its first values."""
    accounts = pd.DataFrame({
        "account_id": ["A", "B", "C", "A"], "plan": ["Pro", "Basic", "Pro", "Basic"],
        "start_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2025-06-01", "2024-01-01"]),
    })
    tickets = pd.DataFrame({"ticket_id": ["t1", "t2"], "account_id": ["A", "A"],
                            "created_at": pd.to_datetime(["2024-12-01", "2024-12-20"])})
    store = Store(memory_limit="256MB")
    try:
        store.load({"accounts": accounts, "tickets": tickets})
        frame = pf.measure_frame(store.con, set(store.tables), accounts, AS_OF)
    finally:
        store.close()
    assert list(frame.index) == ["A", "B"]
    assert frame.loc["A", "plan"] == "Pro"
    assert frame["tickets_per_month"].tolist() == pytest.approx([2 / 3, 0.0])


def test_new_measure_starts_from_the_data():
    """Linear from the 10th to the 90th percentile of 0..10 (1 and 9); points 50 per category."""
    data = pd.DataFrame({"x": np.arange(11, dtype=float), "c": ["b", "a"] * 5 + ["a"]})
    lin = se.new_measure(data, "x", "linear")
    assert (lin.worst, lin.best) == (1.0, 9.0)
    assert se.new_measure(data, "c", "points").points == (("a", 50.0), ("b", 50.0))


def test_weight_table_shows_weights_as_percent_of_the_total():
    table = se.weight_table(SC, replace_weights(SC, 1, 3))
    assert table["weight_pct"].tolist() == [30.0, 70.0]
    assert table["proposed_pct"].tolist() == [25.0, 75.0]
    assert table["rule"].tolist() == ["linear: 0 → 72 (higher is better)", "points: Basic 0 · Pro 100"]


def test_breakdown_contributions_add_up_to_the_score(scored, frame):
    """B: tenure 50 points * 30% = 15, plan 100 * 70% = 70; 15 + 70 = 85, the score."""
    parts = pf.breakdown(scored, frame, SC, "B")
    assert parts["contribution"].tolist() == pytest.approx([15.0, 70.0])
    assert parts["value"].tolist() == ["36", "Pro"]


def test_history_window_spans_twelve_months_to_the_as_of_date():
    assert pf.history_window(dt.date(2024, 3, 15)) == (dt.date(2023, 4, 1), dt.date(2024, 3, 15))


def test_md_escape_keeps_headers_from_being_read_as_markdown():
    assert pf.md_escape("*Net* [MRR]($)") == "\\*Net\\* \\[MRR\\]\\(\\$\\)"


# ------------------------------------------------------------------------------------------ the Telco export

TELCO_CARD = {
    "name": "METRICS.md example", "bands": {"red_below": 50, "green_from": 75},
    "measures": [
        {"column": "tenure", "weight": 30, "method": "linear", "worst": 0, "best": 72},
        {"column": "MonthlyCharges", "weight": 10, "method": "linear", "worst": 120, "best": 20},
        {"column": "Contract", "weight": 60, "method": "points",
         "points": {"Month-to-month": 0, "One year": 60, "Two year": 100}},
    ],
}


@pytest.fixture(scope="module")
def telco(shared_data):
    """The Telco export through the real pipeline (load_file -> combine -> Store -> measure_frame), scored."""
    path = shared_data / "telco_churn" / "Telco-Customer-Churn.csv"
    lf = load_file(path.name, path.read_bytes())
    tables, _ = combine([lf])
    store = Store(memory_limit="512MB")
    try:
        store.load(tables)
        frame = pf.measure_frame(store.con, set(store.tables), store.frame("accounts"), AS_OF)
    finally:
        store.close()
    scored = pf.score_portfolio(frame, health.scorecard_from_dict(TELCO_CARD), pf.resolver(lf.mapping))
    return pd.read_csv(path), frame, scored


def _independent(raw: pd.DataFrame) -> pd.DataFrame:
    """The score worked from the raw CSV with plain numpy: no blanks in these columns, so no renormalising."""
    tenure = 100 * np.clip(raw["tenure"].to_numpy(float) / 72, 0, 1)
    charges = 100 * np.clip((raw["MonthlyCharges"].to_numpy(float) - 120) / (20 - 120), 0, 1)
    contract = raw["Contract"].map({"Month-to-month": 0, "One year": 60, "Two year": 100}).to_numpy(float)
    score = (30 * tenure + 10 * charges + 60 * contract) / 100
    band = np.where(score < 50, "red", np.where(score >= 75, "green", "yellow"))
    return pd.DataFrame({"score": score, "band": band, "churned": raw["Churn"].eq("Yes").to_numpy()},
                        index=raw["customerID"].astype(str))


def _brute_force_auc(score: np.ndarray, churned: np.ndarray) -> float:
    """Every (retained, churned) pair: 1 when the retained account scores higher, 1/2 when equal (to 1e-9)."""
    diff = score[~churned][:, None] - score[churned][None, :]
    wins = (diff > 1e-9).sum() + 0.5 * (np.abs(diff) <= 1e-9).sum()
    return float(wins / diff.size)


def test_telco_scores_every_account_through_the_resolved_source_headers(telco):
    """MonthlyCharges and Contract are source headers: the resolver finds revenue and plan, so all 7,043 accounts
    are scored on all three measures (a failed lookup would leave them blank and change every score)."""
    raw, _frame, scored = telco
    expected = _independent(raw)
    assert len(scored) == 7043 and scored["health_score"].notna().all()
    assert (scored["measures_used"] == 3).all()
    got = scored["health_score"].reindex(expected.index)
    assert np.allclose(got.to_numpy(), expected["score"].to_numpy(), atol=1e-9)
    assert scored["health_score"].mean() == pytest.approx(expected["score"].mean(), abs=1e-9)
    assert scored["health_band"].value_counts().to_dict() == expected["band"].value_counts().to_dict()


def test_telco_auc_equals_a_brute_force_count_over_every_pair(telco):
    """1,869 churned x 5,174 retained accounts, each pair compared directly."""
    raw, frame, scored = telco
    expected = _independent(raw)
    bt = pf.backtest(scored, frame, AS_OF)
    assert (bt.n, bt.n_churned) == (7043, 1869)
    assert bt.auc == pytest.approx(_brute_force_auc(expected["score"].to_numpy(), expected["churned"].to_numpy()),
                                   abs=1e-12)


def test_backtest_frame_scores_accounts_as_they_were_before_the_outcome():
    """Cutoff = as_of - 90 days. A1 churned before the cutoff (left out), A2 churned after it (outcome
    True), A3 is still active (False), A4 started after the cutoff (not scorable then, left out).
    A2's usage counts only up to the cutoff: 2 events on 2026-07-20, not the 9 after it."""
    import datetime as dt

    from cs_logic.read.store import Store

    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4"],
        "start_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01", "2026-09-01"]),
        "end_date": pd.to_datetime(["2026-06-01", "2026-09-15", None, None]),
        "churned": pd.array([True, True, False, False], dtype="boolean"),
    })
    usage = pd.DataFrame({"account_id": ["A2", "A2", "A3"], "events": [2.0, 9.0, 5.0],
                          "date": pd.to_datetime(["2026-07-20", "2026-09-01", "2026-07-25"])})
    store = Store(memory_limit="64MB")
    store.load({"accounts": accounts, "usage": usage})
    frame, cutoff = pf.backtest_frame(store.con, set(store.tables), accounts, dt.date(2026, 10, 31))
    store.close()
    assert cutoff == dt.date(2026, 8, 2)
    assert sorted(frame.index) == ["A2", "A3"]
    assert frame.loc["A2", "churned"] and not frame.loc["A3", "churned"]
    assert frame.loc["A2", "usage_events_30d"] == 2.0 and "end_date" not in frame.columns


def test_backtest_frame_needs_end_dates():
    accounts = pd.DataFrame({"account_id": ["A"], "churned": pd.array([True], dtype="boolean")})
    assert pf.backtest_frame(None, set(), accounts, __import__("datetime").date(2024, 1, 1)) is None

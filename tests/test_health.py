"""Tests for the health score: scorecard files, points, scores, bands, backtests, suggestions and charts."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.charts import health as charts
from cs_logic.scoring import backtest as bt
from cs_logic.scoring import health as h
from cs_logic.scoring import scorecard_edit as se

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TELCO = DATA / "telco_churn" / "Telco-Customer-Churn.csv"

METRICS_EXAMPLE = """
{
  "name": "Default",
  "bands": {"red_below": 50, "green_from": 75},
  "measures": [
    {"column": "tenure", "weight": 30, "method": "linear", "worst": 0, "best": 72},
    {"column": "MonthlyCharges", "weight": 10, "method": "linear", "worst": 120, "best": 20},
    {"column": "Contract", "weight": 60, "method": "points",
     "points": {"Month-to-month": 0, "One year": 60, "Two year": 100}},
    {"column": "nps_latest", "weight": 20, "method": "percentile", "higher_is_better": true,
     "missing_points": null}
  ]
}
"""


def pct(column: str, weight: float, missing_points: float | None = None) -> h.Measure:
    return h.Measure(column, weight, "percentile", missing_points=missing_points)


def card(*measures: h.Measure, red: float = 50, green: float = 75) -> h.Scorecard:
    return h.Scorecard("test", h.Bands(red, green), tuple(measures))


# ---------------------------------------------------------------- scoring methods

def test_linear_points_clip_to_0_and_100():
    """worst 0, best 72: -5 -> 0, 0 -> 0, 18 -> 100*18/72 = 25, 72 -> 100, 100 -> 100, blank -> NaN."""
    m = h.Measure("tenure", 1, "linear", worst=0, best=72)
    got = h.measure_points(pd.Series([-5, 0, 18, 72, 100, None]), m).tolist()
    assert got[:5] == [0.0, 0.0, 25.0, 100.0, 100.0] and math.isnan(got[5])


def test_linear_points_when_lower_is_better():
    """worst 120, best 20: 70 -> 100*(70-120)/(20-120) = 50; 20 -> 100; 130 -> 0; 45 -> 75."""
    m = h.Measure("MonthlyCharges", 1, "linear", worst=120, best=20)
    assert h.measure_points(pd.Series([70.0, 20.0, 130.0, 45.0]), m).tolist() == [50.0, 100.0, 0.0, 75.0]


def test_points_table_matches_exactly_then_ignoring_case_and_spaces():
    """'One year' -> 60 exactly; ' two  YEAR ' -> 'two year' -> 100; 'Weekly' unknown -> blank; None -> blank."""
    m = h.Measure("Contract", 1, "points", points=(("Month-to-month", 0), ("One year", 60), ("Two year", 100)))
    values = pd.Series(["One year", " two  YEAR ", "Weekly", None])
    got = h.measure_points(values, m).tolist()
    assert got[:2] == [60.0, 100.0] and math.isnan(got[2]) and math.isnan(got[3])
    assert h.unmatched_categories(values, m) == ["Weekly"]


def test_missing_points_fill_blanks_and_unknown_categories():
    """missing_points 20: 'Weekly' (unknown) and None both get 20."""
    m = h.Measure("Contract", 1, "points", points=(("One year", 60),), missing_points=20)
    assert h.measure_points(pd.Series(["One year", "Weekly", None]), m).tolist() == [60.0, 20.0, 20.0]


def test_percentile_uses_average_rank_for_ties():
    """[10, 20, 20, 40, blank]: n = 4, ranks 1, 2.5, 2.5, 4 -> 25, 62.5, 62.5, 100, NaN."""
    got = h.measure_points(pd.Series([10, 20, 20, 40, None]), pct("x", 1)).tolist()
    assert got[:4] == [25.0, 62.5, 62.5, 100.0] and math.isnan(got[4])


def test_percentile_reversed_when_lower_is_better():
    """100*(n - rank + 1)/n with n = 4: ranks 1, 2.5, 2.5, 4 -> 100, 62.5, 62.5, 25."""
    m = h.Measure("x", 1, "percentile", higher_is_better=False)
    assert h.measure_points(pd.Series([10, 20, 20, 40]), m).tolist() == [100.0, 62.5, 62.5, 25.0]


def test_points_matrix_names_columns_and_resolves_headers():
    """Scorecard column 'Tenure' is found as 'tenure' through resolve; 36/72 -> 50; an absent column is all blank."""
    sc = card(h.Measure("Tenure", 1, "linear", worst=0, best=72), pct("nps_latest", 1))
    frame = pd.DataFrame({"tenure": [36, 72]}, index=["a", "b"])
    pts = h.points_matrix(frame, sc, resolve=str.lower)
    assert list(pts.columns) == ["points_Tenure", "points_nps_latest"]
    assert pts["points_Tenure"].tolist() == [50.0, 100.0] and pts["points_nps_latest"].isna().all()
    assert h.missing_columns(frame, sc, resolve=str.lower) == ["nps_latest"]


# ---------------------------------------------------------------- scores and bands

@pytest.mark.parametrize(
    "score, band",
    [(0.0, "red"), (49.99, "red"), (50.0, "yellow"), (74.99, "yellow"), (75.0, "green"), (100.0, "green")],
)
def test_band_edges(score, band):
    """red when score < 50, green when score >= 75: 50 exactly is yellow, 75 exactly is green."""
    out = h.health_scores(pd.DataFrame({"points_a": [score]}), card(pct("a", 1)))
    assert out["health_band"].iloc[0] == band


def test_missing_measure_is_left_out_and_weights_renormalised():
    """Weights 30/70, second blank: score = 30*80/30 = 80 (the first measure's points), 1 of 2 measures used."""
    out = h.health_scores(pd.DataFrame({"points_a": [80.0], "points_b": [np.nan]}), card(pct("a", 30), pct("b", 70)))
    assert out["health_score"].iloc[0] == 80.0
    assert out["measures_used"].iloc[0] == 1 and out["coverage"].iloc[0] == 0.5


def test_both_measures_present_give_weighted_mean():
    """Weights 30/70, points 80 and 40: (30*80 + 70*40)/100 = (2400 + 2800)/100 = 52 -> yellow."""
    out = h.health_scores(pd.DataFrame({"points_a": [80.0], "points_b": [40.0]}), card(pct("a", 30), pct("b", 70)))
    assert out["health_score"].iloc[0] == pytest.approx(52.0) and out["health_band"].iloc[0] == "yellow"


def test_missing_points_are_used_when_set():
    """b blank but missing_points 0: points_matrix gives b 0 -> (30*80 + 70*0)/100 = 24 -> red."""
    sc = card(h.Measure("a", 30, "linear", worst=0, best=100), h.Measure("b", 70, "linear", worst=0, best=100, missing_points=0))
    out = h.health_scores(h.points_matrix(pd.DataFrame({"a": [80.0], "b": [np.nan]}), sc), sc)
    assert out["health_score"].iloc[0] == pytest.approx(24.0) and out["health_band"].iloc[0] == "red"


def test_all_weights_zero_give_no_score_and_a_reason():
    """Weights 0/0: nothing to average -> score NaN, band None, coverage NaN, reason says so."""
    out = h.health_scores(pd.DataFrame({"points_a": [80.0], "points_b": [40.0]}), card(pct("a", 0), pct("b", 0)))
    assert math.isnan(out["health_score"].iloc[0]) and out["health_band"].iloc[0] is None
    assert math.isnan(out["coverage"].iloc[0])
    assert "weight 0" in out.attrs["reason"]


def test_weight_zero_measure_is_not_counted_as_used():
    """a weight 1 (points 60), b weight 0 (points 10): score 60, measures_used 1, coverage 1/1."""
    out = h.health_scores(pd.DataFrame({"points_a": [60.0], "points_b": [10.0]}), card(pct("a", 1), pct("b", 0)))
    assert out[["health_score", "measures_used", "coverage"]].iloc[0].tolist() == [60.0, 1, 1.0]
    assert out.attrs["reason"] is None


def test_account_with_no_measure_present_has_no_score():
    """Both blank: no weights present -> NaN score, band None, 0 measures used."""
    out = h.health_scores(pd.DataFrame({"points_a": [np.nan]}), card(pct("a", 1)))
    assert math.isnan(out["health_score"].iloc[0]) and out["health_band"].iloc[0] is None
    assert out["measures_used"].iloc[0] == 0


def test_single_measure_score_equals_its_points():
    """One measure, weight 5: score = 5*33/5 = 33 for each account."""
    out = h.health_scores(pd.DataFrame({"points_a": [33.0, 90.0]}), card(pct("a", 5)))
    assert out["health_score"].tolist() == [33.0, 90.0] and out["health_band"].tolist() == ["red", "green"]


def test_contributions_sum_to_the_score():
    """Weights 30/10/60, points 50/100/blank: present weights 40 -> contributions 30*50/40 = 37.5 and
    10*100/40 = 25, total 62.5 = the score; weight % 75 and 25."""
    sc = card(pct("a", 30), pct("b", 10), pct("c", 60))
    row = pd.Series({"points_a": 50.0, "points_b": 100.0, "points_c": np.nan})
    contrib = h.contributions(row, sc, raw={"a": 7, "b": 3})
    assert contrib["contribution"].tolist()[:2] == [37.5, 25.0] and math.isnan(contrib["contribution"].iloc[2])
    assert contrib["weight_pct"].tolist()[:2] == [75.0, 25.0]
    score = h.health_scores(row.to_frame().T, sc)["health_score"].iloc[0]
    assert contrib["contribution"].sum() == pytest.approx(score) == 62.5
    assert contrib["value"].tolist() == [7, 3, None]


def test_rescore_from_raw_and_prepared_points_agree_on_100000_accounts():
    """A weight change rescored on 100,000 x 10 points (10% blank) gives the renormalised weighted mean,
    from the raw matrix and from cached PreparedPoints alike (its speed is measured in bench/)."""
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 100, (100_000, 10))
    points[rng.random(points.shape) < 0.1] = np.nan
    weights = rng.uniform(0, 10, 10)
    prepared = h.prepare_points(points)
    raw, result = h.rescore(points, weights, 50, 75), h.rescore(prepared, weights, 50, 75)
    assert np.allclose(raw.score, result.score, equal_nan=True)
    row = points[0]
    keep = ~np.isnan(row)
    assert result.score[0] == pytest.approx((row[keep] * weights[keep]).sum() / weights[keep].sum())


# ---------------------------------------------------------------- backtest

def test_auc_with_ties_worked_by_hand():
    """Retained [3, 2, 2], churned [2, 1]: 6 pairs. 3 beats both (2); each retained 2 ties the churned 2 (0.5)
    and beats 1 (1) -> 1.5 each, 3 for both. Wins 5 of 6 -> AUC 5/6."""
    scores = [3, 2, 2, 2, 1, np.nan]
    churned = [False, False, False, True, True, True]  # the unscored account is left out
    assert bt.auc(scores, churned) == pytest.approx(5 / 6)


@pytest.mark.parametrize("churned", [[False, False], [True, True]])
def test_auc_is_none_when_one_class_is_empty(churned):
    """No churned (or no retained) accounts: no pairs to compare -> None."""
    assert bt.auc([10.0, 20.0], churned) is None


def test_churn_by_band_with_wilson_interval():
    """red: 2 accounts, 1 churned -> p 0.5, Wilson with z 1.96: centre (0.5 + 1.96^2/4)/(1 + 1.96^2/2) = 0.5,
    half 1.96*sqrt(0.25/2 + 1.96^2/16)/2.9208 = 0.4055 -> [0.0945, 0.9055]. green: 1 of 1 retained."""
    df = pd.DataFrame({"health_band": ["red", "red", "green", None]})
    out = bt.churn_by_band(df, pd.Series([True, False, False, True]))
    assert out["band"].tolist() == ["red", "yellow", "green"]
    assert out["accounts"].tolist() == [2, 0, 1] and out["churned"].tolist() == [1, 0, 0]
    assert out.loc[0, "churn_share"] == 0.5
    assert out.loc[0, "ci_low"] == pytest.approx(0.0945, abs=1e-3) and out.loc[0, "ci_high"] == pytest.approx(0.9055, abs=1e-3)
    assert math.isnan(out.loc[1, "churn_share"])
    # green: 0 of 1 churned -> p 0: [0, 3.8416/4.8416 = 0.7935]; yellow has no accounts, so no interval.
    assert out.loc[2, "ci_low"] == 0.0 and out.loc[2, "ci_high"] == pytest.approx(0.7935, abs=1e-4)
    assert math.isnan(out.loc[1, "ci_low"]) and math.isnan(out.loc[1, "ci_high"])


def test_lift_by_decile_puts_lowest_scores_in_decile_1():
    """Scores 1..20, the two lowest churned: overall share 2/20 = 0.1; decile 1 = scores 1-2 -> share 1, lift 10."""
    out = bt.lift_by_decile(list(range(1, 21)), [True, True] + [False] * 18)
    assert out["accounts"].tolist() == [2] * 10
    assert out.loc[0, "churn_share"] == 1.0 and out.loc[0, "lift"] == pytest.approx(10.0)
    assert out["churned"].sum() == 2


@pytest.mark.parametrize("n", [1, 7, 25, 10_000])
def test_auc_and_lift_match_pandas_ranks_with_ties(n):
    """The one-sort ranks agree with pandas' ``rank`` (an independent computation): the AUC from average ranks
    (scores at one decimal, so many ties) equals the Mann-Whitney U over pandas' ranks, and the deciles from
    ranks "first" (ties in file order) hold the same accounts and churn as a pandas group-by."""
    rng = np.random.default_rng(n)
    scores = np.round(rng.uniform(0, 10, n), 1)
    churned = rng.random(n) < 0.3
    if n > 1:
        churned[:2] = [True, False]  # both classes, so there is an AUC
    if n > 1:
        ranks = pd.Series(scores).rank(method="average").to_numpy()
        keep = int((~churned).sum())
        expected = (ranks[~churned].sum() - keep * (keep + 1) / 2) / (keep * int(churned.sum()))
        assert bt.auc(scores, churned) == expected
    decile = np.ceil(10 * pd.Series(scores).rank(method="first").to_numpy() / n).astype(int)
    by = pd.DataFrame({"decile": decile, "churned": churned.astype(int)}).groupby("decile")["churned"]
    out = bt.lift_by_decile(scores, churned)
    assert out["decile"].tolist() == by.size().index.tolist()
    assert out["accounts"].tolist() == by.size().tolist() and out["churned"].tolist() == by.sum().tolist()


def test_band_migration_counts():
    """Before red, red, yellow, green, None; after yellow, red, yellow, red, green:
    red->yellow 1, red->red 1, yellow->yellow 1, green->red 1; the unbanded account is left out."""
    before = pd.DataFrame({"health_score": [10, 20, 60, 90, np.nan], "health_band": ["red", "red", "yellow", "green", None]},
                          index=list("abcde"))
    after = pd.DataFrame({"health_score": [55, 30, 65, 40, 80], "health_band": ["yellow", "red", "yellow", "red", "green"]},
                         index=list("abcde"))
    m = bt.band_migration(before, after)
    assert m.to_numpy().tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    moved = bt.moved_accounts(before, after, "account_id")
    # d dropped 50, a rose 45; e had no score before (change unknown) so it comes last
    assert moved["account_id"].tolist() == ["d", "a", "e"]
    assert moved.loc[0, "change"] == -50


# ---------------------------------------------------------------- scorecard file

def test_metrics_example_file_round_trips():
    """The METRICS.md example loads, saves to the same JSON, and reloads to an equal, hashable scorecard."""
    sc = h.load_scorecard(METRICS_EXAMPLE)
    assert [m.weight for m in sc.measures] == [30, 10, 60, 20]
    assert sc.measures[2].points == (("Month-to-month", 0), ("One year", 60), ("Two year", 100))
    assert json.loads(h.dump_scorecard(sc)) == json.loads(METRICS_EXAMPLE)
    assert h.load_scorecard(h.dump_scorecard(sc)) == sc
    assert hash(sc) == hash(h.load_scorecard(h.dump_scorecard(sc)))


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d["measures"][0].update(wieght=3), "Unknown setting 'wieght'"),
        (lambda d: d.update(colour="blue"), "Unknown setting 'colour'"),
        (lambda d: d["bands"].update(amber_from=60), "Unknown setting 'amber_from'"),
        (lambda d: d["measures"][0].update(weight=-5), "weights must be 0 or more"),
        (lambda d: d["bands"].update(red_below=80), "'red_below' must not be above 'green_from'"),
        (lambda d: d["measures"][1].update(method="log"), "choose linear, points or percentile"),
        (lambda d: d["measures"][0].pop("best"), "needs both a 'worst' and a 'best'"),
        (lambda d: d["measures"].append(dict(d["measures"][0])), "appears twice"),
    ],
)
def test_bad_scorecard_file_raises_a_readable_error(change, words):
    """Each broken setting gives a ValueError whose message names the problem."""
    data = json.loads(METRICS_EXAMPLE)
    change(data)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        h.load_scorecard(json.dumps(data))


def test_file_that_is_not_json_raises_value_error():
    """Broken JSON is reported as such, with the line."""
    with pytest.raises(ValueError, match="not valid JSON"):
        h.load_scorecard('{"name": "x",')


# ---------------------------------------------------------------- suggestions

def test_suggest_weights_recovers_a_planted_signal():
    """Churn depends on A's points only (logit 2 - 0.06*A): A gets nearly all the weight, B about 0;
    C's points go with MORE churn (planted), so C gets 0 and a direction note."""
    rng = np.random.default_rng(7)
    n = 4000
    a, b = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
    churned = rng.random(n) < 1 / (1 + np.exp(-(2 - 0.06 * a)))
    c = np.clip(100 * churned + rng.normal(0, 40, n), 0, 100)
    a[:100] = np.nan  # a few blanks are filled with the mean and noted
    points = pd.DataFrame({"points_A": a, "points_B": b, "points_C": c})
    sc = card(pct("A", 1), pct("B", 1), pct("C", 1))
    sug = bt.suggest_weights(points, pd.Series(churned), sc, seed=0)
    weights = dict(sug.weights)
    assert weights["A"] > 85 and weights["B"] < 10 and weights["C"] == 0
    assert sum(weights.values()) == pytest.approx(100.0)
    assert any("C: points work against churn; check the measure's direction" in note for note in sug.notes)
    assert any("blanks filled" in note for note in sug.notes)
    assert sug.auc_suggested > sug.auc_current and sug.n == n
    assert sc.measures[0].weight == 1  # nothing applied silently


def test_suggest_weights_keeps_current_weights_when_churn_is_all_one_value():
    """Nobody churned: no model can be fitted, the current weights come back with a note, AUCs are None."""
    points = pd.DataFrame({"points_A": [10.0, 50.0, 90.0], "points_B": [20.0, 30.0, 40.0]})
    sc = card(pct("A", 30), pct("B", 70))
    sug = bt.suggest_weights(points, pd.Series([False, False, False]), sc)
    assert dict(sug.weights) == {"A": 30, "B": 70} and sug.auc_current is None and sug.auc_suggested is None
    assert any("no weights can be suggested" in note for note in sug.notes)


def test_blend_weights_runs_from_current_to_suggested():
    """Current 30/70 (total 100), suggested 100/0: alpha 0 -> 30/70, 1 -> 100/0, 0.5 -> 65/35."""
    cur = card(pct("a", 30), pct("b", 70))
    new = card(pct("a", 100), pct("b", 0))
    assert bt.blend_weights(cur, new, 0.0) == cur
    assert [m.weight for m in bt.blend_weights(cur, new, 1.0).measures] == [100.0, 0.0]
    assert [m.weight for m in bt.blend_weights(cur, new, 0.5).measures] == [65.0, 35.0]
    with pytest.raises(ValueError, match="between 0"):
        bt.blend_weights(cur, new, 1.5)


# ---------------------------------------------------------------- starting scorecard and history

def test_default_scorecard_picks_measures_and_ranges_from_data():
    """tenure 1..10: 10th/90th percentile 1.9 and 9.1 -> linear 1.9 -> 9.1; open_tickets lower is better
    (worst = 90th percentile); plan by churn share: Basic 2/2 churned -> 0, Pro 0/2 -> 100;
    ids, names, dates, the churn flag and free text are never measures."""
    sample = pd.DataFrame({
        "account_id": [str(i) for i in range(10)], "account_name": list("abcdefghij"),
        "tenure": np.arange(1, 11, dtype=float), "open_tickets": np.arange(0, 10, dtype=float),
        "plan": ["Basic", "Basic", "Pro", "Pro", "Mid", "Mid", "Mid", "Mid", "Mid", "Mid"],
        "start_date": pd.date_range("2024-01-01", periods=10), "comment": ["x"] * 10,
        "churned": [True, True, False, False, True, False, True, False, True, False],
    })
    kinds = {"account_id": "id", "account_name": "text", "tenure": "number", "open_tickets": "number",
             "plan": "category", "start_date": "date", "comment": "text", "churned": "bool"}
    sc = se.default_scorecard(kinds, sample)
    assert sc.name == "Starting point (edit me)"
    by_col = {m.column: m for m in sc.measures}
    assert list(by_col) == ["tenure", "open_tickets", "plan"]
    assert (by_col["tenure"].worst, by_col["tenure"].best) == (1.9, 9.1)
    assert (by_col["open_tickets"].worst, by_col["open_tickets"].best) == (8.1, 0.9)
    assert dict(by_col["plan"].points) == {"Basic": 0.0, "Mid": 100 * (1 - 0.5) / 1, "Pro": 100.0}


def test_default_scorecard_without_churn_gives_equal_category_points():
    """No churn column: each plan category gets 50, listed alphabetically."""
    sample = pd.DataFrame({"plan": ["Pro", "Basic", "Pro"]})
    sc = se.default_scorecard({"plan": "category"}, sample)
    assert sc.measures[0].points == (("Basic", 50.0), ("Pro", 50.0))


def test_score_history_scores_each_month_end():
    """measures_at returns tenure 12 in January, 36 in February (linear 0 -> 72): scores 100*12/72 = 16.67 (red)
    then 50 (yellow), dated 2024-01-31 and 2024-02-29."""
    sc = card(h.Measure("tenure", 1, "linear", worst=0, best=72))
    seen: list[dt.date] = []

    def measures_at(as_of: dt.date) -> pd.DataFrame:
        seen.append(as_of)
        return pd.DataFrame({"tenure": [12.0 if as_of.month == 1 else 36.0]}, index=pd.Index(["A1"], name="account_id"))

    out = h.score_history(measures_at, sc, dt.date(2024, 1, 1), dt.date(2024, 2, 29))
    assert seen == [dt.date(2024, 1, 31), dt.date(2024, 2, 29)]
    assert out["health_score"].tolist() == pytest.approx([100 * 12 / 72, 50.0])
    assert out["health_band"].tolist() == ["red", "yellow"] and out["account_id"].tolist() == ["A1", "A1"]


# ---------------------------------------------------------------- charts

def test_band_chart_uses_fixed_colours_and_counts():
    """2 red, 1 green, 0 yellow -> three bars with the house colours."""
    spec = charts.band_distribution_chart(pd.DataFrame({"health_band": ["red", "red", "green"]})).to_dict()
    assert spec["encoding"]["color"]["scale"]["range"] == ["#d62728", "#ffbf00", "#2ca02c"]
    rows = next(iter(spec["datasets"].values()))
    assert [r["accounts"] for r in rows] == [2, 0, 1] and "tooltip" in spec["encoding"]


def test_histogram_is_binned_and_capped_at_50_bars():
    """bins=500 is capped at 50 bars; 3 scores are all counted."""
    spec = charts.score_histogram(pd.DataFrame({"health_score": [1.0, 50.0, 100.0]}), bins=500).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 50 and sum(r["accounts"] for r in rows) == 3
    # Pre-binned: bars rise from 0 to the count (without it Vega-Lite drew a flat dash per bin at its count).
    assert spec["encoding"]["x"]["bin"] == "binned" and spec["encoding"]["x2"]["field"] == "score_to"


def test_other_health_charts_build_with_titles_and_tooltips():
    """History, contributions, migration and rep scatter all render to a Vega-Lite spec with a title and tooltips."""
    scores = pd.DataFrame({"health_score": [10.0, 60.0, 80.0], "health_band": ["red", "yellow", "green"],
                           "owner": ["Ann", "Ann", None], "revenue": [100.0, 50.0, 70.0]})
    history = pd.DataFrame({"account_id": ["x", "x"], "month": pd.to_datetime(["2024-01-31", "2024-02-29"]),
                            "health_score": [40.0, 60.0], "health_band": ["red", "yellow"]})
    sc = card(pct("a", 1))
    built = [
        charts.score_history_chart(history, "x"),
        charts.contributions_chart(h.contributions(pd.Series({"points_a": 50.0}), sc, {"a": 3})),
        charts.migration_heatmap(bt.band_migration(scores, scores)),
        charts.rep_portfolio_scatter(scores),
    ]
    for chart in built:
        spec = chart.to_dict()
        assert "tooltip" in json.dumps(spec) and "title" in json.dumps(spec)
    rep_rows = next(iter(built[3].to_dict()["datasets"].values()))
    assert {r["rep"]: r["revenue_at_risk"] for r in rep_rows} == {"Ann": 100.0, "(no rep)": 0.0}


# ---------------------------------------------------------------- real data: IBM Telco churn

@pytest.mark.skipif(not TELCO.exists(), reason="shared test data (../shared/data/telco_churn) is absent")
def test_telco_scores_match_an_independent_row_by_row_computation():
    """tenure (linear 0->72), MonthlyCharges (linear 120->20), Contract (points 0/60/100), weights 30/10/60 on all
    7,043 accounts: mean, band counts and AUC equal a plain-Python loop and a brute-force pairwise AUC."""
    df = pd.read_csv(TELCO)
    sc = h.Scorecard("Telco", h.Bands(), h.load_scorecard(METRICS_EXAMPLE).measures[:3])
    scored = h.health_scores(h.points_matrix(df, sc), sc)
    churned = df["Churn"].eq("Yes")

    contract = {"Month-to-month": 0.0, "One year": 60.0, "Two year": 100.0}
    expected, bands = [], {"red": 0, "yellow": 0, "green": 0}
    for tenure, charges, kind in zip(df["tenure"], df["MonthlyCharges"], df["Contract"]):
        t = 100 * min(max(tenure / 72, 0), 1)
        c = 100 * min(max((charges - 120) / (20 - 120), 0), 1)
        s = (30 * t + 10 * c + 60 * contract[kind]) / 100
        expected.append(s)
        bands["red" if s < 50 else "green" if s >= 75 else "yellow"] += 1
    expected_arr = np.array(expected)

    kept, lost = expected_arr[~churned.to_numpy()], expected_arr[churned.to_numpy()]
    wins = 0.0
    for start in range(0, len(kept), 1000):
        block = kept[start:start + 1000, None]
        diff = block - lost[None, :]
        # equal scores computed in a different order may differ in the last bit: within 1e-9 is a tie
        wins += (diff > 1e-9).sum() + 0.5 * (np.abs(diff) <= 1e-9).sum()
    expected_auc = wins / (len(kept) * len(lost))

    assert len(scored) == 7043 and int(churned.sum()) == 1869
    assert np.allclose(scored["health_score"].to_numpy(), expected_arr)
    assert scored["health_score"].mean() == pytest.approx(float(np.mean(expected_arr)))
    assert scored["health_band"].value_counts().to_dict() == {k: v for k, v in bands.items() if v}
    assert bt.auc(scored["health_score"], churned) == pytest.approx(expected_auc, abs=1e-12)


# ---------------------------------------------------------------- the scoring-method registry

@pytest.mark.parametrize(("measure", "values", "expected", "words"), [
    # linear 0 -> 72: 36 is halfway (50), beyond the ends clip to 0 and 100, a blank stays blank
    (h.Measure("t", 1, "linear", worst=0, best=72), [-5, 36, 90, None], [0.0, 50.0, 100.0, None],
     "linear: 0 → 72 (higher is better)"),
    # linear 90 -> 10 (lower is better): 50 is halfway
    (h.Measure("t", 1, "linear", worst=90, best=10), [50, 10], [50.0, 100.0], "linear: 90 → 10 (lower is better)"),
    # points: exact text, then case and spaces ignored; an unknown category is blank
    (h.Measure("p", 1, "points", points=(("Pro", 100), ("Free", 20))), [" pro", "Free", "Other"], [100.0, 20.0, None],
     "points: Pro 100 · Free 20"),
    # percentile: ranks 1, 2, 3 of n = 3 -> 33.3, 66.7, 100; lower is better: (3 - rank + 1) / 3
    (h.Measure("q", 1, "percentile"), [5, 1, 9], [200 / 3, 100 / 3, 100.0], "percentile (higher is better)"),
    (h.Measure("q", 1, "percentile", higher_is_better=False), [5, 1, 9], [200 / 3, 100.0, 100 / 3],
     "percentile (lower is better)"),
])
def test_each_registered_method_scores_and_describes_its_rule(measure, values, expected, words):
    """Every scoring method is one registry entry: points from values (blank stays blank) and its rule in words."""
    got = h.measure_points(pd.Series(values, dtype=object), measure).tolist()
    assert [None if np.isnan(g) else pytest.approx(g) for g in got] == expected
    assert h.METHOD[measure.method].describe(measure) == words


def test_the_registry_is_the_list_of_methods_the_app_offers():
    """The Scorecard page offers, and a scorecard file may name, exactly the registered methods."""
    assert h.METHODS == tuple(h.METHOD) == ("linear", "points", "percentile")
    with pytest.raises(ValueError, match="choose linear, points or percentile"):
        h.Measure("t", 1, "cubic")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"method": "linear", "worst": 0}, "needs both a 'worst' and a 'best'"),
    ({"method": "linear", "worst": 5, "best": 5}, "same worst and best"),
    ({"method": "points"}, "the table is empty"),
])
def test_a_method_checks_the_settings_it_needs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        h.Measure("t", 1, **kwargs)


def test_rescore_with_presence_as_booleans_equals_the_float_presence_products_to_the_bit():
    """PreparedPoints keeps presence as booleans (an eighth of the memory); the scores, bands, measures used and
    coverage of 5,000 accounts x 9 measures (a third blank, weights with no exact binary sum) are bit for bit
    those of the products over float presence, as they were computed before."""
    rng = np.random.default_rng(11)
    arr = np.where(rng.random((5000, 9)) < 0.33, np.nan, rng.random((5000, 9)) * 100)
    w = np.array([0.1, 0.7, 3.3, 0.0, 1 / 3, 2.2, 0.05, 9.9, 0.3])
    prep = h.prepare_points(arr)
    assert prep.present.dtype == bool
    ours = h.rescore(prep, w, 50, 75)
    present = (~np.isnan(arr)).astype(float)
    num, den = np.einsum("ij,j->i", np.where(np.isnan(arr), 0.0, arr), w), np.einsum("ij,j->i", present, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / den, np.nan)
    used = np.einsum("ij,j->i", present, (w > 0).astype(float)).astype(int)
    assert np.array_equal(ours.score, score, equal_nan=True) and np.array_equal(ours.measures_used, used)
    assert np.array_equal(ours.coverage, used / 8)


def test_rep_scatter_from_the_columns_it_reads_equals_the_one_from_every_column():
    """The Success page joins only REP_COLUMNS (owner, revenue) onto the active scores for the rep scatter, not the
    whole measure frame (1M accounts by some 25 columns at size L): the chart's spec is the same."""
    frame = pd.DataFrame({"owner": ["Ann", "Ann", None, "Bo"], "revenue": [100.0, 50.0, 70.0, None],
                          "segment": ["a", "b", "c", "d"], "tenure": [1.0, 2.0, 3.0, 4.0]},
                         index=pd.Index(["A", "B", "C", "D"], name="account_id"))
    active = pd.DataFrame({"health_score": [10.0, 60.0, 80.0], "health_band": ["red", "yellow", "green"]},
                          index=pd.Index(["D", "A", "C"], name="account_id"))
    whole = charts.rep_portfolio_scatter(frame.join(active, how="inner")).to_dict()
    used = charts.rep_portfolio_scatter(frame[list(charts.REP_COLUMNS)].join(active, how="inner")).to_dict()
    assert used == whole

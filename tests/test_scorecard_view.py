"""The Scorecard page's view: tiles over active accounts, changes against a pinned baseline, a blended proposal."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cs_logic.scoring import portfolio as pf
from cs_logic.scoring.backtest import Suggestion
from cs_logic.scoring.health import Bands, Measure, Scorecard
from cs_logic.views import scorecard_view as sv

AS_OF = dt.date(2024, 6, 30)
TENURE = Measure("tenure", 1.0, "linear", worst=0.0, best=10.0)


def _frame() -> pd.DataFrame:
    """Four accounts: tenure 0, 5, 10, 2 -> 0, 50, 100, 20 points; D has churned."""
    return pd.DataFrame({"tenure": [0.0, 5.0, 10.0, 2.0], "revenue": [100.0, 200.0, 300.0, 400.0],
                         "churned": pd.array([False, False, False, True], dtype="boolean")},
                        index=pd.Index(["A", "B", "C", "D"], name="account_id"))


def _scored(sc: Scorecard) -> tuple[pf.ScoredPortfolio, sv.Past]:
    frame = _frame()
    measured = pf.Measured(frame, pf.churn_status(frame, AS_OF), AS_OF)
    port = pf.scored_portfolio(measured, sc)
    result = pf.backtest(port.scored, frame, AS_OF, port.churned)
    return port, sv.Past(pf.BacktestBasis(frame, None, "in sample"), port.points, port.churned, AS_OF, result)


def _tiles(view: sv.WhatIf) -> dict[str, tuple[str, str | None]]:
    return {t.label: (t.shown, t.delta) for t in view.tiles}


def test_tiles_count_active_accounts_only():
    """Bands red < 40: A (0) red, B (50) yellow, C (100) green; D (20) churned, so left out of the tiles.

    Mean health (0 + 50 + 100) / 3 = 50.0; share red 1 / 3 = 33.3%; revenue at risk = A's 100.
    AUC: churned D (20) against retained A (0), B (50), C (100): 2 of 3 pairs ranked right = 0.67.
    """
    port, past = _scored(Scorecard("s", Bands(40, 75), (TENURE,)))
    view = sv.build(port, past, None)
    assert _tiles(view) == {"Mean health": ("50.0", None), "Share red": ("33.3%", None),
                            "Revenue at risk": ("100", None), "AUC": ("0.67", None)}
    assert [t.help for t in view.tiles][:2] == ["Active accounts with a score: 3.", "1 red of 3 active accounts."]
    assert view.tiles[-1].help.endswith("in sample")
    assert [t.lower_is_better for t in view.tiles] == [False, True, True, False]
    assert view.comparison is None and view.migration is None and view.baseline_note is None
    # 4 accounts: the AUC's 95% interval (Hanley-McNeil) spans 0.5, so the score is flagged (issue 14.6).
    assert len(view.warnings) == 1 and view.warnings[0].startswith("This score does not predict churn")


def test_a_pinned_baseline_gives_each_tile_its_change_and_lists_who_moved():
    """Baseline bands red < 60: A and B red (at risk 100 + 200 = 300, 2 of 3 active red), AUC pinned at 0.5.
    Now red < 40: B moves red -> yellow. Changes: mean +0.0, share red 33.3 - 66.7 = -33.3 pts,
    revenue at risk 100 - 300 = -200, AUC 0.667 - 0.5 = +0.167."""
    before, past_before = _scored(Scorecard("base", Bands(60, 75), (TENURE,)))
    baseline = sv.build(before, past_before, None).pinned
    baseline = sv.Baseline(baseline.scored, baseline.scorecard, 0.5)
    port, past = _scored(Scorecard("s", Bands(40, 75), (TENURE,)))
    view = sv.build(port, past, baseline)
    assert _tiles(view) == {"Mean health": ("50.0", "+0.0"), "Share red": ("33.3%", "-33.3 pts"),
                            "Revenue at risk": ("100", "-200"), "AUC": ("0.67", "+0.167")}
    assert view.comparison.moved["account_id"].tolist() == ["B"]
    assert int(view.comparison.matrix.loc["red", "yellow"]) == 1
    assert view.baseline_note == ("Baseline: base. Active accounts only, as the tiles. Rows: band in the baseline; "
                                  "columns: band now.")
    assert view.migration is not None


def test_pinning_keeps_the_scores_the_scorecard_and_the_auc():
    port, past = _scored(Scorecard("s", Bands(40, 75), (TENURE,)))
    pinned = sv.build(port, past, None).pinned
    assert pinned.scored["health_score"].tolist() == [0.0, 50.0, 100.0, 20.0]
    assert pinned.scored["health_band"].tolist() == ["red", "yellow", "green", "red"]
    assert pinned.scorecard == port.scorecard and pinned.auc == pytest.approx(2 / 3)


def test_a_measure_the_data_lacks_and_a_scorecard_that_scores_nothing_are_warnings():
    port, past = _scored(Scorecard("s", Bands(), (TENURE, Measure("seats", 1.0, "percentile"))))
    assert sv.build(port, past, None).warnings[0] == "Not in the loaded data, so scored as blank: seats"
    port, past = _scored(Scorecard("s", Bands(), (Measure("tenure", 0.0, "linear", worst=0.0, best=10.0),)))
    warnings = sv.build(port, past, None).warnings
    assert len(warnings) == 1 and "weight" in warnings[0]
    assert _tiles(sv.build(port, past, None))["Mean health"] == ("–", None)  # unknown, not 0


def test_the_weight_table_gives_each_measure_its_share():
    """Weights 1 and 3 -> 25% and 75% of the score."""
    sc = Scorecard("s", Bands(), (TENURE, Measure("revenue", 3.0, "percentile")))
    port, past = _scored(sc)
    assert sv.build(port, past, None).weights["weight_pct"].tolist() == [25.0, 75.0]


def test_a_proposal_halfway_blends_the_weights_and_reports_both_aucs():
    """Weights 30/70, suggested 70/30, blend 0.5 -> 50/50. Revenue's percentile points rank D (400) highest,
    so tenure weighs against revenue in the AUC: the proposal's AUC is computed on the same accounts."""
    sc = Scorecard("s", Bands(), (Measure("tenure", 30.0, "linear", worst=0.0, best=10.0),
                                  Measure("revenue", 70.0, "percentile")))
    port, past = _scored(sc)
    fitted = Scorecard("s", Bands(), (Measure("tenure", 70.0, "linear", worst=0.0, best=10.0),
                                      Measure("revenue", 30.0, "percentile")))
    suggestion = Suggestion((("tenure", 70.0), ("revenue", 30.0)), (), 4, 1, None, None, ("a note",), fitted)
    p = sv.proposal(sc, suggestion, 0.5, past.auc, past.result.auc)
    assert [m.weight for m in p.scorecard.measures] == [50.0, 50.0]
    assert p.weights["proposed_pct"].tolist() == [50.0, 50.0]
    blended_auc = pf.backtest(pf.rescore_portfolio(port.points, p.scorecard), _frame(), AS_OF, port.churned).auc
    assert p.summary == (f"AUC with the proposal: {blended_auc:.3f} (now {past.result.auc:.3f}); "
                         "fitted on 4 accounts, 1 churned.")
    assert p.notes == ("a note",)


def test_past_auc_rescores_the_same_points_with_other_weights():
    """Tenure alone: AUC 2/3 (above). Weight on tenure 0, revenue alone: D (400) outranks every retained
    account, so AUC 0."""
    sc = Scorecard("s", Bands(), (TENURE, Measure("revenue", 1.0, "percentile")))
    _, past = _scored(sc)
    only_tenure = Scorecard("s", Bands(), (TENURE, Measure("revenue", 0.0, "percentile")))
    only_revenue = Scorecard("s", Bands(), (Measure("tenure", 0.0, "linear", worst=0.0, best=10.0),
                                            Measure("revenue", 1.0, "percentile")))
    assert past.auc(only_tenure) == pytest.approx(2 / 3)
    assert past.auc(only_revenue) == 0.0


@pytest.mark.parametrize(("changes", "weight", "problem"), [
    ({"best": 20.0}, 5.0, False),
    ({"best": 0.0}, 5.0, True),  # worst = best: no rule, so only the weight is taken
])
def test_an_edit_that_breaks_a_rule_keeps_the_weight_and_says_why(changes, weight, problem):
    m, why = sv.edited_measure(TENURE, weight, changes)
    assert m.weight == weight
    assert (why is not None) == problem
    assert m.best == (10.0 if problem else 20.0)


def test_bands_out_of_order_keep_the_scorecard_and_say_why():
    sc = Scorecard("s", Bands(), (TENURE,))
    assert sv.edited(sc, "  New ", (30.0, 70.0), (TENURE,)) == (Scorecard("New", Bands(30, 70), (TENURE,)), None)
    kept, why = sv.edited(sc, "x", (80.0, 20.0), (TENURE,))
    assert kept is sc and "red_below" in why


def test_a_scorecard_file_reads_back_or_names_itself_in_the_error():
    from cs_logic.scoring.health import dump_scorecard

    sc = Scorecard("s", Bands(40, 75), (TENURE,))
    assert sv.read_scorecard(("\ufeff" + dump_scorecard(sc)).encode(), "s.json") == (sc, None)
    loaded, why = sv.read_scorecard(b"\xff\xfe", "bad.json")
    assert loaded is None and why.startswith("bad.json: ")


def test_columns_to_add_leave_out_the_scored_ones_and_numbers_start_linear():
    frame = pd.DataFrame(columns=["MRR", "seats", "plan", "owner", "signed"])
    kinds = {"MRR": "number", "seats": "number", "plan": "category", "signed": "date"}
    sc = Scorecard("s", Bands(), (Measure("Monthly", 1.0, "percentile"),))
    assert sv.addable(frame, kinds, sc, {"Monthly": "MRR"}.get) == ["seats", "plan"]
    assert [sv.default_method(kinds, c) for c in ("seats", "plan", None)] == ["linear", "points", "points"]
    assert sv.without(Scorecard("s", Bands(), (TENURE,)), "tenure").measures == ()


def test_the_band_chart_counts_the_active_accounts_bands_as_the_whole_scored_frame_gives():
    """The what-if's band chart is built from the band column of the active accounts only (the page rebuilds it on
    every slider move; the scored frame holds every measure's points): its spec is the one the whole frame gives."""
    from cs_logic.charts import health as charts

    port, past = _scored(Scorecard("s", Bands(40, 75), (TENURE,)))
    whole = charts.band_distribution_chart(pf.active_scores(port.scored, port.frame, AS_OF, port.churned))
    assert sv.build(port, past, None).bands.to_dict() == whole.to_dict()

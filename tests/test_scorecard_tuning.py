"""Scorecard tuning from the data: a new measure's direction and points from churn, suggestions that flip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_logic.scoring import backtest as bt
from cs_logic.scoring import scorecard_edit as se
from cs_logic.scoring.health import Bands, Measure, Scorecard


def test_new_linear_measure_is_lower_is_better_when_churned_accounts_had_more() -> None:
    """tickets 5, 4 (churned) and 1, 0 (retained): churned rank higher (3.5 vs 1.5), so fewer is better.
    Sorted 0, 1, 4, 5: 10th percentile 0 + 0.3 * 1 = 0.3, 90th 4 + 0.7 * 1 = 4.7 -> worst 4.7, best 0.3."""
    frame = pd.DataFrame({"tickets": [5.0, 4.0, 1.0, 0.0]}, index=list("abcd"))
    churned = pd.Series([True, True, False, False], index=list("abcd"))
    m = se.new_measure(frame, "tickets", "linear", churned=churned)
    assert (m.worst, m.best) == (4.7, 0.3)
    assert se.new_measure(frame, "tickets", "percentile", churned=churned).higher_is_better is False


def test_new_linear_measure_is_higher_is_better_when_retained_accounts_had_more() -> None:
    """logins 0, 1 (churned) and 4, 5 (retained): more is better, worst 0.3, best 4.7."""
    frame = pd.DataFrame({"logins": [0.0, 1.0, 4.0, 5.0]})
    m = se.new_measure(frame, "logins", "linear", churned=pd.Series([True, True, False, False]))
    assert (m.worst, m.best) == (0.3, 4.7)


def test_new_measure_falls_back_to_the_known_direction_without_churn() -> None:
    """No churn status: open_tickets is known to be better low, so worst is the 90th percentile (4.7)."""
    m = se.new_measure(pd.DataFrame({"open_tickets": [5.0, 4.0, 1.0, 0.0]}), "open_tickets", "linear")
    assert (m.worst, m.best) == (4.7, 0.3)


def test_new_points_measure_scores_each_category_by_its_churn_share() -> None:
    """Churn share: monthly 2/3, annual 0/2, biennial 1/2. Points = 100 * (max - share) / (max - min), max 2/3,
    min 0: monthly 0, annual 100, biennial 100 * (2/3 - 1/2) / (2/3) = 25."""
    frame = pd.DataFrame({"plan": ["monthly"] * 3 + ["annual"] * 2 + ["biennial"] * 2})
    churned = pd.Series([True, True, False, False, False, True, False])
    m = se.new_measure(frame, "plan", "points", churned=churned)
    assert dict(m.points) == {"monthly": 0.0, "annual": 100.0, "biennial": 25.0}


def test_churn_direction_is_unknown_when_churn_is_one_sided() -> None:
    """Nobody churned: nothing to compare, so no direction (the caller falls back, and says why)."""
    higher, why = se.churn_direction(pd.Series([1.0, 2.0]), pd.Series([False, False]))
    assert higher is None and "no churned and retained" in why


def test_suggestion_turns_a_measure_round_when_its_points_go_with_more_churn() -> None:
    """C's points are churn plus noise (planted backwards): with flip the proposal turns C round and weighs it,
    and the flip is named; without flip (the old behaviour) C gets 0."""
    rng = np.random.default_rng(7)
    n = 3000
    a = rng.uniform(0, 100, n)
    churned = rng.random(n) < 1 / (1 + np.exp(-(2 - 0.06 * a)))
    c = np.clip(100 * churned + rng.normal(0, 40, n), 0, 100)
    points = pd.DataFrame({"points_A": a, "points_C": c})
    sc = Scorecard("s", Bands(), (Measure("A", 1, "percentile"), Measure("C", 1, "linear", worst=0, best=10)))
    sug = bt.suggest_weights(points, pd.Series(churned), sc, seed=0, flip=True)
    assert sug.flips == ("C",)
    proposed = {m.column: m for m in sug.scorecard.measures}
    assert (proposed["C"].worst, proposed["C"].best) == (10, 0) and proposed["C"].weight > 0
    assert dict(bt.suggest_weights(points, pd.Series(churned), sc, seed=0).weights)["C"] == 0
    table = se.weight_table(sc, sug.scorecard).set_index("measure")
    assert table.loc["C", "proposed_rule"] == "turned round: linear: 10 → 0 (lower is better)"
    assert table.loc["A", "proposed_rule"] == "same"
    assert sc.measures[1].worst == 0  # nothing applied silently


@pytest.mark.parametrize(("alpha", "expected"), [
    (0.0, ("higher", 60.0)),   # the current measure as it is
    (0.25, ("higher", 30.0)),  # signed: 0.25 * 60 - 0.75 * 60 = -30 -> still the current way, weight 30
    (0.5, ("higher", 0.0)),    # 30 - 30 = 0
    (1.0, ("lower", 60.0)),    # fully the suggestion: turned round
])
def test_blend_of_a_flipped_measure_blends_signed_weights(alpha: float, expected: tuple[str, float]) -> None:
    """Current A 40 (up), C 60 (up); suggested A 40, C 60 turned round (total 100 both, so no rescaling).
    C's blended weight = alpha * 60 - (1 - alpha) * 60; positive means the suggested (turned) way."""
    cur = Scorecard("s", Bands(), (Measure("A", 40, "percentile"), Measure("C", 60, "percentile")))
    new = Scorecard("s", Bands(), (Measure("A", 40, "percentile"),
                                   Measure("C", 60, "percentile", higher_is_better=False)))
    c = bt.blend_weights(cur, new, alpha).measures[1]
    assert ("higher" if c.higher_is_better else "lower", c.weight) == expected

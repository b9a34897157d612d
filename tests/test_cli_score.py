"""`python -m cs_logic score`: the METRICS.md scorecard on telco_churn, checked by an independent computation."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCORECARD = {
    "name": "Telco", "bands": {"red_below": 50, "green_from": 75},
    "measures": [
        {"column": "tenure", "weight": 30, "method": "linear", "worst": 0, "best": 72},
        {"column": "MonthlyCharges", "weight": 10, "method": "linear", "worst": 120, "best": 20},
        {"column": "Contract", "weight": 60, "method": "points",
         "points": {"Month-to-month": 0, "One year": 60, "Two year": 100}},
    ],
}


def _independent(telco: pd.DataFrame) -> pd.DataFrame:
    """Each measure's points by its formula, the weighted mean, the band edges (every account has all three)."""
    tenure = 100 * np.clip(telco.tenure / 72, 0, 1)
    charges = 100 * np.clip((telco.MonthlyCharges - 120) / (20 - 120), 0, 1)
    contract = telco.Contract.map({"Month-to-month": 0, "One year": 60, "Two year": 100})
    score = (30 * tenure + 10 * charges + 60 * contract) / 100
    band = np.where(score < 50, "red", np.where(score >= 75, "green", "yellow"))
    return pd.DataFrame({"account_id": telco.customerID, "score": score, "band": band,
                         "churned": telco.Churn == "Yes"})


def _brute_auc(scores: np.ndarray, churned: np.ndarray) -> float:
    """P(a retained account scores higher than a churned one), ties 1/2, by comparing every pair."""
    kept, lost = scores[~churned], scores[churned]
    wins = ties = 0.0
    for chunk in np.array_split(kept, 20):
        diff = np.round(chunk[:, None] - lost[None, :], 9)
        wins += (diff > 0).sum()
        ties += (diff == 0).sum()
    return (wins + ties / 2) / (len(kept) * len(lost))


def test_score_command_matches_an_independent_computation(shared_data, tmp_path):
    sc = tmp_path / "scorecard.json"
    sc.write_text(json.dumps(SCORECARD))
    out = tmp_path / "scores.csv"
    path = shared_data / "telco_churn" / "Telco-Customer-Churn.csv"
    run = subprocess.run([sys.executable, "-m", "cs_logic", "score", str(path), "--scorecard", str(sc),
                          "-o", str(out), "--json"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    expected = _independent(pd.read_csv(path))
    assert summary["scored"] == 7043
    assert summary["mean"] == pytest.approx(expected.score.mean(), abs=1e-4)
    assert summary["bands"] == {b: int((expected.band == b).sum()) for b in ("red", "yellow", "green")}
    assert summary["auc"] == pytest.approx(_brute_auc(expected.score.to_numpy(), expected.churned.to_numpy()), abs=1e-6)

    written = pd.read_csv(out, dtype={"account_id": str})
    assert list(written.columns) == ["account_id", "health_score", "health_band", "measures_used",
                                     "points_tenure", "points_MonthlyCharges", "points_Contract"]
    merged = written.merge(expected, on="account_id")
    assert len(merged) == 7043
    assert np.allclose(merged.health_score, merged.score)
    assert (merged.measures_used == 3).all()


def test_score_command_names_the_columns_an_accounts_file_lacks(tmp_path):
    sc = tmp_path / "scorecard.json"
    sc.write_text(json.dumps(SCORECARD))
    run = subprocess.run([sys.executable, "-m", "cs_logic", "score", str(ROOT / "data" / "accounts.csv"),
                          "--scorecard", str(sc), "-o", str(tmp_path / "x.csv")],
                         cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 2
    assert "tenure, MonthlyCharges, Contract" in run.stderr and run.stderr.count("\n") == 1


def test_score_command_refuses_a_broken_scorecard_with_a_sentence(tmp_path):
    sc = tmp_path / "scorecard.json"
    sc.write_text('{"name": "x", "measures": [{"column": "tenure", "weight": -1, "method": "linear"}]}')
    run = subprocess.run([sys.executable, "-m", "cs_logic", "score", str(ROOT / "data" / "accounts.csv"),
                          "--scorecard", str(sc), "-o", str(tmp_path / "x.csv")],
                         cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 2 and "not valid" in run.stderr


def test_score_command_with_an_as_of_date_and_dated_usage(tmp_path):
    """--as-of reaches the checks of the dated files (it crashed with a date column) and the windows: worked by
    hand, A1 has 3 + 4 events in the 30 days to 2025-01-31 (the 2024-12-01 row is older), A2 none; a usage row a
    year and more after the as-of date is reported and left out."""
    (tmp_path / "accounts.csv").write_text("account_id,plan\nA1,Pro\nA2,Basic\n")
    (tmp_path / "usage.csv").write_text("account_id,date,events\nA1,2025-01-02,3\nA1,2025-01-31,4\n"
                                        "A1,2024-12-01,9\nA2,2027-03-01,5\n")
    sc = tmp_path / "scorecard.json"
    sc.write_text(json.dumps({"name": "Usage", "bands": {"red_below": 50, "green_from": 75}, "measures": [
        {"column": "usage_events_30d", "weight": 1, "method": "linear", "worst": 0, "best": 10}]}))
    out = tmp_path / "scores.csv"
    run = subprocess.run([sys.executable, "-m", "cs_logic", "score", str(tmp_path / "accounts.csv"),
                          str(tmp_path / "usage.csv"), "--scorecard", str(sc), "--as-of", "2025-01-31",
                          "-o", str(out), "--json"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr
    scores = pd.read_csv(out).set_index("account_id")
    assert scores.loc["A1", "health_score"] == pytest.approx(70.0)  # 7 events of 10
    assert scores.loc["A2", "health_score"] == pytest.approx(0.0)
    assert json.loads(run.stdout)["bands"] == {"red": 1, "yellow": 1, "green": 0}
    import datetime as dt

    from cs_logic.read.workspace import load_file

    usage = load_file("usage.csv", (tmp_path / "usage.csv").read_bytes(), as_of=dt.date(2025, 1, 31))
    late = [p for p in usage.problems if "more than a year after 2025-01-31" in p.message]
    assert [(p.row, p.value) for p in late] == [(5, "2027-03-01")]

"""Charts where a dot is a person or an account name the dot (issue 17 item 3)."""

from __future__ import annotations

import pandas as pd

from cs_logic.charts import health as charts
from cs_logic.charts.points import LABELLED_POINTS


def _text_layer(spec: dict) -> dict:
    return next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")


def test_rep_scatter_names_every_rep_when_few() -> None:
    """Two reps (Ann, Bo): the text layer writes each rep's name at (accounts, mean health)."""
    scores = pd.DataFrame({"health_score": [10.0, 60.0, 80.0], "health_band": ["red", "yellow", "green"],
                           "owner": ["Ann", "Ann", "Bo"], "revenue": [100.0, 50.0, 70.0]})
    spec = charts.rep_portfolio_scatter(scores).to_dict()
    text = _text_layer(spec)
    assert text["encoding"]["text"]["field"] == "rep"
    assert text["encoding"]["x"]["field"] == "accounts" and text["encoding"]["y"]["field"] == "mean_health"
    assert sorted(text["transform"][0]["filter"]["oneOf"]) == ["Ann", "Bo"]
    assert spec["title"] == "Portfolio health by rep"


def test_rep_scatter_names_only_the_top_reps_by_revenue_at_risk_when_many() -> None:
    """20 reps, rep k has one red account worth k: only reps 6..20 (the 15 largest at risk) are named."""
    n = 20
    scores = pd.DataFrame({"health_score": [10.0] * n, "health_band": ["red"] * n,
                           "owner": [f"Rep {k}" for k in range(1, n + 1)], "revenue": [float(k) for k in range(1, n + 1)]})
    named = _text_layer(charts.rep_portfolio_scatter(scores).to_dict())["transform"][0]["filter"]["oneOf"]
    assert sorted(named) == sorted(f"Rep {k}" for k in range(6, n + 1))
    assert len(named) == LABELLED_POINTS == 15

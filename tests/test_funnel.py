"""Tests for cs_logic.metrics.funnel: stage order, reach, conversion, win probability, forecast, per-owner views."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.charts.funnel import forecast_chart, funnel_chart, owner_conversion_chart
from cs_logic.core.stats import wilson_interval
from cs_logic.metrics import funnel
from cs_logic.read.validate import unmatched_values

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "maven_crm_sales_opportunities"
ORDER = ["Lead", "Demo", "Proposal", "Won"]


def six_deals(**extra: list[object]) -> pd.DataFrame:
    """Six deals: 3 open (Lead 100, Demo 200, Proposal blank), 2 won (300 B, 500 A), 1 lost."""
    return pd.DataFrame(
        {
            "deal_id": ["d1", "d2", "d3", "d4", "d5", "d6"],
            "owner": ["Ann", "Ann", "Bob", "Bob", "Ann", "Ann"],
            "product": ["A", "A", "B", "B", "A", "A"],
            "stage": ["Lead", "Demo", "Proposal", "Won", "Won", "Lost"],
            "amount": [100.0, 200.0, np.nan, 300.0, 500.0, 0.0],
            "created_date": pd.to_datetime(["2024-03-01", "2024-02-01", "2024-01-15", "2024-01-01", "2024-01-01", "2024-01-01"]),
            "close_date": pd.to_datetime([None, None, None, "2024-01-11", "2024-01-31", "2024-01-05"]),
            **extra,
        }
    )


def test_funnel_table_counts_reach_and_step_conversion_by_hand():
    """Reached: Lead all 6; Demo = d2, d3, d4, d5 (the lost deal counts at the first stage only) = 4;
    Proposal = d3, d4, d5 = 3; Won = 2. Step: 4/6, 3/4, 2/3. Overall at Won: 2/6."""
    table = funnel.funnel_table(six_deals(), ORDER)
    assert table["reached"].tolist() == [6, 4, 3, 2]
    assert table["step_conversion"].iloc[1:].tolist() == pytest.approx([4 / 6, 3 / 4, 2 / 3])
    assert math.isnan(table["step_conversion"].iloc[0])
    assert table["overall_conversion"].tolist() == pytest.approx([1, 4 / 6, 3 / 6, 2 / 6])
    assert table["at_stage_now"].tolist() == [1, 1, 1, 2]


def test_funnel_table_gives_median_days_to_close_for_won_and_age_for_open_with_as_of():
    """Won: 10 and 30 days -> median 20. Open at Lead: created 2024-03-01, as of 2024-03-11 -> 10 days."""
    table = funnel.funnel_table(six_deals(), ORDER, as_of=pd.Timestamp("2024-03-11"))
    assert table["median_days"].tolist() == pytest.approx([10, 39, 56, 20])
    closing = funnel.days_to_close(six_deals(), ORDER).set_index("outcome")
    assert closing.loc["won", "median_days"] == 20 and closing.loc["lost", "median_days"] == 4


def test_lost_deal_counts_up_to_its_recorded_last_stage():
    """With lost_at_stage = Proposal the lost deal reaches Lead, Demo, Proposal: 6, 5, 4, 2."""
    deals = six_deals(lost_at_stage=[None, None, None, None, None, "Proposal"])
    assert funnel.funnel_table(deals, ORDER)["reached"].tolist() == [6, 5, 4, 2]


def test_win_rate_is_won_over_closed_deals():
    """2 won, 1 lost, 3 open -> 2/3 (open deals are not in the denominator)."""
    summary = funnel.summary_deals(six_deals())
    assert summary == {"count": 6, "won": 2, "lost": 1, "open": 3, "win_rate": pytest.approx(2 / 3),
                       "weighted_forecast": pytest.approx(100 * 2 / 3 + 200 + 300)}
    assert list(summary) == ["count", "won", "lost", "open", "win_rate", "weighted_forecast"]


def test_win_probability_by_stage_uses_closed_deals_that_reached_it():
    """Closed deals reaching Lead: d4, d5 won, d6 lost -> 2/3; reaching Demo or later: d4, d5 -> 1."""
    probs = funnel.win_probability_by_stage(six_deals(), ORDER)
    assert probs["p_won"].tolist() == pytest.approx([2 / 3, 1, 1, 1])
    assert probs["closed_reached"].tolist() == [3, 2, 2, 2]


def test_weighted_forecast_values_blank_amount_at_product_median_won_amount():
    """d1 100 x 2/3 + d2 200 x 1 + d3 (blank; product B median won 300) x 1 = 566.67."""
    result = funnel.weighted_forecast(six_deals(), ORDER)
    assert result.total == pytest.approx(100 * 2 / 3 + 200 + 300)
    assert (result.n_open, result.n_without_amount, result.n_imputed, result.n_skipped) == (3, 1, 1, 0)
    assert "upper bound" in result.method


def test_weighted_forecast_skips_and_counts_deals_with_no_amount_and_no_product_median():
    """d3 moved to product C (never won): left out -> 66.67 + 200."""
    deals = six_deals()
    deals.loc[2, "product"] = "C"
    result = funnel.weighted_forecast(deals, ORDER)
    assert result.total == pytest.approx(100 * 2 / 3 + 200)
    assert (result.n_without_amount, result.n_imputed, result.n_skipped) == (1, 0, 1)


def test_weighted_forecast_uses_last_stage_probabilities_when_recorded():
    """Lost deal recorded at Proposal: every stage has 2 won of 3 closed -> (100 + 200 + 300) x 2/3 = 400."""
    deals = six_deals(lost_at_stage=[None, None, None, None, None, "Proposal"])
    assert funnel.weighted_forecast(deals, ORDER).total == pytest.approx(400)


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        (["Won", "Engaging", "Lost", "Prospecting", "Prospecting"], ["Prospecting", "Engaging", "Won"]),
        (["Closed Won", "Closed Lost", "Negotiation", "Qualification", "Proposal"],
         ["Qualification", "Proposal", "Negotiation", "Closed Won"]),
        (["Ganho", "Perdido", "Proposta", "Prospecção"], ["Prospecção", "Proposta", "Ganho"]),
        (["Gagné", "Perdu", "Démo"], ["Démo", "Gagné"]),
        (["Gewonnen", "Verloren", "Angebot", "Lead"], ["Lead", "Angebot", "Gewonnen"]),
        (["выиграна", "проиграна", "Ф1", "Ф1", "Ф2"], ["Ф1", "Ф2", "выиграна"]),
        (["برنده", "از دست رفته", "مرحله ۲", "مرحله ۱", "مرحله ۱"], ["مرحله ۱", "مرحله ۲", "برنده"]),
    ],
)
def test_stage_order_puts_open_stages_in_sequence_won_last_and_drops_lost(stages, expected):
    assert funnel.stage_order(pd.DataFrame({"stage": stages})) == expected


def test_stage_order_orders_unknown_open_stages_by_newest_median_created_date_first():
    """Alpha deals were created earliest, so they have moved furthest: Gamma, Beta, Alpha, Won."""
    deals = pd.DataFrame({"stage": ["Alpha", "Beta", "Gamma", "Won"],
                          "created_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2023-12-01"])})
    assert funnel.stage_order(deals) == ["Gamma", "Beta", "Alpha", "Won"]


def test_manager_order_decides_won_stage_and_unknown_stages_are_left_out():
    """'Booked' is last in the manager's order, so it is the won stage; 'Parked' is in no list."""
    deals = pd.DataFrame({"stage": ["Intro", "Booked", "Lost", "Parked"]})
    assert funnel.outcome_counts(deals, ["Intro", "Booked"]) == {"won": 1, "lost": 1, "open": 1, "unknown": 1}
    assert funnel.outcome_counts(deals, ["Intro", "Booked"], lost=["Parked"])["lost"] == 1


def test_by_dim_gives_outcomes_win_rate_interval_and_forecast_per_owner():
    """Ann: d1, d2 open, d5 won, d6 lost -> 1/2; pipeline 300; forecast 66.67 + 200. Bob: d3 open, d4 won."""
    table = funnel.by_dim(six_deals(), "owner", ORDER).set_index("owner")
    ann, bob = table.loc["Ann"], table.loc["Bob"]
    assert (ann["deals"], ann["won"], ann["lost"], ann["open"]) == (4, 1, 1, 2)
    assert ann["win_rate"] == 0.5
    assert (ann["win_rate_low"], ann["win_rate_high"]) == pytest.approx(wilson_interval(1, 2))
    assert ann["pipeline_value"] == 300 and ann["weighted_forecast"] == pytest.approx(100 * 2 / 3 + 200)
    assert bob["win_rate"] == 1 and bob["weighted_forecast"] == pytest.approx(300)


def test_by_dim_refuses_a_missing_column_with_a_message():
    with pytest.raises(ValueError, match="segment"):
        funnel.by_dim(six_deals(), "segment", ORDER)


def test_functions_degrade_when_optional_columns_are_absent():
    deals = pd.DataFrame({"stage": ["Lead", "Won", "Lost"]})
    assert funnel.weighted_forecast(deals, ["Lead", "Won"]).n_skipped == 1
    assert funnel.funnel_table(deals, ["Lead", "Won"])["median_days"].isna().all()
    assert funnel.summary_deals(pd.DataFrame({"x": [1]}))["count"] == 1


def test_unmatched_values_suggests_the_reference_value_equal_without_spaces_and_case():
    deals = pd.DataFrame({"product": ["GTXPro", "GTXPro", "gtx basic", "MG Special", "Zzz", None]})
    found = unmatched_values(deals, "product", pd.Series(["GTX Pro", "GTX Basic", "MG Special"]))
    assert found.to_dict("records") == [
        {"value": "GTXPro", "rows": 2, "suggestion": "GTX Pro"},
        {"value": "gtx basic", "rows": 1, "suggestion": "GTX Basic"},
        {"value": "Zzz", "rows": 1, "suggestion": None},
    ]


def test_owner_outcomes_gives_churn_share_of_accounts_each_owner_sold():
    """Ann won x (churned) and y (not): 1/2, mean score (40 + 80)/2 = 60. Bob won z, not in accounts."""
    deals = pd.DataFrame({"owner": ["Ann", "Ann", "Ann", "Bob"], "account_id": ["x", "y", "x", "z"],
                          "stage": ["Won", "Won", "Won", "Won"]})
    accounts = pd.DataFrame({"account_id": ["x", "y"], "churned": pd.array([True, False], dtype="boolean")})
    table = funnel.owner_outcomes(deals, accounts, pd.Series([40.0, 80.0], index=["x", "y"]))
    assert table.to_dict("records")[0] | {"churn_low": 0, "churn_high": 0} == {
        "owner": "Ann", "accounts_sold": 2, "churned": 1, "churn_share": 0.5, "churn_low": 0, "churn_high": 0,
        "mean_health_score": 60.0}
    assert len(table) == 1


def test_funnel_charts_carry_stage_order_and_step_conversion_tooltip():
    deals = six_deals()
    spec = funnel_chart(funnel.funnel_table(deals, ORDER)).to_dict()
    assert spec["encoding"]["y"]["sort"] == ORDER
    assert "step_conversion" in [t["field"] for t in spec["encoding"]["tooltip"]]
    owners = owner_conversion_chart(funnel.by_dim(deals, "owner", ORDER)).to_dict()
    assert owners["encoding"]["x"]["field"] == "win_rate"
    stages = forecast_chart(funnel.forecast_by_stage(deals, ORDER), ORDER).to_dict()
    values = next(iter(stages["datasets"].values()))
    assert [v["weighted_forecast"] for v in values] == pytest.approx([100 * 2 / 3, 200, 300])


@pytest.fixture(scope="module")
def maven() -> pd.DataFrame:
    path = DATA / "sales_pipeline.csv"
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}")
    deals = pd.read_csv(path).rename(columns={
        "opportunity_id": "deal_id", "sales_agent": "owner", "account": "account_id", "deal_stage": "stage",
        "engage_date": "created_date", "close_value": "amount"})
    for col in ("created_date", "close_date"):
        deals[col] = pd.to_datetime(deals[col])
    return deals


def test_maven_pipeline_summary_matches_the_source_figures(maven):
    """SOURCE.txt: Won 4238, Lost 2473, Engaging 1589 + Prospecting 500 open; win rate 63.15%."""
    summary = funnel.summary_deals(maven)
    assert list(summary) == ["count", "won", "lost", "open", "win_rate", "weighted_forecast"]
    assert (summary["count"], summary["won"], summary["lost"], summary["open"]) == (8800, 4238, 2473, 2089)
    assert round(summary["win_rate"], 4) == 0.6315
    assert funnel.stage_order(maven) == ["Prospecting", "Engaging", "Won"]
    assert funnel.funnel_table(maven, ["Prospecting", "Engaging", "Won"])["reached"].tolist() == [8800, 4238 + 1589, 4238]


def test_maven_weighted_forecast_equals_an_independent_computation(maven):
    """Open deals have no close_value, so each is valued at its product's median won amount; P(won) is
    won/closed at Prospecting and 1 at Engaging (no lost deal records a later stage)."""
    won = maven[maven["stage"] == "Won"]
    median = won.groupby("product")["amount"].median()
    p = {"Prospecting": len(won) / (maven["stage"].isin(["Won", "Lost"])).sum(), "Engaging": 1.0}
    open_ = maven[maven["stage"].isin(list(p))]
    expected = (open_["product"].map(median) * open_["stage"].map(p)).sum()
    result = funnel.weighted_forecast(maven, funnel.stage_order(maven))
    assert result.total == pytest.approx(expected)
    assert (result.n_open, result.n_without_amount, result.n_imputed) == (2089, 2089, 2089)


def test_maven_products_report_gtxpro_against_products_csv(maven):
    products = pd.read_csv(DATA / "products.csv")["product"]
    found = unmatched_values(maven, "product", products)
    assert found.to_dict("records") == [{"value": "GTXPro", "rows": 1480, "suggestion": "GTX Pro"}]


EXPORTS = Path(__file__).resolve().parent / "exports"


@pytest.mark.parametrize("rel, steps", [
    # Salesforce moves a closed deal to a closing stage: 'Closed Lost' says so, and the custom 'Disqualified' (2 deals,
    # both Closed = 1, Won = 0) holds lost deals only, so it is an outcome too, not a step between the open ones.
    ("salesforce/opportunities.csv",
     ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review", "Won"]),
    # Pipedrive keeps a lost deal at the stage it reached ('Deal - Status' says lost): no stage is dropped, and its
    # default pipeline (Lead In, Contact Made, Needs Defined, Proposal Made, Negotiations Started) is read in order.
    ("pipedrive/deals.csv", ["Lead In", "Contact Made", "Needs Defined", "Proposal Made", "Negotiations Started", "Won"]),
])
def test_stage_order_of_real_crm_exports(rel, steps):
    from cs_logic.read.workspace import load_file

    path = EXPORTS / rel
    deals = load_file(path.name, path.read_bytes()).prepared.frame
    assert funnel.stage_order(deals) == steps

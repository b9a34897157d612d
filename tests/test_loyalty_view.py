"""The Loyalty page's views: surveys joined to accounts, NPS per group, and the KPI tiles' numbers."""

import numpy as np
import pandas as pd
import pytest

from cs_logic.core.settings import Settings
from cs_logic.metrics.survival import kaplan_meier
from cs_logic.views import loyalty_view as lv
from cs_logic.views.loyalty_view import (
    churn_tiles,
    csat_tile,
    group_columns,
    median_lifetimes,
    nps_by_group,
    nps_tile,
    recent_accounts,
    revenue_tiles,
    surveys_with_accounts,
)


def test_join_adds_only_the_account_columns_the_surveys_lack_and_keeps_one_row_per_answer():
    """The survey's own segment wins; a duplicated account row must not duplicate answers."""
    surveys = pd.DataFrame({"account_id": ["a", "a", "b", "zz"], "nps": [10, 9, 0, 7],
                            "segment": ["S1", None, "S2", "S3"]}, index=[5, 6, 7, 8])
    accounts = pd.DataFrame({"account_id": ["a", "b", "b"], "segment": ["X", "Y", "Y"],
                             "owner": ["ann", "bob", "bob"], "plan": ["Pro", "Basic", "Basic"]})
    out = surveys_with_accounts(surveys, accounts)
    assert list(out.index) == [5, 6, 7, 8]
    assert out["segment"].fillna("-").tolist() == ["S1", "-", "S2", "S3"]
    assert out["owner"].fillna("-").tolist() == ["ann", "ann", "bob", "-"]
    assert out["plan"].fillna("-").tolist() == ["Pro", "Pro", "Basic", "-"]


def _whole_join(surveys, accounts):
    """The join as it was written before it shared the survey columns: every column joined."""
    wanted = [c for c in ("segment", "owner", "plan") if c in accounts.columns and c not in surveys.columns]
    joined = surveys.join(accounts.drop_duplicates("account_id").set_index("account_id")[wanted], on="account_id")
    joined.index = surveys.index
    return joined


@pytest.mark.parametrize("survey_ids", [object, "str", "category"])
@pytest.mark.parametrize("account_ids", [object, "str", "string[pyarrow]"])
def test_join_equals_a_whole_join_and_shares_the_survey_columns(survey_ids, account_ids):
    """Same frame as joining every column (dtypes included: ids of two types come back as the join types
    them), while the answers' own columns are the caller's, not a copy (2M answers at size L)."""
    surveys = pd.DataFrame({"account_id": pd.Series(["a", "a", None, "b", "zz"], dtype=survey_ids),
                            "nps": [10.0, 9.0, 1.0, 0.0, 7.0], "comment": ["x", None, "y", "z", "w"]},
                           index=[5, 6, 6, 7, 8])
    accounts = pd.DataFrame({"account_id": pd.Series(["a", "b", "b", None], dtype=account_ids),
                             "segment": pd.Series(["X", "Y", "Y", "N"], dtype=account_ids),
                             "owner": ["ann", "bob", "bob", "n"], "plan": pd.Categorical(["Pro", "B", "B", "P"])})
    out = surveys_with_accounts(surveys, accounts)
    pd.testing.assert_frame_equal(out, _whole_join(surveys, accounts))
    assert np.shares_memory(out["nps"].to_numpy(), surveys["nps"].to_numpy())


@pytest.mark.parametrize("accounts", [None, pd.DataFrame({"segment": ["X"]})])
def test_join_returns_the_surveys_unchanged_when_there_is_nothing_to_join_on(accounts):
    surveys = pd.DataFrame({"account_id": ["a"], "nps": [10]})
    assert surveys_with_accounts(surveys, accounts) is surveys


def test_group_columns_skip_columns_without_any_value():
    df = pd.DataFrame({"segment": [None, None], "owner": ["x", None], "plan": ["Pro", "Pro"]})
    assert group_columns(df) == ["owner", "plan"]


def test_nps_by_group_marks_a_group_that_differs_from_the_rest():
    """Rep x: 20 promoters, 20 detractors -> NPS 0, se = sqrt(1/40) = 15.8 pts.
    The rest of x (y and z): 70 promoters, 10 detractors -> NPS 75, se = sqrt((1 - .5625)/80) = 7.4;
    |0 - 75| / sqrt(15.8^2 + 7.4^2) = 4.3 > 1.96: x differs.
    y (NPS 75, se = sqrt(.4375/40) = 10.5) against x + z (55 promoters, 25 detractors: NPS 37.5,
    se = sqrt((.6875 + .3125 - .140625)/80) = 10.4): 37.5 / sqrt(10.5^2 + 10.4^2) = 2.5 > 1.96; z likewise.
    """
    s = pd.DataFrame({"owner": ["x"] * 40 + ["y"] * 40 + ["z"] * 40,
                      "nps": [10, 0] * 20 + [10] * 35 + [0] * 5 + [10] * 35 + [0] * 5})
    table = nps_by_group(s, "owner").set_index("owner")
    assert table.loc["x", "nps"] == 0.0
    assert table.loc["y", "nps"] == 75.0
    assert table["differs_from_rest"].to_dict() == {"x": True, "y": True, "z": True}


def test_nps_by_group_does_not_mark_groups_that_agree():
    """Two reps with the same mix of answers (NPS 25 each) do not differ."""
    s = pd.DataFrame({"owner": ["x"] * 8 + ["y"] * 8, "nps": [10, 10, 10, 7, 7, 0, 0, 9] * 2})
    assert nps_by_group(s, "owner")["differs_from_rest"].tolist() == [False, False]


def test_nps_tile_reports_n_the_invalid_answers_and_the_interval():
    """10, 9, 7, 3 valid (NPS 25, n 4), "N/A" and blank invalid; under 30 answers is flagged."""
    tile = nps_tile(pd.DataFrame({"nps": [10, 9, 7, 3, "N/A", None]}))
    assert (tile.kpi, tile.value, tile.shown) == ("nps", 25.0, "+25.0")
    assert tile.detail.startswith("n = 4 valid answers (2 blank or invalid left out); 95% interval")
    assert "fewer than 30" in tile.detail


def test_csat_tile_is_the_top_two_box_share():
    """5, 4, 4, 2 -> 3 of 4 answers are 4-5 -> CSAT 75%, mean rating 3.75."""
    tile = csat_tile(pd.DataFrame({"csat": [5, 4, 4, 2]}))
    assert (tile.value, tile.shown) == (75.0, "75.0%")
    assert "mean rating 3.75" in tile.detail


def _accounts() -> pd.DataFrame:
    """Four accounts. Active on 1 Sep 2024: a, b, c (d joins 10 Sep). b leaves 15 Sep, d leaves 20 Sep.
    September: churned 1 (b) of 3 at the start -> 33.3%; d joined and left, so it is not in the rate.
    Q3 2024 (a, b, c active on 1 Jul): churned 1 of 3 -> 33.3%; customer retention = (active at the end
    2 (a, c) - new 1 (d)) / 3 at the start = 33.3%.
    """
    return pd.DataFrame({
        "account_id": ["a", "b", "c", "d"],
        "start_date": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-03-05", "2024-09-10"]),
        "end_date": pd.to_datetime([None, "2024-09-15", None, "2024-09-20"]),
    })


def test_churn_tiles_use_the_last_complete_month_and_quarter():
    tiles = churn_tiles(_accounts(), "2024-10-10")
    assert [(t.kpi, t.label, t.shown) for t in tiles] == [
        ("churn", "Logo churn rate · Sep 2024", "33.3%"),
        (None, "Logo churn rate · 2024 Q3", "33.3%"),
        ("retention", "Customer retention rate · 2024 Q3", "33.3%"),
    ]
    assert tiles[0].detail == "1 churned of 3 active at the start"


def test_churn_tiles_count_a_month_ending_on_the_as_of_date_as_complete():
    """As of 30 Sep 2024 September is complete; 1 Sep would leave August (nobody left: 0%)."""
    assert churn_tiles(_accounts(), "2024-09-30")[0].label == "Logo churn rate · Sep 2024"
    assert churn_tiles(_accounts(), "2024-09-01")[0].shown == "0.0%"


def test_a_churn_flag_without_dates_gives_the_share_of_accounts_churned_without_a_target():
    flags = pd.DataFrame({"churned": pd.array([True, False, None, False], dtype="boolean")})
    [tile] = churn_tiles(flags, "2024-01-01")
    assert (tile.kpi, tile.label, tile.shown, tile.detail) == (None, "Share of accounts churned", "33.3%",
                                                               "1 of 3 accounts")


def test_no_churn_tiles_without_dates_or_flag():
    assert churn_tiles(pd.DataFrame({"account_id": ["a"]}), "2024-01-01") == []


def test_revenue_tiles_cover_the_last_complete_quarter():
    """a (100) keeps paying, b (100) leaves 1 May 2024 and c (50) expands to 80 in Q2.
    Q2 2024 (as of 15 Jul): start 250; churned 100; expansion 30 -> GRR 150/250 = 60%, NRR 180/250 = 72%.
    """
    subs = pd.DataFrame({"account_id": ["a", "b", "c", "c"],
                         "start_date": pd.to_datetime(["2023-01-01"] * 3 + ["2024-05-01"]),
                         "end_date": pd.to_datetime([None, "2024-05-01", None, None]),
                         "mrr": [100.0, 100.0, 50.0, 30.0]})
    grr, nrr = revenue_tiles(subs, "2024-07-15")
    assert (grr.label, grr.shown, nrr.shown) == ("Gross revenue retention · 2024 Q2", "60.0%", "72.0%")
    assert revenue_tiles(subs.drop(columns="mrr"), "2024-07-15") == []


def test_recent_accounts_keep_whole_calendar_months():
    """12 months up to 15 Jun 2024 start on 1 Jul 2023."""
    a = pd.DataFrame({"start_date": pd.to_datetime(["2023-06-30", "2023-07-01", "2024-06-15"])})
    assert recent_accounts(a, "2024-06-15", 12)["start_date"].dt.day.tolist() == [1, 15]


def test_median_lifetime_is_blank_where_the_curve_stays_above_half():
    """g1: lifetimes 1, 2, 2(c), 3, 4(c) -> S = 0.8, 0.6, 0.3: median 3; g2: 1 churn of 4 -> not reached."""
    curves = pd.concat([kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0]).assign(group="g1"),
                        kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0]).assign(group="g2")])
    table = median_lifetimes(curves)
    assert table["median_months"].tolist()[0] == 3.0
    assert pd.isna(table["median_months"].tolist()[1])
    assert table[["accounts", "churned"]].values.tolist() == [[5, 3], [4, 1]]


# ------------------------------------------------------------------ the page's records (lv.build)

AS_OF_JUNE = "2024-06-30"


def _four_accounts() -> pd.DataFrame:
    """Four accounts since January 2023; D ends on 10 June 2024."""
    return pd.DataFrame({"account_id": list("ABCD"), "owner": ["x", "x", "y", "y"],
                         "start_date": pd.to_datetime(["2023-01-01"] * 4),
                         "end_date": pd.to_datetime([None, None, None, "2024-06-10"])})


def test_the_view_compares_each_tile_with_its_target_and_colours_churn_inverse():
    """NPS of 10, 9, 7, 3: (2 promoters - 1 detractor) / 4 = +25.0, target 20 -> +5.0 pts.
    June 2024: 1 of 4 active at its start churned = 25.0%, target 20% -> +5.0 pts, and lower is better.
    Q2 2024: retention (3 at the end - 0 new) / 4 = 75.0%, no target -> no delta, no row."""
    settings = Settings().with_target("nps", 20).with_target("churn", 20)
    nps = lv.nps_part(pd.DataFrame({"nps": [10, 9, 7, 3]}), None)
    kept = lv.retention_part(_four_accounts(), None, None, AS_OF_JUNE)
    view = lv.build(nps, kept, settings)
    assert [(s.tile.label, s.tile.shown, s.delta, s.delta_color) for s in view.nps_tiles] == [
        ("NPS", "+25.0", "+5.0 pts vs target +20.0", "normal")]
    shown = {s.tile.label: (s.tile.shown, s.delta, s.delta_color) for s in view.retention_tiles}
    assert shown["Logo churn rate · Jun 2024"] == ("25.0%", "+5.0 pts vs target 20.0%", "inverse")
    assert shown["Customer retention rate · 2024 Q2"] == ("75.0%", None, "normal")
    assert [(r["KPI"], r["gap"]) for r in view.comparisons] == [("NPS", "+5.0 pts"),
                                                                ("Logo churn rate per month", "+5.0 pts")]


def test_the_retention_caption_names_each_formula_once_and_the_target_periods():
    kept = lv.retention_part(_four_accounts(), None, None, AS_OF_JUNE)
    assert kept.caption == ("Logo churn rate = churned in the period / active at its start; Customer retention rate = "
                            "(accounts at end − new accounts) / accounts at start. Churn target: monthly; retention "
                            "target: quarterly.")
    assert kept.revenue is False and kept.cohorts and kept.survival and kept.groups == ("owner",)


def test_without_surveys_or_accounts_the_sections_are_absent_not_empty():
    assert lv.nps_part(None, None) is None
    assert lv.nps_part(pd.DataFrame({"csat": [5, 4]}), None) is None
    assert lv.retention_part(None, None, None, AS_OF_JUNE) is None
    view = lv.build(None, None, Settings())
    assert view.nps is None and view.retention is None and view.comparisons == ()


def test_a_tenure_without_start_dates_allows_survival_but_not_cohorts():
    kept = lv.retention_part(pd.DataFrame({"account_id": ["a", "b"], "tenure": [3, 12],
                                           "churned": [True, False]}), None, None, AS_OF_JUNE)
    assert (kept.cohorts, kept.survival) == (False, True)
    assert [t.shown for t in kept.tiles] == ["50.0%"]  # 1 of 2 accounts churned, no rate per period


def test_repeat_purchase_tiles_from_orders():
    """a ordered on 1 and 11 March (10 days apart), b once: 1 of 2 customers repeat = 50.0%, median gap 10."""
    orders = pd.DataFrame({"account_id": ["a", "a", "b"],
                           "date": pd.to_datetime(["2024-03-01", "2024-03-11", "2024-04-01"])})
    kept = lv.retention_part(pd.DataFrame({"account_id": ["a", "b"]}), None, orders, AS_OF_JUNE)
    assert [(t.label, t.shown) for t in kept.repeat] == [
        ("Repeat purchase rate", "50.0%"), ("Customers who ordered", "2"), ("Median days between orders", "10")]
    assert kept.repeat_note == "1 of 2 customers ordered more than once."

"""Tests for cs_logic.views.overview: headline KPIs worked by hand, risks, themes, methodology and the demo report."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from cs_logic.core.settings import Settings
from cs_logic.output.exports import to_csv_bytes, to_xlsx_bytes
from cs_logic.read.workspace import combine, load_file
from cs_logic.scoring.health import Bands, Measure, Scorecard
from cs_logic.views import kpi
from cs_logic.views import overview as ov

ROOT = Path(__file__).resolve().parents[1]
DEMO = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")
XSS = "<script>alert(1)</script>"
AS_OF = dt.date(2024, 5, 15)  # 2024 Q2 to date; the quarter before is 2024 Q1
D = pd.to_datetime


def by_name(kpis: list[kpi.Kpi]) -> dict[str, kpi.Kpi]:
    return {k.name: k for k in kpis}


def test_nps_is_50_this_quarter_against_0_last_quarter_with_the_gap_to_target():
    """Q2 to date: 10, 10, 7, 7 -> 2 promoters, 0 detractors of 4 -> NPS 50. Q1: 10, 0 -> (1 - 1) / 2 = 0.
    Delta 50 - 0 = +50; target 40 -> gap +10 (better). The 0 on 1 June is after the as-of date: left out."""
    surveys = pd.DataFrame({"date": D(["2024-04-02", "2024-04-20", "2024-05-01", "2024-05-15", "2024-01-10",
                                       "2024-03-31", "2024-06-01"]),
                            "nps": [10, 10, 7, 7, 10, 0, 0]})
    k = ov.headline({"surveys": surveys}, AS_OF, Settings().with_target("nps", 40))[0]
    assert (k.name, k.value, k.n, k.previous, k.delta, k.target, k.gap) == ("NPS", 50.0, 4, 0.0, 50.0, 40.0, 10.0)
    assert (k.period, k.previous_period, k.lower_is_better) == ("2024 Q2 to date", "2024 Q1", False)
    assert kpi.change_text(k) == "+50.0 pts vs 2024 Q1"
    assert kpi.delta_color(k) == "normal"
    assert kpi.target_text(k) == "target +40.0: 10.0 pts better"


def test_blank_and_invalid_nps_answers_are_not_counted_as_zero():
    """Q2: 10, blank, "N/A", 11 -> one valid answer, a promoter -> NPS 100 with n = 1 (not 25 with n = 4)."""
    surveys = pd.DataFrame({"date": D(["2024-04-02"] * 4), "nps": [10, None, "N/A", 11]})
    k = ov.headline({"surveys": surveys}, AS_OF, Settings())[0]
    assert (k.value, k.n, k.previous, k.delta) == (100.0, 1, None, None)
    assert kpi.change_text(k) is None


def test_monthly_logo_churn_rises_from_25_to_33_percent_and_is_coloured_as_lower_is_better():
    """Four accounts start 1 Jan. One ends 10 Feb: Feb churn = 1 / 4 active at its start = 25%. One ends 5 Mar:
    Mar churn = 1 / 3 = 33.3%. Delta +8.3 pts is bad news, so the colour is inverse; target 30 -> 3.3 pts worse.
    Retention per quarter: Q1 started with 0 accounts active, so there is no complete quarter to show."""
    accounts = pd.DataFrame({"account_id": list("ABCD"), "start_date": D(["2024-01-01"] * 4),
                             "end_date": D(["2024-02-10", "2024-03-05", None, None])})
    kpis = by_name(ov.headline({"accounts": accounts}, dt.date(2024, 3, 31), Settings().with_target("churn", 30),
                               scores=pd.DataFrame({"health_score": []}, index=pd.Index([], name="account_id"))))
    churn = kpis["Logo churn"]
    assert churn.value == pytest.approx(100 / 3) and churn.previous == 25.0 and churn.n == 3
    assert churn.delta == pytest.approx(100 / 3 - 25) and churn.lower_is_better
    assert (churn.period, churn.previous_period) == ("Mar 2024", "Feb 2024")
    assert kpi.delta_color(churn) == "inverse"
    assert kpi.change_text(churn) == "+8.3 pts vs Feb 2024"
    assert kpi.target_text(churn) == "target 30.0%: 3.3 pts worse"
    assert "Customer retention" not in kpis


def test_customer_retention_compares_the_last_two_complete_quarters():
    """10 accounts from 2023-06-01. Q3 2023: one leaves, none join -> (9 - 0) / 10 = 90%. Q4: one joins on
    1 Nov, one leaves -> at end 9, new 1, at start 9 -> (9 - 1) / 9 = 88.9%. As of 2024-01-15 Q1 is partial."""
    ids = [f"A{i}" for i in range(11)]
    accounts = pd.DataFrame({"account_id": ids, "start_date": D(["2023-06-01"] * 10 + ["2023-11-01"]),
                             "end_date": D(["2023-08-01", "2023-12-01"] + [None] * 9)})
    k = by_name(ov.headline({"accounts": accounts}, dt.date(2024, 1, 15), Settings(),
                            scores=pd.DataFrame({"health_score": []})))["Customer retention"]
    assert (k.period, k.previous_period) == ("2023 Q4", "2023 Q3")
    assert k.value == pytest.approx(800 / 9) and k.previous == 90.0 and not k.lower_is_better


def test_median_first_response_falls_from_5_to_3_hours_which_is_good():
    """Q2 tickets answered after 1, 3 and 10 h -> median 3; Q1: 5 h -> delta -2 h, lower is better (inverse)."""
    tickets = pd.DataFrame({"created_at": D(["2024-04-01 08:00", "2024-04-02 09:00", "2024-05-01 10:00", "2024-02-01 11:00"]),
                            "first_response_hours": [1.0, 3.0, 10.0, 5.0]})
    k = by_name(ov.headline({"tickets": tickets}, AS_OF, Settings()))["Median first response"]
    assert (k.value, k.previous, k.delta, k.n, k.unit) == (3.0, 5.0, -2.0, 3, "h")
    assert kpi.change_text(k) == "-2.0 h vs 2024 Q1" and kpi.delta_color(k) == "inverse"


def test_csat_is_top_two_box_of_survey_answers_per_quarter():
    """Q2: 5, 4, 3, 1 -> 2 of 4 are 4-5 -> 50%. Q1: 5 -> 100%. Delta -50 pts."""
    surveys = pd.DataFrame({"date": D(["2024-04-01", "2024-04-02", "2024-04-03", "2024-04-04", "2024-01-05"]),
                            "csat": [5, 4, 3, 1, 5]})
    k = by_name(ov.headline({"surveys": surveys}, AS_OF, Settings().with_target("csat", 80)))["CSAT %"]
    assert (k.value, k.previous, k.delta, k.n, k.gap) == (50.0, 100.0, -50.0, 4, -30.0)
    assert kpi.target_text(k) == "target 80.0%: 30.0 pts worse"


def test_win_rate_counts_deals_closed_in_each_quarter():
    """Closed in Q2: Won, Won, Lost -> 2/3 = 66.7%; in Q1: Lost -> 0%; the open deal counts in neither."""
    deals = pd.DataFrame({"stage": ["Won", "Won", "Lost", "Lost", "Proposal"],
                          "close_date": D(["2024-04-03", "2024-05-02", "2024-04-09", "2024-02-01", None])})
    k = by_name(ov.headline({"deals": deals}, AS_OF, Settings()))["Win rate"]
    assert k.value == pytest.approx(200 / 3) and (k.previous, k.n) == (0.0, 3)


@pytest.fixture()
def portfolio_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A red (10), B red (40), C green (90), D red but churned in January; revenue 100, 900, 5000, 7000."""
    scores = pd.DataFrame({"health_score": [10.0, 40.0, 90.0, 5.0], "health_band": ["red", "red", "green", "red"]},
                          index=pd.Index(list("ABCD"), name="account_id"))
    accounts = pd.DataFrame({"account_id": list("ABCD"), "account_name": ["Alpha", XSS, "Gamma", "Delta"],
                             "owner": ["x", "y", "x", "y"], "revenue": [100.0, 900.0, 5000.0, 7000.0],
                             "end_date": D([None, None, None, "2024-01-20"])})
    return scores, accounts


def test_health_tiles_count_active_red_accounts_and_their_revenue(portfolio_case):
    """Red and still active: A and B -> 2 accounts, revenue at risk 100 + 900 = 1,000 (D churned: lost, not at risk)."""
    scores, accounts = portfolio_case
    kpis = by_name(ov.headline({"accounts": accounts}, AS_OF, Settings(), scores))
    assert kpis["Accounts in the red"].value == 2 and kpis["Revenue at risk"].value == 1000.0
    assert kpis["Revenue at risk"].delta is None and kpis["Revenue at risk"].lower_is_better


def test_top_risks_are_active_red_accounts_largest_revenue_first(portfolio_case):
    scores, accounts = portfolio_case
    risks = ov.top_risks(scores, accounts, AS_OF)
    assert risks["account_id"].tolist() == ["B", "A"]
    assert risks["revenue"].tolist() == [900.0, 100.0]


def test_scores_left_by_another_page_with_an_account_id_column_get_bands():
    """Scores 40 and 80 with the default bands (red < 50, green >= 75) -> red, green."""
    frame = ov.scores_frame(pd.DataFrame({"account_id": ["A", "B"], "health_score": [40.0, 80.0]}))
    assert frame["health_band"].tolist() == ["red", "green"] and frame.index.tolist() == ["A", "B"]


def test_top_themes_are_the_words_detractors_use_and_promoters_do_not():
    """Three detractors write "slow support", three promoters "great product": slow and support are
    mentioned by 100% of detractors and 0% of promoters; promoters' words are not themes (z < 0)."""
    surveys = pd.DataFrame({"nps": [0, 3, 6, 9, 10, 10, None],
                            "comment": ["slow support"] * 3 + ["great product"] * 3 + ["slow support"]})
    themes = ov.top_themes(surveys, n=5)
    assert sorted(themes["term"]) == ["slow", "support"]
    assert themes["detractors_pct"].tolist() == [100.0, 100.0] and themes["promoters_pct"].tolist() == [0.0, 0.0]
    assert themes["mentions"].tolist() == [3, 3]


@pytest.mark.parametrize("value, unit, shown", [
    (23.14, "pts", "+23.1"), (-5.0, "pts", "-5.0"), (7.25, "%", "7.2%"), (4.21, "h", "4.2 h"),
    (1_640_000, "money", "1.64M"), (182_345, "money", "182k"), (950, "money", "950"), (34, "accounts", "34"),
    (None, "%", "–")])
def test_values_are_shown_briefly_for_a_projector(value, unit, shown):
    assert kpi.fmt(value, unit) == shown


def test_no_change_is_shown_without_colour():
    k = kpi.new_kpi("NPS", "pts", (20.0, 40), 20.0, period="2024 Q2", previous_period="2024 Q1")
    assert kpi.delta_color(k) == "off"


def test_methodology_lists_the_mapping_per_file_the_scorecard_and_targets():
    sc = Scorecard("Mine", Bands(40, 70), (Measure("tenure", 1, "linear", worst=0, best=72),))
    m = ov.methodology(Settings().with_target("churn", 2.5),
                       [("crm.csv", "accounts", {"revenue": "MRR"}), ("nps.xlsx", "surveys", {"nps": "Score"})], sc)
    assert m["mapping"] == {"accounts (crm.csv)": {"revenue": "MRR"}, "surveys (nps.xlsx)": {"nps": "Score"}}
    assert m["scorecard"]["name"] == "Mine" and m["scorecard"]["bands"] == {"red_below": 40, "green_from": 70}
    assert m["targets"] == {"churn": 2.5} and m["benchmarks"] == "none entered"


def test_definitions_quote_the_metrics_formulas():
    text = " ".join(ov.DEFINITIONS.values())
    for formula in ("NPS = 100 * (promoters - detractors) / valid answers", "won / (won + lost)",
                    "(accounts at end - new accounts in period) / accounts at start",
                    "Score = sum(weight_i * points_i) / sum(weight_i)"):
        assert formula in text


# ---------------------------------------------------------------- the demo report


@pytest.fixture(scope="module")
def demo() -> tuple[dict[str, pd.DataFrame], list]:
    """The demo tables, with one detractor comment that tries to run a script."""
    files = [load_file(name, (ROOT / "data" / name).read_bytes()) for name in DEMO]
    tables, _ = combine(files)
    surveys = tables["surveys"]
    hostile = surveys.iloc[[0]].assign(date=pd.Timestamp("2026-10-01"), nps=0.0,
                                       comment=f"Slow support {XSS} again")
    tables["surveys"] = pd.concat([hostile, surveys], ignore_index=True)
    return tables, files


@pytest.fixture(scope="module")
def demo_overview(demo) -> ov.Overview:
    tables, files = demo
    return ov.build(tables, dt.date(2026, 10, 31), Settings().with_target("nps", 30),
                    files_mappings=[(f.name, f.table, f.mapping) for f in files])


def test_demo_report_has_the_headline_numbers_and_inline_svg_charts(demo_overview):
    html = demo_overview.html
    for k in demo_overview.kpis:
        assert kpi.sentence(k).split(";")[0].replace("<", "&lt;") in html
    assert html.count("<svg") >= 2
    assert "<h2>Methodology</h2>" in html and "accounts (accounts.csv)" in html


def test_demo_report_runs_no_script_and_escapes_the_comment(demo_overview):
    html = demo_overview.html
    assert "<script" not in html.casefold()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)


def test_demo_report_keeps_persian_and_portuguese_text(demo_overview):
    """Account names such as "شرکت آریا" and "Padaria São João" are in the accounts; the methodology
    and tables carry text through html.escape, which leaves non-ASCII letters as they are."""
    tables_text = demo_overview.html
    names = set(demo_overview.risks.get("account_name", pd.Series(dtype=object)).dropna())
    assert all(n.replace("&", "&amp;") in tables_text for n in names)
    assert "suporte" in " ".join(ov.theme_terms(pd.DataFrame({"nps": [0] * 3 + [10] * 3, "comment": [
        "suporte demorado"] * 3 + ["ótimo"] * 3}))["term"])


def test_demo_nps_tile_matches_pandas_on_the_october_answers(demo_overview):
    """Independent: valid whole answers 0-10 dated 1-31 Oct 2026 in data/surveys.csv (plus the hostile 0)."""
    s = pd.read_csv(ROOT / "data" / "surveys.csv", parse_dates=["date"])
    v = pd.to_numeric(s["nps"], errors="coerce")
    q4 = v[(s["date"] >= "2026-10-01") & (s["date"] <= "2026-10-31") & v.between(0, 10) & (v == v.round())]
    q4 = pd.concat([q4, pd.Series([0.0])])
    expected = 100 * ((q4 >= 9).sum() - (q4 <= 6).sum()) / len(q4)
    nps = by_name(demo_overview.kpis)["NPS"]
    assert nps.value == pytest.approx(expected) and nps.n == len(q4)


def test_exports_neutralise_formulas_and_keep_unicode():
    """A name starting with = gets a leading quote in CSV; Persian text survives CSV and XLSX."""
    table = pd.DataFrame({"account_name": ["=HYPERLINK(\"http://x\")", "شرکت آریا"], "revenue": [1.0, 2.0]})
    text = to_csv_bytes(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "شرکت آریا" in text
    assert to_xlsx_bytes({"risks": table})[:2] == b"PK"

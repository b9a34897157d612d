"""CSAT, CES, comment search across scripts, themes and distinctive terms (log-odds)."""

import math
import re
import unicodedata
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_logic.metrics.feedback import (
    ces,
    csat,
    csat_by,
    distinctive_terms,
    feature_interest,
    index_comments,
    parse_query,
    score_group,
    search_comments,
    themes,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data (real test exports) is absent")


def test_csat_of_5_4_3_1_is_50_with_mean_3_25():
    """Two of four answers are 4-5 -> CSAT 50; mean (5+4+3+1)/4 = 13/4 = 3.25."""
    r = csat([5, 4, 3, 1])
    assert (r.n, r.csat, r.mean_rating) == (4, 50.0, 3.25)


def test_csat_counts_invalid_and_blank_answers_apart():
    """4.5, 6, 0 and 'x' are not whole numbers 1..5 (4 invalid); None and '' are blanks -> n = 1."""
    r = csat([5, 4.5, 6, 0, "x", None, ""])
    assert (r.n, r.invalid, r.blank, r.csat) == (1, 4, 2, 100.0)


def test_csat_of_no_valid_answer_is_none_not_zero():
    """Nothing to compute from gives None (the page says 'no answers'), never 0%."""
    r = csat([None, 9])
    assert r.csat is None and r.mean_rating is None and r.small_sample


def test_ces_mean_and_percent_easy_by_hand():
    """[7, 6, 5, 3, 2, 1]: mean 24/6 = 4.0; 5-7 are three of six -> 50% easy; 8 is invalid."""
    r = ces([7, 6, 5, 3, 2, 1, 8])
    assert (r.n, r.mean, r.pct_easy, r.invalid) == (6, 4.0, 50.0, 1)


def test_csat_by_group_flags_small_samples():
    """Agent a: 40 answers, 30 of them 5 -> 75%, not small; agent b: 2 answers -> flagged."""
    df = pd.DataFrame({"agent": ["a"] * 40 + ["b"] * 2, "csat": [5] * 30 + [1] * 10 + [4, 2]})
    out = csat_by(df, "agent").set_index("agent")
    assert out.loc["a", "csat"] == 75.0 and not out.loc["a", "small_sample"]
    assert out.loc["b", "n"] == 2 and out.loc["b", "small_sample"]


def test_csat_by_month_groups_dates_into_periods():
    """Jan: 5 and 1 -> 50%; Feb: 4 -> 100%; the invalid 7 in February is left out."""
    df = pd.DataFrame({"date": pd.to_datetime(["2024-01-03", "2024-01-30", "2024-02-02", "2024-02-05"]),
                       "csat": [5, 1, 4, 7]})
    out = csat_by(df, "date", freq="M")
    assert out["date"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert out["csat"].tolist() == [50.0, 100.0] and out["n"].tolist() == [2, 1]


def test_score_group_uses_nps_bands_then_csat_bands():
    """NPS 9-10/7-8/0-6; CSAT 1-2 low, 3 neutral, 4-5 high; invalid -> None."""
    assert score_group(pd.DataFrame({"nps": [9, 8, 6, 11, 6.5]})).tolist() == \
        ["promoter", "passive", "detractor", None, None]
    assert score_group(pd.DataFrame({"csat": [1, 2, 3, 4, 5]})).tolist() == ["low", "low", "neutral", "high", "high"]


def _surveys_db(rows):
    con = duckdb.connect()
    frame = pd.DataFrame(rows)
    con.register("incoming", frame)
    con.execute("CREATE TABLE surveys AS SELECT * FROM incoming")
    return con


@pytest.fixture
def surveys():
    return _surveys_db({
        "response_id": ["1", "2", "3", "4", "5"],
        "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-01", "2024-03-02", "2024-03-03"]),
        "nps": [2.0, 10.0, 5.0, 9.0, 0.0],
        "agent": ["Ana", "Ana", "Bo", "Bo", "Bo"],
        "comment": ["Não recebi o produto", "Chegou rápido, <b>ótimo</b>", "کتاب يك روز دیر رسید",
                    "Всё хорошо, дзякуй", "100% late_fee charged, NAO RECEBIDO"],
    })


def test_search_folds_accents_and_case(surveys):
    """'nao' finds 'Não' and 'NAO'; the original text comes back unchanged (HTML and all)."""
    out = search_comments(surveys, "surveys", "nao")
    assert set(out["comment"]) == {"Não recebi o produto", "100% late_fee charged, NAO RECEBIDO"}
    assert search_comments(surveys, "surveys", "OTIMO")["comment"].tolist() == ["Chegou rápido, <b>ótimo</b>"]


def test_search_finds_persian_comment_by_word_written_with_arabic_yeh(surveys):
    """The comment has Persian-spelled کتاب and Arabic-spelled يك; a query typed the other way finds it."""
    assert search_comments(surveys, "surveys", "يك")["response_id"].tolist() == ["3"]
    assert search_comments(surveys, "surveys", "كتاب یک")["response_id"].tolist() == ["3"]


def test_search_keeps_cyrillic_intact(surveys):
    """'всё' and 'ВСЁ' find the Belarusian/Russian comment; 'все' (no diaeresis) is another word."""
    assert search_comments(surveys, "surveys", "ВСЁ")["response_id"].tolist() == ["4"]


def test_search_needs_every_word_and_the_whole_quoted_phrase(surveys):
    """'nao produto' -> only comment 1 has both; '"nao recebi"' matches the phrase at word starts,
    so it finds 'Não recebi' and 'NAO RECEBIDO' but not the words apart."""
    assert search_comments(surveys, "surveys", "nao produto")["response_id"].tolist() == ["1"]
    assert set(search_comments(surveys, "surveys", '"nao recebi"')["response_id"]) == {"1", "5"}
    assert search_comments(surveys, "surveys", '"recebi nao"').empty


def test_search_takes_percent_and_underscore_literally(surveys):
    """'late_fee' is a word to find, not a LIKE pattern; 'e_f' is no word start, so nothing matches."""
    assert search_comments(surveys, "surveys", "late_fee")["response_id"].tolist() == ["5"]
    assert search_comments(surveys, "surveys", "e_f").empty


def test_search_filters_by_group_agent_and_dates(surveys):
    """Detractors are 1, 3, 5; of those Bo has 3 and 5; March 2-31 leaves 5 (newest first)."""
    assert search_comments(surveys, "surveys", "", {"group": "detractor"})["response_id"].tolist() == ["5", "3", "1"]
    out = search_comments(surveys, "surveys", "", {"group": ["detractor"], "agent": "Bo", "date_from": "2024-03-02"})
    assert out["response_id"].tolist() == ["5"]
    assert search_comments(surveys, "surveys", "", {"date_to": "2024-01-05"})["response_id"].tolist() == ["1"]


def test_search_skips_filters_on_columns_the_table_lacks_and_says_so(surveys):
    """No segment column: the filter is ignored (listed), not an error."""
    out = search_comments(surveys, "surveys", "nao", {"segment": "SMB"})
    assert len(out) == 2 and out.attrs["ignored_filters"] == ["segment"]


def test_search_reports_total_matches_beyond_the_limit(surveys):
    """Five rows match an empty query; limit 2 returns 2 and says 5."""
    out = search_comments(surveys, "surveys", "", limit=2)
    assert len(out) == 2 and out.attrs["matches"] == 5


def test_index_comments_builds_one_folded_row_per_source_row(surveys):
    """The index holds the folded words between spaces, joined to the source by rowid."""
    name = index_comments(surveys, "surveys", ["comment"])
    rows = dict(surveys.execute(f'SELECT _rid, _folded FROM "{name}"').fetchall())
    assert len(rows) == 5 and rows[0] == " nao recebi o produto "


def test_parse_query_keeps_quoted_phrases_whole():
    """Curly and straight quotes both make phrases; words are folded."""
    assert parse_query('“Não chegou” prazo "entrega atrasada"') == ["nao chegou", "entrega atrasada", "prazo"]


def test_themes_count_comments_mentioning_each_term_with_examples():
    """'delivery' is in 3 of 4 comments (share 0.75); 'late delivery' in 2; stop words never appear."""
    texts = ["Late delivery again", "late delivery, the box was fine", "delivery ok", "great price"]
    out = themes(texts).set_index("term")
    assert out.loc["delivery", "comments"] == 3 and out.loc["delivery", "share"] == 0.75
    assert out.loc["late delivery", "kind"] == "phrase" and out.loc["late delivery", "comments"] == 2
    assert out.loc["delivery", "examples"] == texts[:3]
    assert not {"the", "was", "again"} & set(out.index)


def test_distinctive_terms_log_odds_on_a_tiny_corpus_by_hand():
    """A = 'slow slow refund', B = 'fast refund'; combined counts slow 2, refund 2, fast 1 (5 words).
    alpha0 = 4 -> a_slow = 4 * 2/5 = 1.6; n_a = 3, n_b = 2.
    delta = ln(3.6 / (3 + 4 - 2 - 1.6)) - ln(1.6 / (2 + 4 - 0 - 1.6)) = ln(3.6/3.4) - ln(1.6/4.4)
    z = delta / sqrt(1/3.6 + 1/1.6)."""
    out = distinctive_terms(["slow slow refund"], ["fast refund"], alpha0=4, min_count=1).set_index("term")
    delta = math.log(3.6 / 3.4) - math.log(1.6 / 4.4)
    assert out.loc["slow", "log_odds"] == pytest.approx(delta)
    assert out.loc["slow", "z"] == pytest.approx(delta / math.sqrt(1 / 3.6 + 1 / 1.6))
    assert (out.loc["slow", "count_a"], out.loc["slow", "count_b"]) == (2, 0)
    assert out.index[0] == "slow" and out.index[-1] == "fast"


def test_distinctive_terms_with_equal_rates_score_zero():
    """'refund' is 1 of 2 words in both groups -> log-odds 0."""
    out = distinctive_terms(["refund slow"], ["refund fast"], min_count=1).set_index("term")
    assert out.loc["refund", "z"] == pytest.approx(0.0)


def test_feature_interest_tallies_multiple_choice_answers():
    """'SSO; API', 'sso', 'Export, API', blank -> SSO 2, API 2, Export 1 of 3 respondents."""
    fi = feature_interest(pd.DataFrame({"want": ["SSO; API", "sso", "Export, API", None]}), "want")
    assert fi.respondents == 3
    assert fi.table.set_index("feature")["count"].to_dict() == {"API": 2, "SSO": 2, "Export": 1}
    assert fi.most == ("API", "SSO") and fi.least == ("Export",)


def _plain(text: str) -> str:
    """Independent folding for the checks: strip accents by NFD, lower, non-letters to spaces."""
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()
    return " " + " ".join(re.findall(r"[0-9a-z_]+", text)) + " "


@pytest.fixture(scope="module")
def olist_reviews():
    if not DATA.exists():
        pytest.skip("../shared/data (real test exports) is absent")
    return pd.read_csv(DATA / "olist_sample" / "olist_order_reviews_dataset.csv")


@needs_data
def test_olist_csat_equals_the_share_of_4_and_5(olist_reviews):
    """SOURCE.txt: 1:454 2:137 3:337 4:765 5:2293 -> (765 + 2293) / 3986 = 76.72%."""
    r = csat(olist_reviews["review_score"])
    assert r.n == 3986 and r.csat == pytest.approx(100 * (765 + 2293) / 3986)
    assert r.mean_rating == pytest.approx(olist_reviews["review_score"].mean())


@needs_data
def test_olist_search_finds_portuguese_comments_without_accents(olist_reviews):
    """'"nao recebi"' finds every comment with 'não recebi' (any case/accents), counted independently."""
    con = duckdb.connect()
    surveys = olist_reviews.rename(columns={"review_id": "response_id", "review_score": "csat",
                                            "review_comment_message": "comment",
                                            "review_comment_title": "comment_title"})
    con.register("incoming", surveys)
    con.execute("CREATE TABLE surveys AS SELECT * FROM incoming")
    index = index_comments(con, "surveys", ["comment"])
    out = search_comments(con, "surveys", '"nao recebi"', limit=10_000, index=index)
    expected = surveys["comment"].dropna().map(lambda t: " nao recebi" in _plain(t))
    assert expected.sum() > 20
    assert out.attrs["matches"] == len(out) == expected.sum()
    assert all("recebi" in _plain(t) for t in out["comment"])
    low = search_comments(con, "surveys", '"nao recebi"', {"group": "low"}, limit=10_000, index=index)
    assert len(low) == (expected & surveys.loc[expected.index, "csat"].le(2)).sum()


@needs_data
def test_nps_verbatims_detractor_terms_are_about_waiting_and_faults():
    """Detractors (0-6) vs promoters (9-10): the top 20 include waiting-type words (checked by reading
    the data: 'still', 'waiting', 'weeks', 'months', 'cancelled', 'engineer'); z sorted high to low;
    the count of 'waiting' among detractors equals an independent regex count."""
    d = pd.read_csv(DATA / "nps_verbatims" / "nps_verbatims.csv")
    det, pro = d.loc[d["NPS_SCORE"] <= 6, "text"], d.loc[d["NPS_SCORE"] >= 9, "text"]
    out = distinctive_terms(det, pro)
    assert {"still", "waiting", "weeks", "months", "cancelled", "engineer"} & set(out["term"].head(20))
    assert out["z"].is_monotonic_decreasing
    row = out.set_index("term").loc["waiting"]
    independent = sum(len(re.findall(r"(?<![\w'])waiting(?![\w'])", str(t).lower())) for t in det.dropna())
    assert row["count_a"] == independent
    assert out.set_index("term").loc["easy", "z"] < 0


def test_search_works_on_the_apps_locked_connection():
    """The session database (external access off, configuration locked) still takes the index."""
    from cs_logic.read.store import connect
    con = connect(memory_limit="64MB")
    con.execute("CREATE TABLE surveys AS SELECT 'Entrega atrasada' AS comment, 3.0 AS csat")
    assert search_comments(con, "surveys", "ATRASADA", {"group": "neutral"})["comment"].tolist() == ["Entrega atrasada"]


def test_feedback_charts_are_aggregated_titled_and_tooltipped():
    """CSAT trend shows n in its tooltip; term bars diverge on z with both groups' counts."""
    from cs_logic.charts.feedback import csat_trend_chart, distinctive_terms_chart, themes_chart
    df = pd.DataFrame({"date": pd.to_datetime(["2024-01-03", "2024-02-02"]), "csat": [5, 2]})
    trend = csat_trend_chart(csat_by(df, "date", freq="M"), period_col="date").to_dict()
    tips = [t["field"] for t in trend["layer"][0]["encoding"]["tooltip"]]
    assert "n" in tips and "CSAT" in trend["title"] and len(trend["datasets"][trend["data"]["name"]]) == 2
    terms = distinctive_terms(["slow slow refund"], ["fast refund"], alpha0=4, min_count=1)
    bars = distinctive_terms_chart(terms, labels=("Detractors", "Promoters")).to_dict()
    assert bars["encoding"]["x"]["field"] == "z" and bars["encoding"]["y"]["type"] == "nominal"
    assert {t["field"] for t in bars["encoding"]["tooltip"]} >= {"count_a", "count_b"}
    assert themes_chart(themes(["late delivery", "late"])).to_dict()["mark"]["type"] == "bar"


@pytest.mark.parametrize("kind", ["float64", "int64", "Int64", "Float64", "float32"])
def test_a_column_of_numbers_is_read_as_the_object_path_reads_it(kind):
    """_whole_in_range reads a numeric column as floats at once: the valid answers (and their positions), the
    invalid and the blank counts are those of reading every value as an object (half points, out of range,
    blanks, infinity)."""
    import numpy as np

    from cs_logic.metrics.feedback import _whole_in_range

    values = ([5, 4, 6, 0, 7, 3, 1, 2, 5] if kind == "int64" else [5, 4, None, 0, 7, 3, 1, 2, 5] if kind == "Int64"
              else [5.0, 4.5, None, 0.0, np.inf, 3.0, 1.0, 2.0, 5.0])
    column = pd.Series(values, dtype=kind, index=list("abcdefghi"))
    fast, slow = _whole_in_range(column, 1, 5), _whole_in_range(list(column), 1, 5)
    pd.testing.assert_series_equal(fast[0], slow[0])
    assert fast[1:] == slow[1:]

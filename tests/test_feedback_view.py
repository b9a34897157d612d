"""The Feedback page's own logic: the joined comment index, attribute ratings, filters, tiles, FAQ lists."""

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_logic.metrics.feedback import search_comments
from cs_logic.read.store import Filters, Store
from cs_logic.views import feedback_view as fv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("""CREATE TABLE surveys AS SELECT * FROM (VALUES
        ('r1', 'a1', 9, 'پشتیبانی عالی است'),
        ('r2', 'a2', 3, 'Não recebi a fatura'),
        ('r3', 'a9', 10, 'Great support')) AS t(response_id, account_id, nps, comment)""")
    c.execute("""CREATE TABLE accounts AS SELECT * FROM (VALUES
        ('a1', 'SMB', 'Sara'), ('a2', 'Enterprise', 'Marcus'), ('a2', 'Enterprise', 'Marcus'))
        AS t(account_id, segment, owner)""")
    yield c
    c.close()


def test_comment_index_adds_the_account_segment_and_rep(con):
    table, index = fv.comment_index(con, {"surveys", "accounts"})
    rows = con.execute(f"SELECT response_id, segment, owner FROM {table} ORDER BY response_id").fetchall()
    assert rows == [("r1", "SMB", "Sara"), ("r2", "Enterprise", "Marcus"), ("r3", None, None)]
    assert fv.table_exists(con, index)


def test_joined_index_finds_persian_typed_with_arabic_letters_within_a_segment(con):
    table, index = fv.comment_index(con, {"surveys", "accounts"})
    found = search_comments(con, table, "پشتيباني", {"segment": "SMB"}, index=index)
    assert found["response_id"].tolist() == ["r1"]
    assert search_comments(con, table, "nao", {"owner": ["Marcus"]}, index=index)["response_id"].tolist() == ["r2"]


def test_comment_index_without_accounts_keeps_the_surveys_as_they_are(con):
    table, _ = fv.comment_index(con, {"surveys"})
    assert "segment" not in [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]


def test_store_load_drops_the_comment_index_with_the_old_data():
    store = Store(memory_limit="256MB")
    try:
        store.load({"surveys": pd.DataFrame({"comment": ["ok"]})})
        _, index = fv.comment_index(store.con, set(store.tables))
        store.load({"surveys": pd.DataFrame({"comment": ["again"]})})
        assert not fv.table_exists(store.con, index)
    finally:
        store.close()


@pytest.mark.parametrize("global_filters, chosen, expected", [
    (Filters(), {"group": None, "segment": None}, {}),
    (Filters(segment=("SMB", "Enterprise")), {"segment": "SMB"}, {"segment": "SMB"}),
    (Filters(owner=("Sara",), plan=("Pro",)), {"agent": "Kim"}, {"agent": "Kim", "owner": ("Sara",), "plan": ("Pro",)}),
    (Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 12, 31)),
     {"date_from": dt.date(2025, 1, 1), "date_to": dt.date(2025, 6, 30)},
     {"date_from": dt.date(2025, 3, 1), "date_to": dt.date(2025, 6, 30)}),
])
def test_search_filters_combine_the_page_and_the_sidebar(global_filters, chosen, expected):
    """Both must hold: the later start, the earlier end; a page choice narrows the sidebar's."""
    assert fv.search_filters(global_filters, chosen) == expected


def test_attribute_columns_are_extra_whole_number_ratings_0_to_10():
    df = pd.DataFrame({"nps": [9, 3, 5], "csat": [5, 1, 4], "rating_support": [4, 2, 5], "q_value": [0, 10, 7],
                       "spend": [120.0, 80.0, 3.0], "half": [1.5, 2.0, 3.0], "same": [3, 3, 3],
                       "flag": [True, False, True], "text": ["a", "b", "c"]})
    assert fv.attribute_columns(df) == ["rating_support", "q_value"]


def test_attribute_columns_of_the_demo_surveys_are_the_five_ratings():
    surveys = pd.read_csv(ROOT / "data" / "surveys.csv")
    assert fv.attribute_columns(surveys) == [c for c in surveys.columns if c.startswith("rating_")]
    assert len(fv.attribute_columns(surveys)) == 5


def test_feature_columns_are_text_columns_asking_which_feature():
    df = pd.DataFrame({"Which feature would you like?": ["API; SSO"], "Feature requests": ["SSO"],
                       "feature_votes": [3], "comment": ["nice"]})
    assert fv.feature_columns(df) == ["Which feature would you like?", "Feature requests"]


def test_voice_tiles_golden_numbers():
    """CSAT [5,4,3,1]: 2 of 4 are 4-5 -> 50.0%, mean 13/4 = 3.25; CES [7,5,4,2]: mean 4.5, 2 of 4 are 5-7 -> 50%;
    NPS [10,9,0,7]: 2 promoters, 1 detractor of 4 -> 25."""
    df = pd.DataFrame({"csat": [5, 4, 3, 1], "ces": [7, 5, 4, 2], "nps": [10, 9, 0, 7]})
    tiles = {t.label: t for t in fv.voice_tiles(df)}
    assert [(k, t.shown) for k, t in tiles.items()] == [
        ("CSAT %", "50.0%"), ("Mean rating (1-5)", "3.25"), ("CES mean (1-7)", "4.50"),
        ("CES % easy (5-7)", "50.0%"), ("NPS", "+25.0")]
    assert tiles["NPS"].detail == "n = 4 valid answers · small sample"


def test_voice_tiles_count_blank_and_invalid_answers_apart():
    tiles = fv.voice_tiles(pd.DataFrame({"csat": [5, None, 7, 4.5]}))
    assert tiles[0].shown == "100.0%" and tiles[0].detail == "n = 1 answers · 3 blank or invalid left out"


def test_voice_tiles_without_answers_show_a_dash():
    tiles = fv.voice_tiles(pd.DataFrame({"csat": [None, None]}))
    assert tiles[0].shown == "–" and tiles[1].shown == "–"
    assert fv.voice_tiles(pd.DataFrame({"comment": ["x"]})) == []


def test_group_texts_keeps_the_group_non_blank_comments():
    df = pd.DataFrame({"comment": ["slow", "  ", None, "great"]})
    groups = pd.Series(["detractor", "detractor", "detractor", "promoter"])
    assert fv.group_texts(df, groups, "detractor").tolist() == ["slow"]


def test_account_outcomes_join_health_and_churn_for_the_filtered_accounts():
    """a churned by end date on or before the as-of date, b by flag, c not churned yet; d filtered out."""
    measures = pd.DataFrame({"open_tickets": [1.0, 2.0, 0.0, 5.0]},
                            index=pd.Index(["a", "b", "c", "d"], name="account_id"))
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"],
                             "end_date": pd.to_datetime(["2024-01-10", None, "2024-12-01"]),
                             "churned": pd.array([False, True, False], dtype="boolean")})
    health = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "health_score": [40.0, 60.0, 80.0, 90.0]})
    out = fv.account_outcomes(measures, accounts, "2024-06-30", health)
    assert out.index.tolist() == ["a", "b", "c"]
    assert out["churned"].tolist() == [True, True, False]
    assert out["health_score"].tolist() == [40.0, 60.0, 80.0]


def test_account_outcomes_take_health_scores_indexed_by_account():
    measures = pd.DataFrame({"open_tickets": [1.0]}, index=pd.Index(["a"], name="account_id"))
    health = pd.DataFrame({"health_score": [55.0]}, index=pd.Index(["a"], name="account_id"))
    assert fv.account_outcomes(measures, None, "2024-01-01", health)["health_score"].tolist() == [55.0]


def test_operational_candidates_leave_out_outcomes_and_mostly_blank_measures():
    """spend_trend known for 1 of 4 accounts (25% < 50%): left out; open_tickets for 3 of 4: kept."""
    f = pd.DataFrame({"open_tickets": [1, 2, None, 3], "spend_trend_90d": [None, None, None, 5.0],
                      "nps_latest": [9, 9, 9, 9], "account_nps": [100, 0, 0, 0], "churned": [True] * 4})
    assert fv.operational_candidates(f) == (["open_tickets"], ["spend_trend_90d"])


def test_measure_definitions_document_each_measure():
    table = fv.measure_definitions(["tickets_per_month", "health_score"])
    assert table["definition"].str.len().gt(10).all()


@pytest.mark.parametrize("data, name, expected", [
    (b"How do I reset my password?\r\n\r\nWhere is my invoice?\n", "faq.txt",
     ["How do I reset my password?", "Where is my invoice?"]),
    ('\ufeffquestion,answer\n"Can I pay, monthly?",yes\n,\n'.encode(), "faq.csv", ["question", "Can I pay, monthly?"]),
    ("چطور فاکتور بگيرم؟\n".encode("cp1256"), "faq.txt", ["چطور فاکتور بگيرم؟"]),  # Arabic yeh: cp1256 has no Persian one
    ("Não consigo exportar\n".encode("cp1252"), "faq.txt", ["Não consigo exportar"]),
])
def test_faq_lines_read_one_question_per_line_in_any_encoding(data, name, expected):
    assert fv.faq_lines(data, name) == expected


def test_faq_table_joins_examples_and_drops_row_lists():
    groups = pd.DataFrame({"label": ["export invoices"], "count": [3], "examples": [["How?", "Can I?"]],
                           "rows": [[1, 2, 3]]})
    assert fv.faq_table(groups).to_dict("records") == [
        {"label": "export invoices", "count": 3, "examples": "How? | Can I?"}]


@pytest.mark.parametrize("text, expected", [
    ("پشتیبانی کند است.", "\u2067پشتیبانی کند است.\u2069"),
    ("Suporte demorado.", "Suporte demorado."),
    ("Поддержка медленная.", "Поддержка медленная."),
    ("API خوب است", "\u2067API خوب است\u2069"),
    (None, "(no comment)"),
    ("   ", "(no comment)"),
])
def test_reading_text_isolates_right_to_left_comments_only(text, expected):
    """st.text lays out left to right: an RTL comment is wrapped in U+2067..U+2069 so it reads right to left."""
    assert fv.reading_text(text) == expected

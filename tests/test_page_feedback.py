"""AppTest: the Feedback page on the demo data: tiles with n, comment search in any script, user text kept as text."""

import csv
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
FEEDBACK = str(ROOT / "pages" / "feedback.py")
PERSIAN_WORD = "پشتیبانی"  # "support", written with the Persian yeh (U+06CC) in the demo comments
PORTUGUESE_WORD = "flexíveis"


def _surveys() -> list[dict[str, str]]:
    with open(ROOT / "data" / "surveys.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _comments_with_word(word: str) -> set[str]:
    """Demo comments holding ``word`` at a word start, matched on the raw text (no folding)."""
    pattern = re.compile(r"(?<!\w)" + re.escape(word), re.IGNORECASE)
    return {r["comment"] for r in _surveys() if pattern.search(r["comment"])}


def _metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no {label!r} tile among {[m.label for m in at.metric]}"
    return found[0]


def _results(at: AppTest):
    found = [d.value for d in at.dataframe if {"response_id", "comment"} <= set(d.value.columns)]
    assert found, "no comment results table"
    return found[0]


@pytest.fixture(scope="module")
def demo() -> AppTest:
    at = AppTest.from_file(FEEDBACK, default_timeout=60).run()
    at.button(key="demo_surveys").click().run()
    return at.run()


def test_feedback_page_runs_on_the_demo_without_exception(demo):
    assert not demo.exception
    assert [t.value for t in demo.title] == ["Feedback"]


def test_csat_tile_is_the_share_of_4_and_5_answers_in_the_demo_file(demo):
    """CSAT % = 100 * (answers 4 or 5) / valid 1-5 answers, worked from the CSV text (README: 78%)."""
    valid = [float(r["csat"]) for r in _surveys() if r["csat"].strip()]
    valid = [v for v in valid if v.is_integer() and 1 <= v <= 5]
    expected = 100 * sum(v >= 4 for v in valid) / len(valid)
    assert _metric(demo, "CSAT %").value == f"{expected:.1f}%"
    assert round(expected) == 78
    assert any(c.value.startswith(f"n = {len(valid):,} answers") for c in demo.caption)


def test_mean_rating_ces_and_nps_tiles_each_show_n(demo):
    """CES % easy = share of 5-7 (README: 72%); NPS +23.1 on 1,986 valid answers."""
    ces = [float(r["ces"]) for r in _surveys() if r["ces"].strip()]
    assert _metric(demo, "CES % easy (5-7)").value == f"{100 * sum(v >= 5 for v in ces) / len(ces):.1f}%"
    assert _metric(demo, "CES mean (1-7)").value == f"{sum(ces) / len(ces):.2f}"
    assert _metric(demo, "NPS").value == "+23.1"
    assert "Mean rating (1-5)" in [m.label for m in demo.metric]
    assert any(c.value == "n = 1,986 valid answers" for c in demo.caption)


def test_persian_word_typed_with_arabic_yeh_finds_the_persian_comments(demo):
    """پشتیبانی typed as پشتيباني (Arabic yeh U+064A) finds every demo comment with the Persian spelling."""
    expected = _comments_with_word(PERSIAN_WORD)
    assert 0 < len(expected) < 200
    query = PERSIAN_WORD.replace("\u06cc", "\u064a")
    assert query != PERSIAN_WORD
    demo.text_input(key="fb_query").input(query).run()
    assert not demo.exception
    found = _results(demo)
    assert set(found["comment"]) == expected
    assert len(found) == sum(r["comment"] in expected for r in _surveys())


def test_portuguese_word_without_accents_finds_the_accented_comments(demo):
    expected = _comments_with_word(PORTUGUESE_WORD)
    assert 0 < len(expected) < 200
    demo.text_input(key="fb_query").input("FLEXIVEIS").run()
    assert set(_results(demo)["comment"]) == expected


def test_the_detail_view_shows_the_chosen_comment_as_plain_text(demo):
    demo.text_input(key="fb_query").input(PERSIAN_WORD).run()
    found = _results(demo)
    demo.selectbox(key="fb_detail").select(2).run()
    assert f"\u2067{found['comment'].iloc[2]}\u2069" in [t.value for t in demo.text]  # wrapped: it reads RTL


def test_detractor_filter_keeps_only_nps_0_to_6(demo):
    demo.text_input(key="fb_query").input("").run()
    demo.selectbox(key="fb_group").select("Detractors (NPS 0-6)").run()
    found = _results(demo)
    assert len(found) and found["nps"].between(0, 6).all()
    assert set(found["group"]) == {"detractor"}
    demo.selectbox(key="fb_group").select("All").run()


def test_no_comment_text_reaches_markdown_captions_or_info_boxes(demo):
    """Markdown would render links and images from a comment: comments go to grids and st.text only."""
    demo.text_input(key="fb_query").input("suporte").run()
    comments = {r["comment"].strip() for r in _surveys() if len(r["comment"].strip()) > 3}
    shown = [e.value for e in [*demo.markdown, *demo.caption, *demo.info, *demo.warning, *demo.success]]
    leaks = [(c, s) for c in comments for s in shown if c in s]
    assert leaks == []
    assert any(t.value.strip("\u2067\u2069") in comments for t in demo.text)  # the detail view showed one, as text


def test_key_drivers_put_support_in_fix_first(demo):
    """README: support has the lowest mean rating (3.2 of 5) and high importance, so it is "Fix first"."""
    assert "Fix first: rating_support" in [t.value for t in demo.text]
    assert _metric(demo, "Complete answers (n)").value == "1,986"


def test_faq_candidates_list_the_recurring_ticket_questions(demo):
    faq = [d.value for d in demo.dataframe if "label" in d.value.columns and "count" in d.value.columns]
    assert faq and faq[0]["label"].iloc[0] == "export invoices"


def test_uploaded_faq_marks_the_groups_it_covers(demo):
    demo.file_uploader(key="fb_faq_upload").set_value(
        ("faq.txt", "How do I export my invoices?\nچطور رمز را عوض کنم؟\n".encode(), "text/plain")).run()
    assert not demo.exception
    faq = next(d.value for d in demo.dataframe if "covered" in d.value.columns)
    assert faq.loc[faq["label"] == "export invoices", "covered"].all()
    assert not faq["covered"].all()

"""FAQ candidates: question detection, grouping of near-duplicate wordings, trend and coverage."""

import random
from pathlib import Path

import pandas as pd
import pytest

from cs_logic.metrics.faq import faq_candidates, is_question, mark_covered, normalise_question

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

QUESTIONS = pd.Series([
    "How do I reset my password?", "how to reset password?", "How can I reset the password for my account?",
    "Reset password??", "How do I cancel my subscription?", "cancel subscription how?",
    "Can I cancel my subscription online?", "Great service, thanks!",
])


def test_near_duplicate_questions_fall_in_one_group_apart_from_another_topic():
    """Four password wordings form one group, three cancellation wordings another; the thank-you is
    no question."""
    out = faq_candidates(QUESTIONS, min_count=2)
    assert out[["label", "count"]].values.tolist() == [["reset password", 4], ["cancel subscription", 3]]
    assert sorted(out.loc[0, "rows"]) == [0, 1, 2, 3] and sorted(out.loc[1, "rows"]) == [4, 5, 6]
    assert len(out.loc[0, "examples"]) == 3


def test_groups_under_min_count_are_left_out():
    """min_count 4 keeps only the password group."""
    assert faq_candidates(QUESTIONS, min_count=4)["label"].tolist() == ["reset password"]


@pytest.mark.parametrize("text, expected", [
    ("Where is my order", True), ("Thanks a lot.", False), ("Como faço para trocar", True),
    ("Por que meu pedido atrasou", True), ("Por favor, entreguem logo", False), ("Qual o prazo", True),
    ("چرا سفارش من نرسید", True), ("آیا ارسال رایگان است", True), ("ممنون از شما", False),
    ("Как вернуть товар", True), ("Чаму заказ не прыйшоў", True), ("Дзякуй", False), ("Спасибо?", True),
    ("سفارش کی می‌رسد؟", True),
])
def test_question_detection_in_five_languages(text, expected):
    """A ? (or Arabic ؟) at the end, or an opening question word in English, Portuguese, Persian,
    Russian or Belarusian ("por que" but not "por favor")."""
    assert is_question(text) is expected


def test_normalising_folds_and_drops_stop_words_in_persian_too():
    """Arabic ي/ك are unified and را/من are stop words: both spellings normalise alike."""
    assert normalise_question("چرا سفارش من را نفرستادید؟") == normalise_question("چرا سفارش من را نفرستاديد؟")
    assert normalise_question("How do I reset my password?") == "reset password"


def test_all_texts_can_be_taken_when_questions_only_is_off():
    """Ticket subjects are no questions; with questions_only=False they are grouped anyway."""
    out = faq_candidates(pd.Series(["Refund request", "refund request", "Login broken"]), min_count=1,
                         questions_only=False)
    assert out[["label", "count"]].values.tolist() == [["refund request", 2], ["login broken", 1]]


def test_trend_counts_the_last_90_days_against_the_90_before():
    """as_of 2024-06-30: 2024-06-01 and 2024-05-01 are within 90 days; 2024-03-15 is 107 days
    back (prior window); 2023-01-01 is in neither. change = 2 - 1 = 1."""
    texts = pd.Series(["How do I reset my password?"] * 4)
    dates = pd.Series(pd.to_datetime(["2024-06-01", "2024-05-01", "2024-03-15", "2023-01-01"]))
    out = faq_candidates(texts, dates, min_count=1, as_of=pd.Timestamp("2024-06-30"))
    assert out.loc[0, ["last_90", "prior_90", "change"]].tolist() == [2, 1, 1]


def test_mark_covered_flags_groups_an_existing_faq_answers():
    """The FAQ answers password resets, not cancellations."""
    groups = faq_candidates(QUESTIONS, min_count=2)
    out = mark_covered(groups, ["How can I reset my password?", "What are your opening hours?"])
    assert out["covered"].tolist() == [True, False]
    assert out.loc[0, "covered_by"] == "How can I reset my password?" and out.loc[1, "covered_by"] is None


def test_ten_thousand_distinct_questions_are_grouped_and_planted_duplicates_found():
    """10,000 random distinct questions plus 30 wordings of one question: that group is found whole
    (the similarity search runs sparse, so this stays quick)."""
    rng = random.Random(3)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9))) for _ in range(4000)]
    noise = [f"How do I {' '.join(rng.sample(vocab, rng.randint(2, 5)))}?" for _ in range(10_000)]
    planted = [f"How {w} I change my billing address?" for w in ["do", "can", "should"] * 10]
    out = faq_candidates(pd.Series(noise + planted), min_count=5)
    assert out.loc[0, "label"] == "change billing address" and out.loc[0, "count"] == 30


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data (real test exports) is absent")
def test_support_ticket_subjects_group_into_counts_that_add_up():
    """8,469 subjects, 16 distinct: the group counts sum to 8,469 and the largest group equals the
    independent value_counts of its subject ('Refund request', 576)."""
    t = pd.read_csv(DATA / "support_tickets" / "customer_support_tickets.csv")
    out = faq_candidates(t["Ticket Subject"], min_count=1, questions_only=False)
    counts = t["Ticket Subject"].value_counts()
    assert out["count"].sum() == t["Ticket Subject"].notna().sum() == 8469
    assert out.loc[0, "examples"] == [counts.index[0]] and out.loc[0, "count"] == counts.iloc[0] == 576


def test_faq_chart_shows_the_groups_as_bars_with_counts():
    """One bar per group, sorted by count, tooltips naming the question and its count."""
    from cs_logic.charts.feedback import faq_chart
    spec = faq_chart(faq_candidates(QUESTIONS, min_count=2)).to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["y"]["sort"] == "-x"
    assert len(spec["datasets"][spec["data"]["name"]]) == 2


def _faq_text_by_text(texts, dates=None, questions_only=True):
    """faq_candidates as written before it read each distinct wording once: every text detected and
    normalised on its own, rows as lists."""
    from cs_logic.metrics import faq

    texts = texts.dropna().astype(str)
    texts = texts[texts.str.strip().ne("")]
    if questions_only:
        texts = texts[[is_question(t) for t in texts]]
    norm = pd.Series([normalise_question(t) for t in texts], index=texts.index, dtype=object)
    norm = norm[norm.ne("")]
    counts = norm.value_counts()
    keys = counts.index.tolist()
    leader = faq.leader_groups(keys, counts.tolist(), 0.5)
    label = norm.map(pd.Series([keys[i] for i in leader], index=keys))
    when = pd.to_datetime(dates.reindex(norm.index), errors="coerce") if dates is not None else None
    end = when.max() if when is not None else None
    sizes = label.value_counts()
    label = label[label.isin(sizes.index[sizes >= 1])]
    rows = []
    for name, members in label.groupby(label, sort=False):
        wordings = texts.loc[members.index].str.strip().value_counts()
        last = prior = None
        if when is not None:
            age = (end - when.loc[members.index]).dt.days
            last, prior = int(((age >= 0) & (age < 90)).sum()), int(((age >= 90) & (age < 180)).sum())
        rows.append((name, len(members), len(members) / len(norm), wordings.index[:3].tolist(), last, prior,
                     None if last is None else last - prior, members.index.tolist()))
    out = pd.DataFrame(rows, columns=["label", "count", "share", "examples", "last_90", "prior_90", "change", "rows"])
    return out.sort_values(["count", "label"], ascending=[False, True], ignore_index=True)


@pytest.mark.parametrize("questions_only", [True, False])
def test_reading_each_distinct_wording_once_gives_the_text_by_text_groups(questions_only):
    """2,000 texts of 40 wordings (blanks, a number, repeats in any order, dated): the same groups, counts,
    shares, examples, trend and rows as detecting and normalising every text on its own."""
    rng = random.Random(5)
    wordings = [*QUESTIONS, " Refund request ", "refund request", "Login broken?", "", "   ", None, 42,
                *(f"How do I {w} my {x}?" for w in ("change", "see", "close") for x in ("plan", "bill", "seat", "team")),
                *(f"Where is my {x}" for x in ("order", "invoice", "parcel")), "Porque não funciona?", "چرا دیر رسید"]
    texts = pd.Series([rng.choice(wordings) for _ in range(2000)], index=range(7, 2007), dtype=object)
    dates = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta([rng.randint(0, 300) for _ in range(2000)],
                                                                      unit="D"), index=texts.index)
    ours = faq_candidates(texts, dates, min_count=1, questions_only=questions_only)
    ref = _faq_text_by_text(texts, dates, questions_only)
    assert len(ours) > 5
    pd.testing.assert_frame_equal(ours.drop(columns="rows"), ref.drop(columns="rows"))
    assert [list(r) for r in ours["rows"]] == ref["rows"].tolist()

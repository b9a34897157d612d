"""Folding and tokenising: Latin accents go, Arabic/Persian variants unify, Cyrillic stays intact."""

import unicodedata

import pytest

from cs_logic.metrics import textnorm
from cs_logic.metrics.textnorm import STOP_WORDS, bigrams, content_terms, fold, is_rtl, rtl_share, tokens


@pytest.mark.parametrize("written, typed", [
    ("Não", "nao"), ("AÇÃO", "acao"), ("café", "cafe"), ("Straße", "strasse"), ("Łódź", "lodz"),
])
def test_fold_removes_latin_accents_and_case(written, typed):
    """Portuguese and other Latin text folds to plain lower-case letters."""
    assert fold(written) == fold(typed) == typed


@pytest.mark.parametrize("arabic_form, persian_form", [
    ("كتاب", "کتاب"),          # Arabic kaf U+0643 -> keheh U+06A9
    ("يك", "یک"),              # Arabic yeh and kaf -> Persian yeh and keheh
    ("على", "علی"),            # alef maksura -> Persian yeh
    ("مدرسة", "مدرسه"),        # teh marbuta -> heh
    ("أحمد", "احمد"), ("إيران", "ایران"), ("آب", "اب"),
    ("کـــتاب", "کتاب"),       # tatweel dropped
    ("مُحَمَّد", "محمد"),        # harakat dropped
])
def test_fold_unifies_arabic_and_persian_variants(arabic_form, persian_form):
    """The same word typed on an Arabic or a Persian keyboard folds to one form."""
    assert fold(arabic_form) == fold(persian_form)


def test_fold_turns_zwnj_into_a_space_and_indic_digits_into_ascii():
    """می‌خواهم (with ZWNJ) is two search words; ۱۲۳ and ٤٥ are 123 and 45."""
    assert fold("می\u200cخواهم") == "می خواهم"
    assert fold("۱۲۳ ٤٥") == "123 45"


@pytest.mark.parametrize("word", ["Йогурт", "ўсё", "Ёлка", "чаму", "Іван"])
def test_fold_keeps_cyrillic_letters_whole(word):
    """Breves and diaereses on Cyrillic letters (й, ў, ё) are letters, not accents: only case changes."""
    folded = fold(word)
    assert folded == unicodedata.normalize("NFC", word.lower())
    assert not any(unicodedata.combining(c) for c in folded)


def test_fold_of_blank_values_is_empty():
    """None and NaN fold to an empty string rather than 'none' or 'nan'."""
    assert fold(None) == "" and fold(float("nan")) == ""


def test_tokens_drop_numbers_and_one_letter_words():
    """'I got 2 items, 10x faster' keeps words of two letters or more, and mixed 10x."""
    assert tokens("I got 2 items, 10x faster") == ["got", "items", "10x", "faster"]


def test_tokens_work_in_persian_and_belarusian():
    """Unicode-aware: Persian and Belarusian words are tokens like English ones."""
    assert tokens("سفارش من دیر رسید") == ["سفارش", "من", "دیر", "رسید"]
    assert tokens("Заказ прыйшоў позна") == ["заказ", "прыйшоў", "позна"]


def test_tokens_can_drop_stop_words_in_every_language():
    """Stop words of English, Portuguese, Russian, Belarusian and Persian all go."""
    assert tokens("the delivery was late", drop_stop=True) == ["delivery", "late"]
    assert tokens("não recebi o produto", drop_stop=True) == ["recebi", "produto"]
    assert tokens("я не получил заказ", drop_stop=True) == ["получил", "заказ"]
    assert tokens("я не атрымаў заказ", drop_stop=True) == ["атрымаў", "заказ"]
    assert tokens("من این کتاب را خریدم", drop_stop=True) == ["کتاب", "خریدم"]


@pytest.mark.parametrize("name", ["STOP_WORDS_EN", "STOP_WORDS_PT", "STOP_WORDS_RU", "STOP_WORDS_BE", "STOP_WORDS_FA"])
def test_each_stop_word_list_is_solid_and_already_folded(name):
    """About a hundred words or more per language, each stored the way fold() writes it."""
    words = getattr(textnorm, name)
    assert len(words) >= 100
    assert all(fold(w) == w for w in words)
    assert words <= STOP_WORDS


def test_bigrams_pair_adjacent_tokens():
    """Three tokens give two phrases."""
    assert bigrams(["reset", "my", "password"]) == ["reset my", "my password"]


def test_content_phrases_never_span_a_stop_word():
    """'late, the box' is no phrase because 'the' sits between."""
    words, phrases = content_terms("very late, the box broken")
    assert words == ["late", "box", "broken"]
    assert phrases == ["box broken"]


def test_is_rtl_by_share_of_arabic_script_letters():
    """Persian text reads right to left; an English sentence with one Persian word does not."""
    assert is_rtl("سفارش من دیر رسید")
    assert not is_rtl("order late from تهران hub distribution")
    assert rtl_share("") == 0.0

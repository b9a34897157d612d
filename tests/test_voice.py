"""The Feedback page's view (cs_logic.views.voice): search results, telling terms, drivers, FAQ and features as shown."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cs_logic.views import voice

SURVEYS = pd.DataFrame({
    "response_id": ["r1", "r2", "r3"],
    "nps": [10, 3, 8],
    "comment": ["great", "slow export?", "ok"],
    "date": pd.to_datetime(["2024-05-02", "2024-05-03", None]),
})


def _results(rows: pd.DataFrame, matches: int) -> pd.DataFrame:
    out = rows.iloc[:, ::-1].copy()  # any column order: the view puts them in the page's order
    out.attrs["matches"] = matches
    return out


def test_found_adds_the_score_group_puts_the_comment_second_and_labels_each_row():
    """NPS 10 -> promoter, 3 -> detractor, 8 -> passive; a missing date reads NaT in the label."""
    v = voice.build(SURVEYS, None, None)
    f = voice.found(_results(SURVEYS, 12), v)
    assert list(f.table.columns) == ["response_id", "comment", "group", "nps", "date"]
    assert f.table["group"].tolist() == ["promoter", "detractor", "passive"]
    assert f.labels == ("r1 · 2024-05-02 · promoter", "r2 · 2024-05-03 · detractor", "r3 · NaT · passive")
    assert f.caption.startswith("12 answers match; the newest 3 are listed")


def test_found_without_scores_leaves_the_group_blank():
    v = voice.build(SURVEYS.drop(columns="nps"), None, None)
    f = voice.found(_results(SURVEYS.drop(columns="nps"), 3), v)
    assert f.table["group"].isna().all()
    assert f.labels[0] == "r1 · 2024-05-02 · None"


def test_telling_lists_the_ten_most_telling_terms_of_each_side():
    """Detractors say "slow export" 3 times each, promoters "great support": both ends of the z order."""
    detractors = ["slow export again", "export is slow", "slow slow export"] * 4
    promoters = ["great support team", "support is great", "great great support"] * 4
    surveys = pd.DataFrame({"nps": [2] * 12 + [10] * 12, "comment": detractors + promoters})
    v = voice.build(surveys, None, None)
    pair = v.comparisons["Detractors vs promoters (NPS)"]
    t = voice.telling(v, pair)
    assert t.table.equals(pd.concat([t.terms.head(voice.TELLING), t.terms.tail(voice.TELLING)]))
    assert t.table.iloc[0]["z"] == t.terms["z"].max() and t.table.iloc[-1]["z"] == t.terms["z"].min()
    assert "slow" in set(t.table.head(3)["term"]) and "great" in set(t.table.tail(3)["term"])


def test_key_drivers_name_the_important_and_weak_rating_fix_first():
    """NPS equals rating_support exactly (R² = 1.00); support is rated low (mean 3 of 10), price high and
    unrelated: support is important and weak, so "Fix first: rating_support"."""
    support = [1, 2, 3, 4, 5] * 8
    price = [9, 8, 10, 9, 8, 10, 9, 10] * 5
    surveys = pd.DataFrame({"nps": support, "rating_support": support, "rating_price": price})
    v = voice.build(surveys, None, None)
    kd = voice.key_drivers(v, "nps")
    assert kd.r2 == "1.00" and kd.result.n == 40
    assert kd.fix_first == "Fix first: rating_support"


def test_operational_result_names_the_measures_left_out_as_mostly_blank():
    measures = pd.DataFrame({"open_tickets": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "orders_90d": [None] * 5 + [1.0],
                             "account_nps": [10.0, 20.0, 30.0, 40.0, 50.0, 70.0]},
                            index=pd.Index(list("abcdef"), name="account_id"))
    ops = voice.operational(measures, None, pd.Timestamp("2024-06-30").date(), None)
    assert ops.outcomes == ["account_nps"] and ops.candidates == ["open_tickets"] and ops.sparse == ["orders_90d"]
    table, summary = voice.operational_result(ops, "account_nps")
    assert table["driver"].tolist() == ["open_tickets"]
    assert summary.startswith("R² = ") and ", n = 6 accounts" in summary.splitlines()[0]
    assert "orders_90d left out: known for fewer than half of the accounts" in summary


@dataclass
class _Upload:
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def _groups() -> pd.DataFrame:
    tickets = pd.DataFrame({"subject": ["How do I export invoices?"] * 3 + ["Reset my password"] * 3})
    v = voice.build(SURVEYS, None, tickets)
    return voice.faq_groups(v, "ticket subject", tickets)


def test_an_uploaded_faq_list_marks_the_groups_it_covers():
    faq = voice.faq(_groups(), _Upload("faq.txt", b"How do I export my invoices?\n"))
    covered = dict(zip(faq.groups["label"], faq.groups["covered"]))
    assert sum(covered.values()) == 1 and len(covered) == 2
    assert "rows" not in faq.table.columns  # the table is for display and download


def test_an_faq_list_over_the_size_limit_is_not_read():
    big = _Upload("faq.txt", b"How do I export my invoices?\n" + b"x" * voice.FAQ_LIST_MAX_BYTES)
    assert "covered" not in voice.faq(_groups(), big).groups.columns
    assert "covered" not in voice.faq(_groups(), None).groups.columns


def test_feature_interest_counts_respondents_not_mentions():
    """"API; SSO", "api", "SSO": 3 respondents; API chosen by 2 (case ignored), SSO by 2."""
    v = voice.build(pd.DataFrame({"Which feature next?": ["API; SSO", "api", "SSO"]}), None, None)
    table, summary = voice.interest(v, "Which feature next?")
    assert summary.startswith("3 respondents. Most wanted: ")
    assert set(summary.removeprefix("3 respondents. Most wanted: ").split(", ")) == {"API", "SSO"}
    assert table.set_index("feature")["share"].round(4).to_dict() == {"API": 0.6667, "SSO": 0.6667}

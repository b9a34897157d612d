"""The demo data in data/ is what data/make_demo.py makes, and it tells the story README.md promises."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
AS_OF = pd.Timestamp("2026-10-31")
HISTORY_START = pd.Timestamp("2025-05-01")
HIGH_CHURN_REP = "Marcus Reed"
SUPPORT_THEME = re.compile(r"support|suporte|پشتیبانی|поддержк|падтрымк", re.IGNORECASE)
BILLING_THEME = re.compile(r"billing|invoice|charged|fatura|cobran|صورتحساب|сч[её]т|рахун", re.IGNORECASE)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo", DATA / "make_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def accounts() -> pd.DataFrame:
    df = pd.read_csv(DATA / "accounts.csv", parse_dates=["start_date", "end_date"])
    return df.assign(is_churned=df["churned"].eq("Yes"))


@pytest.fixture(scope="module")
def usage() -> pd.DataFrame:
    return pd.read_csv(DATA / "usage.csv", parse_dates=["date"])


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    return pd.read_csv(DATA / "tickets.csv", parse_dates=["created_at", "first_response_at", "resolved_at"])


@pytest.fixture(scope="module")
def surveys() -> pd.DataFrame:
    """Survey answers with the NPS column kept as text, plus ``nps_valid`` (whole 0-10 answers only)."""
    df = pd.read_csv(DATA / "surveys.csv", dtype={"nps": str, "comment": str}, keep_default_na=False)
    number = pd.to_numeric(df["nps"], errors="coerce")
    valid = number.where(number.between(0, 10) & (number == number.round()))
    return df.assign(nps_valid=valid)


def test_generator_rewrites_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    """write_demo() and the --out command line both give exactly the committed bytes."""
    make_demo = _generator()
    counts = make_demo.write_demo(tmp_path / "a")
    subprocess.run([sys.executable, str(DATA / "make_demo.py"), "--out", str(tmp_path / "b")],
                   check=True, capture_output=True)
    for name in make_demo.FILES:
        committed = (DATA / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() == committed, name
        assert (tmp_path / "b" / name).read_bytes() == committed, name
        assert committed.count(b"\n") == counts[name] + 1, name


def test_data_folder_is_under_10_mb_and_usage_under_6_mb() -> None:
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    assert total < 10_000_000
    assert (DATA / "usage.csv").stat().st_size < 6_000_000


def test_accounts_use_canonical_headers_and_unique_ids(accounts: pd.DataFrame) -> None:
    canonical = {"account_id", "account_name", "owner", "segment", "plan", "region", "industry",
                 "start_date", "end_date", "churned", "revenue", "seats"}
    assert canonical <= set(accounts.columns)
    assert len(accounts) == 500
    assert accounts["account_id"].is_unique and accounts["account_name"].is_unique
    assert accounts["owner"].nunique() == 8
    assert accounts["account_name"].str.contains("[\u0600-\u06FF]").any()  # Persian names
    assert accounts["account_name"].str.contains("ã|ç|é|á|ê|í").any()  # Portuguese names


def test_end_date_is_given_exactly_for_churned_accounts_within_the_18_months(accounts: pd.DataFrame) -> None:
    assert accounts["end_date"].notna().eq(accounts["is_churned"]).all()
    ends = accounts["end_date"].dropna()
    assert ends.between(HISTORY_START, AS_OF).all()
    assert (accounts["start_date"] <= AS_OF).all()


def test_about_15_percent_of_accounts_churned(accounts: pd.DataFrame) -> None:
    """77 of 500 churned when written (15.4%); the story needs 12-18%."""
    assert 0.12 <= accounts["is_churned"].mean() <= 0.18


def test_churned_accounts_use_much_less_in_their_last_60_days(
    accounts: pd.DataFrame, usage: pd.DataFrame
) -> None:
    """Events in days 1-60 before end_date vs days 61-120: on average at most 60% (0.33 when written),
    and lower for at least 90% of churners."""
    churned = accounts.loc[accounts["is_churned"], ["account_id", "end_date"]]
    rows = usage.merge(churned, on="account_id")
    days_before = (rows["end_date"] - rows["date"]).dt.days
    last = rows[days_before.between(1, 60)].groupby("account_id")["events"].sum()
    before = rows[days_before.between(61, 120)].groupby("account_id")["events"].sum()
    ratio = last.reindex(churned["account_id"], fill_value=0) / before.reindex(churned["account_id"])
    assert ratio.notna().all()
    assert ratio.mean() <= 0.6
    assert (ratio < 1).mean() >= 0.9


def test_retained_accounts_usage_is_stable_or_growing(accounts: pd.DataFrame, usage: pd.DataFrame) -> None:
    """For accounts never churned and older than 180 days, the median ratio of events in the last 60 days
    to the 60 before is at least 0.9 (1.04 when written)."""
    settled = accounts["start_date"] <= AS_OF - pd.Timedelta(days=180)
    kept = accounts.loc[~accounts["is_churned"] & settled, "account_id"]
    rows = usage[usage["account_id"].isin(kept)]
    days_before = (AS_OF - rows["date"]).dt.days
    last = rows[days_before.between(0, 59)].groupby("account_id")["events"].sum()
    before = rows[days_before.between(60, 119)].groupby("account_id")["events"].sum()
    assert (last / before).median() >= 0.9


def test_high_churn_rep_churns_at_least_10_points_more_than_any_other(accounts: pd.DataFrame) -> None:
    """Marcus Reed: 26 of 86 accounts churned (30.2%); every other rep 11.5-14.3%."""
    share = accounts.groupby("owner")["is_churned"].mean()
    book = accounts["owner"].value_counts()
    others = share.drop(HIGH_CHURN_REP)
    assert share.idxmax() == HIGH_CHURN_REP
    assert share[HIGH_CHURN_REP] >= 0.25
    assert share[HIGH_CHURN_REP] - others.max() >= 0.10
    assert book[HIGH_CHURN_REP] >= 60
    assert others.max() <= 0.16


def test_nps_is_between_plus_10_and_plus_30(surveys: pd.DataFrame) -> None:
    """NPS = 100 * (share of 9-10 - share of 0-6) over valid answers; +23.1 on n = 1986 when written."""
    valid = surveys["nps_valid"].dropna()
    nps = 100 * ((valid >= 9).mean() - (valid <= 6).mean())
    assert 10 <= nps <= 30
    assert len(valid) == len(surveys) - 4


def test_surveys_hold_three_blank_nps_answers_and_one_na(surveys: pd.DataFrame) -> None:
    invalid = surveys.loc[surveys["nps_valid"].isna(), "nps"]
    assert sorted(invalid) == ["", "", "", "N/A"]


@pytest.mark.parametrize("theme", [SUPPORT_THEME, BILLING_THEME], ids=["slow support", "billing errors"])
def test_detractors_name_the_theme_far_more_often_than_promoters(
    surveys: pd.DataFrame, theme: re.Pattern[str]
) -> None:
    """Among comments: at least 30% of detractors' name the theme, at most 5% of promoters', ratio >= 5.
    When written: slow support 47.9% vs 2.1%, billing errors 41.4% vs 1.5%."""
    commented = surveys[surveys["comment"] != ""]
    detractors = commented.loc[commented["nps_valid"] <= 6, "comment"].str.contains(theme).mean()
    promoters = commented.loc[commented["nps_valid"] >= 9, "comment"].str.contains(theme).mean()
    assert detractors >= 0.30
    assert promoters <= 0.05
    assert detractors >= 5 * promoters


@pytest.mark.parametrize("script", ["[\u0600-\u06FF]", "ã|ç|é|á|ó|ô"], ids=["Persian", "Portuguese"])
def test_both_themes_appear_in_persian_and_portuguese_detractor_comments(
    surveys: pd.DataFrame, script: str
) -> None:
    comments = surveys.loc[surveys["nps_valid"] <= 6, "comment"]
    in_language = comments[comments.str.contains(script)]
    assert in_language.str.contains(SUPPORT_THEME).sum() >= 5
    assert in_language.str.contains(BILLING_THEME).sum() >= 5


def test_comments_are_mostly_english_with_persian_portuguese_and_a_few_cyrillic(
    surveys: pd.DataFrame,
) -> None:
    comments = surveys.loc[surveys["comment"] != "", "comment"]
    assert 0.08 <= comments.str.contains("[\u0600-\u06FF]").mean() <= 0.25
    assert 0.5 <= comments.str.contains("^[\x00-\x7F]*$").mean() <= 0.85
    assert 5 <= comments.str.contains("[\u0400-\u04FF]").sum() <= 40


def test_reliability_and_support_drive_nps_most(surveys: pd.DataFrame) -> None:
    """Ordinary least squares of the NPS answer on the five ratings: the two largest coefficients
    are reliability and support (0.75 and 0.71 when written; the others 0.14-0.35)."""
    answered = surveys.dropna(subset=["nps_valid"])
    names = [c for c in answered.columns if c.startswith("rating_")]
    x = np.column_stack([np.ones(len(answered)), answered[names].to_numpy(dtype=float)])
    coef = np.linalg.lstsq(x, answered["nps_valid"].to_numpy(dtype=float), rcond=None)[0][1:]
    top_two = {names[i] for i in np.argsort(coef)[-2:]}
    assert top_two == {"rating_reliability", "rating_support"}


def test_some_accounts_have_no_survey_answers(accounts: pd.DataFrame, surveys: pd.DataFrame) -> None:
    without = ~accounts["account_id"].isin(surveys["account_id"])
    assert 0.10 <= without.mean() <= 0.35


def test_churned_accounts_tickets_are_higher_priority_and_slower(
    accounts: pd.DataFrame, tickets: pd.DataFrame
) -> None:
    """High/Urgent share 49% vs 25%; median first response 7.5 h vs 4.2 h; resolution 57 h vs 30 h."""
    t = tickets.merge(accounts[["account_id", "is_churned"]], on="account_id")
    high = t["priority"].isin(["High", "Urgent"]).groupby(t["is_churned"]).mean()
    first_hours = (t["first_response_at"] - t["created_at"]).dt.total_seconds() / 3600
    resolve_hours = (t["resolved_at"] - t["created_at"]).dt.total_seconds() / 3600
    first = first_hours.groupby(t["is_churned"]).median()
    resolve = resolve_hours.groupby(t["is_churned"]).median()
    assert high[True] >= high[False] + 0.15
    assert first[True] >= 1.5 * first[False]
    assert resolve[True] >= 1.5 * resolve[False]


def test_ticket_timestamps_are_ordered_and_not_after_the_as_of_date(tickets: pd.DataFrame) -> None:
    assert tickets["ticket_id"].is_unique
    assert (tickets["created_at"] < AS_OF + pd.Timedelta(days=1)).all()
    responded = tickets.dropna(subset=["first_response_at"])
    assert (responded["first_response_at"] >= responded["created_at"]).all()
    resolved = tickets.dropna(subset=["resolved_at", "first_response_at"])
    assert (resolved["resolved_at"] >= resolved["first_response_at"]).all()
    assert tickets.loc[tickets["resolved_at"].isna(), "status"].isin(["Open", "Pending"]).all()


def test_recurring_questions_come_in_several_wordings(tickets: pd.DataFrame) -> None:
    wordings = ["How do I export my invoices?", "how to export invoices", "Can I export invoices to Excel?"]
    counts = tickets["subject"].value_counts()
    assert all(counts.get(w, 0) >= 30 for w in wordings)
    assert (counts >= 30).sum() >= 30  # ~15 questions x 2-4 wordings
    assert (counts == 1).sum() >= 500  # and many one-off subjects


@pytest.mark.parametrize("name", ["usage.csv", "tickets.csv", "surveys.csv", "orders.csv"])
def test_every_account_id_exists_in_accounts(accounts: pd.DataFrame, name: str) -> None:
    ids = pd.read_csv(DATA / name, usecols=["account_id"], dtype=str, keep_default_na=False)["account_id"]
    assert ids.isin(accounts["account_id"]).all()


def test_deals_name_known_accounts_or_are_blank_prospects(accounts: pd.DataFrame) -> None:
    deals = pd.read_csv(DATA / "deals.csv", dtype={"account_id": str}, keep_default_na=False)
    named = deals.loc[deals["account_id"] != "", "account_id"]
    assert named.isin(accounts["account_id"]).all()
    assert (deals["account_id"] == "").sum() >= 100
    assert set(deals["stage"]) == {"Prospecting", "Qualification", "Proposal", "Negotiation", "Won", "Lost"}
    closed = deals["stage"].isin(["Won", "Lost"])
    assert (deals["close_date"] != "").eq(closed).all()


def test_some_accounts_buy_add_ons_more_than_once() -> None:
    orders = pd.read_csv(DATA / "orders.csv")
    per_account = orders["account_id"].value_counts()
    assert (per_account >= 2).sum() >= 50
    assert orders["order_id"].is_unique

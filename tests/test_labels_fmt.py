"""Labels and number formats a manager reads: no code names, one format per kind, "–" for unknown."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from cs_logic.core import fmt
from cs_logic.core.labels import label, relabel
from cs_logic.core.schema import TABLES
from cs_logic.metrics.measures import MEASURE_DOCS

SNAKE = re.compile(r"[a-z0-9]+_[a-z0-9_]+")


def test_every_measure_and_field_has_a_label_without_snake_case() -> None:
    """Each derived measure and canonical field reads as words, never as its code name."""
    names = list(MEASURE_DOCS) + [f.name for t in TABLES.values() for f in t.fields]
    for name in names:
        text = label(name)
        assert not SNAKE.search(text), (name, text)
        assert text != name or name.isupper() or "_" not in name


def test_measure_labels_name_their_window() -> None:
    """usage_active_days_30d is "Active days, last 30"; the 90-day order count says 90 days."""
    assert label("usage_active_days_30d") == "Active days, last 30"
    assert label("orders_90d") == "Orders, last 90 days"
    assert label("median_first_response_hours") == "Median first response (hours)"


def test_field_label_follows_its_table() -> None:
    """An orders file's account_id is a customer; elsewhere it is an account."""
    assert label("account_id") == "Account id"
    assert label("account_id", "orders") == "Customer id"
    assert label("status", "deals") == "Outcome (won / lost / open)"


@pytest.mark.parametrize(("name", "expected"), [
    ("rows_left_out", "Rows left out"),
    ("p90_wait_hours", "90th percentile wait hours"),
    ("visits_7d", "Visits, last 7 days"),
    ("share_pct", "Share %"),
    ("Account", "Account"),
])
def test_unknown_names_read_as_words(name: str, expected: str) -> None:
    """A name without an entry still reads as a phrase: underscores become spaces, "7d" a window."""
    assert label(name) == expected


def test_relabel_renames_columns_and_index_and_keeps_duplicates_apart() -> None:
    """ci_low and churn_low both read "95% from"; the second keeps a distinct reading, so no column is lost."""
    frame = pd.DataFrame({"p_won": [0.5], "ci_low": [0.1], "churn_low": [0.2]}).rename_axis("health_band")
    out = relabel(frame)
    assert list(out.columns) == ["Chance of winning", "95% from", "Churn low"]
    assert out.index.name == "Band"
    assert out.iloc[0, 2] == 0.2


@pytest.mark.parametrize(("value", "expected"), [
    (1234567, "1,234,567"), (3.0, "3"), (2.5, "2"), (None, "–"), (math.nan, "–"), (pd.NA, "–"),
])
def test_count_has_separators_and_dash_for_unknown(value: object, expected: str) -> None:
    """Counts are whole with thousands separators (2.5 rounds half to even: 2)."""
    assert fmt.count(value) == expected


def test_money_uses_the_currency_given() -> None:
    """2,392.79 rounds to 2,393; $ before, an unknown code after; compact 1,640,000 is 1.64M."""
    assert fmt.money(2392.79) == "2,393"
    assert fmt.money(351.21, "USD") == "$351"
    assert fmt.money(-50, "EUR") == "-€50"
    assert fmt.money(1200, "sek") == "1,200 SEK"
    assert fmt.money(1_640_000, compact=True) == "1.64M"
    assert fmt.money(None, "USD") == "–"


def test_percentages_and_points_have_fixed_decimals() -> None:
    """A share 0.1234 is 12.3%; a percent 72.456 is 72.5%; NPS 23.14 is +23.1 and 0 is +0.0."""
    assert fmt.pct(0.1234) == "12.3%"
    assert fmt.pct(0.5, 0) == "50%"
    assert fmt.percent(72.456) == "72.5%"
    assert fmt.points(23.14) == "+23.1"
    assert fmt.points(-0.01) == "+0.0"
    assert fmt.points(math.nan) == "–"


@pytest.mark.parametrize(("hours", "expected"), [
    (68 / 3600, "1 min 8 s"),   # 68 s = 1 min 8 s
    (30 / 3600, "30 s"),
    (0.5, "30 min"),
    (4.21, "4.2 h"),
    (74.4, "3.1 d"),            # 74.4 / 24 = 3.1
    (None, "–"),
])
def test_duration_picks_the_unit_that_reads(hours: float | None, expected: str) -> None:
    """Seconds under a minute, minutes under an hour, hours under two days, then days."""
    assert fmt.duration(hours) == expected


def test_cell_turns_missing_into_a_dash_only() -> None:
    """None, NaN, NA and NaT show as "–"; 0 and text are left alone (0 is a value, not unknown)."""
    assert [fmt.cell(v) for v in (None, math.nan, pd.NA, pd.NaT, 0, "x")] == ["–", "–", "–", "–", 0, "x"]


@pytest.mark.parametrize(
    ("unit", "value", "currency", "expected"),
    [
        ("pts", 23.14, None, "+23.1"), ("pts", -0.04, None, "+0.0"),  # -0.04 rounds to 0: no "-0.0"
        ("%", 7.25, None, "7.2%"), ("%", 100, None, "100.0%"),
        ("h", 4.21, None, "4.2 h"), ("h", 0.5, None, "30 min"), ("h", 74.4, None, "3.1 d"),  # 74.4 / 24 = 3.1
        ("money", 155_290.81, "EUR", "€155k"), ("money", 1_640_000, None, "1.64M"), ("money", 9_400, "SEK", "9,400 SEK"),
        ("accounts", 1234, None, "1,234"),
        ("pts", None, None, "–"), ("%", float("nan"), None, "–"), ("money", None, "EUR", "–"),
    ],
)
def test_kpi_tiles_format_each_unit_as_core_fmt_does(unit, value, currency, expected) -> None:
    """A tile and the report say what cs_logic.core.fmt says for the same kind: points signed, percent one
    decimal, hours as a duration (days from 48 h), money shortened with its currency, counts with separators."""
    from cs_logic.views import kpi

    assert kpi.fmt(value, unit, currency) == expected


def test_kpi_has_no_formatter_of_its_own(monkeypatch) -> None:
    """Every unit goes through cs_logic.core.fmt (one formatting module): replacing fmt's functions changes the
    tile's text, so no copy of them is left in kpi."""
    from cs_logic.views import kpi

    for name in ("points", "percent", "duration", "money", "count"):
        monkeypatch.setattr(fmt, name, lambda *a, _name=name, **k: f"<{_name}>")
    shown = {unit: kpi.fmt(1.0, unit, "EUR") for unit in ("pts", "%", "h", "money", "accounts")}
    assert shown == {"pts": "<points>", "%": "<percent>", "h": "<duration>", "money": "<money>", "accounts": "<count>"}
    assert kpi.money(5.0, "EUR") == "<money>"
    assert not hasattr(kpi, "_SIGNS")


def test_a_money_tiles_change_and_target_carry_its_currency() -> None:
    """Revenue at risk 9,000 against 10,500 the period before: the change is -1,500, shown as -€1,500; against a
    target of 8,000 it is 1,000 worse (it was "1000.0 worse": the gap had neither separator nor currency)."""
    from cs_logic.views import kpi

    k = kpi.new_kpi("Revenue at risk", "money", (9000.0, 3), 10_500.0, target=8000.0, previous_period="Q1",
                    currency="EUR", lower=True)
    assert kpi.change_text(k) == "-€1,500 vs Q1"
    assert kpi.target_text(k) == "target €8,000: €1,000 worse"  # 9,000 - 8,000 over a lower-is-better target

"""Targets and benchmarks: a gap's sign follows its KPI's direction; the Targets page saves the settings."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cs_logic.core.settings import TARGET_KPIS, Settings, dumps, loads
from cs_logic.metrics.targets import (
    KPIS,
    benchmarks_with,
    benchmarks_without,
    check_benchmark,
    delta_text,
    format_value,
    gap_to_target,
    gaps_frame_rows,
    gaps_to_benchmarks,
)

ROOT = Path(__file__).resolve().parents[1]


def test_every_kpi_the_settings_file_knows_has_a_definition():
    assert tuple(KPIS) == TARGET_KPIS


@pytest.mark.parametrize(
    ("kpi", "value", "target", "difference", "ahead", "meets"),
    [
        ("nps", 23.0, 20.0, 3.0, 3.0, True),  # higher is better: 23 - 20 = +3, ahead
        ("nps", 15.0, 20.0, -5.0, -5.0, False),  # 15 - 20 = -5, behind
        ("nps", -10.0, -20.0, 10.0, 10.0, True),  # negative NPS still compares by difference
        ("csat", 78.0, 80.0, -2.0, -2.0, False),
        ("retention", 95.0, 90.0, 5.0, 5.0, True),
        ("churn", 3.0, 2.0, 1.0, -1.0, False),  # lower is better: 3% churn vs 2% target is 1 pt behind
        ("churn", 1.5, 2.0, -0.5, 0.5, True),  # 1.5% vs 2%: 0.5 pt ahead
        ("churn", 2.0, 2.0, 0.0, 0.0, True),  # exactly on target meets it
    ],
)
def test_gap_sign_follows_the_kpi_direction(kpi, value, target, difference, ahead, meets):
    gap = gap_to_target(kpi, value, Settings().with_target(kpi, target))
    assert (gap.difference, gap.ahead, gap.meets) == pytest.approx((difference, ahead, meets))
    assert gap.reference == "target"


@pytest.mark.parametrize("kpi", TARGET_KPIS)
def test_there_is_no_gap_without_a_target(kpi):
    assert gap_to_target(kpi, 10.0, Settings()) is None


def test_there_is_no_gap_without_a_value():
    assert gap_to_target("nps", None, Settings().with_target("nps", 20)) is None
    assert gaps_to_benchmarks("nps", None, benchmarks_with(Settings(), "nps", 30, "A")) == []


def test_benchmarks_are_compared_each_with_its_source_and_direction():
    """Churn 3% against benchmarks 2% (A) and 4% (B): 1 pt behind A, 1 pt ahead of B; NPS ones are ignored."""
    s = benchmarks_with(benchmarks_with(Settings(), "churn", 2, "A"), "churn", 4, "B")
    s = benchmarks_with(s, "nps", 30, "C")
    gaps = gaps_to_benchmarks("churn", 3.0, s)
    assert [(g.reference, g.ahead, g.meets) for g in gaps] == [("A", -1.0, False), ("B", 1.0, True)]


def test_a_benchmark_with_the_same_kpi_and_source_is_replaced_and_one_can_be_removed():
    s = benchmarks_with(benchmarks_with(Settings(), "nps", 30, "A"), "nps", 32, " A ")
    assert s.benchmarks == (("nps", 32.0, "A"),)
    assert benchmarks_without(s, 0).benchmarks == ()
    assert benchmarks_without(s, 5) == s


def test_targets_and_benchmarks_survive_the_settings_file():
    s = benchmarks_with(Settings().with_target("churn", 1.5), "churn", 2.1, "Competitor report, 2025")
    assert loads(dumps(s)) == s


def test_delta_text_is_value_minus_reference_with_what_it_is_compared_with():
    """NPS 23.14 against target 20: +3.14 -> '+3.1 pts'; churn 3.0% against benchmark 2.0%: '+1.0 pts'."""
    gap = gap_to_target("nps", 23.14, Settings().with_target("nps", 20))
    assert delta_text(gap) == "+3.1 pts vs target +20.0"
    bench = gaps_to_benchmarks("churn", 3.0, benchmarks_with(Settings(), "churn", 2.0, "A"))[0]
    assert delta_text(bench) == "+1.0 pts vs benchmark 2.0%"
    assert delta_text(None) is None


@pytest.mark.parametrize(("kpi", "value", "shown"), [("nps", 23.14, "+23.1"), ("nps", -5.0, "-5.0"),
                                                     ("churn", 2.75, "2.8%"), ("csat", None, "–")])
def test_format_value_signs_nps_and_shows_rates_as_percentages(kpi, value, shown):
    assert format_value(kpi, value) == shown


def test_comparison_rows_list_the_target_first_then_benchmarks():
    s = benchmarks_with(Settings().with_target("churn", 2.0), "churn", 3.5, "Industry")
    rows = gaps_frame_rows("churn", 3.0, s)
    assert [(r["compared with"], r["gap"], r["status"]) for r in rows] == [
        ("Target", "+1.0 pts", "behind"), ("Benchmark: Industry", "-0.5 pts", "ahead")]


@pytest.mark.parametrize(
    ("kpi", "value", "source", "n_problems"),
    [("nps", 30, "Industry", 0), ("nps", -101, "Industry", 1), ("churn", -1, "x", 1), ("churn", 2, "  ", 1),
     ("csat", None, "", 2), ("mood", 1, "x", 1)],
)
def test_a_benchmark_needs_a_figure_in_range_and_a_source(kpi, value, source, n_problems):
    assert len(check_benchmark(kpi, value, source)) == n_problems


# ------------------------------------------------------------------------------------------ the page


def test_targets_page_runs_on_empty_state_and_offers_the_demo():
    at = AppTest.from_file(str(ROOT / "pages" / "targets.py"), default_timeout=30).run()
    assert not at.exception
    assert "Load demo data" in [b.label for b in at.button]


def test_setting_a_target_saves_it_in_the_settings_and_clearing_removes_it():
    at = AppTest.from_file(str(ROOT / "pages" / "targets.py"), default_timeout=30).run()
    at.number_input(key="targets_churn").set_value(2.5).run()
    assert at.session_state["settings"].target("churn") == 2.5
    at.number_input(key="targets_churn").set_value(None).run()
    assert at.session_state["settings"].target("churn") is None
    assert not at.exception


def test_adding_a_benchmark_needs_a_source():
    at = AppTest.from_file(str(ROOT / "pages" / "targets.py"), default_timeout=30).run()
    at.selectbox(key="targets_new_kpi").set_value("nps")
    at.number_input(key="targets_new_value").set_value(35)
    at.button(key="FormSubmitter:targets_add-Add benchmark").click().run()
    assert at.session_state["settings"].benchmarks == ()
    assert at.error
    at.text_input(key="targets_new_source").input("Industry report 2025")
    at.button(key="FormSubmitter:targets_add-Add benchmark").click().run()
    assert at.session_state["settings"].benchmarks == (("nps", 35.0, "Industry report 2025"),)
    assert not at.exception

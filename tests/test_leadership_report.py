"""The leadership report (issue 17 items 1 and 5): one self-contained, script-free HTML file whose numbers are
the Overview's tiles, with a summary written from the numbers, targets, gaps and status colours, and the
portfolio's health over time; the headline tiles are one registry (issue 15)."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from pathlib import Path

import pandas as pd
import pytest

from cs_logic.__main__ import main
from cs_logic.core.settings import TARGET_KPIS, Settings, dumps, loads
from cs_logic.metrics.targets import KPIS
from cs_logic.read.currency import currency_of
from cs_logic.read.workspace import combine, load_file
from cs_logic.scoring import portfolio
from cs_logic.views import kpi
from cs_logic.views import overview as ov

ROOT = Path(__file__).resolve().parents[1]
DEMO = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")
AS_OF = dt.date(2026, 10, 31)
TARGETS = Settings().with_target("nps", 30).with_target("churn", 2).with_target("first_response", 5)


def kpi_rows(page: str) -> dict[str, dict[str, str]]:
    """The report's KPI table as {KPI: {column: cell text, "<column>@": data-value}} (read back from the HTML)."""
    table = re.search(r'<table class="kpis">(.*?)</table>', page, re.DOTALL)
    assert table, "the report has no KPI table"
    heads = [html_lib.unescape(h) for h in re.findall(r"<th>(.*?)</th>", table.group(1))]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1).split("</thead>")[1], re.DOTALL):
        cells = re.findall(r'<td([^>]*)>(.*?)</td>', row)
        record = {}
        for head, (attrs, text) in zip(heads, cells, strict=True):
            record[head] = html_lib.unescape(text)
            if m := re.search(r'data-value="([^"]+)"', attrs):
                record[head + "@"] = m.group(1)
            if head == "Status":
                record["class"] = attrs
        rows[record["KPI"]] = record
    return rows


def load(paths: list[Path]) -> list:
    return [load_file(p.name, p.read_bytes()) for p in paths]


def build(files: list, as_of: dt.date, settings: Settings | None = None) -> ov.Overview:
    tables, _ = combine(files)
    return ov.build(tables, as_of, settings or Settings(), files_mappings=[(f.name, f.table, dict(f.mapping)) for f in files],
                    notes=[n for f in files for n in (f.prepared.notes if f.prepared else ())])


@pytest.fixture(scope="module")
def demo_files() -> list:
    return load([ROOT / "data" / name for name in DEMO])


@pytest.fixture(scope="module")
def demo(demo_files) -> ov.Overview:
    return build(demo_files, AS_OF, TARGETS)


# ------------------------------------------------------------------------------ one self-contained file


def test_report_has_no_script_no_chart_json_and_every_chart_is_inline_svg(demo):
    page = demo.html
    assert "<script" not in page.casefold()
    assert not re.search(r"\$schema|vega-lite|\"mark\"\s*:|\"encoding\"\s*:", page, re.IGNORECASE)
    figures = re.findall(r"<figure>(.*?)</figure>", page, re.DOTALL)
    assert len(figures) == 3  # health over time, NPS by quarter, detractor themes
    assert all(f.startswith("<svg") for f in figures)


def test_charts_are_drawn_at_page_width_not_a_thumbnail(demo):
    """Issue 17 found charts about 100 px wide: each SVG is now drawn at least 500 px wide."""
    widths = [int(w) for w in re.findall(r'<figure><svg[^>]*?width="(\d+)"', demo.html)]
    assert widths and min(widths) >= 500


def test_report_prints_on_the_readers_paper_a4_or_letter_portrait(demo):
    """No fixed page size (A4 and Letter both), margins set, and print rules that keep figures whole."""
    css = re.search(r"<style>(.*?)</style>", demo.html, re.DOTALL).group(1)
    page = re.search(r"@page\s*{([^}]*)}", css).group(1)
    assert "size: auto" in page and "margin" in page
    assert "landscape" not in css and "@media print" in css and "break-inside: avoid" in css


# ------------------------------------------------------------------------------ numbers = the tiles


def test_report_kpi_table_is_the_overview_tiles_on_the_demo(demo):
    """Every tile appears once with the value it shows on the page (kpi.shown) and its exact value."""
    rows = kpi_rows(demo.html)
    assert list(rows) == [k.name for k in demo.kpis]
    for k in demo.kpis:
        assert rows[k.name]["Value"] == kpi.shown(k)
        assert float(rows[k.name]["Value@"]) == pytest.approx(k.value)


def test_target_and_gap_are_filled_where_a_target_is_set_and_dashes_otherwise(demo):
    """Targets: NPS 30, churn 2%, first response 5 h; none for the other tiles."""
    rows = kpi_rows(demo.html)
    for k in demo.kpis:
        if k.key in ("nps", "churn", "first_response"):
            assert rows[k.name]["Target"] == kpi.fmt(k.target, k.unit) and rows[k.name]["Gap to target"] != "–"
            assert float(rows[k.name]["Gap to target@"]) == pytest.approx(k.value - k.target)
        else:
            assert rows[k.name]["Target"] == "–" and rows[k.name]["Gap to target"] == "–"
            assert rows[k.name]["Status"] == "–" and "no-target" in rows[k.name]["class"]


def test_status_colour_follows_the_gap_sign_and_the_direction(demo):
    """Demo, as of 31 Oct 2026: NPS +31.8 vs target +30 (higher is better): ahead, green. Logo churn 2.8% vs
    2% (lower is better): behind, red. First response 4.4 h vs 5 h (lower is better): ahead, green."""
    rows = kpi_rows(demo.html)
    assert (rows["NPS"]["Status"], rows["Logo churn"]["Status"], rows["Median first response"]["Status"]) == (
        "ahead", "behind", "ahead")
    assert "ahead" in rows["NPS"]["class"] and "behind" in rows["Logo churn"]["class"]
    css = re.search(r"<style>(.*?)</style>", demo.html, re.DOTALL).group(1)
    assert re.search(r"td\.ahead\s*{[^}]*background", css) and re.search(r"td\.behind\s*{[^}]*background", css)


@pytest.mark.parametrize(("value", "target", "lower", "expected"), [
    (31.8, 30.0, False, "ahead"),   # +1.8 and higher is better
    (28.0, 30.0, False, "behind"),  # -2.0
    (2.8, 2.0, True, "behind"),     # +0.8 and lower is better
    (1.5, 2.0, True, "ahead"),      # -0.5
    (2.04, 2.0, True, "on target"),  # +0.04 rounds to 0.0
    (2.0, None, True, None),        # no target, no colour
])
def test_status_is_the_gap_read_with_the_kpis_direction(value, target, lower, expected):
    assert kpi.status(kpi.new_kpi("x", "%", (value, 100), None, lower=lower, target=target)) == expected


@pytest.fixture(scope="module")
def public_reports(shared_data) -> dict[str, ov.Overview]:
    """The public exports a manager would report on, as uploaded: accounts with only a churn flag and no
    date (telco, as of a chosen day), a survey, SaaS accounts with subscriptions, tickets and usage, a CRM."""
    sets = {"telco": (["telco_churn/Telco-Customer-Churn.csv"], dt.date(2024, 12, 31)),
            "nps": (["nps_verbatims/nps_verbatims.csv"], dt.date(2018, 6, 20)),
            "saas": ([f"saas_usage/ravenstack_{n}.csv" for n in ("accounts", "subscriptions", "support_tickets",
                                                                  "feature_usage")], dt.date(2024, 12, 31)),
            "crm": (["maven_crm_sales_opportunities/sales_pipeline.csv",
                     "maven_crm_sales_opportunities/accounts.csv"], dt.date(2017, 12, 31))}
    return {name: build(load([shared_data / p for p in paths]), day) for name, (paths, day) in sets.items()}


def test_report_numbers_are_the_tiles_on_the_public_exports(public_reports):
    for name, view in public_reports.items():
        assert view.kpis, name
        rows = kpi_rows(view.html)
        assert list(rows) == [k.name for k in view.kpis], name
        for k in view.kpis:
            assert rows[k.name]["Value"] == kpi.shown(k), (name, k.name)
            if k.value is None:  # unknown is "–" with the reason in the summary, never 0
                assert rows[k.name]["Value"] == "–" and k.reason and html_lib.escape(k.reason) in view.html
        assert "<script" not in view.html.casefold()


def test_telco_share_churned_matches_pandas_on_the_raw_file(public_reports, shared_data):
    """Telco: 1,869 of 7,043 customers have Churn = Yes -> 26.5% (pandas on the raw file)."""
    raw = pd.read_csv(shared_data / "telco_churn" / "Telco-Customer-Churn.csv")
    share = 100 * (raw["Churn"] == "Yes").sum() / len(raw)
    tile = {k.key: k for k in public_reports["telco"].kpis}["churn_share"]
    assert tile.value == pytest.approx(share)
    assert kpi_rows(public_reports["telco"].html)["Share of accounts churned"]["Value"] == f"{share:.1f}%"


def test_money_shows_no_currency_unless_the_data_or_settings_name_one(public_reports, demo_files):
    """SaaS MRR has no currency anywhere: revenue at risk shows no "$". With the settings' EUR it shows "€"."""
    risk = {k.key: k for k in public_reports["saas"].kpis}["revenue_at_risk"]
    assert risk.currency is None and "$" not in kpi_rows(public_reports["saas"].html)["Revenue at risk"]["Value"]
    view = build(demo_files, AS_OF, Settings(currency="EUR"))
    row = kpi_rows(view.html)["Revenue at risk"]
    assert row["Value"].startswith("€") and row["Value"] == kpi.shown({k.key: k for k in view.kpis}["revenue_at_risk"])


@pytest.mark.parametrize(("setting", "tables", "mappings", "notes", "expected"), [
    ("SEK", {}, [], ["revenue: currency signs removed (€)"], "SEK"),  # the manager's word wins
    (None, {"accounts": pd.DataFrame({"Currency": ["gbp", "GBP"]})}, [], [], "GBP"),
    (None, {"accounts": pd.DataFrame({"Currency": ["GBP", "EUR"]})}, [], [], None),  # two currencies: none
    (None, {}, [("crm.csv", "accounts", {"revenue": "ARR (USD)"})], [], "USD"),
    (None, {}, [("crm.csv", "accounts", {"account_name": "Name USD"})], [], None),  # not an amount column
    (None, {}, [], ["revenue: currency signs removed ($)"], "$"),
    (None, {}, [], ["amount: currency signs removed (mixed currencies, not converted: $, €)"], None),
    (None, {}, [], [], None),
])
def test_currency_comes_from_settings_then_the_data_and_is_never_assumed(setting, tables, mappings, notes, expected):
    assert currency_of(setting, tables, mappings, notes).code == expected


def test_currency_setting_survives_the_settings_file_and_old_files_read_without_it():
    s = Settings(currency="EUR").with_target("revenue_at_risk", 50_000)
    assert loads(dumps(s)) == s
    assert "currency" not in dumps(Settings())
    assert loads('{"targets": {"nps": 30}}').currency is None


# ------------------------------------------------------------------------------ the executive summary


def _surveys(q1: list[int], q2: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(["2024-02-01"] * len(q1) + ["2024-05-01"] * len(q2)),
                         "nps": q1 + q2})


def test_summary_calls_a_change_beyond_the_margin_of_error_so():
    """Q1: 50 answers of 10 and 50 of 0 -> NPS 0, se = sqrt((.5 + .5 - 0^2)/100) = 0.1 -> 10 pts.
    Q2: 100 answers of 10 -> NPS +100, se 0. Margin of the change = 1.96 * sqrt(10^2 + 0^2) = 19.6 pts;
    the change +100 is beyond it."""
    k = ov.headline({"surveys": _surveys([10] * 50 + [0] * 50, [10] * 100)}, dt.date(2024, 6, 30), Settings())[0]
    assert k.moe == pytest.approx(19.6)
    summary = ov.executive_summary([k], pd.DataFrame(), pd.DataFrame())
    assert summary[0].startswith("Beyond the margin of error: NPS (up 100.0 pts)")
    assert "up 100.0 pts from +0.0 in 2024 Q1, beyond the margin of error (±19.6 pts)" in summary[1]


def test_summary_calls_a_change_within_the_margin_of_error_so():
    """Q1 NPS 0 (se 10 pts, as above); Q2: 55 of 10 and 45 of 0 -> NPS +10,
    se = sqrt((.55 + .45 - .1^2)/100) = sqrt(.0099) = 9.95 pts. Margin = 1.96 * sqrt(10^2 + 9.95^2) = 27.6 pts:
    the change of +10 is within it, and the lead sentence names no change."""
    k = ov.headline({"surveys": _surveys([10] * 50 + [0] * 50, [10] * 55 + [0] * 45)}, dt.date(2024, 6, 30),
                    Settings().with_target("nps", 20))[0]
    assert k.delta == pytest.approx(10.0) and k.moe == pytest.approx(27.65, abs=0.01)
    summary = ov.executive_summary([k], pd.DataFrame(), pd.DataFrame())
    assert summary[0] == "Beyond the margin of error: no change. Behind target: NPS (+10.0 against +20.0)."
    assert "within the margin of error (±27.6 pts)" in summary[1] and "behind target (+20.0) by 10.0 pts" in summary[1]


def test_summary_never_calls_a_small_period_a_change():
    """Q1 has 10 answers (< 30): the NPS trend's rule says no significant change, so no margin is given."""
    k = ov.headline({"surveys": _surveys([0] * 10, [10] * 100)}, dt.date(2024, 6, 30), Settings())[0]
    assert k.moe is None and "fewer than 30 answers" in kpi.summary_sentence(k)
    assert ov.executive_summary([k], pd.DataFrame(), pd.DataFrame())[0].startswith("Beyond the margin of error: no")


def test_demo_summary_names_who_is_at_risk_and_what_detractors_say(demo):
    bullets = [html_lib.unescape(b) for b in re.findall(r"<li dir=\"auto\">(.*?)</li>", demo.html)]
    risk = next(b for b in bullets if "are in the red" in b)
    top = demo.risks.iloc[0]
    assert f"{top['account_name']} (rep {top['owner']}" in risk
    red = {k.key: k for k in demo.kpis}["red_accounts"]
    assert risk.startswith(f"{red.value:,.0f} ")
    assert any(b.startswith("What detractors say") and f"“{demo.themes['term'][0]}”" in b for b in bullets)


# ------------------------------------------------------------------------------ the command line


def test_cli_report_writes_the_same_html_as_the_overview_build(demo_files, tmp_path):
    settings_file = tmp_path / "s.json"
    settings_file.write_text(dumps(TARGETS), encoding="utf-8")
    out = tmp_path / "report.html"
    code = main(["report", *[str(ROOT / "data" / n) for n in DEMO], "--settings", str(settings_file),
                 "--as-of", AS_OF.isoformat(), "-o", str(out)])
    assert code == 0
    assert out.read_text(encoding="utf-8") == build(demo_files, AS_OF, TARGETS).html


def test_cli_report_exits_2_with_a_reason_when_there_is_no_date(shared_data, tmp_path, capsys):
    """Telco has no date: the as-of day is unknown, never today, so the report needs --as-of."""
    out = tmp_path / "r.html"
    assert main(["report", str(shared_data / "telco_churn" / "Telco-Customer-Churn.csv"), "-o", str(out)]) == 2
    assert "as-of" in capsys.readouterr().err and not out.exists()


# ------------------------------------------------------------------------------ the registry


def test_every_headline_tile_is_one_registry_entry_with_a_builder_and_a_target_key():
    assert tuple(t.target_key for t in ov.TILES) == tuple(KPIS) == TARGET_KPIS
    for tile in ov.TILES:
        assert tile.name and tile.unit in kpi.UNITS and tile.needs and callable(tile.build)


def test_every_demo_tile_takes_its_target_from_the_settings_by_its_key(demo_files):
    tables, _ = combine(demo_files)
    settings = Settings()
    for key, value in zip(TARGET_KPIS, range(1, len(TARGET_KPIS) + 1), strict=True):
        settings = settings.with_target(key, float(value))
    for k in ov.headline(tables, AS_OF, settings):
        assert k.target == settings.target(k.key) and k.name == KPIS[k.key].tile
        assert k.lower_is_better == KPIS[k.key].lower_is_better


# ------------------------------------------------------------------------------ health over time


def test_health_over_time_averages_active_accounts_per_month():
    """Jan: A 40 (red), B 80 (green), C 70 (yellow) -> mean (40+80+70)/3 = 63.3, one third each band.
    Feb: B churned on 10 Feb, so only A 60 (yellow) and C 90 (green) -> mean 75, red 0, yellow .5, green .5.
    Mar: A churned too and C has no score -> no active account scored: blanks, not 0."""
    history = pd.DataFrame({
        "account_id": ["A", "B", "C"] * 3,
        "month": pd.to_datetime(["2024-01-31"] * 3 + ["2024-02-29"] * 3 + ["2024-03-31"] * 3),
        "health_score": [40.0, 80.0, 70.0, 60.0, 85.0, 90.0, 65.0, 70.0, None],
        "health_band": ["red", "green", "yellow", "yellow", "green", "green", "yellow", "green", None]})
    frame = pd.DataFrame({"end_date": pd.to_datetime([ "2024-03-05", "2024-02-10", None])},
                         index=pd.Index(["A", "B", "C"], name="account_id"))
    trend = portfolio.health_over_time(history, frame)
    assert trend["accounts"].tolist() == [3, 2, 0]
    assert trend["mean_score"].iloc[0] == pytest.approx(190 / 3) and trend["mean_score"].iloc[1] == 75
    assert trend.loc[1, ["red_share", "yellow_share", "green_share"]].tolist() == [0, 0.5, 0.5]
    assert trend.iloc[2][["mean_score", "red_share"]].isna().all()


def test_demo_health_trend_ends_on_the_red_tile(demo):
    """The last month's (31 Oct 2026 = the as-of day) active scored accounts and red share are the tile's."""
    last = demo.trend.iloc[-1]
    red = {k.key: k for k in demo.kpis}["red_accounts"]
    assert last["accounts"] == red.n and round(last["red_share"] * last["accounts"]) == red.value
    assert "Health over time" in demo.charts and "Portfolio health" in demo.html

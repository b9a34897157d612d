"""The leadership overview: headline KPIs with trend and target, top risks, top themes, and the report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from cs_logic.core.settings import Settings
from cs_logic.metrics import feedback, funnel, nps, retention, support
from cs_logic.output import report
from cs_logic.read.workspace import rows_with
from cs_logic.scoring import health, portfolio
from cs_logic.views.kpi import Kpi, kpi_table, new_kpi, sentence

# METRICS.md's formulas, quoted: the report's appendix and the tiles' help text use these words.
DEFINITIONS: dict[str, str] = {
    "NPS": "Valid answers are whole numbers 0-10 (blanks, text and out-of-range values are not answers). "
           "Promoters 9-10, passives 7-8, detractors 0-6. NPS = 100 * (promoters - detractors) / valid answers.",
    "CSAT %": "On a 1-5 scale: share of answers that are 4 or 5 (top-2-box), times 100.",
    "Logo churn rate": "Accounts that churned in the period / accounts active at its start (accounts that "
                       "joined during the period are not in the denominator).",
    "Customer retention rate": "(accounts at end - new accounts in period) / accounts at start.",
    "Median first response": "Duration from ticket creation to first response; the median, in hours, over "
                             "tickets that have the timestamp.",
    "Win rate": "won / (won + lost), closed deals only.",
    "Health score": "Score = sum(weight_i * points_i) / sum(weight_i) over the measures present. Bands: red "
                    "when score < red_below; green when score >= green_from; otherwise yellow.",
    "Revenue at risk": "The revenue figure of active accounts in the red band.",
    "Top themes": "Words that set detractors' comments apart from promoters': log-odds ratio with an "
                  "informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), z > 0 leans to detractors.",
    "Periods": "NPS, CSAT, first response and win rate: the quarter containing the as-of date (to date) "
               "against the whole quarter before. Churn: the last complete month against the month before; "
               "retention: the last complete quarter against the one before (as the targets define them).",
}
# Column headers of the report's tables (the CSV and XLSX downloads keep the plain names).
LABELS = {"kpi": "KPI", "period": "Period", "value": "Value", "previous_period": "Previous period",
          "previous": "Previous", "change": "Change", "target": "Target", "gap_to_target": "Gap to target",
          "lower_is_better": "Lower is better", "account_id": "Account id", "account_name": "Account",
          "owner": "Rep", "revenue": "Revenue", "health_score": "Health score", "weakest_measure": "Weakest measure",
          "term": "Word", "detractors_pct": "% of detractors' comments", "promoters_pct": "% of promoters' comments",
          "mentions": "Mentions by detractors", "z": "z", "example": "Example comment"}


def _quarters(as_of: dt.date) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, str, str]:
    """Start of this quarter, start of the previous one, the as-of day, and their names."""
    day = pd.Timestamp(as_of).normalize()
    q = day.to_period("Q")
    partial = day != q.end_time.normalize()
    return (q.start_time, (q - 1).start_time, day, f"{q.year} Q{q.quarter}" + (" to date" if partial else ""),
            f"{(q - 1).year} Q{(q - 1).quarter}")


def _split(frame: pd.DataFrame, col: str, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows dated in this quarter up to ``as_of``, and rows of the whole quarter before."""
    start, prev_start, day = _quarters(as_of)[:3]
    when = pd.to_datetime(frame[col], errors="coerce").dt.normalize()
    return frame[(when >= start) & (when <= day)], frame[(when >= prev_start) & (when < start)]


def _nps_kpi(surveys: pd.DataFrame, as_of: dt.date, settings: Settings) -> Kpi:
    surveys = rows_with(surveys, "nps")
    _, _, _, period, prev = _quarters(as_of)
    if "date" not in surveys.columns:
        r = nps.nps(surveys["nps"])
        return new_kpi("NPS", "pts", (r.nps, r.n), None, target=settings.target("nps"),
                    note="All answers (the surveys have no date). " + DEFINITIONS["NPS"], period="all answers")
    now, before = (nps.nps(f["nps"]) for f in _split(surveys, "date", as_of))
    small = f" Fewer than {nps.SMALL_SAMPLE} answers: read with care." if now.small_sample else ""
    return new_kpi("NPS", "pts", (now.nps, now.n), before.nps, target=settings.target("nps"), period=period,
                previous_period=prev, note=f"{period}: n = {now.n:,} valid answers; {prev}: n = {before.n:,}."
                + small + " " + DEFINITIONS["NPS"])


def _csat_kpi(tables: Mapping[str, pd.DataFrame], as_of: dt.date, settings: Settings) -> Kpi | None:
    for name, date_col in (("surveys", "date"), ("tickets", "created_at")):
        frame = tables.get(name)
        if frame is None or "csat" not in frame.columns or not frame["csat"].notna().any():
            continue
        frame = rows_with(frame, "csat")
        _, _, _, period, prev = _quarters(as_of)
        if date_col not in frame.columns:
            r = feedback.csat(frame["csat"])
            return new_kpi("CSAT %", "%", (r.csat, r.n), None, target=settings.target("csat"), period="all answers",
                        note=f"All {name} answers (no dates). " + DEFINITIONS["CSAT %"])
        now, before = (feedback.csat(f["csat"]) for f in _split(frame, date_col, as_of))
        return new_kpi("CSAT %", "%", (now.csat, now.n), before.csat, target=settings.target("csat"), period=period,
                    previous_period=prev, note=f"From {name}. {period}: n = {now.n:,}; {prev}: n = {before.n:,}. "
                    + DEFINITIONS["CSAT %"])
    return None


def _churn_kpis(accounts: pd.DataFrame, as_of: dt.date, settings: Settings) -> list[Kpi]:
    if not ({"start_date", "end_date"} <= set(accounts.columns) and accounts["start_date"].notna().any()):
        if "churned" not in accounts.columns:
            return []
        share = retention.churn_share(accounts.drop(columns="end_date", errors="ignore"))
        value = None if share.value is None else 100 * share.value
        return [new_kpi("Share of accounts churned", "%", (value, share.denominator), None, lower=True,
                     period="all time", note="The export has a churn flag but no dates, so no rate per period: "
                     "churned / all accounts.")]
    out = []
    for freq, name, col, lower, key in (("M", "Logo churn", "logo_churn_rate", True, "churn"),
                                        ("Q", "Customer retention", "customer_retention_rate", False, "retention")):
        table = retention.logo_churn(accounts, as_of, freq)
        done = table[table["complete"].astype(bool) & (table["active_start"] > 0)]
        if done.empty:
            continue
        last = done.iloc[-1]
        before = done.iloc[-2] if len(done) > 1 else None
        names = [_period_name(r["period"], freq) if r is not None else "" for r in (last, before)]
        out.append(new_kpi(name, "%", (100 * float(last[col]), int(last["active_start"])),
                        None if before is None else 100 * float(before[col]), lower=lower,
                        target=settings.target(key), period=names[0], previous_period=names[1],
                        note=f"{names[0]}: {int(last['churned']):,} of {int(last['active_start']):,} accounts active "
                        f"at the start churned, {int(last['new']):,} joined. "
                        + DEFINITIONS["Logo churn rate" if key == "churn" else "Customer retention rate"]))
    return out


def _period_name(start: pd.Timestamp, freq: str) -> str:
    return f"{start.year} Q{start.quarter}" if freq == "Q" else start.strftime("%b %Y")


def _response_kpi(tickets: pd.DataFrame, as_of: dt.date) -> Kpi | None:
    hours = support.ticket_durations(tickets).first_response_hours
    if hours.isna().all() or "created_at" not in tickets.columns:
        return None
    _, _, _, period, prev = _quarters(as_of)
    now, before = (hours.loc[f.index].dropna() for f in _split(tickets, "created_at", as_of))
    med = [float(h.median()) if len(h) else None for h in (now, before)]
    return new_kpi("Median first response", "h", (med[0], len(now)), med[1], lower=True, period=period,
                previous_period=prev, note=f"Tickets created in {period}: {len(now):,} with a first response; "
                f"{prev}: {len(before):,}. " + DEFINITIONS["Median first response"])


def _win_kpi(deals: pd.DataFrame, as_of: dt.date) -> Kpi | None:
    if "stage" not in deals.columns or "close_date" not in deals.columns:
        return None
    order = funnel.stage_order(deals)
    _, _, _, period, prev = _quarters(as_of)
    counts = [funnel.outcome_counts(f, order) for f in _split(deals, "close_date", as_of)]
    rates = [funnel.win_rate(c) for c in counts]
    closed = counts[0]["won"] + counts[0]["lost"]
    return new_kpi("Win rate", "%", (None if rates[0] is None else 100 * rates[0], closed),
                None if rates[1] is None else 100 * rates[1], period=period, previous_period=prev,
                note=f"Deals closed in {period}: {closed:,}. " + DEFINITIONS["Win rate"])


def _health_kpis(scores: pd.DataFrame, accounts: pd.DataFrame, as_of: dt.date,
                 subscriptions: pd.DataFrame | None = None) -> list[Kpi]:
    """Accounts in the red and revenue at risk, over active accounts; unknown (with the reason) when
    nothing is scored or no table has a revenue figure (revenue then comes from subscriptions' MRR)."""
    frame = _by_id(accounts)
    revenue = portfolio.revenue_basis(frame, subscriptions, as_of)
    k = portfolio.kpis(scores[scores.index.isin(frame.index)], frame, as_of, revenue=revenue)
    red = new_kpi("Accounts in the red", "accounts", (float(k.red) if k.scored else None, k.scored), None,
                  lower=True, period=f"of {k.scored:,} active accounts scored", reason=k.red_reason,
                  note=f"{k.red:,} of {k.scored:,} scored active accounts ("
                  + ("–" if k.red_share is None else f"{100 * k.red_share:.0f}%") + ") are red. "
                  + DEFINITIONS["Health score"])
    source = f" Revenue: {k.revenue_source}." if k.revenue_source else ""
    risk = new_kpi("Revenue at risk", "money", (k.revenue_at_risk, k.revenue_n), None, lower=True,
                   period=f"revenue of the {k.red:,} red active accounts", reason=k.revenue_reason,
                   note=DEFINITIONS["Revenue at risk"] + f" {k.revenue_n:,} red accounts have a revenue figure."
                   + source)
    return [red, risk]


def _by_id(accounts: pd.DataFrame) -> pd.DataFrame:
    acc = accounts[accounts["account_id"].notna()].copy()
    acc["account_id"] = acc["account_id"].astype(str)
    return acc.drop_duplicates("account_id").set_index("account_id")


# ---------------------------------------------------------------- health scores and the headline


def settings_scorecard(settings: Settings) -> health.Scorecard | None:
    """The settings file's scorecard, or None when it has none or it cannot be used (the starting one applies).

    >>> settings_scorecard(Settings()) is None
    True
    """
    if not settings.scorecard:
        return None
    try:
        return health.load_scorecard(settings.scorecard)
    except ValueError:
        return None


def scores_frame(scores: pd.DataFrame, bands: health.Bands | None = None) -> pd.DataFrame:
    """Scores as another page left them (account_id as index or column), with a band where it lacks one.

    >>> scores_frame(pd.DataFrame({"account_id": ["A"], "health_score": [40.0]}))["health_band"].tolist()
    ['red']
    """
    out = scores.set_index("account_id") if "account_id" in scores.columns else scores.copy()
    out.index = out.index.astype(str)
    out.index.name = "account_id"
    if "health_band" not in out.columns:
        b = bands or health.Bands()
        s = out["health_score"]
        out["health_band"] = [None if pd.isna(v) else "red" if v < b.red_below else "green" if v >= b.green_from
                              else "yellow" for v in s]
    return out


def headline(tables: Mapping[str, pd.DataFrame], as_of: dt.date, settings: Settings,
             scores: pd.DataFrame | None = None) -> list[Kpi]:
    """The headline KPI of every view the tables allow, each with its previous period and target gap.

    Order: NPS, CSAT %, logo churn, customer retention, median first response, win rate, accounts in
    the red, revenue at risk. Without ``scores`` the accounts are scored here (``portfolio.score_tables``).

    >>> s = pd.DataFrame({"date": pd.to_datetime(["2024-04-02", "2024-01-05"]), "nps": [10, 7]})
    >>> k = headline({"surveys": s}, dt.date(2024, 4, 30), Settings())[0]
    >>> (k.value, k.previous, k.delta)
    (100.0, 0.0, 100.0)
    """
    out: list[Kpi | None] = []
    surveys, accounts = tables.get("surveys"), tables.get("accounts")
    if surveys is not None and "nps" in surveys.columns:
        out.append(_nps_kpi(surveys, as_of, settings))
    out.append(_csat_kpi(tables, as_of, settings))
    if accounts is not None:
        out += _churn_kpis(accounts, as_of, settings)
    if "tickets" in tables:
        out.append(_response_kpi(tables["tickets"], as_of))
    if "deals" in tables:
        out.append(_win_kpi(tables["deals"], as_of))
    if accounts is not None and "account_id" in accounts.columns and len(accounts):
        scored = scores_frame(scores) if scores is not None else portfolio.score_tables(
            tables, as_of, settings_scorecard(settings)).scored
        out += _health_kpis(scored, accounts, as_of, tables.get("subscriptions"))
    return [k for k in out if k is not None]


# ---------------------------------------------------------------- risks and themes


def top_risks(scores: pd.DataFrame, accounts: pd.DataFrame, as_of: dt.date, n: int = 5) -> pd.DataFrame:
    """The red accounts still active on ``as_of``, largest revenue first (lowest score first without revenue).

    Columns: account_id, account_name, owner, revenue (those the accounts have), health_score,
    weakest_measure.

    >>> s = pd.DataFrame({"health_score": [10.0, 40.0, 90.0], "health_band": ["red", "red", "green"]},
    ...                  index=pd.Index(["A", "B", "C"], name="account_id"))
    >>> a = pd.DataFrame({"account_id": ["A", "B", "C"], "revenue": [100.0, 900.0, 5000.0]})
    >>> top_risks(s, a, dt.date(2024, 1, 1))["account_id"].tolist()
    ['B', 'A']
    """
    frame = _by_id(accounts)
    scored = scores_frame(scores)
    risks = portfolio.at_risk(scored[scored.index.isin(frame.index)], frame, "red", as_of=as_of)
    if risks["weakest_measure"].isna().all():
        risks = risks.drop(columns="weakest_measure")  # scores without their points (another page's)
    else:
        risks["weakest_measure"] = risks["weakest_measure"].str.replace("_", " ")
    if "revenue" in risks.columns:
        risks = risks.sort_values(["revenue", "health_score"], ascending=[False, True], kind="stable",
                                  na_position="last")
    risks = risks.drop(columns="health_band").head(n).reset_index(drop=True)
    return risks.assign(health_score=risks["health_score"].round(1))


def theme_terms(surveys: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """``feedback.distinctive_terms`` of detractors' comments (A) against promoters' (B), answers up to ``as_of``.

    >>> s = pd.DataFrame({"nps": [0, 1, 2, 10], "comment": ["slow support"] * 3 + ["great"]})
    >>> theme_terms(s)["term"].tolist()[:2]
    ['slow', 'support']
    """
    if "comment" not in surveys.columns or "nps" not in surveys.columns:
        return pd.DataFrame(columns=["term", "z", "log_odds", "count_a", "count_b", "share_a", "share_b", "examples"])
    if as_of is not None and "date" in surveys.columns:
        surveys = surveys[pd.to_datetime(surveys["date"]).dt.normalize() <= pd.Timestamp(as_of)]
    score = nps.valid_scores(surveys["nps"])
    return feedback.distinctive_terms(surveys["comment"][score <= 6], surveys["comment"][score >= 9])


def top_themes(surveys: pd.DataFrame, as_of: dt.date | None = None, n: int = 5) -> pd.DataFrame:
    """The ``n`` terms that most set detractors apart: term, detractors_pct, promoters_pct (share of each
    group's comments mentioning it), mentions (by detractors), z, example (a detractor's comment).

    >>> s = pd.DataFrame({"nps": [0, 1, 2, 10], "comment": ["slow support"] * 3 + ["great"]})
    >>> top_themes(s, n=1).values.tolist()
    [['slow', 100.0, 0.0, 3, 0.05, 'slow support']]
    """
    terms = theme_terms(surveys, as_of)
    top = terms[terms["z"] > 0].head(n)
    return pd.DataFrame({"term": top["term"], "detractors_pct": (100 * top["share_a"]).round(1),
                         "promoters_pct": (100 * top["share_b"]).round(1), "mentions": top["count_a"].astype(int),
                         "z": top["z"].round(2),
                         "example": [e[0] if len(e) else None for e in top["examples"]]}).reset_index(drop=True)


# ---------------------------------------------------------------- charts, report, methodology


def overview_charts(tables: Mapping[str, pd.DataFrame], as_of: dt.date,
                    scores: pd.DataFrame | None = None) -> dict[str, alt.TopLevelMixin]:
    """The charts the report embeds and the page offers as PNG/SVG, by title (those the data allows)."""
    from cs_logic.charts.feedback import distinctive_terms_chart
    from cs_logic.charts.health import band_distribution_chart
    from cs_logic.charts.loyalty import nps_trend_chart

    charts: dict[str, alt.TopLevelMixin] = {}
    surveys = tables.get("surveys")
    if surveys is not None and {"nps", "date"} <= set(surveys.columns):
        dated = surveys[pd.to_datetime(surveys["date"]).dt.normalize() <= pd.Timestamp(as_of)]
        # Every quarter, as the Loyalty page draws it: small ones greyed and never flagged (nps.change_is_significant).
        trend = nps.nps_trend(rows_with(dated, "nps"), freq="Q")
        if len(trend):
            charts["NPS by quarter"] = nps_trend_chart(trend, title="NPS by quarter (band: 95% interval; grey: "
                                                       f"under {nps.SMALL_SAMPLE} answers)")
        terms = theme_terms(surveys, as_of)
        if (terms["z"] > 0).any() and (terms["z"] < 0).any():
            charts["Detractor themes"] = distinctive_terms_chart(terms, top=10)
    accounts = tables.get("accounts")
    if scores is not None and len(scores) and accounts is not None and "account_id" in accounts.columns:
        frame = _by_id(accounts)
        scored = scores_frame(scores)
        scored = scored[scored.index.isin(frame.index)]
        active = portfolio.active_mask(frame, as_of).reindex(scored.index, fill_value=True)
        charts["Health bands"] = band_distribution_chart(scored[active.to_numpy(bool)])
    return charts


def report_sections(kpis: list[Kpi], risks: pd.DataFrame, themes: pd.DataFrame,
                    charts: Mapping[str, alt.TopLevelMixin]) -> list[report.Section]:
    """The report's sections: headline figures, NPS trend, top risks, top themes (each where there is data).

    >>> [s.heading for s in report_sections([], pd.DataFrame(), pd.DataFrame(), {})]
    ['Headline figures']
    """
    sections = [report.Section("Headline figures", [sentence(k) for k in kpis] or ["No figures: no data loaded."],
                               tables=[kpi_table(kpis).drop(columns="shown").rename(columns=LABELS)] if kpis else [])]
    if "NPS by quarter" in charts:
        sections.append(report.Section("NPS by quarter", [DEFINITIONS["NPS"] + f" Quarters with fewer than "
                                       f"{nps.SMALL_SAMPLE} answers are drawn grey and never marked as a significant "
                                       "change (the app's Loyalty page uses the same rule)."],
                                       charts=[charts["NPS by quarter"]]))
    if len(risks) or "Health bands" in charts:
        sections.append(report.Section(
            "Top risks", ["Red accounts still active, largest revenue first, with their weakest measure. "
                          + DEFINITIONS["Health score"]],
            charts=[charts["Health bands"]] if "Health bands" in charts else [], tables=[risks.rename(columns=LABELS)]))
    if len(themes):
        sections.append(report.Section(
            "Top themes", ["What detractors write about that promoters do not: share of each group's comments "
                           "that mention the word. " + DEFINITIONS["Top themes"]],
            charts=[charts["Detractor themes"]] if "Detractor themes" in charts else [],
            tables=[themes.rename(columns=LABELS)]))
    return sections


def methodology(settings: Settings, files_mappings: Iterable[tuple[str, str, Mapping[str, str]]],
                scorecard: health.Scorecard | None = None) -> dict[str, Any]:
    """The appendix's settings: the column mapping per file, the scorecard used, targets and benchmarks.

    ``files_mappings`` holds (file name, table, {canonical field: column in the file}) per loaded file.

    >>> m = methodology(Settings().with_target("nps", 30), [("crm.csv", "accounts", {"revenue": "MRR"})])
    >>> m["mapping"], m["targets"]
    ({'accounts (crm.csv)': {'revenue': 'MRR'}}, {'nps': 30.0})
    """
    import json

    mapping = {f"{table} ({name})": dict(cols) for name, table, cols in files_mappings}
    if scorecard is not None:
        sc: Any = health.scorecard_to_dict(scorecard)
    else:
        sc = json.loads(settings.scorecard) if settings.scorecard else None
    return {"mapping": mapping, "scorecard": sc, "targets": dict(settings.targets) or "none set",
            "benchmarks": [{"kpi": k, "value": v, "source": s} for k, v, s in settings.benchmarks] or "none entered"}


def report_html(kpis: list[Kpi], risks: pd.DataFrame, themes: pd.DataFrame,
                charts: Mapping[str, alt.TopLevelMixin], appendix: Mapping[str, Any], as_of: dt.date,
                title: str = "Customer success overview") -> str:
    """The whole self-contained report (``report.html_report``) with the definitions used."""
    return report.html_report(title, report_sections(kpis, risks, themes, charts), appendix, DEFINITIONS,
                              generated=f"As of {as_of.isoformat()}")


@dataclass(frozen=True, eq=False)
class Overview:
    """Everything the Overview page shows and exports, computed once per data, as-of date and settings."""

    kpis: list[Kpi]
    risks: pd.DataFrame
    themes: pd.DataFrame
    charts: dict[str, alt.TopLevelMixin]
    appendix: dict[str, Any]
    html: str
    scores_from: str


def build(tables: Mapping[str, pd.DataFrame], as_of: dt.date, settings: Settings,
          scored: portfolio.ScoredPortfolio | None = None,
          files_mappings: Iterable[tuple[str, str, Mapping[str, str]]] = ()) -> Overview:
    """The overview of ``tables`` with THE scored portfolio (the app passes its session's, as of ``as_of``).

    Without ``scored`` (a report built outside the app) the accounts are scored here with the
    settings' scorecard (``portfolio.score_tables``), else there are no health figures.

    >>> # build(store.tables, date(2026, 10, 31), Settings(), scored, [("accounts.csv", "accounts", {...})])
    """
    accounts = tables.get("accounts")
    files_mappings = list(files_mappings)
    if scored is None and accounts is not None and "account_id" in accounts.columns and len(accounts):
        mapping = {k: v for _, table, cols in files_mappings if table == "accounts" for k, v in cols.items()}
        scored = portfolio.score_tables(tables, as_of, settings_scorecard(settings), mapping)
    if scored is not None:
        scores, source = scored.scored, f"health scores from {scored.source}"
    else:
        scores, source = None, "no accounts table, so no health scores"
    kpis = headline(tables, as_of, settings, scores)
    risks = top_risks(scores, accounts, as_of) if scores is not None and accounts is not None else pd.DataFrame()
    surveys = tables.get("surveys")
    themes = top_themes(surveys, as_of) if surveys is not None else pd.DataFrame()
    charts = overview_charts(tables, as_of, scores)
    appendix = methodology(settings, files_mappings, None if scored is None else scored.scorecard)
    appendix["health scores"] = source
    html = report_html(kpis, risks, themes, charts, appendix, as_of)
    return Overview(kpis, risks, themes, charts, appendix, html, source)

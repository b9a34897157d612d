"""The leadership overview: headline KPIs with trend and target, top risks, top themes, and the report."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from cs_logic.core.labels import label
from cs_logic.core.membership import isin
from cs_logic.core.settings import Settings
from cs_logic.metrics import feedback, funnel, nps, retention, support, targets
from cs_logic.output import report
from cs_logic.read.currency import Currency, currency_of
from cs_logic.read.resident import Resident, iter_frames
from cs_logic.read.workspace import rows_with
from cs_logic.scoring import health, portfolio
from cs_logic.views.kpi import (
    Kpi,
    amount,
    change_words,
    fmt,
    money,
    new_kpi,
    proportion_moe,
    shown,
    status,
    summary_sentence,
)

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


@dataclass(frozen=True, eq=False)
class Context:
    """What every tile builder reads: the tables, the as-of day, the settings, the scores and the currency."""

    tables: Mapping[str, pd.DataFrame]
    as_of: dt.date
    settings: Settings
    scores: pd.DataFrame | None = None
    currency: str | None = None

    def tile(self, key: str, now: tuple[float | None, int | None], before: float | None = None,
             **kwargs: Any) -> Kpi:
        """A Kpi named, united, directed and targeted by the registry's entry ``key`` (targets.KPIS)."""
        spec = targets.KPIS[key]
        return new_kpi(spec.tile, spec.unit, now, before, lower=spec.lower_is_better,
                       target=self.settings.target(key), key=key, currency=self.currency, **kwargs)

    @functools.cached_property
    def health(self) -> portfolio.Kpis | None:
        """Accounts in the red and revenue at risk, over active accounts (None without an accounts table)."""
        accounts = self.tables.get("accounts")
        if accounts is None or "account_id" not in accounts.columns or not len(accounts):
            return None
        scored = scores_frame(self.scores) if self.scores is not None else portfolio.score_tables(
            self.tables, self.as_of, settings_scorecard(self.settings)).scored
        frame = _by_id(accounts)
        revenue = portfolio.revenue_basis(frame, self.tables.get("subscriptions"), self.as_of)
        return portfolio.kpis(scored[isin(scored.index, frame.index)], frame, self.as_of, revenue=revenue)


def _nps_kpi(ctx: Context) -> Kpi | None:
    surveys = ctx.tables.get("surveys")
    if surveys is None or "nps" not in surveys.columns:
        return None
    surveys = rows_with(surveys, "nps")
    _, _, _, period, prev = _quarters(ctx.as_of)
    if "date" not in surveys.columns:
        r = nps.nps(surveys["nps"])
        return ctx.tile("nps", (r.nps, r.n), None, period="all answers",
                        note="All answers (the surveys have no date). " + DEFINITIONS["NPS"])
    now, before = (nps.nps(f["nps"]) for f in _split(surveys, "date", ctx.as_of))
    small = f" Fewer than {nps.SMALL_SAMPLE} answers: read with care." if now.small_sample else ""
    # The trend's rule (nps.change_is_significant): |change| > 1.96 * sqrt(se1^2 + se2^2), never for a small period.
    moe = None if now.small_sample or before.small_sample or now.se is None or before.se is None \
        else nps.Z95 * math.sqrt(now.se ** 2 + before.se ** 2)
    return ctx.tile("nps", (now.nps, now.n), before.nps, period=period, previous_period=prev,
                    note=f"{period}: n = {now.n:,} valid answers; {prev}: n = {before.n:,}." + small + " "
                    + DEFINITIONS["NPS"], moe=moe,
                    moe_reason=f"a period has fewer than {nps.SMALL_SAMPLE} answers, so it is not called a change")


def _csat_kpi(ctx: Context) -> Kpi | None:
    for name, date_col in (("surveys", "date"), ("tickets", "created_at")):
        frame = ctx.tables.get(name)
        if frame is None or "csat" not in frame.columns or not frame["csat"].notna().any():
            continue
        frame = rows_with(frame, "csat")
        _, _, _, period, prev = _quarters(ctx.as_of)
        if date_col not in frame.columns:
            r = feedback.csat(frame["csat"])
            return ctx.tile("csat", (r.csat, r.n), None, period="all answers",
                            note=f"All {name} answers (no dates). " + DEFINITIONS["CSAT %"])
        now, before = (feedback.csat(f["csat"]) for f in _split(frame, date_col, ctx.as_of))
        return ctx.tile("csat", (now.csat, now.n), before.csat, period=period, previous_period=prev,
                        note=f"From {name}. {period}: n = {now.n:,}; {prev}: n = {before.n:,}. " + DEFINITIONS["CSAT %"],
                        moe=proportion_moe(now.csat, now.n, before.csat, before.n))
    return None


def _dated(accounts: pd.DataFrame | None) -> bool:
    return accounts is not None and {"start_date", "end_date"} <= set(accounts.columns) \
        and bool(accounts["start_date"].notna().any())


def _churn_share_kpi(ctx: Context) -> Kpi | None:
    accounts = ctx.tables.get("accounts")
    if accounts is None or _dated(accounts) or "churned" not in accounts.columns:
        return None
    share = retention.churn_share(accounts.drop(columns="end_date", errors="ignore"))
    value = None if share.value is None else 100 * share.value
    return ctx.tile("churn_share", (value, share.denominator), None, period="all time",
                    note="The export has a churn flag but no dates, so no rate per period: churned / all accounts.")


def _rate_kpi(ctx: Context, key: str, freq: str, col: str, definition: str) -> Kpi | None:
    accounts = ctx.tables.get("accounts")
    if not _dated(accounts):
        return None
    table = retention.logo_churn(accounts, ctx.as_of, freq)
    done = table[table["complete"].astype(bool) & (table["active_start"] > 0)]
    if done.empty:
        return None
    last = done.iloc[-1]
    before = done.iloc[-2] if len(done) > 1 else None
    names = [_period_name(r["period"], freq) if r is not None else "" for r in (last, before)]
    now = 100 * float(last[col])
    prev = None if before is None else 100 * float(before[col])
    return ctx.tile(key, (now, int(last["active_start"])), prev, period=names[0], previous_period=names[1],
                    note=f"{names[0]}: {int(last['churned']):,} of {int(last['active_start']):,} accounts active "
                    f"at the start churned, {int(last['new']):,} joined. " + DEFINITIONS[definition],
                    moe=proportion_moe(now, int(last["active_start"]), prev,
                                       None if before is None else int(before["active_start"])))


def _churn_kpi(ctx: Context) -> Kpi | None:
    return _rate_kpi(ctx, "churn", "M", "logo_churn_rate", "Logo churn rate")


def _retention_kpi(ctx: Context) -> Kpi | None:
    return _rate_kpi(ctx, "retention", "Q", "customer_retention_rate", "Customer retention rate")


def _period_name(start: pd.Timestamp, freq: str) -> str:
    return f"{start.year} Q{start.quarter}" if freq == "Q" else start.strftime("%b %Y")


def _response_kpi(ctx: Context) -> Kpi | None:
    tickets = ctx.tables.get("tickets")
    if tickets is None:
        return None
    hours = support.ticket_durations(tickets).first_response_hours
    if hours.isna().all() or "created_at" not in tickets.columns:
        return None
    _, _, _, period, prev = _quarters(ctx.as_of)
    now, before = (hours.loc[f.index].dropna() for f in _split(tickets, "created_at", ctx.as_of))
    med = [float(h.median()) if len(h) else None for h in (now, before)]
    return ctx.tile("first_response", (med[0], len(now)), med[1], period=period, previous_period=prev,
                    note=f"Tickets created in {period}: {len(now):,} with a first response; {prev}: {len(before):,}. "
                    + DEFINITIONS["Median first response"], moe_reason="no margin of error is computed for a median")


def _win_kpi(ctx: Context) -> Kpi | None:
    deals = ctx.tables.get("deals")
    if deals is None or "stage" not in deals.columns or "close_date" not in deals.columns:
        return None
    order = funnel.stage_order(deals)
    _, _, _, period, prev = _quarters(ctx.as_of)
    counts = [funnel.outcome_counts(f, order) for f in _split(deals, "close_date", ctx.as_of)]
    rates = [None if r is None else 100 * r for r in (funnel.win_rate(c) for c in counts)]
    closed = [c["won"] + c["lost"] for c in counts]
    return ctx.tile("win_rate", (rates[0], closed[0]), rates[1], period=period, previous_period=prev,
                    note=f"Deals closed in {period}: {closed[0]:,}. " + DEFINITIONS["Win rate"],
                    moe=proportion_moe(rates[0], closed[0], rates[1], closed[1]))


def _red_kpi(ctx: Context) -> Kpi | None:
    """Accounts in the red over active accounts; unknown (with the reason) when nothing is scored."""
    k = ctx.health
    if k is None:
        return None
    return ctx.tile("red_accounts", (float(k.red) if k.scored else None, k.scored), None,
                    period=f"of {k.scored:,} active accounts scored", reason=k.red_reason,
                    note=f"{k.red:,} of {k.scored:,} scored active accounts ("
                    + ("–" if k.red_share is None else f"{100 * k.red_share:.0f}%") + ") are red. "
                    + DEFINITIONS["Health score"])


def _risk_kpi(ctx: Context) -> Kpi | None:
    """Revenue of the red active accounts; unknown when nothing is scored or no table has a revenue figure
    (revenue then comes from subscriptions' MRR)."""
    k = ctx.health
    if k is None:
        return None
    source = f" Revenue: {k.revenue_source}." if k.revenue_source else ""
    return ctx.tile("revenue_at_risk", (k.revenue_at_risk, k.revenue_n), None,
                    period=f"revenue of the {k.red:,} red active accounts", reason=k.revenue_reason,
                    note=DEFINITIONS["Revenue at risk"] + f" {k.revenue_n:,} red accounts have a revenue figure."
                    + source)


@dataclass(frozen=True)
class Tile:
    """One headline tile: its registry entry (name, unit, tables, direction, target key) and its builder.

    The builder returns None where the loaded tables cannot give this tile at all (no survey with an NPS
    column); a tile the data could give but cannot compute is a Kpi with value None and the reason.
    """

    spec: targets.Kpi
    build: Callable[[Context], Kpi | None]

    @property
    def name(self) -> str:
        return self.spec.tile

    @property
    def unit(self) -> str:
        return self.spec.unit

    @property
    def needs(self) -> tuple[str, ...]:
        return self.spec.tables

    @property
    def lower_is_better(self) -> bool:
        return self.spec.lower_is_better

    @property
    def target_key(self) -> str:
        return self.spec.name


_BUILDERS: dict[str, Callable[[Context], Kpi | None]] = {
    "nps": _nps_kpi, "csat": _csat_kpi, "churn": _churn_kpi, "churn_share": _churn_share_kpi,
    "retention": _retention_kpi, "first_response": _response_kpi, "win_rate": _win_kpi,
    "red_accounts": _red_kpi, "revenue_at_risk": _risk_kpi}
# THE headline tiles, in order: the Overview, the report, the Targets page and the command line iterate this.
TILES: tuple[Tile, ...] = tuple(Tile(spec, _BUILDERS[key]) for key, spec in targets.KPIS.items())


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
             scores: pd.DataFrame | None = None, currency: str | None = None) -> list[Kpi]:
    """The headline KPI of every tile in :data:`TILES` the tables allow, each with its previous period,
    the change's margin of error and the gap to its target (Settings.targets, keyed by the tile).

    Order: NPS, CSAT %, logo churn (or the share churned), customer retention, median first response,
    win rate, accounts in the red, revenue at risk. Without ``scores`` the accounts are scored here
    (``portfolio.score_tables``). ``currency`` is shown beside money (None: none shown).

    >>> s = pd.DataFrame({"date": pd.to_datetime(["2024-04-02", "2024-01-05"]), "nps": [10, 7]})
    >>> k = headline({"surveys": s}, dt.date(2024, 4, 30), Settings())[0]
    >>> (k.value, k.previous, k.delta)
    (100.0, 0.0, 100.0)
    """
    ctx = Context(tables, as_of, settings, scores, currency)
    return [k for tile in TILES if any(t in tables for t in tile.needs) and (k := tile.build(ctx)) is not None]


# ---------------------------------------------------------------- risks and themes


def risk_order(risks: pd.DataFrame) -> str:
    """How :func:`top_risks` ordered these rows, in words for the caption beside them.

    >>> risk_order(pd.DataFrame({"revenue": [1.0]})), risk_order(pd.DataFrame({"health_score": [3.0]}))
    ('largest revenue first', 'lowest health score first (no revenue column)')
    """
    if risks.empty:
        return "largest revenue first (lowest health score first without revenue)"
    return "largest revenue first" if "revenue" in risks.columns else "lowest health score first (no revenue column)"


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
    risks = portfolio.at_risk(scored[isin(scored.index, frame.index)], frame, "red", as_of=as_of)
    if risks["weakest_measure"].isna().all():
        risks = risks.drop(columns="weakest_measure")  # scores without their points (another page's)
    else:
        risks["weakest_measure"] = risks["weakest_measure"].map(lambda m: label(m) if isinstance(m, str) else m)
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


def top_themes(surveys: pd.DataFrame, as_of: dt.date | None = None, n: int = 5,
               terms: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``n`` terms that most set detractors apart: term, detractors_pct, promoters_pct (share of each
    group's comments mentioning it), mentions (by detractors), z, example (a detractor's comment).
    ``terms``: :func:`theme_terms` of the same surveys and day when the caller has it.

    >>> s = pd.DataFrame({"nps": [0, 1, 2, 10], "comment": ["slow support"] * 3 + ["great"]})
    >>> top_themes(s, n=1).values.tolist()
    [['slow', 100.0, 0.0, 3, 0.05, 'slow support']]
    """
    terms = theme_terms(surveys, as_of) if terms is None else terms
    top = terms[terms["z"] > 0].head(n)
    return pd.DataFrame({"term": top["term"], "detractors_pct": (100 * top["share_a"]).round(1),
                         "promoters_pct": (100 * top["share_b"]).round(1), "mentions": top["count_a"].astype(int),
                         "z": top["z"].round(2),
                         "example": [e[0] if len(e) else None for e in top["examples"]]}).reset_index(drop=True)


# ---------------------------------------------------------------- charts, summary, report, methodology


def overview_charts(tables: Mapping[str, pd.DataFrame], as_of: dt.date, scores: pd.DataFrame | None = None,
                    trend: pd.DataFrame | None = None, terms: pd.DataFrame | None = None) -> dict[str, alt.TopLevelMixin]:
    """The charts the report embeds and the page offers as PNG/SVG, by title (those the data allows).

    ``trend`` is ``portfolio.health_over_time`` (the portfolio's health per month); ``terms`` the surveys'
    :func:`theme_terms` as of ``as_of`` when the caller has it."""
    from cs_logic.charts.feedback import distinctive_terms_chart
    from cs_logic.charts.health import band_distribution_chart, health_trend_chart
    from cs_logic.charts.loyalty import nps_trend_chart

    charts: dict[str, alt.TopLevelMixin] = {}
    if trend is not None and (trend["accounts"] > 0).any():
        charts["Health over time"] = health_trend_chart(trend)
    surveys = tables.get("surveys")
    if surveys is not None and {"nps", "date"} <= set(surveys.columns):
        dated = surveys[pd.to_datetime(surveys["date"]).dt.normalize() <= pd.Timestamp(as_of)]
        # Every quarter, as the Loyalty page draws it: small ones greyed and never flagged (nps.change_is_significant).
        trend_nps = nps.nps_trend(rows_with(dated, "nps"), freq="Q")
        if len(trend_nps):
            charts["NPS by quarter"] = nps_trend_chart(trend_nps, title="NPS by quarter (band: 95% interval; grey: "
                                                       f"under {nps.SMALL_SAMPLE} answers)")
        terms = theme_terms(surveys, as_of) if terms is None else terms
        if (terms["z"] > 0).any() and (terms["z"] < 0).any():
            charts["Detractor themes"] = distinctive_terms_chart(terms, top=10)
    accounts = tables.get("accounts")
    if scores is not None and len(scores) and accounts is not None and "account_id" in accounts.columns:
        frame = _by_id(accounts)
        scored = scores_frame(scores)
        scored = scored[isin(scored.index, frame.index)]
        active = portfolio.active_mask(frame, as_of).reindex(scored.index, fill_value=True)
        charts["Health bands"] = band_distribution_chart(scored[active.to_numpy(bool)])
    return charts


def _risk_words(risks: pd.DataFrame, red: Kpi | None, risk: Kpi | None, currency: str | None) -> str | None:
    if red is None:
        return None
    if red.value is None:
        return f"Accounts at risk: unknown ({red.reason})."
    held = "" if risk is None or risk.value is None else f", holding {money(risk.value, currency, False)} of revenue"
    words = f"{red.value:,.0f} {red.period.removeprefix('of ')} are in the red{held}"
    if len(risks):
        names = []
        for row in risks.head(3).to_dict("records"):
            name = row.get("account_name") or row.get("account_id")
            extra = [f"rep {row['owner']}" if pd.notna(row.get("owner")) else "",
                     money(row["revenue"], currency, False) if pd.notna(row.get("revenue")) else "",
                     f"score {row['health_score']:.0f}"]
            names.append(f"{name} ({', '.join(e for e in extra if e)})")
        words += "; the largest: " + "; ".join(names)
    return words + "."


def _trend_words(trend: pd.DataFrame | None) -> str | None:
    known = None if trend is None else trend[trend["accounts"] > 0]
    if known is None or len(known) < 2:
        return None
    first, last = known.iloc[0], known.iloc[-1]
    return (f"Portfolio health: mean score {last['mean_score']:.1f} at the end of {last['month']:%b %Y} against "
            f"{first['mean_score']:.1f} at the end of {first['month']:%b %Y}; the red share "
            f"{100 * last['red_share']:.0f}% against {100 * first['red_share']:.0f}% (active accounts then).")


def executive_summary(kpis: list[Kpi], risks: pd.DataFrame, themes: pd.DataFrame,
                      trend: pd.DataFrame | None = None) -> list[str]:
    """The report's summary in sentences, every word decided by the numbers: what moved beyond its margin
    of error and what is behind target, one line per tile, who is at risk, what detractors say, the health trend.

    >>> k = new_kpi("NPS", "pts", (40.0, 400), 30.0, period="Q2", previous_period="Q1", moe=6.5)
    >>> executive_summary([k], pd.DataFrame(), pd.DataFrame())[0]
    'Beyond the margin of error: NPS (up 10.0 pts). No targets are set (Targets page).'
    """
    beyond = [k for k in kpis if k.delta is not None and k.moe is not None and abs(k.delta) > k.moe]
    behind = [k for k in kpis if status(k) == "behind"]
    moved = ", ".join(f"{k.name} ({change_words(k).split(' from ')[0]})" for k in beyond)  # type: ignore[union-attr]
    late = ", ".join(f"{k.name} ({shown(k)} against {fmt(k.target, k.unit, k.currency)})" for k in behind)
    targets_set = any(k.target is not None for k in kpis)
    lead = [f"Beyond the margin of error: {moved or 'no change'}."]
    lead.append(f"Behind target: {late or 'none'}." if targets_set else "No targets are set (Targets page).")
    out = [" ".join(lead)] if kpis else ["No figures: no data loaded."]
    out += [summary_sentence(k) for k in kpis]
    by_key = {k.key: k for k in kpis}
    currency = next((k.currency for k in kpis if k.unit == "money"), None)
    out.append(_risk_words(risks, by_key.get("red_accounts"), by_key.get("revenue_at_risk"), currency) or "")
    if len(themes):
        words = "; ".join(f"“{r['term']}” ({r['detractors_pct']:.0f}% of their comments, "
                          f"{r['promoters_pct']:.0f}% of promoters')" for r in themes.head(3).to_dict("records"))
        out.append(f"What detractors say that promoters do not: {words}.")
    out.append(_trend_words(trend) or "")
    return [line for line in out if line]


def _kpi_status_table(kpis: list[Kpi]) -> report.StatusTable:
    """The headline table: every figure formatted as its tile shows it, the gap coloured by its status."""
    frame = pd.DataFrame({
        "KPI": [k.name for k in kpis], "Period": [k.period for k in kpis], "Value": [shown(k) for k in kpis],
        "n": ["" if k.n is None or k.unit in ("accounts", "money") else f"{k.n:,}" for k in kpis],
        "Previous": [fmt(k.previous, k.unit, k.currency) for k in kpis],
        "Change": [amount(k.delta, k, signed=True) for k in kpis],
        "±95%": ["–" if k.moe is None else f"±{k.moe:.1f}" for k in kpis],
        "Target": [fmt(k.target, k.unit, k.currency) for k in kpis],
        "Gap to target": [amount(k.gap, k, signed=True) for k in kpis]})
    return report.StatusTable(frame, [status(k) for k in kpis],
                              numeric=("Value", "n", "Previous", "Change", "±95%", "Target", "Gap to target"),
                              values={"Value": [k.value for k in kpis], "Target": [k.target for k in kpis],
                                      "Gap to target": [k.gap for k in kpis]}, css_class="kpis")


def _shown_risks(risks: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    out = risks.copy()
    if "revenue" in out.columns:
        out["revenue"] = [money(v, currency, False) for v in out["revenue"]]
    if "health_score" in out.columns:
        out["health_score"] = [f"{v:.1f}" for v in out["health_score"]]
    return out.rename(columns=LABELS)


def _shown_themes(themes: pd.DataFrame) -> pd.DataFrame:
    out = themes.drop(columns=["z"], errors="ignore").copy()
    for col in ("detractors_pct", "promoters_pct"):
        out[col] = [f"{v:.0f}%" for v in out[col]]
    out["example"] = [e if not isinstance(e, str) or len(e) <= 140 else e[:139] + "…" for e in out["example"]]
    return out.rename(columns=LABELS)


def report_sections(kpis: list[Kpi], risks: pd.DataFrame, themes: pd.DataFrame,
                    charts: Mapping[str, alt.TopLevelMixin], trend: pd.DataFrame | None = None) -> list[report.Section]:
    """The report's sections: summary, headline figures (with target, gap and status), health over time,
    top risks, NPS by quarter and what detractors say (each where there is data).

    >>> [s.heading for s in report_sections([], pd.DataFrame(), pd.DataFrame(), {})]
    ['Summary']
    """
    currency = next((k.currency for k in kpis if k.unit == "money"), None)
    sections = [report.Section("Summary", bullets=executive_summary(kpis, risks, themes, trend))]
    if kpis:
        sections.append(report.Section(
            "Headline figures", status_tables=[_kpi_status_table(kpis)],
            paragraphs=[("Change: against the previous period; ±95%: the change's margin of error (a change larger "
                        "than it is beyond chance). Status: green ahead of target, red behind, grey where no target "
                        "is set. Unknown figures show – with the reason in the summary.")]))
    if len(risks) or "Health over time" in charts:
        sections.append(report.Section(
            "Health and top risks", [(f"Red accounts still active, {risk_order(risks)}, with their weakest measure. "
                                     "The chart: each month's active accounts by band, and their mean score.")],
            charts=[charts["Health over time"]] if "Health over time" in charts else [],
            tables=[_shown_risks(risks, currency)] if len(risks) else []))
    if "NPS by quarter" in charts:
        sections.append(report.Section("NPS by quarter", [(f"Quarters with fewer than {nps.SMALL_SAMPLE} answers are "
                                        "drawn grey and never marked as a significant change.")],
                                        charts=[charts["NPS by quarter"]]))
    if len(themes):
        sections.append(report.Section(
            "What detractors say", [("Words that set detractors' comments apart from promoters': the share of each "
                                    "group's comments that mention the word.")],
            charts=[charts["Detractor themes"]] if "Detractor themes" in charts else [],
            tables=[_shown_themes(themes)]))
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


def _report_appendix(appendix: Mapping[str, Any]) -> dict[str, Any]:
    """The appendix in words and small tables: the scorecard's measures as a table, not its JSON."""
    out = dict(appendix)
    card = out.get("scorecard")
    if isinstance(card, Mapping) and isinstance(card.get("measures"), list):
        total = sum(float(m.get("weight") or 0) for m in card["measures"]) or None
        out["scorecard"] = pd.DataFrame([{
            "Measure": m.get("column"), "Method": m.get("method"),
            "Weight %": None if total is None else round(100 * float(m.get("weight") or 0) / total, 1),
            "Range or points": (f"worst {m.get('worst'):g}, best {m.get('best'):g}" if m.get("method") == "linear"
                                and m.get("worst") is not None and m.get("best") is not None
                                else "; ".join(f"{k}: {v:g}" for k, v in (m.get("points") or {}).items()))}
            for m in card["measures"]])
        bands = card.get("bands") or {}
        out["bands"] = f"{card.get('name', '')}: red below {bands.get('red_below')}, green from {bands.get('green_from')}"
    return out


def report_html(kpis: list[Kpi], risks: pd.DataFrame, themes: pd.DataFrame,
                charts: Mapping[str, alt.TopLevelMixin], appendix: Mapping[str, Any], as_of: dt.date,
                title: str = "Customer success overview", trend: pd.DataFrame | None = None,
                currency_note: str = "") -> str:
    """The whole self-contained report (``report.html_report``) with the definitions used."""
    return report.html_report(title, report_sections(kpis, risks, themes, charts, trend), _report_appendix(appendix),
                              DEFINITIONS, generated=f"As of {as_of.isoformat()}" + currency_note)


class Overview:
    """Everything the Overview page shows and exports, for one data, as-of date, settings and scored portfolio.

    Each part is computed the first time it is read and then kept, so the page draws the tiles (``kpis``) as
    soon as they are known and the twelve-month health history, the charts and the report after them.
    Built by :func:`build`.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], as_of: dt.date, settings: Settings,
                 scored: portfolio.ScoredPortfolio | None,
                 files_mappings: Iterable[tuple[str, str, Mapping[str, str]]], notes: Iterable[str],
                 history: pd.DataFrame | Callable[[], pd.DataFrame] | None,
                 everything: Mapping[str, pd.DataFrame | Resident] | None = None) -> None:
        self.tables, self.as_of, self.settings, self.scored = tables, as_of, settings, scored
        self.files_mappings, self.notes, self._history = list(files_mappings), list(notes), history
        # ``tables`` are the frames the tiles read; ``everything`` adds a table kept in DuckDB (usage), which only
        # the scoring reads.
        self.everything = tables if everything is None else everything

    @functools.cached_property
    def currency(self) -> Currency:
        """The currency of the amounts (the settings', else the one the files name), with where it came from."""
        return currency_of(self.settings.currency, self.tables, self.files_mappings, self.notes)

    @property
    def scores(self) -> pd.DataFrame | None:
        return None if self.scored is None else self.scored.scored

    @property
    def scores_from(self) -> str:
        return "no accounts table, so no health scores" if self.scored is None \
            else f"health scores from {self.scored.source}"

    @functools.cached_property
    def kpis(self) -> list[Kpi]:
        """The headline tiles (:func:`headline`)."""
        return headline(self.tables, self.as_of, self.settings, self.scores, self.currency.code)

    @functools.cached_property
    def risks(self) -> pd.DataFrame:
        accounts = self.tables.get("accounts")
        return top_risks(self.scores, accounts, self.as_of) if self.scores is not None and accounts is not None \
            else pd.DataFrame()

    @functools.cached_property
    def terms(self) -> pd.DataFrame | None:
        surveys = self.tables.get("surveys")
        return None if surveys is None else theme_terms(surveys, self.as_of)

    @functools.cached_property
    def themes(self) -> pd.DataFrame:
        surveys = self.tables.get("surveys")
        return pd.DataFrame() if surveys is None else top_themes(surveys, self.as_of, terms=self.terms)

    @functools.cached_property
    def history(self) -> pd.DataFrame | None:
        """Every account's score at each of the last 12 month ends (the caller's, else computed here)."""
        if self.scored is None:
            return None
        if callable(self._history):
            return self._history()
        if self._history is not None:
            return self._history
        return portfolio.history_of_tables(self.everything, self.as_of, self.scored.scorecard,
                                           dict(self.scored.measured.mapping))

    @functools.cached_property
    def trend(self) -> pd.DataFrame | None:
        """The portfolio's health per month (``portfolio.health_over_time``), None without scores."""
        history = self.history
        return None if history is None or self.scored is None else portfolio.health_over_time(history,
                                                                                             self.scored.frame)

    @functools.cached_property
    def charts(self) -> dict[str, alt.TopLevelMixin]:
        return overview_charts(self.tables, self.as_of, self.scores, self.trend, self.terms)

    @functools.cached_property
    def appendix(self) -> dict[str, Any]:
        out = methodology(self.settings, self.files_mappings, None if self.scored is None else self.scored.scorecard)
        out["health scores"] = self.scores_from
        code = self.currency.code
        out["currency"] = f"{code} (from {self.currency.source})" if code else self.currency.source
        return out

    @functools.cached_property
    def html(self) -> str:
        """The whole report (:func:`report_html`)."""
        code = self.currency.code
        return report_html(self.kpis, self.risks, self.themes, self.charts, self.appendix, self.as_of,
                           trend=self.trend, currency_note=f" · amounts in {code}" if code else "")


def build(tables: Mapping[str, pd.DataFrame | Resident], as_of: dt.date, settings: Settings,
          scored: portfolio.ScoredPortfolio | None = None,
          files_mappings: Iterable[tuple[str, str, Mapping[str, str]]] = (), notes: Iterable[str] = (),
          history: pd.DataFrame | Callable[[], pd.DataFrame] | None = None) -> Overview:
    """The overview of ``tables`` with THE scored portfolio (the app passes its session's, as of ``as_of``).

    Without ``scored`` (a report built outside the app) the accounts are scored here with the
    settings' scorecard (``portfolio.score_tables``), else there are no health figures. ``notes`` are the
    readers' notes (a currency sign removed from the amounts names the currency); ``history`` the score
    history (``portfolio.score_history``), or a function giving it, when the caller has it, else it is
    computed here when first needed. The parts are computed as they are read (:class:`Overview`).

    >>> # build(store.tables, date(2026, 10, 31), Settings(), scored, [("accounts.csv", "accounts", {...})])
    """
    everything, tables = tables, dict(iter_frames(tables))  # only the scoring reads a resident table (usage)
    accounts = tables.get("accounts")
    files_mappings = list(files_mappings)
    mapping = {k: v for _, table, cols in files_mappings if table == "accounts" for k, v in cols.items()}
    if scored is None and accounts is not None and "account_id" in accounts.columns and len(accounts):
        scored = portfolio.score_tables(everything, as_of, settings_scorecard(settings), mapping)
    return Overview(tables, as_of, settings, scored, files_mappings, notes, history, everything)

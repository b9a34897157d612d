"""What the Scorecard page shows: the what-if's tiles with their help texts, the band chart, the weight table,
the comparison with a pinned baseline, and a proposal of suggested weights, as frozen records.

The page draws widgets and these records; the rules (which accounts a tile counts, how a change against
the baseline reads, how an edit that breaks a rule falls back) live here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import altair as alt
import pandas as pd

from cs_logic.charts import health as charts
from cs_logic.core import fmt
from cs_logic.scoring import backtest as bt
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from cs_logic.scoring import scorecard_edit as se
from cs_logic.scoring.health import Measure, Scorecard

AUC_HELP = "How well the score separates churned from retained accounts: 0.5 = chance, 1.0 = perfect. "


@dataclass(frozen=True)
class Tile:
    """One headline number as shown (``shown``, "–" when unknown), its change against the baseline
    (``delta``, None without one) and its help text; ``lower_is_better`` turns the delta's colour."""

    label: str
    shown: str
    delta: str | None
    help: str
    lower_is_better: bool = False


@dataclass(frozen=True, eq=False)
class Baseline:
    """Pinned scores to compare an edit with: health_score and health_band per account, the scorecard, its AUC."""

    scored: pd.DataFrame
    scorecard: Scorecard
    auc: float | None


@dataclass(frozen=True, eq=False)
class Past:
    """The backtest of the scorecard in use: the accounts as they were before the outcome (``basis``, see
    ``portfolio.backtest_basis``), their points for the scorecard's definitions, their churn, and the result."""

    basis: pf.BacktestBasis
    points: pf.Points
    churned: pd.Series
    as_of: dt.date
    result: pf.Backtest

    def auc(self, sc: Scorecard) -> float | None:
        """The AUC of ``sc`` (same measure definitions as ``points``, other weights) on these accounts."""
        return pf.backtest(pf.rescore_portfolio(self.points, sc), self.basis.frame, self.as_of, self.churned).auc

    def suggest(self, sc: Scorecard) -> bt.Suggestion:
        """Weights fitted to rank these accounts the way churn did (``portfolio.suggest``)."""
        return pf.suggest(self.points, self.basis.frame, sc, self.as_of)


@dataclass(frozen=True, eq=False)
class WhatIf:
    """The results column of the Scorecard page for the scorecard in use.

    ``warnings`` (plain text): why no account could be scored, and the measures the data lacks;
    ``comparison``, ``migration`` and ``baseline_note`` are None until a baseline is pinned; ``pinned``
    is what "Pin as baseline" keeps.
    """

    tiles: tuple[Tile, ...]
    warnings: tuple[str, ...]
    bands: alt.Chart
    weights: pd.DataFrame
    comparison: pf.Comparison | None
    migration: alt.LayerChart | alt.FacetChart | None
    baseline_note: str | None
    pinned: Baseline


@dataclass(frozen=True, eq=False)
class Proposal:
    """Suggested weights blended with the current ones: the scorecard to apply, the weight table with both
    columns, the AUC sentence, and the fit's notes."""

    scorecard: Scorecard
    weights: pd.DataFrame
    summary: str
    notes: tuple[str, ...]


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _change(now: float | None, before: float | None, spec: str, scale: float = 1.0, unit: str = "") -> str | None:
    return None if now is None or before is None else format(scale * (now - before), spec) + unit


def tiles(k: pf.Kpis, before: pf.Kpis | None, comparison: pf.Comparison | None, auc: float | None,
          baseline_auc: float | None, basis_note: str, currency: str | None = None) -> tuple[Tile, ...]:
    """Mean health, share red, revenue at risk and AUC, each with its change against the baseline.

    Revenue at risk reads as every money tile does (``fmt.money`` shortened, with ``currency`` when one is known):
    "€155k" here and on the Success and Overview pages.

    >>> k = pf.Kpis(accounts=4, scored=4, mean_health=55.0, red=1, red_share=0.25, revenue_at_risk=None,
    ...             revenue_n=0)
    >>> b = replace(k, mean_health=50.0, red=2, red_share=0.5)
    >>> [(t.shown, t.delta) for t in tiles(k, b, None, 0.8, 0.75, "")]
    [('55.0', '+5.0'), ('25.0%', '-25.0 pts'), ('–', None), ('0.80', '+0.050')]
    >>> tiles(replace(k, revenue_at_risk=155_290.8), None, None, None, None, "", "EUR")[2].shown
    '€155k'
    """
    if before is None:
        before = replace(k, mean_health=None, red_share=None)
    return (
        Tile("Mean health", _fmt(k.mean_health, ".1f"), _change(k.mean_health, before.mean_health, "+.1f"),
             f"Active accounts with a score: {k.scored:,}."),
        Tile("Share red", _fmt(k.red_share, ".1%"), _change(k.red_share, before.red_share, "+.1f", 100, " pts"),
             f"{k.red:,} red of {k.scored:,} active accounts." if k.red_share is not None
             else f"Unknown: {k.red_reason}.", lower_is_better=True),
        Tile("Revenue at risk", fmt.money(k.revenue_at_risk, currency, compact=True),
             None if comparison is None or comparison.revenue_at_risk_change is None
             else ("+" if comparison.revenue_at_risk_change > 0 else "") + fmt.money(comparison.revenue_at_risk_change,
                                                                                     currency),
             "Revenue of red active accounts" + (f", from {k.revenue_source}." if k.revenue_at_risk is not None
                                                 else f". Unknown: {k.revenue_reason}."), lower_is_better=True),
        Tile("AUC", _fmt(auc, ".2f"), _change(auc, baseline_auc, "+.3f"), AUC_HELP + basis_note),
    )


def build(port: pf.ScoredPortfolio, past: Past, baseline: Baseline | None,
          subscriptions: pd.DataFrame | None = None, currency: str | None = None) -> WhatIf:
    """The :class:`WhatIf` of THE scored portfolio, its backtest (``past``) and the pinned ``baseline`` (or None).

    Tiles, the band chart and the migration count active accounts at the portfolio's as-of date
    (METRICS.md: churned revenue is lost, not at risk; one population everywhere); revenue comes from
    the accounts, else from ``subscriptions``' MRR at the as-of date (``portfolio.revenue_basis``), shown with
    ``currency`` when one is known.
    """
    sc, scored, frame, as_of, churned = port.scorecard, port.scored, port.frame, port.as_of, port.churned
    auc = past.result.auc
    revenue = pf.revenue_basis(frame, subscriptions, as_of)
    k = pf.kpis(scored, frame, as_of, churned, revenue)
    before = cmp = None
    if baseline is not None:
        before = pf.kpis(baseline.scored, frame, as_of, churned, revenue)
        cmp = pf.compare(baseline.scored, scored, frame, as_of, churned, revenue)
    warnings = [port.reason] if port.reason else []
    if missing := health.missing_columns(frame, sc, port.measured.resolve):
        warnings.append("Not in the loaded data, so scored as blank: " + ", ".join(missing))
    if past.result.flag:
        warnings.append(past.result.flag)
    return WhatIf(
        tiles(k, before, cmp, auc, None if baseline is None else baseline.auc, past.basis.note, currency),
        tuple(warnings),
        charts.band_distribution_chart(pf.active_scores(scored[["health_band"]], frame, as_of, churned)),  # it counts bands
        se.weight_table(sc),
        cmp,
        None if cmp is None else charts.migration_heatmap(cmp.matrix),
        None if baseline is None else (f"Baseline: {baseline.scorecard.name}. Active accounts only, as the tiles. "
                                       "Rows: band in the baseline; columns: band now."),
        Baseline(scored[["health_score", "health_band"]].copy(), sc, auc),
    )


def proposal(sc: Scorecard, suggestion: bt.Suggestion, alpha: float, auc_of: Callable[[Scorecard], float | None],
             auc: float | None) -> Proposal:
    """``alpha`` of the way from ``sc``'s weights to the suggested ones, with its AUC (``auc_of``) against ``auc``.

    >>> sc = Scorecard("s", measures=(Measure("a", 30, "percentile"), Measure("b", 70, "percentile")))
    >>> fitted = Scorecard("s", measures=(Measure("a", 70, "percentile"), Measure("b", 30, "percentile")))
    >>> s = bt.Suggestion((("a", 70.0), ("b", 30.0)), (), 10, 3, None, None, (), fitted)
    >>> p = proposal(sc, s, 0.5, lambda x: None, 0.71)
    >>> [m.weight for m in p.scorecard.measures], p.summary
    ([50.0, 50.0], 'AUC with the proposal: – (now 0.710); fitted on 10 accounts, 3 churned.')
    """
    blended = bt.blend_weights(sc, suggestion, alpha)
    summary = (f"AUC with the proposal: {_fmt(auc_of(blended), '.3f')} (now {_fmt(auc, '.3f')}); "
               f"fitted on {suggestion.n:,} accounts, {suggestion.n_churned:,} churned.")
    return Proposal(blended, se.weight_table(sc, blended), summary, tuple(suggestion.notes))


def read_scorecard(data: bytes, name: str) -> tuple[Scorecard | None, str | None]:
    """The scorecard a JSON file holds (a UTF-8 byte-order mark allowed), or None and why not, naming the file.

    >>> read_scorecard(b'{"name": "x", "measures": []}', "s.json")[0].name
    'x'
    >>> read_scorecard(b"{", "s.json")[1].startswith("s.json: ")
    True
    """
    try:
        return health.load_scorecard(data.decode("utf-8-sig")), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"{name}: {exc}"


def without(sc: Scorecard, column: str) -> Scorecard:
    """``sc`` less the measure of ``column``.

    >>> sc = Scorecard("s", measures=(Measure("a", 1, "percentile"), Measure("b", 1, "percentile")))
    >>> [m.column for m in without(sc, "a").measures]
    ['b']
    """
    return replace(sc, measures=tuple(m for m in sc.measures if m.column != column))


def edited_measure(m: Measure, weight: float, changes: Mapping[str, Any]) -> tuple[Measure, str | None]:
    """``m`` with the editor's weight and rule changes; when the changes break a rule (worst = best, say),
    ``m`` with the new weight only, and why.

    >>> edited_measure(Measure("t", 1, "linear", worst=0, best=9), 5.0, {"best": 0.0})[0].weight
    5.0
    """
    try:
        return replace(m, weight=weight, **changes), None
    except ValueError as exc:
        return replace(m, weight=weight), str(exc)


def edited(sc: Scorecard, name: str, bands: tuple[float, float], measures: tuple[Measure, ...]
           ) -> tuple[Scorecard, str | None]:
    """The scorecard the editor's widgets describe (a blank name reads "Scorecard"); ``sc`` and why, when
    they break a rule.

    >>> edited(Scorecard("s"), " ", (30.0, 70.0), ())[0].name
    'Scorecard'
    >>> edited(Scorecard("s"), "x", (80.0, 20.0), ())[0].name
    's'
    """
    try:
        return Scorecard(name.strip() or "Scorecard", health.Bands(*bands), measures), None
    except ValueError as exc:
        return sc, str(exc)


def addable(frame: pd.DataFrame, kinds: Mapping[str, str], sc: Scorecard,
            resolve: Callable[[str], str] = str) -> list[str]:
    """Columns the manager may add as a measure: ``scorecard_edit.measure_choices`` less those ``sc`` scores.

    >>> sc = Scorecard("s", measures=(Measure("Seats", 1, "percentile"),))
    >>> addable(pd.DataFrame(columns=["seats", "plan"]), {"seats": "number"}, sc, {"Seats": "seats"}.get)
    ['plan']
    """
    return se.measure_choices(frame, kinds, {resolve(m.column) for m in sc.measures})


def default_method(kinds: Mapping[str, str], column: str | None) -> str:
    """How a new measure is scored at first: linear for a number, by points for anything else.

    >>> default_method({"seats": "number"}, "seats"), default_method({}, "plan")
    ('linear', 'points')
    """
    return health.METHODS[0 if column is not None and kinds.get(column) == "number" else 1]

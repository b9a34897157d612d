"""Targets and benchmarks: how far a KPI is from the manager's target and from each benchmark, which way."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cs_logic.core.settings import Settings

REFERENCE_TARGET = "target"


@dataclass(frozen=True)
class Kpi:
    """A headline KPI a target can be set for: its settings key, words, exact definition, unit and direction.

    ``unit`` is "pts" (NPS points), "%" (0-100), "h" (hours), "accounts" (a count) or "money";
    ``tile`` is the short name its tile shows; ``tables`` the loaded tables it is computed from (any one
    of them is enough where there are several, as CSAT comes from surveys or tickets).
    """

    name: str
    label: str
    definition: str
    unit: str
    lowest: float
    highest: float
    higher_is_better: bool
    tile: str = ""
    tables: tuple[str, ...] = ()

    @property
    def lower_is_better(self) -> bool:
        return not self.higher_is_better


# Every headline tile, in the order the Overview and the report show them (issue 15: one registry that the
# Overview, the report, the Targets page and the command line iterate). The definitions are fixed so that a
# target means the same thing on every page (METRICS.md). The order is core.settings.TARGET_KPIS.
_SPECS = (
    Kpi("nps", "NPS", "NPS = % promoters (9-10) - % detractors (0-6), all valid answers",
        "pts", -100.0, 100.0, True, "NPS", ("surveys",)),
    Kpi("csat", "CSAT %", "share of 1-5 answers that are 4 or 5, times 100 (survey answers, else ticket ratings)",
        "%", 0.0, 100.0, True, "CSAT %", ("surveys", "tickets")),
    Kpi("churn", "Logo churn rate per month",
        "accounts that churned in the last complete month / accounts active at its start, in %",
        "%", 0.0, 100.0, False, "Logo churn", ("accounts",)),
    Kpi("churn_share", "Share of accounts churned",
        "churned accounts / all accounts, in %, where the export has a churn flag but no dates",
        "%", 0.0, 100.0, False, "Share of accounts churned", ("accounts",)),
    Kpi("retention", "Customer retention rate per quarter",
        "(accounts at the end of the last complete quarter - new accounts in it) / accounts "
        "at its start, in %", "%", 0.0, 100.0, True, "Customer retention", ("accounts",)),
    Kpi("first_response", "Median first response time",
        "median hours from ticket creation to first response, tickets created this quarter",
        "h", 0.0, 100_000.0, False, "Median first response", ("tickets",)),
    Kpi("win_rate", "Win rate", "won / (won + lost) deals closed this quarter, in %",
        "%", 0.0, 100.0, True, "Win rate", ("deals",)),
    Kpi("red_accounts", "Accounts in the red", "active accounts whose health score is in the red band",
        "accounts", 0.0, 1e9, False, "Accounts in the red", ("accounts",)),
    Kpi("revenue_at_risk", "Revenue at risk", "the revenue of active accounts in the red band",
        "money", 0.0, 1e15, False, "Revenue at risk", ("accounts",)),
)
KPIS: dict[str, Kpi] = {k.name: k for k in _SPECS}
SUFFIX = {"pts": " pts", "%": " pts", "h": " h", "accounts": "", "money": ""}


@dataclass(frozen=True)
class Gap:
    """A KPI against one reference (the target or a benchmark).

    ``difference`` = value - reference, in the KPI's unit; ``ahead`` is that difference signed so that
    positive means better (for churn, lower is better, so ``ahead = -difference``); ``meets`` is True
    when the value is at or on the good side of the reference.
    """

    kpi: str
    reference: str  # "target" or the benchmark's source in words
    value: float
    reference_value: float
    difference: float
    ahead: float
    meets: bool


def _gap(kpi: str, reference: str, value: float, reference_value: float) -> Gap:
    spec = KPIS[kpi]
    difference = float(value) - float(reference_value)
    ahead = difference if spec.higher_is_better else -difference
    return Gap(kpi, reference, float(value), float(reference_value), difference, ahead, ahead >= 0)


def gap_to_target(kpi: str, value: float | None, settings: Settings) -> Gap | None:
    """The gap of ``value`` to the KPI's target; None when no target is set or there is no value.

    >>> g = gap_to_target("churn", 3.0, Settings().with_target("churn", 2.0))
    >>> (g.difference, g.ahead, g.meets)
    (1.0, -1.0, False)
    """
    target = settings.target(kpi)
    if target is None or value is None:
        return None
    return _gap(kpi, REFERENCE_TARGET, value, target)


def gaps_to_benchmarks(kpi: str, value: float | None, settings: Settings) -> list[Gap]:
    """The gap of ``value`` to every benchmark entered for the KPI, in the order entered.

    >>> s = benchmarks_with(Settings(), "nps", 30.0, "Industry report 2025")
    >>> [(g.reference, g.ahead) for g in gaps_to_benchmarks("nps", 23.0, s)]
    [('Industry report 2025', -7.0)]
    """
    if value is None:
        return []
    return [_gap(kpi, source, value, v) for k, v, source in settings.benchmarks if k == kpi]


def headline_gap(kpi: str | None, value: float | None, settings: Settings) -> Gap | None:
    """The gap a tile shows: to the target, or else to the first benchmark; None without either.

    >>> headline_gap("nps", 20.0, benchmarks_with(Settings(), "nps", 30, "A")).reference
    'A'
    """
    if kpi is None:
        return None
    return gap_to_target(kpi, value, settings) or next(iter(gaps_to_benchmarks(kpi, value, settings)), None)


def delta_colour(kpi: str | None) -> str:
    """How a tile colours its delta: "inverse" where lower is better (a rise in churn is red).

    >>> delta_colour("churn"), delta_colour("nps"), delta_colour(None)
    ('inverse', 'normal', 'normal')
    """
    return "inverse" if kpi is not None and not KPIS[kpi].higher_is_better else "normal"


def delta_text(gap: Gap | None) -> str | None:
    """The gap as the short delta a tile shows: value - reference, then what it is compared with.

    >>> delta_text(gap_to_target("nps", 23.1, Settings().with_target("nps", 20)))
    '+3.1 pts vs target +20.0'
    """
    if gap is None:
        return None
    what = "target" if gap.reference == REFERENCE_TARGET else "benchmark"
    return f"{_difference(gap)} vs {what} {format_value(gap.kpi, gap.reference_value)}"


def _difference(gap: Gap) -> str:
    unit = KPIS[gap.kpi].unit
    if unit in ("accounts", "money"):
        return f"{gap.difference:+,.0f}"
    return f"{gap.difference:+.1f}{SUFFIX[unit]}"


def format_value(kpi: str, value: float | None) -> str:
    """A KPI value as a tile shows it: NPS signed with one decimal, rates as a percentage, hours, counts.

    >>> format_value("nps", 23.14), format_value("churn", 1.25), format_value("csat", None)
    ('+23.1', '1.2%', '–')
    >>> format_value("first_response", 4.25), format_value("red_accounts", 1200.0)
    ('4.2 h', '1,200')
    """
    if value is None:
        return "–"
    unit = KPIS[kpi].unit
    if unit == "pts":
        return f"{value:+.1f}"
    if unit == "h":
        return f"{value:.1f} h"
    if unit in ("accounts", "money"):
        return f"{value:,.0f}"
    return f"{value:.1f}%"


def gaps_frame_rows(kpi: str | None, value: float | None, settings: Settings) -> list[dict[str, Any]]:
    """One row per reference (target first, then benchmarks) for the comparison table ([] without a KPI).

    >>> rows = gaps_frame_rows("nps", 25.0, Settings().with_target("nps", 30))
    >>> rows[0]["gap"], rows[0]["status"]
    ('-5.0 pts', 'behind')
    """
    if kpi is None:
        return []
    target = gap_to_target(kpi, value, settings)
    gaps = ([target] if target else []) + gaps_to_benchmarks(kpi, value, settings)
    return [{"KPI": KPIS[kpi].label, "value": format_value(kpi, g.value),
             "compared with": "Target" if g.reference == REFERENCE_TARGET else f"Benchmark: {g.reference}",
             "reference": format_value(kpi, g.reference_value), "gap": _difference(g),
             "status": "meets" if g.difference == 0 else "ahead" if g.meets else "behind"}
            for g in gaps]


def check_benchmark(kpi: str, value: float | None, source: str) -> list[str]:
    """What is wrong with a benchmark the manager is entering ([] when it can be saved).

    >>> check_benchmark("nps", 140, "")
    ['NPS must be between -100 and 100.', 'Say where the figure comes from (the source in words).']
    """
    spec = KPIS.get(kpi)
    if spec is None:
        return [f"Unknown KPI {kpi!r}."]
    problems = []
    if value is None:
        problems.append("Enter the benchmark figure.")
    elif not spec.lowest <= value <= spec.highest:
        problems.append(f"{spec.label} must be between {spec.lowest:g} and {spec.highest:g}.")
    if not source.strip():
        problems.append("Say where the figure comes from (the source in words).")
    return problems


def benchmarks_with(settings: Settings, kpi: str, value: float, source: str) -> Settings:
    """The settings with one more benchmark (a benchmark with the same KPI and source is replaced).

    >>> benchmarks_with(Settings(), "churn", 1.5, "Competitor X").benchmarks
    (('churn', 1.5, 'Competitor X'),)
    """
    kept = tuple(b for b in settings.benchmarks if not (b[0] == kpi and b[2] == source.strip()))
    return replace(settings, benchmarks=kept + ((kpi, float(value), source.strip()),))


def benchmarks_without(settings: Settings, index: int) -> Settings:
    """The settings without the benchmark at position ``index`` (unchanged when out of range).

    >>> s = benchmarks_with(Settings(), "nps", 30, "A")
    >>> benchmarks_without(s, 0).benchmarks
    ()
    """
    if not 0 <= index < len(settings.benchmarks):
        return settings
    return replace(settings, benchmarks=settings.benchmarks[:index] + settings.benchmarks[index + 1:])

"""A headline tile: the Kpi record, how one is made, and the words a tile and the report show for it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

UNITS = {"pts": " pts", "%": " pts", "h": " h", "accounts": "", "money": ""}


@dataclass(frozen=True)
class Kpi:
    """One headline tile: ``delta = value - previous`` and ``gap = value - target``, both in ``unit``.

    ``unit`` is "pts" (NPS), "%" (0-100), "h" (hours), "accounts" or "money"; ``period`` and
    ``previous_period`` name what was compared; ``note`` says how it was computed; ``reason`` says why
    ``value`` is None (unknown, shown as "–" with the reason: cs_logic.core.unknown).
    """

    name: str
    value: float | None
    unit: str
    n: int | None
    previous: float | None
    delta: float | None
    lower_is_better: bool
    target: float | None
    gap: float | None
    note: str
    period: str = ""
    previous_period: str = ""
    reason: str | None = None


def new_kpi(name: str, unit: str, now: tuple[float | None, int | None], before: float | None, *,
         lower: bool = False, target: float | None = None, note: str = "", period: str = "",
         previous_period: str = "", reason: str | None = None) -> Kpi:
    """A tile from its value and n now, the previous period's value and the target (delta and gap worked out).

    A None value without a ``reason`` gets "n = 0" when n is 0 (a figure over nothing is unknown).
    """
    value, n = now
    if value is not None and pd.isna(value):
        value = None
    if value is None and reason is None:
        reason = "n = 0" if n == 0 else "not computable from the loaded data"
    delta = value - before if value is not None and before is not None else None
    gap = value - target if value is not None and target is not None else None
    return Kpi(name, value, unit, n, before, delta, lower, target, gap, note, period, previous_period,
               None if value is not None else reason)


def fmt(value: float | None, unit: str) -> str:
    """A value as a tile shows it.

    >>> fmt(23.14, "pts"), fmt(7.25, "%"), fmt(4.21, "h"), fmt(1_640_000, "money"), fmt(34, "accounts")
    ('+23.1', '7.2%', '4.2 h', '1.64M', '34')
    """
    if value is None or pd.isna(value):
        return "–"
    if unit == "pts":
        return f"{value:+.1f}"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "h":
        return f"{value:.1f} h"
    if unit == "money":
        size = abs(value)
        return f"{value / 1e6:.2f}M" if size >= 1e6 else f"{value / 1e3:.0f}k" if size >= 1e4 else f"{value:,.0f}"
    return f"{value:,.0f}"


def change_text(k: Kpi) -> str | None:
    """The delta a tile shows: the change against the previous period, with that period's name.

    >>> change_text(new_kpi("NPS", "pts", (50.0, 2), 0.0, period="2024 Q2", previous_period="2024 Q1"))
    '+50.0 pts vs 2024 Q1'
    """
    if k.delta is None:
        return None
    amount = f"{k.delta:+,.0f}" if k.unit in ("accounts", "money") else f"{k.delta:+.1f}{UNITS[k.unit]}"
    return f"{amount} vs {k.previous_period}".strip()


def delta_color(k: Kpi) -> str:
    """Streamlit's delta colour: "inverse" when lower is better (a fall is good), "off" for no change."""
    if k.delta is not None and round(k.delta, 1) == 0:
        return "off"
    return "inverse" if k.lower_is_better else "normal"


def target_text(k: Kpi) -> str:
    """The gap to the target in a few words ("" without a target).

    >>> target_text(new_kpi("Logo churn", "%", (1.5, 400), None, lower=True, target=2.0))
    'target 2.0%: 0.5 pts better'
    """
    if k.target is None or k.gap is None:
        return ""
    ahead = -k.gap if k.lower_is_better else k.gap
    words = "on target" if round(ahead, 1) == 0 else f"{abs(ahead):.1f}{UNITS[k.unit]} {'better' if ahead > 0 else 'worse'}"
    return f"target {fmt(k.target, k.unit)}: {words}"


def caption(k: Kpi) -> str:
    """The line under a tile: period, n and the target gap.

    >>> caption(new_kpi("NPS", "pts", (20.0, 363), None, target=30.0, period="2026 Q4 to date"))
    '2026 Q4 to date · n = 363 · target +30.0: 10.0 pts worse'
    """
    n = f"n = {k.n:,}" if k.n is not None and k.unit not in ("accounts", "money") else ""
    why = f"unknown: {k.reason}" if k.value is None and k.reason else ""
    return " · ".join(p for p in (k.period, n, why, target_text(k)) if p)


def kpi_table(kpis: Iterable[Kpi]) -> pd.DataFrame:
    """The tiles as a table (for CSV, XLSX and the report): numbers rounded to one decimal.

    >>> kpi_table([new_kpi("NPS", "pts", (50.0, 2), 0.0)])[["kpi", "value", "change"]].values.tolist()
    [['NPS', 50.0, 50.0]]
    """
    rows = [{"kpi": k.name, "period": k.period, "value": k.value, "shown": fmt(k.value, k.unit), "n": k.n,
             "previous_period": k.previous_period, "previous": k.previous, "change": k.delta,
             "target": k.target, "gap_to_target": k.gap, "lower_is_better": k.lower_is_better} for k in kpis]
    out = pd.DataFrame(rows, columns=["kpi", "period", "value", "shown", "n", "previous_period", "previous", "change",
                                      "target", "gap_to_target", "lower_is_better"])
    for col in ("value", "previous", "change", "target", "gap_to_target"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float).round(1)
    return out.astype({"n": "Int64"})


def sentence(k: Kpi) -> str:
    """One line of the report per tile.

    >>> sentence(new_kpi("NPS", "pts", (50.0, 2), 0.0, period="2024 Q2", previous_period="2024 Q1"))
    'NPS, 2024 Q2: +50.0 (n = 2); +50.0 pts vs 2024 Q1.'
    """
    n = f" (n = {k.n:,})" if k.n is not None and k.unit not in ("accounts", "money") else ""
    first = f"{k.name}: {fmt(k.value, k.unit)} ({k.period})" if k.unit in ("accounts", "money") \
        else f"{k.name}, {k.period}: {fmt(k.value, k.unit)}{n}"
    why = f"unknown: {k.reason}" if k.value is None and k.reason else ""
    parts = [first, why, change_text(k), target_text(k)]
    return "; ".join(p for p in parts if p) + "."

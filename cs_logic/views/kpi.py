"""A headline tile: the Kpi record, how one is made, and the words a tile and the report show for it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from cs_logic.core import fmt as fmt_

UNITS = {"pts": " pts", "%": " pts", "h": " h", "accounts": "", "money": ""}


@dataclass(frozen=True)
class Kpi:
    """One headline tile: ``delta = value - previous`` and ``gap = value - target``, both in ``unit``.

    ``unit`` is "pts" (NPS), "%" (0-100), "h" (hours), "accounts" or "money"; ``period`` and
    ``previous_period`` name what was compared; ``note`` says how it was computed; ``reason`` says why
    ``value`` is None (unknown, shown as "–" with the reason: cs_logic.core.unknown). ``key`` is the tile's
    entry in cs_logic.metrics.targets.KPIS (its target key); ``currency`` the code or sign of a money tile
    (None: not known, none shown); ``moe`` the 95% margin of error of ``delta`` in ``unit`` (None with
    ``moe_reason`` where there is none: a median, a period under 30 NPS answers).
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
    key: str = ""
    currency: str | None = None
    moe: float | None = None
    moe_reason: str | None = None


def new_kpi(name: str, unit: str, now: tuple[float | None, int | None], before: float | None, *,
         lower: bool = False, target: float | None = None, note: str = "", period: str = "",
         previous_period: str = "", reason: str | None = None, key: str = "", currency: str | None = None,
         moe: float | None = None, moe_reason: str | None = None) -> Kpi:
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
    if delta is None:
        moe, moe_reason = None, None
    return Kpi(name, value, unit, n, before, delta, lower, target, gap, note, period, previous_period,
               None if value is not None else reason, key, currency, moe, moe_reason if moe is None else None)


def proportion_moe(p1: float | None, n1: int | None, p2: float | None, n2: int | None) -> float | None:
    """95% margin of error, in percentage points, of the change between two shares given in percent.

    ``1.96 * sqrt(p1(1-p1)/n1 + p2(1-p2)/n2) * 100`` (the normal approximation); None when either share
    is unknown or rests on no answers.

    >>> round(proportion_moe(50.0, 100, 40.0, 100), 2)  # 1.96 * sqrt(.25/100 + .24/100) * 100
    13.72
    """
    if p1 is None or p2 is None or not n1 or not n2:
        return None
    a, b = p1 / 100, p2 / 100
    return 100 * 1.96 * float(((a * (1 - a)) / n1 + (b * (1 - b)) / n2) ** 0.5)


def money(value: float | None, currency: str | None = None, compact: bool = True) -> str:
    """An amount as a tile shows it: :func:`cs_logic.core.fmt.money`, shortened unless ``compact`` is False.

    >>> money(1_640_000), money(155_290.81, "USD"), money(2392.79, "SEK", compact=False), money(-50, "€")
    ('1.64M', '$155k', '2,393 SEK', '-€50')
    """
    return fmt_.money(value, currency, compact=compact)


def fmt(value: float | None, unit: str, currency: str | None = None) -> str:
    """A value as a tile shows it, in the unit's format from :mod:`cs_logic.core.fmt` (the one formatting
    module): points signed, percent with one decimal, hours as a duration (days from 48 h), money shortened
    with its currency when one is known (never assumed), counts with separators.

    >>> fmt(23.14, "pts"), fmt(7.25, "%"), fmt(4.21, "h"), fmt(1_640_000, "money"), fmt(34, "accounts")
    ('+23.1', '7.2%', '4.2 h', '1.64M', '34')
    >>> fmt(26_504.1, "money", "EUR"), fmt(74.4, "h"), fmt(None, "pts"), fmt(float("nan"), "money")
    ('€27k', '3.1 d', '–', '–')
    """
    if unit == "pts":
        return fmt_.points(value)
    if unit == "%":
        return fmt_.percent(value)
    if unit == "h":
        return fmt_.duration(value)
    if unit == "money":
        return fmt_.money(value, currency, compact=True)
    return fmt_.count(value)


def shown(k: Kpi) -> str:
    """The tile's value as the tile and the report show it ("–" when unknown)."""
    return fmt(k.value, k.unit, k.currency)


def amount(value: float | None, k: Kpi, signed: bool = False) -> str:
    """A target, gap or change of tile ``k`` in its unit ("–" when None); ``signed`` puts + on gains.

    >>> k = new_kpi("Revenue at risk", "money", (100.0, 1), None, currency="EUR")
    >>> amount(-1500.0, k, signed=True), amount(2.0, new_kpi("x", "%", (1.0, 1), None), signed=True)
    ('-€1,500', '+2.0 pts')
    """
    if value is None or pd.isna(value):
        return "–"
    if k.unit == "money":
        text = money(value, k.currency, compact=False)
        return ("+" + text) if signed and value > 0 else text
    if k.unit == "accounts":
        return f"{value:+,.0f}" if signed else f"{value:,.0f}"
    if signed:
        return f"{value:+.1f}{UNITS[k.unit]}"
    return fmt(value, k.unit)


def status(k: Kpi) -> str | None:
    """Against target: "ahead", "on target" or "behind" (the gap's sign read with ``lower_is_better``); None
    without a target or a value.

    >>> status(new_kpi("Logo churn", "%", (1.5, 400), None, lower=True, target=2.0))
    'ahead'
    >>> status(new_kpi("NPS", "pts", (20.0, 300), None, target=30.0)), status(new_kpi("NPS", "pts", (20.0, 3), None))
    ('behind', None)
    """
    if k.gap is None:
        return None
    ahead = -k.gap if k.lower_is_better else k.gap
    return "on target" if round(ahead, 1) == 0 else "ahead" if ahead > 0 else "behind"


def change_words(k: Kpi) -> str | None:
    """The change against the previous period and whether it is beyond its 95% margin of error.

    >>> k = new_kpi("NPS", "pts", (40.0, 400), 30.0, previous_period="Q1", moe=6.5)
    >>> change_words(k)
    'up 10.0 pts from +30.0 in Q1, beyond the margin of error (±6.5 pts)'
    >>> change_words(new_kpi("NPS", "pts", (33.0, 400), 30.0, previous_period="Q1", moe=6.5))
    'up 3.0 pts from +30.0 in Q1, within the margin of error (±6.5 pts)'
    """
    if k.delta is None or k.previous is None:
        return None
    size = abs(k.delta)
    if round(size, 1) == 0:
        move = f"unchanged from {fmt(k.previous, k.unit, k.currency)} in {k.previous_period}"
    else:
        by = amount(size, k) if k.unit in ("money", "accounts") else f"{size:.1f}{UNITS[k.unit]}"
        move = (f"{'up' if k.delta > 0 else 'down'} {by} from {fmt(k.previous, k.unit, k.currency)} "
                f"in {k.previous_period}")
    if k.moe is None:
        return move + (f" ({k.moe_reason})" if k.moe_reason else "")
    beyond = size > k.moe
    return f"{move}, {'beyond' if beyond else 'within'} the margin of error (±{k.moe:.1f}{UNITS[k.unit]})"


def change_text(k: Kpi) -> str | None:
    """The delta a tile shows: the change against the previous period, with that period's name.

    >>> change_text(new_kpi("NPS", "pts", (50.0, 2), 0.0, period="2024 Q2", previous_period="2024 Q1"))
    '+50.0 pts vs 2024 Q1'
    >>> change_text(new_kpi("Revenue at risk", "money", (9000.0, 3), 10_500.0, previous_period="Q1", currency="EUR"))
    '-€1,500 vs Q1'
    """
    if k.delta is None:
        return None
    by = amount(k.delta, k, signed=True) if k.unit in ("accounts", "money") else f"{k.delta:+.1f}{UNITS[k.unit]}"
    return f"{by} vs {k.previous_period}".strip()


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
    by = amount(abs(ahead), k) if k.unit in ("money", "accounts") else f"{abs(ahead):.1f}{UNITS[k.unit]}"
    words = "on target" if round(ahead, 1) == 0 else f"{by} {'better' if ahead > 0 else 'worse'}"
    return f"target {fmt(k.target, k.unit, k.currency)}: {words}"


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
    parts = [_first(k), _why(k), change_text(k), target_text(k)]
    return "; ".join(p for p in parts if p) + "."


def _first(k: Kpi) -> str:
    n = f" (n = {k.n:,})" if k.n is not None and k.unit not in ("accounts", "money") else ""
    return f"{k.name}: {shown(k)} ({k.period})" if k.unit in ("accounts", "money") \
        else f"{k.name}, {k.period}: {shown(k)}{n}"


def _why(k: Kpi) -> str:
    return f"unknown: {k.reason}" if k.value is None and k.reason else ""


def summary_sentence(k: Kpi) -> str:
    """The executive summary's line for a tile: its value, what changed and whether that is beyond the
    margin of error, and where it stands against target (the numbers decide every word).

    >>> summary_sentence(new_kpi("Logo churn", "%", (2.8, 435), 1.6, lower=True, target=2.0, period="Oct 2026",
    ...                          previous_period="Sep 2026", moe=2.0))
    'Logo churn, Oct 2026: 2.8% (n = 435); up 1.2 pts from 1.6% in Sep 2026, within the margin of error (±2.0 pts); behind target (2.0%) by 0.8 pts.'
    """
    state = status(k)
    target = ""
    if state is not None and k.gap is not None:
        by = amount(abs(k.gap), k) if k.unit in ("money", "accounts") else f"{abs(k.gap):.1f}{UNITS[k.unit]}"
        target = (f"on target ({fmt(k.target, k.unit, k.currency)})" if state == "on target"
                  else f"{state} of target ({fmt(k.target, k.unit, k.currency)}) by {by}" if state == "ahead"
                  else f"behind target ({fmt(k.target, k.unit, k.currency)}) by {by}")
    parts = [_first(k), _why(k), change_words(k), target]
    return "; ".join(p for p in parts if p) + "."

"""One number format per kind: counts, money, percentages, NPS points and durations, "–" when unknown.

Every page, chart caption, export and the report formats through here, so 351.21 never stands beside
2,392.79 and a missing value never shows as ``None`` or ``nan`` (METRICS.md: unknown shows as "–").
"""

from __future__ import annotations

import math

import pandas as pd

UNKNOWN = "–"
# Symbols written before the amount; any other currency code is written after it ("1,200 SEK").
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "BRL": "R$"}


def missing(x: object) -> bool:
    """True for None, NaN, pandas NA/NaT and anything that is not a number.

    >>> missing(None), missing(float("nan")), missing(3), missing("x")
    (True, True, False, True)
    """
    if x is None or isinstance(x, bool):
        return x is None
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
    return math.isnan(value)


def count(n: object) -> str:
    """A whole count with thousands separators.

    >>> count(1234567), count(3.0), count(None), count(float("nan"))
    ('1,234,567', '3', '–', '–')
    """
    if missing(n):
        return UNKNOWN
    return f"{round(float(n)):,}"  # type: ignore[arg-type]


def number(x: object, decimals: int = 1) -> str:
    """A measured quantity with separators and fixed decimals.

    >>> number(2392.789), number(351.2, 2), number(None)
    ('2,392.8', '351.20', '–')
    """
    if missing(x):
        return UNKNOWN
    return f"{float(x):,.{decimals}f}"  # type: ignore[arg-type]


def money(x: object, currency: str | None = None, compact: bool = False) -> str:
    """An amount of money: whole units with separators, the currency when the data or settings name one.

    ``compact`` shortens large amounts for a tile (1.64M, 35k). A currency code without a known symbol
    follows the amount.

    >>> money(2392.79), money(2392.79, "USD"), money(-50, "EUR"), money(1200, "SEK")
    ('2,393', '$2,393', '-€50', '1,200 SEK')
    >>> money(1_640_000, compact=True), money(35_400, "GBP", compact=True), money(None, "USD")
    ('1.64M', '£35k', '–')
    """
    if missing(x):
        return UNKNOWN
    value = float(x)  # type: ignore[arg-type]
    size = abs(value)
    if compact and size >= 1e6:
        body = f"{size / 1e6:.2f}M"
    elif compact and size >= 1e4:
        body = f"{size / 1e3:.0f}k"
    else:
        body = f"{size:,.0f}"
    sign = "-" if value < 0 and body.strip("0.,Mk") else ""
    code = (currency or "").strip()
    symbol = _SYMBOLS.get(code.upper(), code if code and not code.isalpha() else "")
    if symbol:
        return f"{sign}{symbol}{body}"
    return f"{sign}{body} {code.upper()}" if code else f"{sign}{body}"


def pct(share: object, decimals: int = 1) -> str:
    """A share (0-1) as a percentage with fixed decimals.

    >>> pct(0.0725), pct(0.5, 0), pct(1), pct(None)
    ('7.2%', '50%', '100.0%', '–')
    """
    if missing(share):
        return UNKNOWN
    return f"{100 * float(share):.{decimals}f}%"  # type: ignore[arg-type]


def percent(value: object, decimals: int = 1) -> str:
    """A value already in percent (0-100, as CSAT % and the measures' *_pct columns are).

    >>> percent(72.456), percent(None)
    ('72.5%', '–')
    """
    if missing(value):
        return UNKNOWN
    return f"{float(value):.{decimals}f}%"  # type: ignore[arg-type]


def points(x: object, decimals: int = 1) -> str:
    """NPS-style points, always signed (an NPS of 0 is "+0.0", a change of -3 is "-3.0").

    >>> points(23.14), points(-3), points(0), points(None)
    ('+23.1', '-3.0', '+0.0', '–')
    """
    if missing(x):
        return UNKNOWN
    value = float(x)  # type: ignore[arg-type]
    text = f"{value:+.{decimals}f}"
    return "+" + text[1:] if text.startswith("-") and float(text) == 0 else text


def duration(hours: object) -> str:
    """A duration given in hours, in the unit that reads best: s, min, h, or d from 48 hours.

    A call centre's 68-second answer is not "0.0 h", and a 74-hour resolution reads as days.

    >>> duration(68 / 3600), duration(0.02), duration(0.5), duration(4.21), duration(74.4), duration(None)
    ('1 min 8 s', '1 min 12 s', '30 min', '4.2 h', '3.1 d', '–')
    >>> duration(30 / 3600), duration(-2.5)
    ('30 s', '-2.5 h')
    """
    if missing(hours):
        return UNKNOWN
    h = float(hours)  # type: ignore[arg-type]
    seconds = h * 3600
    if abs(seconds) < 60:
        return f"{seconds:.0f} s"
    if abs(h) < 1:
        minutes, rest = divmod(round(abs(seconds)), 60)
        sign = "-" if h < 0 else ""
        return f"{sign}{minutes} min {rest} s" if rest and minutes < 10 else f"{seconds / 60:.0f} min"
    if abs(h) >= 48:
        return f"{h / 24:,.1f} d"
    return f"{h:,.1f} h"


hours = duration


def days(d: object) -> str:
    """A number of days, whole when it is large.

    >>> days(3.25), days(45.6), days(None)
    ('3.2 d', '46 d', '–')
    """
    if missing(d):
        return UNKNOWN
    value = float(d)  # type: ignore[arg-type]
    return f"{value:,.0f} d" if abs(value) >= 10 else f"{value:.1f} d"


def cell(x: object) -> object:
    """A table cell as shown: None/NaN become "–", anything else is returned as it is.

    >>> cell(None), cell(float("nan")), cell(3), cell("a")
    ('–', '–', 3, 'a')
    """
    if x is None:
        return UNKNOWN
    if isinstance(x, float) and math.isnan(x):
        return UNKNOWN
    if x is pd.NA or x is pd.NaT:
        return UNKNOWN
    return x

"""Which currency the amounts are in: the manager's setting, else what the data says, else none (never "$").

The data says it in three ways, tried in this order: a currency column whose values are one ISO code
(``Currency = EUR``), a currency code in the amount column's header (``MRR USD``, ``revenue_eur``), or the
sign the reader removed from the amounts (the parse note "revenue: currency signs removed (€)"). Several
different currencies mean none can be shown: amounts are never converted, so the figure says so instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from cs_logic.read.resident import Resident

# ISO 4217 codes a customer-success export is likely to carry; a header word must be one of these to count.
ISO_CODES = frozenset(
    "USD EUR GBP JPY CNY INR BRL CAD AUD NZD CHF SEK NOK DKK PLN CZK HUF RON TRY RUB UAH ZAR MXN ARS CLP COP "
    "PEN IRR AED SAR QAR KWD EGP ILS SGD HKD TWD KRW THB MYR IDR PHP VND NGN KES PKR BDT".split())
_CURRENCY_HEADER = re.compile(r"^(currency|currency code|curr|ccy|moeda|devise|währung|moneda|valuta)$", re.IGNORECASE)
_SIGN_NOTE = re.compile(r"currency signs removed \((?!mixed)([^)]+)\)")
MONEY_FIELDS = ("revenue", "mrr", "arr", "amount")
MONEY_TABLES = ("accounts", "subscriptions", "orders", "deals")


@dataclass(frozen=True)
class Currency:
    """The currency to show beside amounts (a code or sign), or None with the reason; ``source`` says where from."""

    code: str | None
    source: str


def _one(values: Iterable[str]) -> str | None:
    found = {v for v in values if v}
    return found.pop() if len(found) == 1 else None


def _from_columns(tables: Mapping[str, pd.DataFrame | Resident]) -> str | None:
    codes = set()
    for name in MONEY_TABLES:
        frame = tables.get(name)
        if not isinstance(frame, pd.DataFrame):  # absent, or kept in DuckDB (no money table is)
            continue
        for col in frame.columns:
            if isinstance(col, str) and _CURRENCY_HEADER.match(col.strip()):
                values = frame[col].dropna().astype(str).str.strip().str.upper().unique()
                codes |= {v for v in values if v}
    return codes.pop() if len(codes) == 1 and next(iter(codes)) in ISO_CODES else None


def _from_headers(headers: Iterable[str]) -> str | None:
    words = (w.upper() for h in headers for w in re.split(r"[^A-Za-z]+", str(h)) if w)
    return _one(w for w in words if w in ISO_CODES)


def _from_notes(notes: Iterable[str]) -> str | None:
    return _one(m.group(1).strip() for n in notes for m in [_SIGN_NOTE.search(n)] if m and ", " not in m.group(1))


def currency_of(setting: str | None, tables: Mapping[str, pd.DataFrame | Resident],
                files_mappings: Iterable[tuple[str, str, Mapping[str, str]]] = (),
                notes: Iterable[str] = ()) -> Currency:
    """The currency of the loaded amounts.

    ``setting`` is Settings.currency; ``files_mappings`` the (file, table, {field: header}) of each file, whose
    amount headers may name a code; ``notes`` the readers' notes (``LoadedFile.prepared.notes``).

    >>> currency_of(None, {"accounts": pd.DataFrame({"Currency": ["eur", "EUR"]})}).code
    'EUR'
    >>> currency_of(None, {}, [("crm.csv", "accounts", {"revenue": "MRR USD"})]).code
    'USD'
    >>> currency_of(None, {}, notes=["revenue: currency signs removed (€)"]).code
    '€'
    >>> currency_of(None, {}).code is None
    True
    """
    if setting and setting.strip():
        return Currency(setting.strip(), "the settings file")
    if code := _from_columns(tables):
        return Currency(code, "the currency column")
    headers = [h for _, table, cols in files_mappings if table in MONEY_TABLES
               for field, h in cols.items() if field in MONEY_FIELDS]
    if code := _from_headers(headers):
        return Currency(code, "the amount column's header")
    if code := _from_notes(notes):
        return Currency(code, "the sign on the amounts")
    return Currency(None, "no currency in the data or the settings, so none is shown (set one on the Targets page)")

"""Safe downloads: CSV and XLSX with formula injection neutralised, and charts as PNG or SVG offline."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from cs_logic.core.labels import relabel

EXCEL_MAX_CELL = 32_767
EXCEL_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows less the header row
EXCEL_MAX_COLUMNS = 16_384
# OWASP CSV injection: cells starting with these characters are read as formulas by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Characters XML 1.0 forbids (XLSX is XML): C0 controls except tab/LF/CR, surrogates, U+FFFE/U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_ILLEGAL = re.compile(r"[\[\]:*?/\\]")


def neutralise(value: Any) -> Any:
    """A cell made safe for spreadsheets; anything that is not text is returned unchanged.

    Text loses XML-illegal control characters (NUL and friends), gains a leading ``'`` when it
    starts with = + - @ tab CR or LF, or with one of those after spaces or invisible marks, or with a look-alike
    (full-width ＝, the minus sign −), and is cut to 32,767 characters ending in "…".

    >>> neutralise("=1+1"), neutralise(-1), neutralise("سلام")
    ("'=1+1", -1, 'سلام')
    """
    if not isinstance(value, str):
        return value
    text = _XML_ILLEGAL.sub("", value)
    if text.startswith(FORMULA_STARTS) or _formula_like(text):
        text = "'" + text
    return text if len(text) <= EXCEL_MAX_CELL else text[: EXCEL_MAX_CELL - 1] + "…"


# Characters a spreadsheet may skip before a formula (spaces, invisible and direction marks), and look-alikes it may
# fold into = + - @ (full-width ＝ and small ﹦ by NFKC; the minus sign − and the dashes by their meaning).
_SKIPPED = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u200c\u200d\u200e\u200f" \
    "\u202a\u202b\u202c\u202d\u202e\u202f\u205f\u2060\u2066\u2067\u2068\u2069\u3000\ufeff"
_MINUS_LIKE = frozenset("\u2212\u2010\u2011\u2012\u2013\u2014\u2015\ufe58\u02d7\u2796")


def _formula_like(text: str) -> bool:
    """Whether the text starts, after skippable spaces and marks, with = + - @ or a look-alike of one.

    >>> _formula_like("\uff1d1+1"), _formula_like(" =1"), _formula_like("\u2212cmd"), _formula_like("é")
    (True, True, True, False)
    """
    first = text.lstrip(_SKIPPED)[:1]
    if not first:
        return False
    return first in "=+-@" or unicodedata.normalize("NFKC", first)[:1] in ("=", "+", "-", "@") or first in _MINUS_LIKE


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and text header neutralised (numbers and dates untouched).

    >>> neutralise_frame(pd.DataFrame({"c": ["@x", "ok"], "n": [-1, 2]}))["c"].tolist()
    ["'@x", 'ok']
    """
    out = df.copy()
    out.columns = [neutralise(str(c)) if isinstance(c, str) else c for c in out.columns]
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            cleaned = col.astype(object).map(neutralise)
            out.isetitem(i, cleaned.where(cleaned.notna(), None).astype(object))
        elif isinstance(col.dtype, pd.DatetimeTZDtype):
            out.isetitem(i, col.dt.tz_localize(None))
    return out


def to_csv_bytes(df: pd.DataFrame, labelled: bool = False) -> bytes:
    """CSV as UTF-8 with a BOM (so Excel shows Persian and Portuguese text correctly), neutralised.

    ``labelled``: headers as the app shows them (``p_won`` -> "Chance of winning", cs_logic.core.labels), for the
    pages' downloads; a file's own columns keep their headers. Labels are neutralised like any header.

    >>> to_csv_bytes(pd.DataFrame({"a": ["=1"]}))[:3]
    b'\\xef\\xbb\\xbf'
    >>> to_csv_bytes(pd.DataFrame({"p_won": [0.5]}), labelled=True).decode("utf-8-sig").splitlines()[0]
    'Chance of winning'
    """
    text: str = neutralise_frame(relabel(df) if labelled else df).to_csv(index=False)
    return text.encode("utf-8-sig")


def sheet_names(names: list[str]) -> list[str]:
    """Valid, distinct Excel sheet names: no []:*?/\\, no quote at either end, at most 31 characters.

    >>> sheet_names(["a/b", "A/B", "x" * 40])
    ['ab', 'AB (2)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    out: list[str] = []
    for name in names:
        base = _SHEET_ILLEGAL.sub("", _XML_ILLEGAL.sub("", str(name))).strip().strip("'").strip()[:31]
        base = base if base and base.casefold() != "history" else "Sheet"
        candidate, n = base, 2
        while candidate.casefold() in {o.casefold() for o in out}:
            suffix = f" ({n})"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        out.append(candidate)
    return out


def xlsx_problem(sheets: Mapping[str, pd.DataFrame]) -> str | None:
    """Why the frames do not fit an XLSX workbook (more than 1,048,575 rows or 16,384 columns), or None.

    Cheap, so a page can decide whether to offer the XLSX before building it.

    >>> xlsx_problem({"Deals": pd.DataFrame({"a": [1]})}) is None
    True
    """
    for name, df in sheets.items():
        if len(df) > EXCEL_MAX_DATA_ROWS or df.shape[1] > EXCEL_MAX_COLUMNS:
            return (f"The table {name!r} has {len(df):,} rows and {df.shape[1]:,} columns; an Excel sheet holds at "
                    f"most {EXCEL_MAX_DATA_ROWS:,} rows and {EXCEL_MAX_COLUMNS:,} columns. Download it as CSV instead.")
    return None


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], labelled: bool = False) -> bytes:
    """An XLSX workbook, one sheet per frame, neutralised, strings never stored as formulas or links.

    Sheet names are made valid (see ``sheet_names``); ``labelled`` as in :func:`to_csv_bytes`. A frame with more than 1,048,575 rows or
    16,384 columns does not fit a sheet: ValueError (the message of :func:`xlsx_problem`), so the
    page can offer the CSV instead.

    >>> to_xlsx_bytes({"Deals": pd.DataFrame({"a": [1]})})[:2]
    b'PK'
    """
    if problem := xlsx_problem(sheets):
        raise ValueError(problem)
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        names = sheet_names(list(sheets)) or []
        for name, df in zip(names, sheets.values(), strict=True):
            neutralise_frame(relabel(df) if labelled else df).to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes(1, 0)
        if not names:
            pd.DataFrame().to_excel(writer, sheet_name="Sheet1", index=False)
    return buffer.getvalue()


def _has_url_data(spec: Any) -> bool:
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and "url" in data:
            return True
        return any(_has_url_data(v) for v in spec.values())
    if isinstance(spec, list):
        return any(_has_url_data(v) for v in spec)
    return False


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its data inline; ValueError if it would load data from a URL."""
    spec = chart.to_dict()
    if _has_url_data(spec):
        raise ValueError("This chart loads its data from a URL; only charts with inline data can be exported.")
    return spec


def _vl_version() -> dict[str, Any]:  # Any: vl-convert types the version as a Literal of those it bundles
    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return {"vl_version": version} if version in vlc.get_vegalite_versions() else {}


def chart_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """The chart as PNG bytes, rendered locally by vl-convert (no network).

    >>> chart_png(alt.Chart(pd.DataFrame({"x": [1]})).mark_bar().encode(x="x:Q"))[:4]
    b'\\x89PNG'
    """
    return bytes(vlc.vegalite_to_png(chart_spec(chart), scale=scale, **_vl_version()))


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG text, rendered locally by vl-convert (no network).

    >>> chart_svg(alt.Chart(pd.DataFrame({"x": [1]})).mark_bar().encode(x="x:Q")).startswith("<svg")
    True
    """
    return str(vlc.vegalite_to_svg(chart_spec(chart), **_vl_version()))

"""Recognise which canonical table a file is and map its columns to canonical fields, by headers and values."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_logic.core import schema
from cs_logic.read.ingest import positions_in_chunks
from cs_logic.read.parse import BLANKS as _BLANKS  # one list of blank words: what parsing leaves blank
from cs_logic.read.parse import is_arrow_text

SAMPLE = 2000  # values looked at per column
WIDE = 60  # above this many columns, fewer values are sampled and value-only columns are capped
MIN_FIELD = 0.2  # below this a column is not mapped to a field

# Words that say little on their own: a header that is just "date" or contains "id" somewhere.
GENERIC = frozenset(
    "id date name type status time value count text data score rating number code key state event day "
    "timestamp total amount title message answer response order customer user account source group tag "
    "stage plan product item email reason comment call case ticket subscription created".split()
)
_ID_TOKENS = frozenset({"id", "key", "code", "number", "no", "nr", "num", "ref", "uuid", "guid"})
_TRUE = frozenset("yes y true t 1 1.0 churned churn cancelled canceled exited lost left inactive si sí sim oui ja да بله".split())
_FALSE = frozenset("no n false f 0 0.0 retained stayed active kept non nao não نه нет".split())
_LONG_TEXT = frozenset({"comment", "body"})
# A satisfaction rating given as a word (Zendesk's Good / Bad): the top-box words and the others. A column of
# these under a satisfaction header is a CSAT; its other values ("Offered", "Unoffered") are no answers.
RATING_GOOD = frozenset({"good", "satisfied", "positive", "happy", "thumbs up", "great", "excellent"})
RATING_BAD = frozenset({"bad", "unsatisfied", "dissatisfied", "negative", "unhappy", "thumbs down", "poor"})
# Header words that name a count of something (Zendesk's "Replies"): never a rating, whatever its values.
COUNT_WORDS = frozenset({"count", "replies", "reopens", "interactions", "touches", "attempts", "messages",
                         "calls", "visits", "number", "num", "qty", "quantity", "times", "reassigns"})
# Header words naming a currency ("dollar_value", "amount_usd"): the column is a money amount.
CURRENCY_WORDS = frozenset("dollar dollars usd eur euro euros gbp jpy yen inr rupee rupees brl cad aud chf".split())
# Header openings that name a count of things ("number_of_cds", "count of items", "num_units"): a quantity.
COUNT_OPENINGS = (("number", "of"), ("count", "of"), ("no", "of"), ("num",), ("qty",))
_SURVEY_SIGNS = frozenset({"nps", "csat", "ces", "comment"})
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2}))?)?"
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_RE = (
    rf"(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}{_TIME}"
    rf"|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}{_TIME}"
    rf"|\d{{1,2}}[ -]{_MON}[ -,]*\d{{2,4}}{_TIME}"
    rf"|{_MON} \d{{1,2}},? \d{{4}}{_TIME})"
)
# A date written as one 8-digit number, YYYYMMDD (CDNOW's 19970101): years 1900-2099, as cs_logic.read.dates reads it.
_COMPACT_DATE_RE = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# From this share of a column's values being valid YYYYMMDD dates the column is dates by its values alone (an
# 8-digit id has month or day digits out of range in most rows: 20240001, 10045821).
COMPACT_DATES = 0.95
_CLOCK_RE = r"-?\d{1,3}:\d{2}(?::\d{2}(?:\.\d+)?)?"
_DUR_TEXT_RE = r"-?\d+(?:\.\d+)?\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)(?:\s+\d+\s*[a-z]+)*"

# Words that name things the app does not use, for the "it looks like ..." part of a reason.
_LOOKS_LIKE = (
    ("payment", "a list of payments"), ("invoice", "a list of invoices"), ("team", "a list of sales teams"),
    ("price", "a product price list"), ("product", "a list of products"), ("item", "a list of order items"),
    ("employee", "a staff list"), ("staff", "a staff list"), ("manager", "a list of staff and managers"),
    ("lead", "a list of leads"), ("campaign", "a list of marketing campaigns"), ("contact", "a contact list"),
    ("inventory", "an inventory list"), ("stock", "an inventory list"), ("geoloc", "a list of locations"),
    ("seller", "a list of sellers"), ("translation", "a translation table"),
)
_NAME_HINTS = {
    "accounts": ("account", "customer", "compan", "client"), "usage": ("usage", "activity", "events"),
    "tickets": ("ticket", "support", "helpdesk", "case", "call"), "surveys": ("survey", "nps", "review", "feedback"),
    "orders": ("order", "sales", "transaction"), "deals": ("deal", "opportunit", "pipeline"),
    "subscriptions": ("subscription",), "churn_events": ("churn_event", "cancellation"),
}


@dataclass(frozen=True)
class Detection:
    """What a file was recognised as.

    ``mapping`` is canonical field -> source column for ``table``; ``alternatives`` are other candidate
    tables with their scores, best first; ``field_scores`` gives, per field of ``table``, the best few
    columns and their scores (for the UI to show why).
    """

    table: str
    mapping: dict[str, str]
    confidence: float
    reason: str
    alternatives: tuple[tuple[str, float], ...] = ()
    field_scores: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Profile:
    n: int = 0
    num: float = 0.0
    ints: float = 0.0
    lo: float = math.nan
    hi: float = math.nan
    distinct_ints: int = 0
    date: float = 0.0
    clock: float = 0.0
    dur_text: float = 0.0
    boolish: bool = False
    distinct: int = 0
    unique: float = 0.0
    mean_len: float = 0.0
    spaced: float = 0.0
    email: float = 0.0
    numbers: tuple[float, ...] = ()  # the sample's numeric values, for range shares
    good: float = 0.0  # share of rating words among the values (RATING_GOOD, RATING_BAD)
    bad: float = 0.0


def normalise_header(h: object) -> str:
    """A header folded for matching: casefold, accents off, camelCase and digits split, punctuation to spaces.

    >>> normalise_header("CustomerID"), normalise_header("MonthlyCharges"), normalise_header(" Avg_Talk-Duration (s) ")
    ('customer id', 'monthly charges', 'avg talk duration s')
    """
    text = "" if h is None else str(h)
    text = text.translate(_DIGITS).replace("\u200c", " ")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    text = re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", text)
    text = re.sub(r"[\W_]+", " ", text.casefold())
    return " ".join(text.split())


_Lexicon = tuple[Mapping[str, tuple[tuple[str, str, int], ...]], Mapping[str, tuple[tuple[str, str], ...]]]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """Normalised synonym -> ((table, field, rank), ...), keyword -> ((table, field), ...); built once, read-only."""
    syn: dict[str, list[tuple[str, str, int]]] = {}
    kw: dict[str, list[tuple[str, str]]] = {}
    for t in schema.TABLES.values():
        for f in t.fields:
            for rank, s in enumerate(f.synonyms):
                syn.setdefault(normalise_header(s), []).append((t.name, f.name, rank))
            for k in f.keywords:
                kw.setdefault(normalise_header(k), []).append((t.name, f.name))
    return (MappingProxyType({k: tuple(v) for k, v in syn.items()}), MappingProxyType({k: tuple(v) for k, v in kw.items()}))


def _header_scores(header: object) -> dict[tuple[str, str], float]:
    """Score of this header for every (table, field) it points to, from synonyms and keywords."""
    raw = "" if header is None else str(header)
    norm = normalise_header(raw)
    tokens = norm.split()
    syn, kw = _lexicon()
    out: dict[tuple[str, str], float] = {}

    def put(key: tuple[str, str], score: float) -> None:
        out[key] = max(out.get(key, 0.0), score)

    n = len(tokens)
    for i in range(n):
        for j in range(i + 1, min(n, i + 8) + 1):
            phrase = " ".join(tokens[i:j])
            for t, f, rank in syn.get(phrase, ()):
                size, cover = j - i, (j - i) / n
                if size == n:
                    score = 0.7 if phrase in GENERIC else 1.0
                elif size == 1:
                    score = 0.12 + 0.1 * cover if phrase in GENERIC else 0.3 + 0.2 * cover
                else:
                    score = 0.5 + 0.4 * cover
                put((t, f), score - 0.002 * rank)
    question = raw.strip().endswith("?") or n >= 5
    for tok in tokens:
        for k, hits in kw.items():
            if tok == k or (len(k) >= 5 and tok.startswith(k)):
                for t, f in hits:
                    put((t, f), 0.75 if question else 0.5)
    if CURRENCY_WORDS & set(tokens) or any(tuple(tokens[:len(o)]) == o for o in COUNT_OPENINGS):
        named = "amount" if CURRENCY_WORDS & set(tokens) else "quantity"
        for tbl in schema.TABLES.values():
            if named in tbl.field_names:
                put((tbl.name, named), 0.5)
    if norm == "id":
        for tbl in schema.TABLES.values():
            if tbl.key:
                put((tbl.name, tbl.key), 0.7)
    if tokens and any(tok in _ID_TOKENS for tok in tokens):
        for key in list(out):
            if schema.TABLES[key[0]].field(key[1]).kind == schema.ID:
                out[key] = min(1.0, out[key] + 0.05)
    return out


def _sample(col: pd.Series, size: int) -> pd.Series:
    if len(col) > 4 * size:
        col = _candidates(col, size)
    s = col.dropna().astype(str).str.strip()
    s = s[~s.str.lower().isin(_BLANKS)]
    if len(s) > size:
        s = s.iloc[np.linspace(0, len(s) - 1, size).astype(int)]
    return s.str.translate(_DIGITS)


def _candidates(col: pd.Series, size: int) -> pd.Series:
    """Rows of a long text column for :func:`_sample`: non-blank after trimming, spread over the whole column.

    First 4 x ``size`` rows evenly spaced over the column are looked at: when at least ``size`` of them hold a
    value they are the candidates, so recognising a 5M-row column costs what a 8,000-row one does (it scanned
    every row: a second of the 6 s load of the benchmark's usage file). A mostly blank column is scanned whole,
    so its few values are still found. Anything but plain text is left whole.
    """
    spread = col.iloc[np.unique(np.linspace(0, len(col) - 1, 4 * size).astype(int))]
    found = _non_blank_rows(spread)
    if found is not None and len(found) >= size:
        return found
    found = _non_blank_rows(col)
    if found is None:  # not all text, or text Arrow cannot hold: the pandas way
        return col
    return found.iloc[np.linspace(0, len(found) - 1, size).astype(int)] if len(found) > size else found


def _non_blank_rows(col: pd.Series) -> pd.Series | None:
    """The rows of a text column that are not blank once trimmed; None when Arrow refuses a value (not text)."""
    if is_arrow_text(col):
        return col.iloc[_non_blank(pa.array(col))]
    values = col.to_numpy(dtype=object)
    try:  # Arrow refuses anything but text (numbers, dates) as it converts: no separate pass to check the types
        kept = positions_in_chunks(values, _non_blank)
    except (pa.ArrowException, UnicodeError):
        return None
    return col.iloc[kept]


def _non_blank(values: np.ndarray | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Positions of the values that are not blank once trimmed (None, "", "N/A"...)."""
    raw = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(
        values, type=pa.large_string(), from_pandas=True)
    text = pc.utf8_trim_whitespace(raw)
    blank = pc.is_in(pc.utf8_lower(text), value_set=pa.array(sorted(_BLANKS), pa.large_string()))
    return np.flatnonzero(np.asarray(pc.and_not(text.is_valid(), blank).fill_null(False)))


def _profile(col: pd.Series, size: int = SAMPLE) -> _Profile:
    """What the values of a column look like, from a sample of its non-blank values."""
    s = _sample(col, size)
    n = len(s)
    if n == 0:
        return _Profile()
    # A currency sign before or after the amount; "1.200,50" (a dot between thousands, a decimal comma) as the
    # parser reads it (cs_logic.read.parse): European exports write money so.
    cleaned = s.str.replace(r"^[\$€£¥₹]\s*|\s*[\$€£¥₹]$|[%\s]+$", "", regex=True)
    european = cleaned.str.fullmatch(r"-?\d{1,3}(?:\.\d{3})+,\d+")
    if european.any():
        cleaned = cleaned.where(~european, cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    cleaned = cleaned.str.replace(r"(?<=\d),(?=\d{3}\b)", "", regex=True)
    cleaned = cleaned.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    nums = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(nums)
    vals = nums[ok]
    whole = vals[np.isclose(vals, np.round(vals))] if len(vals) else vals
    lower = s.str.lower()
    distinct = int(lower.nunique())
    bool_vals = set(lower.unique()) if distinct <= 2 else set()
    boolish = 0 < len(bool_vals) <= 2 and bool_vals <= (_TRUE | _FALSE) and not (bool_vals <= _TRUE or bool_vals <= _FALSE)
    lengths = s.str.len()
    return _Profile(
        n=n,
        num=float(ok.mean()),
        ints=float(len(whole) / n),
        lo=float(vals.min()) if len(vals) else math.nan,
        hi=float(vals.max()) if len(vals) else math.nan,
        distinct_ints=len(np.unique(whole)),
        date=max(float(s.str.fullmatch(_DATE_RE, case=False).mean()), _compact_date_share(s)),
        clock=float(s.str.fullmatch(_CLOCK_RE).mean()),
        dur_text=float(lower.str.fullmatch(_DUR_TEXT_RE).mean()),
        boolish=boolish,
        distinct=distinct,
        unique=distinct / n,
        mean_len=float(lengths.mean()),
        spaced=float(s.str.contains(" ", regex=False).mean()),
        email=float(s.str.contains(r"^[^@\s]+@[^@\s]+\.\w+$", regex=True).mean()),
        numbers=tuple(vals.tolist()),
        good=float(lower.isin(RATING_GOOD).mean()),
        bad=float(lower.isin(RATING_BAD).mean()),
    )


def _compact_date_share(s: pd.Series) -> float:
    """Share of the values that are real YYYYMMDD dates, when that is the column's way of writing dates
    (COMPACT_DATES of them or more), else 0: a few 8-digit values among other numbers are no dates.

    >>> _compact_date_share(pd.Series(["19970101", "19970229", "19980630"]))  # 1997 had no 29 February
    0.0
    >>> _compact_date_share(pd.Series(["19970101", "19980228", "19980630"]))
    1.0
    """
    shaped = s.str.fullmatch(_COMPACT_DATE_RE)
    if not len(s) or shaped.mean() < COMPACT_DATES:
        return 0.0
    real = pd.to_datetime(s[shaped], format="%Y%m%d", errors="coerce").notna()
    share = float(real.sum() / len(s))
    return share if share >= COMPACT_DATES else 0.0


def _range_share(p: _Profile, lo: int, hi: int) -> float:
    """Share of the numeric values that are whole numbers within [lo, hi]."""
    vals = np.asarray(p.numbers, dtype=float)
    if not len(vals):
        return 0.0
    return float((np.isclose(vals, np.round(vals)) & (vals >= lo) & (vals <= hi)).mean())


def _in_range(p: _Profile, lo: int, hi: int) -> bool:
    return p.num >= 0.8 and _range_share(p, lo, hi) >= 0.9


# Named thresholds of the value scorers below (shares are of a column's sampled non-blank values).
EMPTY_FIT = 0.5  # a column with no values fits any field half-way: its header decides
DATE_FLOOR, DATE_SPAN = 0.5, 0.4  # date fit rises from 0 at 50% dates to 1 at 90%
TIMESTAMPS = 0.5  # from this share of dates a column is timestamps: no number, duration or score
MOSTLY_DATES = 0.8  # from this share of dates an id, text or category column is nearly ruled out
NUMERIC_MIN, NUMERIC_FULL = 0.6, 0.9  # numbers: below the first not a number, from the second fully one
DURATION_TEXT = 0.8  # share of "1:30" or "90 min" text that makes a duration
SCORE_NUMERIC = 0.8  # a score column is at least this share numbers
SCORE_MOST = 0.5  # a score column with a few bad answers still maps when this share fits the scale
FEW_VALUES = 2  # a yes/no column has at most this many distinct values
ID_LONG_TEXT, ID_MIN_ROWS = 60, 5  # an id is shorter than this; a two-value column over this many rows is no id
LONG_TEXT_LEN = 40  # mean length at which a comment or description fits fully
CATEGORY_LONG, CATEGORY_DISTINCT = 50, 50  # long unique text is no category; a category has few distinct values
CATEGORY_NUMERIC_DISTINCT = 20  # numbers with more distinct values than this are a measure, not a category
CATEGORY_REPEAT = 0.2  # below this distinct share, values repeat enough to be categories anyway

_Scorer = Callable[[str, _Profile], float]


def _fit_date(name: str, p: _Profile) -> float:
    return min(1.0, max(0.0, (p.date - DATE_FLOOR) / DATE_SPAN))


def _fit_number(name: str, p: _Profile) -> float:
    if p.date >= TIMESTAMPS or p.num < NUMERIC_MIN:
        return 0.0
    return 0.5 if p.boolish else (1.0 if p.num >= NUMERIC_FULL else 0.6)


def _fit_duration(name: str, p: _Profile) -> float:
    if p.date >= TIMESTAMPS:
        return 0.0
    if max(p.clock, p.dur_text) >= DURATION_TEXT:
        return 1.0
    return 0.9 if p.num >= NUMERIC_FULL and not p.boolish else 0.0


def _fit_bool(name: str, p: _Profile) -> float:
    if p.boolish:
        return 1.0
    return 0.4 if p.distinct <= FEW_VALUES and p.num < 0.5 else 0.0


def _fit_score(kind: str) -> _Scorer:
    """The scorer of a score kind (NPS 0-10, CSAT 1-5, CES 1-7): whole numbers on its scale."""
    lo, hi = schema.SCORE_RANGES[kind]

    def fit(name: str, p: _Profile) -> float:
        if kind == schema.CSAT and p.good > 0 and p.bad > 0 and p.num == 0:
            return 0.9  # a rating in words (Good / Bad): read by the decision in cs_logic.read.meanings
        if p.boolish or p.num < SCORE_NUMERIC:
            return 0.0
        if not _in_range(p, lo, hi):
            # A few bad answers (11, -1, 9.5) must not hide a score column: map it when most
            # values fit, and let validation report each bad one by row.
            return 0.5 if _range_share(p, lo, hi) >= SCORE_MOST else 0.0
        if kind == schema.NPS:
            if p.hi <= 5:  # a 0-5 or 1-5 scale is a CSAT, not a 0-10 recommendation
                return 0.3
            return 1.0 if p.distinct_ints >= 6 or (p.lo <= 6 and p.hi >= 9) else 0.6
        if kind == schema.CES:
            return 1.0 if p.hi >= 6 else 0.5
        return 1.0

    return fit


def _fit_id(name: str, p: _Profile) -> float:
    if p.date >= MOSTLY_DATES:
        return 0.05
    few = (p.boolish or p.distinct <= FEW_VALUES) and p.n > ID_MIN_ROWS
    if few or p.mean_len > ID_LONG_TEXT or (p.num >= 0.5 and p.ints < 0.5 * p.num):
        return 0.1
    return max(0.2, min(1.0, 0.8 + 0.2 * min(1.0, 2 * p.unique) - 0.3 * p.spaced))


def _fit_text(name: str, p: _Profile) -> float:
    if p.date >= MOSTLY_DATES:
        return 0.05
    if p.num >= NUMERIC_FULL:
        return 0.1
    if name in _LONG_TEXT:
        return 0.3 + 0.7 * min(1.0, p.mean_len / LONG_TEXT_LEN)
    if "email" in name:
        return 1.0 if p.email >= 0.5 else 0.5
    return 0.9


def _fit_category(name: str, p: _Profile) -> float:
    if p.date >= MOSTLY_DATES:
        return 0.05
    if p.mean_len > CATEGORY_LONG and p.unique > 0.5:
        return 0.2
    if p.num >= NUMERIC_FULL and p.distinct > CATEGORY_NUMERIC_DISTINCT:
        return 0.3
    return 1.0 if p.distinct <= CATEGORY_DISTINCT or p.unique < CATEGORY_REPEAT else 0.6


# Field kind -> how well a column's values fit it (datasette keeps its filters as such a registry).
VALUE_SCORERS: Mapping[str, _Scorer] = MappingProxyType({
    schema.DATE: _fit_date, schema.NUMBER: _fit_number, schema.DURATION: _fit_duration, schema.BOOL: _fit_bool,
    **{kind: _fit_score(kind) for kind in schema.SCORE_RANGES},
    schema.ID: _fit_id, schema.TEXT: _fit_text, schema.CATEGORY: _fit_category,
})


def _value_fit(kind: str, name: str, p: _Profile) -> float:
    """How well a column's values fit a field's kind: 0 = incompatible, 1 = exactly what it should hold.

    >>> _value_fit(schema.BOOL, "churned", _Profile(n=4, boolish=True, distinct=2))
    1.0
    """
    if p.n == 0:
        return EMPTY_FIT
    return VALUE_SCORERS.get(kind, _fit_category)(name, p)


def looks_like_timestamps(col: pd.Series) -> bool:
    """Whether most values of a column are dates or date-times (not durations or numbers).

    >>> looks_like_timestamps(pd.Series(["2023-06-01 12:15", "2023-06-01 13:00"]))
    True
    """
    return _profile(col).date >= 0.5


def _full_scale(kind: str, p: _Profile, fit: float) -> bool:
    """Whole numbers using most of a score scale (0-10 starting at 0 for NPS): strong enough to map alone."""
    if kind not in schema.SCORE_RANGES or fit < 1.0:
        return False
    lo, hi = schema.SCORE_RANGES[kind]
    return p.lo == lo and p.distinct_ints >= (hi - lo + 1) * 0.6 and p.n >= 10


def _full_unique(col: pd.Series) -> float:
    """Share of distinct values among the non-blank values of the whole column (first 200,000)."""
    s = col.iloc[:200_000].dropna().astype(str).str.strip()
    s = s[s != ""]
    return float(s.nunique() / len(s)) if len(s) else 0.0


@dataclass(frozen=True)
class _Evidence:
    headers: tuple[str, ...]
    scores: dict[str, dict[str, dict[int, float]]]  # table -> field -> column position -> score
    frame: pd.DataFrame


def _evidence(frame: pd.DataFrame) -> _Evidence:
    """Every (table, field, column) score of a frame, header and values combined."""
    headers = tuple("" if c is None else str(c) for c in frame.columns)
    hs = [_header_scores(h) for h in headers]
    wide = len(headers) > WIDE
    best_header = [max(h.values(), default=0.0) for h in hs]
    order = [i for i in range(len(headers)) if best_header[i] > 0] [:300]
    order += [i for i in range(len(headers)) if best_header[i] == 0][: (50 if wide else len(headers))]
    profiles = {i: _profile(frame.iloc[:, i], 300 if wide else SAMPLE) for i in order}
    surveyish = any(p.mean_len > 25 and p.spaced > 0.5 and p.unique > 0.5 for p in profiles.values()) or any(
        t == "surveys" and f in _SURVEY_SIGNS and s >= 0.5 for h in hs for (t, f), s in h.items()
    )
    scores: dict[str, dict[str, dict[int, float]]] = {t: {} for t in schema.TABLE_NAMES}
    for i, p in profiles.items():
        for t in schema.TABLES.values():
            for f in t.fields:
                fit = _value_fit(f.kind, f.name, p)
                h = hs[i].get((t.name, f.name), 0.0)
                if (h == 0.0 and surveyish and best_header[i] < 0.3 and _full_scale(f.kind, p, fit)
                        and not COUNT_WORDS & set(normalise_header(headers[i]).split())):
                    h = 0.45  # a strong value pattern under an uninformative header, in a survey-like file
                if h == 0.0 or (p.n and fit < 0.15):
                    continue
                scores[t.name].setdefault(f.name, {})[i] = h * (0.4 + 0.6 * fit)
    return _Evidence(headers, scores, frame)


def _assign(ev: _Evidence, table: str) -> dict[str, tuple[int, float]]:
    """Field -> (column position, score), one column per field, greedily from the best pair down."""
    pairs = sorted(
        ((s, f, i) for f, cols in ev.scores[table].items() for i, s in cols.items() if s >= MIN_FIELD),
        key=lambda x: (-x[0], x[2]),
    )
    out: dict[str, tuple[int, float]] = {}
    used: set[int] = set()
    for s, f, i in pairs:
        if f not in out and i not in used:
            out[f] = (i, s)
            used.add(i)
    return _name_as_key(ev, table, out)


# A table whose key may be its name column when the export has no id column (a CRM report of accounts keyed
# by Account Name): the name is the key only when no two rows share it.
_NAME_KEYS = {"accounts": "account_name"}
NAME_KEY_UNIQUE = 1.0
NAME_KEY_SCORE = 0.8  # the header must name the thing ("Account Name"), not be a bare "Name" (a staff list)


def _name_as_key(ev: _Evidence, table: str, out: dict[str, tuple[int, float]]) -> dict[str, tuple[int, float]]:
    """``out`` with the key field on the name column when there is no id column and every name is distinct."""
    key, name = schema.table(table).key, _NAME_KEYS.get(table)
    if key is None or name is None or key in out or name not in out:
        return out
    i, score = out[name]
    if score >= NAME_KEY_SCORE and _full_unique(ev.frame.iloc[:, i]) >= NAME_KEY_UNIQUE:
        out = {**out, key: (i, score)}
    return out


def _table_score(
    ev: _Evidence, table: str, fields: dict[str, tuple[int, float]], file_name: str, top: float
) -> float:
    """How well a file fits a table: 0 when no `needs` alternative is complete."""
    t = schema.table(table)
    complete = [alt for alt in t.needs if all(f in fields for f in alt)]
    if not complete:
        return 0.0
    needs_q = max(sum(fields[f][1] for f in alt) / len(alt) for alt in complete)
    strength = sum(s for _, s in fields.values())
    # Quality of the minimum needed, how much maps, and how much maps relative to the best-fitting table.
    score = 0.25 * needs_q + 0.35 * (1 - math.exp(-strength / 3)) + 0.4 * (strength / top if top else 0.0)
    if t.key and t.key in fields:
        u = _full_unique(ev.frame.iloc[:, fields[t.key][0]])
        # An accounts list has one row per account; repeated ids mean events, tickets or orders.
        score *= (1.0 if u >= 0.9 else 0.15 + 0.6 * u) if table == "accounts" else 0.85 + 0.15 * u
    name = normalise_header(file_name).replace(" ", "_")
    if name and any(h in name for h in _NAME_HINTS.get(table, ())):
        score += 0.03
    return min(1.0, score)


def _label(table: str, field_name: str) -> str:
    label = schema.table(table).field(field_name).label
    return label if label.isupper() or label[:3].isupper() else label[0].lower() + label[1:]


def _article(words: str) -> str:
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _looks_like(ev: _Evidence, file_name: str) -> str:
    for text in (normalise_header(file_name), " ".join(normalise_header(h) for h in ev.headers)):
        for word, guess in _LOOKS_LIKE:
            if word in text:
                return guess
    return "a file with columns " + ", ".join(f'"{h}"' for h in ev.headers[:5])


def _unknown_reason(ev: _Evidence, maps: dict[str, dict[str, tuple[int, float]]], file_name: str) -> str:
    """Say what the closest table was missing and what the file looks like."""
    guess = _looks_like(ev, file_name)

    def closeness(t: str) -> tuple[float, float]:
        missing = min(sum(f not in maps[t] for f in alt) / len(alt) for alt in schema.table(t).needs)
        return (-missing, sum(s for _, s in maps[t].values()))

    best = max(schema.TABLE_NAMES, key=closeness)
    if not maps[best]:
        return (f"None of its columns look like the ids, dates, scores or amounts of any table the app uses; "
                f"it looks like {guess}, which the app does not use.")
    need = schema.table(best).needs
    fewest = min(sum(f not in maps[best] for f in alt) for alt in need)
    missing = dict.fromkeys(f for alt in need if sum(f not in maps[best] for f in alt) == fewest
                            for f in alt if f not in maps[best])
    found = [f'{_label(best, f)} ("{ev.headers[i]}")' for f, (i, _) in maps[best].items()][:4]
    return (f"It has {' and '.join(found)} but no {' or '.join(_label(best, f) for f in missing)}, so it is not "
            f"{_article(best.replace('_', ' '))} table; it looks like {guess}, which the app does not use.")


def _known_reason(ev: _Evidence, table: str, fields: dict[str, tuple[int, float]],
                  alts: list[tuple[str, float]], score: float) -> str:
    t = schema.table(table)
    top = sorted(fields.items(), key=lambda kv: -kv[1][1])[:4]
    found = ", ".join(f'{_label(table, f)} ("{ev.headers[i]}")' for f, (i, _) in top)
    text = f"It reads as {t.label}: {found}; {len(fields)} columns mapped."
    if alts and alts[0][1] >= 0.6 * score:
        text += f" It could also be {alts[0][0].replace('_', ' ')}, which fits fewer of its columns as well."
    return text


def detect(frame: pd.DataFrame, file_name: str = "") -> Detection:
    """Recognise which canonical table ``frame`` is and map its columns.

    Examples
    --------
    >>> df = pd.DataFrame({"customerID": ["a1", "a2"], "Churn": ["Yes", "No"]})
    >>> d = detect(df)
    >>> d.table, d.mapping["churned"]
    ('accounts', 'Churn')
    """
    try:
        ev = _evidence(frame)
    except Exception as exc:  # noqa: BLE001 - str() of any cell of any frame: an odd one must not break the upload page
        return Detection(schema.UNKNOWN, {}, 0.0, f"The columns could not be read for recognition ({exc}).")
    maps = {t: _assign(ev, t) for t in schema.TABLE_NAMES}
    top = max(sum(s for _, s in m.values()) for m in maps.values())
    ranked = sorted(((t, _table_score(ev, t, maps[t], file_name, top)) for t in schema.TABLE_NAMES), key=lambda x: -x[1])
    cands = [(t, round(s, 3)) for t, s in ranked if s > 0]
    if not cands or cands[0][1] < 0.25:
        return Detection(schema.UNKNOWN, {}, 0.0, _unknown_reason(ev, maps, file_name), tuple(cands))
    table, score = cands[0]
    second = cands[1][1] if len(cands) > 1 else 0.0
    confidence = round(score * (1 - 0.5 * (second / score) ** 2), 3)
    fields = maps[table]
    per_field = {
        f: {ev.headers[i]: round(s, 3) for i, s in sorted(cols.items(), key=lambda kv: -kv[1])[:3]}
        for f, cols in ev.scores[table].items()
    }
    return Detection(
        table,
        {f: ev.headers[i] for f, (i, _) in fields.items()},
        confidence,
        _known_reason(ev, table, fields, cands[1:], score),
        tuple(cands[1:]),
        per_field,
    )


def map_columns(frame: pd.DataFrame, table: str) -> dict[str, str]:
    """The best mapping of ``frame``'s columns for a table the manager chose.

    >>> map_columns(pd.DataFrame({"Ticket ID": ["1"], "Priority": ["High"]}), "tickets")
    {'ticket_id': 'Ticket ID', 'priority': 'Priority'}
    >>> map_columns(pd.DataFrame({"Ticket ID": ["1"]}), schema.UNKNOWN)  # "not a table": no field to map
    {}
    """
    if table not in schema.TABLES:
        return {}
    try:
        ev = _evidence(frame)
    except Exception:  # noqa: BLE001 - as in detect(): an unreadable frame maps to nothing, by hand
        return {}
    return {f: ev.headers[i] for f, (i, _) in _assign(ev, table).items()}

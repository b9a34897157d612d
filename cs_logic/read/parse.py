"""Turn one column of exported text into typed values: numbers, dates, flags, durations, ids."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_logic.read.dates import NAT, SLICE_ROWS, iso_only, plain_iso_days, read_dates


@dataclass(frozen=True)
class Parsed:
    """A parsed column: typed ``values`` (same index), ``bad`` (non-blank but unreadable), a ``note``."""

    values: pd.Series
    bad: pd.Series
    note: str = ""


BLANKS: frozenset[str] = frozenset(
    {"", "na", "n/a", "n.a.", "#n/a", "n/d", "null", "none", "nan", "nat", "nil", "-", "--", "---",
     "—", "–",
     "not provided", "not available", "unknown", "?", "missing", "(blank)", "blank", "empty", "#null!",
     "não informado", "sem informação", "desconhecido", "نامشخص"}
)
TRUE_WORDS: frozenset[str] = frozenset(
    {"yes", "y", "true", "t", "1", "1.0", "on", "active", "sim", "s", "sí", "si", "oui", "ja", "да",
     "так",
     "بله", "آری", "آره", "churned", "churn", "cancelled", "canceled", "exited", "lost", "left"}
)
FALSE_WORDS: frozenset[str] = frozenset(
    {"no", "n", "false", "f", "0", "0.0", "off", "inactive", "não", "nao", "non", "nein", "нет", "не",
     "خیر", "نه", "retained", "kept", "stayed", "renewed"}
)
# In a churn column "active" means "not churned", so it flips (churned/active, cancelled/active).
_CHURN_WORDS = frozenset({"churned", "churn", "cancelled", "canceled", "exited", "lost", "left"})
_HOURS_PER_UNIT = {"seconds": 1 / 3600, "minutes": 1 / 60, "hours": 1.0, "days": 24.0}
_LOCAL_DIGITS = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"

_CURRENCY = (
    r"(?:R\$|US\$|A\$|C\$|[$€£¥₹₽₺₩₪₫฿]|(?i:usd|eur|gbp|brl|jpy|cny|rmb|inr|irr|irt|aud|cad|chf|"
    r"sek|nok|dkk|mxn|rub|try|zar|aed|sar|rial|toman)|ریال|تومان)"
)
_NUMBER = (
    r"^(?P<open>\()?\s*(?P<sign>[+-])?\s*(?P<cur>" + _CURRENCY + r")?\s*(?P<sign2>[+-])?\s*"
    r"(?P<num>\d[\d.,' \x{a0}\x{2009}\x{202f}’]*|[.,]\d+)(?P<exp>[eE][+-]?\d+)?\s*(?P<pct>%)?\s*"
    r"(?P<cur2>" + _CURRENCY + r")?\s*(?P<close>\))?(?P<trail>-)?$"
)
_COMMA_STYLE = r"^\d{1,3}(\.\d{3})+,\d*$|^\d*,(\d{1,2}|\d{4,})$|^\d{4,},\d+$|^\d{1,3}(\.\d{3}){2,}$"
_POINT_STYLE = r"^\d{1,3}(,\d{3})+\.\d*$|^\d*\.(\d{1,2}|\d{4,})$|^\d{4,}\.\d+$|^\d{1,3}(,\d{3}){2,}$"
_VALID = {",": r"^(\d{1,3}(\.\d{3})+|\d*)(,\d*)?$", ".": r"^(\d{1,3}(,\d{3})+|\d*)(\.\d*)?$"}

_NUM = r"\d+(?:[.,]\d+)?"
_CLOCK = (
    r"^(?P<neg>[-+])?(?:(?P<d>\d+)\s*(?:days?|d)\s*,?\s*)?"
    r"(?P<h>\d+):(?P<m>\d{1,2})(?::(?P<s>\d{1,2}(?:\.\d+)?))?$"
)
_WORDS = (
    rf"^(?P<neg>[-+])?\s*(?:(?P<w>{_NUM})\s*(?:weeks?|wks?|w|semanas?)\s*,?\s*)?"
    rf"(?:(?P<d>{_NUM})\s*(?:days?|d|dias?|días?|روز)\s*,?\s*)?"
    rf"(?:(?P<h>{_NUM})\s*(?:hours?|hrs?|h|horas?|ساعت)\s*,?\s*(?:and\s+|e\s+)?)?"
    rf"(?:(?P<m>{_NUM})\s*(?:minutes?|mins?|m|minutos?|دقیقه)\s*,?\s*(?:and\s+|e\s+)?)?"
    rf"(?:(?P<s>{_NUM})\s*(?:seconds?|secs?|s|segundos?|ثانیه))?$"
)
_ISO_DURATION = r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
_UNIT_WORDS = {
    "seconds": {"seconds", "second", "secs", "sec", "s", "segundos", "segundo", "ثانیه"},
    "minutes": {"minutes", "minute", "mins", "min", "m", "minutos", "minuto", "دقیقه"},
    "hours": {"hours", "hour", "hrs", "hr", "h", "horas", "hora", "ساعت"},
    "days": {"days", "day", "d", "dias", "dia", "días", "روز"},
}
_SHORT_UNITS = {"s", "m", "h", "d"}  # single letters count only as a suffix or in brackets: "time_h", "(h)"


def is_arrow_text(col: pd.Series) -> bool:
    """Whether a column holds Arrow-backed text (a large CSV, read by cs_logic.read.ingest's Arrow reader)."""
    dtype = col.dtype
    return isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype)
                                                 or pa.types.is_large_string(dtype.pyarrow_dtype))


def _text(s: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The column as trimmed Arrow text with local digits made ASCII, blanks null; and the blank mask."""
    return _trimmed(_source(s)[1])


def _source(s: pd.Series) -> tuple[np.ndarray | None, pa.Array]:
    """The column's values as objects (non-text values as their text) and as Arrow text, untrimmed.

    Arrow-backed text (a large CSV) is handed over as it is, with no objects (None): making one Python string
    per cell is what reading large files cost.
    """
    if is_arrow_text(s):
        raw = pa.array(s)  # a ChunkedArray when the column has several chunks
        return None, raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
    values = s.to_numpy(dtype=object)  # blanks (None, NaN, NA) become null in Arrow; no copy of a text column
    try:  # all text (the usual case): Arrow checks the types as it converts, no separate pass over the values
        return values, pa.array(values, type=pa.large_string(), from_pandas=True)
    except pa.ArrowTypeError:  # numbers, dates or other values among the text: those are read as their text
        pass
    odd = [i for i, v in enumerate(values) if v is not None and not isinstance(v, str)]
    if odd:
        values = values.copy()
        for i in odd:
            v = values[i]
            whole = isinstance(v, float) and v.is_integer()
            values[i] = None if pd.isna(v) else (str(int(v)) if whole else str(v))
    return values, pa.array(values, type=pa.large_string(), from_pandas=True)


_BLANK_WORD = "^(?:" + "|".join(re.escape(w) for w in sorted(BLANKS)) + ")$"


def _trimmed(raw: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Arrow text trimmed, local digits made ASCII, blank words null; and the blank mask."""
    text = pc.utf8_trim_whitespace(raw)
    non_ascii = pc.any(pc.invert(pc.string_is_ascii(text))).as_py()  # local digits are never ASCII
    if non_ascii and pc.any(pc.match_substring_regex(text, f"[{_LOCAL_DIGITS}٫٬]")).as_py():
        for i, digit in enumerate(_LOCAL_DIGITS):
            text = pc.replace_substring(text, digit, str(i % 10))
        text = pc.replace_substring(pc.replace_substring(text, "٬", ""), "٫", ".")
    # A blank word in any case, found without a lower-cased copy of the column (125 MB for 5M values).
    word = pc.match_substring_regex(text, _BLANK_WORD, ignore_case=True)
    blank_mask = np.asarray(pc.or_kleene(pc.is_null(text), word).fill_null(True))
    if not pc.any(word).as_py():  # the usual column: no blank word, so no copy with them made null
        return text, blank_mask
    return pc.if_else(word, pa.scalar(None, text.type), text), blank_mask


# A long Arrow-backed column with at most this share of distinct values is read on its distinct values once each
# (a usage export's 5M dates are a few hundred days); the rows take their value from their distinct value.
DISTINCT_SHARE = 0.2
DISTINCT_MIN_ROWS = 10_000


def _encoded(s: pd.Series, share: float = DISTINCT_SHARE) -> tuple[pa.Array, np.ndarray] | None:
    """(distinct raw values, each row's position among them, len(distinct) for a null) of a long Arrow-backed
    column with few distinct values; None for any other column."""
    if len(s) < DISTINCT_MIN_ROWS or not is_arrow_text(s):
        return None
    encoded = pc.dictionary_encode(pa.array(s))  # per chunk when the column has several: only the codes are joined
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    if len(encoded.dictionary) > share * len(s):
        return None
    indices = encoded.indices  # no blank: taken as they are (fill_null copies 5M codes)
    return encoded.dictionary, np.asarray(indices.fill_null(len(encoded.dictionary)) if indices.null_count else indices)


def _spread(distinct: np.ndarray, codes: np.ndarray, missing: object) -> np.ndarray:
    """Per-row values from the values of the distinct values (``missing`` for a null row)."""
    return np.asarray(np.append(distinct, np.array([missing], dtype=distinct.dtype))[codes])


def _result(
    s: pd.Series, values: object, bad: np.ndarray, notes: Iterable[str] = (), dtype: object = None
) -> Parsed:
    # copy=False: pandas 3 copies an array handed to the Series constructor (0.1 s per 5M-row column).
    return Parsed(
        pd.Series(values, index=s.index, name=s.name, dtype=dtype, copy=False),
        pd.Series(bad, index=s.index, name=s.name, dtype=bool, copy=False),
        "; ".join(n for n in notes if n),
    )


def _is_number(s: pd.Series) -> bool:
    """Already numeric (or bool): passed through; anything else that is not text is read as its text."""
    return bool(pd.api.types.is_numeric_dtype(s.dtype))


def parse_numbers(s: pd.Series) -> Parsed:
    """Numbers as float64, deciding the decimal separator once for the column.

    >>> parse_numbers(pd.Series(["1.234,5", "12,5", "N/A"])).values.tolist()
    [1234.5, 12.5, nan]
    """
    if _is_number(s):
        return _result(s, s.astype("float64").to_numpy(), np.zeros(len(s), bool))
    if (whole := _whole_number_text(s)) is not None:
        return _result(s, whole, np.zeros(len(s), bool), [_inexact_note(whole)])
    if (encoded := _encoded(s)) is not None:
        distinct, codes = encoded
        plain = _only_plain(_trimmed(distinct)[0])
        if plain is not None:  # no value needed a column-wide decision, so reading distinct values is the same
            return _result(s, _spread(plain[0], codes, np.nan), np.zeros(len(s), bool), [*plain[1], _inexact_note(plain[0])])
    text, _ = _text(s)
    values, bad, notes = _read_numbers(text)
    return _result(s, values, bad, [*notes, _inexact_note(values)])


def _whole_number_text(s: pd.Series) -> np.ndarray | None:
    """Float64 values of an Arrow-backed column whose every value is a whole number as Arrow's integer cast reads it
    (a count column); None for any other column.

    This is the first reading :func:`_plain_numbers` tries, on the column as it is rather than trimmed: a value the
    cast takes holds no space, no local digit and no blank word, which is all trimming changes, so the numbers are
    the same, with nothing voted on and no note but :func:`_inexact_note`'s. It needs no dictionary of the
    distinct values (5M counts: 0.08 s -> 0.03 s of CPU).
    """
    if not is_arrow_text(s):
        return None
    raw = _source(s)[1]
    if raw.null_count == len(raw):
        return None
    values = np.empty(len(raw), dtype=np.float64)
    for start in range(0, len(raw), SLICE_ROWS):  # a slice at a time: no whole column of int64 beside the floats
        try:
            whole = pc.cast(raw.slice(start, SLICE_ROWS), pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        # As in _plain_numbers, a whole number beyond 2^53 is rounded to the nearest float (and said so), not an
        # error; a blank is NaN (to_numpy gives floats with NaN for a slice with blanks).
        values[start:start + len(whole)] = whole.to_numpy(zero_copy_only=False)
    return values


# 2^53: beyond it float64 cannot hold every whole number (9007199254740993 is read as ...992).
EXACT_LIMIT = 2.0**53


def _inexact_note(values: np.ndarray) -> str:
    """A note when some values are too large to be held exactly as numbers (an id column read as numbers)."""
    if not len(values) or -EXACT_LIMIT < np.fmin.reduce(values) and np.fmax.reduce(values) < EXACT_LIMIT:
        return ""  # the usual column, found without a whole-column temporary (np.abs of 5M values is 40 MB)
    with np.errstate(invalid="ignore"):
        large = np.abs(values) >= EXACT_LIMIT
    if not large.any():
        return ""
    return (f"{int(large.sum()):,} value(s) from 9,007,199,254,740,992 (2^53) up may be rounded when read as numbers "
            f"(e.g. {values[large][0]:,.0f}); if the column is an id, map it as one")


def _only_plain(text: pa.Array) -> tuple[np.ndarray, list[str]] | None:
    """Values and notes of a column whose every value is a plain number (as :func:`_read_numbers` reads it);
    None when any value needs the general reading, whose decimal separator is decided by votes over rows."""
    plain = _plain_numbers(text)
    if plain is None or (np.asarray(text.is_valid()) & ~plain[1]).any():
        return None
    return plain[0], _dots_note(plain[2], plain[3])


def _dots_note(point_votes: int, dots_seen: bool) -> list[str]:
    """The note for plain numbers alone: a "1.234" among them and no value that shows the dot is decimal."""
    return ["dots read as decimal points (1.234 = 1.234; could be thousands)"] if point_votes == 0 and dots_seen else []


def _read_numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Values, bad mask and notes: plain numbers ("12", "-3.5") in one Arrow cast, the rest by the general regex.

    The general reading of the other values counts the plain ones' votes, so the decimal separator and the notes
    are decided over the whole column exactly as if every value had gone through the regex.
    """
    plain = _plain_numbers(text)
    if plain is None:
        return _general_numbers(text)[:3]
    values, eligible, point_votes, dots_seen = plain
    rest = np.asarray(text.is_valid()) & ~eligible
    if not rest.any():
        return values, np.zeros(len(text), bool), _dots_note(point_votes, dots_seen)
    others, bad, notes, decimal = _general_numbers(text.filter(pa.array(rest)), point_votes, dots_seen)
    if decimal == ",":  # the plain values' dots are thousands separators after all: read the column again
        return _general_numbers(text)[:3]
    values[rest] = others
    full_bad = np.zeros(len(text), bool)
    full_bad[rest] = bad
    return values, full_bad, notes


def _plain_numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray, int, bool] | None:
    """Values of the plain numbers (optional sign, digits, at most one dot), which rows those are, the votes they
    cast for a decimal point, and whether one looks like "1.234"; None when there are none or Arrow refuses one.
    """
    try:  # the usual count column, whole numbers only: one cast and nothing to vote on (0.7 s -> 0.1 s for 5M)
        whole_numbers = pc.cast(text, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        whole_numbers = None
    if whole_numbers is not None and whole_numbers.null_count < len(whole_numbers):
        # safe=False: a whole number beyond 2^53 has no exact float64 and Arrow's checked cast raised (a traceback on
        # the command line, an error box on the Data page); it is rounded as every float reading rounds it, and
        # parse_numbers says so.
        return (np.asarray(pc.cast(whole_numbers, pa.float64(), safe=False).fill_null(np.nan)),
                np.asarray(whole_numbers.is_valid()), 0, False)
    core = pc.utf8_ltrim(text, characters="+-")
    eligible = np.asarray(pc.ascii_is_decimal(pc.replace_substring(core, ".", "", max_replacements=1)).fill_null(False))
    if not eligible.any():
        return None
    whole = bool(eligible.all())
    try:
        cast = pc.cast(text if whole else text.filter(pa.array(eligible)), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # "--5" and the like: the regex decides
        return None
    values = np.full(len(text), np.nan)
    values[eligible] = np.asarray(cast.fill_null(np.nan))
    dot = np.asarray(pc.find_substring(core, ".").fill_null(-1))[eligible]
    frac = np.asarray(pc.binary_length(core).fill_null(0))[eligible] - dot - 1
    has_dot = dot >= 0
    # _POINT_STYLE without commas: ^\d*\.(\d{1,2}|\d{4,})$ or ^\d{4,}\.\d+$
    point = has_dot & (((frac >= 1) & (frac <= 2)) | (frac >= 4) | ((dot >= 4) & (frac >= 1)))
    thousands_like = has_dot & (dot >= 1) & (dot <= 3) & (frac == 3)  # ^\d{1,3}\.\d{3}$
    return values, eligible, int(point.sum()), bool(thousands_like.any())


def _general_numbers(text: pa.Array, more_point_votes: int = 0,
                     dots_seen: bool = False) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """The regex reading of number text; ``more_point_votes`` and ``dots_seen`` come from values read elsewhere."""
    found = pc.extract_regex(text, _NUMBER)
    hit = np.asarray(found.is_valid().fill_null(False))
    num = pc.replace_substring_regex(found.field("num"), r"[' \x{a0}\x{2009}\x{202f}’]", "")
    comma_votes = int(pc.sum(pc.match_substring_regex(num, _COMMA_STYLE)).as_py() or 0)
    point_votes = int(pc.sum(pc.match_substring_regex(num, _POINT_STYLE)).as_py() or 0) + more_point_votes
    decimal = "," if comma_votes > point_votes else "."
    notes = []
    if decimal == ",":
        notes.append("decimal comma (1.234,5)")
        plain = pc.replace_substring(pc.replace_substring(num, ".", ""), ",", ".")
    else:
        plain = pc.replace_substring(num, ",", "")
        if point_votes == 0 and pc.any(pc.match_substring_regex(num, r"^\d{1,3}(,\d{3})+$")).as_py():
            notes.append("commas read as thousands separators (1,234 = 1234; no decimals seen to confirm)")
        elif point_votes == 0 and (dots_seen or pc.any(pc.match_substring_regex(num, r"^\d{1,3}\.\d{3}$")).as_py()):
            notes.append("dots read as decimal points (1.234 = 1.234; could be thousands)")
    valid = hit & np.asarray(pc.match_substring_regex(num, _VALID[decimal]).fill_null(False))
    valid &= np.asarray(pc.match_substring_regex(num, r"\d").fill_null(False))
    plain = pc.binary_join_element_wise(plain, found.field("exp"), pa.scalar("", plain.type))
    plain = pc.if_else(pa.array(valid), plain, pa.scalar(None, plain.type))
    values = np.asarray(pc.cast(plain, pa.float64()).fill_null(np.nan))
    bracketed = _is(found, "open", "(") & _is(found, "close", ")")
    unbalanced = _is(found, "open", "(") ^ _is(found, "close", ")")
    minus = _is(found, "sign", "-") ^ _is(found, "sign2", "-") ^ _is(found, "trail", "-")
    values = np.where(hit & (bracketed ^ minus), -values, values)
    values[hit & unbalanced] = np.nan
    if (hit & _is(found, "pct", "%")).any():
        notes.append("percent signs removed; values are in percent")
    signs = pc.unique(found.field("cur")).to_pylist() + pc.unique(found.field("cur2")).to_pylist()
    currencies = sorted(set(signs) - {"", None})
    if currencies:
        mixed = "mixed currencies, not converted: " if len({c.upper() for c in currencies}) > 1 else ""
        notes.append(f"currency signs removed ({mixed}{', '.join(currencies)})")
    bad = np.asarray(text.is_valid()) & np.isnan(values)
    return values, bad, notes, decimal


def _is(found: pa.StructArray, group: str, value: str) -> np.ndarray:
    """Rows where a regex group captured exactly ``value``."""
    return np.asarray(pc.equal(found.field(group), value).fill_null(False))


def parse_dates(s: pd.Series) -> Parsed:
    """Dates and times as naive datetime64[ns] (UTC where a zone was given).

    >>> parse_dates(pd.Series(["11/04/2018 20:09", "25/12/2018 08:00"])).values.iloc[0]
    Timestamp('2018-04-11 20:09:00')
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        values = s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
        note = "times with a time zone converted to UTC"
        return _result(s, values.to_numpy(), np.zeros(len(s), bool), [note])
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return _result(s, s.astype("datetime64[ns]").to_numpy(), np.zeros(len(s), bool))
    if _is_number(s):
        s = s.astype("float64").astype(object).where(s.notna(), None)
    if is_arrow_text(s) and (days := plain_iso_days(_source(s)[1])) is not None:
        return _result(s, days.view("M8[ns]"), np.zeros(len(s), bool))
    if (encoded := _encoded(s)) is not None:
        distinct, codes = encoded
        iso = iso_only(_trimmed(distinct)[0])
        if iso is not None:  # every value ISO: nothing decided for the column, so distinct values read the same
            return _result(s, _spread(iso, codes, NAT).view("M8[ns]"), np.zeros(len(s), bool))
    text, _ = _text(s)
    reading = read_dates(text)
    return _result(s, reading.ns.view("M8[ns]"), reading.bad, reading.notes)


def parse_bools(
    s: pd.Series, true_words: Iterable[str] = TRUE_WORDS, false_words: Iterable[str] = FALSE_WORDS
) -> Parsed:
    """Yes/no flags as pandas "boolean"; anything not a known yes or no word is bad.

    >>> parse_bools(pd.Series(["Yes", "no", None, "maybe"])).values.tolist()
    [True, False, <NA>, <NA>]
    """
    if pd.api.types.is_bool_dtype(s.dtype):
        return _result(s, s.astype("boolean").array, np.zeros(len(s), bool))
    if _is_number(s):
        numbers = s.astype("float64")
        flags = pd.array(numbers == 1, dtype="boolean")
        flags[~numbers.isin([0.0, 1.0]).to_numpy()] = pd.NA
        return _result(s, flags, (numbers.notna() & ~numbers.isin([0.0, 1.0])).to_numpy())
    text, _ = _text(s)
    low = pc.utf8_lower(text)
    yes, no = {w.lower() for w in true_words}, {w.lower() for w in false_words}
    defaults = (yes, no) == (set(TRUE_WORDS), set(FALSE_WORDS))
    if defaults and pc.any(pc.is_in(low, pa.array(sorted(_CHURN_WORDS)))).as_py():
        yes, no = (yes - {"active"}) | {"inactive"}, (no - {"inactive"}) | {"active"}
    is_yes = np.asarray(pc.is_in(low, pa.array(sorted(yes), pa.large_string())))
    is_no = np.asarray(pc.is_in(low, pa.array(sorted(no), pa.large_string())))
    flags = pd.array(is_yes, dtype="boolean")
    flags[~(is_yes | is_no)] = pd.NA
    known = is_yes | is_no
    note = f"taken as yes: {_spellings(text, is_yes)}; as no: {_spellings(text, is_no)}" if known.any() else ""
    return _result(s, flags, np.asarray(text.is_valid()) & ~(is_yes | is_no), [note])


def _spellings(text: pa.Array, rows: np.ndarray, limit: int = 6) -> str:
    words = pc.unique(text.filter(pa.array(rows))).to_pylist()
    shown = ", ".join(sorted(words)[:limit]) + (", ..." if len(words) > limit else "")
    return shown or "(none)"


def parse_durations(s: pd.Series, unit: str = "hours") -> Parsed:
    """Durations in hours; plain numbers are in ``unit`` (seconds, minutes, hours or days). With ``unit`` "mm:ss"
    a two-part clock ("02:23") is minutes and seconds, not hours and minutes (plain numbers are then minutes).

    >>> parse_durations(pd.Series(["1:30:00", "90 min", "2h 30m", "120"]), unit="minutes").values.tolist()
    [1.5, 1.5, 2.5, 2.0]
    >>> parse_durations(pd.Series(["02:24", "1:00:00"]), unit="mm:ss").values.tolist()
    [0.04, 1.0]
    """
    if unit == "mm:ss":
        parsed = parse_durations(s, "minutes")
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(s.dtype):
            return parsed
        two_parts = s.astype(object).where(s.notna(), "").astype(str).str.strip().str.fullmatch(r"-?\d+:\d{1,2}")
        values = parsed.values.where(~two_parts.to_numpy(dtype=bool), parsed.values / 60)
        return Parsed(values, parsed.bad, "; ".join(filter(None, [parsed.note, "two-part times read as mm:ss"])))
    factor = _HOURS_PER_UNIT[unit]
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        return _result(s, s.dt.total_seconds().to_numpy() / 3600, np.zeros(len(s), bool))
    if _is_number(s):
        return _result(s, s.astype("float64").to_numpy() * factor, np.zeros(len(s), bool))
    text, _ = _text(s)
    hours, _, notes = _read_numbers(text)
    hours = hours * factor
    if unit != "hours" and not np.isnan(hours).all():
        notes = [*notes, f"plain numbers read as {unit} and converted to hours"]
    for pattern in (_CLOCK, _WORDS, _ISO_DURATION):
        todo = np.isnan(hours) & np.asarray(text.is_valid())
        if not todo.any():
            break
        hours[todo] = _duration_hours(text.filter(pa.array(todo)), pattern)
    bad = np.asarray(text.is_valid()) & np.isnan(hours)
    return _result(s, hours, bad, notes)


def _duration_hours(text: pa.Array, pattern: str) -> np.ndarray:
    found = pc.extract_regex(text, pattern)
    hours = np.zeros(len(text))
    any_part = np.zeros(len(text), bool)
    for name, per in (("w", 168.0), ("d", 24.0), ("h", 1.0), ("m", 1 / 60), ("s", 1 / 3600)):
        if found.type.get_field_index(name) < 0:
            continue
        part = pc.replace_substring(found.field(name), ",", ".")
        part = pc.if_else(pc.equal(part, ""), None, part)
        numbers = np.asarray(pc.cast(part, pa.float64()).fill_null(np.nan))
        any_part |= ~np.isnan(numbers)
        hours += np.nan_to_num(numbers) * per
    negative = _is(found, "neg", "-") if found.type.get_field_index("neg") >= 0 else np.zeros(len(text), bool)
    sign = np.where(negative, -1.0, 1.0)
    ok = np.asarray(found.is_valid()) & any_part
    return np.where(ok, hours * sign, np.nan)


def unit_from_header(header: str) -> str | None:
    """The time unit a header names, or None; "per day" and the like are not units of the value.

    >>> unit_from_header("first_response_time_minutes"), unit_from_header("Speed of answer in seconds")
    ('minutes', 'seconds')
    """
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    words = [w for w in re.split(r"[\W_\d]+", spaced.lower()) if w]
    short = {w.lower() for w in re.findall(r"[(\[]\s*([A-Za-z])\s*[)\]]", spaced)}
    suffix = re.search(r"[_\s-]([A-Za-z])$", spaced.strip())
    if suffix:
        short.add(suffix.group(1).lower())
    for i, word in enumerate(words):
        if i and words[i - 1] in {"per", "a", "each", "every", "por"}:
            continue
        if word in _SHORT_UNITS and word not in short:
            continue
        for unit, names in _UNIT_WORDS.items():
            if word in names:
                return unit
    return None


def parse_ids(s: pd.Series) -> Parsed:
    """Ids and free text kept as trimmed text (leading zeros kept); blanks become None.

    >>> parse_ids(pd.Series([" 00123 ", "N/A", 42])).values.tolist()
    ['00123', None, '42']
    """
    values, raw = _source(s)
    if values is None and (runs := _runs(raw)) is not None:  # rows grouped by id: one Python string per run
        starts, lengths = runs
        text = np.array(_trimmed(raw.take(pa.array(starts)))[0].to_pylist(), dtype=object)
        return _result(s, np.repeat(text, lengths), np.zeros(len(s), bool), dtype=object)
    if values is None:  # Arrow-backed: each distinct value becomes one Python string, shared by its rows
        distinct, codes = _encoded(s, share=1.0) or (raw, np.arange(len(raw)))
        text = np.array(_trimmed(distinct)[0].to_pylist(), dtype=object)
        return _result(s, _spread(text, codes, None), np.zeros(len(s), bool), dtype=object)
    text, _ = _trimmed(raw)
    # Unchanged values keep their own objects: the CSV parser shares repeated strings, so a million rows of
    # the same few thousand ids cost a few thousand strings, not a million.
    changed = np.flatnonzero(~np.asarray(pc.equal(text, raw).fill_null(False)))
    if len(changed):
        values = values.copy()  # never write into the caller's column
        values[changed] = np.array(text.take(pa.array(changed)).to_pylist() + [None], dtype=object)[:-1]
    return _result(s, values, np.zeros(len(s), bool), dtype=object)


# Rows looked at first when deciding whether a column comes in runs of equal values (see _runs).
RUN_SAMPLE = 10_000


def _runs(raw: pa.Array, share: float = DISTINCT_SHARE) -> tuple[np.ndarray, np.ndarray] | None:
    """(first row, length) of each run of equal adjacent values, when a long column has at most ``share`` as many
    runs as rows (an export sorted or grouped by account: 100,000 runs in 5M usage rows); None otherwise.

    Reading each run's first value stands for reading every row of it, as a dictionary of the distinct values
    does, without hashing every row (the M usage file's ids: 0.12 s -> 0.06 s of CPU). A blank row is a run of
    its own. The first RUN_SAMPLE rows decide whether the whole column is worth comparing.

    >>> _runs(pa.array(["a"] * 6_000 + [None] + ["b"] * 6_000), share=0.5)
    (array([   0, 6000, 6001]), array([6000,    1, 6000]))
    """
    n = len(raw)
    if n < DISTINCT_MIN_ROWS:
        return None

    def starts_of(column: pa.Array) -> np.ndarray:
        same = pc.equal(column.slice(1), column.slice(0, len(column) - 1))  # null (a blank row) starts a run
        same = same.fill_null(False) if same.null_count else same
        return np.concatenate([[0], np.flatnonzero(~np.asarray(same)) + 1])

    if len(starts_of(raw.slice(0, RUN_SAMPLE))) > share * min(n, RUN_SAMPLE):
        return None
    starts = starts_of(raw)
    if len(starts) > share * n:
        return None
    return starts, np.diff(np.append(starts, n))


def infer_kind(s: pd.Series) -> str:
    """The kind of an unmapped column: "bool", "number", "date" or "text" (a kind wins at 95% parsed).

    >>> infer_kind(pd.Series(["00123", "00456"])), infer_kind(pd.Series(["Yes", "No"]))
    ('text', 'bool')
    """
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "date"
    # Each distinct value is parsed once and weighed by how often it occurs.
    counts = (s if isinstance(s.dtype, pd.ArrowDtype) else s.astype(object)).value_counts(dropna=True)
    distinct = pd.Series(counts.index.to_numpy(dtype=object), dtype=object)
    weights = counts.to_numpy()
    text, blank = _text(distinct)
    filled = int(weights[~blank].sum())
    if filled == 0:
        return "text"

    def mostly(bad: np.ndarray) -> bool:
        return int(weights[bad].sum()) <= 0.05 * filled

    words = pa.array(sorted(w for w in TRUE_WORDS | FALSE_WORDS if not w[0].isdigit()))
    if pc.any(pc.is_in(pc.utf8_lower(text), words)).as_py() and mostly(parse_bools(distinct).bad.to_numpy()):
        return "bool"
    if pc.any(pc.match_substring_regex(text, r"^[+-]?0\d+$")).as_py():
        return "text"
    if mostly(_read_numbers(text)[1]):
        return "number"
    if mostly(read_dates(text).bad):
        return "date"
    return "text"


def parse_as(s: pd.Series, kind: str, header: str = "", unit: str | None = None) -> Parsed:
    """Parse a column as a field kind (see cs_logic.core.schema): id, text, category, number, integer,
    score (nps, csat, ces), date, bool or duration (hours; plain numbers in ``unit``, else the header's unit).

    >>> parse_as(pd.Series(["30", "90"]), "duration", "first_response_time_minutes").values.tolist()
    [0.5, 1.5]
    """
    if kind in ("id", "text", "category"):
        return parse_ids(s)
    if kind in ("number", "integer", "score", "nps", "csat", "ces"):
        return parse_numbers(s)
    if kind == "date":
        return parse_dates(s)
    if kind == "bool":
        return parse_bools(s)
    if kind == "duration":
        if unit is not None:  # decided elsewhere (cs_logic.read.meanings) and stated there
            return parse_durations(s, unit)
        unit = unit_from_header(header)
        parsed = parse_durations(s, unit or "hours")
        if unit is None and header:
            assumed = "no unit in the header: plain numbers read as hours"
            note = "; ".join(filter(None, [parsed.note, assumed]))
            return Parsed(parsed.values, parsed.bad, note)
        return parsed
    raise ValueError(f"unknown kind {kind!r}")

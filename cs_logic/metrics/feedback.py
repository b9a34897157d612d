"""Voice of the customer: CSAT and CES, comment search, themes and the words that set groups apart."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cs_logic.metrics.textnorm import content_terms, words

SMALL_SAMPLE = 30
NPS_GROUPS = ("promoter", "passive", "detractor")
CSAT_GROUPS = ("low", "neutral", "high")
# Columns a search filter may apply to (exact values); only those the table has are used.
VALUE_FILTERS = ("segment", "owner", "agent", "channel", "touchpoint", "topic", "priority", "status")
DATE_FIELDS = ("date", "created_at")
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|«([^»]*)»')


def _whole_in_range(values: Iterable[Any], lo: int, hi: int) -> tuple[pd.Series, int, int]:
    """Valid answers (floats, indexed by position), count of invalid non-blank values, count of blanks.

    A column of numbers is read as floats at once (a number is never blank text): the Support page's CSAT per
    agent went through a Python object and its text for each of 5M tickets at size L.
    """
    kind = getattr(values, "dtype", None)
    if isinstance(values, pd.Series) and kind is not None and not pd.api.types.is_bool_dtype(kind) and (
            pd.api.types.is_float_dtype(kind) or pd.api.types.is_integer_dtype(kind)):
        num = pd.Series(values.to_numpy(dtype=float, na_value=np.nan))
        blank = num.isna()
    else:
        raw = pd.Series(list(values), dtype=object)
        blank = raw.isna() | raw.astype(str).str.strip().eq("")
        num = pd.to_numeric(raw.where(~blank), errors="coerce").astype(float)
    ok = num.notna() & (num == np.floor(num)) & num.between(lo, hi)
    return num[ok], int((~blank & ~ok).sum()), int(blank.sum())


@dataclass(frozen=True)
class CsatResult:
    """CSAT % (share of 4-5 x 100), the mean rating, n valid answers, invalid and blank counts."""

    n: int
    csat: float | None
    mean_rating: float | None
    invalid: int
    blank: int

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE


@dataclass(frozen=True)
class CesResult:
    """CES on 1-7: the mean, % easy (share of 5-7 x 100), n valid, invalid and blank counts."""

    n: int
    mean: float | None
    pct_easy: float | None
    invalid: int
    blank: int


def csat(ratings: Iterable[Any]) -> CsatResult:
    """CSAT % on a 1-5 scale: share of answers that are 4 or 5, times 100 (METRICS.md).

    Values that are not whole numbers 1..5 are counted as invalid and left out; blanks likewise
    (counted apart).

    >>> csat([5, 4, 3, 1]).csat
    50.0
    """
    valid, invalid, blank = _whole_in_range(ratings, 1, 5)
    if valid.empty:
        return CsatResult(0, None, None, invalid, blank)
    return CsatResult(len(valid), 100.0 * float((valid >= 4).mean()), float(valid.mean()), invalid, blank)


def ces(ratings: Iterable[Any]) -> CesResult:
    """Customer effort on a 1-7 scale: mean and % easy (answers 5-7).

    >>> r = ces([7, 5, 4, 2]); (r.mean, r.pct_easy)
    (4.5, 50.0)
    """
    valid, invalid, blank = _whole_in_range(ratings, 1, 7)
    if valid.empty:
        return CesResult(0, None, None, invalid, blank)
    return CesResult(len(valid), float(valid.mean()), 100.0 * float((valid >= 5).mean()), invalid, blank)


def csat_by(df: pd.DataFrame, by: str, col: str = "csat", freq: str | None = None) -> pd.DataFrame:
    """CSAT %, mean rating and n per group of ``by`` (or per period of the date column ``by``).

    Parameters
    ----------
    df : rows with a 1-5 rating column ``col``.
    by : the grouping column (agent, channel...) or, with ``freq``, a datetime column.
    freq : a pandas period ("M", "W", "Q") to group the dates of ``by`` by.

    Returns columns ``by``, n, csat, mean_rating, small_sample (n < 30); blank groups kept.

    >>> csat_by(pd.DataFrame({"agent": ["a", "a", "b"], "csat": [5, 1, 4]}), "agent")["csat"].tolist()
    [50.0, 100.0]
    """
    valid, _, _ = _whole_in_range(df[col], 1, 5)
    keys = df[by].reset_index(drop=True)
    if freq:
        keys = pd.to_datetime(keys, errors="coerce").dt.to_period(freq).dt.start_time
    frame = pd.DataFrame({by: keys.loc[valid.index], "top": (valid >= 4).astype(float), "v": valid})
    out = frame.groupby(by, dropna=freq is not None, sort=True).agg(
        n=("v", "size"), csat=("top", "mean"), mean_rating=("v", "mean")).reset_index()
    out["csat"] = 100.0 * out["csat"]
    out["n"] = out["n"].astype(int)
    out["small_sample"] = out["n"] < SMALL_SAMPLE
    return out


def score_group(df: pd.DataFrame, basis: str | None = None) -> pd.Series:
    """Each row's group: promoter/passive/detractor from ``nps``, else low/neutral/high from ``csat``.

    NPS 9-10 promoter, 7-8 passive, 0-6 detractor; CSAT 1-2 low, 3 neutral, 4-5 high. Invalid or
    blank scores give None. ``basis`` forces "nps" or "csat".

    >>> score_group(pd.DataFrame({"nps": [10, 7, 3, None]})).tolist()
    ['promoter', 'passive', 'detractor', None]
    """
    basis = basis or ("nps" if "nps" in df.columns else "csat" if "csat" in df.columns else None)
    if basis is None or basis not in df.columns:
        raise ValueError("score groups need an nps or a csat column")
    lo, hi, cuts, names = (0, 10, [-1, 6, 8, 10], ["detractor", "passive", "promoter"]) if basis == "nps" \
        else (1, 5, [0, 2, 3, 5], list(CSAT_GROUPS))
    valid, _, _ = _whole_in_range(df[basis], lo, hi)
    groups = pd.cut(valid, cuts, labels=names).astype(object)
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    out.iloc[valid.index] = groups.to_numpy()
    return out


def _index_name(table: str) -> str:
    return "_cidx_" + re.sub(r"\W", "_", table)


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def index_comments(con: duckdb.DuckDBPyConnection, table: str, text_cols: list[str]) -> str:
    """Build the folded search index of a table's text columns; returns the index table's name.

    Call once per data load (DuckDB has no accent/script folding, so :func:`cs_logic.metrics.textnorm.fold`
    runs here, in Python). The index holds ``_rid`` (the source row's ``rowid``) and ``_folded``: the
    folded words of all ``text_cols`` joined by single spaces, with a space at each end. ``table``
    must be a base table (views have no rowid).

    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE s AS SELECT 'Não recebi' AS comment")
    >>> index_comments(con, "s", ["comment"])
    '_cidx_s'
    """
    cols = [c for c in text_cols if c in _columns(con, table)]
    name = _index_name(table)
    select = ", ".join([f"CAST({_ident(c)} AS VARCHAR)" for c in cols] or ["NULL"])
    rows = con.execute(f"SELECT rowid, {select} FROM {_ident(table)}").fetchall()
    folded = [" " + " ".join(w for v in row[1:] for w in words(v)) + " " for row in rows]
    frame = pd.DataFrame({"_rid": pd.Series([r[0] for r in rows], dtype="int64"),
                          "_folded": pd.Series(folded, dtype=object)})
    con.register("_cidx_incoming", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {_ident(name)} AS SELECT * FROM _cidx_incoming")
    finally:
        con.unregister("_cidx_incoming")
    return name


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {_ident(table)} LIMIT 0").description]


def parse_query(query: str) -> list[str]:
    """The folded search terms of a query: quoted phrases whole, then single words.

    >>> parse_query('"Não recebi" produto')
    ['nao recebi', 'produto']
    """
    phrases = [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(query or "")]
    rest = _QUOTED.sub(" ", query or "")
    terms = [" ".join(words(p)) for p in phrases] + words(rest)
    return list(dict.fromkeys(t for t in terms if t))


def _filter_sql(cols: list[str], filters: Mapping[str, Any]) -> tuple[list[str], list[Any], list[str]]:
    where: list[str] = []
    params: list[Any] = []
    ignored: list[str] = []
    for key, value in filters.items():
        if value is None or (isinstance(value, (list, tuple, set)) and not value):
            continue
        values = [str(v) for v in value] if isinstance(value, (list, tuple, set)) else [str(value)]
        if key == "group":
            clause = _group_sql(cols, values)
            if clause:
                where.append(clause)
            else:
                ignored.append(key)
        elif key in ("date_from", "date_to"):
            date_col = next((c for c in DATE_FIELDS if c in cols), None)
            if date_col is None:
                ignored.append(key)
                continue
            day = pd.Timestamp(value).normalize()
            where.append(f"t.{_ident(date_col)} {'>=' if key == 'date_from' else '<'} ?")
            params.append((day if key == "date_from" else day + pd.Timedelta(days=1)).to_pydatetime())
        elif key in cols:
            where.append(f"list_contains(?, CAST(t.{_ident(key)} AS VARCHAR))")
            params.append(values)
        else:
            ignored.append(key)
    return where, params, ignored


def _group_sql(cols: list[str], groups: list[str]) -> str:
    bands = {"promoter": ("nps", 9, 10), "passive": ("nps", 7, 8), "detractor": ("nps", 0, 6),
             "low": ("csat", 1, 2), "neutral": ("csat", 3, 3), "high": ("csat", 4, 5)}
    parts = []
    for g in groups:
        col, lo, hi = bands.get(g.lower(), ("", 0, 0))
        if col in cols:
            q = f"t.{_ident(col)}"
            parts.append(f"({q} BETWEEN {lo} AND {hi} AND {q} = floor({q}))")
    return "(" + " OR ".join(parts) + ")" if parts else ""


def search_comments(con: duckdb.DuckDBPyConnection, table: str, query: str,
                    filters: Mapping[str, Any] | None = None, limit: int = 200,
                    index: str | None = None, text_cols: list[str] | None = None) -> pd.DataFrame:
    """Rows of ``table`` whose text matches every word and "quoted phrase" of ``query``.

    Matching is case-, accent- and script-variant-folded (ي = ی, ك = ک) and by word start: ``recebi``
    finds "Recebi" and "recebido", ``"nao recebi"`` finds "Não recebi". Terms are bound as
    parameters to DuckDB's ``contains`` (taken literally, so ``%`` and ``_`` are not wildcards).

    Parameters
    ----------
    filters : ``group`` (promoter/passive/detractor, low/neutral/high), ``date_from``/``date_to``,
        and exact values of segment, owner, agent, channel...; one value or a list. A filter whose
        column the table lacks is skipped and listed in ``result.attrs["ignored_filters"]``.
    index : the name :func:`index_comments` returned; built now (from ``text_cols``, default
        comment, comment_title, subject, body) when absent.

    Returns the original rows (newest first where a date exists), at most ``limit``;
    ``attrs["matches"]`` holds the total number of matching rows.

    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE s AS SELECT 'Não recebi' AS comment")
    >>> search_comments(con, "s", "nao")["comment"].tolist()
    ['Não recebi']
    """
    cols = _columns(con, table)
    if index is None:
        index = _index_name(table)
        if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", [index]).fetchall():
            index_comments(con, table, text_cols or ["comment", "comment_title", "subject", "body"])
    where, params, ignored = _filter_sql(cols, filters or {})
    terms = parse_query(query)
    where = ["contains(i._folded, ?)" for _ in terms] + where
    params = [" " + t for t in terms] + params
    date_col = next((c for c in DATE_FIELDS if c in cols), None)
    order = f"t.{_ident(date_col)} DESC NULLS LAST, t.rowid" if date_col else "t.rowid"
    sql = (f"SELECT t.*, count(*) OVER () AS _matches FROM {_ident(table)} t "
           f"JOIN {_ident(index)} i ON i._rid = t.rowid"
           + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT ?")
    out = con.execute(sql, params + [int(limit)]).df()
    matches = int(out["_matches"].iloc[0]) if len(out) else 0
    out = out.drop(columns="_matches")
    out.attrs.update(matches=matches, ignored_filters=ignored, terms=terms)
    return out


def themes(texts: Iterable[Any], top: int = 30, examples: int = 3, min_phrase: int = 2) -> pd.DataFrame:
    """The most mentioned words and two-word phrases (stop words dropped), by comments mentioning.

    Returns columns term, kind ("word"/"phrase"), comments (how many comments mention it), share
    (of non-blank comments) and examples (the first ``examples`` comments mentioning it).

    >>> themes(["Slow delivery", "slow delivery again", "fast"])[["term", "comments"]].head(2).values.tolist()
    [['delivery', 2], ['slow', 2]]
    """
    docs = [str(t) for t in texts if isinstance(t, str) and t.strip()]
    counts: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    shown: dict[str, list[str]] = {}
    for text in docs:
        kept, pairs = content_terms(text)
        for term, kind in [*((w, "word") for w in dict.fromkeys(kept)), *((p, "phrase") for p in dict.fromkeys(pairs))]:
            counts[term] += 1
            kinds[term] = kind
            if len(shown.setdefault(term, [])) < examples:
                shown[term].append(text)
    rows = [(t, kinds[t], c) for t, c in counts.items() if kinds[t] == "word" or c >= min_phrase]
    rows.sort(key=lambda r: (-r[2], r[0]))
    out = pd.DataFrame(rows[:top], columns=["term", "kind", "comments"])
    out["share"] = out["comments"] / len(docs) if docs else 0.0
    out["examples"] = [shown[t] for t in out["term"]]
    return out


def _term_counts(docs: list[str], phrases: bool, examples: int) -> tuple[Counter[str], Counter[str], dict[str, list[str]]]:
    occurrences: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    shown: dict[str, list[str]] = {}
    for text in docs:
        kept, pairs = content_terms(text)
        terms = kept + pairs if phrases else kept
        occurrences.update(terms)
        for term in dict.fromkeys(terms):
            mentions[term] += 1
            if len(shown.setdefault(term, [])) < examples:
                shown[term].append(text)
    return occurrences, mentions, shown


def distinctive_terms(texts_a: Iterable[Any], texts_b: Iterable[Any], prior: Mapping[str, float] | None = None,
                      alpha0: float = 1000.0, min_count: int = 3, phrases: bool = False,
                      examples: int = 3) -> pd.DataFrame:
    """Words that set group A apart from group B: log-odds ratio with an informative Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), "Fightin' Words", eq. 16-22. With counts y (occurrences, stop
    words dropped), totals n and prior alpha_w = alpha0 * p_w (p_w from ``prior`` counts, by default
    the combined A+B corpus):
    ``delta_w = ln((y_aw + a_w) / (n_a + alpha0 - y_aw - a_w)) - ln((y_bw + a_w) / (n_b + alpha0 - y_bw - a_w))``,
    ``var = 1/(y_aw + a_w) + 1/(y_bw + a_w)``, ``z = delta / sqrt(var)``. Positive z leans to A.

    Returns term, z, log_odds, count_a, count_b, share_a / share_b (share of each group's comments
    mentioning it), examples (from A when z > 0, else B); terms seen fewer than ``min_count`` times
    are left out; sorted by z, highest first.

    >>> distinctive_terms(["late late"], ["fine"], min_count=1)["term"].tolist()
    ['late', 'fine']
    """
    docs_a = [str(t) for t in texts_a if isinstance(t, str) and t.strip()]
    docs_b = [str(t) for t in texts_b if isinstance(t, str) and t.strip()]
    occ_a, men_a, shown_a = _term_counts(docs_a, phrases, examples)
    occ_b, men_b, shown_b = _term_counts(docs_b, phrases, examples)
    n_a, n_b = sum(occ_a.values()), sum(occ_b.values())
    background = Counter(prior) if prior is not None else occ_a + occ_b
    total_prior = float(sum(background.values()))
    rows = []
    for term in sorted(set(occ_a) | set(occ_b)):
        y_a, y_b = occ_a[term], occ_b[term]
        if y_a + y_b < min_count or not background.get(term) or total_prior <= 0:
            continue
        a_w = alpha0 * background[term] / total_prior
        delta = math.log((y_a + a_w) / (n_a + alpha0 - y_a - a_w)) - math.log((y_b + a_w) / (n_b + alpha0 - y_b - a_w))
        z = delta / math.sqrt(1.0 / (y_a + a_w) + 1.0 / (y_b + a_w))
        rows.append((term, z, delta, y_a, y_b, men_a[term] / max(len(docs_a), 1), men_b[term] / max(len(docs_b), 1)))
    out = pd.DataFrame(rows, columns=["term", "z", "log_odds", "count_a", "count_b", "share_a", "share_b"])
    out = out.sort_values(["z", "term"], ascending=[False, True], ignore_index=True)
    out["examples"] = [(shown_a if z > 0 else shown_b).get(t) or (shown_b if z > 0 else shown_a).get(t, [])
                       for t, z in zip(out["term"], out["z"])]
    return out


@dataclass(frozen=True)
class FeatureInterest:
    """Tally of a "which feature do you want?" question: table, respondents, most and least wanted."""

    table: pd.DataFrame
    respondents: int
    most: tuple[str, ...]
    least: tuple[str, ...]


def feature_interest(df: pd.DataFrame, col: str, sep: str = r"[;,]") -> FeatureInterest:
    """How many respondents chose each feature (single or multiple choice split on ``;`` or ``,``).

    Choices are grouped case- and accent-insensitively and shown in their most common spelling;
    share = respondents choosing it / respondents who answered. Ties share "most" / "least".

    >>> fi = feature_interest(pd.DataFrame({"want": ["API; SSO", "sso", None]}), "want")
    >>> fi.table.values.tolist(), fi.most
    ([['SSO', 2, 1.0], ['API', 1, 0.5]], ('SSO',))
    """
    answers = df[col].dropna().astype(str)
    chosen = [dict.fromkeys(c.strip() for c in re.split(sep, a) if c.strip()) for a in answers]
    chosen = [c for c in chosen if c]
    spellings: dict[str, Counter[str]] = {}
    counts: Counter[str] = Counter()
    for choices in chosen:
        for key in dict.fromkeys(" ".join(words(c)) for c in choices):
            counts[key] += 1
        for c in choices:
            spellings.setdefault(" ".join(words(c)), Counter())[c] += 1
    rows = sorted(((spellings[k].most_common(1)[0][0], n) for k, n in counts.items()), key=lambda r: (-r[1], r[0]))
    table = pd.DataFrame(rows, columns=["feature", "count"])
    table["share"] = table["count"] / len(chosen) if chosen else 0.0
    if table.empty:
        return FeatureInterest(table, 0, (), ())
    most = tuple(table.loc[table["count"] == table["count"].max(), "feature"])
    least = tuple(table.loc[table["count"] == table["count"].min(), "feature"])
    return FeatureInterest(table, len(chosen), most, least)


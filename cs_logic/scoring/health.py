"""The health score: scorecards (JSON settings), measure points, weighted scores and bands (backtests: backtest.py)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

BANDS = ("red", "yellow", "green")
BAND_COLOURS = {"red": "#d62728", "yellow": "#ffbf00", "green": "#2ca02c"}
NO_WEIGHT_REASON = (
    "Every measure in this scorecard has weight 0, so no score can be computed. "
    "Give at least one measure a weight above 0."
)
_MEASURE_KEYS = ("column", "weight", "method", "worst", "best", "points", "higher_is_better", "missing_points", "label")
_TOP_KEYS = ("name", "bands", "measures")
_BAND_KEYS = ("red_below", "green_from")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _num(x: float) -> int | float:
    """Write whole numbers as ints so a saved file reads like the one loaded (30, not 30.0)."""
    return int(x) if float(x).is_integer() else float(x)


@dataclass(frozen=True)
class Measure:
    """One line of a scorecard: a column, its weight and how its values become 0-100 points.

    ``points`` is a tuple of ``(category, points)`` pairs so the measure stays hashable.
    ``missing_points=None`` leaves a blank out and renormalises the other weights.

    Examples
    --------
    >>> Measure("tenure", 30, "linear", worst=0, best=72).best
    72
    """

    column: str
    weight: float
    method: str
    worst: float | None = None
    best: float | None = None
    points: tuple[tuple[str, float], ...] = ()
    higher_is_better: bool = True
    missing_points: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.points, Mapping):  # a plain dict is accepted and stored as hashable pairs
            object.__setattr__(self, "points", tuple(self.points.items()))
        name = self.label or self.column
        if not isinstance(self.column, str) or not self.column.strip():
            raise ValueError("Every measure needs a column name.")
        if not _is_number(self.weight):
            raise ValueError(f"Measure '{name}' needs a number as its weight (got {self.weight!r}).")
        if self.weight < 0:
            raise ValueError(f"Measure '{name}' has weight {self.weight}; weights must be 0 or more.")
        if self.method not in METHODS:
            raise ValueError(
                f"Measure '{name}' uses the scoring method '{self.method}', which the app does not know; "
                f"choose {', '.join(METHODS[:-1])} or {METHODS[-1]}."
            )
        METHOD[self.method].check(self, name)
        for cat, pts in self.points:
            if not _is_number(pts):
                raise ValueError(f"Measure '{name}' gives category '{cat}' the points {pts!r}; points must be numbers.")
        if self.missing_points is not None and not _is_number(self.missing_points):
            raise ValueError(f"Measure '{name}' has missing_points {self.missing_points!r}; use a number or null.")
        if not isinstance(self.higher_is_better, bool):
            raise ValueError(f"Measure '{name}': higher_is_better must be true or false.")

    @property
    def points_column(self) -> str:
        return f"points_{self.column}"


@dataclass(frozen=True)
class Bands:
    """Band thresholds: red when score < red_below, green when score >= green_from, else yellow."""

    red_below: float = 50.0
    green_from: float = 75.0

    def __post_init__(self) -> None:
        if not (_is_number(self.red_below) and _is_number(self.green_from)):
            raise ValueError("The band limits red_below and green_from must be numbers.")
        if self.red_below > self.green_from:
            raise ValueError(
                f"The red band ends at {self.red_below} but green starts at {self.green_from}; "
                "'red_below' must not be above 'green_from'."
            )



def how_it_works(bands: Bands) -> str:
    """The score's rule in words, with these bands.

    >>> how_it_works(Bands(50, 75))[-56:]
    'red below 50, yellow from 50 to below 75, green from 75.'
    """
    return ("How the score works: each measure becomes 0-100 points; the score is the weighted mean of the points. "
            "A measure with no value for an account is left out and the other weights renormalised. Bands: "
            f"red below {bands.red_below:g}, yellow from {bands.red_below:g} to below {bands.green_from:g}, "
            f"green from {bands.green_from:g}.")

@dataclass(frozen=True)
class Scorecard:
    """A named list of measures with band limits; hashable, so it can key a cache.

    Examples
    --------
    >>> Scorecard("Mine", Bands(), (Measure("tenure", 1, "linear", worst=0, best=72),)).bands.green_from
    75.0
    """

    name: str
    bands: Bands = field(default_factory=Bands)
    measures: tuple[Measure, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for m in self.measures:
            if m.column in seen:
                raise ValueError(f"The column '{m.column}' appears twice in the scorecard; keep one measure per column.")
            seen.add(m.column)

    @property
    def weights(self) -> np.ndarray:
        return np.array([m.weight for m in self.measures], dtype=float)


def _check_keys(d: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    if not isinstance(d, Mapping):
        raise ValueError(f"{where} must be a JSON object.")
    for key in d:
        if key not in allowed:
            raise ValueError(f"Unknown setting '{key}' in {where}; allowed settings: {', '.join(allowed)}.")


def measure_from_dict(d: Mapping[str, Any], position: int = 1) -> Measure:
    """One measure from its JSON object (see METRICS.md); ValueError names any unknown key."""
    _check_keys(d, _MEASURE_KEYS, f"measure {position} ({d.get('column', '?') if isinstance(d, Mapping) else '?'})")
    for key in ("column", "weight", "method"):
        if key not in d:
            raise ValueError(f"Measure {position} has no '{key}'; every measure needs column, weight and method.")
    table = d.get("points") or {}
    if not isinstance(table, Mapping):
        raise ValueError(f"Measure '{d['column']}': 'points' must map each category to its points.")
    return Measure(
        column=d["column"],
        weight=d["weight"],
        method=d["method"],
        worst=d.get("worst"),
        best=d.get("best"),
        points=tuple((str(k), v) for k, v in table.items()),
        higher_is_better=d.get("higher_is_better", True),
        missing_points=d.get("missing_points"),
        label=d.get("label"),
    )


def scorecard_from_dict(d: Mapping[str, Any]) -> Scorecard:
    """A Scorecard from the METRICS.md JSON object.

    Examples
    --------
    >>> scorecard_from_dict({"name": "A", "measures": [{"column": "x", "weight": 1, "method": "percentile"}]}).name
    'A'
    """
    _check_keys(d, _TOP_KEYS, "the scorecard file")
    bands = d.get("bands", {})
    _check_keys(bands, _BAND_KEYS, "bands")
    measures = d.get("measures", [])
    if not isinstance(measures, list):
        raise ValueError("'measures' must be a list of measures.")
    return Scorecard(
        name=str(d.get("name", "Scorecard")),
        bands=Bands(bands.get("red_below", 50.0), bands.get("green_from", 75.0)),
        measures=tuple(measure_from_dict(m, i + 1) for i, m in enumerate(measures)),
    )


def measure_to_dict(m: Measure) -> dict[str, Any]:
    """The JSON object for one measure: the settings it has (higher_is_better and missing_points always for percentile)."""
    out: dict[str, Any] = {"column": m.column, "weight": _num(m.weight), "method": m.method}
    for key in ("worst", "best"):
        if getattr(m, key) is not None:
            out[key] = _num(getattr(m, key))
    if m.points:
        out["points"] = {k: _num(v) for k, v in m.points}
    if m.method == "percentile" or not m.higher_is_better:
        out["higher_is_better"] = m.higher_is_better
    if m.method == "percentile" or m.missing_points is not None:
        out["missing_points"] = None if m.missing_points is None else _num(m.missing_points)
    if m.label is not None:
        out["label"] = m.label
    return out


def scorecard_to_dict(sc: Scorecard) -> dict[str, Any]:
    """The METRICS.md JSON object for a scorecard (inverse of scorecard_from_dict)."""
    return {
        "name": sc.name,
        "bands": {"red_below": _num(sc.bands.red_below), "green_from": _num(sc.bands.green_from)},
        "measures": [measure_to_dict(m) for m in sc.measures],
    }


def load_scorecard(text: str) -> Scorecard:
    """Parse a scorecard file; bad JSON or bad settings raise ValueError with a readable message."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"The scorecard file is not valid JSON (line {exc.lineno}: {exc.msg}).") from exc
    return scorecard_from_dict(data)


def dump_scorecard(sc: Scorecard) -> str:
    """The scorecard as the JSON text "Save scorecard" writes."""
    return json.dumps(scorecard_to_dict(sc), indent=2, ensure_ascii=False)


# ---------------------------------------------------------------- points

def _normalise_category(x: Any) -> str:
    return " ".join(str(x).split()).casefold()


def _category_points(values: pd.Series, m: Measure) -> pd.Series:
    exact = dict(m.points)
    loose = {_normalise_category(k): v for k, v in m.points}
    # Each distinct value is looked up once, then spread by its code (mapping 100k text cells was 30 ms).
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([exact.get(str(v), loose.get(_normalise_category(v), np.nan)) for v in uniques] + [np.nan],
                     dtype=float)
    return pd.Series(table[codes], index=values.index, dtype=float)  # code -1 (blank) takes the trailing NaN


def unmatched_categories(values: pd.Series, measure: Measure) -> list[str]:
    """Values of a points-table measure that match no category (they count as missing).

    Examples
    --------
    >>> m = Measure("plan", 1, "points", points=(("Pro", 100),))
    >>> unmatched_categories(pd.Series([" pro", "Free", None]), m)
    ['Free']
    """
    pts = _category_points(values, measure)
    bad = values[pts.isna() & values.notna()]
    return sorted({str(v) for v in bad})


def measure_points(values: pd.Series, measure: Measure) -> pd.Series:
    """0-100 points for one measure (METRICS.md "Scoring methods").

    linear: ``100*clip((x-worst)/(best-worst), 0, 1)``. points: the table, exact text first, then
    ignoring case and spaces. percentile: ``100*rank/n`` (average rank for ties, n = accounts with a
    value); when lower is better ``100*(n - rank + 1)/n``, so the lowest value still gets 100.
    Blanks (and unknown categories) are NaN, or ``missing_points`` when the measure sets it.

    Examples
    --------
    >>> measure_points(pd.Series([0, 36, 100]), Measure("t", 1, "linear", worst=0, best=72)).tolist()
    [0.0, 50.0, 100.0]
    """
    return _blank_as(METHOD[measure.method].points(values, measure), measure)


def _blank_as(pts: pd.Series, measure: Measure) -> pd.Series:
    """Blank points become the measure's ``missing_points`` where it sets one."""
    if measure.missing_points is None:
        return pts
    return pd.Series(np.where(np.isnan(pts.to_numpy()), float(measure.missing_points), pts.to_numpy()), index=pts.index)


# ---------------------------------------------------------------- the scoring methods, as a registry

def _numbers(values: pd.Series) -> np.ndarray:
    """The values as floats, blanks and text as NaN (in numpy: pandas aligned the index on every step)."""
    return np.asarray(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _linear_points(values: pd.Series, m: Measure) -> pd.Series:
    """``100*clip((x-worst)/(best-worst), 0, 1)``: worst > best means lower is better."""
    x = _numbers(values)
    span = float(m.best) - float(m.worst)  # type: ignore[arg-type]
    with np.errstate(divide="ignore", invalid="ignore"):
        pts = 100.0 * np.clip((x - float(m.worst)) / span, 0.0, 1.0)  # type: ignore[arg-type]
    return pd.Series(pts, index=values.index, dtype=float)


def _percentile_points(values: pd.Series, m: Measure) -> pd.Series:
    """``100*rank/n`` (average rank for ties, n = accounts with a value); lower is better: ``100*(n-rank+1)/n``."""
    x = _numbers(values)
    rank = pd.Series(x).rank(method="average").to_numpy(dtype=float)
    n = float((~np.isnan(x)).sum())
    with np.errstate(divide="ignore", invalid="ignore"):  # no value at all: NaN, as pandas gave
        pts = 100.0 * rank / n if m.higher_is_better else 100.0 * (n - rank + 1.0) / n
    return pd.Series(pts, index=values.index, dtype=float)


def _check_linear(m: Measure, name: str) -> None:
    if not (_is_number(m.worst) and _is_number(m.best)):
        raise ValueError(f"Measure '{name}' is scored linearly and needs both a 'worst' and a 'best' value (numbers).")
    if m.worst == m.best:
        raise ValueError(f"Measure '{name}' has the same worst and best value ({m.worst}); they must differ.")


def _check_points(m: Measure, name: str) -> None:
    if not m.points:
        raise ValueError(f"Measure '{name}' is scored from a points table, but the table is empty.")


def _no_check(m: Measure, name: str) -> None:
    """Percentile needs no setting of its own."""


def _describe_linear(m: Measure) -> str:
    """The rule in words, the ends with separators (24,000 events, not 24000).

    >>> _describe_linear(Measure("events", 1, "linear", worst=0, best=24000))
    'linear: 0 → 24,000 (higher is better)'
    """
    direction = "higher" if float(m.best) > float(m.worst) else "lower"  # type: ignore[arg-type]
    return f"linear: {m.worst:,g} → {m.best:,g} ({direction} is better)"


def _describe_points(m: Measure) -> str:
    shown = " · ".join(f"{cat} {pts:g}" for cat, pts in m.points[:6])
    return f"points: {shown}" + (" …" if len(m.points) > 6 else "")


def _describe_percentile(m: Measure) -> str:
    return f"percentile ({'higher' if m.higher_is_better else 'lower'} is better)"


@dataclass(frozen=True)
class Method:
    """One scoring method (METRICS.md "Scoring methods"): how values become 0-100 points (blanks NaN),
    what a measure using it must set (``check`` raises ValueError naming the measure), and its rule in words."""

    name: str
    points: Callable[[pd.Series, Measure], pd.Series]
    check: Callable[[Measure, str], None]
    describe: Callable[[Measure], str]


METHOD: dict[str, Method] = {m.name: m for m in (
    Method("linear", _linear_points, _check_linear, _describe_linear),
    Method("points", _category_points, _check_points, _describe_points),
    Method("percentile", _percentile_points, _no_check, _describe_percentile),
)}
METHODS = tuple(METHOD)  # the names, in the order the Scorecard page offers them


def points_matrix(
    accounts: pd.DataFrame, sc: Scorecard, resolve: Callable[[str], str] = lambda col: col
) -> pd.DataFrame:
    """One ``points_<column>`` column per measure, indexed like ``accounts``.

    A measure whose column is not in the data gets NaN for everyone (see ``missing_columns``).

    Examples
    --------
    >>> sc = Scorecard("s", Bands(), (Measure("t", 1, "linear", worst=0, best=10),))
    >>> points_matrix(pd.DataFrame({"t": [5]}), sc)["points_t"].tolist()
    [50.0]
    """
    cols = {}
    for m in sc.measures:
        source = resolve(m.column)
        if source in accounts.columns:
            cols[m.points_column] = measure_points(accounts[source], m)
        else:
            cols[m.points_column] = pd.Series(np.nan, index=accounts.index, dtype=float)
    return pd.DataFrame(cols, index=accounts.index, columns=[m.points_column for m in sc.measures])


def missing_columns(accounts: pd.DataFrame, sc: Scorecard, resolve: Callable[[str], str] = lambda col: col) -> list[str]:
    """Scorecard columns that the accounts frame does not have (they score as blank)."""
    return [m.column for m in sc.measures if resolve(m.column) not in accounts.columns]


# ---------------------------------------------------------------- scores

@dataclass(frozen=True, eq=False)
class PreparedPoints:
    """A points matrix split once into values (blanks as 0) and presence (True where a value is), so a weight change
    is two matrix-vector products. Build with ``prepare_points`` and cache it with the points matrix.

    Presence is kept as booleans, an eighth of the floats it is multiplied as (``rescore`` widens it for its
    products): the session keeps two of these, 1M accounts by a dozen measures each at size L."""

    values: np.ndarray
    present: np.ndarray


def prepare_points(points: np.ndarray | pd.DataFrame) -> PreparedPoints:
    """Split a points matrix (rows = accounts, NaN = blank) for fast rescoring.

    Examples
    --------
    >>> prepare_points(np.array([[50.0, np.nan]])).present.tolist()
    [[True, False]]
    """
    arr = np.asarray(points, dtype=float)
    present = ~np.isnan(arr)
    return PreparedPoints(np.ascontiguousarray(np.where(present, arr, 0.0)), np.ascontiguousarray(present))


@dataclass(frozen=True, eq=False)
class Rescored:
    """Arrays from ``rescore``: score (NaN when nothing to average), band codes 0/1/2 (-1 = none), used, coverage."""

    score: np.ndarray
    band_code: np.ndarray
    measures_used: np.ndarray
    coverage: np.ndarray


def rescore(
    points_np: np.ndarray | PreparedPoints, weights: np.ndarray, red_below: float, green_from: float
) -> Rescored:
    """The weighted, renormalised score for a points matrix (rows = accounts); numpy only, no row loop.

    Pass a ``PreparedPoints`` (cached) so a weight change costs only two matrix-vector products.

    Examples
    --------
    >>> rescore(np.array([[100.0, np.nan]]), np.array([30.0, 70.0]), 50, 75).score.tolist()
    [100.0]
    """
    prep = points_np if isinstance(points_np, PreparedPoints) else prepare_points(points_np)
    w = np.asarray(weights, dtype=float)
    # einsum, not ``@``: for a tall matrix times a short vector the BLAS call cost 8 ms at 100,000 x 11 on a busy
    # 2-CPU machine (its threads wait for a core) against under 1 ms for einsum's single-threaded loop.
    num = np.einsum("ij,j->i", prep.values, w)
    present = prep.present.astype(float)  # the products run on floats, as when presence was kept as floats
    den = np.einsum("ij,j->i", present, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / den, np.nan)
    code = np.where(score < red_below, 0, np.where(score >= green_from, 2, 1))
    code = np.where(np.isnan(score), -1, code)
    positive = (w > 0).astype(float)
    used = np.einsum("ij,j->i", present, positive).astype(int)
    n_pos = int(positive.sum())
    coverage = used / n_pos if n_pos else np.full(len(used), np.nan)
    return Rescored(score, code, used, coverage)


def score_problem(sc: Scorecard) -> str | None:
    """Why a scorecard cannot produce any score (no measures, all weights 0), or None."""
    if not sc.measures:
        return "The scorecard has no measures yet; add at least one."
    if not any(m.weight > 0 for m in sc.measures):
        return NO_WEIGHT_REASON
    return None


def band_names(codes: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """Band names for band codes 0/1/2 (-1 = no band), as the text column pandas would infer from them.

    Built in Arrow (a take from the three names) rather than from an object array: turning a million
    Python strings into a text column was half the time of a what-if rescore. Without any band the
    names stay an object array of None, as before.

    Examples
    --------
    >>> band_names(np.array([0, 2, -1])).tolist()
    ['red', 'green', nan]
    """
    codes = np.asarray(codes)
    if not (codes >= 0).any():
        return np.full(len(codes), None, dtype=object)
    names = pc.take(pa.array(BANDS), pa.array(codes.astype(np.int8), mask=codes < 0))
    return pd.array(names, dtype=pd.StringDtype(na_value=np.nan))


def health_scores(points: pd.DataFrame, sc: Scorecard, prepared: PreparedPoints | None = None) -> pd.DataFrame:
    """Score, band, measures used and coverage per account (METRICS.md "Score" and "Bands").

    ``measures_used`` counts the measures with a value AND a weight above 0 (a weight-0 measure is
    defined but contributes nothing); ``coverage`` = measures_used / measures with weight above 0.
    When no score is possible, ``attrs["reason"]`` says why (see ``score_problem``). ``prepared`` is
    ``prepare_points(points[<points columns in scorecard order>])``, cached by the caller to skip that step.

    Examples
    --------
    >>> sc = Scorecard("s", Bands(), (Measure("a", 30, "percentile"), Measure("b", 70, "percentile")))
    >>> health_scores(pd.DataFrame({"points_a": [80.0], "points_b": [np.nan]}), sc)["health_score"].tolist()
    [80.0]
    """
    cols = [m.points_column for m in sc.measures]
    if prepared is None:
        prepared = prepare_points(points.reindex(columns=cols).to_numpy(dtype=float) if cols else np.empty((len(points), 0)))
    r = rescore(prepared, sc.weights, sc.bands.red_below, sc.bands.green_from)
    band = band_names(r.band_code)
    out = pd.DataFrame(
        {"health_score": r.score, "health_band": band, "measures_used": r.measures_used, "coverage": r.coverage},
        index=points.index,
    )
    out.attrs["reason"] = score_problem(sc)
    return out


def contributions(points_row: pd.Series, sc: Scorecard, raw: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """How each measure adds up to one account's score; ``contribution`` sums to the score.

    ``weight_pct`` is the measure's share of the weights of the measures present (after
    renormalising); blank measures show NaN points and contribute nothing.

    Examples
    --------
    >>> sc = Scorecard("s", Bands(), (Measure("a", 1, "percentile"), Measure("b", 3, "percentile")))
    >>> contributions(pd.Series({"points_a": 100.0, "points_b": 0.0}), sc)["contribution"].tolist()
    [25.0, 0.0]
    """
    raw = raw or {}
    pts = np.array([float(points_row.get(m.points_column, np.nan)) for m in sc.measures])
    w = sc.weights
    present = ~np.isnan(pts)
    den = float(w[present].sum())
    share = np.where(present & (den > 0), w / den if den > 0 else np.nan, np.nan)
    return pd.DataFrame(
        {
            "measure": [m.label or m.column for m in sc.measures],
            "column": [m.column for m in sc.measures],
            "value": pd.Series([raw.get(m.column) for m in sc.measures], dtype=object),
            "points": pts,
            "weight": w,
            "weight_pct": 100.0 * share,
            "contribution": share * pts,
        }
    )


# ---------------------------------------------------------------- history

def score_history(
    measures_at: Callable[[dt.date], pd.DataFrame],
    sc: Scorecard,
    start: dt.date,
    end: dt.date,
    resolve: Callable[[str], str] = lambda col: col,
) -> pd.DataFrame:
    """Monthly scores: the scorecard applied to the measures as of each month end in [start, end].

    ``measures_at(as_of)`` returns the measures table (indexed by account_id) as of that date,
    e.g. ``lambda d: accounts.join(derived_measures(con, tables, d))``. Percentiles are ranked
    within each month's portfolio.

    One row per account and month: account_id, month, health_score, health_band. The ids, months
    and bands are categoricals (:func:`history_columns`): a year of a million accounts is 12M rows,
    and as positions into the ids (and the twelve months, the three bands) it takes 170 MB where
    text ids, timestamps and band names took 400 MB, kept for the session.

    Examples
    --------
    >>> # score_history(lambda d: derived_measures(con, tables, d), sc, date(2024, 1, 1), date(2024, 6, 30))
    """
    every: pd.Index | None = None  # every id seen so far, in the order first seen: the codes point into it
    codes: list[np.ndarray] = []
    months: list[pd.Timestamp] = []
    scores: list[np.ndarray] = []
    bands: list[np.ndarray] = []
    for month_end in pd.date_range(start, end, freq="ME"):
        # Only the month's codes, scores and band codes are kept: its measures, points and ids go once scored.
        scored = health_scores(points_matrix(measures_at(month_end.date()), sc, resolve), sc)
        every = _with_new_ids(every, scored.index)
        codes.append(every.get_indexer(scored.index).astype(np.int32 if len(every) < 2**31 else np.int64))
        months.append(month_end)
        scores.append(scored["health_score"].to_numpy(dtype=float))
        bands.append(pd.Categorical(scored["health_band"], categories=BANDS).codes)
        del scored
    if every is None:
        return pd.DataFrame(columns=["account_id", "month", "health_score", "health_band"])
    return history_columns(every, codes, months, scores, bands)


def _with_new_ids(every: pd.Index | None, ids: pd.Index) -> pd.Index:
    """``every`` with the ids of ``ids`` it lacks appended (first seen first); ``ids`` alone at first."""
    if every is None:
        return ids if ids.is_unique else ids.unique()
    new = ids[every.get_indexer(ids) < 0]
    return every.append(new.unique()) if len(new) else every


def history_columns(every: pd.Index, codes: list[np.ndarray], months: list[pd.Timestamp], scores: list[np.ndarray],
                    bands: list[np.ndarray]) -> pd.DataFrame:
    """The history frame of :func:`score_history` from each month's ids (as ``codes`` into ``every``, the ids seen),
    month end, scores and band codes (0/1/2 into :data:`BANDS`, -1 none): ids, months and bands as categoricals.

    Examples
    --------
    >>> h = history_columns(pd.Index(["a", "b"]), [np.array([0]), np.array([1, 0])],
    ...                     list(pd.to_datetime(["2024-01-31", "2024-02-29"])),
    ...                     [np.array([40.0]), np.array([80.0, 60.0])], [np.array([0]), np.array([2, 1])])
    >>> h.astype(object).values.tolist()[1:]
    [['b', Timestamp('2024-02-29 00:00:00'), 80.0, 'green'], ['a', Timestamp('2024-02-29 00:00:00'), 60.0, 'yellow']]
    """
    width = np.int32 if len(every) < 2**31 else np.int64
    return pd.DataFrame({
        "account_id": pd.Categorical.from_codes(np.concatenate(codes).astype(width), dtype=pd.CategoricalDtype(every)),
        "month": pd.Categorical.from_codes(np.repeat(np.arange(len(months)), [len(c) for c in codes]),
                                           dtype=pd.CategoricalDtype(pd.DatetimeIndex(months))),
        "health_score": np.concatenate(scores),
        "health_band": pd.Categorical.from_codes(np.concatenate(bands).astype(np.int8), dtype=pd.CategoricalDtype(BANDS)),
    })

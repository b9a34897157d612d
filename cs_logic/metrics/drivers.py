"""Key driver analysis: Johnson's relative weights, performance on a 0-100 scale, and quadrants."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SMALL_SAMPLE = 30
# Common rating scales, tried in this order; a driver whose values fit none uses its observed range.
SCALES: tuple[tuple[float, float], ...] = ((1, 5), (1, 7), (0, 10))
QUADRANTS = {(True, False): "Fix first", (True, True): "Keep it up",
             (False, False): "Lower priority", (False, True): "Possible overkill"}


@dataclass(frozen=True)
class DriverResult:
    """Relative weights of the drivers of one outcome.

    ``table`` has one row per driver: raw_weight (its part of R^2), importance (% of R^2, sums to
    100), mean, scale_min, scale_max, performance (0-100), quadrant. ``n`` counts complete rows
    (listwise deletion); ``notes`` says what was dropped and why.
    """

    table: pd.DataFrame
    r2: float | None
    n: int
    outcome: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE


def scale_of(values: pd.Series) -> tuple[float, float]:
    """The possible range of a rating: 1-5, 1-7 or 0-10 when the values fit, else observed min/max.

    >>> scale_of(pd.Series([2, 4, 5])), scale_of(pd.Series([0, 9])), scale_of(pd.Series([3.5, 40]))
    ((1, 5), (0, 10), (3.5, 40.0))
    """
    lo, hi = float(values.min()), float(values.max())
    for s_lo, s_hi in SCALES:
        if lo >= s_lo and hi <= s_hi:
            return s_lo, s_hi
    return lo, hi


def johnson_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson's (2000) raw relative weights of the columns of ``x`` for ``y``; they sum to R^2.

    Rxx = V diag(e) V'; Lambda = V diag(sqrt e) V' (the orthogonal counterpart of the drivers);
    beta = Lambda^-1 rxy; eps_j = sum_k Lambda_jk^2 beta_k^2.

    >>> np.round(johnson_weights(np.array([[1., 0], [0, 1], [-1, 0], [0, -1]]), np.array([1., 1, -1, -1])), 3)
    array([0.5, 0.5])
    """
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 0.0, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T
    beta = np.linalg.pinv(lam) @ rxy
    return np.asarray((lam ** 2) @ (beta ** 2))


def _numeric(frame: pd.DataFrame, col: str) -> pd.Series:
    s = frame[col]
    if pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
        return s.astype("Float64").astype(float)
    return pd.to_numeric(s, errors="coerce").astype(float)


def relative_weights(df: pd.DataFrame, outcome: str, drivers: list[str]) -> DriverResult:
    """Importance of each driver for ``outcome`` (Johnson's relative weights) and its performance.

    Rows missing the outcome or any driver are dropped (listwise deletion, noted). Constant
    drivers are dropped with a note. Importance = raw weight / R^2 x 100. Performance = the
    driver's mean rescaled to 0-100 on its scale (:func:`scale_of`). Quadrants split at the mean
    importance and mean performance across drivers (at the mean counts as high).

    >>> df = pd.DataFrame({"y": [1, 2, 3, 4, 5, 6], "a": [1, 2, 3, 4, 5, 5], "b": [2, 1, 2, 1, 2, 1]})
    >>> float(round(relative_weights(df, "y", ["a", "b"]).table["importance"].sum(), 6))
    100.0
    """
    notes: list[str] = []
    data = pd.DataFrame({c: _numeric(df, c) for c in dict.fromkeys([outcome, *drivers])}).dropna()
    dropped = len(df) - len(data)
    if dropped:
        notes.append(f"{dropped} of {len(df)} rows left out: a blank outcome or driver (listwise deletion)")
    kept = [d for d in drivers if d != outcome and data[d].nunique() > 1]
    for d in drivers:
        if d not in kept and d != outcome:
            notes.append(f"{d} left out: it does not vary")
    cols = ["driver", "raw_weight", "importance", "mean", "scale_min", "scale_max", "performance", "quadrant"]
    if not kept or len(data) < len(kept) + 2 or data[outcome].nunique() < 2:
        notes.append("not enough complete, varying rows to estimate driver importance")
        return DriverResult(pd.DataFrame(columns=cols), None, len(data), outcome, tuple(notes))
    raw = johnson_weights(data[kept].to_numpy(), data[outcome].to_numpy())
    r2 = float(raw.sum())
    scales = [scale_of(data[d]) for d in kept]
    means = data[kept].mean().to_numpy()
    table = pd.DataFrame({
        "driver": kept, "raw_weight": raw,
        "importance": 100.0 * raw / r2 if r2 > 0 else np.zeros(len(kept)),
        "mean": means, "scale_min": [s[0] for s in scales], "scale_max": [s[1] for s in scales],
    })
    table["performance"] = 100.0 * (table["mean"] - table["scale_min"]) / (table["scale_max"] - table["scale_min"])
    table["quadrant"] = quadrants(table["importance"], table["performance"])
    if len(data) < SMALL_SAMPLE:
        notes.append(f"only {len(data)} complete rows: treat the weights as indicative")
    return DriverResult(table.sort_values("importance", ascending=False, ignore_index=True),
                        r2, len(data), outcome, tuple(notes))


def quadrants(importance: pd.Series, performance: pd.Series) -> list[str]:
    """Quadrant labels, splitting each axis at its mean.

    >>> quadrants(pd.Series([60, 40]), pd.Series([20, 80]))
    ['Fix first', 'Possible overkill']
    """
    hi_imp = importance >= importance.mean()
    hi_perf = performance >= performance.mean()
    return [QUADRANTS[(bool(i), bool(p))] for i, p in zip(hi_imp, hi_perf)]


def operational_drivers(frame: pd.DataFrame, outcome: str, candidate_cols: list[str]) -> DriverResult:
    """Relative weights of numeric operational measures (tickets, usage, response times) for NPS or churn.

    Non-numeric candidates and the outcome itself are left out with a note; flags count as 0/1
    (so a churn flag works as the outcome); then as :func:`relative_weights`.

    >>> f = pd.DataFrame({"churned": [True, False, True, False], "tickets": [5, 1, 4, 2], "plan": list("abab")})
    >>> operational_drivers(f, "churned", ["tickets", "plan"]).notes[0]
    'plan left out: not numeric'
    """
    notes: list[str] = []
    usable: list[str] = []
    for col in candidate_cols:
        if col == outcome or col not in frame.columns:
            continue
        values = _numeric(frame, col)
        if values.notna().sum() < max(1, frame[col].notna().sum() // 2):
            notes.append(f"{col} left out: not numeric")
        else:
            usable.append(col)
    numeric = frame.assign(**{c: _numeric(frame, c) for c in [outcome, *usable]})
    result = relative_weights(numeric, outcome, usable)
    return DriverResult(result.table, result.r2, result.n, outcome, tuple(notes) + result.notes)

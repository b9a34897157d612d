"""The Scorecard page's editor: each column's kind, a new measure to start from, a measure in words, the weight
table, and the columns a manager may add as a measure."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cs_logic import health
from cs_logic.health import Scorecard
from cs_logic.parse import infer_kind
from cs_logic.schema import TABLES


def column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's kind: the schema's for canonical accounts fields, else inferred from the typed values."""
    fields = {f.name: f.kind for f in TABLES["accounts"].fields}
    return {str(c): fields.get(str(c)) or infer_kind(frame[c]) for c in frame.columns}


def new_measure(frame: pd.DataFrame, column: str, method: str, weight: float = 10.0) -> health.Measure:
    """A measure for ``column`` to start editing: linear from the 10th to the 90th percentile, points 50 per
    category (the 20 most common), percentile higher-is-better.

    Examples
    --------
    >>> new_measure(pd.DataFrame({"x": [0.0, 10.0]}), "x", "linear").best
    9.0
    """
    values = frame[column] if column in frame.columns else pd.Series(dtype=float)
    if method == "points":
        cats = values.dropna().astype(str).value_counts().index[:20].tolist() or ["(none)"]
        return health.Measure(column, weight, "points", points=tuple((c, 50.0) for c in sorted(cats)))
    if method == "percentile":
        return health.Measure(column, weight, "percentile")
    x = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    lo, hi = (float(x.quantile(0.1)), float(x.quantile(0.9))) if len(x) else (0.0, 1.0)
    if lo == hi:
        lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
    hi = hi if hi != lo else lo + 1.0
    return health.Measure(column, weight, "linear", worst=round(lo, 4), best=round(hi, 4))


def describe_measure(m: health.Measure) -> str:
    """How a measure turns values into points, in a few words.

    Examples
    --------
    >>> describe_measure(health.Measure("t", 1, "linear", worst=90, best=10))
    'linear: 90 → 10 (lower is better)'
    """
    if m.method == "linear":
        direction = "higher" if float(m.best) > float(m.worst) else "lower"  # type: ignore[arg-type]
        text = f"linear: {m.worst:g} → {m.best:g} ({direction} is better)"
    elif m.method == "points":
        shown = " · ".join(f"{cat} {pts:g}" for cat, pts in m.points[:6])
        text = f"points: {shown}" + (" …" if len(m.points) > 6 else "")
    else:
        text = f"percentile ({'higher' if m.higher_is_better else 'lower'} is better)"
    return text + ("" if m.missing_points is None else f"; blank = {m.missing_points:g} points")


def weight_table(sc: Scorecard, proposal: Scorecard | None = None) -> pd.DataFrame:
    """Measures with their rule, weight and weight share in percent (and a proposal's, when given).

    Examples
    --------
    >>> sc = Scorecard("s", measures=(health.Measure("a", 1, "percentile"), health.Measure("b", 3, "percentile")))
    >>> weight_table(sc)["weight_pct"].tolist()
    [25.0, 75.0]
    """
    total = float(sc.weights.sum())
    out = pd.DataFrame({
        "measure": [m.label or m.column for m in sc.measures],
        "rule": [describe_measure(m) for m in sc.measures],
        "weight": sc.weights,
        "weight_pct": 100.0 * sc.weights / total if total > 0 else np.nan,
    })
    if proposal is not None:
        by_col = {m.column: m.weight for m in proposal.measures}
        proposed = np.array([by_col.get(m.column, 0.0) for m in sc.measures], dtype=float)
        out["proposed_weight"] = proposed
        out["proposed_pct"] = 100.0 * proposed / proposed.sum() if proposed.sum() > 0 else np.nan
    return out


# Never offered as a measure: names and reps say nothing of health; churn and status are the outcome itself.
NOT_MEASURES = ("account_name", "owner", "churned", "status", "unique_customer_id")


def measure_choices(frame: pd.DataFrame, kinds: Mapping[str, str], taken: set[str]) -> list[str]:
    """Columns a manager may add as a measure: not an id, date, name, rep or the churn outcome, and not used yet.

    Examples
    --------
    >>> measure_choices(pd.DataFrame(columns=["owner", "seats", "plan"]), {"seats": "number"}, {"plan"})
    ['seats']
    """
    return [str(c) for c in frame.columns
            if c not in taken and c not in NOT_MEASURES and kinds.get(str(c)) not in ("id", "date")]

"""How well a health score predicts churn (AUC, churn per band, lift by decile, band moves) and the weights
proposed from the accounts' churn history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from cs_logic.core.stats import Z95, wilson_interval
from cs_logic.scoring.health import BANDS, Bands, Measure, Scorecard, health_scores  # noqa: F401 - Bands, Measure: doctests


def _scored_pairs(scores: Any, churned: Any) -> tuple[np.ndarray, np.ndarray]:
    s = pd.Series(scores).reset_index(drop=True).astype(float)
    c = pd.Series(churned).reset_index(drop=True).astype("boolean")
    keep = s.notna() & c.notna()
    return s[keep].to_numpy(float), c[keep].to_numpy(bool)


def auc(scores: Any, churned: Any) -> float | None:
    """P(a retained account scores higher than a churned one), ties 1/2 (Mann-Whitney U from ranks).

    Only accounts with a score and a known churn flag count; None when either class is empty.
    Scores equal to 9 decimal places count as ties.

    Examples
    --------
    >>> auc([3, 2, 2, 2, 1], [False, False, False, True, True])
    0.8333333333333334
    """
    s, c = _scored_pairs(scores, churned)
    n_churn, n_keep = int(c.sum()), int((~c).sum())
    if n_churn == 0 or n_keep == 0:
        return None
    # Scores equal to 9 decimals are ties: 30*a + 70*b can differ in the last bit for equal scores.
    ranks = _average_ranks(np.round(s, 9))
    u = ranks[~c].sum() - n_keep * (n_keep + 1) / 2.0
    return float(u / (n_keep * n_churn))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank: pandas' ``rank(method="average")`` for values without NaN.

    One sort and a pass over the tie groups; pandas' rank took 2-3x as long at 100,000 scores, and the Scorecard
    page ranks on every weight move (bench/results.md, issue 18). Average ranks are whole or half numbers, so the
    sums taken of them are exact whichever way they are computed.

    >>> _average_ranks(np.array([3.0, 2.0, 2.0, 1.0])).tolist()
    [4.0, 2.5, 2.5, 1.0]
    """
    order = np.argsort(values)  # any sort will do: a tie group's members share one rank
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(values)])
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(starts + (sizes + 1) / 2.0, sizes)
    return ranks


NO_BETTER_THAN_CHANCE = (
    "This score does not predict churn on this data: AUC {auc:.2f} (95% interval {low:.2f} to {high:.2f}, "
    "Hanley-McNeil, {n_keep:,} retained and {n_churn:,} churned accounts){why}. Do not rank accounts by it yet: "
    "try the suggested weights on the Scorecard page, drop or reverse the measures that do not move with "
    "churn, and check the backtest again.")


def auc_interval(auc_value: float, n_keep: int, n_churn: int) -> tuple[float, float]:
    """The 95% interval of an AUC by Hanley & McNeil (1982), clipped to 0-1.

    With A the AUC, Q1 = A / (2 - A), Q2 = 2A^2 / (1 + A) and
    se^2 = (A(1 - A) + (n_keep - 1)(Q1 - A^2) + (n_churn - 1)(Q2 - A^2)) / (n_keep n_churn)
    (retained accounts are the class expected to score higher). A = 0.8, 10 retained, 5 churned:
    Q1 = 0.6667, Q2 = 0.7111, se^2 = (0.16 + 9 x 0.02667 + 4 x 0.07111) / 50 = 0.013689, se = 0.1170,
    interval 0.8 -+ 1.96 x 0.1170 = 0.5707 to 1 (clipped).

    Examples
    --------
    >>> tuple(round(x, 4) for x in auc_interval(0.8, 10, 5))
    (0.5707, 1.0)
    """
    a = auc_value
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_keep - 1) * (q1 - a * a) + (n_churn - 1) * (q2 - a * a)) / (n_keep * n_churn)
    half = Z95 * float(np.sqrt(max(var, 0.0)))
    return (max(0.0, a - half), min(1.0, a + half))


def auc_flag(auc_value: float | None, low: float | None, high: float | None, n_keep: int = 0,
             n_churn: int = 0) -> str | None:
    """The warning to show beside an AUC below 0.5 or whose interval includes 0.5 (None when it predicts).

    Examples
    --------
    >>> auc_flag(0.9, 0.8, 1.0) is None
    True
    >>> auc_flag(0.47, 0.41, 0.53, 300, 90)[:44]
    'This score does not predict churn on this da'
    """
    if auc_value is None or low is None or high is None:
        return None
    if auc_value >= 0.5 and low > 0.5:
        return None
    why = " (below 0.5: it ranks churned accounts above retained ones)" if auc_value < 0.5 else \
        " (the interval includes 0.5, no better than chance)"
    return NO_BETTER_THAN_CHANCE.format(auc=auc_value, low=low, high=high, n_keep=n_keep, n_churn=n_churn, why=why)


def churn_by_band(scores_df: pd.DataFrame, churned: pd.Series) -> pd.DataFrame:
    """Accounts, churned and churn share per band, with a Wilson 95% interval (share as 0-1).

    Examples
    --------
    >>> df = pd.DataFrame({"health_band": ["red", "red", "green"]})
    >>> churn_by_band(df, pd.Series([True, False, False]))["churned"].tolist()
    [1, 0, 0]
    """
    c = pd.Series(churned, index=scores_df.index).astype("boolean")
    known = c.notna() & scores_df["health_band"].notna()
    band, flag = scores_df.loc[known, "health_band"], c[known].astype(bool)
    n = np.array([(band == b).sum() for b in BANDS], dtype=float)
    k = np.array([(flag[band == b]).sum() for b in BANDS], dtype=float)
    low, high = (np.array(side) for side in zip(*(wilson_interval(int(x), int(m)) for x, m in zip(k, n))))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = k / n
    return pd.DataFrame(
        {"band": BANDS, "accounts": n.astype(int), "churned": k.astype(int), "churn_share": share,
         "ci_low": low, "ci_high": high}
    )


def lift_by_decile(scores: Any, churned: Any) -> pd.DataFrame:
    """Churn share per score decile (1 = lowest scores) and lift = decile share / overall share.

    Deciles are equal-count groups by rank (ties split in file order): decile = ceil(10*rank/n).

    Examples
    --------
    >>> lift_by_decile(list(range(10)), [True] + [False] * 9)["churned"].tolist()[:2]
    [1, 0]
    """
    s, c = _scored_pairs(scores, churned)
    n = len(s)
    if n == 0:
        return pd.DataFrame(columns=["decile", "accounts", "churned", "churn_share", "lift"])
    rank = np.empty(n, dtype=np.int64)  # rank "first": ties in file order, from one stable sort
    rank[np.argsort(s, kind="stable")] = np.arange(1, n + 1)
    decile = np.ceil(10 * rank / n).astype(int)
    accounts = np.bincount(decile, minlength=11)
    churned = np.bincount(decile, weights=c, minlength=11).astype(np.int64)
    present = np.flatnonzero(accounts)
    out = pd.DataFrame({"decile": present, "accounts": accounts[present].astype(np.int64),
                        "churned": churned[present]})
    out["churn_share"] = out["churned"] / out["accounts"]
    overall = c.mean()
    out["lift"] = out["churn_share"] / overall if overall > 0 else np.nan
    return out


def band_migration(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """3x3 counts of accounts by band before (rows) and after (columns); accounts without a band on either side are left out.

    Examples
    --------
    >>> b = pd.DataFrame({"health_band": ["red", "green"]}); a = pd.DataFrame({"health_band": ["yellow", "green"]})
    >>> int(band_migration(b, a).loc["red", "yellow"])
    1
    """
    joined = pd.DataFrame({"before": before["health_band"], "after": after["health_band"]}).dropna()
    table = pd.crosstab(joined["before"], joined["after"]).reindex(index=list(BANDS), columns=list(BANDS), fill_value=0)
    table.index.name, table.columns.name = "before", "after"
    return table.astype(int)


def moved_accounts(before: pd.DataFrame, after: pd.DataFrame, id_col: str = "account_id") -> pd.DataFrame:
    """Accounts whose band changed: id, score and band before and after, change in score (biggest drops
    first; accounts that gained or lost a score entirely come last).

    ``id_col`` is a column of both frames, or (if absent) the index is the id.
    """
    def keyed(df: pd.DataFrame) -> pd.DataFrame:
        return df.set_index(id_col) if id_col in df.columns else df

    b, a = keyed(before), keyed(after)
    cols = ["health_score", "health_band"]
    both = b[cols].merge(a[cols], left_index=True, right_index=True, how="inner", suffixes=("_before", "_after"))
    changed = both["health_band_before"].fillna("none") != both["health_band_after"].fillna("none")
    moved = both[changed].copy()
    moved["change"] = moved["health_score_after"] - moved["health_score_before"]
    moved.index.name = id_col
    return moved.sort_values("change").reset_index()


# ---------------------------------------------------------------- suggestions

@dataclass(frozen=True)
class Suggestion:
    """A proposed set of weights (never applied by itself): weights sum to 100, one per measure column.

    ``coefficients`` are the logistic-regression coefficients per standardised points column
    (negative = more points, less churn). ``scorecard`` is the current one with the suggested weights.
    """

    weights: tuple[tuple[str, float], ...]
    coefficients: tuple[tuple[str, float], ...]
    n: int
    n_churned: int
    auc_suggested: float | None
    auc_current: float | None
    notes: tuple[str, ...]
    scorecard: Scorecard
    flips: tuple[str, ...] = ()


def _logistic_irls(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Coefficients (intercept first) of a ridge-penalised logistic regression by Newton/IRLS."""
    xd = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(xd.shape[1])
    penalty = np.full(xd.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(xd @ beta, -30, 30)))
        grad = xd.T @ (y - p) - penalty * beta
        hess = (xd * (p * (1 - p))[:, None]).T @ xd + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _with_weights(sc: Scorecard, weights: Mapping[str, float]) -> Scorecard:
    return replace(sc, measures=tuple(replace(m, weight=float(weights.get(m.column, 0.0))) for m in sc.measures))


def _to_hundred(raw: np.ndarray) -> np.ndarray:
    """Scale to sum 100 at one decimal; the rounding remainder goes to the largest weight."""
    w: np.ndarray = np.round(100.0 * raw / raw.sum(), 1)
    w[int(np.argmax(w))] += round(100.0 - float(w.sum()), 1)
    return np.round(w, 1)


def flipped(m: Measure) -> Measure:
    """``m`` pointing the other way: linear ends swapped, percentile direction toggled, points 100 - p.

    >>> flipped(Measure("t", 10, "linear", worst=0, best=5)).worst, flipped(Measure("p", 1, "points", points=(("a", 20.0),))).points
    (5, (('a', 80.0),))
    """
    if m.method == "linear":
        return replace(m, worst=m.best, best=m.worst)
    if m.method == "points":
        return replace(m, points=tuple((c, 100.0 - p) for c, p in m.points),
                       missing_points=None if m.missing_points is None else 100.0 - m.missing_points)
    return replace(m, higher_is_better=not m.higher_is_better)


def suggest_weights(points: pd.DataFrame, churned: pd.Series, sc: Scorecard, seed: int = 0,
                    flip: bool = False) -> Suggestion:
    """Weights proposed from a logistic regression of churn on the measures' points.

    Points are standardised; blanks are filled with the column mean (noted). A measure whose
    points go with MORE churn gets weight 0 and a note, or with ``flip`` its direction turned round
    (:func:`flipped`: its points become 100 - points, which turns the coefficient's sign) and weight
    ``coefficient / sd``, named in ``flips`` so the proposal shows it before it is applied. Weights are proportional to
    ``-coefficient / sd`` so the suggested score ranks accounts like the model does. ``seed``
    fixes the random subsample used when there are more than 200,000 accounts.

    Examples
    --------
    >>> # suggest_weights(points_matrix(accounts, sc), accounts["churned"], sc).weights
    """
    cols = [m.points_column for m in sc.measures]
    c = pd.Series(churned, index=points.index).astype("boolean")
    data = points.reindex(columns=cols)[c.notna()]
    y = c[c.notna()].astype(bool).to_numpy(float)
    if len(data) > 200_000:
        pick = np.random.default_rng(seed).choice(len(data), 200_000, replace=False)
        data, y = data.iloc[np.sort(pick)], y[np.sort(pick)]
    notes: list[str] = []
    means, sds = data.mean(), data.std(ddof=0)
    usable = [col for col in cols if pd.notna(sds[col]) and sds[col] > 0]
    for m in sc.measures:
        if m.points_column not in usable:
            notes.append(f"{m.label or m.column}: its points do not vary here, so it cannot be weighed (weight 0).")
        elif data[m.points_column].isna().any():
            notes.append(f"{m.label or m.column}: {int(data[m.points_column].isna().sum())} blanks filled with the average points for the fit.")
    raw = np.zeros(len(cols))
    flips: list[str] = []
    coefs = {col: 0.0 for col in cols}
    names = {m.points_column: m.label or m.column for m in sc.measures}
    fitted = bool(usable) and 0 < y.sum() < len(y)
    if fitted:
        z = ((data[usable] - means[usable]) / sds[usable]).fillna(0.0).to_numpy(float)
        beta = _logistic_irls(z, y)[1:]
        for col, b in zip(usable, beta):
            coefs[col] = float(b)
            raw[cols.index(col)] = abs(b) / sds[col] if flip else max(0.0, -b / sds[col])
            if b > 0 and flip:
                flips.append(col.removeprefix("points_"))
                notes.append(f"{names[col]}: its points went with MORE churn, so the proposal turns its direction "
                             "round (shown in the table before you apply it).")
            elif b > 0:
                notes.append(f"{names[col]}: points work against churn; check the measure's direction.")
    else:
        notes.append("Churn is unknown or all one value for these accounts, so no weights can be suggested.")
    if raw.sum() > 0:
        weights = dict(zip([m.column for m in sc.measures], _to_hundred(raw).tolist()))
    else:
        if fitted:
            notes.append("No measure's points went with less churn; the current weights are kept.")
        weights = {m.column: m.weight for m in sc.measures}
    if raw.sum() == 0:
        flips = []
    suggested = _with_weights(sc, weights)
    suggested = replace(suggested, measures=tuple(flipped(m) if m.points_column.removeprefix("points_") in flips
                                                  else m for m in suggested.measures))
    return Suggestion(
        weights=tuple(weights.items()),
        coefficients=tuple((col.removeprefix("points_"), v) for col, v in coefs.items()),
        n=len(y),
        n_churned=int(y.sum()),
        auc_suggested=auc(health_scores(points, suggested)["health_score"][c.notna()], c[c.notna()]),
        auc_current=auc(health_scores(points, sc)["health_score"][c.notna()], c[c.notna()]),
        notes=tuple(notes),
        scorecard=suggested,
        flips=tuple(flips),
    )


def blend_weights(current: Scorecard, suggested: Suggestion | Scorecard, alpha: float) -> Scorecard:
    """current weights * (1 - alpha) + suggested weights * alpha (a proposal, not applied).

    Suggested weights are first scaled to the current weights' total, so alpha=0 returns the
    current scorecard exactly and alpha=1 the suggested proportions.

    Examples
    --------
    >>> cur = Scorecard("s", Bands(), (Measure("a", 50, "percentile"), Measure("b", 50, "percentile")))
    >>> new = Scorecard("s", Bands(), (Measure("a", 100, "percentile"), Measure("b", 0, "percentile")))
    >>> [m.weight for m in blend_weights(cur, new, 0.5).measures]
    [75.0, 25.0]
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"The blend must be between 0 (current weights) and 1 (suggested weights); got {alpha}.")
    target = suggested.scorecard if isinstance(suggested, Suggestion) else suggested
    sug = {m.column: m.weight for m in target.measures}
    total_cur = float(current.weights.sum()) or 100.0
    total_sug = float(sum(sug.values())) or 1.0
    turned = {m.column: m for m in target.measures if m.column in _flipped_columns(current, target)}
    out = []
    for m in current.measures:
        wanted = alpha * sug.get(m.column, 0.0) * total_cur / total_sug
        if m.column in turned:
            # A flipped measure weighs +w one way or -w the other: blend the signed weights, keep the side that wins.
            signed = wanted - (1 - alpha) * m.weight
            out.append(replace(turned[m.column], weight=signed) if signed > 0 else replace(m, weight=max(0.0, -signed)))
        else:
            out.append(replace(m, weight=(1 - alpha) * m.weight + wanted))
    return replace(current, measures=tuple(out))


def _flipped_columns(current: Scorecard, target: Scorecard) -> set[str]:
    now = {m.column: m for m in current.measures}
    return {m.column for m in target.measures if m.column in now and replace(m, weight=0) == replace(
        flipped(now[m.column]), weight=0) and replace(m, weight=0) != replace(now[m.column], weight=0)}

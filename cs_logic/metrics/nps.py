"""Net Promoter Score: valid answers, the score, its margin of error, by group, over time and per account."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

Z95 = 1.96
SMALL_SAMPLE = 30  # METRICS.md: an NPS from fewer than 30 answers is flagged
CATEGORIES = ("detractor", "passive", "promoter")
ACCOUNT_VARIANTS = (
    "per respondent (classic)",
    "per account (each account's answers averaged as +100/0/-100, then accounts averaged)",
    "revenue-weighted",
)


@dataclass(frozen=True)
class NpsResult:
    """An NPS with its counts and uncertainty; every score field is None when there are no valid answers.

    ``nps``, ``moe95``, ``ci_low``, ``ci_high`` and ``se`` are in NPS points (-100..100).
    ``ci_low``/``ci_high`` are the adjusted-Wald interval (n + 3, 0.75 added to promoters and to
    detractors), clipped to -100..100.
    """

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    moe95: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    invalid: int
    small_sample: bool


def valid_scores(scores: pd.Series | Sequence[Any]) -> pd.Series:
    """The whole-number answers 0..10 as Int64, with <NA> where the value is not an answer.

    Text is trimmed; ``"9.0"`` and ``9.0`` are whole numbers, ``"9.5"``, ``11``, ``-1``, ``"N/A"``,
    ``"ten"`` and blanks are not.

    >>> valid_scores(pd.Series(["10", " 7", "9.5", None, 11])).tolist()
    [10, 7, <NA>, <NA>, <NA>]
    """
    s = pd.Series(scores, dtype=object) if not isinstance(scores, pd.Series) else scores
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(pd.NA, index=s.index, dtype="Int64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce").astype("float64")
    else:
        text = s.map(lambda v: v.strip() if isinstance(v, str) else v)
        text = text.map(lambda v: None if isinstance(v, bool) else v)
        num = pd.to_numeric(text, errors="coerce").astype("float64")
    ok = num.notna() & np.isfinite(num) & (num == np.round(num)) & (num >= 0) & (num <= 10)
    out = pd.Series(pd.NA, index=s.index, dtype="Int64")
    out[ok] = num[ok].astype("int64")
    return out


def _from_counts(promoters: int, passives: int, detractors: int, invalid: int) -> NpsResult:
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(0, 0, 0, 0, None, None, None, None, None, invalid, True)
    p, d = promoters / n, detractors / n
    se = math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    # Adjusted Wald (METRICS.md): add 3 answers, 0.75 to promoters and to detractors.
    n_adj = n + 3
    pa, da = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    centre = pa - da
    se_adj = math.sqrt(max(pa + da - centre**2, 0.0) / n_adj)
    return NpsResult(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=100 * (p - d),
        moe95=100 * Z95 * se,
        # The interval is clipped to the scale: NPS cannot leave -100..100.
        ci_low=max(-100.0, 100 * (centre - Z95 * se_adj)),
        ci_high=min(100.0, 100 * (centre + Z95 * se_adj)),
        se=100 * se,
        invalid=invalid,
        small_sample=n < SMALL_SAMPLE,
    )


def nps(scores: pd.Series | Sequence[Any]) -> NpsResult:
    """The NPS of a set of 0-10 answers: 100 * (promoters - detractors) / valid answers.

    Promoters answer 9-10, passives 7-8, detractors 0-6; anything else is counted in ``invalid``.

    >>> r = nps(pd.Series([10, 9, 7, 3, "N/A"]))
    >>> (r.nps, r.n, r.invalid)
    (25.0, 4, 1)
    """
    v = valid_scores(scores)
    known = v.dropna().astype("int64")
    return _from_counts(
        promoters=int((known >= 9).sum()),
        passives=int(((known >= 7) & (known <= 8)).sum()),
        detractors=int((known <= 6).sum()),
        invalid=int(v.isna().sum()),
    )


def nps_differs(a: NpsResult, b: NpsResult) -> bool:
    """Whether two NPS values differ significantly: |NPS1 - NPS2| / sqrt(se1^2 + se2^2) > 1.96.

    False when either has no answers, or when both have zero variance (the test is undefined).

    >>> nps_differs(nps([10] * 50 + [0] * 50), nps([0] * 80 + [10] * 20))
    True
    """
    if a.nps is None or b.nps is None or a.se is None or b.se is None:
        return False
    denom = math.sqrt(a.se**2 + b.se**2)
    if denom == 0:
        return False
    return abs(a.nps - b.nps) / denom > Z95


def change_is_significant(before: NpsResult, after: NpsResult) -> bool:
    """The one rule for marking a change between two periods (the app's trend and the report use it).

    A period with fewer than ``SMALL_SAMPLE`` answers is never part of a significant change (METRICS.md:
    drawn greyed, never flagged); otherwise :func:`nps_differs`. A 2-answer quarter at +100 followed by
    40 answers at +10: z would be large, but the first period is small, so False.

    >>> change_is_significant(nps([10, 10]), nps([10] * 20 + [0] * 16 + [8] * 4))
    False
    """
    if before.small_sample or after.small_sample:
        return False
    return nps_differs(before, after)


def _row(r: NpsResult) -> dict[str, Any]:
    pct = (lambda k: 100 * k / r.n) if r.n else (lambda k: None)
    return {
        "n": r.n,
        "promoters_pct": pct(r.promoters),
        "passives_pct": pct(r.passives),
        "detractors_pct": pct(r.detractors),
        "nps": r.nps,
        "se": r.se,
        "moe95": r.moe95,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "small_sample": r.small_sample,
        "invalid": r.invalid,
    }


def nps_by(df: pd.DataFrame, by: str | list[str], score_col: str = "nps", min_n: int = 1) -> pd.DataFrame:
    """NPS per group: n, promoters/passives/detractors %, nps, se, moe95, ci_low, ci_high, small_sample.

    Groups with fewer than ``min_n`` valid answers are left out; blank group values form no group.

    >>> df = pd.DataFrame({"agent": ["a", "a", "b"], "nps": [10, 0, 9]})
    >>> nps_by(df, "agent")[["agent", "n", "nps"]].values.tolist()
    [['a', 2, 0.0], ['b', 1, 100.0]]
    """
    keys = [by] if isinstance(by, str) else list(by)
    rows = [
        {**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **_row(nps(group[score_col]))}
        for key, group in df.groupby(keys, dropna=True, sort=True)
    ]
    cols = keys + list(_row(_from_counts(0, 0, 0, 0)).keys())
    out = pd.DataFrame(rows, columns=cols)
    return out[out["n"] >= min_n].reset_index(drop=True)


def nps_trend(
    df: pd.DataFrame, date_col: str = "date", freq: str = "M", score_col: str = "nps"
) -> pd.DataFrame:
    """NPS per calendar period (``M``, ``Q`` or ``Y``) with ``significant_change`` against the period before.

    Only periods with at least one valid answer are listed; answers without a date are left out.
    ``small_sample`` marks periods under ``SMALL_SAMPLE`` answers; :func:`change_is_significant` decides
    ``significant_change``, so a small period is never flagged (nor the period after it).
    Columns: period (its first day), n, the ``nps_by`` columns, significant_change.

    >>> df = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-05"]), "nps": [10, 0]})
    >>> nps_trend(df)["nps"].tolist()
    [100.0, -100.0]
    """
    dated = df[df[date_col].notna()]
    period = pd.to_datetime(dated[date_col]).dt.to_period(freq).dt.start_time
    frame = pd.DataFrame({"period": period, score_col: dated[score_col]})
    out = nps_by(frame, "period", score_col=score_col, min_n=1)
    changes = [False]
    for prev, cur in zip(out.itertuples(), out.iloc[1:].itertuples()):
        changes.append(change_is_significant(_result_of(prev), _result_of(cur)))
    out["significant_change"] = changes[: len(out)]
    return out


def _result_of(row: Any) -> NpsResult:
    """Enough of an NpsResult to test a difference (nps and se)."""
    return NpsResult(row.n, 0, 0, 0, row.nps, row.moe95, row.ci_low, row.ci_high, row.se, 0, row.small_sample)


def distribution(scores: pd.Series | Sequence[Any]) -> pd.DataFrame:
    """Counts of each answer 0..10 (all eleven present, zero-filled) with its category.

    >>> distribution([10, 10, 3])["count"].tolist()
    [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2]
    """
    counts = valid_scores(scores).dropna().astype("int64").value_counts()
    score = list(range(11))
    return pd.DataFrame(
        {
            "score": score,
            "count": [int(counts.get(s, 0)) for s in score],
            "category": [_category(s) for s in score],
        }
    )


def _category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def account_nps(
    surveys: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    revenue_col: str = "revenue",
    score_col: str = "nps",
) -> pd.DataFrame:
    """The three labelled account-level NPS variants: variant, nps, n_answers, n_accounts, note.

    Per account: each answer counts +100 (promoter), 0 (passive), -100 (detractor); an account's
    answers are averaged, then accounts are averaged (revenue-weighted: weighted by
    ``accounts[revenue_col]``, accounts with no or non-positive revenue left out). A variant that cannot
    be computed has nps NaN (the frame's missing value) and says why in ``note``; ``n_accounts`` is
    <NA> for the classic variant.

    >>> s = pd.DataFrame({"account_id": ["a", "a", "b"], "nps": [10, 0, 10]})
    >>> account_nps(s)["nps"].tolist()[:2]
    [33.33333333333333, 50.0]
    """
    classic = nps(surveys[score_col])
    rows = [{"variant": ACCOUNT_VARIANTS[0], "nps": classic.nps, "n_answers": classic.n,
             "n_accounts": None, "note": ""}]
    points = valid_scores(surveys[score_col]).map(
        lambda v: pd.NA if pd.isna(v) else 100.0 if v >= 9 else 0.0 if v >= 7 else -100.0
    )
    if "account_id" not in surveys.columns:
        note = "no account_id in the surveys"
        rows += [{"variant": v, "nps": None, "n_answers": 0, "n_accounts": 0, "note": note}
                 for v in ACCOUNT_VARIANTS[1:]]
        return _variants_frame(rows)
    answered = pd.DataFrame({"account_id": surveys["account_id"], "points": points}).dropna()
    answered["points"] = answered["points"].astype("float64")
    per_account = answered.groupby("account_id")["points"].agg(["mean", "size"])
    rows.append({"variant": ACCOUNT_VARIANTS[1],
                 "nps": float(per_account["mean"].mean()) if len(per_account) else None,
                 "n_answers": int(per_account["size"].sum()), "n_accounts": len(per_account),
                 "note": "" if len(per_account) else "no valid answers with an account_id"})
    rows.append(_revenue_weighted(per_account, accounts, revenue_col))
    return _variants_frame(rows)


def _variants_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    out["nps"] = out["nps"].astype("float64")  # NaN where a variant cannot be computed
    return out.astype({"n_answers": "int64", "n_accounts": "Int64"})


def _revenue_weighted(
    per_account: pd.DataFrame, accounts: pd.DataFrame | None, revenue_col: str
) -> dict[str, Any]:
    row: dict[str, Any] = {"variant": ACCOUNT_VARIANTS[2], "nps": None, "n_answers": 0, "n_accounts": 0}
    if accounts is None or revenue_col not in accounts.columns or "account_id" not in accounts.columns:
        return {**row, "note": f"no accounts table with {revenue_col}"}
    revenue = pd.to_numeric(accounts.drop_duplicates("account_id").set_index("account_id")[revenue_col],
                            errors="coerce")
    joined = per_account.join(revenue.rename("weight"), how="inner")
    joined = joined[joined["weight"].notna() & (joined["weight"] > 0)]
    if joined.empty:
        return {**row, "note": "no surveyed account has a positive revenue"}
    value = float(np.average(joined["mean"], weights=joined["weight"]))
    n_answers = int(joined["size"].sum())
    return {**row, "nps": value, "n_answers": n_answers, "n_accounts": len(joined), "note": ""}


def summary_nps(df: pd.DataFrame, score_col: str = "nps") -> dict[str, Any]:
    """The headline NPS of a surveys table as plain values (NPS and moe95 in points, full precision).

    >>> summary_nps(pd.DataFrame({"nps": [10, 9, 7, 3]}))["nps"]
    25.0
    """
    r = nps(df[score_col]) if score_col in df.columns else _from_counts(0, 0, 0, len(df))
    return {
        "n": r.n,
        "promoters": r.promoters,
        "passives": r.passives,
        "detractors": r.detractors,
        "nps": r.nps,
        "moe95": r.moe95,
        "invalid": r.invalid,
    }

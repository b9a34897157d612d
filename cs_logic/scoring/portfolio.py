"""The scored portfolio: measures per account, scores, KPI tiles, the at-risk list, reps, backtest and what-if."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cs_logic.core.escape import md_escape  # noqa: F401 - pages use pf.md_escape
from cs_logic.core.stats import wilson_interval
from cs_logic.core.unknown import NOTHING_SCORED
from cs_logic.metrics import buyers as bu
from cs_logic.metrics.measures import derived_measures
from cs_logic.metrics.retention import churn_flags, mrr_at
from cs_logic.read.resident import Resident
from cs_logic.read.store import Store
from cs_logic.scoring import backtest as bt
from cs_logic.scoring import health
from cs_logic.scoring.health import PreparedPoints, Scorecard
from cs_logic.scoring.scorecard_edit import column_kinds, default_scorecard

CHURN_UNKNOWN = ("Churn is unknown for these accounts: add an end date or a churn flag (Yes/No) to the "
                 "accounts export to see how well the score predicts it.")
ONE_CLASS = "Every account with a known status has the same churn outcome, so there is nothing to predict."
REP_COLUMNS = ("owner", "accounts", "active", "mean_health", "red_share", "revenue_at_risk", "churned",
               "churn_share", "churn_low", "churn_high")


def measure_frame(con: duckdb.DuckDBPyConnection, tables: set[str], accounts: pd.DataFrame,
                  as_of: dt.date) -> pd.DataFrame:
    """The accounts (index account_id) with every derived measure as of ``as_of`` joined on.

    Only accounts the derived measures know (started by ``as_of`` when there are start dates) are
    kept; a blank id or a repeated id keeps its first row. A derived measure whose name is already
    an accounts column is left out (the file's own column wins).

    Examples
    --------
    >>> # measure_frame(store.con, set(store.tables), store.frame("accounts"), date(2026, 10, 31))
    """
    buyers = buyer_measures(con, accounts, as_of) if bu.is_buyers_portfolio(tables, accounts) else None
    return _measures_of(_accounts_by_id(accounts), derived_measures(con, tables, as_of, ordered=False), buyers)


def _accounts_by_id(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts indexed by their id as text; a blank id is left out and a repeated id keeps its first row."""
    acc = accounts[accounts["account_id"].notna()].copy()
    acc["account_id"] = acc["account_id"].astype(str)
    return acc.drop_duplicates("account_id").set_index("account_id")


def _measures_of(acc: pd.DataFrame, derived: pd.DataFrame, buyers: bu.BuyerMeasures | None,
                 columns: set[str] | None = None) -> pd.DataFrame:
    """:func:`measure_frame` from its parts: the accounts by id, the derived measures (in any order) and the buyer
    measures; with ``columns``, only those of them. The rows are the accounts', in their order."""
    if buyers is not None:
        derived = derived.join(buyers.frame, how="left")
    derived = derived.drop(columns=[c for c in derived.columns if c in acc.columns])
    if columns is not None:
        acc, derived = (f[[c for c in f.columns if c in columns]] for f in (acc, derived))
    out = acc.join(derived, how="inner")
    out.index.name = "account_id"
    return out


BUYER_ORDERS_SQL = 'SELECT * FROM orders WHERE account_id IS NOT NULL AND "date" IS NOT NULL'


def buyer_measures(con: duckdb.DuckDBPyConnection, accounts: pd.DataFrame | None, as_of: dt.date) -> bu.BuyerMeasures:
    """:func:`cs_logic.metrics.buyers.purchase_measures` on the loaded orders: P(alive), expected purchases and
    overdue per account as of ``as_of`` (the purchase model is fitted here, on purchases up to that day)."""
    return bu.purchase_measures(con.execute(BUYER_ORDERS_SQL).df(), accounts, as_of)


def resolver(mappings: Mapping[str, str]) -> Callable[[str], str]:
    """A function from a scorecard's column name to the frame's: source header -> canonical name, else itself.

    ``mappings`` is canonical -> source header (a LoadedFile's ``mapping``), so a scorecard written
    for the raw export ("MonthlyCharges") finds the canonical column ("revenue").

    Examples
    --------
    >>> resolve = resolver({"revenue": "MonthlyCharges", "plan": "Contract"})
    >>> resolve("MonthlyCharges"), resolve("plan"), resolve("tenure")
    ('revenue', 'plan', 'tenure')
    """
    to_canonical = {str(src): str(canon) for canon, src in mappings.items()}
    return lambda column: to_canonical.get(column, column)


# ---------------------------------------------------------------- scoring

@dataclass(frozen=True, eq=False)
class Points:
    """A scorecard's points matrix (``points_<column>`` per measure, index account_id) ready to rescore."""

    frame: pd.DataFrame
    prepared: PreparedPoints


def definition_key(sc: Scorecard) -> str:
    """What the points depend on: every measure's settings except its weight (bands and name left out).

    Examples
    --------
    >>> a = Scorecard("a", measures=(health.Measure("t", 1, "linear", worst=0, best=9),))
    >>> definition_key(a) == definition_key(bt.blend_weights(a, a, 0.5))
    True
    """
    measures = [health.measure_to_dict(replace(m, weight=0.0)) for m in sc.measures]
    return json.dumps(measures, sort_keys=True)


def portfolio_points(frame: pd.DataFrame, sc: Scorecard, resolve: Callable[[str], str] = str) -> Points:
    """The points matrix of ``sc`` on ``frame``; cache it on ``definition_key(sc)`` (weights do not change it)."""
    pts = health.points_matrix(frame, sc, resolve)
    return Points(pts, health.prepare_points(pts.to_numpy(dtype=float)))


def rescore_portfolio(points: Points, sc: Scorecard) -> pd.DataFrame:
    """Scores from cached points for a scorecard with the same definitions (only the weighted sum runs)."""
    scored = health.health_scores(points.frame, sc, points.prepared)
    out = pd.concat([scored, points.frame], axis=1)
    out.attrs["reason"] = scored.attrs.get("reason")
    return out


def score_portfolio(frame: pd.DataFrame, scorecard: Scorecard, resolve: Callable[[str], str] = str) -> pd.DataFrame:
    """Per account (index account_id): health_score, health_band, measures_used, coverage, points_<column>.

    Examples
    --------
    >>> sc = Scorecard("s", measures=(health.Measure("t", 1, "linear", worst=0, best=10),))
    >>> score_portfolio(pd.DataFrame({"t": [5.0]}, index=pd.Index(["A"], name="account_id")), sc)["health_score"].tolist()
    [50.0]
    """
    return rescore_portfolio(portfolio_points(frame, scorecard, resolve), scorecard)


# ---------------------------------------------------------------- the scored portfolio

STARTING_SOURCE = "the app's starting scorecard (no scorecard saved)"
CHOSEN_SOURCE = "the scorecard in use (edited on the Scorecard page or loaded from a file)"


@dataclass(frozen=True, eq=False)
class Measured:
    """The accounts' measures as of one day, before any scorecard: what every scorecard is scored on.

    ``frame`` is :func:`measure_frame`, ``churned`` its :func:`churn_status` at ``as_of`` and ``mapping``
    the accounts file's (canonical field, file header) pairs, so a scorecard naming raw headers resolves.
    """

    frame: pd.DataFrame
    churned: pd.Series
    as_of: dt.date
    mapping: tuple[tuple[str, str], ...] = ()
    buyers: str | None = None  # a shop's customers: the buyer measure health starts from (metrics.buyers)

    @property
    def resolve(self) -> Callable[[str], str]:
        return resolver(dict(self.mapping))

    @functools.cached_property
    def starting(self) -> Scorecard:
        """The scorecard used when none is chosen: :func:`starting_scorecard` of ``frame``."""
        return starting_scorecard(self.frame, self.buyers)


def measure(con: duckdb.DuckDBPyConnection, tables: set[str], accounts: pd.DataFrame, as_of: dt.date,
            mapping: Mapping[str, str] | None = None) -> Measured:
    """:func:`measure_frame` and :func:`churn_status` at ``as_of``: the first step of every scoring.

    >>> # measure(store.con, set(store.tables), store.frame("accounts"), date(2026, 10, 31), {"revenue": "MRR"})
    """
    frame = measure_frame(con, tables, accounts, as_of)
    return Measured(frame, churn_status(frame, as_of), as_of, tuple(sorted((mapping or {}).items())),
                    buyer_start(frame) if bu.is_buyers_portfolio(tables, accounts) else None)


def buyer_start(frame: pd.DataFrame) -> str:
    """The buyer measure a shop's health starts from: P(alive) where the model could be fitted, else overdue.

    >>> buyer_start(pd.DataFrame({"p_alive": [0.5], "purchase_overdue": [1.0]})), buyer_start(pd.DataFrame())
    ('p_alive', 'purchase_overdue')
    """
    return "p_alive" if "p_alive" in frame.columns else "purchase_overdue"


@dataclass(frozen=True, eq=False)
class ScoredPortfolio:
    """THE scored portfolio: one per (data, mapping, scorecard, filters, as-of), read by every page,
    the report and the command line. ``scored`` is :func:`rescore_portfolio` (index account_id:
    health_score, health_band, measures_used, coverage, points_<column>); ``source`` says which
    scorecard it is, in words."""

    measured: Measured
    scorecard: Scorecard
    points: Points
    scored: pd.DataFrame
    source: str

    @property
    def frame(self) -> pd.DataFrame:
        return self.measured.frame

    @property
    def churned(self) -> pd.Series:
        return self.measured.churned

    @property
    def as_of(self) -> dt.date:
        return self.measured.as_of

    @property
    def scores(self) -> pd.DataFrame:
        """health_score and health_band per account (index account_id)."""
        return self.scored[["health_score", "health_band"]]

    @property
    def reason(self) -> str | None:
        """Why no account could be scored (e.g. every weight is 0), else None."""
        reason = self.scored.attrs.get("reason")
        return None if reason is None else str(reason)


def scored_portfolio(measured: Measured, scorecard: Scorecard | None = None,
                     points: Points | None = None) -> ScoredPortfolio:
    """Score ``measured`` with ``scorecard`` (None: its starting scorecard); ``points`` when cached for it.

    ``points`` must be :func:`portfolio_points` of the same frame and of a scorecard with the same
    :func:`definition_key` (a weight move reuses them).

    >>> sc = Scorecard("s", measures=(health.Measure("t", 1, "linear", worst=0, best=10),))
    >>> m = Measured(pd.DataFrame({"t": [5.0]}, index=pd.Index(["A"], name="account_id")),
    ...              pd.Series([pd.NA], index=["A"], dtype="boolean"), dt.date(2024, 1, 1))
    >>> scored_portfolio(m, sc).scored["health_score"].tolist()
    [50.0]
    """
    sc = measured.starting if scorecard is None else scorecard
    source = STARTING_SOURCE if scorecard is None else CHOSEN_SOURCE
    points = portfolio_points(measured.frame, sc, measured.resolve) if points is None else points
    return ScoredPortfolio(measured, sc, points, rescore_portfolio(points, sc), source)


def score_tables(tables: Mapping[str, pd.DataFrame | Resident], as_of: dt.date, scorecard: Scorecard | None = None,
                 mapping: Mapping[str, str] | None = None) -> ScoredPortfolio:
    """:func:`scored_portfolio` of tables held outside a session (the command line, a report built alone).

    The derived measures run in a private DuckDB that is closed before returning; the app's pages
    call :func:`measure` on their session's store instead, so nothing is scored twice.

    >>> # score_tables({"accounts": accounts, "usage": usage}, date(2026, 10, 31)).scores
    """
    store = Store(memory_limit="1GB")
    try:
        store.load(dict(tables))
        measured = measure(store.con, set(tables), tables["accounts"], as_of, mapping)
    finally:
        store.close()
    return scored_portfolio(measured, scorecard)


# ---------------------------------------------------------------- tiles and lists

def churn_status(frame: pd.DataFrame, as_of: Any) -> pd.Series:
    """Whether each account churned by ``as_of`` (boolean, <NA> unknown), indexed like ``frame``.

    :func:`cs_logic.metrics.retention.churn_flags` over the whole portfolio takes a while; a page computes this
    once per data load and passes it as ``churned=`` to :func:`kpis`, :func:`at_risk`,
    :func:`rep_portfolio` and :func:`backtest`.

    Examples
    --------
    >>> churn_status(pd.DataFrame({"churned": pd.array([True, None], "boolean")}), "2024-01-01").tolist()
    [True, <NA>]
    """
    return churn_flags(frame, as_of)["churned"]


def active_mask(frame: pd.DataFrame, as_of: Any, churned: pd.Series | None = None) -> pd.Series:
    """True for accounts not churned by ``as_of`` (unknown churn counts as active).

    ``churned`` is :func:`churn_status` of ``frame`` at ``as_of`` when the caller has it already.

    Examples
    --------
    >>> active_mask(pd.DataFrame({"churned": pd.array([True, None], "boolean")}), "2024-01-01").tolist()
    [False, True]
    """
    churned = churn_status(frame, as_of) if churned is None else churned
    return ~churned.fillna(False).astype(bool)


ACTIVE_POPULATION = ("active accounts (not churned on the as-of date): bands, revenue at risk, the band chart "
                     "and the band-migration matrix all count these, on every page and in the report")


def active_scores(scored: pd.DataFrame, frame: pd.DataFrame, as_of: Any = None,
                  churned: pd.Series | None = None) -> pd.DataFrame:
    """The rows of ``scored`` for active accounts (METRICS.md: bands and charts count active accounts only).

    Without ``as_of`` and ``churned`` every account counts (nothing says who has churned).

    Examples
    --------
    >>> s = pd.DataFrame({"health_band": ["red", "green"]}, index=pd.Index(["A", "B"], name="account_id"))
    >>> f = pd.DataFrame({"churned": pd.array([True, False], "boolean")}, index=s.index)
    >>> active_scores(s, f, "2024-01-01").index.tolist()
    ['B']
    """
    if as_of is None and churned is None:
        return scored
    keep = active_mask(frame, as_of, churned).reindex(scored.index, fill_value=True).to_numpy(bool)
    return scored[keep]


@dataclass(frozen=True, eq=False)
class RevenueBasis:
    """The revenue figure per account that revenue at risk sums (index account_id), and where it comes from.

    ``values`` is None with ``reason`` when no loaded table has a revenue figure.
    """

    values: pd.Series | None
    source: str | None
    reason: str | None = None


NO_REVENUE = "no revenue figure: the accounts have no revenue column and no subscriptions with MRR are loaded"


def revenue_basis(frame: pd.DataFrame, subscriptions: pd.DataFrame | None = None, as_of: Any = None) -> RevenueBasis:
    """The accounts' own revenue column; else each account's MRR on ``as_of`` from the subscriptions.

    MRR on a day follows cs_logic.metrics.retention (subscriptions active that day; ARR / 12 where only
    ARR exists). An account with no subscription has no figure (blank, not 0).

    Examples
    --------
    >>> f = pd.DataFrame(index=pd.Index(["a", "b"], name="account_id"))
    >>> s = pd.DataFrame({"account_id": ["a"], "start_date": pd.to_datetime(["2024-01-01"]),
    ...                   "end_date": pd.to_datetime([None]), "mrr": [100.0]})
    >>> r = revenue_basis(f, s, "2024-06-30"); (r.values.tolist(), r.source)
    ([100.0, nan], 'MRR on 2024-06-30 from the subscriptions (the accounts have no revenue column)')
    """
    if "revenue" in frame.columns:
        return RevenueBasis(pd.to_numeric(frame["revenue"], errors="coerce"), "the accounts' revenue column")
    subs = subscriptions
    if (subs is None or as_of is None or "account_id" not in subs.columns
            or not ({"mrr", "arr"} & set(subs.columns)) or not ({"start_date", "date"} & set(subs.columns))):
        return RevenueBasis(None, None, NO_REVENUE)
    day = pd.Timestamp(as_of).normalize()
    subs = subs[subs["account_id"].notna()].assign(account_id=lambda d: d["account_id"].astype(str))
    mrr = mrr_at(subs, [day])[day]
    return RevenueBasis(mrr.reindex(frame.index.astype(str)).set_axis(frame.index),
                        f"MRR on {day:%Y-%m-%d} from the subscriptions (the accounts have no revenue column)")


def _aligned(values: pd.Series, index: pd.Index) -> pd.Series:
    """``values.reindex(index)``, skipped when the index is already the same: looking up 100,000 text ids
    again (the scores and the measure frame share one index) cost more than the rest of a page."""
    return values if values.index is index or values.index.equals(index) else values.reindex(index)


@dataclass(frozen=True)
class Kpis:
    """The Success tiles over active accounts. ``scored`` accounts have a score; ``revenue_n`` red accounts
    have a revenue figure, taken from ``revenue_source``. A figure that cannot be known is None with its
    reason: ``red_reason`` (nothing scored) for ``red_share`` and ``mean_health``, ``revenue_reason`` for
    ``revenue_at_risk`` (nothing scored, or no revenue figure)."""

    accounts: int
    scored: int
    mean_health: float | None
    red: int
    red_share: float | None
    revenue_at_risk: float | None
    revenue_n: int
    red_reason: str | None = None
    revenue_reason: str | None = None
    revenue_source: str | None = None


def kpis(scored: pd.DataFrame, frame: pd.DataFrame, as_of: Any = None, churned: pd.Series | None = None,
         revenue: RevenueBasis | None = None) -> Kpis:
    """Accounts, mean health, share red (of scored accounts) and revenue at risk (revenue of red accounts).

    With ``as_of``, accounts churned by then are left out (their revenue is lost, not at risk);
    ``churned`` (:func:`churn_status` at ``as_of``) saves computing it again. ``revenue`` is
    :func:`revenue_basis` (default: the frame's own revenue column). With no account scored (every
    weight 0, or no measure with a value) the share red and revenue at risk are unknown, not 0.

    Examples
    --------
    >>> s = pd.DataFrame({"health_score": [20.0, 80.0], "health_band": ["red", "green"]})
    >>> k = kpis(s, pd.DataFrame({"revenue": [100.0, 50.0]}))
    >>> k.mean_health, k.red_share, k.revenue_at_risk
    (50.0, 0.5, 100.0)
    """
    keep = np.ones(len(scored), dtype=bool)
    if as_of is not None or churned is not None:
        keep = active_mask(frame, as_of, churned).reindex(scored.index, fill_value=True).to_numpy(bool)
    score = scored["health_score"].to_numpy(dtype=float)[keep]
    score = score[~np.isnan(score)]
    red = (scored["health_band"] == "red").to_numpy(dtype=bool)[keep]
    n_red = int(red.sum())
    basis = revenue if revenue is not None else revenue_basis(frame)
    if not len(score):
        return Kpis(int(keep.sum()), 0, None, 0, None, None, 0, NOTHING_SCORED, NOTHING_SCORED, basis.source)
    if basis.values is None:
        return Kpis(int(keep.sum()), len(score), float(score.mean()), n_red, float(n_red / len(score)), None, 0,
                    None, basis.reason, None)
    red_revenue = _aligned(basis.values, scored.index).to_numpy(dtype=float)[keep][red]
    red_revenue = red_revenue[~np.isnan(red_revenue)]
    return Kpis(int(keep.sum()), len(score), float(score.mean()), n_red, float(n_red / len(score)),
                float(red_revenue.sum()), len(red_revenue), None, None, basis.source)


def _weakest(scored: pd.DataFrame, columns: list[str]) -> pd.Series:
    if not columns:
        return pd.Series(None, index=scored.index, dtype=object)
    pts = scored[columns].to_numpy(dtype=float)
    blank = np.isnan(pts).all(axis=1)
    pick = np.argmin(np.where(np.isnan(pts), np.inf, pts), axis=1)
    names = np.array([c.removeprefix("points_") for c in columns], dtype=object)[pick]
    return pd.Series(np.where(blank, None, names), index=scored.index, dtype=object)


def at_risk(scored: pd.DataFrame, frame: pd.DataFrame, band: str = "red", sc: Scorecard | None = None,
            as_of: Any = None, churned: pd.Series | None = None) -> pd.DataFrame:
    """Accounts in ``band`` (lowest score first) with name, owner, revenue, score and the weakest measure.

    The weakest measure has the fewest points among those with a value (with ``sc``: and a weight
    above 0). With ``as_of``, accounts already churned are left out (``churned``: :func:`churn_status`
    at ``as_of``, when the caller has it).

    Examples
    --------
    >>> s = pd.DataFrame({"health_score": [20.0], "health_band": ["red"], "points_a": [10.0], "points_b": [30.0]},
    ...                  index=pd.Index(["A"], name="account_id"))
    >>> at_risk(s, pd.DataFrame(index=s.index))["weakest_measure"].tolist()
    ['a']
    """
    columns = [c for c in scored.columns if str(c).startswith("points_")]
    if sc is not None:
        columns = [m.points_column for m in sc.measures if m.weight > 0 and m.points_column in scored.columns]
    keep = scored["health_band"] == band
    if as_of is not None or churned is not None:
        keep &= active_mask(frame, as_of, churned).reindex(scored.index, fill_value=True)
    rows = keep.to_numpy(dtype=bool)
    s = scored[rows]
    out = pd.DataFrame({"account_id": s.index.astype(str)}, index=s.index)
    for col in ("account_name", "owner", "revenue"):
        if col in frame.columns:
            out[col] = _aligned(frame[col], scored.index)[rows].set_axis(s.index)
    out["health_score"], out["health_band"] = s["health_score"], s["health_band"]
    out["weakest_measure"] = _weakest(s, columns)
    return out.sort_values("health_score", kind="stable").reset_index(drop=True)


def account_choices(scored: pd.DataFrame, frame: pd.DataFrame, limit: int = 5000) -> dict[Any, str]:
    """The ``limit`` lowest-scored accounts (lowest first, blank scores last) -> "id · name · score" labels.

    For a picker: its options are the keys and its labels the values, built at once (formatting
    5,000 labels one lookup at a time took a quarter of the Success page's rerun).

    Examples
    --------
    >>> s = pd.DataFrame({"health_score": [80.0, None, 12.4]}, index=pd.Index(["A", "B", "C"], name="account_id"))
    >>> list(account_choices(s, pd.DataFrame({"account_name": ["Acme", "Bolt", "Crux"]}, index=s.index)).values())
    ['C · Crux · 12', 'A · Acme · 80', 'B · Bolt · no score']
    """
    score = scored["health_score"].to_numpy(dtype=float)
    pick = np.argsort(score, kind="stable")[:limit]  # blanks sort last, in file order, as in sort_values
    ids = scored.index[pick]
    names = (frame["account_name"].reindex(ids, fill_value="").to_numpy(dtype=object)
             if "account_name" in frame.columns else [""] * len(ids))
    return {a: f"{a} · {name} · {x:.0f}" if pd.notna(x) else f"{a} · {name} · no score"
            for a, name, x in zip(ids, names, score[pick])}


def search(table: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows whose account id or name contains ``text`` (ignoring case); all rows for blank text.

    Examples
    --------
    >>> search(pd.DataFrame({"account_id": ["A-1", "B-2"], "account_name": ["Acme", "Bolt"]}), "bol")["account_id"].tolist()
    ['B-2']
    """
    needle = text.strip().casefold()
    if not needle:
        return table
    hit = pd.Series(False, index=table.index)
    for col in ("account_id", "account_name"):
        if col in table.columns:
            hit |= table[col].astype(str).str.casefold().str.contains(needle, regex=False, na=False)
    return table[hit]


# ---------------------------------------------------------------- reps, backtest, what-if

def rep_portfolio(scored: pd.DataFrame, frame: pd.DataFrame, as_of: Any,
                  churned: pd.Series | None = None) -> pd.DataFrame:
    """Per owner: book size, active accounts, their mean health, red share and revenue at risk, and churn.

    ``accounts`` = the owner's accounts; ``active`` = those not churned by ``as_of`` (the health
    columns are over these); ``churn_share`` = churned / accounts with a known status, with its
    Wilson 95% interval (``churn_low``, ``churn_high``; blank when churn is unknown). ``churned``:
    :func:`churn_status` at ``as_of``, when the caller has it.

    Examples
    --------
    >>> s = pd.DataFrame({"health_score": [20.0, 80.0, 60.0], "health_band": ["red", "green", "yellow"]})
    >>> f = pd.DataFrame({"owner": ["x", "x", "y"], "churned": pd.array([False, False, True], "boolean")})
    >>> rep_portfolio(s, f, "2024-01-01")[["owner", "active", "mean_health", "churn_share"]].values.tolist()
    [['x', 2, 50.0, 0.0], ['y', 0, nan, 1.0]]
    """
    if "owner" not in frame.columns:
        return pd.DataFrame(columns=list(REP_COLUMNS))
    # Positional from here (ids aligned once): grouping 100,000 rows by owner while they carry text ids
    # made pandas rebuild an id lookup for every group and column, most of the function's time.
    def by_position(values: pd.Series) -> pd.Series:
        return _aligned(values, scored.index).reset_index(drop=True)

    churned = by_position(churn_status(frame, as_of) if churned is None else churned)
    active = ~churned.fillna(False).astype(bool)
    revenue = revenue_basis(frame).values
    score = by_position(scored["health_score"])
    red = (by_position(scored["health_band"]) == "red") & active
    df = pd.DataFrame({
        "owner": by_position(frame["owner"]).astype(object).fillna("(no owner)"),
        "active": active.astype(int),
        "score": score.where(active),
        "scored": (score.notna() & active).astype(int),
        "red": red.astype(int),
        "at_risk": (by_position(revenue).where(red, 0.0) if revenue is not None else np.nan),
        "known": churned.notna().astype(int),
        "churned": churned.fillna(False).astype(int),
    })
    g = df.groupby("owner").agg(accounts=("active", "size"), active=("active", "sum"), mean_health=("score", "mean"),
                                scored=("scored", "sum"), red=("red", "sum"),
                                revenue_at_risk=("at_risk", lambda s: s.sum(min_count=1)),
                                known=("known", "sum"), churned=("churned", "sum")).reset_index()
    g["red_share"] = g["red"] / g["scored"].where(g["scored"] > 0)
    g["churn_share"] = g["churned"] / g["known"].where(g["known"] > 0)
    bounds = [wilson_interval(int(k), int(n)) for k, n in zip(g["churned"], g["known"])]
    g["churn_low"], g["churn_high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    g["churned"] = g["churned"].where(g["known"] > 0)
    return g[list(REP_COLUMNS)].sort_values("mean_health", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Backtest:
    """How well the scores separate churned from retained accounts; ``reason`` says why not when they cannot.

    ``auc_low``..``auc_high`` is the Hanley-McNeil 95% interval; ``flag`` is the warning to show wherever
    the AUC is shown when it is below 0.5 or its interval includes 0.5 (None when the score predicts).
    """

    auc: float | None
    n: int
    n_churned: int
    by_band: pd.DataFrame | None
    lift: pd.DataFrame | None
    reason: str | None = None
    auc_low: float | None = None
    auc_high: float | None = None
    flag: str | None = None


def backtest(scored: pd.DataFrame, frame: pd.DataFrame, as_of: Any, churned: pd.Series | None = None) -> Backtest:
    """AUC (METRICS.md), churn share per band and lift per score decile, over scored accounts with known churn.

    ``churned``: :func:`churn_status` of ``frame`` at ``as_of``, when the caller has it.

    Examples
    --------
    >>> s = pd.DataFrame({"health_score": [90.0, 10.0], "health_band": ["green", "red"]})
    >>> backtest(s, pd.DataFrame({"churned": pd.array([False, True], "boolean")}), "2024-01-01").auc
    1.0
    """
    churned = (churn_status(frame, as_of) if churned is None else churned).reindex(scored.index)
    known = churned.notna() & scored["health_score"].notna()
    n, k = int(known.sum()), int(churned[known].astype(bool).sum())
    if n == 0:
        return Backtest(None, 0, 0, None, None, CHURN_UNKNOWN)
    if k in (0, n):
        return Backtest(None, n, k, None, None, ONE_CLASS)
    score, flag = scored.loc[known, "health_score"], churned[known].astype(bool)
    value = bt.auc(score, flag)
    low, high = bt.auc_interval(value, n - k, k) if value is not None else (None, None)
    return Backtest(value, n, k, bt.churn_by_band(scored[known], flag), bt.lift_by_decile(score, flag),
                    auc_low=low, auc_high=high, flag=bt.auc_flag(value, low, high, n - k, k))


BACKTEST_HORIZON_DAYS = 90


def backtest_frame(con: duckdb.DuckDBPyConnection, tables: set[str], accounts: pd.DataFrame,
                   as_of: dt.date, horizon_days: int = BACKTEST_HORIZON_DAYS) -> tuple[pd.DataFrame, dt.date] | None:
    """The accounts as they looked ``horizon_days`` before ``as_of``, labelled by whether they churned since.

    Scoring churned accounts on their data up to ``as_of`` (after they left: no usage, no answers)
    flatters any score. An honest backtest scores every account active at the cutoff on what was
    known then, and asks who churned in (cutoff, as_of]. Needs end dates; returns None without them
    (the caller falls back to the flag, and says the AUC is then in-sample).

    Returns the measure frame at the cutoff, its ``churned`` replaced by the outcome after the
    cutoff and ``end_date`` dropped (so :func:`backtest` reads the outcome), and the cutoff date.

    Examples
    --------
    >>> # frame, cutoff = backtest_frame(store.con, set(store.tables), store.frame("accounts"), as_of)
    """
    if "end_date" not in accounts.columns or accounts["end_date"].notna().sum() == 0:
        return None
    cutoff = as_of - dt.timedelta(days=horizon_days)
    end = pd.to_datetime(accounts["end_date"]).dt.normalize()
    alive = accounts[end.isna() | (end > pd.Timestamp(cutoff))]
    frame = measure_frame(con, tables, alive, cutoff)
    ends = pd.to_datetime(frame["end_date"]).dt.normalize()
    frame = frame.drop(columns=["end_date"])
    frame["churned"] = pd.array(ends.notna() & (ends <= pd.Timestamp(as_of)), dtype="boolean")
    return frame, cutoff


IN_SAMPLE_NOTE = ("No end dates: churn comes from the flag and accounts are scored on their latest data, "
                  "after some of them left, so this is an in-sample check: read the AUC as an upper bound.")


@dataclass(frozen=True, eq=False)
class BacktestBasis:
    """The accounts a backtest scores (``frame``), the cutoff they are measured at, and how, in words."""

    frame: pd.DataFrame
    cutoff: dt.date | None
    note: str


def backtest_basis(con: duckdb.DuckDBPyConnection, tables: set[str], accounts: pd.DataFrame,
                   frame: pd.DataFrame, as_of: dt.date) -> BacktestBasis:
    """Where end dates exist, the accounts as of 90 days earlier (:func:`backtest_frame`); else ``frame``."""
    past = backtest_frame(con, tables, accounts, as_of)
    if past is None:
        return BacktestBasis(frame, None, IN_SAMPLE_NOTE)
    return BacktestBasis(past[0], past[1], (
        f"Each account active on {past[1]:%d %b %Y} ({BACKTEST_HORIZON_DAYS} days before the as-of date) is scored "
        f"on what was known then; churned = ended between then and {as_of:%d %b %Y}."))


@dataclass(frozen=True)
class Comparison:
    """The current scores against a pinned baseline: band migration, accounts that moved, changes."""

    matrix: pd.DataFrame
    moved: pd.DataFrame
    revenue_at_risk_before: float | None
    revenue_at_risk_after: float | None
    auc_before: float | None
    auc_after: float | None

    @property
    def revenue_at_risk_change(self) -> float | None:
        if self.revenue_at_risk_before is None or self.revenue_at_risk_after is None:
            return None
        return self.revenue_at_risk_after - self.revenue_at_risk_before

    @property
    def auc_change(self) -> float | None:
        return None if self.auc_before is None or self.auc_after is None else self.auc_after - self.auc_before


def compare(baseline_scored: pd.DataFrame, scored: pd.DataFrame, frame: pd.DataFrame, as_of: Any = None,
            churned: pd.Series | None = None, revenue: RevenueBasis | None = None) -> Comparison:
    """Band migration (rows = baseline band), moved accounts, revenue at risk and AUC before and after.

    ``churned``: :func:`churn_status` of ``frame`` at ``as_of``, when the caller has it. With ``as_of``
    the matrix and the moved accounts count active accounts only, as the tiles do (AUC needs the
    churned ones and uses every account).

    Examples
    --------
    >>> b = pd.DataFrame({"health_score": [40.0], "health_band": ["red"]}, index=pd.Index(["A"], name="account_id"))
    >>> a = pd.DataFrame({"health_score": [60.0], "health_band": ["yellow"]}, index=b.index)
    >>> int(compare(b, a, pd.DataFrame(index=b.index)).matrix.loc["red", "yellow"])
    1
    """
    active_by = churned if as_of is not None else None  # without as_of the tiles count every account
    pop_before, pop_after = (active_scores(s, frame, as_of, active_by) if as_of is not None else s
                             for s in (baseline_scored, scored))
    moved = bt.moved_accounts(pop_before, pop_after)
    for col in ("owner", "account_name"):
        if col in frame.columns:
            moved.insert(1, col, frame[col].reindex(moved["account_id"]).to_numpy())
    if churned is None:
        churned = churn_status(frame, as_of if as_of is not None else pd.Timestamp.max)
    before, after = (kpis(s, frame, as_of, active_by, revenue) for s in (baseline_scored, scored))
    auc_before, auc_after = (bt.auc(s["health_score"], churned.reindex(s.index)) for s in (baseline_scored, scored))
    return Comparison(bt.band_migration(pop_before, pop_after), moved,
                      before.revenue_at_risk, after.revenue_at_risk, auc_before, auc_after)


# ---------------------------------------------------------------- starting point, drill-down, suggestion

def starting_scorecard(frame: pd.DataFrame, buyers: str | None = None) -> Scorecard:
    """``scorecard_edit.default_scorecard`` for the columns of a measure frame, with ranges from its values.

    ``buyers``: a shop's customers (:attr:`Measured.buyers`): health starts from that buyer measure, never from
    the raw days since the last order.
    """
    return default_scorecard(column_kinds(frame), frame, buyers)


def _shown(value: Any) -> str:
    """A raw value as text for a table: whole numbers with thousands separators, others to 2 decimals."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def breakdown(scored: pd.DataFrame, frame: pd.DataFrame, sc: Scorecard, account_id: str,
              resolve: Callable[[str], str] = str) -> pd.DataFrame:
    """One account's measures: raw value (as text), points, weight, weight share and contribution.

    The table is ``health.contributions``; a blank value stays None.
    """
    row = frame.loc[account_id]
    raw = {}
    for m in sc.measures:
        value = row.get(resolve(m.column))
        raw[m.column] = None if value is None or pd.isna(value) else _shown(value)
    return health.contributions(scored.loc[account_id], sc, raw)


def history_window(as_of: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The first day of the month ``months - 1`` months before ``as_of``'s month, and ``as_of``.

    Examples
    --------
    >>> history_window(dt.date(2026, 10, 31))
    (datetime.date(2025, 11, 1), datetime.date(2026, 10, 31))
    """
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).start_time.date()
    return start, as_of


def score_history(con: duckdb.DuckDBPyConnection, tables: set[str], accounts: pd.DataFrame, sc: Scorecard,
                  as_of: dt.date, resolve: Callable[[str], str] = str) -> pd.DataFrame:
    """Monthly scores of every account over the 12 months to ``as_of`` (``health.score_history``).

    Each month end is scored on :func:`measure_frame` as of that day. A shop's purchase model is fitted again at
    each month end, on the purchases up to it: P(alive) then is what the model said that day (fitting it once on
    today's purchases would let the history see purchases made after the month it scores); the orders are fetched
    once, and only when the scorecard scores one of its measures; the derived measures are those of the tables the
    scorecard scores (a scorecard scoring no order measure reads no orders). (One DuckDB statement for all twelve
    month ends was tried: it cost the same CPU, 7.7 s against 7.6 s at
    M, since the work is aggregating 1.2M account-months, not reading the tables, and it defined every measure a
    second time; so each month end runs the measures' own statement.)
    """
    start, end = history_window(as_of)
    acc = _accounts_by_id(accounts)
    scored = {resolve(m.column) for m in sc.measures}  # only what the scorecard scores is worked out and kept
    buyers_scored = bu.is_buyers_portfolio(tables, accounts) and bool(scored & set(bu.MEASURES))
    orders = con.execute(BUYER_ORDERS_SQL).df() if buyers_scored else None

    def measures_at(day: dt.date) -> pd.DataFrame:
        buyers = None if orders is None else bu.purchase_measures(orders, accounts, day)
        return _measures_of(acc, derived_measures(con, tables, day, ordered=False, only=scored), buyers, scored)

    return health.score_history(measures_at, sc, start, end, resolve)


def suggest(points: Points, frame: pd.DataFrame, sc: Scorecard, as_of: Any, seed: int = 0) -> bt.Suggestion:
    """``backtest.suggest_weights`` on cached points, churn taken from the accounts as of ``as_of``; a measure
    whose points went with more churn may come back turned round (``Suggestion.flips``), shown before Apply."""
    churned = churn_flags(frame, as_of)["churned"].reindex(points.frame.index)
    return bt.suggest_weights(points.frame, churned, sc, seed=seed, flip=True)


HEALTH_TREND_COLUMNS = ("month", "accounts", "mean_score", "red_share", "yellow_share", "green_share")


def health_over_time(history: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The portfolio's health per month: mean score and the share of each band, over the accounts active
    at that month's end that have a score (METRICS.md: bands count active accounts only).

    ``history`` is :func:`score_history` (account_id, month, health_score, health_band); ``frame`` the
    accounts with their churn fields (the measure frame), from which each month's churn status is taken
    (:func:`churn_status` at the month end). Where churn is a flag without a date the app cannot tell when
    an account left, so a flagged account is left out of every month. A month with no scored active
    account has no figures (a row of blanks with accounts = 0, never a mean of 0).

    Examples
    --------
    >>> h = pd.DataFrame({"account_id": ["A", "B", "A", "B"], "month": pd.to_datetime(["2024-01-31"] * 2
    ...     + ["2024-02-29"] * 2), "health_score": [40.0, 80.0, 60.0, 90.0],
    ...     "health_band": ["red", "green", "yellow", "green"]})
    >>> f = pd.DataFrame({"end_date": pd.to_datetime([None, "2024-02-10"])}, index=pd.Index(["A", "B"], name="account_id"))
    >>> health_over_time(h, f)[["accounts", "mean_score", "red_share", "green_share"]].values.tolist()
    [[2.0, 60.0, 0.5, 0.5], [1.0, 60.0, 0.0, 0.0]]
    """
    rows = []
    # Churn is read from a copy of the churn fields on a plain index, and each month's accounts are found by
    # position: aligning on text ids made this 2 s at 100,000 accounts (twelve months of churn_status).
    plain = frame[[c for c in ("end_date", "churned") if c in frame.columns]].reset_index(drop=True)
    ids = frame.index.astype(str)
    unique = ids if ids.is_unique else ids[~ids.duplicated()]
    accounts = history["account_id"]
    if isinstance(accounts.dtype, pd.CategoricalDtype):  # score_history's ids: each looked up once, not once a month
        at_all = np.append(unique.get_indexer(accounts.cat.categories.astype(str)), -1)[accounts.cat.codes.to_numpy()]
    else:
        at_all = unique.get_indexer(accounts.astype(str).to_numpy())
    for month, group in history.assign(_at=at_all).groupby("month", sort=True, observed=True):
        at = group["_at"].to_numpy()
        churned = active_mask(plain, month).to_numpy(bool)
        active = np.where(at >= 0, churned[np.maximum(at, 0)], True)  # an account not in frame counts as active
        scored = group[active & group["health_score"].notna().to_numpy()]
        n = len(scored)
        shares = scored["health_band"].value_counts().reindex(list(health.BANDS), fill_value=0) / n if n else None
        rows.append({"month": month, "accounts": float(n),
                     "mean_score": float(scored["health_score"].mean()) if n else None,
                     **{f"{b}_share": None if shares is None else float(shares[b]) for b in health.BANDS}})
    return pd.DataFrame(rows, columns=list(HEALTH_TREND_COLUMNS))


def history_of_tables(tables: Mapping[str, pd.DataFrame | Resident], as_of: dt.date, sc: Scorecard,
                      mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`score_history` of tables held outside a session (the report built alone, the command line),
    in a private DuckDB closed before returning, as :func:`score_tables` does.

    >>> # history_of_tables({"accounts": accounts, "usage": usage}, date(2026, 10, 31), scored.scorecard)
    """
    store = Store(memory_limit="1GB")
    try:
        store.load(dict(tables))
        return score_history(store.con, set(tables), tables["accounts"], sc, as_of, resolver(dict(mapping or {})))
    finally:
        store.close()

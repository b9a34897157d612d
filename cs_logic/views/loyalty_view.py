"""What the Loyalty page shows: surveys joined to accounts, NPS per group, KPI tiles and their formulas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from cs_logic.core.settings import Settings
from cs_logic.metrics.feedback import csat
from cs_logic.metrics.nps import SMALL_SAMPLE, account_nps, distribution, nps, nps_by, nps_differs, nps_trend
from cs_logic.metrics.owner_churn import churn_by_owner
from cs_logic.metrics.repeat import repeat_purchase
from cs_logic.metrics.retention import (
    churn_flags,
    churn_share,
    cohort_matrix,
    logo_churn,
    revenue_retention,
    undated_churn,
)
from cs_logic.metrics.survival import median_lifetime, survival_by
from cs_logic.metrics.targets import delta_colour, delta_text, format_value, gaps_frame_rows, headline_gap

GROUP_COLUMNS = ("segment", "owner", "plan")
GROUP_LABELS = {"segment": "Segment", "owner": "Rep / owner", "plan": "Plan"}
MAX_LINES = 12  # survival curves drawn at once: more cannot be told apart


@dataclass(frozen=True)
class Tile:
    """One headline number: ``value`` in the KPI's unit (NPS points, or % for rates), shown as ``shown``.

    ``kpi`` names the target it is compared with (None when no target applies); ``detail`` gives n and
    the period; ``definition`` is the formula in words for the caption.
    """

    kpi: str | None
    label: str
    value: float | None
    shown: str
    detail: str
    definition: str
    n: int | None = None


def surveys_with_accounts(surveys: pd.DataFrame, accounts: pd.DataFrame | None,
                          columns: tuple[str, ...] = GROUP_COLUMNS) -> pd.DataFrame:
    """The surveys with the account's ``columns`` they lack, joined on account_id (one row per answer).

    Columns the surveys already have are kept as they are; without an account_id on either side the
    surveys come back unchanged. Answers whose account is not in the accounts table get blanks.
    The survey columns are the caller's own (copy-on-write shares them): only the ids are joined, so
    2M answers cost the added columns, not a second copy of every answer and comment.

    >>> s = pd.DataFrame({"account_id": ["a", "b", "x"], "nps": [10, 0, 9]})
    >>> a = pd.DataFrame({"account_id": ["a", "b"], "segment": ["SMB", "Enterprise"]})
    >>> surveys_with_accounts(s, a)["segment"].tolist()
    ['SMB', 'Enterprise', nan]
    """
    if accounts is None or "account_id" not in surveys.columns or "account_id" not in accounts.columns:
        return surveys
    wanted = [c for c in columns if c in accounts.columns and c not in surveys.columns]
    if not wanted:
        return surveys
    lookup = accounts.drop_duplicates("account_id").set_index("account_id")[wanted]
    found = surveys[["account_id"]].join(lookup, on="account_id")
    joined = surveys.copy(deep=False)
    # The join gives the ids the accounts' type when the two differ (text against object): kept, as before.
    for column in ["account_id"] * (found["account_id"].dtype != surveys["account_id"].dtype) + wanted:
        joined[column] = found[column].set_axis(surveys.index)
    return joined


def group_columns(df: pd.DataFrame) -> list[str]:
    """The grouping columns (segment, owner, plan) the frame has with at least one value.

    >>> group_columns(pd.DataFrame({"owner": ["x"], "plan": [None]}))
    ['owner']
    """
    return [c for c in GROUP_COLUMNS if c in df.columns and df[c].notna().any()]


def nps_by_group(surveys: pd.DataFrame, by: str) -> pd.DataFrame:
    """NPS per group (``nps.nps_by``) plus ``differs_from_rest``: significant against all other answers.

    The test is METRICS.md's: |NPS_group - NPS_rest| / sqrt(se_group^2 + se_rest^2) > 1.96, where the
    rest is every valid answer outside the group (so the two samples do not overlap).

    >>> s = pd.DataFrame({"owner": ["x"] * 40 + ["y"] * 40, "nps": [0, 10] * 20 + [10] * 35 + [0] * 5})
    >>> nps_by_group(s, "owner")[["nps", "differs_from_rest"]].values.tolist()
    [[0.0, True], [75.0, True]]
    """
    table = nps_by(surveys, by)
    values = surveys[by]
    scores = surveys["nps"]
    table["differs_from_rest"] = [
        nps_differs(nps(scores[values == g]), nps(scores[values.notna() & (values != g)])) for g in table[by]
    ]
    return table


def nps_tile(surveys: pd.DataFrame) -> Tile:
    """The headline NPS tile: value, n and the adjusted-Wald 95% interval.

    >>> nps_tile(pd.DataFrame({"nps": [10, 9, 7, 3, None]})).shown
    '+25.0'
    """
    r = nps(surveys["nps"])
    detail = f"n = {r.n:,} valid answers"
    if r.invalid:
        detail += f" ({r.invalid:,} blank or invalid left out)"
    if r.ci_low is not None and r.ci_high is not None:
        detail += f"; 95% interval {r.ci_low:+.1f} to {r.ci_high:+.1f}"
    if r.small_sample:
        detail += f"; fewer than {SMALL_SAMPLE} answers: read with care"
    definition = ("NPS = % promoters (9-10) − % detractors (0-6) of valid whole-number answers 0-10; "
                  "interval: adjusted Wald 95% (n + 3, 0.75 added to promoters and to detractors).")
    return Tile("nps", "NPS", r.nps, format_value("nps", r.nps), detail, definition, r.n)


def csat_tile(surveys: pd.DataFrame) -> Tile:
    """The survey CSAT % tile (top-2-box of 1-5 answers) with n and the mean rating.

    >>> csat_tile(pd.DataFrame({"csat": [5, 4, 3, 1]})).value
    50.0
    """
    r = csat(surveys["csat"])
    detail = f"n = {r.n:,} answers" + (f"; mean rating {r.mean_rating:.2f} of 5" if r.mean_rating else "")
    definition = "CSAT % = share of 1-5 answers that are 4 or 5, times 100; the mean rating is shown apart."
    return Tile("csat", "CSAT %", r.csat, format_value("csat", r.csat), detail, definition, r.n)


def _last_complete(table: pd.DataFrame) -> pd.Series | None:
    done = table[table["complete"].astype(bool) & (table["active_start"] > 0)] if len(table) else table
    return None if done.empty else done.iloc[-1]


def churn_tiles(accounts: pd.DataFrame, as_of: Any) -> list[Tile]:
    """Logo churn (last complete month and quarter) and customer retention (last complete quarter).

    With start and end dates the rates follow METRICS.md (joiners are not in the denominator). With only
    a churn flag, one tile: the "share of accounts churned". Without either: no tiles.

    >>> a = pd.DataFrame({"churned": [True, False, False, False]})
    >>> [(t.label, t.shown) for t in churn_tiles(a, "2024-01-31")]
    [('Share of accounts churned', '25.0%')]
    """
    if {"start_date", "end_date"} <= set(accounts.columns) and accounts["start_date"].notna().any():
        tiles = []
        month = _last_complete(logo_churn(accounts, as_of, "M"))
        quarter = _last_complete(logo_churn(accounts, as_of, "Q"))
        for row, name, kpi in ((month, "month", "churn"), (quarter, "quarter", None)):
            if row is not None:
                value: float | None = 100 * float(row["logo_churn_rate"])
                churned, active = int(row["churned"]), int(row["active_start"])
                detail = f"{churned:,} churned of {active:,} active at the start"
                label = f"Logo churn rate · {_period_name(row['period'], name)}"
                tiles.append(Tile(kpi, label, value, format_value("churn", value), detail,
                                  "churned in the period / active at its start"))
        if quarter is not None:
            value = 100 * float(quarter["customer_retention_rate"])
            label = f"Customer retention rate · {_period_name(quarter['period'], 'quarter')}"
            tiles.append(Tile("retention", label, value, format_value("retention", value),
                              f"{int(quarter['active_end']):,} at the end, {int(quarter['new']):,} new, "
                              f"{int(quarter['active_start']):,} at the start",
                              "(accounts at end − new accounts) / accounts at start"))
        return tiles
    if "churned" in accounts.columns or "end_date" in accounts.columns:
        share = churn_share(accounts, as_of)
        value = None if share.value is None else 100 * share.value
        return [Tile(None, "Share of accounts churned", value, format_value("churn", value),
                     f"{share.numerator:,} of {share.denominator:,} accounts",
                     "churned / all accounts (without start and end dates there is no rate per period)")]
    return []


def _period_name(start: pd.Timestamp, kind: str) -> str:
    return f"{start.year} Q{start.quarter}" if kind == "quarter" else start.strftime("%b %Y")


def revenue_tiles(subscriptions: pd.DataFrame, as_of: Any) -> list[Tile]:
    """GRR and NRR over the last complete quarter before ``as_of`` ([] when MRR or dates are missing).

    >>> s = pd.DataFrame({"account_id": ["a", "b"], "start_date": pd.to_datetime(["2023-06-01"] * 2),
    ...                   "end_date": pd.to_datetime([None, "2024-05-01"]), "mrr": [100.0, 100.0]})
    >>> [t.shown for t in revenue_tiles(s, "2024-06-30")]
    ['50.0%', '50.0%']
    """
    if not ({"mrr", "arr"} & set(subscriptions.columns)) or "start_date" not in subscriptions.columns:
        return []
    as_of = pd.Timestamp(as_of).normalize()
    current = as_of.to_period("Q")
    last = current if as_of == current.end_time.normalize() else current - 1
    name = f"{last.year} Q{last.quarter}"
    if reason := revenue_unknown(subscriptions):
        return [Tile(None, f"{label} · {name}", None, "–", reason, formula) for label, formula in (
            ("Gross revenue retention", "GRR = (start MRR − contraction − churned MRR) / start MRR"),
            ("Net revenue retention", "NRR = (start MRR + expansion − contraction − churned MRR) / start MRR"))]
    r = revenue_retention(subscriptions, last.start_time, last.end_time.normalize())
    detail = f"{r.accounts:,} accounts with MRR at the start ({r.start_mrr:,.0f})"
    return [
        Tile(None, f"Gross revenue retention · {name}", None if r.grr is None else 100 * r.grr,
             _pct(r.grr), detail,
             "GRR = (start MRR − contraction − churned MRR) / start MRR"),
        Tile(None, f"Net revenue retention · {name}", None if r.nrr is None else 100 * r.nrr,
             _pct(r.nrr), detail,
             "NRR = (start MRR + expansion − contraction − churned MRR) / start MRR"),
    ]


def revenue_unknown(subscriptions: pd.DataFrame) -> str | None:
    """Why GRR and NRR cannot be known from these subscriptions (None when they can).

    They need to know when MRR stopped: without any end date every subscription would look alive, and
    GRR would read 100% by assumption (METRICS.md: otherwise they are unknown).

    >>> revenue_unknown(pd.DataFrame({"start_date": pd.to_datetime(["2024-01-01"]), "mrr": [10.0]}))[:31]
    'Unknown: the subscriptions have'
    """
    if "end_date" in subscriptions.columns and subscriptions["end_date"].notna().any():
        return None
    return ("Unknown: the subscriptions have no end dates, so churned and lost MRR cannot be placed in time "
            "(100% would be an assumption). Add the subscriptions' end (cancellation) dates.")


NO_CHURN_HISTORY = ("Churn is unknown for these accounts (no end date, churn flag or status), so cohort retention "
                    "and survival cannot be drawn: every account would look active for ever. A customer table "
                    "derived from orders has none (a buyer does not cancel): see “Customers who buy” below.")


def history_unknown(accounts: pd.DataFrame, as_of: Any) -> str | None:
    """Why the cohort matrix and survival curves cannot be drawn from the accounts (None when they can).

    >>> history_unknown(pd.DataFrame({"start_date": pd.to_datetime(["2024-01-05"])}), "2024-06-30")[:30]
    'Churn is unknown for these acc'
    """
    if len(accounts) and churn_flags(accounts, as_of if as_of is not None else pd.Timestamp.max)["churned"].isna().all():
        return NO_CHURN_HISTORY
    return undated_churn(accounts, as_of)


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f}%"


def recent_accounts(accounts: pd.DataFrame, as_of: Any, months: int) -> pd.DataFrame:
    """Accounts that started in the ``months`` calendar months up to ``as_of`` (the cohorts a heatmap shows).

    >>> a = pd.DataFrame({"start_date": pd.to_datetime(["2023-01-05", "2024-05-02"])})
    >>> len(recent_accounts(a, "2024-06-30", 12))
    1
    """
    first = (pd.Timestamp(as_of).to_period("M") - (months - 1)).start_time
    return accounts[pd.to_datetime(accounts["start_date"]) >= first]


def largest_curves(curves: pd.DataFrame, k: int = 12) -> pd.DataFrame:
    """The curves of the ``k`` groups with the most accounts (more lines than that cannot be read).

    >>> c = pd.DataFrame({"group": ["a", "b", "b"], "t": [0.0, 0.0, 1.0], "n_at_risk": [1, 5, 4]})
    >>> largest_curves(c, 1)["group"].unique().tolist()
    ['b']
    """
    sizes = curves.groupby("group", sort=False)["n_at_risk"].max().nlargest(k)
    return curves[curves["group"].isin(sizes.index)]


def thin_curves(curves: pd.DataFrame, max_rows: int = 5000) -> pd.DataFrame:
    """Survival curves with at most ``max_rows`` rows: times binned to 0.1, 0.5, 1, 3 or 6 months as needed.

    Within a bin the curve keeps its last survival, the first count at risk and the summed events, so
    the steps that matter stay; only rows where something churned (and each curve's start) are kept.

    >>> from cs_logic.metrics.survival import kaplan_meier
    >>> c = kaplan_meier([1.01, 1.02, 1.03, 2.0], [1, 1, 1, 0]).assign(group="g")
    >>> thin_curves(c, max_rows=3)[["t", "events", "survival"]].values.tolist()
    [[0.0, 0.0, 1.0], [1.0, 3.0, 0.25], [2.0, 0.0, 0.25]]
    """
    for width in (None, 0.1, 0.5, 1.0, 3.0, 6.0):
        binned = curves if width is None else (
            curves.assign(t=(curves["t"] / width).round() * width)
            .groupby(["group", "t"], sort=False, as_index=False)
            .agg(n_at_risk=("n_at_risk", "first"), events=("events", "sum"), censored=("censored", "sum"),
                 survival=("survival", "last")))
        last = binned.groupby("group", sort=False).tail(1).index
        kept = binned[(binned["events"] > 0) | (binned["t"] == 0) | binned.index.isin(last)]
        if len(kept) <= max_rows:
            return kept.reset_index(drop=True)
    return kept.reset_index(drop=True)


def median_lifetimes(curves: pd.DataFrame) -> pd.DataFrame:
    """Per survival curve: accounts, churned, and the median lifetime in months (None: not reached).

    >>> from cs_logic.metrics.survival import kaplan_meier
    >>> median_lifetimes(kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0]).assign(group="all")).values.tolist()
    [['all', 5, 3, 3.0]]
    """
    rows = [{"group": g, "accounts": int(c["n_at_risk"].max()), "churned": int(c["events"].sum()),
             "median_months": median_lifetime(c)} for g, c in curves.groupby("group", sort=False)]
    return pd.DataFrame(rows, columns=["group", "accounts", "churned", "median_months"])


# ------------------------------------------------------------------------- the page's sections, computed once


def nps_section(surveys: pd.DataFrame, accounts: pd.DataFrame | None) -> dict[str, Any]:
    """Everything the NPS section shows: tiles, the 0-10 distribution, trends, groups, account variants.

    >>> v = nps_section(pd.DataFrame({"nps": [10, 0]}), None)
    >>> (v["nps"].shown, v["trend"], v["groups"])
    ('+0.0', None, [])
    """
    joined = surveys_with_accounts(surveys, accounts)
    return {"nps": nps_tile(joined), "csat": csat_tile(joined) if "csat" in joined.columns else None,
            "dist": distribution(joined["nps"]), "groups": group_columns(joined),
            "trend": {f: nps_trend(joined, freq=f) for f in ("M", "Q")} if "date" in joined.columns else None,
            "variants": account_nps(joined, accounts)}


def nps_groups(surveys: pd.DataFrame, accounts: pd.DataFrame | None, by: str) -> pd.DataFrame:
    """``nps_by_group`` over the surveys joined to their accounts."""
    return nps_by_group(surveys_with_accounts(surveys, accounts), by)


def retention_section(accounts: pd.DataFrame | None, subscriptions: pd.DataFrame | None,
                      orders: pd.DataFrame | None, as_of: Any) -> dict[str, Any]:
    """Churn and revenue tiles, grouping columns, churn per owner and repeat purchase (None where impossible).

    >>> a = pd.DataFrame({"owner": ["x", "y"], "churned": [True, False]})
    >>> r = retention_section(a, None, None, "2024-01-01")
    >>> ([t.shown for t in r["churn"]], r["groups"], r["repeat"])
    (['50.0%'], ['owner'], None)
    """
    has_owner = accounts is not None and "owner" in accounts.columns
    has_orders = orders is not None and "account_id" in orders.columns
    return {"churn": churn_tiles(accounts, as_of) if accounts is not None else [],
            "revenue": revenue_tiles(subscriptions, as_of) if subscriptions is not None else [],
            "groups": group_columns(accounts) if accounts is not None else [],
            "owners": churn_by_owner(accounts, as_of) if has_owner else None,
            "repeat": repeat_purchase(orders, accounts) if orders is not None and has_orders else None}


def cohort_section(accounts: pd.DataFrame, as_of: Any, months: int) -> pd.DataFrame:
    """The cohort matrix of the accounts that started in the last ``months`` months."""
    return cohort_matrix(recent_accounts(accounts, as_of, months), as_of)


def survival_section(accounts: pd.DataFrame, by: str | None, as_of: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Curves to draw (the ``MAX_LINES`` largest groups, thinned) and every group's median lifetime."""
    curves = survival_by(accounts, by, as_of)
    return thin_curves(largest_curves(curves, MAX_LINES)), median_lifetimes(curves)


# ------------------------------------------------------------------------- the page's records


@dataclass(frozen=True, eq=False)
class NpsPart:
    """The NPS section: the headline tiles (NPS, then CSAT % when the surveys have it), n and the formula,
    the 0-10 distribution, the trend by month ("M") and quarter ("Q"; None without dates), the columns
    NPS can be split by, and the account-level variants."""

    tiles: tuple[Tile, ...]
    n: int | None
    definition: str
    distribution: pd.DataFrame
    trend: dict[str, pd.DataFrame] | None
    groups: tuple[str, ...]
    variants: pd.DataFrame


def nps_part(surveys: pd.DataFrame | None, accounts: pd.DataFrame | None) -> NpsPart | None:
    """:func:`nps_section` as a record; None without surveys holding an NPS answer.

    >>> p = nps_part(pd.DataFrame({"nps": [10, 9, 7, 3], "csat": [5, 4, 2, 1]}), None)
    >>> [(t.label, t.shown) for t in p.tiles], p.n
    ([('NPS', '+25.0'), ('CSAT %', '50.0%')], 4)
    >>> nps_part(pd.DataFrame({"csat": [5]}), None) is None
    True
    """
    if surveys is None or "nps" not in surveys.columns:
        return None
    v = nps_section(surveys, accounts)
    head = v["nps"]
    return NpsPart(tuple(t for t in (head, v["csat"]) if t is not None), head.n, head.definition, v["dist"],
                   v["trend"], tuple(v["groups"]), v["variants"])


@dataclass(frozen=True, eq=False)
class RetentionPart:
    """The retention section: churn and revenue tiles with the caption of their formulas (None without
    tiles), whether GRR/NRR could be shown, what the accounts allow (``groups`` to split survival by,
    ``cohorts`` with start dates, ``survival`` with start dates or a tenure), churn per owner (None
    without owners), and repeat purchase (``repeat`` tiles and ``repeat_note``; empty without orders)."""

    tiles: tuple[Tile, ...]
    caption: str | None
    revenue: bool
    groups: tuple[str, ...]
    cohorts: bool
    survival: bool
    owners: pd.DataFrame | None
    repeat: tuple[Tile, ...]
    repeat_note: str | None


def definitions_caption(tiles: tuple[Tile, ...] | list[Tile]) -> str | None:
    """Each tile's formula once ("name = formula"), and the target periods when a churn rate is shown.

    >>> from dataclasses import replace
    >>> t = Tile("churn", "Logo churn rate · Oct 2026", 2.0, "2.0%", "", "churned / active at start")
    >>> definitions_caption([t, replace(t, label="Logo churn rate · 2026 Q3", kpi=None)])
    'Logo churn rate = churned / active at start. Churn target: monthly; retention target: quarterly.'
    """
    if not tiles:
        return None
    per_period = any(t.kpi == "churn" for t in tiles)
    return ("; ".join(dict.fromkeys(f"{t.label.split(' · ')[0]} = {t.definition}" for t in tiles))
            + (". Churn target: monthly; retention target: quarterly." if per_period else "."))


def repeat_tiles(r: Any) -> tuple[tuple[Tile, ...], str]:
    """The repeat-purchase tiles (rate, customers who ordered, median days between orders) and their note.

    >>> from cs_logic.metrics.repeat import RepeatPurchase
    >>> tiles, note = repeat_tiles(RepeatPurchase(4, 1, 0.25, None, "account_id", 0))
    >>> [t.shown for t in tiles], note
    (['25.0%', '4', '–'], '1 of 4 customers ordered more than once.')
    """
    return ((Tile(None, "Repeat purchase rate", r.rate, "–" if r.rate is None else f"{r.rate:.1%}", "",
                  "Customers with 2 or more orders / customers with at least 1 order, all time."),
             Tile(None, "Customers who ordered", r.customers, f"{r.customers:,}", "", ""),
             Tile(None, "Median days between orders", r.median_days_between,
                  "–" if r.median_days_between is None else f"{r.median_days_between:,.0f}", "", "")),
            f"{r.repeat_customers:,} of {r.customers:,} customers ordered more than once.")


def retention_part(accounts: pd.DataFrame | None, subscriptions: pd.DataFrame | None,
                   orders: pd.DataFrame | None, as_of: Any) -> RetentionPart | None:
    """:func:`retention_section` as a record; None without accounts.

    >>> a = pd.DataFrame({"owner": ["x", "y"], "churned": [True, False]})
    >>> p = retention_part(a, None, None, "2024-01-01")
    >>> [t.shown for t in p.tiles], p.caption, p.cohorts, p.survival, p.repeat
    (['50.0%'], 'Share of accounts churned = churned / all accounts (without start and end dates there is no rate \
per period).', False, False, ())
    """
    if accounts is None:
        return None
    s = retention_section(accounts, subscriptions, orders, as_of)
    tiles = (*s["churn"], *s["revenue"])
    repeat, note = repeat_tiles(s["repeat"]) if s["repeat"] is not None else ((), None)
    return RetentionPart(tiles, definitions_caption(tiles), bool(s["revenue"]), tuple(s["groups"]),
                         "start_date" in accounts.columns,
                         "start_date" in accounts.columns or "tenure" in accounts.columns,
                         s["owners"], repeat, note)


@dataclass(frozen=True)
class Shown:
    """A tile as drawn: the tile, its gap to the target (or else the first benchmark) as the delta, and the
    delta's colour ("inverse" where lower is better)."""

    tile: Tile
    delta: str | None
    delta_color: str


@dataclass(frozen=True, eq=False)
class Loyalty:
    """The Loyalty page: the NPS and retention sections (None without their data), their tiles as drawn,
    and one row per tile and reference (target, benchmarks) for the comparison table."""

    nps: NpsPart | None
    retention: RetentionPart | None
    nps_tiles: tuple[Shown, ...]
    retention_tiles: tuple[Shown, ...]
    comparisons: tuple[dict[str, Any], ...]


def build(nps: NpsPart | None, retention: RetentionPart | None, settings: Settings) -> Loyalty:
    """The :class:`Loyalty` of the two sections, compared with the targets and benchmarks in ``settings``.

    >>> p = nps_part(pd.DataFrame({"nps": [10, 9, 7, 3]}), None)
    >>> view = build(p, None, Settings().with_target("nps", 20))
    >>> view.nps_tiles[0].delta, [r["gap"] for r in view.comparisons]
    ('+5.0 pts vs target +20.0', ['+5.0 pts'])
    """
    def shown(tiles: tuple[Tile, ...]) -> tuple[Shown, ...]:
        return tuple(Shown(t, delta_text(headline_gap(t.kpi, t.value, settings)), delta_colour(t.kpi)) for t in tiles)

    tiles = (*(nps.tiles if nps else ()), *(retention.tiles if retention else ()))
    rows = tuple(row for t in tiles for row in gaps_frame_rows(t.kpi, t.value, settings))
    return Loyalty(nps, retention, shown(nps.tiles if nps else ()), shown(retention.tiles if retention else ()), rows)

"""What every page shares: the loaded data, the demo, the sidebar and filters, and THE scored portfolio.

The session's keys are declared in :mod:`pages.state`; derived results go through its ``memo``.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from cs_logic.core.escape import md_escape, shown_frame
from cs_logic.core.fmt import UNKNOWN
from cs_logic.core.labels import label as field_label
from cs_logic.core.settings import Settings, loads
from cs_logic.core.unknown import as_of_from
from cs_logic.metrics.buyers import MEASURE_DOCS as BUYER_DOCS
from cs_logic.metrics.measures import MEASURE_DOCS
from cs_logic.output.exports import to_csv_bytes, to_xlsx_bytes, xlsx_problem
from cs_logic.read.store import Filters, Store
from cs_logic.read.workspace import LOAD_STEPS, IngestError, LoadedFile, combine, load_file
from cs_logic.scoring import health
from cs_logic.scoring import portfolio as pf
from cs_logic.scoring.scorecard_edit import describe_measure
from cs_logic.views import feedback_view, scorecard_view
from pages.state import UPLOAD_MEMO, data_key, forget, init_state, memo, reset

__all__ = ["data_key", "init_state", "memo"]  # pages import the state helpers from here too

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data"
DEMO_FILES = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")
UPLOAD_LIMIT_MB = 200  # keep equal to server.maxUploadSize in .streamlit/config.toml


def upload_key(up: dict[str, Any], columns: tuple[str, ...] | None, settings: Settings) -> tuple[Any, ...]:
    """Exactly what ``load_file`` reads besides the bytes: sheet, table, the file's own mapping, and the
    remembered mapping that applies to THIS file (``settings.mapping_for``, used only while no table is
    chosen). ``columns``: the file's headers from its last read of this sheet (None before the first)."""
    remembered = settings.mapping_for(up["name"], columns) if up.get("table") is None and columns else None
    return (up.get("sheet"), up.get("table"), json.dumps(up.get("mapping"), sort_keys=True), remembered)


def load_upload(digest: str, progress: Any = None) -> LoadedFile:
    """The loaded form of one upload with the manager's current choices (IngestError if unreadable).

    Memoised per file on :func:`upload_key`: a target, a scorecard weight or another file's mapping
    re-reads nothing. One entry per file (a large file is not held twice). ``progress``: told each step of a
    read (``load_file``'s).
    """
    up, settings = st.session_state["uploads"][digest], st.session_state["settings"]
    box = st.session_state["memo"].get(UPLOAD_MEMO + digest, {})
    last_key, last = next(iter(box.items()), (None, None))
    columns = tuple(str(c) for c in last.read.frame.columns) if last is not None and last_key[0] == up.get("sheet") \
        else None
    key = upload_key(up, columns, settings)
    if key in box:
        return box[key]
    lf = load_file(up["name"], up["data"], sheet=up.get("sheet"), table=up.get("table"), mapping=up.get("mapping"),
                   settings=settings, max_bytes=UPLOAD_LIMIT_MB * 1024 * 1024, digest=digest, progress=progress)
    key = upload_key(up, tuple(str(c) for c in lf.read.frame.columns), settings)
    return memo(UPLOAD_MEMO + digest, key, lambda: lf, keep=1)


def remove_upload(digest: str) -> None:
    """Forget one upload and its parsed copy."""
    del st.session_state["uploads"][digest]
    st.session_state["memo"].pop(UPLOAD_MEMO + digest, None)


def add_upload(name: str, data: bytes) -> str:
    """Remember an uploaded file in the session (once per content) and return its digest."""
    from cs_logic.read.workspace import sha256

    digest = sha256(data)
    st.session_state["uploads"].setdefault(digest, {"name": name, "data": data, "sheet": None,
                                                    "table": None, "mapping": None})
    return digest


def sync_store(label: str | None = None, progress: Any = None) -> tuple[list[str], bool]:
    """Load every readable upload into the session's store when a file or a choice changed.

    Returns the one-line reasons of files that could not be read (they are left out; the rest
    load) and whether the store changed (the caller reruns so the sidebar shows the new data).
    ``progress(share, text)`` is told what is being done (a file's step, combining, loading the store) and
    the share done so far, 0-1.
    """
    tell = progress or (lambda share, text: None)
    errors, files = [], []
    uploads = list(st.session_state["uploads"].items())
    for i, (digest, up) in enumerate(uploads):
        def step(what: str, i: int = i, name: str = up["name"]) -> None:
            tell((i + LOAD_STEPS.index(what) / len(LOAD_STEPS)) / (len(uploads) + 1),
                 f"{name} ({i + 1} of {len(uploads)}): {what}…")
        try:
            files.append(load_upload(digest, step))
        except IngestError as exc:
            errors.append(f"{up['name']}: {exc}")
    key = tuple((f.digest, f.table, tuple(sorted(f.mapping.items())), f.read.sheet) for f in files)
    changed = key != st.session_state["loaded_key"]
    if changed:
        tell(len(uploads) / (len(uploads) + 1), "Checking ids across the files…")
        tables, cross = combine(files)
        if st.session_state["store"] is None:
            st.session_state["store"] = Store()
        tell((len(uploads) + 0.5) / (len(uploads) + 1), "Loading the tables into the session's database…")
        st.session_state["store"].load(tables)
        st.session_state["files"] = files
        st.session_state["cross_problems"] = cross
        st.session_state["loaded_key"] = key
        forget(keep=lambda name: name.startswith(UPLOAD_MEMO))  # every other result describes the old data
        for k in [k for k in st.session_state if str(k).startswith("flt_")]:
            del st.session_state[k]
    if label is not None:
        st.session_state["data_label"] = label
    elif files and changed:
        st.session_state["data_label"] = ", ".join(f.name for f in files)
    return errors, changed


def load_demo() -> None:
    """Replace whatever is loaded with the built-in demo portfolio."""
    reset_data()
    for name in DEMO_FILES:
        add_upload(name, (DEMO_DIR / name).read_bytes())
    sync_store(label="Demo data")


def reset_data() -> None:
    """Forget every upload and the store; settings (mappings, scorecard, targets) are kept."""
    store = st.session_state.get("store")
    if store is not None:
        store.close()
    reset("store", "uploads", "files", "cross_problems", "loaded_key", "data_label", "memo", "as_of_chosen")


def current_store() -> Store | None:
    """The session's store when it holds at least one table."""
    store = st.session_state.get("store")
    return store if store is not None and store.tables else None


def require_data(*tables: str) -> Store:
    """The store, or stop the page with an offer of the demo when nothing (or not ``tables``) is loaded."""
    init_state()
    store = current_store()
    missing = [t for t in tables if store is None or t not in store.tables]
    if store is None or (tables and len(missing) == len(tables)):
        what = "No data is loaded yet." if store is None else (
            f"This page needs a {' or '.join(tables)} table, and none of the loaded files is one.")
        st.info(what + " Upload your exports on the Data page, or try the built-in demo portfolio.")
        if st.button("Load demo data", type="primary", key=f"demo_{'_'.join(tables) or 'any'}"):
            load_demo()
            st.rerun()
        st.stop()
    st.text(store.filters.caption())  # plain text: segment and rep names come from the files
    return store


def sidebar() -> None:
    """Which data is loaded, a reset, and the global filters the data allows."""
    store = current_store()
    with st.sidebar:
        if store is None:
            st.caption("No data loaded.")
            return
        st.markdown(f"**Loaded:** {md_escape(st.session_state['data_label'] or 'uploads')}")
        st.caption(" · ".join(f"{t} {len(df):,} rows" for t, df in store.tables.items()))
        if st.button("Reset data", key="reset_data", help="Forget the loaded files (settings are kept)."):
            reset_data()
            st.rerun()
        _filters(store)


def _filters(store: Store) -> None:
    options = store.filter_options()
    if not options:
        return
    st.markdown("**Filters** (every page)")
    chosen: dict[str, Any] = {}
    if "dates" in options:
        lo, hi = options["dates"]
        picked = st.date_input("Date range", value=(lo, hi), min_value=lo, max_value=hi, key="flt_dates")
        if isinstance(picked, (tuple, list)) and len(picked) == 2 and (picked[0], picked[1]) != (lo, hi):
            chosen["date_from"], chosen["date_to"] = picked[0], picked[1]
    for dim, label in (("segment", "Segment"), ("owner", "Rep / owner"), ("plan", "Plan")):
        if dim in options:
            chosen[dim] = tuple(st.multiselect(label, options[dim], key=f"flt_{dim}"))
    filters = Filters(**chosen)
    if filters != store.filters:
        store.set_filters(filters)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_downloads(csv_slot: Any, xlsx_slot: Any, table: Any, file_stem: str, key: str, sheet: str | None = None,
                    labels: tuple[str, str] = ("Download CSV", "Download XLSX")) -> None:
    """CSV and XLSX buttons for one table, formula-safe (cs_logic.output.exports) and written on click (a callable: a
    rerun builds no file, and the browser never checks a file a newer run replaced). The XLSX only when the
    table fits a sheet; otherwise why not, in its place."""
    csv_slot.download_button(labels[0], partial(to_csv_bytes, table), file_name=f"{file_stem}.csv", mime="text/csv",
                             key=f"{key}_csv", on_click="ignore")
    sheets = {sheet or file_stem: table}
    if too_big := xlsx_problem(sheets):
        xlsx_slot.caption(too_big)
    else:
        xlsx_slot.download_button(labels[1], partial(to_xlsx_bytes, sheets), file_name=f"{file_stem}.xlsx",
                                  mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore")


def download_row(table: Any, file_stem: str, key: str, sheet: str | None = None,
                 labels: tuple[str, str] = ("Download CSV", "Download XLSX")) -> None:
    """:func:`table_downloads` in a row of its own under a table: the one way a table leaves the app
    (Streamlit's own table download is off in .streamlit/config.toml: it would bypass the formula-safe export)."""
    csv_slot, xlsx_slot, _ = st.columns([1, 1, 4])
    table_downloads(csv_slot, xlsx_slot, table, file_stem, key, sheet, labels)


def accounts_mapping() -> dict[str, str]:
    """The accounts files' mapping (canonical field -> file header), so a scorecard naming raw headers resolves."""
    return {k: v for f in st.session_state["files"] if f.table == "accounts" for k, v in f.mapping.items()}


def scored_portfolio(store: Store, as_of: dt.date | None = None) -> pf.ScoredPortfolio:
    """THE scored portfolio of this session: one per (data and mappings, filters, as-of, scorecard).

    Every page, the Overview's report included, reads it from here, so what a page shows does not
    depend on which page was opened first. The measures are kept per data and as-of day, the points
    per measure definitions (a weight move reuses them), the scores per scorecard.
    """
    as_of = as_of_default() if as_of is None else as_of
    at = (data_key(store), as_of)
    measured = memo("measured", at, lambda: pf.measure(store.con, set(store.tables), store.frame("accounts"),
                                                          as_of, accounts_mapping()))
    chosen = st.session_state["scorecard"]
    sc = measured.starting if chosen is None else chosen
    points = memo("points", (at, pf.definition_key(sc)), lambda: pf.portfolio_points(measured.frame, sc,
                                                                                        measured.resolve))
    return memo("scored", (at, health.dump_scorecard(sc), chosen is None),
                lambda: pf.scored_portfolio(measured, chosen, points))


def settings_to_save() -> Settings:
    """The settings file as "Save settings" writes it: mappings of the loaded files, targets, and the
    scorecard in use as JSON (the only place it becomes JSON besides the Scorecard page's Save)."""
    settings = st.session_state["settings"]
    for lf in st.session_state["files"]:
        settings = settings.with_mapping(lf.remembered())
    chosen = st.session_state["scorecard"]
    return Settings(settings.mappings, None if chosen is None else health.dump_scorecard(chosen),
                    settings.targets, settings.benchmarks, settings.extra)


def load_settings(data: bytes) -> tuple[str, str]:
    """Apply a settings file: its scorecard becomes the scorecard in use, the rest the settings; every
    upload's table and mapping are chosen afresh from it. Returns ("success" or "error", the message to show)."""
    try:
        settings = loads(data)
    except ValueError as exc:
        return "error", str(exc)
    problem = ""
    try:
        chosen = health.load_scorecard(settings.scorecard) if settings.scorecard else None
    except ValueError as exc:
        chosen, problem = None, f" Its scorecard cannot be used, so the starting scorecard applies: {exc}"
    st.session_state["settings"] = Settings(settings.mappings, None, settings.targets, settings.benchmarks,
                                            settings.extra)
    st.session_state["scorecard"] = chosen
    for up in st.session_state["uploads"].values():
        up.update(table=None, mapping=None)
    return "success", "Settings loaded: remembered mappings now apply to files with the same headers." + problem


def as_of_default(required: bool = True) -> dt.date | None:
    """The as-of date pages use unless the manager picks one: the latest date in the data.

    With no date in any file it is unknown (cs_logic.core.unknown.as_of_from, never today): the page
    asks for one and stops until it is given; with ``required=False`` it gets None (a page whose own
    "As of" input asks, and whose figures need no date when no file has one).
    """
    store = current_store()
    found = as_of_from([(store.filter_options().get("dates") or (None, None))[1]] if store is not None else [])
    if found.value is not None:
        return found.value
    if st.session_state.get("as_of_chosen") is None and not required:
        return None
    if st.session_state.get("as_of_chosen") is None:
        st.info(found.reason)
        st.date_input("As-of date", value=None, key="as_of_ask", on_change=lambda: st.session_state.update(
            as_of_chosen=st.session_state.get("as_of_ask")))
        st.stop()
    return st.session_state["as_of_chosen"]


def weight_sliders(measures: tuple[health.Measure, ...], resolve: Any) -> dict[str, float]:
    """The Scorecard page's weight slider of each measure (key ``sc_w_`` + its column, help = how the measure
    is derived): column -> weight as the slider shows it."""
    docs = {**MEASURE_DOCS, **BUYER_DOCS}
    return {m.column: st.slider(md_escape(m.label or field_label(m.column)), 0.0, max(100.0, float(m.weight)),
                                float(m.weight), 1.0, key=f"sc_w_{m.column}", format="%g",
                                help=docs.get(resolve(m.column))) for m in measures}


def rule_editors(measures: tuple[health.Measure, ...]) -> tuple[list[health.Measure], str | None]:
    """The Scorecard page's rule editor of each measure (:func:`rule_editor`): the measures as edited (weights
    as given), and the column whose Remove button was pressed (None when none was)."""
    edited, removed = [], None
    for m in measures:
        measure, remove = rule_editor(m)
        edited.append(measure)
        removed = m.column if remove else removed
    return edited, removed


def rule_editor(m: health.Measure) -> tuple[health.Measure, bool]:
    """One measure's rule in an expander: its inputs and a Remove button.

    Returns the measure as the widgets describe it (an edit that breaks a rule keeps the measure as it was,
    and says why) and whether Remove was pressed. Keys: ``sc_lo_``, ``sc_hi_``, ``sc_pts_``, ``sc_dir_``,
    ``sc_rm_`` + the measure's column.
    """
    with st.expander(md_escape(f"{m.label or field_label(m.column)}: {describe_measure(m)}"), expanded=False):
        changes: dict[str, Any] = {}
        if m.method == "linear":
            c1, c2 = st.columns(2)
            changes["worst"] = c1.number_input("Worst (0 points)", value=float(m.worst), key=f"sc_lo_{m.column}")
            changes["best"] = c2.number_input("Best (100 points)", value=float(m.best), key=f"sc_hi_{m.column}")
        elif m.method == "points":
            table = st.data_editor({"category": [c for c, _ in m.points], "points": [p for _, p in m.points]},
                                   disabled=["category"], key=f"sc_pts_{m.column}", width="stretch",
                                   column_config={"category": "Category", "points": "Points"})
            changes["points"] = tuple(zip(table["category"], table["points"]))
        else:
            changes["higher_is_better"] = st.toggle("Higher is better", m.higher_is_better, key=f"sc_dir_{m.column}")
        removed = st.button("Remove this measure", key=f"sc_rm_{m.column}")
    edited, problem = scorecard_view.edited_measure(m, m.weight, changes)
    if problem:
        st.error(md_escape(problem))
    return edited, removed


def backtest(store: Store, port: pf.ScoredPortfolio) -> scorecard_view.Past:
    """THE backtest of the scored portfolio: the accounts as they were before the outcome
    (``portfolio.backtest_basis``), their points for the scorecard in use, their churn, and the backtest.

    The memo names and keys are the Success page's, so both pages read one result.
    """
    sc, frame, as_of, resolve = port.scorecard, port.frame, port.as_of, port.measured.resolve
    at = (data_key(store), as_of)
    basis = memo("basis", at, lambda: pf.backtest_basis(store.con, set(store.tables), store.frame("accounts"),
                                                        frame, as_of))
    past = memo("basis_points", (at, pf.definition_key(sc)), lambda: pf.portfolio_points(basis.frame, sc, resolve))
    churned = memo("basis_churned", at, lambda: pf.churn_status(basis.frame, as_of))
    result = memo("backtest", (at, health.dump_scorecard(sc)), lambda: pf.backtest(
        pf.rescore_portfolio(past, sc), basis.frame, as_of, churned))
    return scorecard_view.Past(basis, past, churned, as_of, result)


def comment_index(store: Store) -> tuple[str, str]:
    """The Feedback page's folded comment table and index in the store, built once per data load (Store.load
    drops both with the old data)."""
    table, index = memo("fb_index", st.session_state["loaded_key"],
                        lambda: feedback_view.comment_index(store.con, set(store.tables)))
    if not feedback_view.table_exists(store.con, table):  # the store was reloaded under the same files
        st.session_state["memo"].pop("fb_index")
        return comment_index(store)
    return table, index


def comment_filters(choices: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """The Feedback page's search filters (segment, rep, agent, answer dates; keys ``fb_<column>``,
    ``fb_dates``) for the values the surveys have (``feedback_view.filter_choices``), added to ``chosen``."""
    slots = st.columns(4)
    for slot, (col, label) in zip(slots, [("segment", "Segment"), ("owner", "Rep"), ("agent", "Agent")]):
        if col in choices:
            pick = slot.selectbox(label, ["All", *choices[col]], key=f"fb_{col}")
            chosen[col] = None if pick == "All" else pick
    if "dates" in choices:
        lo, hi = choices["dates"]
        span = slots[3].date_input("Answered between", (lo, hi), min_value=lo, max_value=hi, key="fb_dates")
        if isinstance(span, (tuple, list)) and len(span) == 2:
            chosen.update(date_from=span[0], date_to=span[1])
    return chosen


def show_table(frame: Any, config: dict[str, Any] | None = None, *, where: Any = None, **kw: Any) -> Any:
    """``st.dataframe`` as a manager reads it: every header a label (cs_logic.core.labels), "–" for a missing cell,
    text direction controls shown visibly (cs_logic.core.escape.shown_frame).

    ``config`` is a column_config keyed by the frame's code names; an entry without its own label gets
    ``label(name)``, and a column with no entry gets one too. ``where`` is a column or container.
    """
    cfg: dict[str, Any] = dict(config or {})
    for c in frame.columns:
        given = cfg.get(c, ...)
        if given is ...:
            cfg[c] = field_label(c)
        elif isinstance(given, dict) and not given.get("label"):
            cfg[c] = {**given, "label": field_label(c)}
    if not kw.get("hide_index", True) and getattr(frame.index, "name", None) and "_index" not in cfg:
        cfg["_index"] = field_label(frame.index.name)
    kw.setdefault("hide_index", True)
    kw.setdefault("width", "stretch")
    # Bidirectional controls in names and comments are shown as \u202E, never obeyed (gnp.exe is not exe.png).
    return (where or st).dataframe(shown_frame(frame), column_config=cfg, placeholder=UNKNOWN, **kw)


# One grid format per kind (cs_logic.core.fmt is the text twin): shares 0-1, percents 0-100, money, counts.
SHARE = st.column_config.NumberColumn(format="percent")
PERCENT = st.column_config.NumberColumn(format="%.1f%%")
MONEY = st.column_config.NumberColumn(format="%,.0f")
COUNT = st.column_config.NumberColumn(format="%,d")
ONE_DECIMAL = st.column_config.NumberColumn(format="%.1f")
DAYS = st.column_config.NumberColumn(format="%,.0f d")


def draw_blocks(blocks: Any, missing: str | None = None) -> None:
    """A view's blocks (title, chart or table, caption, open; e.g. ``buyers_view.Block``), each in an expander;
    ``missing``: what to add when the view has nothing to show."""
    if missing:
        st.info(missing)
    for block in blocks:
        with st.expander(block.title, expanded=block.open):
            if block.chart is not None:
                st.altair_chart(block.chart, width="stretch")
            if block.table is not None:
                show_table(block.table)
            st.caption(block.caption)

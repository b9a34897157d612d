"""What every page shares: the loaded data, the demo, the sidebar and filters, and THE scored portfolio.

The session's keys are declared in :mod:`pages.state`; derived results go through its ``memo``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import replace
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
from cs_logic.read.currency import currency_of
from cs_logic.read.sources import Source, SourceError, find_sources, reading
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
    choices = {"sheet": up.get("sheet"), "table": up.get("table"), "mapping": up.get("mapping"), "settings": settings,
               "digest": digest, "progress": progress, "con": session_store().con}
    if "path" in up:  # opened from disk: read there, never held in the session, and no upload limit passed
        with reading(source_of(up)) as where:
            lf = load_file(up["name"], **choices, **where)
    else:
        lf = load_file(up["name"], up["data"], max_bytes=UPLOAD_LIMIT_MB * 1024 * 1024, **choices)
    key = upload_key(up, tuple(str(c) for c in lf.read.frame.columns), settings)
    return memo(UPLOAD_MEMO + digest, key, lambda: lf, keep=1)


def session_store() -> Store:
    """The session's store, made on first use: a usage file's rows are typed straight into its database."""
    if st.session_state.get("store") is None:
        st.session_state["store"] = Store()
    store: Store = st.session_state["store"]
    return store


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


def add_source(source: Source, origin: str) -> str:
    """Remember a file or DuckDB table opened from disk (``origin``: the path opened) and return its key.

    The entry is an upload's with ``path`` (and ``db_table``, size and modification time) instead of ``data``: the
    session never holds the bytes, and the key is :attr:`Source.digest`, a fingerprint of path, size and time. A file
    changed since it was last opened replaces its old entry (the manager's table and mapping are kept)."""
    uploads = st.session_state["uploads"]
    old = [d for d, up in uploads.items() if up.get("path") == source.path and up.get("db_table") == source.db_table]
    choices = {k: uploads[old[0]][k] for k in ("sheet", "table", "mapping")} if old else {
        "sheet": None, "table": None, "mapping": None}
    for digest in old:
        if digest != source.digest:
            remove_upload(digest)
    uploads.setdefault(source.digest, {"name": source.name, "path": source.path, "db_table": source.db_table,
                                       "size": source.size, "modified_ns": source.modified_ns, "origin": origin,
                                       **choices})
    return source.digest


def source_of(up: dict[str, Any]) -> Source:
    """The Source an entry opened from disk was made from (:func:`add_source`)."""
    return Source(up["name"], up["path"], up["size"], up["modified_ns"], up.get("db_table"))


def open_path(text: str) -> tuple[str, str]:
    """Open a folder, DuckDB file or file on this computer into the session's files (loaded by :func:`sync_store`).

    Returns ("success" or "error", the message to show): what was opened and what was skipped with why, or why the
    path cannot be opened (missing, unreadable, a folder with nothing to read)."""
    path = text.strip().strip("\"'")
    if not path:
        return "error", "Type the path of a folder, a DuckDB database file or an export file first."
    try:
        found = find_sources(path, check=True)
    except SourceError as exc:
        return "error", f"Could not open it: {exc}"
    for source in found.sources:
        add_source(source, found.path)
    st.session_state["opened"][found.path] = found.skipped
    what = {"folder": "the folder ", "duckdb": "the DuckDB file ", "file": ""}[found.kind]
    count = f"{len(found.sources)} {'file' if len(found.sources) == 1 else 'files'}"
    return "success", f"Opened {what}{found.path}: {count}" + (
        f" ({len(found.skipped)} left out, listed below)." if found.skipped else ".")


def data_argument(argv: list[str]) -> str | None:
    """The PATH of ``streamlit run app.py -- --data PATH`` (``--data=PATH`` too), None when not given.

    >>> data_argument(["app.py", "--data", "/exports"]), data_argument(["app.py", "--data=x.duckdb"]), data_argument(["app.py"])
    ('/exports', 'x.duckdb', None)
    """
    for i, arg in enumerate(argv):
        if arg == "--data" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--data="):
            return arg.split("=", 1)[1]
    return None


def open_data_argument(argv: list[str] | None = None) -> None:
    """app.py started with ``-- --data PATH`` (``make run DATA=PATH``): open PATH on the session's first page view,
    as the demo or an upload would load, with a progress bar; a path that cannot be opened is said on the Data page
    (the app then opens there, nothing loaded)."""
    path = data_argument(sys.argv if argv is None else argv)
    if path is None or st.session_state["data_arg_opened"]:
        return
    st.session_state["data_arg_opened"] = True  # once: "Reset data" or "Remove" must not bring it back
    bar = st.progress(0.0, text=md_escape(f"Opening {path}…"))
    kind, message = open_path(path)
    st.session_state["data_open_message"] = (kind, message)
    if kind == "success":
        sync_store(label=str(Path(path).expanduser().resolve()), progress=lambda share, text: bar.progress(
            min(share, 1.0), text=md_escape(text)))
    bar.empty()


def open_from_disk() -> Any:
    """The Data page's "Open a folder or DuckDB file on this computer": a path box, Open, what was opened and skipped.

    Returns a progress bar to report the load on when a path was just opened, else None."""
    box, button = st.columns([5, 1], vertical_alignment="bottom")
    text = box.text_input("Open a folder or DuckDB file on this computer", key="data_open_path",
                          placeholder="/path/to/exports  or  /path/to/portfolio.duckdb",
                          help="For files too big to upload: the app reads them where they are. A folder gives each "
                          "export in it (CSV, TSV, TXT, XLSX, XLS, ODS, Parquet); a DuckDB file gives each of its tables.")
    bar = None
    if button.button("Open", key="data_open"):
        st.session_state["data_open_message"] = open_path(text)
        if st.session_state["data_open_message"][0] == "success":
            bar = st.progress(0.0, text="Opening the files…")
            if st.session_state["data_label"] == "Demo data":
                st.session_state["data_label"] = ""
    kind, message = st.session_state.get("data_open_message", (None, None))
    if kind:
        (st.success if kind == "success" else st.error)(md_escape(message))
    origins = {up.get("origin") for up in st.session_state["uploads"].values()}
    for origin, skipped in st.session_state["opened"].items():
        if origin in origins and skipped:
            st.caption(md_escape(f"Left out of {origin}: " + "; ".join(f"{n} ({w})" for n, w in skipped)))
    return bar


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
        tell((len(uploads) + 0.5) / (len(uploads) + 1), "Loading the tables into the session's database…")
        session_store().load(tables)
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


def take_uploads(uploaded: Any) -> Any:
    """Add the uploader's new files to the session (each once: the uploader keeps its files across reruns, which
    would undo "Remove" or the demo), refusing any over the limit with a message; then empty the uploader (the
    Data page keys it on ``upload_round``). Returns a progress bar to report the load on, or None when no new
    file came in."""
    new_files = [f for f in uploaded or [] if f.file_id not in st.session_state["seen_uploads"]]
    if not new_files:
        return None
    progress = st.progress(0.0, text="Taking in the files…")
    for f in new_files:
        st.session_state["seen_uploads"].add(f.file_id)
        if f.size > UPLOAD_LIMIT_MB * 1024 * 1024:
            st.error(md_escape(f"{f.name}: {f.size / 1024**2:,.0f} MB is over the {UPLOAD_LIMIT_MB} MB upload limit; "
                               "it was not loaded. Open it where it is instead: type its folder or path in “Open a "
                               "folder or DuckDB file on this computer” below, or start the app with "
                               "make run DATA=/path/to/folder."))
            continue
        add_upload(f.name, f.getvalue())
    st.session_state["upload_round"] += 1
    if st.session_state["data_label"] == "Demo data":
        st.session_state["data_label"] = ""
    return progress


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
    reset("store", "uploads", "files", "cross_problems", "loaded_key", "data_label", "memo", "as_of_chosen", "opened")
    st.session_state.pop("data_open_message", None)  # "Opened ..." no longer holds


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
        st.caption(" · ".join(f"{t} {store.info(t).rows:,} rows" for t in store.tables))
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
                    labels: tuple[str, str] = ("Download CSV", "Download XLSX"), labelled: bool = True) -> None:
    """CSV and XLSX buttons for one table, its headers labelled (cs_logic.core.labels; ``labelled=False`` keeps a
    user's own headers, as the SQL box's) and formula-safe (cs_logic.output.exports), written on click (a callable:
    a rerun builds no file, and the browser never checks a file a newer run replaced). The XLSX only when the
    table fits a sheet; otherwise why not, in its place."""
    csv_slot.download_button(labels[0], partial(to_csv_bytes, table, labelled=labelled), file_name=f"{file_stem}.csv",
                             mime="text/csv", key=f"{key}_csv", on_click="ignore")
    sheets = {sheet or file_stem: table}
    if too_big := xlsx_problem(sheets):
        xlsx_slot.caption(too_big)
    else:
        xlsx_slot.download_button(labels[1], partial(to_xlsx_bytes, sheets, labelled=labelled),
                                  file_name=f"{file_stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore")


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


def health_history(store: Store, port: pf.ScoredPortfolio) -> Any:
    """Every account's score at each of the last 12 month ends for THE scored portfolio (``pf.score_history``):
    computed once per data, as-of day and scorecard, and shared by the Overview (its chart and report) and the
    Success page's month-by-month views."""
    return memo("history", ((data_key(store), port.as_of), health.dump_scorecard(port.scorecard)),
                lambda: pf.score_history(store.con, set(store.tables), store.frame("accounts"), port.scorecard,
                                         port.as_of, port.measured.resolve))


def settings_to_save() -> Settings:
    """The settings file as "Save settings" writes it: mappings of the loaded files, targets, and the
    scorecard in use as JSON (the only place it becomes JSON besides the Scorecard page's Save)."""
    settings = st.session_state["settings"]
    for lf in st.session_state["files"]:
        settings = settings.with_mapping(lf.remembered())
    chosen = st.session_state["scorecard"]
    return replace(settings, scorecard=None if chosen is None else health.dump_scorecard(chosen))


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
    st.session_state["settings"] = replace(settings, scorecard=None)  # the currency and the rest kept
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
    ``label(name)``, and a column with no entry gets one too. A share column (``SHARE`` or any "percent" format)
    shows one fixed decimal ("28.0%" beside "38.3%"), a ``MONEY`` column names the currency in its header
    ("Revenue (EUR)", :func:`currency`; none when neither settings nor data name one). ``where`` is a column or
    container.
    """
    cfg: dict[str, Any] = dict(config or {})
    code = currency()
    for c in frame.columns:
        given = cfg.get(c, ...)
        if given is ...:
            cfg[c] = field_label(c)
        elif isinstance(given, dict):
            cfg[c] = _shown_column(given, field_label(c), code)
    if named := [c for c in NAMED_CELLS if c in frame.columns]:  # a measure named in a cell reads as words too
        frame = frame.assign(**{c: frame[c].map(lambda v: field_label(v) if isinstance(v, str) else v) for c in named})
    if not kw.get("hide_index", True) and getattr(frame.index, "name", None) and "_index" not in cfg:
        cfg["_index"] = field_label(frame.index.name)
    kw.setdefault("hide_index", True)
    kw.setdefault("width", "stretch")
    # Bidirectional controls in names and comments are shown as \u202E, never obeyed (gnp.exe is not exe.png).
    return (where or st).dataframe(shown_frame(frame), column_config=cfg, placeholder=UNKNOWN, **kw)


NAMED_CELLS = ("measure", "weakest_measure")  # columns whose cells name a measure (usage_trend_30d)


def currency() -> str | None:
    """The currency of the loaded amounts: the settings' (Targets page), else what the data says (a currency column,
    a code in the amount's header, the sign the reader removed), else None: never assumed (cs_logic.read.currency)."""
    settings, store = st.session_state["settings"], current_store()
    if store is None:
        return settings.currency
    files = st.session_state["files"]
    return memo("currency", (st.session_state["loaded_key"], settings.currency), lambda: currency_of(
        settings.currency, store.tables, [(f.name, f.table, dict(f.mapping)) for f in files],
        [n for f in files for n in (f.prepared.notes if f.prepared else ())]).code)


def _shown_column(given: dict[str, Any], name: str, code: str | None) -> dict[str, Any]:
    """One column_config entry as show_table draws it: labelled, shares at fixed decimals, money with its currency."""
    kind = dict(given.get("type_config") or {})
    if kind.get("type") == "number" and kind.get("format") == "percent" and not kind.get("step"):
        # Streamlit's "percent" trims zeros ("28%" beside "38.33%") unless a step fixes the decimals: 0.001 -> 28.0%.
        kind["step"] = SHARE_STEP
    label = given.get("label") or name
    if code and kind == MONEY["type_config"] and not label.endswith(f"({code})"):
        label = f"{label} ({code})"
    return {**given, "label": label, **({"type_config": kind} if kind else {})}


# One grid format per kind (cs_logic.core.fmt is the text twin): shares 0-1, percents 0-100, money, counts.
SHARE_STEP = 0.001  # a share's step: Streamlit shows a "percent" at (decimals of the step - 2) fixed decimals
NUM = st.column_config.NumberColumn
SHARE = st.column_config.NumberColumn(format="percent", step=SHARE_STEP)
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


# ---------------------------------------------------------------- the Scorecard page's parts

def use_scorecard(sc: Any, from_outside: bool = False) -> None:
    """Make ``sc`` the scorecard in use; the editor's widgets restart from it when it came from outside them."""
    st.session_state["scorecard"] = sc
    if from_outside:
        st.session_state.pop("sc_editing", None)


def scorecard_results(view: Any) -> None:
    """The Scorecard page's results (:class:`scorecard_view.WhatIf`): tiles, band chart, who moved, weights."""
    st.subheader("What the portfolio looks like")
    for warning in view.warnings:
        st.warning(md_escape(warning))
    for slot, tile in zip([*st.columns(2), *st.columns(2)], view.tiles):
        slot.metric(tile.label, tile.shown, delta=tile.delta, help=tile.help, border=True,
                    delta_color="inverse" if tile.lower_is_better else "normal")
    st.altair_chart(view.bands, width="stretch")
    p1, p2 = st.columns(2)
    if p1.button("Pin as baseline", key="sc_pin", type="primary", help="Keep these scores to compare changes with."):
        st.session_state["sc_baseline"] = view.pinned
        st.rerun()
    if view.comparison is not None and p2.button("Clear the baseline", key="sc_unpin"):
        del st.session_state["sc_baseline"]
        st.rerun()
    if view.comparison is None:
        st.caption("No baseline pinned yet: pin the current scores, then change weights to see who moves.")
    else:
        cmp = view.comparison
        st.caption(md_escape(view.baseline_note))
        st.altair_chart(view.migration, width="stretch")
        show_table(cmp.matrix.reset_index(), {"before": "Band before"})
        st.markdown(f"**{len(cmp.moved):,} accounts changed band** (biggest drops first)")
        show_table(cmp.moved, {"health_band_after": "Band now", "health_score_before": ONE_DECIMAL,
                               "health_score_after": {**ONE_DECIMAL, "label": "Score now"},
                               "change": NUM(format="%+.1f")}, height=300)
    show_table(view.weights, {"weight_pct": NUM("Share of the score", format="%.1f%%")}, column_order=(
        "measure", "weight_pct", "weight", "rule"))


def scorecard_tabs(store: Store, port: pf.ScoredPortfolio, saved: dict[str, Any]) -> Any:
    """The Scorecard page's tabs: suggested weights (a proposal until applied) and the scorecard file.

    Drawn by the whole page, not by the weight sliders' fragment: a weight move leaves them as they are, so the
    browser does not redraw them (bench/results.md, issue 18). What does change with the weights is filled in by
    the fragment: ``saved["scorecard"]`` (what Save writes, read when it is clicked) and the returned container,
    where :func:`scorecard_proposal` shows a proposal against the weights now.
    """
    sc = port.scorecard
    saved["scorecard"] = sc
    suggest_tab, file_tab = st.tabs(["Suggested weights", "Save or load a scorecard"])
    with suggest_tab:
        st.caption("A logistic regression of churn on each measure's points proposes weights that rank accounts the "
                   "way churn did. Nothing changes until you press Apply.")
        if st.button("Suggest weights from churn", key="sc_suggest"):
            st.session_state["sc_suggestion"] = (pf.definition_key(sc), backtest(store, port).suggest(sc))
        proposal_slot = st.container()
    with file_tab:
        s1, s2 = st.columns(2)
        # Written on click (a callable) from the scorecard in use then: bytes held by the button were re-sent on
        # every slider move, and a scorecard bound here would miss the moves made since the page last ran whole.
        s1.download_button("Save scorecard", partial(_saved_scorecard, saved), file_name="scorecard.json",
                           mime="application/json", key="sc_save", on_click="ignore")
        s1.caption("A JSON file (the format in METRICS.md); “Save settings” on the Data page keeps it too.")
        upload = s2.file_uploader("Load a scorecard", type=["json"], key="sc_load")
        if upload is not None and st.session_state.get("sc_loaded") != upload.file_id:
            loaded, problem = scorecard_view.read_scorecard(upload.getvalue(), upload.name)
            if problem:
                s2.error(md_escape(problem))
            else:
                st.session_state["sc_loaded"] = upload.file_id
                use_scorecard(loaded, from_outside=True)
                st.rerun()
    return proposal_slot


def _saved_scorecard(saved: dict[str, Any]) -> str:
    return health.dump_scorecard(saved["scorecard"])


def scorecard_proposal(sc: Any, past: Any) -> None:
    """The suggested weights blended with ``sc``'s (a blend slider, both weight columns, Apply), when a suggestion
    was made for ``sc``'s measure definitions; nothing otherwise."""
    suggestion = st.session_state.get("sc_suggestion")
    if not suggestion or suggestion[0] != pf.definition_key(sc):
        return
    alpha = st.slider("Blend: 0 = your weights, 1 = the suggested weights", 0.0, 1.0, 1.0, 0.1, key="sc_alpha")
    proposal = scorecard_view.proposal(sc, suggestion[1], alpha, past.auc, past.result.auc)
    show_table(proposal.weights, {"weight": "Weight now", "weight_pct": NUM("Share now", format="%.1f%%"),
                                  "proposed_rule": "Proposed direction", "proposed_weight": ONE_DECIMAL,
                                  "proposed_pct": NUM("Proposed share", format="%.1f%%")})
    st.caption(proposal.summary)
    for note in proposal.notes:
        st.text(note)
    if st.button("Apply the proposed weights", key="sc_apply"):
        use_scorecard(proposal.scorecard, from_outside=True)
        st.rerun()

"""What every page shares: session state, the loaded data, the demo, the sidebar and filters.

Session state keys (set once in ``init_state``; page-local keys carry their page's prefix):
- ``store``: the session's :class:`cs_logic.read.store.Store` (its own DuckDB), or None before any load.
- ``uploads``: digest -> {"name", "data", "sheet", "table", "mapping"}: each file and the manager's choices.
- ``files``: the :class:`cs_logic.read.workspace.LoadedFile` list the store was built from.
- ``cross_problems``: problems found across files (ids that match no account...).
- ``loaded_key``: what the store holds, so a rerun reloads only when a file or a choice changed.
- ``data_label``: "Demo data" or the file names, for the sidebar.
- ``settings``: the :class:`cs_logic.core.settings.Settings` (mappings, scorecard, targets).
- ``filters``: the global :class:`cs_logic.read.store.Filters`.
- ``portfolio_memo``: the Success and Scorecard pages' measures, points and history, per data load.
- ``health_scores``: the latest scored accounts (index account_id), for other pages to join.
- ``seen_uploads``: uploader file ids already taken in (kept across resets, so the uploader's
  lingering files are not added back).
- ``upload_round``: how many times the Data page's uploader was emptied after taking files in (its key).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.core.settings import Settings
from cs_logic.core.unknown import as_of_from
from cs_logic.output.exports import to_csv_bytes, to_xlsx_bytes, xlsx_problem
from cs_logic.read.store import Filters, Store
from cs_logic.read.workspace import IngestError, LoadedFile, combine, load_file

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data"
DEMO_FILES = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")
UPLOAD_LIMIT_MB = 200  # keep equal to server.maxUploadSize in .streamlit/config.toml

DEFAULTS: dict[str, Any] = {
    "store": None,
    "uploads": {},
    "files": [],
    "cross_problems": [],
    "loaded_key": None,
    "data_label": "",
    "settings": Settings(),
    "filters": Filters(),
    "seen_uploads": set(),
    "upload_round": 0,
}


def init_state() -> None:
    """Set every session key to its default once (mutable defaults are copied per session)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value.copy() if isinstance(value, (dict, list, set)) else value)


def load_upload(digest: str) -> LoadedFile:
    """The loaded form of one upload with the manager's current choices (IngestError if unreadable).

    Memoised in the session on the SHA-256 of the bytes plus the choices, so a rerun reuses the
    parsed file without copying it (st.cache_data would unpickle a fresh copy on every rerun).
    """
    from cs_logic.core.settings import dumps

    up = st.session_state["uploads"][digest]
    settings_json = dumps(st.session_state["settings"])
    key = (digest, up.get("sheet"), up.get("table"), json.dumps(up.get("mapping"), sort_keys=True), settings_json)
    if up.get("memo_key") != key:
        up["memo"] = load_file(up["name"], up["data"], sheet=up.get("sheet"), table=up.get("table"),
                               mapping=up.get("mapping"), settings=st.session_state["settings"],
                               max_bytes=UPLOAD_LIMIT_MB * 1024 * 1024, digest=digest)
        up["memo_key"] = key
    return up["memo"]


def add_upload(name: str, data: bytes) -> str:
    """Remember an uploaded file in the session (once per content) and return its digest."""
    from cs_logic.read.workspace import sha256

    digest = sha256(data)
    st.session_state["uploads"].setdefault(digest, {"name": name, "data": data, "sheet": None,
                                                    "table": None, "mapping": None})
    return digest


def sync_store(label: str | None = None) -> tuple[list[str], bool]:
    """Load every readable upload into the session's store when a file or a choice changed.

    Returns the one-line reasons of files that could not be read (they are left out; the rest
    load) and whether the store changed (the caller reruns so the sidebar shows the new data).
    """
    errors, files = [], []
    for digest, up in st.session_state["uploads"].items():
        try:
            files.append(load_upload(digest))
        except IngestError as exc:
            errors.append(f"{up['name']}: {exc}")
    key = tuple((f.digest, f.table, tuple(sorted(f.mapping.items())), f.read.sheet) for f in files)
    changed = key != st.session_state["loaded_key"]
    if changed:
        tables, cross = combine(files)
        if st.session_state["store"] is None:
            st.session_state["store"] = Store()
        st.session_state["store"].load(tables)
        st.session_state["files"] = files
        st.session_state["cross_problems"] = cross
        st.session_state["loaded_key"] = key
        st.session_state["filters"] = Filters()
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
    for key in ("store", "uploads", "files", "cross_problems", "loaded_key", "data_label", "filters"):
        value = DEFAULTS[key]
        st.session_state[key] = value.copy() if isinstance(value, (dict, list)) else value


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
        st.session_state["filters"] = filters


def remembered(name: str, key: Any, compute: Any) -> Any:
    """The session's copy of an expensive result, kept under ``portfolio_memo[name][key]``.

    No pickling (st.cache_data would copy a 100k-row frame on every rerun, and a slider move must
    feel instant); the 4 newest keys are kept per name.
    """
    box = st.session_state.setdefault("portfolio_memo", {}).setdefault(name, {})
    if key not in box:
        if len(box) >= 4:
            box.pop(next(iter(box)))
        box[key] = compute()
    return box[key]


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


def health_inputs(store: Store) -> tuple[dt.date, str, Any, Any, Any, Any]:
    """What the Success and Scorecard pages both score from, kept per data load and filters.

    Returns (as_of, data_key, measure frame, churn status, column resolver, starting scorecard).
    """
    from cs_logic.scoring import portfolio as pf

    as_of = as_of_default()
    key = repr((st.session_state["loaded_key"], store.filters, as_of))
    frame = remembered("frame", key, lambda: pf.measure_frame(store.con, set(store.tables),
                                                              store.frame("accounts"), as_of))
    churned = remembered("churned", key, lambda: pf.churn_status(frame, as_of))
    resolve = pf.resolver({k: v for f in st.session_state["files"] if f.table == "accounts"
                           for k, v in f.mapping.items()})
    return as_of, key, frame, churned, resolve, remembered("default", key, lambda: pf.starting_scorecard(frame))


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

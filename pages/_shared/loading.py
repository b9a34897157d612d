"""The session's files read into its store: memoised per file, combined, loaded; the demo, a reset, the settings file.

The files come from :mod:`pages._shared.uploads`; derived results go through :func:`pages.state.memo`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.core.settings import Settings, loads
from cs_logic.read.sources import reading
from cs_logic.read.store import Store
from cs_logic.read.workspace import LOAD_STEPS, IngestError, LoadedFile, combine, load_file
from cs_logic.scoring import health
from pages._shared.uploads import (
    DEMO_DIR,
    DEMO_FILES,
    UPLOAD_LIMIT_MB,
    add_upload,
    open_path,
    source_of,
    upload_key,
)
from pages.state import UPLOAD_MEMO, forget, memo, reset


def load_upload(digest: str, progress: Any = None) -> LoadedFile:
    """The loaded form of one upload with the manager's current choices (IngestError if unreadable).

    Memoised per file on :func:`pages._shared.uploads.upload_key`: a target, a scorecard weight or another
    file's mapping re-reads nothing. One entry per file (a large file is not held twice). ``progress``: told
    each step of a read (``load_file``'s).
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

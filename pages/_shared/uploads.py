"""The session's files: uploads and files opened from disk by path, each with the manager's choices.

Each is an entry of the ``uploads`` key (:mod:`pages.state`): an upload holds its bytes, a file opened from disk
its path. :mod:`pages._shared.loading` reads them into the session's store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from cs_logic.core.escape import md_escape
from cs_logic.core.settings import Settings
from cs_logic.read.sources import Source, SourceError, find_sources
from pages.state import UPLOAD_MEMO

ROOT = Path(__file__).resolve().parents[2]  # the repository: pages/_shared/ is two folders down
DEMO_DIR = ROOT / "data"
DEMO_FILES = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")
UPLOAD_LIMIT_MB = 200  # keep equal to server.maxUploadSize in .streamlit/config.toml


def upload_key(up: dict[str, Any], columns: tuple[str, ...] | None, settings: Settings) -> tuple[Any, ...]:
    """Exactly what ``load_file`` reads besides the bytes: sheet, table, the file's own mapping, and the
    remembered mapping that applies to THIS file (``settings.mapping_for``, used only while no table is
    chosen). ``columns``: the file's headers from its last read of this sheet (None before the first)."""
    remembered = settings.mapping_for(up["name"], columns) if up.get("table") is None and columns else None
    return (up.get("sheet"), up.get("table"), json.dumps(up.get("mapping"), sort_keys=True), remembered)


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
    """Open a folder, DuckDB file or file on this computer into the session's files (loaded by
    :func:`pages._shared.loading.sync_store`).

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

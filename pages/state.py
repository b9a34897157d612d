"""The session's state: every shared key with its type and default, the one memo, and the data key.

Shared keys are declared once in ``KEYS`` (name, type, default, meaning); ``init_state`` sets them.
Page-local keys carry their page's prefix (``suc_``, ``sc_``, ``fb_``, ``loy_``, ``ov_``, ``sup_``,
``funnel_``, ``explore_``, ``targets_``, ``data_``; ``flt_`` for the sidebar filters) and are the
page's own business. Derived results never live in a key of their own: a page asks :func:`memo`,
keyed on exactly what the result uses, so what a page shows never depends on which page ran first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from types import NoneType
from typing import Any, TypeVar

import streamlit as st

from cs_logic.core.settings import Settings
from cs_logic.read.store import Store
from cs_logic.scoring.health import Scorecard

T = TypeVar("T")


@dataclass(frozen=True)
class Key:
    """One session key: its name, the type(s) its value has, a factory for its default, and what it holds."""

    name: str
    kind: type | tuple[type, ...]
    default: Callable[[], Any]
    doc: str


KEYS: tuple[Key, ...] = (
    Key("store", (Store, NoneType), lambda: None, "the session's Store (its own DuckDB), None before any load"),
    Key("uploads", dict, dict, "digest -> {name, data, sheet, table, mapping}: each file and the manager's choices; "
        "a file opened from disk has path, db_table, size, modified_ns and origin instead of data "
        "(pages._shared.uploads.add_source)"),
    Key("opened", dict, dict, "folder or file path -> ((name, why skipped), ...): what was opened from this computer"),
    Key("data_arg_opened", bool, bool, "whether this session has opened `--data PATH` (app.py -- --data PATH) yet"),
    Key("files", list, list, "the LoadedFile list the store was built from"),
    Key("cross_problems", list, list, "problems found across files (ids that match no account...)"),
    Key("loaded_key", (tuple, NoneType), lambda: None, "what the store holds: per file digest, table, mapping, sheet"),
    Key("data_label", str, str, "'Demo data' or the file names, for the sidebar"),
    Key("settings", Settings, Settings, "mappings remembered from a settings file, targets and benchmarks"),
    Key("scorecard", (Scorecard, NoneType), lambda: None,
        "the scorecard in use (edited, applied or loaded); None = the starting scorecard built from the data. "
        "It becomes JSON only when saved (settings_to_save, the Scorecard page's Save)"),
    Key("seen_uploads", set, set, "uploader file ids already taken in (kept across resets)"),
    Key("upload_round", int, int, "how many times the Data page's uploader was emptied (its key)"),
    Key("memo", dict, dict, "name -> {key: result}: the session's derived results (see memo)"),
    Key("as_of_chosen", (dt.date, NoneType), lambda: None,
        "the as-of date the manager gave when no file has a date (None: not given; never today)"),
)
SPEC = {k.name: k for k in KEYS}
# Memo names that hold a file's parsed upload: they survive a reload of the store (they are its input).
UPLOAD_MEMO = "upload:"


def init_state() -> None:
    """Set every declared key to its default once (each session gets its own fresh mutable default)."""
    for key in KEYS:
        if key.name not in st.session_state:
            st.session_state[key.name] = key.default()


def reset(*names: str) -> None:
    """Put declared keys back to their defaults."""
    for name in names:
        st.session_state[name] = SPEC[name].default()


def wrong_types() -> list[str]:
    """Declared keys whose value is not of the declared type (a test checks there are none)."""
    return [f"{k.name}: {type(st.session_state[k.name]).__name__}" for k in KEYS
            if k.name in st.session_state and not isinstance(st.session_state[k.name], k.kind)]


def memo(name: str, key: Hashable, compute: Callable[[], T], keep: int = 4) -> T:
    """The session's result of ``compute()`` for ``key``, computed once and kept under ``memo[name][key]``.

    ``key`` must hold everything the result uses (see :func:`data_key`). The ``keep`` most recently
    used keys are kept per name. No pickling: st.cache_data would copy a 100k-row frame on every
    rerun, and a slider move must feel instant; st.cache_data stays for pure functions of their
    arguments only.
    """
    box = st.session_state["memo"].setdefault(name, {})
    if key in box:
        box[key] = box.pop(key)  # most recently used last
        return box[key]
    while len(box) >= keep:
        box.pop(next(iter(box)))
    box[key] = value = compute()
    return value


def forget(keep: Callable[[str], bool] = lambda name: False) -> None:
    """Drop the memo's results except the names ``keep`` accepts (after a reload they describe old data)."""
    box = st.session_state["memo"]
    for name in [n for n in box if not keep(n)]:
        del box[name]


def data_key(store: Store) -> tuple[Any, ...]:
    """What a derived result of the store depends on: the files and their mappings, and the global filters."""
    return (st.session_state["loaded_key"], store.filters)

"""Widgets the pages share: tables as a manager reads them, their formats, and the formula-safe downloads.

Also the currency of the loaded amounts (a money column's header names it) and a view's blocks in expanders.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from cs_logic.core.escape import shown_frame
from cs_logic.core.fmt import UNKNOWN
from cs_logic.core.labels import label as field_label
from cs_logic.output.exports import to_csv_bytes, to_xlsx_bytes, xlsx_problem
from cs_logic.read.currency import currency_of
from pages._shared.loading import current_store
from pages.state import memo


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

"""Data: upload exports, see each one recognised and mapped, fix the mapping, read every problem."""

from functools import partial

import streamlit as st

from cs_logic.core.escape import md_escape, shown_frame
from cs_logic.core.schema import TABLES
from cs_logic.core.settings import dumps
from cs_logic.read.validate import problems_frame
from cs_logic.views import data_view as dv
from pages._shared.loading import load_demo, load_settings, load_upload, reset_data, settings_to_save, sync_store
from pages._shared.uploads import UPLOAD_LIMIT_MB, open_from_disk, remove_upload, take_uploads
from pages._shared.widgets import show_table
from pages.state import init_state

init_state()

st.title("Data")
st.write("Drop in the files your tools export: CRM accounts, product usage, helpdesk tickets, survey "
         "answers, orders, the sales pipeline. Each file is recognised, its columns mapped and checked. "
         "Nothing leaves this computer.")
st.caption(f"CSV, TSV, TXT, XLSX, XLS, ODS or Parquet; up to {UPLOAD_LIMIT_MB} MB per upload. Larger files, or a "
           "DuckDB database: open them where they are, with the path box below the uploader.")

left, right = st.columns([3, 1])
with right:
    if st.button("Load demo data", type="primary", key="data_demo",
                 help="A made-up portfolio of about 500 accounts, 8 reps and 18 months."):
        load_demo()
        st.rerun()
    if st.session_state["uploads"] and st.button("Remove all files", key="data_reset"):
        reset_data()
        st.rerun()
with left:
    # Once its files are taken in, the uploader is replaced by an empty one (a new key), so Streamlit lets go
    # of its copy of the bytes: a session held every upload twice (360 MB for the M benchmark's files).
    upload_round = st.session_state["upload_round"]
    uploaded = st.file_uploader("Upload exports", accept_multiple_files=True,
                                key="data_upload" if upload_round == 0 else f"data_upload_{upload_round}",
                                type=["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods", "parquet"])
    from_disk = open_from_disk()  # a bar when a folder or file was just opened, else None

progress = take_uploads(uploaded) or from_disk  # a bar when new files came in, else None

# The bar says which file and which step (reading, recognising, typing, then loading the store): at 200 MB
# of exports the load takes seconds (issue 18.2). File names are shown as text, never as Markdown.
errors, changed = sync_store(progress=None if progress is None else lambda share, text: progress.progress(
    min(share, 1.0), text=md_escape(text))) if st.session_state["uploads"] else ([], False)
if progress is not None:
    progress.empty()
if changed:
    st.rerun()  # so the sidebar, drawn before this page, shows what is now loaded
for message in errors:
    st.error(md_escape(f"Could not load {message}"))

for digest, up in list(st.session_state["uploads"].items()):
    try:
        lf = load_upload(digest)
    except Exception:  # noqa: BLE001, S112 - the reason is already shown above as an error line
        continue
    problems = problems_frame(lf.problems)
    with st.expander(dv.file_heading(lf, problems), expanded=len(st.session_state["uploads"]) <= 3):
        st.caption(md_escape(f"{lf.detection.reason} ({dv.read_details(lf)})"))  # the reason quotes the headers
        if "path" in up:
            st.caption(md_escape(f"Opened from disk: {up['path']}" + (f", table {up['db_table'][1]}" if up["db_table"] else "")))
        c1, c2, c3 = st.columns(3)
        if len(lf.read.sheets) > 1:
            sheet = c1.selectbox("Sheet", lf.read.sheets, index=lf.read.sheets.index(lf.read.sheet)
                                 if lf.read.sheet in lf.read.sheets else 0, key=f"data_sheet_{digest}")
            if sheet != lf.read.sheet:
                up.update(sheet=sheet, table=None, mapping=None)
                st.rerun()
        table = c2.selectbox("This file is", dv.TABLE_CHOICES, index=dv.TABLE_CHOICES.index(lf.table),
                             key=f"data_table_{digest}", format_func=dv.table_label)
        if table != lf.table:
            up.update(table=table, mapping=None)
            st.rerun()
        if lf.table in TABLES:
            editor = dv.mapping_editor(lf)
            options = [dv.NONE, *[str(c) for c in lf.read.frame.columns]]
            edited = st.data_editor(
                editor, key=f"data_map_{digest}", hide_index=True, disabled=["field"], width="stretch",
                column_config={"field": "Field", "column in your file": st.column_config.SelectboxColumn(
                    "Column in your file", options=options, required=True)})
            new_map = dv.edited_mapping(lf, edited)
            if new_map != lf.mapping:
                up.update(table=lf.table, mapping=new_map)
                st.rerun()
            if lf.prepared is not None and lf.prepared.notes:
                st.caption(md_escape("Read as: " + "; ".join(lf.prepared.notes)))
        st.markdown("**Preview** (first 20 rows, as read)")
        st.dataframe(shown_frame(lf.read.frame.head(20)), width="stretch", hide_index=True,
                     key=f"data_preview_{digest}")
        st.markdown("**Problems**" if len(problems) else "**Problems:** none found.")
        if len(problems):
            show_table(problems)
        if st.button("Remove this file", key=f"data_remove_{digest}"):
            remove_upload(digest)
            st.rerun()

decided = dv.decisions_frame(st.session_state["files"])
if len(decided):
    st.subheader("What the app decided", help="Every unit and meaning the app inferred, why, and how to change "
                 "it; your changes are saved with the mapping in the settings file.")
    show_table(decided)
    for lf, d, key, label in dv.editable(st.session_state["files"]):
        picked = (st.multiselect(label, d.options, default=list(d.choice), key=key) if d.kind in ("churn", "rating") else
                  [st.selectbox(label, d.options, index=d.options.index(d.choice[0]), key=key)])
        if tuple(picked) != d.choice:
            st.session_state["settings"] = dv.with_choice(st.session_state["settings"], lf, d.field, picked)
            st.rerun()

cross = problems_frame(st.session_state["cross_problems"])
if len(cross):
    st.subheader("Across files")
    show_table(cross)

st.subheader("Settings file")
st.caption("Mappings, the health scorecard, targets and benchmarks in one JSON file: save it, share it, "
           "load it next month so the same exports map themselves.")
s1, s2 = st.columns(2)
s1.download_button("Save settings", partial(dumps, settings_to_save()), file_name="cs_settings.json",
                   mime="application/json", key="data_save_settings")
loaded = s2.file_uploader("Load settings", type=["json"], key="data_load_settings")
if loaded is not None and loaded.file_id != st.session_state.get("data_settings_id"):
    st.session_state["data_settings_id"] = loaded.file_id  # apply once, not on every rerun
    st.session_state["data_settings_message"] = load_settings(loaded.getvalue())
    st.rerun()
kind, text = st.session_state.get("data_settings_message", (None, None))
if kind:
    (st.success if kind == "success" else st.error)(md_escape(text))

"""What the Data page shows of each loaded file: its heading, how it was read, what the app decided (units,
meanings) and the manager's changes to those decisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd

from cs_logic.core.escape import md_escape
from cs_logic.core.schema import TABLE_NAMES, TABLES, UNKNOWN
from cs_logic.core.settings import Settings
from cs_logic.read.csvtext import SPACE_RUNS
from cs_logic.read.meanings import Decision
from cs_logic.read.workspace import LoadedFile

COLUMNS = ["file", "column", "decision", "why", "how to change"]
TABLE_CHOICES = (*TABLE_NAMES, UNKNOWN)
NONE = "(not in this file)"


def table_label(table: str) -> str:
    """What the table picker shows for a table name.

    >>> table_label("deals"), table_label("unknown")
    ('Sales pipeline (deals)', 'Not used (unknown)')
    """
    return TABLES[table].label if table in TABLES else "Not used (unknown)"


def mapping_editor(lf: LoadedFile) -> pd.DataFrame:
    """The mapping as the page's editor shows it: one row per field of the file's table, its column or NONE."""
    fields = TABLES[lf.table].fields
    return pd.DataFrame({"field": [f.label for f in fields],
                         "column in your file": [lf.mapping.get(f.name, NONE) for f in fields]})


def edited_mapping(lf: LoadedFile, edited: pd.DataFrame) -> dict[str, str]:
    """Field -> column from the page's edited mapping table (rows in the order of :func:`mapping_editor`)."""
    fields = TABLES[lf.table].fields
    return {f.name: col for f, col in zip(fields, edited["column in your file"]) if col != NONE}


def decisions_frame(files: Iterable[LoadedFile]) -> pd.DataFrame:
    """One row per unit or meaning decided, across every loaded file (METRICS.md: listed on the Data page).

    >>> decisions_frame([]).columns.tolist()
    ['file', 'column', 'decision', 'why', 'how to change']
    """
    return pd.DataFrame([d.as_dict() for f in files for d in f.decisions], columns=COLUMNS)


def editable(files: Iterable[LoadedFile]) -> list[tuple[LoadedFile, Decision, str, str]]:
    """(file, decision, widget key, label) for each decision the manager can change with a control."""
    return [(f, d, f"data_choice_{f.digest}_{d.field}",
             f"{d.file} · {d.column}: " + {"churn": "churned values", "rating": "satisfied values"}.get(d.kind, "unit"))
            for f in files for d in f.decisions if d.options]


def with_choice(settings: Settings, lf: LoadedFile, field: str, values: Sequence[str]) -> Settings:
    """``settings`` remembering the file's mapping with one decision overridden (saved in the settings file).

    >>> from types import SimpleNamespace
    >>> from cs_logic.core.settings import FileMapping
    >>> fm = FileMapping("a.csv", ("id",), "accounts", (("account_id", "id"),))
    >>> s = with_choice(Settings(), SimpleNamespace(remembered=lambda: fm), "tenure", ["years"])
    >>> s.mappings[0].choices
    (('tenure', ('years',)),)
    """
    base = lf.remembered()
    kept = tuple((k, v) for k, v in base.choices if k != field)
    return settings.with_mapping(replace(base, choices=(*kept, (field, tuple(str(v) for v in values)))))


def file_heading(lf: LoadedFile, problems: pd.DataFrame) -> str:
    """The file's expander title (Markdown, the file name escaped): name, table, rows and findings."""
    label = TABLES[lf.table].label if lf.table in TABLES else "not recognised"
    n_err = int((problems["severity"] == "error").sum()) if len(problems) else 0
    return (f"**{md_escape(lf.name)}** → {label} · {lf.rows:,} rows · {len(problems):,} findings"
            + (f" ({n_err} errors)" if n_err else ""))


def read_details(lf: LoadedFile) -> str:
    """How the file was read: encoding, delimiter, header row."""
    details = [f"encoding {lf.read.encoding}" if lf.read.encoding else None,
               ("columns separated by runs of spaces" if lf.read.delimiter == SPACE_RUNS
                else f"delimiter {lf.read.delimiter!r}" if lf.read.delimiter else None),
               f"header on row {lf.read.header_row}" if lf.read.header_row else "no header row"]
    return " · ".join(d for d in details if d)

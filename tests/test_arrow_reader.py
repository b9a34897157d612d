"""Large CSVs are read by Arrow's reader (cs_logic.arrowtext; ARROW_MIN_BYTES and up), small ones by pandas'.

The two must give the same result: the same table, mapping, typed frame, problems and preview, on every real
export in ../shared/data and on every CSV of the bad-input corpus. Each file is loaded twice, once with the
threshold at 0 (Arrow wherever it can) and once above the file's size (pandas).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic import arrowtext, ingest, parse
from cs_logic.workspace import load_file
from tests import badfiles

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REAL_CSVS = sorted(DATA.glob("*/*.csv")) if DATA.is_dir() else []


def _both(monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, distinct_min_rows: int = 10_000):
    loaded = {}
    for way, threshold in (("arrow", 0), ("pandas", len(data) + 1)):
        monkeypatch.setattr(ingest, "ARROW_MIN_BYTES", threshold)
        monkeypatch.setattr(arrowtext, "ARROW_BLOCK_BYTES", 64 * 1024)  # several blocks even in a small file
        monkeypatch.setattr(parse, "DISTINCT_MIN_ROWS", distinct_min_rows)
        try:
            loaded[way] = load_file(name, data)
        except ingest.IngestError as exc:
            loaded[way] = str(exc)
    return loaded["arrow"], loaded["pandas"]


def _same(arrow, pandas) -> None:
    if isinstance(pandas, str) or isinstance(arrow, str):
        assert arrow == pandas
        return
    assert (arrow.table, arrow.mapping, arrow.rows) == (pandas.table, pandas.mapping, pandas.rows)
    assert arrow.detection.table == pandas.detection.table
    pd.testing.assert_frame_equal(arrow.read.frame, pandas.read.frame)
    assert [(p.message, p.column, p.row, p.value) for p in arrow.problems] == \
        [(p.message, p.column, p.row, p.value) for p in pandas.problems]
    if pandas.prepared is not None:
        pd.testing.assert_frame_equal(arrow.prepared.frame, pandas.prepared.frame)
        assert arrow.prepared.notes == pandas.prepared.notes
        assert arrow.prepared.churn_values == pandas.prepared.churn_values


@pytest.mark.skipif(not REAL_CSVS, reason="../shared/data is absent")
@pytest.mark.parametrize("path", REAL_CSVS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_real_export_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    # Distinct-value reading from 100 rows up, so these files take that path too.
    data = path.read_bytes()
    _same(*_both(monkeypatch, path.name, data, distinct_min_rows=100))
    monkeypatch.setattr(ingest, "ARROW_MIN_BYTES", 0)
    assert ingest.is_arrow_text(ingest.read_table(data, path.name).frame.iloc[:, 0])  # Arrow did read it


CORPUS = [
    badfiles.good_survey, badfiles.semicolon_cp1252_survey, badfiles.titled_survey, badfiles.totals_orders,
    badfiles.nps_edge_survey, badfiles.mixed_dates_survey, badfiles.text_numbers_orders, badfiles.blank_lines_file,
    badfiles.header_only, badfiles.huge_cell, badfiles.rtl_emoji_survey, badfiles.markup_survey,
    badfiles.formula_survey, badfiles.unclosed_quote_csv, badfiles.markup_header_csv, badfiles.empty_file,
    badfiles.binary_garbage, badfiles.pdf_named_csv, badfiles.xlsx_named_csv,
    *[lambda e=e: badfiles.encoded_survey(e) for e in badfiles.ENCODED_COMMENTS],
    *[lambda d=d: badfiles.delimited_survey(d) for d in (",", ";", "\t", "|")],
]


@pytest.mark.parametrize("make", CORPUS, ids=lambda f: getattr(f, "__name__", "case"))
def test_a_bad_input_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch, make) -> None:
    name, data = make()
    _same(*_both(monkeypatch, name, data, distinct_min_rows=1))


def test_arrow_reader_hands_irregular_files_to_pandas() -> None:
    """Ragged rows, an unclosed quote and a bad UTF-8 byte late in the file: no Arrow grid (pandas pads the
    rows, names the quote's row, decodes the file again). A blank line is a row of nulls, as pandas reads it."""
    body = "".join(f"A{i},2024-01-{1 + i % 28:02d},{i % 7}\n" for i in range(200))
    regular = ("account_id,date,events\n" + body).encode()
    assert arrowtext.parse_csv_arrow(regular, ",", 3) is not None
    assert arrowtext.parse_csv_arrow(regular + b"A1,2024-01-01,3,extra\n", ",", 3) is None
    assert arrowtext.parse_csv_arrow(regular + b'A1,"2024-01-01,3\n', ",", 3) is None
    blank = arrowtext.parse_csv_arrow(regular.replace(b"\nA5,", b"\n\nA5,"), ",", 3)
    assert len(blank) == 202 and blank.iloc[6].isna().all() and blank.iloc[7, 0] == "A5"
    assert arrowtext.parse_csv_arrow(regular + "A9,2024-01-01,caf\xe9\n".encode("latin-1"), ",", 3) is None


def test_a_large_file_with_a_late_latin1_byte_is_read_whole_as_windows_1252(monkeypatch: pytest.MonkeyPatch) -> None:
    """The head is UTF-8 but a later byte is not: the whole file is decoded again, nothing lost, with a note."""
    monkeypatch.setattr(ingest, "ARROW_MIN_BYTES", 0)
    body = "".join(f"A{i},Rep {i % 5},{i}\n" for i in range(60_000))
    data = ("account_id,owner,revenue\n" + body + "A_last,Jos\xe9,5\n").encode("latin-1")
    read = ingest.read_table(data, "accounts.csv")
    assert read.encoding == "cp1252" and len(read.frame) == 60_001
    assert read.frame["owner"].iloc[-1] == "José"


def test_the_benchmark_usage_shape_takes_the_distinct_value_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many rows, few distinct days and counts: typed through their distinct values, equal to the row-wise read."""
    rng = np.random.default_rng(3)
    n = 30_000
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")
    frame = pd.DataFrame({"account_id": [f"A{i:05d}" for i in rng.integers(0, 500, n)],
                          "date": days.strftime("%Y-%m-%d"), "events": rng.integers(0, 40, n).astype(str)})
    frame.loc[::97, "events"] = " N/A "
    data = frame.to_csv(index=False).encode()
    arrow, pandas = _both(monkeypatch, "usage.csv", data)
    _same(arrow, pandas)
    assert arrow.prepared.frame["events"].isna().sum() == len(range(0, n, 97))

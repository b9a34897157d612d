"""Large CSVs are read by Arrow's reader (cs_logic.read.arrowtext; ARROW_MIN_BYTES and up), small ones by pandas'.

The two must give the same result: the same table, mapping, typed frame, problems and preview, on every real
export in ../shared/data and on every CSV of the bad-input corpus. Each file is loaded twice, once with the
threshold at 0 (Arrow wherever it can, a file without quotes read in two halves at once, with the columns
trimmed and typed in two threads as a large file's are) and once above the file's size (pandas, one column at a
time).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cs_logic.read import arrowtext, ingest, parse, validate
from cs_logic.read.workspace import load_file
from tests import badfiles

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REAL_CSVS = sorted(DATA.glob("*/*.csv")) if DATA.is_dir() else []


def _both(monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, distinct_min_rows: int = 10_000):
    loaded = {}
    for way, threshold in (("arrow", 0), ("pandas", len(data) + 1)):
        monkeypatch.setattr(ingest, "ARROW_MIN_BYTES", threshold)
        # The Arrow way also takes the large-file paths: columns trimmed and typed two at a time.
        monkeypatch.setattr(arrowtext, "PARALLEL_BYTES", 0 if way == "arrow" else len(data) + 1)
        monkeypatch.setattr(validate, "PARALLEL_ROWS", 1 if way == "arrow" else 10**12)
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
        # A usage table lives in DuckDB (LoadedFile.resident): its rows are compared where they are.
        pd.testing.assert_frame_equal(arrow.typed_frame(), pandas.typed_frame())
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


def _holed(data: bytes) -> bytes | None:
    """``data`` with a blank line inside the rows and a blank first cell on the row after it (None for a file
    too short, or one whose bytes are not ASCII-compatible lines, such as UTF-16)."""
    lines = data.split(b"\n")
    if b"\x00" in data or len(lines) < 6:
        return None
    cut = min((i for i in (lines[4].find(d) for d in (b",", b";", b"\t", b"|")) if i >= 0), default=-1)
    if cut < 0:
        return None
    lines[4] = lines[4][cut:]
    return b"\n".join(lines[:3] + [b""] + lines[3:])


@pytest.mark.parametrize("make", CORPUS, ids=lambda f: getattr(f, "__name__", "case"))
def test_a_bad_input_with_a_blank_line_and_cell_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch,
                                                                         make) -> None:
    """Each case again with a blank line inside and a blank first cell after it: the Arrow way once refused
    such a file whole (a read-only array in the blank-row check)."""
    name, data = make()
    holed = _holed(data)
    if holed is None:
        pytest.skip("not a file of text lines")
    _same(*_both(monkeypatch, name, holed, distinct_min_rows=1))


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
    assert arrow.typed_frame()["events"].isna().sum() == len(range(0, n, 97))


def test_parquet_cells_converted_in_arrow_equal_the_value_by_value_text(tmp_path: Path) -> None:
    """Every type a Parquet export carries: the Arrow conversion gives the text cell_text gives each value
    (as pandas hands the values over), index columns left out as pandas leaves them out."""
    import datetime as dt
    import decimal
    import io

    from cs_logic.read import spreadsheet

    frame = pd.DataFrame({
        "id": [1, 2, None, 4], "name": [" a ", "", None, "Zoë"], "amount": [1.0, 0.1 + 0.2, np.nan, -2.5e-7],
        "big": [np.inf, -0.0, 1e16, 123456789012345.0], "flag": [True, None, False, True],
        "at": [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01 10:00:05.7"), pd.NaT,
               pd.Timestamp("1969-12-31 23:59:59.5")],
        "day": [dt.date(2021, 1, 1), None, dt.date(1999, 12, 31), dt.date(2024, 2, 29)],
        "took": [pd.Timedelta(hours=26), None, pd.Timedelta(seconds=-5), pd.Timedelta(minutes=90)],
        "price": [decimal.Decimal("1.50"), None, decimal.Decimal(2), decimal.Decimal("-0.1")],
        "plan": pd.Categorical(["Pro", "Basic", None, "Pro"]),
        "zoned": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00", None, "2024-06-01 23:30"]).tz_localize(
            "Europe/Berlin"),
    }, index=pd.Index(["r1", "r2", "r3", "r4"], name="row"))
    buf = io.BytesIO()
    frame.to_parquet(buf)
    data = buf.getvalue()
    raw = pd.read_parquet(io.BytesIO(data)).reset_index(drop=True)
    expected = spreadsheet.text_frame(raw)
    expected.columns = [str(c) for c in raw.columns]
    got = spreadsheet.read_parquet_frame(data)
    assert list(got.columns) == list(frame.columns)  # the "row" index is not a column, as with pandas
    assert ingest.is_arrow_text(got["amount"]) and ingest.is_arrow_text(got["at"])
    pd.testing.assert_frame_equal(ingest.object_frame(got), expected)


def test_a_parquet_portfolio_loads_the_same_as_its_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark's S usage, tickets and accounts tables as Parquet (typed: numbers, flags, timestamps) and as
    CSV: the same typed tables and problems."""
    import io

    from bench.generate import generate

    paths = generate("S")
    for table in ("usage", "tickets", "accounts"):
        csv_file = load_file(f"{table}.csv", paths[table].read_bytes())
        buf = io.BytesIO()
        typed = pd.read_csv(paths[table])
        for col in ("date", "created_at", "first_response_at", "resolved_at", "start_date"):
            if col in typed.columns:
                typed[col] = pd.to_datetime(typed[col])
        assert typed.dtypes.astype(str).isin(["datetime64[us]", "datetime64[ns]", "float64", "int64", "bool"]).any()
        typed.to_parquet(buf)
        parquet_file = load_file(f"{table}.parquet", buf.getvalue())
        assert parquet_file.table == csv_file.table == table
        pd.testing.assert_frame_equal(parquet_file.prepared.frame, csv_file.prepared.frame)
        assert [p.message for p in parquet_file.problems] == [p.message for p in csv_file.problems]


@pytest.mark.parametrize("ascii_file", [True, False])
def test_trimming_equals_python_strip_block_by_block(ascii_file: bool) -> None:
    """Each block of a column is trimmed as str.strip() does and an empty result is blank; a block without one
    byte up to 0x20 is kept as it is (the usual ids, dates and numbers), the others go through Arrow's trim."""
    blocks = [
        ["A0000001", "2025-12-31", "17", None],  # nothing to trim: kept as the same array
        ["Rep 35", "Mid Market", None, "x"],  # inner spaces only: nothing changes
        [" padded ", "\ttab\r", "   ", "\x1fsep\x1c", "a\x01b"],  # ASCII whitespace at the ends, all-blank, a control byte
        ["\u00a0nbsp\u00a0", "\u3000wide\u3000", "Ä ", "plain"],  # Unicode whitespace
    ]
    arrays = [pa.array(b, pa.string()) for b in blocks]
    sliced = pa.array(["xx", " cut ", "A1", "yy"], pa.string()).slice(1, 2)  # an offset into a longer buffer
    column = pa.chunked_array([*arrays, sliced])
    got = arrowtext._trim_blank(column, ascii_file=False).to_pylist()
    expected = [None if v is None or not v.strip() else v.strip() for b in [*blocks, [" cut ", "A1"]] for v in b]
    assert got == expected
    ascii_only = pa.chunked_array(arrays[:3])
    assert arrowtext._trim_blank(ascii_only, ascii_file=ascii_file).to_pylist() == expected[:13]
    kept = arrowtext._trim_blank(pa.chunked_array([arrays[0]]), ascii_file=ascii_file)
    assert kept.buffers()[2].address == arrays[0].buffers()[2].address  # the same text, not a copy


def test_joined_blocks_equal_arrows_own_join_and_are_let_go() -> None:
    """join_text gives what pa.concat_arrays gives (nulls, sliced blocks, empty blocks, empty text), and empties
    the list it is given: a block is freed once copied, so a column is not held twice while it is joined."""
    rng = np.random.default_rng(7)
    values = [None if rng.random() < 0.1 else "x" * int(rng.integers(0, 12)) for _ in range(5_000)]
    whole = pa.array(values, pa.string())
    cuts = [0, 1, 1, 700, 2_500, 4_999, 5_000]
    blocks = [whole.slice(a, b - a) for a, b in pairwise(cuts)]
    expected = pa.concat_arrays(blocks)
    given = list(blocks)
    joined = arrowtext.join_text(given)
    assert given == []
    assert joined.equals(expected) and joined.null_count == expected.null_count == values.count(None)
    no_nulls = [pa.array(["a", "bc"]), pa.array(["", "d"])]
    assert arrowtext.join_text(list(no_nulls)).to_pylist() == ["a", "bc", "", "d"]
    assert arrowtext.join_text([pa.array([], pa.string()), pa.array([], pa.string())]).to_pylist() == []
    # The blocks' memory is gone once the join returns (nothing else held them).
    before = pa.total_allocated_bytes()
    fresh = [pa.array(["y" * 100] * 1_000) for _ in range(4)]
    made = pa.total_allocated_bytes() - before
    joined = arrowtext.join_text(fresh)
    assert pa.total_allocated_bytes() - before <= made + 4096  # only the joined copy is left


@pytest.mark.parametrize("bom", [False, True])
def test_a_file_is_cut_in_halves_at_a_line_break(bom: bool) -> None:
    data = ("\ufeff" if bom else "").encode() + b"id,n\r\nA1,1\r\nA2,2\r\nA3,3\r\n"
    source = memoryview(data)[3:] if bom else data
    first, second = arrowtext._halves(source, data)
    assert bytes(first) + bytes(second) == bytes(source)
    assert bytes(first).endswith(b"\n") and len(first) >= len(source) // 2
    assert arrowtext._halves(b"id,n", b"id,n") is None  # no line break to cut at
    assert arrowtext._halves(b"id,n\n", b"id,n\n") is None  # only the last one


def test_halves_give_the_rows_one_reader_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large unquoted file read in two halves: the same rows in the same order, blank lines and ragged rows
    handled as one reader handles them."""
    lines = "".join(f"A{i},{i % 7},2025-01-{1 + i % 28:02d}\n" + ("\n" if i % 997 == 0 else "") for i in range(20_000))
    data = ("id,n,day\n" + lines).encode()
    monkeypatch.setattr(arrowtext, "ARROW_BLOCK_BYTES", 16 * 1024)
    monkeypatch.setattr(arrowtext, "PARALLEL_BYTES", 0)
    halves = arrowtext.parse_csv_arrow(data, ",", 3)
    monkeypatch.setattr(arrowtext, "PARALLEL_BYTES", len(data) + 1)
    one = arrowtext.parse_csv_arrow(data, ",", 3)
    pd.testing.assert_frame_equal(halves, one)
    assert len(one) == 20_001 + len(range(0, 20_000, 997))
    ragged = data + b"A9,1,2025-01-01,extra\n"
    monkeypatch.setattr(arrowtext, "PARALLEL_BYTES", 0)
    assert arrowtext.parse_csv_arrow(ragged, ",", 3) is None  # a ragged row in the second half: pandas' reader


def test_only_an_ascii_file_skips_the_utf8_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """ASCII is valid UTF-8, so only such a file is read unchecked; a file with a Latin-1 byte is checked (Arrow
    refuses it, and the caller decodes it again) and one with UTF-8 accents is checked and read."""
    checks: list[bool] = []
    options = arrowtext.pacsv.ConvertOptions

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        checks.append(kwargs.get("check_utf8", True))
        return options(*args, **kwargs)

    monkeypatch.setattr(arrowtext.pacsv, "ConvertOptions", spy)
    body = "".join(f"A{i},Rep {i % 5}\n" for i in range(50))
    assert arrowtext.parse_csv_arrow(("id,owner\n" + body).encode(), ",", 2) is not None
    assert arrowtext.parse_csv_arrow(("id,owner\n" + body + "A9,Jos\xe9\n").encode("latin-1"), ",", 2) is None
    accented = arrowtext.parse_csv_arrow(("id,owner\n" + body + "A9,José\n").encode(), ",", 2)
    assert accented is not None and accented.iloc[-1, 1] == "José"
    assert checks == [False, True, True]

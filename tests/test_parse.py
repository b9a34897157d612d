"""Value parsers: numbers, dates, flags, durations, ids, kind inference, and real exports."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cs_logic.read.parse import (
    BLANKS,
    infer_kind,
    parse_as,
    parse_bools,
    parse_dates,
    parse_durations,
    parse_ids,
    parse_numbers,
    unit_from_header,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared real-data folder ../shared/data is absent")
BLANK_INPUTS = ["N/A", "", None, "Not Provided", "null", "NULL", "-", "?", "unknown", "#N/A", "nan", "None"]


def one(parser, value, **kwargs):  # type: ignore[no-untyped-def]
    """Parse a single-value column and return (value, bad)."""
    parsed = parser(pd.Series([value], dtype=object), **kwargs)
    return parsed.values.iloc[0], bool(parsed.bad.iloc[0])


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$12,000.00", 12000.0),
        ("1.234,5", 1234.5),
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),
        ("1\u2009234,5", 1234.5),
        ("1\u202f234.5", 1234.5),
        ("45%", 45.0),
        ("(1,200)", -1200.0),
        ("-1.5", -1.5),
        ("+3", 3.0),
        ("1e3", 1000.0),
        ("€12", 12.0),
        ("£7.50", 7.5),
        ("¥300", 300.0),
        ("R$ 1.234,56", 1234.56),
        ("USD 10", 10.0),
        ("10 EUR", 10.0),
        ("-$5", -5.0),
        ("5000 ریال", 5000.0),
        ("۲۵۰ تومان", 250.0),
        ("۱۲۳", 123.0),
        ("٣٫٥", 3.5),
        ("۱٬۲۳۴", 1234.0),
        ("9.5", 9.5),
        ("0", 0.0),
    ],
)
def test_number_text_reads_as_its_value(text: str, expected: float) -> None:
    value, bad = one(parse_numbers, text)
    assert value == pytest.approx(expected)
    assert not bad


@pytest.mark.parametrize("text", ["abc", "1.2.3", "12 apples", "(5", "1,2,3,4"])
def test_number_garbage_is_bad_and_nan(text: str) -> None:
    value, bad = one(parse_numbers, text)
    assert math.isnan(value) and bad


def test_decimal_comma_is_decided_once_for_the_column() -> None:
    """"12,5" (comma then 1-2 digits) votes for decimal comma, so "1.234" is a thousand and more."""
    parsed = parse_numbers(pd.Series(["1.234", "12,5", "7"]))
    assert parsed.values.tolist() == [1234.0, 12.5, 7.0]
    assert "decimal comma" in parsed.note


def test_values_written_against_the_column_majority_are_bad() -> None:
    """Two decimal-point votes beat one decimal-comma vote, so "3,5" cannot be read."""
    parsed = parse_numbers(pd.Series(["1,234.50", "2.5", "3,5"]))
    assert parsed.values.iloc[:2].tolist() == [1234.5, 2.5]
    assert parsed.bad.tolist() == [False, False, True]


def test_lone_thousands_comma_is_read_as_thousands_and_said() -> None:
    parsed = parse_numbers(pd.Series(["1,234", "12"]))
    assert parsed.values.tolist() == [1234.0, 12.0]
    assert "thousands" in parsed.note


def test_percent_signs_are_removed_and_said() -> None:
    parsed = parse_numbers(pd.Series(["45%", "50 %"]))
    assert parsed.values.tolist() == [45.0, 50.0]
    assert parsed.note == "percent signs removed; values are in percent"


def test_numbers_come_back_as_float64_with_the_same_index() -> None:
    parsed = parse_numbers(pd.Series(["1", "2"], index=[10, 20], name="x"))
    assert parsed.values.dtype == "float64" and list(parsed.values.index) == [10, 20]
    assert parsed.values.name == "x" and parsed.bad.dtype == bool


# ---------------------------------------------------------------- blanks


@pytest.mark.parametrize("parser", [parse_numbers, parse_dates, parse_bools, parse_durations, parse_ids])
@pytest.mark.parametrize("blank", BLANK_INPUTS)
def test_blanks_are_missing_and_never_bad(parser, blank) -> None:  # type: ignore[no-untyped-def]
    value, bad = one(parser, blank)
    assert pd.isna(value) and not bad


def test_blank_words_are_case_insensitive_and_include_the_usual() -> None:
    usual = {"", "na", "n/a", "#n/a", "null", "none", "nan", "-", "--", "not provided", "unknown", "?"}
    assert usual <= BLANKS


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05 13:45", "2024-03-05 13:45"),
        ("2024-03-05 13:45:30", "2024-03-05 13:45:30"),
        ("2024-03-05T13:45:00Z", "2024-03-05 13:45"),
        ("2024-03-05T13:45:00.250", "2024-03-05 13:45:00.250"),
        ("2023-07-28 3:00", "2023-07-28 03:00"),
        ("2024/03/05", "2024-03-05"),
        ("20240305", "2024-03-05"),
        ("25/12/2018", "2018-12-25"),
        ("12/25/2018", "2018-12-25"),
        ("25.12.18", "2018-12-25"),
        ("31-05-2023 23:57", "2023-05-31 23:57"),
        ("13/4/2018 20:09", "2018-04-13 20:09"),
        ("12/25/2018 1:45 PM", "2018-12-25 13:45"),
        ("12/25/2018 12:05 am", "2018-12-25 00:05"),
        ("5 Jan 2024", "2024-01-05"),
        ("January 5, 2024", "2024-01-05"),
        ("05-Jan-24", "2024-01-05"),
        ("Mon, 5 Feb 2024 10:00", "2024-02-05 10:00"),
        ("5 de março de 2024", "2024-03-05"),
        ("12 dic 2023", "2023-12-12"),
        ("3 out 2022", "2022-10-03"),
        ("44197", "2021-01-01"),
        ("44197.5", "2021-01-01 12:00"),
        ("1403/07/15", "2024-10-06"),
        ("۱۴۰۳/۰۷/۱۵", "2024-10-06"),
        ("١٤٠٣/٠٧/١٥", "2024-10-06"),
    ],
)
def test_date_text_reads_as_its_timestamp(text: str, expected: str) -> None:
    value, bad = one(parse_dates, text)
    assert value == pd.Timestamp(expected)
    assert not bad


@pytest.mark.parametrize("text", ["garbage", "2024-02-30", "31/31/2020", "2024-13-01", "25:00 2024", "12345"])
def test_impossible_dates_are_bad(text: str) -> None:
    value, bad = one(parse_dates, text)
    assert pd.isna(value) and bad


def test_any_first_part_above_12_makes_the_column_day_first() -> None:
    parsed = parse_dates(pd.Series(["01/05/2018", "13/04/2018", "8/9/2021"]))
    assert parsed.values.tolist() == [pd.Timestamp(d) for d in ("2018-05-01", "2018-04-13", "2021-09-08")]
    assert parsed.note == "dates read day-first (13/04/2018 seen)"


def test_any_second_part_above_12_makes_the_column_month_first() -> None:
    parsed = parse_dates(pd.Series(["8/9/2021", "6/13/2022"]))
    assert parsed.values.iloc[0] == pd.Timestamp("2021-08-09")
    assert parsed.note.startswith("dates read month-first")


def test_mixed_day_and_month_first_keeps_the_majority_and_marks_the_rest_bad() -> None:
    """Two values are only valid day-first, one only month-first: day-first wins, 04/13 is bad."""
    parsed = parse_dates(pd.Series(["13/04/2018", "25/12/2018", "01/02/2018", "04/13/2018"]))
    assert parsed.values.iloc[2] == pd.Timestamp("2018-02-01")
    assert parsed.bad.tolist() == [False, False, False, True]
    assert "day-first" in parsed.note and "1 values only valid month-first" in parsed.note
    assert "marked bad" in parsed.note


@pytest.mark.parametrize(
    ("values", "first", "order"),
    [
        (["01/02/2020", "03/04/2020"], "2020-01-02", "month-first"),
        (["01-02-2020", "03-04-2020"], "2020-01-02", "month-first"),
        (["01.02.2020", "03.04.2020"], "2020-02-01", "day-first"),
    ],
)
def test_all_ambiguous_column_says_so_and_which_order_was_used(
    values: list[str], first: str, order: str
) -> None:
    parsed = parse_dates(pd.Series(values))
    assert parsed.values.iloc[0] == pd.Timestamp(first)
    assert "ambiguous" in parsed.note and order in parsed.note


def test_excel_serials_beside_text_dates_are_converted_and_noted() -> None:
    """44197 days after 1899-12-30 is 2021-01-01 (the call-centre Date column mixes both)."""
    parsed = parse_dates(pd.Series(["2021-01-02", "44197"]))
    assert parsed.values.tolist() == [pd.Timestamp("2021-01-02"), pd.Timestamp("2021-01-01")]
    assert "Excel serial" in parsed.note


def test_jalali_dates_are_converted_and_noted() -> None:
    parsed = parse_dates(pd.Series(["1403/07/15", "1402/12/29"]))
    assert parsed.values.tolist() == [pd.Timestamp("2024-10-06"), pd.Timestamp("2024-03-19")]
    assert parsed.note == "Jalali (Persian) dates converted to Gregorian"


def test_time_zones_are_converted_to_utc_and_made_naive() -> None:
    parsed = parse_dates(pd.Series(["2024-03-05T13:45:00+05:30", "2024-03-05 13:45 -0100"]))
    assert parsed.values.tolist() == [pd.Timestamp("2024-03-05 08:15"), pd.Timestamp("2024-03-05 14:45")]
    assert "UTC" in parsed.note and parsed.values.dt.tz is None


def test_dates_come_back_as_datetime64_ns() -> None:
    assert parse_dates(pd.Series(["2024-03-05", None])).values.dtype == "datetime64[ns]"


def test_python_datetimes_in_a_text_column_are_kept() -> None:
    """Excel readers mix real dates into text columns (call_center Date)."""
    parsed = parse_dates(pd.Series(["2021-01-02", pd.Timestamp("2021-01-01").to_pydatetime()], dtype=object))
    assert parsed.values.tolist() == [pd.Timestamp("2021-01-02"), pd.Timestamp("2021-01-01")]


# ---------------------------------------------------------------- typed input


def test_typed_datetimes_pass_through() -> None:
    s = pd.Series(pd.to_datetime(["2024-01-01", None]))
    parsed = parse_dates(s)
    assert parsed.values.equals(s.astype("datetime64[ns]")) and not parsed.bad.any()


def test_typed_zone_aware_datetimes_become_naive_utc() -> None:
    s = pd.Series(pd.to_datetime(["2024-01-01 10:00"]).tz_localize("Europe/Berlin"))
    assert parse_dates(s).values.iloc[0] == pd.Timestamp("2024-01-01 09:00")


@pytest.mark.parametrize(
    ("parser", "series", "dtype"),
    [
        (parse_numbers, pd.Series([1.5, None, 3.0]), "float64"),
        (parse_numbers, pd.Series([1, 2]), "float64"),
        (parse_bools, pd.Series([True, False]), "boolean"),
        (parse_bools, pd.Series([True, None], dtype="boolean"), "boolean"),
        (parse_durations, pd.Series([2.0, 0.5]), "float64"),
    ],
)
def test_typed_columns_pass_through_unchanged(parser, series, dtype) -> None:  # type: ignore[no-untyped-def]
    parsed = parser(series)
    assert parsed.values.dtype == dtype and not parsed.bad.any()
    assert parsed.values.astype("float64").equals(series.astype("float64"))


def test_typed_timedeltas_become_hours() -> None:
    parsed = parse_durations(pd.Series(pd.to_timedelta(["1:30:00", "00:02:24"])))
    assert parsed.values.tolist() == pytest.approx([1.5, 0.04])


# ---------------------------------------------------------------- booleans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", True), ("no", False), ("Y", True), ("n", False), ("TRUE", True), ("False", False),
        ("t", True), ("F", False), ("1", True), ("0", False), ("1.0", True), ("0.0", False),
        ("on", True), ("OFF", False), ("Active", True), ("inactive", False), ("churned", True),
        ("retained", False), ("Cancelled", True), ("canceled", True), ("exited", True), ("lost", True),
        ("kept", False), ("sim", True), ("não", False), ("sí", True), ("oui", True), ("non", False),
        ("ja", True), ("nein", False), ("да", True), ("нет", False), ("так", True), ("не", False),
        ("بله", True), ("خیر", False), ("آری", True), ("نه", False),
    ],
)
def test_flag_words_read_as_yes_or_no(text: str, expected: bool) -> None:
    value, bad = one(parse_bools, text)
    assert value == expected and not bad


@pytest.mark.parametrize("text", ["maybe", "closed", "open", "2", "yes!"])
def test_other_words_are_bad_flags(text: str) -> None:
    value, bad = one(parse_bools, text)
    assert value is pd.NA and bad


def test_active_means_not_churned_in_a_churn_column() -> None:
    parsed = parse_bools(pd.Series(["churned", "active", "Active"]))
    assert parsed.values.tolist() == [True, False, False]
    assert parsed.note == "taken as yes: churned; as no: Active, active"


def test_flag_note_lists_what_was_taken_as_yes_and_no() -> None:
    parsed = parse_bools(pd.Series(["Yes", "No", "yes", None]))
    assert parsed.note == "taken as yes: Yes, yes; as no: No"
    assert parsed.values.dtype == "boolean"


def test_caller_can_name_the_yes_and_no_words() -> None:
    parsed = parse_bools(pd.Series(["won", "lost", "yes"]), true_words={"won"}, false_words={"lost"})
    assert parsed.values.tolist() == [True, False, pd.NA] and parsed.bad.tolist() == [False, False, True]


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "unit", "hours"),
    [
        ("2", "hours", 2.0),
        ("90", "minutes", 1.5),
        ("7200", "seconds", 2.0),
        ("1,5", "days", 36.0),
        ("1:30:00", "seconds", 1.5),
        ("0:02:24", "minutes", 0.04),
        ("2:30", "minutes", 2.5),
        ("1 day 02:00:00", "hours", 26.0),
        ("0 days 00:30:00", "hours", 0.5),
        ("2h 30m", "minutes", 2.5),
        ("90 min", "hours", 1.5),
        ("45s", "hours", 0.0125),
        ("1.5 hours", "hours", 1.5),
        ("2 days", "hours", 48.0),
        ("PT2H30M", "hours", 2.5),
        ("-3", "hours", -3.0),
        ("-1:00:00", "hours", -1.0),
    ],
)
def test_duration_text_reads_as_hours(text: str, unit: str, hours: float) -> None:
    value, bad = one(parse_durations, text, unit=unit)
    assert value == pytest.approx(hours) and not bad


def test_negative_durations_are_kept_not_bad() -> None:
    parsed = parse_durations(pd.Series(["-2", "3"]))
    assert parsed.values.tolist() == [-2.0, 3.0] and not parsed.bad.any()


def test_unreadable_durations_are_bad() -> None:
    parsed = parse_durations(pd.Series(["soon", "1:30"]))
    assert parsed.bad.tolist() == [True, False]


def test_plain_numbers_in_another_unit_are_noted() -> None:
    assert parse_durations(pd.Series(["30"]), unit="minutes").note == (
        "plain numbers read as minutes and converted to hours"
    )


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("Speed of answer in seconds", "seconds"),
        ("first_response_time_minutes", "minutes"),
        ("resolution_time_hours", "hours"),
        ("usage_duration_secs", "seconds"),
        ("Talk time (min)", "minutes"),
        ("wait mins", "minutes"),
        ("Handle time hrs", "hours"),
        ("days_to_close", "days"),
        ("firstResponseMinutes", "minutes"),
        ("Resolution (h)", "hours"),
        ("time_s", "seconds"),
        ("Minutes per day", "minutes"),
        ("زمان پاسخ (دقیقه)", "minutes"),
        ("tempo de resposta (horas)", "hours"),
        ("AvgTalkDuration", None),
        ("Customer's wait", None),
        ("Ticket ID", None),
    ],
)
def test_unit_is_read_from_the_header(header: str, unit: str | None) -> None:
    assert unit_from_header(header) == unit


# ---------------------------------------------------------------- ids, kinds, dispatch


def test_ids_keep_leading_zeros_and_are_trimmed() -> None:
    parsed = parse_ids(pd.Series([" 00123 ", "02139", "N/A", None, "A-7"]))
    assert parsed.values.tolist() == ["00123", "02139", None, None, "A-7"]
    assert not parsed.bad.any()


def test_typed_numeric_ids_become_text_without_a_decimal_point() -> None:
    assert parse_ids(pd.Series([15634602.0, None])).values.tolist() == ["15634602", None]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["00123", "00456", "00789"], "text"),
        (["02139", "10001"], "text"),
        (["Yes", "No", None, "yes"], "bool"),
        (["TRUE", "FALSE"], "bool"),
        (["0", "1", "1", "0"], "number"),
        (["$1,200.00", "$3.50", "N/A"], "number"),
        (["45%", "12.5%"], "number"),
        (["2024-01-01", "2024-02-03 10:00"], "date"),
        (["11/04/2018 20:09", "13/04/2018 08:00"], "date"),
        (["hello", "world"], "text"),
        (["A-712f1c", "A-e43bf7"], "text"),
        ([None, "N/A"], "text"),
        (["1"] * 96 + ["x"] * 4, "number"),
        (["1"] * 94 + ["x"] * 6, "text"),
    ],
)
def test_infer_kind_of_typical_columns(values: list[str | None], kind: str) -> None:
    assert infer_kind(pd.Series(values, dtype=object)) == kind


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pd.Series([True, False]), "bool"),
        (pd.Series([1.5, 2.0]), "number"),
        (pd.Series(pd.to_datetime(["2024-01-01"])), "date"),
    ],
)
def test_infer_kind_of_typed_columns(series: pd.Series, kind: str) -> None:
    assert infer_kind(series) == kind


@pytest.mark.parametrize(
    ("kind", "header", "text", "expected"),
    [
        ("id", "", "007", "007"),
        ("text", "", " hello ", "hello"),
        ("number", "", "1,5 %", 1.5),
        ("integer", "", "9.5", 9.5),
        ("score", "", "11", 11.0),
        ("nps", "", "-1", -1.0),
        ("date", "", "2024-03-05", pd.Timestamp("2024-03-05")),
        ("bool", "", "Y", True),
        ("duration", "first_response_time_minutes", "30", 0.5),
        ("duration", "Speed of answer in seconds", "36", 0.01),
    ],
)
def test_parse_as_dispatches_by_kind(kind: str, header: str, text: str, expected: object) -> None:
    value = parse_as(pd.Series([text]), kind, header).values.iloc[0]
    assert value == (pytest.approx(expected) if isinstance(expected, float) else expected)


def test_duration_without_a_unit_in_the_header_says_hours_were_assumed() -> None:
    assert "read as hours" in parse_as(pd.Series(["3"]), "duration", "Handle time").note


def test_parse_as_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        parse_as(pd.Series(["x"]), "colour")


# ---------------------------------------------------------------- real exports


@needs_data
def test_nps_verbatims_response_dates_are_day_first_with_none_bad() -> None:
    """SOURCE.txt: "11/04/2018 20:09" is 11 April; checked against an explicit DD/MM/YYYY format."""
    raw = pd.read_csv(DATA / "nps_verbatims" / "nps_verbatims.csv", dtype=str)["CUSTOMER_RESPONSE_DATE"]
    parsed = parse_dates(raw)
    assert not parsed.bad.any()
    assert parsed.values[raw == "11/04/2018 20:09"].iloc[0] == pd.Timestamp("2018-04-11 20:09")
    assert parsed.values.equals(pd.to_datetime(raw, format="%d/%m/%Y %H:%M").astype("datetime64[ns]"))
    assert "day-first" in parsed.note


@needs_data
def test_saas_sales_order_dates_are_month_first_2020_to_2023() -> None:
    """SOURCE.txt: Order Date is M/D/YYYY, 2020-01-04..2023-12-31."""
    raw = pd.read_csv(DATA / "saas_sales" / "saas_sales.csv", encoding="mac_roman", dtype=str)["Order Date"]
    parsed = parse_dates(raw)
    assert not parsed.bad.any() and "month-first" in parsed.note
    assert parsed.values.min() == pd.Timestamp("2020-01-04")
    assert parsed.values.max() == pd.Timestamp("2023-12-31")
    assert parsed.values.equals(pd.to_datetime(raw, format="%m/%d/%Y").astype("datetime64[ns]"))


@needs_data
def test_saas_sales_amounts_sum_to_the_source_figure() -> None:
    """SOURCE.txt: Sales sum 2,297,201.07."""
    raw = pd.read_csv(DATA / "saas_sales" / "saas_sales.csv", encoding="mac_roman", dtype=str)["Sales"]
    assert parse_numbers(raw).values.sum() == pytest.approx(2_297_201.07)


@needs_data
def test_saas_usage_ticket_close_times_with_unpadded_hours_parse() -> None:
    """closed_at looks like "2023-07-28 3:00"."""
    raw = pd.read_csv(DATA / "saas_usage" / "ravenstack_support_tickets.csv", dtype=str)["closed_at"]
    parsed = parse_dates(raw)
    assert not parsed.bad.any()
    assert parsed.values[raw == "2023-07-28 3:00"].iloc[0] == pd.Timestamp("2023-07-28 03:00")
    assert parsed.values.equals(pd.to_datetime(raw, format="%Y-%m-%d %H:%M").astype("datetime64[ns]"))


@needs_data
def test_excel_resaved_ticket_first_response_is_day_first() -> None:
    """variant_Mumtaj1012: "DD-MM-YYYY HH:MM", all within 2023-05-31 21:53 .. 2023-06-02 00:55."""
    path = DATA / "support_tickets" / "variant_Mumtaj1012_excel_resaved.csv"
    raw = pd.read_csv(path, dtype=str)["First Response Time"]
    parsed = parse_dates(raw)
    assert not parsed.bad.any() and "day-first" in parsed.note
    assert parsed.values.notna().sum() == raw.notna().sum()
    assert parsed.values.min() >= pd.Timestamp("2023-05-31 21:53")
    assert parsed.values.max() <= pd.Timestamp("2023-06-02 00:55")
    assert parsed.values.equals(pd.to_datetime(raw, format="%d-%m-%Y %H:%M").astype("datetime64[ns]"))


@needs_data
def test_telco_total_charges_blank_spaces_are_blank_not_bad() -> None:
    """SOURCE.txt: TotalCharges has 11 single-space values."""
    raw = pd.read_csv(DATA / "telco_churn" / "Telco-Customer-Churn.csv", dtype=str)["TotalCharges"]
    parsed = parse_numbers(raw)
    assert not parsed.bad.any() and int(parsed.values.isna().sum()) == 11


# ---- ISO dates: Arrow's strict cast (the common case) reads what the byte grid reads -------------------------

def _iso_values(seed: int, n: int = 20_000) -> list[str | None]:
    rng = np.random.default_rng(seed)
    days = rng.integers(np.datetime64("1678-01-01", "D").astype(int), np.datetime64("2261-12-31", "D").astype(int), n)
    seconds = rng.integers(0, 86_400, n)
    stamps = days.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    text = np.datetime_as_string(stamps, unit="s")  # 2020-01-02T03:04:05
    shapes = rng.integers(0, 5, n)
    out: list[str | None] = []
    for t, shape in zip(text, shapes):
        out.append([t[:10], t[:16], t[:16].replace("T", " "), t, t.replace("T", " ")][shape])
    out[::97] = [None] * len(out[::97])
    out += ["2024-02-29", "1678-01-01", "2261-12-31 23:59:59", "2000-02-29T00:00"]  # leap days and the edges
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_iso_cast_reads_every_iso_shape_as_the_byte_grid_does(seed: int) -> None:
    from cs_logic.read.dates import _iso_cast, _iso_grid

    text = pa.array(_iso_values(seed), type=pa.large_string())
    fast = _iso_cast(text)
    assert fast is not None
    grid = _iso_grid(text)
    np.testing.assert_array_equal(fast[0], grid[0])
    np.testing.assert_array_equal(fast[1], grid[1])


@pytest.mark.parametrize("odd", ["2023-02-29", "2020-01-01 24:00", "1677-12-31", "2262-01-01", "2020-1-01",
                                 "2020-01-01T10:00:00Z", "2020-01-01 10:00:00.5", "13/04/2018"])
def test_one_value_outside_the_iso_shapes_leaves_the_column_to_the_exact_reading(odd: str) -> None:
    """The cast is all or nothing: one impossible, out-of-range or other-shaped value sends the whole column
    to the byte grid and the general reader, which judge each value as before."""
    from cs_logic.read.dates import _iso_cast, read_dates

    values = ["2020-01-01", odd, "2021-06-30 08:15"]
    assert _iso_cast(pa.array(values, type=pa.large_string())) is None
    reading = read_dates(pa.array(values, type=pa.large_string()))
    assert reading.ns[0] == np.datetime64("2020-01-01", "ns").astype(np.int64)
    assert reading.ns[2] == np.datetime64("2021-06-30T08:15", "ns").astype(np.int64)


def test_every_blank_word_in_any_case_is_blank_and_near_misses_are_not() -> None:
    """The blank words are found by one case-insensitive pattern (no lower-cased copy of the column)."""
    from cs_logic.read.parse import BLANKS, _trimmed

    words = sorted(BLANKS)
    cases = [w for w in words for w in (w, w.upper(), w.title(), f"  {w.upper()} ")]
    text, blank = _trimmed(pa.array(cases + ["nanx", "n/a2", "none of it", "x"], type=pa.large_string()))
    assert blank.tolist() == [True] * len(cases) + [False] * 4
    assert text.to_pylist() == [None] * len(cases) + ["nanx", "n/a2", "none of it", "x"]


def test_whole_numbers_read_in_one_cast_as_the_general_reading_does() -> None:
    """A column of whole numbers is read by one integer cast; signs, leading zeros and blanks as before, and a
    value the cast refuses ("1.5", "--5", twenty digits) sends the column to the general reading (as before)."""
    got = parse_numbers(pd.Series(["+5", "-0", "007", "12", None, "N/A", "-3"]))
    assert got.values.tolist()[:4] == [5.0, 0.0, 7.0, 12.0] and got.values.tolist()[6] == -3.0
    assert math.isnan(got.values.iloc[4]) and math.isnan(got.values.iloc[5]) and not got.bad.any() and not got.note
    mixed = parse_numbers(pd.Series(["5", "1.5", "2"]))
    assert mixed.values.tolist() == [5.0, 1.5, 2.0]
    big = parse_numbers(pd.Series(["1", "99999999999999999999"]))
    assert big.values.tolist() == [1.0, 1e20]
    bad = parse_numbers(pd.Series(["1", "--5", "x"]))
    assert bad.values.tolist()[:2] == [1.0, 5.0] and bad.bad.tolist() == [False, False, True]

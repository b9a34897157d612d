"""The bad-input corpus: generators of hostile and damaged uploads, each returning (file name, bytes).

Nothing here is committed as a binary: every workbook, zip bomb and encoding is built in memory, with a
fixed seed where randomness is needed, so the corpus is the same on every run.
"""

from __future__ import annotations

import io
import random
import re
import zipfile

import xlsxwriter

SURVEY_HEADER = ("response_id", "account_id", "date", "nps", "comment")
# Five valid answers: file rows 2-6 under a header on row 1.
GOOD_ROWS = (
    ("R1", "A1", "2024-03-01", "9", "Great onboarding"),
    ("R2", "A2", "2024-03-02", "10", "Fast support"),
    ("R3", "A3", "2024-03-03", "6", "Too slow"),
    ("R4", "A1", "2024-03-04", "0", "Cancelling"),
    ("R5", "A2", "2024-03-05", "8", "OK"),
)
# Text each encoding can carry; cp1256 is Arabic-script, the Latin ones carry accents.
ENCODED_COMMENTS = {
    "utf-8": ("Très bien 👍", "São Paulo ação", "خدمة ممتازة", "Ünïcödé ok"),
    "utf-8-sig": ("Très bien 👍", "São Paulo ação", "خدمة ممتازة", "Ünïcödé ok"),
    "utf-16": ("Très bien 👍", "São Paulo ação", "خدمة ممتازة", "Ünïcödé ok"),
    "cp1252": ("Très bien, café", "São Paulo ação", "Müller’s “best” – ok", "Ñandú señor"),
    "cp1256": ("خدمة ممتازة جدا", "الدعم سريع", "لم يعجبني التطبيق", "شكرا لكم"),
    "mac_roman": ("Très bien, café", "São Paulo ação", "Crème brûlée", "Ñandú señor"),
}
MARKUP_COMMENTS = (
    "![x](http://127.0.0.1:9/pixel.png)",
    "[click](http://evil.example)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "**bold** _it_ # heading",
)
FORMULA_COMMENTS = (
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
)
RTL_COMMENTS = (
    "خیلی خوب بود 👍🏽",
    "שירות מצוין 🎉",
    "ممتاز جدا \u202eevil\u202c",
    "👨‍👩‍👧‍👦 family plan",
    "مرسی 🙏 from Tehran",
)


def _csv(rows: list[tuple[str, ...]] | tuple[tuple[str, ...], ...], delimiter: str = ",") -> str:
    """Rows as CSV text, quoting a cell that holds the delimiter, a quote or a line break."""

    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in rows)


def _survey(comments: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A valid survey table (header + one row per comment), NPS 0-10 and ISO dates."""
    rows = [SURVEY_HEADER]
    for i, comment in enumerate(comments, start=1):
        rows.append((f"R{i}", f"A{i % 3 + 1}", f"2024-03-{i:02d}", str((i * 3) % 11), comment))
    return rows


def good_survey(name: str = "good_survey.csv") -> tuple[str, bytes]:
    """Five valid survey answers in UTF-8."""
    return name, _csv((SURVEY_HEADER, *GOOD_ROWS)).encode("utf-8")


def encoded_survey(encoding: str) -> tuple[str, bytes]:
    """A valid survey whose comments need ``encoding`` (utf-16 writes its BOM)."""
    return f"survey_{encoding}.csv", _csv(_survey(ENCODED_COMMENTS[encoding])).encode(encoding)


def delimited_survey(delimiter: str) -> tuple[str, bytes]:
    """The good survey separated by ``delimiter``, a comment holding the other separators."""
    rows = [SURVEY_HEADER, *GOOD_ROWS[:-1], ("R5", "A2", "2024-03-05", "8", "a, b; c|d\te")]
    return "survey_delimited.csv", _csv(rows, delimiter).encode("utf-8")


def semicolon_cp1252_survey() -> tuple[str, bytes]:
    """A European Excel export: Windows-1252 text separated by semicolons."""
    return "survey_excel_fr.csv", _csv(_survey(ENCODED_COMMENTS["cp1252"]), ";").encode("cp1252")


def titled_survey() -> tuple[str, bytes]:
    """Two title lines and a blank above the header (row 4); an unreadable date on file row 7."""
    rows = [("Customer survey export",), ("Generated 2024-04-01 by SurveyTool",), ("",), SURVEY_HEADER,
            *GOOD_ROWS[:2], ("R3", "A3", "yesterday", "6", "Too slow"), *GOOD_ROWS[3:]]
    return "titled_survey.csv", _csv(rows).encode("utf-8")


def totals_orders() -> tuple[str, bytes]:
    """Four orders then a "Total" row (file row 6) holding their sum."""
    rows = [("order_id", "account_id", "order_date", "amount"),
            ("O1", "A1", "2024-01-05", "100.50"), ("O2", "A2", "2024-01-06", "200.25"),
            ("O3", "A1", "2024-01-07", "50"), ("O4", "A3", "2024-01-08", "49.25"),
            ("Total", "", "", "400.00")]
    return "orders_with_total.csv", _csv(rows).encode("utf-8")


def nps_edge_survey() -> tuple[str, bytes]:
    """NPS 11 on row 5, -1 on row 6, N/A on row 7 and 9.5 on row 8; rows 2-4 valid."""
    scores = ("9", "10", "0", "11", "-1", "N/A", "9.5")
    rows = [SURVEY_HEADER] + [(f"R{i}", "A1", f"2024-03-0{i}", s, f"c{i}") for i, s in enumerate(scores, start=1)]
    return "survey.csv", _csv(rows).encode("utf-8")


def mixed_dates_survey() -> tuple[str, bytes]:
    """ISO, day-first slashes (15/01, 31/12 fix the order for 03/04), a month name and one non-date (row 7)."""
    dates = ("2024-01-15", "15/01/2024", "31/12/2024", "03/04/2024", "March 5, 2024", "not a date")
    rows = [SURVEY_HEADER] + [(f"R{i}", "A1", d, "9", "ok") for i, d in enumerate(dates, start=1)]
    return "mixed_dates.csv", _csv(rows).encode("utf-8")


def text_numbers_orders() -> tuple[str, bytes]:
    """Amounts typed as text ("1,234.50", " 42 ", "$1,000.00", "0.5") and one word (file row 6)."""
    amounts = ("1,234.50", " 42 ", "$1,000.00", "0.5", "twelve")
    rows = [("order_id", "account_id", "order_date", "amount")] + [
        (f"O{i}", "A1", f"2024-01-0{i}", a) for i, a in enumerate(amounts, start=1)]
    return "orders_text_numbers.csv", _csv(rows).encode("utf-8")


def empty_file() -> tuple[str, bytes]:
    return "empty.csv", b""


def blank_lines_file() -> tuple[str, bytes]:
    """Only a BOM, spaces and line breaks."""
    return "blank.csv", b"\xef\xbb\xbf  \r\n\r\n \n"


def header_only() -> tuple[str, bytes]:
    return "header_only.csv", (",".join(SURVEY_HEADER) + "\r\n").encode("utf-8")


def wide_csv(columns: int = 2000, rows: int = 3) -> tuple[str, bytes]:
    """A survey with ``columns`` columns: response_id, nps, then attribute ratings q0003..."""
    header = ("response_id", "nps", *(f"q{j:04d}" for j in range(3, columns + 1)))
    body = [(f"R{i}", str(i + 7), *(str((i + j) % 5 + 1) for j in range(3, columns + 1))) for i in range(1, rows + 1)]
    return "wide_survey.csv", _csv([header, *body]).encode("utf-8")


def huge_cell(size: int = 1024 * 1024) -> tuple[str, bytes]:
    """A survey whose row-3 comment is ``size`` characters long (1 MB)."""
    long_text = ("lorem ipsum " * (size // 12 + 1))[:size]
    rows = [SURVEY_HEADER, GOOD_ROWS[0], ("R2", "A2", "2024-03-02", "10", long_text), *GOOD_ROWS[2:]]
    return "huge_cell.csv", _csv(rows).encode("utf-8")


def rtl_emoji_survey() -> tuple[str, bytes]:
    """Persian, Hebrew and Arabic comments with emoji, ZWJ sequences and a right-to-left override."""
    return "rtl_emoji.csv", _csv(_survey(RTL_COMMENTS)).encode("utf-8")


def binary_garbage(size: int = 4096, seed: int = 7) -> tuple[str, bytes]:
    """Random bytes (a fixed seed) with a CSV name."""
    return "garbage.csv", random.Random(seed).randbytes(size)


def markup_survey(name: str = "markup_survey.csv") -> tuple[str, bytes]:
    """Comments carrying a tracking-pixel image, a link, an <img onerror>, a <script> and Markdown."""
    return name, _csv(_survey(MARKUP_COMMENTS)).encode("utf-8")


def formula_survey() -> tuple[str, bytes]:
    """Comments that spreadsheets would run as formulas (=HYPERLINK, +cmd, @SUM, -2+3)."""
    return "formulas.csv", _csv(_survey(FORMULA_COMMENTS)).encode("utf-8")


def survey_xlsx(name: str = "survey.xlsx") -> tuple[str, bytes]:
    """The good survey as a one-sheet XLSX."""
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, {"in_memory": True}) as book:
        sheet = book.add_worksheet("Survey")
        for r, row in enumerate((SURVEY_HEADER, *GOOD_ROWS)):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value) if c != 3 or r == 0 else sheet.write_number(r, c, int(value))
    return name, buf.getvalue()


def merged_sheets_xlsx() -> tuple[str, bytes]:
    """Sheet "Survey": a title merged over A1:F1, header on row 2, five answers on rows 3-7 with the
    touchpoint merged down F3:F4; then a "Notes" sheet of free text."""
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, {"in_memory": True}) as book:
        sheet = book.add_worksheet("Survey")
        sheet.merge_range(0, 0, 0, 5, "Q1 customer survey (export)")
        for c, value in enumerate((*SURVEY_HEADER, "touchpoint")):
            sheet.write_string(1, c, value)
        for r, row in enumerate(GOOD_ROWS, start=2):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value) if c != 3 else sheet.write_number(r, c, int(value))
        sheet.merge_range(2, 5, 3, 5, "Onboarding")
        for r in range(4, 7):
            sheet.write_string(r, 5, "Renewal")
        notes = book.add_worksheet("Notes")
        notes.write_string(0, 0, "Exported by the survey tool; scores are 0-10.")
    return "merged.xlsx", buf.getvalue()


def xlsx_named_csv() -> tuple[str, bytes]:
    """An XLSX workbook uploaded under a .csv name."""
    return "survey_really_xlsx.csv", survey_xlsx()[1]


def csv_named_xlsx() -> tuple[str, bytes]:
    """A CSV file uploaded under a .xlsx name."""
    return "survey_really_csv.xlsx", good_survey()[1]


def _replace_members(workbook: bytes, replacements: dict[str, bytes]) -> bytes:
    """The workbook re-zipped with some members' contents replaced (deflated at level 9)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replacements.get(info.filename, src.read(info.filename)))
    return out.getvalue()


SHEET_NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def zip_bomb_xlsx(rows: int = 1_000_000) -> tuple[str, bytes]:
    """An XLSX whose sheet holds ``rows`` identical rows: about 40 MB of XML in a file of a few dozen KB."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>1</v></c></row>'
    xml = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + SHEET_NS + b"<sheetData>" + row * rows
    xml += b"</sheetData></worksheet>"
    return "bomb.xlsx", _replace_members(survey_xlsx()[1], {"xl/worksheets/sheet1.xml": xml})


def billion_laughs_xlsx(member: str = "xl/worksheets/sheet1.xml") -> tuple[str, bytes]:
    """An XLSX whose ``member`` declares nested entities (&lol9; expands to 10^9 "lol")."""
    entities = b'<!ENTITY lol "lol">' + b"".join(
        b"<!ENTITY lol%d \"%s\">" % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    doctype = b"<!DOCTYPE lolz [" + entities + b"]>"
    head = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + doctype
    book = survey_xlsx()[1]
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        original = z.read(member)
    body = original.split(b"?>", 1)[1] if original.startswith(b"<?xml") else original
    if member.endswith("sheet1.xml"):
        body = body.replace(b"<sheetData>", b'<sheetData><row r="99"><c r="A99" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1)
    return "laughs.xlsx", _replace_members(book, {member: head + body})


def crafted_sql_files(target: str) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """An accounts file whose segment and names hold SQL, and a survey file whose extra column's header is
    ``x"); COPY (SELECT 1) TO '<target>'; --`` with SQL and file-reading text as values."""
    header = f"x\"); COPY (SELECT 1) TO '{target}'; --"
    accounts = [("account_id", "account_name", "segment", "plan"),
                ("A1", "'); DROP TABLE accounts; --", "'); DROP TABLE accounts; --", "Pro"),
                ("A2", "read_csv('/etc/passwd')", "SMB", "Basic"),
                ("A3", "Robert\"); DROP TABLE surveys; --", "SMB", "Pro")]
    surveys = [("response_id", "account_id", "date", "nps", header),
               ("R1", "A1", "2024-03-01", "9", "'); DROP TABLE accounts; --"),
               ("R2", "A2", "2024-03-02", "3", "read_csv('/etc/passwd')"),
               ("R3", "A3", "2024-03-03", "10", "'); DROP TABLE accounts; --"),
               ("R4", "A1", "2024-03-04", "7", "$1; SELECT * FROM read_text('/etc/passwd')")]
    return ("accounts.csv", _csv(accounts).encode("utf-8")), ("crafted_survey.csv", _csv(surveys).encode("utf-8"))


def truncated_xlsx() -> tuple[str, bytes]:
    """The first half of a workbook, as from an interrupted download."""
    data = survey_xlsx()[1]
    return "truncated.xlsx", data[: len(data) // 2]


def docx_named_xlsx() -> tuple[str, bytes]:
    """A zip holding a Word document's parts, uploaded as .xlsx."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return "report.xlsx", buf.getvalue()


def pdf_named_csv() -> tuple[str, bytes]:
    return "export.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def unclosed_quote_csv() -> tuple[str, bytes]:
    """A quote opened in row 4 and never closed."""
    rows = _csv((SURVEY_HEADER, *GOOD_ROWS[:2])) + 'R3,A3,2024-03-03,6,"never closed\r\nR4,A1,2024-03-04,0,x\r\n'
    return "unclosed.csv", rows.encode("utf-8")


def markup_header_csv() -> tuple[str, bytes]:
    """Headers that are Markdown: a tracking-pixel image and a link."""
    return "markup_header.csv", b"![x](http://127.0.0.1:9/pixel.png),[click](http://evil.example)\r\n1,2\r\n3,4\r\n"


FORBIDDEN_IN_REASONS = ("Traceback", 'File "', "Error:", "Exception", "\n")


def problems_in_reason(reason: str) -> list[str]:
    """What makes a refusal unfit for a manager: empty, several lines, traceback text or exception class names."""
    found = [word for word in FORBIDDEN_IN_REASONS if word in reason]
    found += re.findall(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b", reason)
    if not reason.strip():
        found.append("empty")
    if len(reason) > 400:
        found.append(f"{len(reason)} characters")
    return found


def shown(text: str) -> str:
    """Markdown source as a reader sees it: backslash escapes and zero-width link breakers removed."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")

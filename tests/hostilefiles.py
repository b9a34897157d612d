"""Odd and hostile uploads from issue 19, each built in memory: (file name, bytes).

Each generator reproduces one case a new user hit: silent loss (a totals row and an export footer counted as
accounts, a long field dropping columns, a blank header cell, literal quotes in tab-separated text, formulas
never calculated), or a crash (a whole number above 2^53). Nothing is committed as a binary.
"""

from __future__ import annotations

import io
import re
import zipfile

import xlsxwriter

# 300,000 characters: over pandas' and Python's csv 131,072-character field limits.
HUGE_FIELD = 300_000


def totals_and_footer_csv() -> tuple[str, bytes]:
    """Two accounts (revenue 100 + 200), a Total row, a blank line and an export footer with a trailing comma."""
    text = "account_id,name,revenue\nA1,Acme,100\nA2,Beta,200\nTotal,,300\n\nExported 2025-10-01,\n"
    return "accounts_export.csv", text.encode("utf-8")


def huge_field_survey_csv() -> tuple[str, bytes]:
    """A 4-column survey, 300,000-character comment in the first data row, 400 KB in all (between 256 KB and 1 MB)."""
    rows = ["response_id,nps,date,comment", f'R1,9,2024-03-01,"{"x" * HUGE_FIELD}"']
    rows += [f"R{i},{i % 11},2024-03-{i % 28 + 1:02d},comment number {i}" for i in range(2, 2001)]
    return "survey_long_comment.csv", ("\n".join(rows) + "\n").encode("utf-8")


def blank_header_cell_csv() -> tuple[str, bytes]:
    """Three accounts under a header whose middle cell is blank."""
    return "accounts_blank_header.csv", b"account_id,,revenue\nA1,x,100\nA2,y,200\nA3,z,300\n"


# NPS answers: 10 valid ones (promoters 9,10,9,10,9; passives 8,7; detractors 6,0,3) and 4 invalid ones.
NPS_VALID = ("9", "10", "9", "10", "8", "7", "6", "0", "3", "9")
NPS_INVALID = ("11", "-1", "ten", "9.5")


def nps_out_of_range_csv() -> tuple[str, bytes]:
    """14 survey answers; rows 3, 6, 9, 12 of the file hold 11, -1, "ten" and 9.5."""
    answers = list(NPS_VALID)
    for position, value in zip((1, 4, 7, 10), NPS_INVALID):  # frame rows 1, 4, 7, 10 -> file rows 3, 6, 9, 12
        answers.insert(position, value)
    rows = ["response_id,account_id,date,nps"]
    rows += [f"R{i},A{i % 4},2024-03-{i:02d},{v}" for i, v in enumerate(answers, start=1)]
    return "survey_bad_scores.csv", ("\n".join(rows) + "\n").encode("utf-8")


def uncalculated_formulas_xlsx() -> tuple[str, bytes]:
    """Five accounts whose revenue is =B*C formulas saved with no calculated value (as scripts write them)."""
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as book:
        sheet = book.add_worksheet("Accounts")
        sheet.write_row(0, 0, ["account_id", "seats", "price", "revenue"])
        for i in range(1, 6):
            sheet.write_row(i, 0, [f"A{i}", i, 10])
            sheet.write_formula(i, 3, f"=B{i + 1}*C{i + 1}")
    # xlsxwriter saves 0 as each formula's result; remove the results, as openpyxl and other scripts leave them.
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", data)
            dst.writestr(info.filename, data)
    return "accounts_formulas.xlsx", out.getvalue()


TSV_ROWS = 400
# Comments using " as a character: an opening quote never closed on its line, inches, a quoted word at the start.
TSV_QUOTED = {7: '"Best support ever', 50: '5" screen is too small', 93: '"fast" and friendly', 160: 'said "meh',
              222: '"no', 301: 'ok"'}


def literal_quotes_tsv() -> tuple[str, bytes]:
    """400 tickets, tab-separated, no quoting; six comments hold " as a plain character."""
    rows = ["ticket_id\taccount_id\tcreated_at\tsubject"]
    rows += [f"T{i}\tA{i % 37}\t2024-03-{i % 28 + 1:02d}\t{TSV_QUOTED.get(i, f'question {i}')}"
             for i in range(1, TSV_ROWS + 1)]
    return "tickets.tsv", ("\n".join(rows) + "\n").encode("utf-8")


BACKSLASH_COMMENT = 'He said \\"hi, there\\" and left'


def backslash_escaped_csv() -> tuple[str, bytes]:
    """20 tickets; every fifth subject is quoted with \\" for the quote marks inside it."""
    rows = ["ticket_id,account_id,created_at,subject"]
    rows += [f"T{i},A{i},2024-03-{i:02d}," + (f'"{BACKSLASH_COMMENT}"' if i % 5 == 0 else f"question {i}")
             for i in range(1, 21)]
    return "tickets_escaped.csv", ("\n".join(rows) + "\n").encode("utf-8")


def over_2_53_csv() -> tuple[str, bytes]:
    """Three accounts, one with a revenue of 2^53 + 1 (9007199254740993)."""
    return "accounts_big.csv", b"account_id,name,revenue\nA1,Acme,9007199254740993\nA2,Beta,200\nA3,Gamma,300\n"


def over_2_53_ids_csv() -> tuple[str, bytes]:
    """Three accounts whose ids are 17-digit numbers above 2^53."""
    return "accounts_big_ids.csv", (b"account_id,name,revenue\n9007199254740993,Acme,100\n"
                                    b"9007199254740995,Beta,200\n9007199254740997,Gamma,300\n")

"""Generated malformed CSV and XLSX uploads for the fuzz test and `python -m bench.fuzz` (fixed seed).

Each input is (kind, file name, bytes). Kinds: truncated CSV and XLSX, random bytes, mixed delimiters, huge
fields, stray quotes, deep XML nesting in a sheet, byte flips in a workbook, odd encodings, wide and ragged
rows, number-like extremes. Rule for every one (DuckDB's CSV fuzzing rule, made stricter for the app):
`inspect` may refuse it (exit 2, one line) or read it (exit 0), never crash (exit 1, a traceback).
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable, Iterator

import xlsxwriter

HEADER = ["account_id", "name", "revenue", "start_date", "nps", "comment"]


def _row(rng: random.Random, i: int) -> list[str]:
    return [f"A{i:05d}", rng.choice(["Acme", "Beta GmbH", "شركة", "Ünï", ""]), str(rng.randint(-5, 10**6)),
            f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", str(rng.randint(0, 10)),
            rng.choice(["fine", "slow, very slow", 'said "no"', "line\nbreak", "=1+1", ""])]


def _csv(rng: random.Random, rows: int, delimiter: str = ",") -> bytes:
    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in (delimiter, '"', "\n")) else v
    lines = [delimiter.join(HEADER)] + [delimiter.join(cell(v) for v in _row(rng, i)) for i in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _xlsx(rng: random.Random, rows: int) -> bytes:
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as book:
        sheet = book.add_worksheet("Data")
        sheet.write_row(0, 0, HEADER)
        for i in range(rows):
            sheet.write_row(i + 1, 0, _row(rng, i))
    return buf.getvalue()


def truncated_csv(rng: random.Random) -> bytes:
    data = _csv(rng, rng.randint(5, 300))
    return data[: rng.randint(1, len(data))]


def truncated_xlsx(rng: random.Random) -> bytes:
    data = _xlsx(rng, rng.randint(5, 100))
    return data[: rng.randint(4, len(data) - 1)]


def random_bytes(rng: random.Random) -> bytes:
    n = rng.choice([1, 7, 100, 5_000, 70_000])
    if rng.random() < 0.5:  # text-like noise: mostly printable, some controls
        return bytes(rng.choice(b"abc,;\t|\"'\n\r 0123456789.-\x00\x1b\xff\xfe") for _ in range(n))
    return rng.randbytes(n)


def mixed_delimiters(rng: random.Random) -> bytes:
    lines = [rng.choice(",;\t|").join(HEADER)]
    for i in range(rng.randint(5, 200)):
        lines.append(rng.choice(",;\t|").join(_row(rng, i)[:5]))
    return "\n".join(lines).encode("utf-8")


def huge_field(rng: random.Random) -> bytes:
    width = rng.choice([131_073, 200_000, 400_000, 1_100_000])
    rows = [",".join(HEADER)]
    for i in range(rng.randint(2, 50)):
        row = _row(rng, i)[:5]
        if i == rng.randint(0, 3):
            row.append(('"' + "x" * width + '"') if rng.random() < 0.5 else "y" * width)
        rows.append(",".join(row))
    return "\n".join(rows).encode("utf-8")


def stray_quotes(rng: random.Random) -> bytes:
    data = bytearray(_csv(rng, rng.randint(5, 200), rng.choice(",\t;")))
    for _ in range(rng.randint(1, 20)):
        data.insert(rng.randint(0, len(data)), ord(rng.choice('"\\')))
    return bytes(data)


def deep_xml(rng: random.Random) -> bytes:
    """A workbook whose sheet XML nests an element tens of thousands deep (or holds a billion-laughs DTD)."""
    base = zipfile.ZipFile(io.BytesIO(_xlsx(rng, 3)))
    depth = rng.choice([1_000, 50_000, 200_000])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in base.infolist():
            data = base.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                if rng.random() < 0.5:
                    nest = b"<x>" * depth + b"</x>" * depth
                    data = data.replace(b"<sheetData>", b"<sheetData>" + nest, 1)
                else:
                    dtd = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">'
                           + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + k]), (b"&" + bytes([97 + k]) + b";") * 10)
                                      for k in range(8)) + b"]>")
                    data = dtd + data.split(b"?>", 1)[-1].replace(b"<sheetData>", b"<sheetData>&i;", 1)
            dst.writestr(info.filename, data)
    return out.getvalue()


def flipped_xlsx(rng: random.Random) -> bytes:
    data = bytearray(_xlsx(rng, rng.randint(5, 50)))
    for _ in range(rng.randint(1, 30)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def odd_encoding(rng: random.Random) -> bytes:
    text = _csv(rng, rng.randint(3, 100)).decode("utf-8")
    choice = rng.randrange(5)
    if choice == 0:
        return text.encode("utf-16")[: -rng.randint(0, 1) or None]  # maybe an odd byte count
    if choice == 1:
        return b"\xef\xbb\xbf" + text.encode("cp1252", errors="replace") + b"\xff\xfe"
    if choice == 2:
        return text.encode("utf-16-be")
    if choice == 3:
        return b"\xff\xfe" + rng.randbytes(rng.randint(1, 500))
    return text.encode("utf-8").replace(b"e", b"\xe9", rng.randint(1, 50))


def wide_ragged(rng: random.Random) -> bytes:
    width = rng.choice([1, 2, 300, 3_000])
    lines = [",".join(f"c{j}" if rng.random() > 0.1 else "" for j in range(width))]
    for _ in range(rng.randint(0, 60)):
        lines.append(",".join(str(rng.randint(0, 9)) for _ in range(rng.randint(0, width + 5))))
    return "\n".join(lines).encode("utf-8")


def number_extremes(rng: random.Random) -> bytes:
    values = ["9007199254740993", "-9223372036854775809", "1e400", "NaN", "inf", "-0", "0x1F", "1,2,3", "١٢٣",
              "99999999999999999999999999", "1.7976931348623157e309", "00000000000000000001", "1/0/2024", "31/02/2024"]
    rows = ["account_id,revenue,nps,start_date,seats"]
    for i in range(rng.randint(3, 80)):
        rows.append(",".join([rng.choice(values + [f"A{i}"]), *(rng.choice(values) for _ in range(4))]))
    return "\n".join(rows).encode("utf-8")


KINDS: dict[str, tuple[Callable[[random.Random], bytes], str]] = {
    "truncated_csv": (truncated_csv, ".csv"), "truncated_xlsx": (truncated_xlsx, ".xlsx"),
    "random_bytes": (random_bytes, ".csv"), "mixed_delimiters": (mixed_delimiters, ".csv"),
    "huge_field": (huge_field, ".csv"), "stray_quotes": (stray_quotes, ".csv"), "deep_xml": (deep_xml, ".xlsx"),
    "flipped_xlsx": (flipped_xlsx, ".xlsx"), "odd_encoding": (odd_encoding, ".csv"),
    "wide_ragged": (wide_ragged, ".csv"), "number_extremes": (number_extremes, ".csv"),
}


def generate(count: int, seed: int = 19) -> Iterator[tuple[str, str, bytes]]:
    """``count`` inputs, kinds in turn, each from its own seeded generator: (kind, file name, bytes)."""
    names = list(KINDS)
    for i in range(count):
        kind = names[i % len(names)]
        make, ext = KINDS[kind]
        yield kind, f"fuzz_{i:04d}_{kind}{ext}", make(random.Random(seed * 1_000_003 + i))

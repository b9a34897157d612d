"""A CSV's text: its encoding (a fixed ladder of likely ones), its delimiter and its first records."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from itertools import islice

from cs_logic.read.spreadsheet import IngestError

RESAVE = "save it as CSV UTF-8 or XLSX and upload again"

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}
HEAD_CHARS = 256 * 1024
HEAD_RECORDS = 50


def utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when NUL bytes sit in alternating positions, as in UTF-16 text."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1 : 2 * pairs : 2].count(0)
    if odd >= 0.1 * pairs and even <= 0.01 * pairs:
        return "utf-16-le"
    if even >= 0.1 * pairs and odd <= 0.01 * pairs:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and encoding by a fixed ladder: BOM, UTF-16 without BOM, UTF-8, Windows-1256, Mac Roman, Windows-1252.

    Examples
    --------
    >>> decode_text("San José".encode("mac_roman"))
    ('San José', 'mac_roman')
    """
    text, encoding, _ = decode(data)
    return text, encoding


# Why an encoding was used, when the file says so itself (the note shows only for encodings other than UTF-8).
BOM_NOTE = "read as {encoding} (the file starts with a byte-order mark)"


def decode(data: bytes) -> tuple[str, str, str]:
    """(text, encoding, why) for :func:`decode_text` and the reader's note."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return _strict(data, encoding), encoding, BOM_NOTE.format(encoding=encoding.upper())
    if utf16 := utf16_without_bom(data):
        return _strict(data, utf16), utf16, "read as UTF-16 (no byte-order mark, but every other byte is zero)"
    try:
        return data.decode("utf-8"), "utf-8", "read as UTF-8"
    except UnicodeDecodeError:
        pass
    arabic = data.decode("cp1256", errors="replace")
    if _arabic_share(arabic) >= 0.5:
        return arabic, "cp1256", "not UTF-8; read as Windows-1256 because its bytes form Arabic-script words"
    if _mac_roman_votes(data) > 0:
        why = "not UTF-8; read as Mac Roman because only then its accented letters sit inside words"
        return data.decode("mac_roman"), "mac_roman", why
    why = "not UTF-8; read as Windows-1252 (check accented letters in the preview)"
    return data.decode("cp1252", errors="replace"), "cp1252", why


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(f"the text is not valid {encoding.upper()} (byte {exc.start:,}); {RESAVE}") from exc


def _arabic_share(text: str) -> float:
    """Share of non-ASCII characters that are Arabic-script letters in runs of two or more (words, not stray bytes)."""
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    runs = re.findall(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]{2,}", text)
    letters = sum(1 for run in runs for ch in run if unicodedata.category(ch) == "Lo")
    return letters / non_ascii if non_ascii else 0.0


def _mac_roman_votes(data: bytes, limit: int = 20_000) -> int:
    """Votes for Mac Roman over Windows-1252: +1 where only Mac Roman gives a plausible letter, -1 the reverse."""
    latin = data.decode("latin-1")
    votes = 0
    for match in islice(re.finditer(r"[\x80-\xff]", latin), limit):
        i = match.start()
        byte = bytes([ord(latin[i])])
        prev, nxt = latin[i - 1 : i] or " ", latin[i + 1 : i + 2] or " "
        mac_ok = _plausible(byte.decode("mac_roman"), prev, nxt)
        win_ok = _plausible(byte.decode("cp1252", errors="replace"), prev, nxt)
        votes += int(mac_ok) - int(win_ok)
    return votes


def _plausible(ch: str, prev: str, nxt: str) -> bool:
    """Whether a decoded character makes sense between its neighbours (a letter in a word, a quote, a symbol)."""
    if ch.isalpha():
        return not (ch.isupper() and prev.islower()) and (prev.isalpha() or nxt.isalpha() or prev in " '")
    if ch in "’'":
        return prev.isalpha()
    if ch in "‘“«":
        return not prev.isalnum() and nxt.isalnum()
    if ch in "”»":
        return prev.isalnum() or prev in ".!?"
    if ch in "–—…•":
        return prev in " \t" or ch == "…"
    if ch in "€£¥°%":
        return prev.isdigit() or nxt.isdigit() or prev == " "
    return ch in "©®™§¶·" or ch.isspace()


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that gives the most consistent field count over the first records.

    Examples
    --------
    >>> sniff_delimiter("name;score\\nAnn;1,5\\nBob;2,5\\n")
    ';'
    """
    best, best_key = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in _head_records(text, delimiter) if any(cell.strip() for cell in row)]
        if not counts:
            continue
        width, freq = Counter(counts).most_common(1)[0]
        key = (freq / len(counts), width) if width >= 2 else (0.0, 0)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _head_records(text: str, delimiter: str, limit: int = HEAD_RECORDS) -> list[list[str]]:
    """The first records of the text, quotes respected; a record cut by the sample's end is dropped."""
    head = text[:HEAD_CHARS]
    rows: list[list[str]] = []
    try:
        rows.extend(islice(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), limit))
    except csv.Error:
        pass
    if len(text) > HEAD_CHARS and len(rows) < limit and rows:
        rows.pop()
    return rows


def utf8_head(data: bytes) -> str | None:
    """The first HEAD_CHARS bytes as text when the file has no byte-order mark and they are UTF-8 (a character
    cut by the end is dropped); None otherwise. Decoding a 100 MB file whole took longer than Arrow reading it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16_without_bom(data):
        return None
    head = data[3:HEAD_CHARS] if data.startswith(b"\xef\xbb\xbf") else data[:HEAD_CHARS]
    for cut in range(4):
        try:
            return head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                return None
    return None


def layout(text: str) -> tuple[str, int]:
    """The delimiter and the widest of the first records."""
    delimiter = sniff_delimiter(text)
    return delimiter, max((len(row) for row in _head_records(text, delimiter)), default=1)

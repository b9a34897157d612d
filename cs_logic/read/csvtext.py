"""A CSV's text: its encoding (a fixed ladder of likely ones), its delimiter and its first records."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import islice

from cs_logic.read.spreadsheet import IngestError

RESAVE = "save it as CSV UTF-8 or XLSX and upload again"

DELIMITERS = (",", ";", "\t", "|")
# Columns aligned by runs of spaces (or tabs mixed with spaces), as a fixed-layout text export or a data set's .txt
# writes them (CDNOW's " 00001 19970101  1   11.77"); named as pandas names the same split (``sep=r"\s+"``).
SPACE_RUNS = r"\s+"
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)",
                   SPACE_RUNS: "runs of spaces"}
# Share of a sample's records that must have the usual field count for a split to count as consistent.
CONSISTENT = 0.9
_SPACE_RUN = re.compile(r"[ \t]+")
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
    """The delimiter among , ; tab | that gives the most consistent field count over the first records; runs of
    spaces (SPACE_RUNS) only when none of those splits the records consistently into two or more fields and runs
    of spaces do, so a CSV whose values hold spaces is never split there.

    Examples
    --------
    >>> sniff_delimiter("name;score\\nAnn;1,5\\nBob;2,5\\n")
    ';'
    >>> sniff_delimiter(" id   date  amount\\n 001 20240101  9.50\\n 002 20240102 12.00\\n") == SPACE_RUNS
    True
    """
    best, best_key = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        key = _consistency(_head_records(text, delimiter))
        if key > best_key:
            best, best_key = delimiter, key
    if best_key[0] < CONSISTENT:
        spaced = _consistency(space_records(text))
        if spaced[0] >= CONSISTENT and spaced > best_key:
            return SPACE_RUNS
    return best


def _consistency(records: list[list[str]]) -> tuple[float, int]:
    """(share of the non-blank records with the usual field count, that count); (0, 0) when the count is 1."""
    counts = [len(row) for row in records if any(cell.strip() for cell in row)]
    if not counts:
        return 0.0, 0
    width, freq = Counter(counts).most_common(1)[0]
    return (freq / len(counts), width) if width >= 2 else (0.0, 0)


def space_records(text: str, limit: int | None = HEAD_RECORDS, chars: int = HEAD_CHARS) -> list[list[str]]:
    """The first records of the text split at runs of spaces and tabs, each line trimmed first (a line cut by the
    sample's end is dropped, as in _head_records).

    >>> space_records(" 00001 19970101  1   11.77\\r\\n\\t00002\\t 19970112 5 77.00\\n")
    [['00001', '19970101', '1', '11.77'], ['00002', '19970112', '5', '77.00']]
    """
    lines = text[:chars].splitlines()
    if len(text) > chars and len(lines) > 1:
        lines.pop()
    trimmed = (line.strip(" \t") for line in islice(lines, limit))
    return [_SPACE_RUN.split(line) if line else [""] for line in trimmed]


def space_runs_to_tabs(data: bytes) -> bytes:
    """UTF-8 (or any ASCII-compatible) text aligned by runs of spaces made tab-separated: each line trimmed of the
    spaces and tabs at its ends, each run inside it one tab. The readers take one-character delimiters only.

    >>> space_runs_to_tabs(b" 00001 19970101  1   11.77\\r\\n 00002 19970112 5 77.00 \\n")
    b'00001\\t19970101\\t1\\t11.77\\r\\n00002\\t19970112\\t5\\t77.00\\n'
    """
    trimmed = re.sub(rb"(?m)^[ \t]+|[ \t]+(?=\r?$)", b"", data)
    return re.sub(rb"[ \t]+", b"\t", trimmed)


@dataclass(frozen=True)
class Dialect:
    """How a CSV's text is split: the delimiter, the quote character (None: quotes are plain characters) and the
    escape character inside quotes (None: a quote inside quotes is doubled, as Excel writes it)."""

    delimiter: str = ","
    quote: str | None = '"'
    escape: str | None = None

    def describe(self) -> str:
        """How the quotes were read, in the manager's words."""
        if self.quote is None:
            return "quote marks taken as plain characters (the file does not use them for quoting)"
        if self.escape:
            return f"quoted values with {self.escape}\" for a quote mark inside them"
        return "quoted values with \"\" for a quote mark inside them"


# The quoting candidates tried for the chosen delimiter, in the order preferred on a tie (DuckDB's sniffer tries
# quote and escape characters the same way and keeps the candidate whose records have consistent columns).
QUOTINGS = (('"', None), ('"', "\\"), (None, None))
# Text over which the quoting is decided: quotes can be rare (27 rows in 3,993), so more than the delimiter's sample.
QUOTING_CHARS = 1024 * 1024


@dataclass(frozen=True)
class Layout:
    """A CSV's dialect, the widest of its first records, and the other plausible reading when one exists."""

    dialect: Dialect
    width: int
    records: int  # records in the sample under ``dialect``
    alternative: tuple[Dialect, int] | None = None  # another consistent dialect and its records in the sample


def layout(text: str) -> Layout:
    """The dialect (delimiter, quote, escape) and the widest of the first records.

    The delimiter is the one with the most consistent field count over the first records; then each way of
    reading quotes is tried on up to QUOTING_CHARS of text and the one giving the most records of the usual width
    is kept (ties go to Excel's own quoting; a comma file is always read with quotes). A second quoting that is as consistent but gives a different number
    of records is kept as ``alternative`` so the manager can be told.

    >>> found = layout('id\\tcomment\\n1\\t"Best ever\\n2\\tok\\n3\\t5" screen\\n4\\tfine\\n')
    >>> found.dialect.quote, found.width, found.records, found.alternative[1]
    (None, 2, 5, 3)
    """
    delimiter = sniff_delimiter(text)
    if delimiter == SPACE_RUNS:  # quote marks are plain characters: a quoted value with spaces would not align
        spaced = space_records(text)
        return Layout(Dialect(SPACE_RUNS, None), max((len(row) for row in spaced), default=1), len(spaced))
    if '"' not in text[:QUOTING_CHARS]:
        dialect = Dialect(delimiter)
        records = _head_records(text, delimiter)
        return Layout(dialect, max((len(row) for row in records), default=1), len(records))
    trials = []
    for rank, (quote, escape) in enumerate(QUOTINGS):
        if escape and "\\" + (quote or "") not in text[:QUOTING_CHARS]:
            continue
        dialect = Dialect(delimiter, quote, escape)
        records = _head_records(text, delimiter, limit=None, quote=quote, escape=escape, chars=QUOTING_CHARS)
        counts = [len(row) for row in records if any(cell.strip() for cell in row)]
        width, freq = Counter(counts).most_common(1)[0] if counts else (1, 0)
        # A comma file without quoting is never chosen (Excel and every CSV writer quote with "; a quote there that
        # never closes is damage, refused naming its row), only reported as the other reading. Tab-separated text
        # (IANA's format has no quoting) and other delimiters are read either way.
        eligible = quote is not None or delimiter != ","
        trials.append(((eligible, freq, freq / max(len(counts), 1), -rank), dialect, records, width))
    trials.sort(key=lambda trial: trial[0], reverse=True)
    (_, dialect, records, width), others = trials[0], trials[1:]
    alternative = next(((d, len(r)) for k, d, r, w in others
                        if w == width and k[2] >= 0.9 and len(r) != len(records) and d.quote != dialect.quote), None)
    head = records[:HEAD_RECORDS]
    return Layout(dialect, max((len(row) for row in head), default=1), len(records), alternative)


def field_limit() -> None:
    """Let Python's csv reader take fields of any length (its default limit, 131,072 characters, made a field of
    300,000 characters end the sample, and the file was read as one column)."""
    if csv.field_size_limit() < 2**31 - 1:
        csv.field_size_limit(2**31 - 1)


def _head_records(text: str, delimiter: str, limit: int | None = HEAD_RECORDS, quote: str | None = '"',
                  escape: str | None = None, chars: int = HEAD_CHARS) -> list[list[str]]:
    """The first records of the text, quotes read as ``quote``/``escape`` say; a record cut by the sample's end is
    dropped (never the only one: a first data row longer than the sample leaves the header to go by)."""
    field_limit()
    head = text[:chars]
    options = {"quoting": csv.QUOTE_NONE} if quote is None else {"quotechar": quote, "escapechar": escape,
                                                                   "doublequote": escape is None}
    rows: list[list[str]] = []
    try:  # row by row: a csv.Error keeps the records read before it
        for row in islice(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter, **options), limit):
            rows.append(row)  # noqa: PERF402
    except csv.Error:
        pass
    if len(text) > chars and (limit is None or len(rows) < limit) and len(rows) > 1:
        rows.pop()
    return rows


def utf8_head(data: bytes) -> str | None:
    """The first QUOTING_CHARS bytes as text when the file has no byte-order mark and they are UTF-8 (a character
    cut by the end is dropped); None otherwise. Decoding a 100 MB file whole took longer than Arrow reading it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16_without_bom(data):
        return None
    head = data[3:QUOTING_CHARS] if data.startswith(b"\xef\xbb\xbf") else data[:QUOTING_CHARS]
    for cut in range(4):
        try:
            return head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                return None
    return None

"""Text from a file made safe to show: Markdown escaped for labels, bidirectional controls made visible."""

from __future__ import annotations

import re
from typing import Any

_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$:="
# GitHub-flavoured Markdown turns bare URLs, www. names and e-mail addresses into links even when
# their punctuation is escaped; a zero-width space keeps them as plain text.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)


def md_escape(text: str) -> str:
    r"""Text from a file (a column header, a scorecard's name) made safe for a label that renders markdown.

    Every Markdown character is backslash-escaped, and bare links are broken with a zero-width space,
    so a header like ``[click](http://evil.example)`` shows as text and fetches nothing.

    Examples
    --------
    >>> md_escape("**Revenue** $")
    '\\*\\*Revenue\\*\\* \\$'
    >>> "\u200b" in md_escape("see http://x.io")
    True
    """
    text = _AUTOLINK.sub("\u200b", str(text))
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)


# Bidirectional embedding, override and isolate controls (the "Trojan Source" set): inside a name they reorder what
# the grid and the report show, so "gnp\u202e.exe" reads as "exe.png". Marks such as U+200F and the zero-width
# non-joiner that Persian text needs are left alone: they reorder nothing around them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def show_controls(text: str) -> str:
    r"""Text with each bidirectional control shown as its code (``\u202E``) instead of acting on the text.

    Examples
    --------
    >>> show_controls("gnp\u202eexe.png")
    'gnp\\u202Eexe.png'
    >>> show_controls("خیلی خوب")
    'خیلی خوب'
    """
    return BIDI_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04X}", text)


def shown_frame(df: Any) -> Any:
    """A DataFrame for display with :func:`show_controls` applied to its text cells and headers; the same
    object when no cell holds a control (the usual case: one vectorised search per text column, no copy)."""
    import pandas as pd  # kept local: the rest of this module is plain text handling

    frame: pd.DataFrame = df
    hits = []
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            text = col.astype("string")
            if bool(text.str.contains(BIDI_CONTROLS.pattern, regex=True).fillna(False).any()):
                hits.append(i)
    names_hit = any(isinstance(c, str) and BIDI_CONTROLS.search(c) for c in frame.columns)
    if not hits and not names_hit:
        return df
    out = frame.copy()
    for i in hits:
        col = out.iloc[:, i]
        out.isetitem(i, pd.Series([show_controls(v) if isinstance(v, str) else v for v in col], index=col.index,
                                  dtype=object))
    if names_hit:
        out.columns = [show_controls(c) if isinstance(c, str) else c for c in out.columns]
    return out

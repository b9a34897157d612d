"""Text from a file made safe for Streamlit labels and captions, which render Markdown."""

from __future__ import annotations

import re

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

"""One problem found in an upload: where it is, what the value was, and what the app did about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A single finding in a file, reported to the manager as one row of the problem table.

    Parameters
    ----------
    message : what is wrong, in words a manager understands ("not a whole number from 0 to 10").
    column : the column as the file names it, or None for file-level findings.
    row : the row number as the manager sees it in the file (1-based, counting the header
        and any title lines, like a spreadsheet), or None for column- or file-level findings.
    value : the offending value as text (cut to 200 characters), or None.
    action : what the app did ("kept the row, left the value blank", "left the row out").
    severity : "error" (something could not be used), "warning" (used with a change) or "info".
    file : the file name, filled in by whoever collects problems across files.

    Examples
    --------
    >>> Problem("not a whole number from 0 to 10", column="NPS", row=14, value="11",
    ...         action="kept the row; the score is not counted").severity
    'warning'
    """

    message: str
    column: str | None = None
    row: int | None = None
    value: str | None = None
    action: str = ""
    severity: str = "warning"
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The problem as a plain dict (for JSON and DataFrames)."""
        return asdict(self)


def clip_value(value: object, limit: int = 200) -> str | None:
    """A value as short text for a report; None stays None.

    >>> clip_value("x" * 250)[-1]
    '…'
    """
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""Unknown is a value: how cs_logic says that the data cannot support a figure, and why.

The convention, used everywhere a figure may be unknown:

- A figure the data cannot support is ``None``: never 0 from a sum over nothing, never a figure resting
  on a default date (1970-01-01, today) or on an assumption the data does not make (an end date
  invented for an undated churn flag).
- The record that carries the figure carries the reason beside it, in words a manager can act on
  (which field, which file, n = 0): a ``reason`` (or ``<figure>_reason``) field that is ``None``
  exactly when the figure is known. :class:`Figure` is that pair for a lone value.
- Pages show "–" with the reason; ``summary --json`` prints ``null`` and lists the reasons under
  ``notes`` (:func:`note`).

>>> as_of_from([]).value is None, as_of_from([]).reason[:17]
(True, 'No loaded file ha')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pandas as pd

T = TypeVar("T")

NO_DATE = ("No loaded file has a date, so the as-of date is unknown: set one (the command line's --as-of); "
           "it is never taken as today.")
NO_CHURN_FIELD = "no churn field (no churn flag, status or end date) in the accounts"
NOTHING_SCORED = "no account has a health score (no measure with a value, or every weight is 0)"


@dataclass(frozen=True)
class Figure(Generic[T]):
    """A value, or ``None`` with the reason it is unknown (exactly one of the two is set).

    >>> Figure.unknown("n = 0").shown()
    '–'
    >>> Figure.known(2.5).shown()
    '2.5'
    """

    value: T | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("A Figure is either a value or the reason it is unknown.")

    @classmethod
    def known(cls, value: T) -> Figure[T]:
        return cls(value, None)

    @classmethod
    def unknown(cls, reason: str) -> Figure[T]:
        return cls(None, reason)

    @property
    def is_known(self) -> bool:
        return self.value is not None

    def shown(self) -> str:
        """The value as text, or "–" where it is unknown."""
        return "–" if self.value is None else str(self.value)


def as_of_from(dates: Iterable[Any]) -> Figure[dt.date]:
    """The as-of date: the latest of ``dates`` (blanks skipped), unknown with the reason when there is none.

    >>> as_of_from([dt.date(2024, 1, 2), None, dt.date(2024, 3, 4)]).value
    datetime.date(2024, 3, 4)
    """
    found = [d for d in dates if d is not None and not pd.isna(d)]
    if not found:
        return Figure.unknown(NO_DATE)
    latest = max(found)
    return Figure.known(latest.date() if isinstance(latest, dt.datetime) else latest)


def note(notes: list[str], where: str, reason: str | None) -> None:
    """Add "where: reason" to ``notes`` once (a command line's ``notes`` list); nothing when ``reason`` is None.

    >>> n: list[str] = []; note(n, "accounts.churned", "no churn field"); note(n, "x", None); n
    ['accounts.churned: no churn field']
    """
    if reason and f"{where}: {reason}" not in notes:
        notes.append(f"{where}: {reason}")

"""Shared pieces of the strategies: wire types, the date range, small helpers and the record days."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")
Wire = dict[str, Any]

_FIRST_DAY = dt.date(1990, 1, 1)
_LAST_DAY = dt.date(2089, 12, 31)


def dates(min_value: dt.date = _FIRST_DAY, max_value: dt.date = _LAST_DAY) -> st.SearchStrategy[dt.date]:
    """Calendar dates in a range (default 1990-2089).

    Args:
        min_value: The earliest date.
        max_value: The latest date.

    Returns:
        A strategy of :class:`datetime.date`.
    """
    return st.dates(min_value=min_value, max_value=max_value)


def _iso(date: dt.date) -> str:
    return date.isoformat()


def _maybe(wire: Wire, key: str, value: object, present: bool) -> Wire:
    if present:
        wire[key] = value
    return wire


def _values(enum_type: type[T]) -> st.SearchStrategy[str]:
    return st.sampled_from(tuple(str(member) for member in enum_type))  # type: ignore[attr-defined]


# --- Record days -----------------------------------------------------------------------------
#
# Every date of a record is first drawn as a day of one year after a fixed epoch,
# often one of a few key days, so that assessments fall before, on and after each
# therapy start; then the whole record is shifted by a random number of days.

_EPOCH = _FIRST_DAY
_KEY_DAYS = (0, 1, 14, 30, 31, 90, 180)


def _epoch_day(days: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=days)


_DAY = st.one_of(st.sampled_from(_KEY_DAYS), st.integers(0, 365)).map(_epoch_day)
_LATER = st.integers(366, 800).map(_epoch_day)
_SHIFT = st.integers(0, (_LAST_DAY - _EPOCH).days - 800)

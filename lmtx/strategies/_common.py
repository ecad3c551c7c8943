"""Shared pieces of the strategies: wire types, the date range, small helpers, the record days, invalid cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

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


class InvalidCase(NamedTuple):
    """An invalid input and where lmtx must report it.

    Attributes:
        payload: What to pass to :func:`lmtx.evaluate` as the patient: a
            mapping, JSON text, or some other (non-patient) value.
        as_of: The evaluation date to pass with it (``None`` for the default).
        path: The JSON path of (one of) the problems, as
            :class:`lmtx.Problem` reports it: ``$`` for the whole payload,
            ``therapies[1].dose_mg`` for a field.
        mutation: What was done to a valid record, in words.
        kind: The kind of mutation, e.g. ``wrong-type``, ``unknown-key``,
            ``non-finite``, ``deep-nesting``, ``two-active``.
    """

    payload: object
    as_of: dt.date | None
    path: str
    mutation: str
    kind: str = ""


_Mutate = Callable[[st.DrawFn, Wire], InvalidCase]
"""A mutation: makes a valid record (which it may change) an invalid case."""

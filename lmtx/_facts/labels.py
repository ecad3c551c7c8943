"""Facts as readable labels, for the trace and the explanations: ``neuro_exam(date=2026-02-01, symptoms=new)``."""

from __future__ import annotations

import datetime as dt
import functools

from lmtx._facts.common import DATE_FIELDS, NO_DATE, Fact

__all__ = ["describe_fact"]


_HIDDEN = frozenset({"t", "sid", "seq", "prev", "n"})
_USUAL: dict[str, object] = {"interval": 1, "above_standard": False, "linked_grade": 0, "holds_intrathecal": False}
_QUIET = frozenset({"as_of", "recent_from", "day", "window"})
"""Bookkeeping dates left out of labels (the evaluation date and the windows counted from it)."""
_FROM_START = frozenset({"chain_start", "primary_start", "run_date"})
"""Readings of a regimen's start, left out of a label when it starts with its own therapy."""
"""Therapy fields left out of a label when they hold the usual value (a daily dose, a real stop)."""


@functools.lru_cache(maxsize=4096)  # bounded: one entry per distinct day
def _iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def describe_fact(fact: Fact) -> str:
    """A readable, order-independent label such as ``neuro_exam(date=2026-02-01, symptoms=new)``.

    Bookkeeping fields (``seq``, ``prev``), absent values (``""``, no date) and usual ones
    (a daily interval, a regimen that starts with its own therapy) are left out.
    """
    parts = []
    for key, value in fact.items():
        if key in _HIDDEN or key in _QUIET or (key in _USUAL and value == _USUAL[key]):
            continue
        if (key in _FROM_START and value == fact.get("start")) or (key == "once_daily_mg" and value == fact["dose_mg"]):
            continue
        kind = type(value)
        if kind is str:
            if value:
                parts.append(f"{key}={value}")
        elif kind is bool:
            parts.append(f"{key}={'true' if value else 'false'}")
        elif kind is int and key in DATE_FIELDS:
            if value != NO_DATE:
                parts.append(f"{key}={_iso(value)}")
        elif kind is float and value.is_integer():
            parts.append(f"{key}={int(value)}")
        else:
            parts.append(f"{key}={value}")
    return f"{fact['t']}({', '.join(parts)})"

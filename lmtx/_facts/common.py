"""What every part of the facts shares: the fact type, days as ordinals, and the reading's windows."""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["AROUND_DAYS", "DATE_FIELDS", "NO_DATE", "RESUME_DAYS", "Fact", "day", "engine_number"]

Fact = dict[str, Any]
"""A flat record of scalars with its type in ``t``."""

NO_DATE = -1
DATE_FIELDS = frozenset(
    {"date", "start", "end", "onset", "done", "regimen_start", "judged_from", "stop"}
    | {"chain_start", "primary_start", "run_date"}
    | {"day", "window", "as_of", "recent_from"}
)
"""Every fact field that holds a day (as a proleptic ordinal, ``NO_DATE`` when absent).

The record's dates and the derived facts' fields that carry one of them on;
labels and explanations show these as ISO dates. A test derives the set from
the rules, so a new date-carrying field cannot be missed.
"""


MIN_ENGINE_DOSE = 0.0001
"""Doses below this reach the engine as this: smaller floats print with an exponent."""


def engine_number(dose: float) -> float:
    # durable-rules' JSON parser mishandles exponents (measured: 1e-05 aborts the process).
    # Python prints floats in [1e-4, 1e16) without one; doses are validated to <= 100 g, and
    # nothing in the rules distinguishes doses below 0.0001 mg. No other rounding: 159.9995 mg
    # must stay below 160.
    return max(float(dose), MIN_ENGINE_DOSE)


def day(date: dt.date | None) -> int:
    return date.toordinal() if date is not None else NO_DATE


AROUND_DAYS = 42
"""How long after its end a therapy still counts for a toxicity or the watch list (six weeks: chemotherapy
nadirs fall three to four weeks after a dose; docs/interpretation.md#toxicity)."""

RESUME_DAYS = 7
"""Days after a therapy's end within which a successor continues it (a regimen held, a dose changed)."""

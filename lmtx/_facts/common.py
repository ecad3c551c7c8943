"""What every part of the facts shares: the fact type, days as ordinals, and the reading's windows."""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["AROUND_DAYS", "DATE_FIELDS", "NO_DATE", "RESUME_DAYS", "Fact", "day"]

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


def day(date: dt.date | None) -> int:
    return date.toordinal() if date is not None else NO_DATE


AROUND_DAYS = 42
"""How long after its end a therapy still counts for a toxicity or the watch list (six weeks: chemotherapy
nadirs fall three to four weeks after a dose; docs/interpretation.md#toxicity)."""

RESUME_DAYS = 7
"""Days after a therapy's end within which a successor continues it (a regimen held, a dose changed)."""

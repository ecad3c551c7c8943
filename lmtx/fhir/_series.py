"""Dated findings in order: a series a day at a time, the performance-status history, the latest value.

Two different findings of one kind on one day are both left out, the same
finding twice is read once; two or more dated performance statuses make a
history (one a day, the latest issued where a day has several); a field with
one value takes the latest finding. Each step records which resources the
field of the record was read from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lmtx.fhir._input import split_ref
from lmtx.fhir._report import Dated, Findings, MappingIssue
from lmtx.model import PerformanceStatus


def ordered_series(found: Findings, items: list[Dated], name: str, sources: dict[str, tuple[str, ...]]) -> list[Dated]:
    """Order a dated series; two different findings on one day are both left out."""
    by_day: dict[dt.date, list[Dated]] = {}
    for item in items:
        assert item.date is not None
        by_day.setdefault(item.date, []).append(item)
    kept: list[Dated] = []
    for day in sorted(by_day):
        group = by_day[day]
        if len({g.value for g in group}) > 1:
            for g in group:
                others = ", ".join(o.source for o in group if o is not g)
                found.issues.append(
                    MappingIssue(
                        *split_ref(g.source),
                        "unmapped",
                        f"a different {name} finding on the same day ({others}); neither is used",
                        name,
                    )
                )
            continue
        kept.append(group[0])
        for duplicate in group[1:]:
            found.issues.append(
                MappingIssue(
                    *split_ref(duplicate.source),
                    "ambiguous",
                    f"same finding as {group[0].source} on the same day; read once",
                    name,
                )
            )
    for i, item in enumerate(kept):
        sources[f"{name}[{i}]"] = (item.source,)
    return kept


def performance_history(
    found: Findings, sources: dict[str, tuple[str, ...]]
) -> PerformanceStatus | tuple[PerformanceStatus, ...] | None:
    """One assessment as today; two or more dated ones a history, one a day (undated ones left out)."""
    dated = [d for d in found.performance if d.date is not None]
    if len(dated) < 2:
        value: PerformanceStatus | None = _latest(found.performance, "performance_status", sources)
        return value
    field = "performance_status"
    for item in found.performance:
        if item.date is None:
            found.issues.append(
                MappingIssue(
                    *split_ref(item.source),
                    "unmapped",
                    f"an undated performance status cannot join a history of {len(dated)} dated ones; not used",
                    field,
                )
            )
    by_day: dict[dt.date, list[Dated]] = {}
    for item in dated:
        assert item.date is not None
        by_day.setdefault(item.date, []).append(item)
    kept = [chosen for day in sorted(by_day) if (chosen := _one_a_day(found, by_day[day])) is not None]
    if len(kept) == 1:
        sources[field] = (kept[0].source,)
        single: PerformanceStatus = kept[0].value
        return single
    for i, item in enumerate(kept):
        sources[f"{field}[{i}]"] = (item.source,)
    return tuple(item.value for item in kept) or None


def _one_a_day(found: Findings, group: list[Dated]) -> Dated | None:
    """The performance status of one day: the same finding read once, else the latest issued; else none."""
    field = "performance_status"
    group = sorted(group, key=lambda d: d.source)
    if len(group) == 1:
        return group[0]
    if len({g.value for g in group}) == 1:
        for duplicate in group[1:]:
            found.issues.append(
                MappingIssue(
                    *split_ref(duplicate.source),
                    "ambiguous",
                    f"same performance status as {group[0].source} on the same day; read once",
                    field,
                )
            )
        return group[0]
    issued = [g.issued for g in group]
    latest = max((i for i in issued if i is not None), default=None)
    if latest is not None and None not in issued and issued.count(latest) == 1:
        chosen = group[issued.index(latest)]
        for other in group:
            if other is not chosen:
                found.issues.append(
                    MappingIssue(
                        *split_ref(other.source),
                        "unmapped",
                        f"a different performance status on the same day ({chosen.source}) was issued later; "
                        "only that one is used",
                        field,
                    )
                )
        return chosen
    for g in group:
        others = ", ".join(o.source for o in group if o is not g)
        found.issues.append(
            MappingIssue(
                *split_ref(g.source),
                "unmapped",
                f"a different performance status on the same day ({others}) and no later issue time says "
                "which holds; neither is used",
                field,
            )
        )
    return None


def latest_dated(items: list[Dated], name: str, sources: dict[str, tuple[str, ...]]) -> tuple[Any, dt.date | None]:
    """The value of the latest dated item and its date (see :func:`_latest`); ``(None, None)`` when there is none."""
    value = _latest(items, name, sources)
    if value is None:
        return None, None
    chosen = next(d for d in items if d.source == sources[name][0])
    return value, chosen.date


def _latest(items: list[Dated], name: str, sources: dict[str, tuple[str, ...]]) -> Any:
    """The value of the latest dated item (undated ones count as oldest); ``None`` when there is none."""
    if not items:
        return None
    ordered = sorted(items, key=lambda d: (d.date or dt.date.min, d.source))
    chosen = ordered[-1]
    sources[name] = (chosen.source,)
    return chosen.value

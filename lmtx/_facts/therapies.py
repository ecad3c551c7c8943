"""The therapies as the rules read them: regimens recorded in pieces, changes of dose, one fact each.

A regimen may be recorded in pieces (a hold, a refill entered as a new
therapy); a stopped osimertinib followed by another may be a change of dose
rather than a stop. Both readings are computed here, once per record, and
carried on each therapy's fact (``run_start``, ``dose_change``), so that the
rules match plain fields (docs/interpretation.md#initial,
docs/interpretation.md#stopped-osimertinib).
"""

from __future__ import annotations

import datetime as dt

from lmtx._facts.common import RESUME_DAYS, Fact, day
from lmtx.drugs import Agent, daily_dose, drug_class, effective_route
from lmtx.model import Therapy, TherapyStatus
from lmtx.rules._common import HIGH_DOSE_MG

__all__ = ["is_dose_change", "run_starts", "therapy_fact"]


def _is_high_dose_daily(therapy: Therapy) -> bool:
    """Osimertinib 160 mg or more, once a day (docs/interpretation.md#initial)."""
    return (
        therapy.agent is Agent.OSIMERTINIB
        and (therapy.dose_mg or 0.0) >= HIGH_DOSE_MG
        and (therapy.interval_days or 1) == 1
        and therapy.status is not TherapyStatus.PLANNED
        and therapy.start is not None
    )


def run_starts(therapies: tuple[Therapy, ...]) -> dict[int, dt.date]:
    """The start of each 160 mg regimen recorded in pieces, by the index of its last piece.

    A piece continues the chain that ends in the next when it starts before it and ends
    no more than :data:`RESUME_DAYS` days before the next begins (an overlap counts); the
    chain's start is the start of its earliest piece.
    """
    pieces = [(i, t) for i, t in enumerate(therapies) if _is_high_dose_daily(t)]
    starts: dict[int, dt.date] = {}
    for i, last in pieces:
        current = last
        while True:
            assert current.start is not None
            earlier = [
                t
                for _, t in pieces
                if t.start is not None
                and t.start < current.start
                and t.end is not None
                and current.start <= t.end + dt.timedelta(days=RESUME_DAYS)
            ]
            if not earlier:
                break
            current = min(earlier, key=lambda t: t.start or dt.date.max)
        assert current.start is not None
        starts[i] = current.start
    return starts


def is_dose_change(stopped: Therapy, therapies: tuple[Therapy, ...]) -> bool:
    """Whether a stopped osimertinib was a change of dose, not a stop (docs/interpretation.md#stopped-osimertinib).

    Recorded as ``dose-change`` with another osimertinib begun after it (a planned one
    without a start counts); or, with no reason recorded, ended and followed within
    :data:`RESUME_DAYS` days by another osimertinib, given, at the same or a higher daily dose.
    """
    if stopped.agent is not Agent.OSIMERTINIB or stopped.status is not TherapyStatus.STOPPED or stopped.start is None:
        return False
    others = [t for t in therapies if t is not stopped and t.agent is Agent.OSIMERTINIB]
    if stopped.stop_reason is not None:
        return stopped.stop_reason.value == "dose-change" and any(
            (t.start is None and t.status is TherapyStatus.PLANNED) or (t.start is not None and t.start > stopped.start)
            for t in others
        )
    if stopped.end is None:
        return False
    resume_by = stopped.end + dt.timedelta(days=RESUME_DAYS)
    return any(
        t.status is not TherapyStatus.PLANNED
        and t.start is not None
        and stopped.start < t.start <= resume_by
        and daily_dose(t) >= daily_dose(stopped)
        for t in others
    )


def therapy_fact(therapy: Therapy, run_start: dt.date | None, dose_change: bool) -> Fact:
    cls = drug_class(therapy)
    return {
        "agent": therapy.agent.value,
        "route": (route.value if (route := effective_route(therapy)) else ""),
        "dose_mg": float(therapy.dose_mg) if therapy.dose_mg is not None else 0.0,
        "interval": therapy.interval_days or 1,
        "once_daily_mg": float(therapy.dose_mg) if therapy.dose_mg and (therapy.interval_days or 1) == 1 else 0.0,
        "cls": cls.value if cls is not None else "",
        "status": therapy.status.value,
        "start": day(therapy.start),
        "end": day(therapy.end),
        "reason": therapy.stop_reason.value if therapy.stop_reason is not None else "",
        "run_start": day(run_start if run_start is not None else therapy.start),
        "dose_change": dose_change,
    }

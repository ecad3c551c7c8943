"""The therapies as the rules read them, one fact each, with the readings of the record that concern them.

A regimen may be recorded in pieces (a hold, a refill entered as a new
therapy); a stopped osimertinib followed by another may be a change of dose
rather than a stop; an intrathecal course may be held. These readings are
computed once per record (here and in :mod:`lmtx._facts.tolerance`) and
carried on each therapy's fact (``chain_start``, ``run_date``, ``stop_kind``,
``course``, ...), so that the rules match plain fields
(docs/interpretation.md#initial, docs/interpretation.md#stopped-osimertinib,
docs/interpretation.md#tolerable-dose).
"""

from __future__ import annotations

import datetime as dt

from lmtx._facts.common import RESUME_DAYS, Fact, day
from lmtx.drugs import Agent, DrugClass, Route, above_standard_dose, daily_dose, drug_class, effective_route
from lmtx.model import StopReason, Therapy, TherapyStatus
from lmtx.rules._common import HIGH_DOSE_MG

__all__ = ["course_readings", "is_dose_change", "is_high_dose_daily", "therapy_fact"]


def is_high_dose_daily(therapy: Therapy) -> bool:
    """Osimertinib 160 mg or more, once a day, given (docs/interpretation.md#initial)."""
    return (
        therapy.agent is Agent.OSIMERTINIB
        and (therapy.dose_mg or 0.0) >= HIGH_DOSE_MG
        and (therapy.interval_days or 1) == 1
        and therapy.status is not TherapyStatus.PLANNED
        and therapy.start is not None
    )


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


_HELD_REASONS = frozenset({StopReason.TOXICITY, StopReason.DOSE_CHANGE, StopReason.OTHER})


def _course_reading(therapy: Therapy) -> str:
    """One intrathecal course as the combination reads it (docs/interpretation.md#combination).

    ``progressed`` when stopped for progression; ``held`` when stopped for toxicity, a change of
    dose or another reason, or stopped without a reason; otherwise ``continuing`` (a course stopped
    as completed reads as completed).
    """
    if therapy.stop_reason is StopReason.PROGRESSION:
        return "progressed"
    if therapy.stop_reason in _HELD_REASONS or (
        therapy.status is TherapyStatus.STOPPED and therapy.stop_reason is None
    ):
        return "held"
    return "continuing"


def course_readings(therapies: tuple[Therapy, ...]) -> dict[int, str]:
    """The reading of each intrathecal pemetrexed course given, by index, with its same-day courses.

    Courses begun on one day are read together: they continue when any of them does; otherwise
    a stop for progression is the team's verdict; otherwise they are held.
    """
    courses = {
        i: t
        for i, t in enumerate(therapies)
        if t.agent is Agent.PEMETREXED
        and effective_route(t) is Route.INTRATHECAL
        and t.status is not TherapyStatus.PLANNED
        and t.start is not None
    }
    readings: dict[int, str] = {}
    for i, course in courses.items():
        found = {_course_reading(t) for t in courses.values() if t.start == course.start}
        readings[i] = next(r for r in ("continuing", "progressed", "held") if r in found)
    return readings


def therapy_fact(therapy: Therapy, **readings: object) -> Fact:
    """A therapy as the rules match it, with the readings of the whole record that concern it.

    ``readings`` are the fields :func:`lmtx._facts.base_facts` computes from the record
    (``chain_start``, ``primary_start``, ``run_date``, ``stop_kind``, ``linked_grade``,
    ``course``); each has a neutral default here.
    """
    cls = drug_class(therapy)
    start = day(therapy.start)
    fact: Fact = {
        "agent": therapy.agent.value,
        "route": (route.value if (route := effective_route(therapy)) else ""),
        "dose_mg": float(therapy.dose_mg) if therapy.dose_mg is not None else 0.0,
        "interval": therapy.interval_days or 1,
        "once_daily_mg": float(therapy.dose_mg) if therapy.dose_mg and (therapy.interval_days or 1) == 1 else 0.0,
        "cls": cls.value if cls is not None else "",
        "status": therapy.status.value,
        "start": start,
        "end": day(therapy.end),
        "reason": therapy.stop_reason.value if therapy.stop_reason is not None else "",
        "above_standard": cls is DrugClass.EGFR_TKI and above_standard_dose(therapy),
        "chain_start": start,
        "primary_start": start,
        "run_date": start,
        "stop_kind": "",
        "linked_grade": 0,
        "course": "",
    }
    fact.update(readings)
    return fact

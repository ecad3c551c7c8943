"""The record as it was known on one day of the patient's course.

:func:`record_on` cuts a validated :class:`~lmtx.model.Patient` down to what
the record showed on a given day, and :func:`step_dates` lists the days on
which something in the record happened. Both follow the readings of the
"Patient course and audit" page (docs/course.md): assessments count from
their date, a therapy exists from its start and is active until its end,
planned therapies and undated items appear only on the last day, and
histology, EGFR status, brain metastases, CSF flow and systemic disease are
known throughout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from lmtx._validate import effective_route
from lmtx.model import Agent, Patient, Route, Therapy, TherapyStatus

__all__ = ["record_on", "step_dates"]


def step_dates(patient: Patient, as_of: dt.date | None) -> tuple[dt.date | None, ...]:
    """The days of the course: every distinct date of the record on or before ``as_of``, and ``as_of``.

    The dates are those of the assessments, the starts and ends of therapies
    that are not planned, and the dated performance status and toxicities.

    Args:
        patient: A validated record.
        as_of: The last day; ``None`` only for a record without any date.

    Returns:
        The days in date order; ``(None,)`` for a record without any date.
    """
    if as_of is None:
        return (None,)
    days: set[dt.date] = {as_of}
    days.update(exam.date for exam in patient.neuro_exams)
    days.update(cytology.date for cytology in patient.csf_cytology)
    days.update(mri.date for mri in patient.mri)
    for therapy in patient.therapies:
        if therapy.status is not TherapyStatus.PLANNED:
            days.update(d for d in (therapy.start, therapy.end) if d is not None)
    if patient.performance_status is not None and patient.performance_status.date is not None:
        days.add(patient.performance_status.date)
    days.update(toxicity.date for toxicity in patient.toxicities if toxicity.date is not None)
    return tuple(sorted(d for d in days if d <= as_of))


def record_on(patient: Patient, day: dt.date) -> Patient:
    """The record as known on ``day`` (an earlier day than the last one of the course).

    The last day of a course reads the record as given (that is what
    :func:`lmtx.evaluate` reads); this function builds every earlier day.

    Args:
        patient: A validated record.
        day: The day.

    Returns:
        A record holding only what was known on ``day``.
    """
    ps = patient.performance_status
    return attrs.evolve(
        patient,
        performance_status=ps if ps is not None and ps.date is not None and ps.date <= day else None,
        neuro_exams=tuple(e for e in patient.neuro_exams if e.date <= day),
        csf_cytology=tuple(c for c in patient.csf_cytology if c.date <= day),
        mri=tuple(m for m in patient.mri if m.date <= day),
        therapies=_therapies_on(patient.therapies, day),
        toxicities=tuple(t for t in patient.toxicities if t.date is not None and t.date <= day),
    )


def _therapies_on(therapies: Iterable[Therapy], day: dt.date) -> tuple[Therapy, ...]:
    """The therapies that exist on ``day``, each with its status on that day, in record order.

    A therapy whose end lies after ``day`` was still running: it is active,
    without an end. Two running regimens of one agent and route would be two
    active regimens, which no valid record holds: when the record's own
    dates overlap like that, the regimen the record keeps active (else the
    one started last) is the running one, and the other takes its recorded
    status, still without an end, since its end lies after ``day``.
    """
    existing = [
        t for t in therapies if t.status is not TherapyStatus.PLANNED and t.start is not None and t.start <= day
    ]
    running: dict[tuple[Agent, Route | None], Therapy] = {}
    for therapy in existing:
        if therapy.agent is Agent.OTHER or (therapy.end is not None and therapy.end <= day):
            continue
        key = (therapy.agent, effective_route(therapy))
        current = running.get(key)
        if current is None or _runs_rather(therapy, current):
            running[key] = therapy
    on_day: list[Therapy] = []
    for therapy in existing:
        if therapy.end is not None and therapy.end <= day:
            on_day.append(therapy)
        elif therapy.agent is Agent.OTHER or running.get((therapy.agent, effective_route(therapy))) is therapy:
            on_day.append(attrs.evolve(therapy, status=TherapyStatus.ACTIVE, end=None))
        else:
            on_day.append(attrs.evolve(therapy, end=None))
    return tuple(on_day)


def _runs_rather(candidate: Therapy, current: Therapy) -> bool:
    """Whether ``candidate`` rather than ``current`` is the running regimen of their agent and route."""
    if (candidate.status is TherapyStatus.ACTIVE) != (current.status is TherapyStatus.ACTIVE):
        return candidate.status is TherapyStatus.ACTIVE
    return (candidate.start or dt.date.min) > (current.start or dt.date.min)

"""The record as it was known on one day of the patient's course.

:func:`record_on` cuts a validated :class:`~lmtx.model.Patient` down to what
the record showed on a given day, and :func:`step_dates` lists the days on
which something in the record happened. Both follow the readings of the
"Patient course and audit" page (docs/course.md): assessments, performance
status items, toxicities, brain metastases, CSF flow and systemic disease
count from their dates (undated facts are known throughout, undated PS and
toxicities only on the last day); a therapy exists from its start and is
active through its end, its last day; of two regimens of one agent that would
both run, the later-started one runs; planned therapies appear only on the
last day. The record of every day is a valid record.
:func:`other_egfr_tki_active` reads one thing concordance needs from it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

import attrs

from lmtx.drugs import drug_class, effective_route
from lmtx.model import (
    Agent,
    CsfFlow,
    DrugClass,
    Patient,
    PerformanceStatus,
    Route,
    SystemicDisease,
    Therapy,
    TherapyStatus,
    Toxicity,
)

__all__ = ["other_egfr_tki_active", "record_on", "step_dates"]

_ONE_DAY = dt.timedelta(days=1)


def step_dates(patient: Patient, as_of: dt.date | None) -> tuple[dt.date | None, ...]:
    """The days of the course: every distinct date of the record on or before ``as_of``, and ``as_of``.

    The dates are those of the assessments, the starts of therapies that are
    not planned and the day after each of their ends (the first day off the
    drug), the dated performance-status items and toxicities, and the dates of
    the brain metastases, the CSF flow study and the systemic assessment.

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
            if therapy.start is not None:
                days.add(therapy.start)
            if therapy.end is not None:
                days.add(therapy.end + _ONE_DAY)
    days.update(ps.date for ps in patient.performance_statuses if ps.date is not None)
    days.update(toxicity.date for toxicity in patient.toxicities if toxicity.date is not None)
    days.update(
        d
        for d in (patient.brain_metastases_date, patient.csf_flow_date, patient.systemic_disease_date)
        if d is not None
    )
    return tuple(sorted(d for d in days if d <= as_of))


def record_on(patient: Patient, day: dt.date) -> Patient:
    """The record as known on ``day`` (an earlier day than the last one of the course).

    The last day of a course reads the record as given (that is what
    :func:`lmtx.evaluate` reads); this function builds every earlier day.

    Args:
        patient: A validated record.
        day: The day.

    Returns:
        A valid record holding only what was known on ``day``.
    """
    therapies = _therapies_on(patient.therapies, day)
    known = {t.agent for t in therapies}
    brain = patient.brain_metastases and (patient.brain_metastases_date is None or patient.brain_metastases_date <= day)
    flow_known = patient.csf_flow_date is None or patient.csf_flow_date <= day
    systemic_known = patient.systemic_disease_date is None or patient.systemic_disease_date <= day
    return attrs.evolve(
        patient,
        performance_status=_performance_status_on(patient.performance_status, day),
        brain_metastases=brain,
        brain_metastases_date=patient.brain_metastases_date if brain else None,
        csf_flow=patient.csf_flow if flow_known else CsfFlow.UNKNOWN,
        csf_flow_date=patient.csf_flow_date if flow_known else None,
        systemic_disease=patient.systemic_disease if systemic_known else SystemicDisease.UNKNOWN,
        systemic_disease_date=patient.systemic_disease_date if systemic_known else None,
        neuro_exams=tuple(e for e in patient.neuro_exams if e.date <= day),
        csf_cytology=tuple(c for c in patient.csf_cytology if c.date <= day),
        mri=tuple(m for m in patient.mri if m.date <= day),
        therapies=therapies,
        toxicities=tuple(_attributed_on(t, known) for t in patient.toxicities if t.date is not None and t.date <= day),
    )


def other_egfr_tki_active(record: Patient) -> bool:
    """Whether the record (of one day) has an EGFR TKI other than osimertinib ``active``; planned ones do not count.

    Args:
        record: The record of a day (:func:`record_on`, or the record as given for the last day).

    Returns:
        Whether such a TKI is being given, listed or an ``other`` drug of class ``egfr-tki``.
    """
    return any(
        t.status is TherapyStatus.ACTIVE and t.agent is not Agent.OSIMERTINIB and drug_class(t) is DrugClass.EGFR_TKI
        for t in record.therapies
    )


def _performance_status_on(
    ps: PerformanceStatus | tuple[PerformanceStatus, ...] | None, day: dt.date
) -> PerformanceStatus | tuple[PerformanceStatus, ...] | None:
    """The PS known on ``day``: a dated assessment from its date on, each item of a history from its date."""
    if isinstance(ps, tuple):
        items = tuple(item for item in ps if item.date is not None and item.date <= day)
        return items or None
    return ps if ps is not None and ps.date is not None and ps.date <= day else None


def _attributed_on(toxicity: Toxicity, known: set[Agent]) -> Toxicity:
    """The toxicity without attributions to agents that no therapy of the day's record has (an emptied list goes)."""
    if toxicity.attributed_to is None:
        return toxicity
    kept = tuple(agent for agent in toxicity.attributed_to if agent in known)
    if kept == toxicity.attributed_to:
        return toxicity
    return attrs.evolve(toxicity, attributed_to=kept or None)


_Key = tuple[Agent, Route | None, str | None]


def _regimen_key(therapy: Therapy) -> _Key | None:
    """What makes two regimens one drug (agent and route; for ``other`` its name); ``None``: an unnamed ``other``."""
    if therapy.agent is Agent.OTHER:
        return None if therapy.name is None else (therapy.agent, effective_route(therapy), therapy.name)
    return (therapy.agent, effective_route(therapy), None)


def _therapies_on(therapies: Iterable[Therapy], day: dt.date) -> tuple[Therapy, ...]:
    """The therapies that exist on ``day``, each with its status on that day, in record order.

    A therapy runs through its end (its last day): on a day it runs it is
    active, without an end or a stop reason; after its end it has its
    recorded status. Of regimens of one drug that would all run on ``day``,
    the one started last runs (on one start day: the one recorded active, else
    the later in the list); each earlier one counts as ended the day before
    the next one started, with its recorded status, or does not exist yet
    when that day is before its own start.
    """
    listed = list(therapies)
    existing = [
        (position, t)
        for position, t in enumerate(listed)
        if t.status is not TherapyStatus.PLANNED and t.start is not None and t.start <= day
    ]
    running: dict[_Key | None, list[tuple[int, Therapy]]] = {}
    for position, therapy in existing:
        if therapy.end is None or therapy.end >= day:
            key = _regimen_key(therapy)
            running.setdefault(key if key is not None else (Agent.OTHER, None, f"#{position}"), []).append(
                (position, therapy)
            )
    on_day: dict[int, Therapy] = {}
    for regimens in running.values():
        regimens.sort(key=lambda item: (item[1].start, item[1].status is TherapyStatus.ACTIVE, item[0]))
        for (position, therapy), (_, following) in itertools.pairwise(regimens):
            assert therapy.start is not None
            assert following.start is not None
            ended = following.start - _ONE_DAY
            if ended >= therapy.start:
                status = therapy.status if therapy.status is not TherapyStatus.ACTIVE else TherapyStatus.STOPPED
                on_day[position] = attrs.evolve(therapy, status=status, end=ended)
        position, current = regimens[-1]
        on_day[position] = attrs.evolve(current, status=TherapyStatus.ACTIVE, end=None, stop_reason=None)
    for position, therapy in existing:
        if therapy.end is not None and therapy.end < day:
            on_day[position] = therapy
    return tuple(on_day[position] for position in sorted(on_day))

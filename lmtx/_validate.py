"""Cross-field checks of a structured patient record (see docs/input-format.md#rules-that-hold-everywhere).

Type and shape problems are found while structuring (:mod:`lmtx._codec`);
this module finds what only the whole record shows: dates after ``as_of``,
an ECOG of 5, two active regimens of one agent and route, a route that does
not fit the agent, and the like. Every problem keeps its JSON path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lmtx.drugs import AGENT_CLASSES, DOSE_REQUIRED, Agent, Route, allowed_routes, effective_route
from lmtx.errors import Problem
from lmtx.model import (
    CsfFlow,
    EgfrStatus,
    Patient,
    PerformanceStatus,
    PsScale,
    SystemicDisease,
    Therapy,
    TherapyStatus,
)

__all__ = [
    "MAX_DOSE_MG",
    "MAX_INTERVAL_DAYS",
    "MAX_NAME_LENGTH",
    "check_patient",
    "default_as_of",
]

MAX_DOSE_MG = 100_000
"""Plausibility bound on any dose (100 g): far above every regimen lmtx knows."""
MAX_INTERVAL_DAYS = 365
"""Longest interval between doses accepted (``interval_days`` is 1-365)."""
MAX_NAME_LENGTH = 128
"""Longest therapy ``name`` accepted."""


def _record_dates(patient: Patient) -> Iterator[tuple[str, dt.date]]:
    """Every observed date in the record, with its path.

    The start of a *planned* therapy is a plan, not an observation: it may lie
    after ``as_of`` and does not move the default evaluation date.
    """
    for path, ps in _performance_statuses(patient):
        if ps.date:
            yield f"{path}.date", ps.date
    for field in ("brain_metastases_date", "csf_flow_date", "systemic_disease_date"):
        date = getattr(patient, field)
        if date is not None:
            yield field, date
    for i, exam in enumerate(patient.neuro_exams):
        yield f"neuro_exams[{i}].date", exam.date
    for i, cytology in enumerate(patient.csf_cytology):
        yield f"csf_cytology[{i}].date", cytology.date
    for i, mri in enumerate(patient.mri):
        yield f"mri[{i}].date", mri.date
    for i, therapy in enumerate(patient.therapies):
        if therapy.start and therapy.status is not TherapyStatus.PLANNED:
            yield f"therapies[{i}].start", therapy.start
        if therapy.end:
            yield f"therapies[{i}].end", therapy.end
    for i, toxicity in enumerate(patient.toxicities):
        if toxicity.date:
            yield f"toxicities[{i}].date", toxicity.date


def default_as_of(patient: Patient) -> dt.date | None:
    """The latest observed date in the record, or ``None`` when it has none."""
    return max((date for _, date in _record_dates(patient)), default=None)


def check_patient(patient: Patient, as_of: dt.date | None) -> list[Problem]:
    """Every cross-field problem of a structurally valid record."""
    problems: list[Problem] = []
    problems += _check_egfr(patient)
    problems += _check_performance_status(patient)
    problems += _check_assessment_dates(patient)
    problems += _check_dated_facts(patient)
    problems += _check_therapies(patient)
    problems += _check_toxicities(patient)
    if as_of is not None:
        problems += [
            Problem(path, f"is after the evaluation date {as_of.isoformat()}, got {date.isoformat()}")
            for path, date in _record_dates(patient)
            if date > as_of
        ]
    return problems


def _check_egfr(patient: Patient) -> Iterator[Problem]:
    egfr = patient.egfr
    if egfr.variants and egfr.status is not EgfrStatus.MUTANT:
        yield Problem("egfr.variants", f"variants need status 'mutant', status is '{egfr.status}'")
    seen: set[str] = set()
    for i, variant in enumerate(egfr.variants):
        if variant in seen:
            yield Problem(f"egfr.variants[{i}]", f"'{variant}' is listed twice")
        seen.add(variant)


def _performance_statuses(patient: Patient) -> Iterator[tuple[str, PerformanceStatus]]:
    """Each performance-status assessment with its path (a history is indexed)."""
    ps = patient.performance_status
    if isinstance(ps, tuple):
        yield from ((f"performance_status[{i}]", item) for i, item in enumerate(ps))
    elif ps is not None:
        yield "performance_status", ps


def _check_performance_status(patient: Patient) -> Iterator[Problem]:
    assessments = list(_performance_statuses(patient))
    for path, ps in assessments:
        if ps.scale is PsScale.ECOG and not 0 <= ps.score <= 4:
            hint = " (ECOG 5 means deceased)" if ps.score == 5 else ""
            yield Problem(f"{path}.score", f"ECOG must be 0-4{hint}, got {ps.score}")
        if ps.scale is PsScale.KPS:
            if not 10 <= ps.score <= 100:
                hint = " (KPS 0 means deceased)" if ps.score == 0 else ""
                yield Problem(f"{path}.score", f"KPS must be 10-100{hint}, got {ps.score}")
            elif ps.score % 10:
                yield Problem(f"{path}.score", f"KPS must be a multiple of 10, got {ps.score}")
    if len(assessments) < 2:
        return
    first_on: dict[dt.date, str] = {}
    for path, ps in assessments:
        if ps.date is None:
            yield Problem(f"{path}.date", "required in a history of two or more assessments")
        elif ps.date in first_on:
            yield Problem(f"{path}.date", f"{first_on[ps.date]} has the same date {ps.date.isoformat()}")
        else:
            first_on[ps.date] = path


def _check_dated_facts(patient: Patient) -> Iterator[Problem]:
    """A date field needs the fact it dates."""
    if patient.brain_metastases_date is not None and not patient.brain_metastases:
        yield Problem("brain_metastases_date", "only with brain_metastases: true")
    if patient.csf_flow_date is not None and patient.csf_flow is CsfFlow.UNKNOWN:
        yield Problem("csf_flow_date", "dates a flow study: not with csf_flow 'unknown'")
    if patient.systemic_disease_date is not None and patient.systemic_disease is SystemicDisease.UNKNOWN:
        yield Problem("systemic_disease_date", "dates an assessment: not with systemic_disease 'unknown'")


def _check_toxicities(patient: Patient) -> Iterator[Problem]:
    in_record = {therapy.agent for therapy in patient.therapies}
    for i, toxicity in enumerate(patient.toxicities):
        if not 1 <= toxicity.grade <= 5:
            yield Problem(f"toxicities[{i}].grade", f"CTCAE grade must be 1-5, got {toxicity.grade}")
        if toxicity.attributed_to is None:
            continue
        if not toxicity.attributed_to:
            yield Problem(f"toxicities[{i}].attributed_to", "must name at least one agent; leave it out otherwise")
        for j, agent in enumerate(toxicity.attributed_to):
            if agent not in in_record:
                yield Problem(f"toxicities[{i}].attributed_to[{j}]", f"no therapy of agent '{agent}' is in the record")


def _check_assessment_dates(patient: Patient) -> Iterator[Problem]:
    """One record per date and kind: two different findings on one day are ambiguous."""
    series: list[tuple[str, tuple[object, ...]]] = [
        ("neuro_exams", patient.neuro_exams),
        ("csf_cytology", patient.csf_cytology),
        ("mri", patient.mri),
    ]
    for name, records in series:
        first_on: dict[dt.date, tuple[int, object]] = {}
        for i, record in enumerate(records):
            date: dt.date = record.date  # type: ignore[attr-defined]
            if date in first_on:
                j, other = first_on[date]
                if other != record:
                    yield Problem(
                        f"{name}[{i}].date",
                        f"{name}[{j}] has the same date {date.isoformat()} with a different finding",
                    )
            else:
                first_on[date] = (i, record)


def _check_therapies(patient: Patient) -> Iterator[Problem]:
    active: dict[tuple[Agent, Route | None, str | None], int] = {}
    for i, therapy in enumerate(patient.therapies):
        path = f"therapies[{i}]"
        yield from _check_therapy(therapy, path)
        # Two active `other` drugs are one regimen only when the record names them alike.
        if therapy.status is TherapyStatus.ACTIVE and (therapy.agent is not Agent.OTHER or therapy.name):
            key = (therapy.agent, effective_route(therapy), therapy.name if therapy.agent is Agent.OTHER else None)
            if key in active:
                route = f" ({key[1]})" if key[1] else ""
                what = f"'{therapy.name}'" if therapy.agent is Agent.OTHER else str(therapy.agent)
                yield Problem(
                    f"{path}.status",
                    f"therapies[{active[key]}] is already an active {what}{route} regimen",
                )
            else:
                active[key] = i


def _check_therapy(therapy: Therapy, path: str) -> Iterator[Problem]:
    agent, status = therapy.agent, therapy.status
    if therapy.start is None and status is not TherapyStatus.PLANNED:
        yield Problem(f"{path}.start", f"required unless the therapy is planned; status is '{status}'")
    if therapy.end is not None:
        if status not in (TherapyStatus.COMPLETED, TherapyStatus.STOPPED):
            yield Problem(f"{path}.end", f"only a completed or stopped therapy has an end; status is '{status}'")
        elif therapy.start is not None and therapy.end < therapy.start:
            yield Problem(
                f"{path}.end",
                f"must be on or after start {therapy.start.isoformat()}, got {therapy.end.isoformat()}",
            )
    if agent in DOSE_REQUIRED and therapy.dose_mg is None:
        yield Problem(f"{path}.dose_mg", f"required for {agent}")
    if therapy.dose_mg is not None:
        if agent is Agent.RADIOTHERAPY:
            yield Problem(f"{path}.dose_mg", "radiotherapy is not dosed in mg; leave dose_mg out")
        elif therapy.dose_mg <= 0:
            yield Problem(f"{path}.dose_mg", f"must be > 0, got {therapy.dose_mg:g}")
        elif therapy.dose_mg > MAX_DOSE_MG:
            yield Problem(
                f"{path}.dose_mg", f"must be at most {MAX_DOSE_MG} mg (a plausibility bound), got {therapy.dose_mg:g}"
            )
    if therapy.route is None:
        if agent is not Agent.OTHER and len(allowed_routes(agent)) > 1:
            allowed = " or ".join(sorted(allowed_routes(agent)))
            yield Problem(f"{path}.route", f"required for {agent}: {allowed}")
    elif therapy.route not in allowed_routes(agent):
        allowed = " or ".join(sorted(allowed_routes(agent)))
        yield Problem(f"{path}.route", f"{agent} is given {allowed}, got '{therapy.route}'")
    yield from _check_therapy_details(therapy, path)


def _check_therapy_details(therapy: Therapy, path: str) -> Iterator[Problem]:
    """The fields of the 2026-12 revision: name, drug class, interval, stop reason."""
    if therapy.name is not None and not 1 <= len(therapy.name) <= MAX_NAME_LENGTH:
        yield Problem(f"{path}.name", f"must be 1-{MAX_NAME_LENGTH} characters, got {len(therapy.name)}")
    if therapy.drug_class is not None and therapy.agent is not Agent.OTHER:
        own = AGENT_CLASSES.get(therapy.agent)
        fixed = f"{therapy.agent} is always of class '{own}'" if own else "radiotherapy has no drug class"
        yield Problem(f"{path}.drug_class", f"only for agent 'other'; {fixed}")
    if therapy.interval_days is not None:
        if therapy.agent is Agent.RADIOTHERAPY:
            yield Problem(f"{path}.interval_days", "only for drugs; radiotherapy has no dosing interval")
        elif not 1 <= therapy.interval_days <= MAX_INTERVAL_DAYS:
            yield Problem(f"{path}.interval_days", f"must be 1-{MAX_INTERVAL_DAYS} days, got {therapy.interval_days}")
    if therapy.stop_reason is not None and therapy.status not in (TherapyStatus.COMPLETED, TherapyStatus.STOPPED):
        yield Problem(
            f"{path}.stop_reason",
            f"only a completed or stopped therapy has a stop reason; status is '{therapy.status}'",
        )

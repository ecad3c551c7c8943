"""Cross-field checks of a structured patient record (see docs/input-format.md#rules-that-hold-everywhere).

Type and shape problems are found while structuring (:mod:`lmtx._codec`);
this module finds what only the whole record shows: dates after ``as_of``,
an ECOG of 5, two active regimens of one agent and route, a route that does
not fit the agent, and the like. Every problem keeps its JSON path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lmtx.errors import Problem
from lmtx.model import (
    Agent,
    EgfrStatus,
    Patient,
    PsScale,
    Route,
    Therapy,
    TherapyStatus,
)

__all__ = ["DRUGS", "allowed_routes", "check_patient", "default_as_of", "effective_route"]

EGFR_TKIS = frozenset({Agent.OSIMERTINIB, Agent.GEFITINIB, Agent.ERLOTINIB, Agent.AFATINIB, Agent.DACOMITINIB})
DRUGS = EGFR_TKIS | {Agent.PEMETREXED, Agent.CARBOPLATIN, Agent.CISPLATIN}
"""Agents dosed in mg: they need ``dose_mg > 0``."""

MAX_DOSE_MG = 100_000
"""Plausibility bound on any dose (100 g): far above every regimen lmtx knows."""

_ROUTES: dict[Agent, frozenset[Route]] = {
    **{tki: frozenset({Route.ORAL}) for tki in EGFR_TKIS},
    Agent.PEMETREXED: frozenset({Route.INTRATHECAL, Route.INTRAVENOUS}),
    Agent.CARBOPLATIN: frozenset({Route.INTRAVENOUS}),
    Agent.CISPLATIN: frozenset({Route.INTRAVENOUS}),
    Agent.RADIOTHERAPY: frozenset({Route.EXTERNAL_BEAM}),
    Agent.OTHER: frozenset(Route),
}


def allowed_routes(agent: Agent) -> frozenset[Route]:
    """The routes lmtx accepts for an agent."""
    return _ROUTES[agent]


def effective_route(therapy: Therapy) -> Route | None:
    """The therapy's route: as given, or the agent's only route when omitted."""
    if therapy.route is not None:
        return therapy.route
    routes = _ROUTES[therapy.agent]
    return next(iter(routes)) if len(routes) == 1 else None


def _record_dates(patient: Patient) -> Iterator[tuple[str, dt.date]]:
    """Every observed date in the record, with its path.

    The start of a *planned* therapy is a plan, not an observation: it may lie
    after ``as_of`` and does not move the default evaluation date.
    """
    if patient.performance_status and patient.performance_status.date:
        yield "performance_status.date", patient.performance_status.date
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
    problems += _check_therapies(patient)
    problems += [
        Problem(f"toxicities[{i}].grade", f"CTCAE grade must be 1-5, got {t.grade}")
        for i, t in enumerate(patient.toxicities)
        if not 1 <= t.grade <= 5
    ]
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


def _check_performance_status(patient: Patient) -> Iterator[Problem]:
    ps = patient.performance_status
    if ps is None:
        return
    if ps.scale is PsScale.ECOG and not 0 <= ps.score <= 4:
        hint = " (ECOG 5 means deceased)" if ps.score == 5 else ""
        yield Problem("performance_status.score", f"ECOG must be 0-4{hint}, got {ps.score}")
    if ps.scale is PsScale.KPS:
        if not 10 <= ps.score <= 100:
            hint = " (KPS 0 means deceased)" if ps.score == 0 else ""
            yield Problem("performance_status.score", f"KPS must be 10-100{hint}, got {ps.score}")
        elif ps.score % 10:
            yield Problem("performance_status.score", f"KPS must be a multiple of 10, got {ps.score}")


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
    active: dict[tuple[Agent, Route | None], int] = {}
    for i, therapy in enumerate(patient.therapies):
        path = f"therapies[{i}]"
        yield from _check_therapy(therapy, path)
        if therapy.status is TherapyStatus.ACTIVE and therapy.agent is not Agent.OTHER:
            key = (therapy.agent, effective_route(therapy))
            if key in active:
                route = f" ({key[1]})" if key[1] else ""
                yield Problem(
                    f"{path}.status",
                    f"therapies[{active[key]}] is already an active {therapy.agent}{route} regimen",
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
    if agent in DRUGS and therapy.dose_mg is None:
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
        if agent is Agent.PEMETREXED:
            yield Problem(f"{path}.route", "required for pemetrexed: intrathecal or intravenous")
    elif therapy.route not in _ROUTES[agent]:
        allowed = " or ".join(sorted(_ROUTES[agent]))
        yield Problem(f"{path}.route", f"{agent} is given {allowed}, got '{therapy.route}'")

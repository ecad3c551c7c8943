"""Clinical events that would change the advice, for a why-not answer: each proposed only once checked.

An *event* is something that can happen to the patient on the evaluation
date: a new assessment (a neurological exam, a CSF cytology, an MRI, a
performance status), a therapy started or stopped or its dose changed, an
adverse event reported, a new finding (the systemic disease, the CSF flow,
brain metastases, an EGFR result). It is added to the record dated
``as_of`` and never edits an existing entry's agent or date (a stopped
therapy gains its end; a planned one without a start gains its start). The
record with the event is evaluated again at the same ``as_of``; an event is
proposed only when the advice on the code asked about changes: the code is
given when it was not, or is no longer given, or is given with another
action or severity.

Each event carries its change as JSON Patch operations (RFC 6902) on the
record as lmtx reads it (every list present), so that a program can apply
exactly what was checked. The search tries only the kinds of record that the
unmet conditions read (see :func:`candidates`), and stops at three events of
different kinds.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from lmtx import _codec
from lmtx._evaluate import infer, parse_patient
from lmtx._facts import latest_performance_status
from lmtx.drugs import Agent, Route, drug_words
from lmtx.errors import InvalidPatient
from lmtx.explain._data import Event
from lmtx.explain._records import symptoms_words, value_words
from lmtx.model import Patient, Therapy, TherapyStatus
from lmtx.policy import Policy

__all__ = ["EVENT_GROUPS", "MAX_EVENTS", "Advice", "advice_of", "propose"]

MAX_EVENTS = 3
"""The most events a why-not answer proposes."""

EVENT_GROUPS: dict[str, frozenset[str]] = {
    "neuro_exam": frozenset({"neuro_exam"}),
    "cytology": frozenset({"cytology"}),
    "mri": frozenset({"mri"}),
    "therapy": frozenset({"therapy"}),
    "ps": frozenset({"ps", "policy"}),
    "toxicity": frozenset({"toxicity", "attribution"}),
    "finding": frozenset({"patient"}),
}
"""Each group of events, by the base fact types whose conditions it may change."""

Advice = tuple[bool, str | None]
"""The advice on one code: (given, its action or severity)."""

_OUTPUTS = frozenset({"recommendation", "alert", "prognosis"})
# One finding of each kind the rules tell apart (docs/interpretation.md#response): symptoms worse,
# new, persistent, or none of these; an MRI with or without enhancement, progression or not.
_SYMPTOMS = ("worsened", "new", "persistent", "improved")
_MRI = ((True, "progression"), (True, "stable"), (False, "complete_response"), (False, None))
_TERMS = ("rash", "neutropenia", "aseptic_meningitis", "fatigue", "other")
"""One adverse event of each kind the document names, and one of another kind."""
_STARTS: tuple[tuple[dict[str, Any], ...], ...] = (
    ({"agent": "osimertinib", "route": "oral", "dose_mg": 160},),
    ({"agent": "osimertinib", "route": "oral", "dose_mg": 80},),
    ({"agent": "pemetrexed", "route": "intrathecal", "dose_mg": 40},),
    ({"agent": "carboplatin", "route": "intravenous"}, {"agent": "pemetrexed", "route": "intravenous"}),
    ({"agent": "radiotherapy", "route": "external_beam"},),
    ({"agent": "erlotinib", "route": "oral", "dose_mg": 150},),
)
"""Therapies an event may start, the document's first (a regimen of two drugs starts as one event)."""


def advice_of(patient: Patient, as_of: dt.date | None, policy: Policy, code: str) -> Advice:
    """The advice on a code for a validated record: whether it is given, and its action or severity."""
    for fact in infer(patient, as_of, policy).run.derived:
        if fact["t"] in _OUTPUTS and fact["code"] == code:
            return True, fact.get("action") or fact.get("severity")
    return False, None


@attrs.frozen
class _Candidate:
    group: str
    kind: str
    text: str
    patch: tuple[Mapping[str, Any], ...]


def propose(
    patient: Patient, as_of: dt.date | None, policy: Policy, code: str, *, before: Advice, groups: Iterable[str]
) -> tuple[Event, ...]:
    """At most :data:`MAX_EVENTS` events of different kinds that change the advice on ``code``.

    Args:
        patient: The validated record.
        as_of: The evaluation date (no event without one).
        policy: The thresholds in force.
        code: The output code asked about.
        before: The advice on ``code`` without any event.
        groups: The groups of :data:`EVENT_GROUPS` to try, in the order to try them.
    """
    if as_of is None:
        return ()
    wire = _codec.unstructure_patient(patient)
    found: list[Event] = []
    kinds: set[str] = set()
    for candidate in candidates(wire, patient, as_of, policy, groups):
        if candidate.kind in kinds:
            continue
        changed = _apply(wire, candidate.patch)
        try:
            model, _ = parse_patient(changed, as_of)
        except InvalidPatient:
            continue  # an event the record cannot take (a second MRI that day, two active regimens of one drug)
        after = advice_of(model, as_of, policy, code)
        if after != before:
            kinds.add(candidate.kind)
            found.append(Event(candidate.text, candidate.kind, candidate.patch, given=after[0], action=after[1]))
            if len(found) == MAX_EVENTS:
                break
    return tuple(found)


def _apply(wire: Mapping[str, Any], patch: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The record with JSON Patch ``add`` operations applied (``-`` appends to a list).

    Copy on write: only the containers on an operation's path are copied, so that the record
    itself, shared by every candidate, never changes.
    """
    changed: dict[str, Any] = dict(wire)
    for operation in patch:
        *parents, last = operation["path"].lstrip("/").split("/")
        target: Any = changed
        for part in parents:
            key: Any = int(part) if isinstance(target, list) else part
            target[key] = copy.copy(target[key])
            target = target[key]
        if isinstance(target, list):
            target.append(operation["value"])
        else:
            target[last] = operation["value"]
    return changed


def _add(listed: str, record: Mapping[str, Any]) -> dict[str, Any]:
    return {"op": "add", "path": f"/{listed}/-", "value": dict(record)}


def _set(path: str, value: Any) -> dict[str, Any]:
    return {"op": "add", "path": path, "value": value}


def candidates(
    wire: Mapping[str, Any], patient: Patient, as_of: dt.date, policy: Policy, groups: Iterable[str]
) -> Iterator[_Candidate]:
    """The events to try, group by group: assessments, therapies, the performance status, adverse events, findings."""
    day = as_of.isoformat()
    makers = {
        "neuro_exam": _neuro_exams,
        "cytology": _cytologies,
        "mri": _mris,
        "therapy": _therapies,
        "ps": _performance_statuses,
        "toxicity": _toxicities,
        "finding": _findings,
    }
    for group in groups:
        yield from makers[group](wire, patient, day, policy)


def _neuro_exams(wire: Mapping[str, Any], patient: Patient, day: str, policy: Policy) -> Iterator[_Candidate]:
    for symptoms in _SYMPTOMS:
        words = "the symptoms resolved" if symptoms == "resolved" else symptoms_words(symptoms)
        record = {"date": day, "symptoms": symptoms}
        text = f"a neurological exam on {day} finding {words}"
        yield _Candidate("neuro_exam", "neurological exam", text, (_add("neuro_exams", record),))


def _cytologies(wire: Mapping[str, Any], patient: Patient, day: str, policy: Policy) -> Iterator[_Candidate]:
    for result in ("positive", "negative"):
        record = {"date": day, "result": result}
        yield _Candidate(
            "cytology", "CSF cytology", f"a {result} CSF cytology on {day}", (_add("csf_cytology", record),)
        )


def _mris(wire: Mapping[str, Any], patient: Patient, day: str, policy: Policy) -> Iterator[_Candidate]:
    for enhancement, response in _MRI:
        record: dict[str, Any] = {"date": day, "leptomeningeal_enhancement": enhancement}
        seen = "with" if enhancement else "without"
        read = f"showing {value_words(response) if response != 'stable' else 'stable disease'}, " if response else ""
        if response is not None:
            record["response"] = response
        text = f"an MRI on {day} {read}{seen} leptomeningeal enhancement"
        yield _Candidate("mri", "MRI", text, (_add("mri", record),))


def _performance_statuses(wire: Mapping[str, Any], patient: Patient, day: str, policy: Policy) -> Iterator[_Candidate]:
    history = patient.performance_statuses
    latest = latest_performance_status(patient)
    current = latest.score if latest is not None and latest.scale.value == "ecog" else None
    # A current assessment like the latest first; then one on the other side of the threshold for poor PS.
    if current is None:
        scores: tuple[int, ...] = (policy.poor_ps_ecog, 0)
    else:
        scores = (current, 0 if current >= policy.poor_ps_ecog else policy.poor_ps_ecog)
    for score in scores:
        record = {"scale": "ecog", "score": score, "date": day}
        if not history:
            patch: tuple[dict[str, Any], ...] = (_set("/performance_status", record),)
        else:  # a new assessment joins the earlier ones: the record becomes a history
            patch = (_set("/performance_status", [*_listed(wire["performance_status"]), record]),)
        yield _Candidate("ps", "performance status", f"a performance status of ECOG {score} on {day}", patch)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _therapies(wire: Mapping[str, Any], patient: Patient, day: str, policy: Policy) -> Iterator[_Candidate]:
    for index, therapy in enumerate(patient.therapies):
        if therapy.status is TherapyStatus.ACTIVE:
            since = therapy.start.isoformat() if therapy.start else "an unrecorded date"
            stop = (_set(f"/therapies/{index}/status", "stopped"), _set(f"/therapies/{index}/end", day))
            text = f"{drug_words(therapy)}, given since {since}, stopped on {day}"
            yield _Candidate("therapy", "therapy stopped", text, stop)
            yield from _dose_change(index, therapy, day)
        elif therapy.status is TherapyStatus.PLANNED and therapy.start is None:
            start = (_set(f"/therapies/{index}/status", "active"), _set(f"/therapies/{index}/start", day))
            yield _Candidate("therapy", "therapy started", f"the planned {drug_words(therapy)} started on {day}", start)
    for records in _STARTS:
        started = [{**record, "status": "active", "start": day} for record in records]
        names = " with ".join(drug_words(_therapy(record)) for record in records)
        added = tuple(_add("therapies", record) for record in started)
        yield _Candidate("therapy", "therapy started", f"{names} started on {day}", added)


def _therapy(record: Mapping[str, Any]) -> Therapy:
    return Therapy(Agent(record["agent"]), TherapyStatus.ACTIVE, Route(record["route"]), record.get("dose_mg"))


def _dose_change(index: int, therapy: Therapy, day: str) -> Iterator[_Candidate]:
    """Active osimertinib to the other dose of the document: a stop for a change of dose and a new regimen."""
    if therapy.agent is not Agent.OSIMERTINIB or therapy.dose_mg is None:
        return
    dose = 80 if therapy.dose_mg >= 160 else 160  # the document's two doses
    verb = "lowered" if dose < therapy.dose_mg else "raised"
    new = {"agent": "osimertinib", "route": "oral", "dose_mg": dose, "status": "active", "start": day}
    patch = (
        _set(f"/therapies/{index}/status", "stopped"),
        _set(f"/therapies/{index}/end", day),
        _set(f"/therapies/{index}/stop_reason", "dose-change"),
        _add("therapies", new),
    )
    text = f"osimertinib {verb} from {therapy.dose_mg:g} to {dose} mg a day on {day}"
    yield _Candidate("therapy", "osimertinib dose changed", text, patch)


def _toxicities(wire: Mapping[str, Any], patient: Patient, day: str, policy: Policy) -> Iterator[_Candidate]:
    for term in _TERMS:
        said = "an adverse event of another kind" if term == "other" else value_words(term)
        record = {"term": term, "grade": 3, "date": day}
        text = f"{said} of grade 3 reported on {day}"
        yield _Candidate("toxicity", "adverse event", text, (_add("toxicities", record),))


def _findings(wire: Mapping[str, Any], patient: Patient, day: str, policy: Policy) -> Iterator[_Candidate]:
    for value in ("progressive", "controlled"):
        if patient.systemic_disease.value != value:
            patch = (_set("/systemic_disease", value), _set("/systemic_disease_date", day))
            yield _Candidate("finding", "systemic disease", f"the systemic disease assessed as {value} on {day}", patch)
    for value in ("interrupted", "normal"):
        if patient.csf_flow.value != value:
            patch = (_set("/csf_flow", value), _set("/csf_flow_date", day))
            yield _Candidate("finding", "CSF flow", f"a CSF flow study on {day} finding {value} flow", patch)
    if not patient.brain_metastases:
        patch = (_set("/brain_metastases", True), _set("/brain_metastases_date", day))
        yield _Candidate("finding", "brain metastases", f"brain metastases found on {day}", patch)
    if patient.egfr.status.value == "unknown":
        yield _Candidate("finding", "EGFR", "an EGFR test finding a mutation", (_set("/egfr", {"status": "mutant"}),))

"""Medications: MedicationRequest and MedicationStatement as therapies (status, dates, stop reason).

A resource becomes a therapy when it names one agent (``_agents``) and its
status and route are readable, with its dose where lmtx needs one
(``_dosage``). A draft order reads as a planned therapy; the status reason of
an ended therapy gives its stop reason. :func:`add_therapy` records a therapy
for radiotherapy procedures too (``_events``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement

from lmtx.fhir._agents import agents_of, medication_name, referenced_medication
from lmtx.fhir._codes import MED_STATUS_REASON, codings, day_of, period_of, text_of
from lmtx.fhir._dosage import interval_days, read_dose, read_route
from lmtx.fhir._report import Dated, Entry, Findings
from lmtx.model import Agent, Route, StopReason, Therapy, TherapyStatus

_MR_STATUS = {
    "active": TherapyStatus.ACTIVE,
    "completed": TherapyStatus.COMPLETED,
    "stopped": TherapyStatus.STOPPED,
    "draft": TherapyStatus.PLANNED,
}

_MS_STATUS = {
    "active": TherapyStatus.ACTIVE,
    "completed": TherapyStatus.COMPLETED,
    "stopped": TherapyStatus.STOPPED,
    "intended": TherapyStatus.PLANNED,
}

_ORDER_INTENTS = frozenset({"order", "original-order", "reflex-order", "filler-order", "instance-order"})

_STOP_REASON_CODES = {(MED_STATUS_REASON, "sintol"): StopReason.TOXICITY}
"""HL7 medicationrequest-status-reason codes read as a stop reason (``sintol``: suspected intolerance)."""

_STOP_REASON_PATTERNS = (
    (StopReason.TOXICITY, r"toxicit|adverse|side[- ]?effect|intoleran|allerg"),
    (StopReason.PROGRESSION, r"progress"),
    (
        StopReason.DOSE_CHANGE,
        r"dose (?:change|reduc|escalat|increas|decreas|adjust|modif)|new dose|changed? (?:the )?dose",
    ),
    (StopReason.COURSE_COMPLETED, r"\bcomplet|\bfinished|course (?:over|ended)"),
)
"""Text (the concept's text and every coding's display) read as a stop reason; anything else is `other`."""


def read_medication_use(found: Findings, entry: Entry, use: MedicationRequest | MedicationStatement) -> None:
    """Read a MedicationRequest or MedicationStatement of one agent lmtx knows as a therapy."""
    concept = use.medicationCodeableConcept
    if concept is None and use.medicationReference is not None:
        concept = referenced_medication(found, use)
    agents, display = agents_of(concept)
    if not agents:
        found.ignore(entry, "medication not in lmtx's mapping table")
        return
    field = "therapies"
    if len(agents) > 1:
        names = ", ".join(sorted(agents))
        found.issue(entry, "unmapped", f"names several agents ({names}); lmtx needs one regimen per resource", field)
        return
    agent = agents.pop()
    found.remember_agent(entry, agent)
    status = _medication_status(found, entry, use, field)
    if status is None:
        return
    dosages: list[Dosage] = list((use.dosageInstruction if isinstance(use, MedicationRequest) else use.dosage) or [])
    usable, route = read_route(found, entry, agent, dosages, field)
    if not usable:
        return
    usable, dose = read_dose(found, entry, agent, dosages, display=display, field=field)
    if not usable:
        return
    start, end = _medication_dates(found, entry, use, dosages, field)
    name = None
    if agent is Agent.OTHER:
        name = medication_name(concept)
        found.issue(
            entry,
            "ambiguous",
            f"an antineoplastic lmtx does not list ({name}): read as agent 'other'",
            field,
        )
    add_therapy(
        found,
        entry,
        agent=agent,
        status=status,
        route=route,
        dose=dose,
        start=start,
        end=end,
        field=field,
        name=name,
        interval=interval_days(found, entry, dosages, field),
        stop_reason=stop_reason(found, entry, use, status, field),
    )


def _medication_status(
    found: Findings, entry: Entry, use: MedicationRequest | MedicationStatement, field: str
) -> TherapyStatus | None:
    table = _MR_STATUS if isinstance(use, MedicationRequest) else _MS_STATUS
    status = table.get(use.status or "")
    if status is None:
        if use.status in ("entered-in-error", "cancelled", "not-taken"):
            found.ignore(entry, f"status {use.status}")
        else:
            found.issue(
                entry,
                "unmapped",
                f"status {use.status!r} says neither planned, active, completed nor stopped",
                field,
            )
        return None
    if isinstance(use, MedicationRequest) and status is TherapyStatus.ACTIVE and use.intent not in _ORDER_INTENTS:
        found.issue(entry, "ambiguous", f"active request with intent {use.intent!r} read as planned", field)
        return TherapyStatus.PLANNED
    return status


def _medication_dates(
    found: Findings,
    entry: Entry,
    use: MedicationRequest | MedicationStatement,
    dosages: Sequence[Dosage],
    field: str,
) -> tuple[dt.date | None, dt.date | None]:
    for dosage in dosages:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is not None and repeat.boundsPeriod is not None:
            start, end = period_of(repeat.boundsPeriod)
            if start is not None:
                return start, end
    if isinstance(use, MedicationRequest):
        if use.dispenseRequest is not None and use.dispenseRequest.validityPeriod is not None:
            start, end = period_of(use.dispenseRequest.validityPeriod)
            if start is not None:
                return start, end
        authored = day_of(use.authoredOn)
        if authored is not None:
            found.issue(entry, "ambiguous", "no start date: the order date (authoredOn) is used as the start", field)
        return authored, None
    start, end = period_of(use.effectivePeriod)
    if start is None:
        start = day_of(use.effectiveDateTime)
    if start is None and use.dateAsserted is not None:
        start = day_of(use.dateAsserted)
        if start is not None:
            found.issue(entry, "ambiguous", "no start date: the date asserted is used as the start", field)
    return start, end


def stop_reason(
    found: Findings,
    entry: Entry,
    use: MedicationRequest | MedicationStatement,
    status: TherapyStatus,
    field: str,
) -> StopReason | None:
    """Why an ended therapy ended, from ``statusReason``; ``None`` for other statuses or without a reason.

    A code in ``_STOP_REASON_CODES``, else the words of ``_STOP_REASON_PATTERNS``
    in the reason's text, else `other`. Reasons that read differently give
    `other`, reported.
    """
    if status not in (TherapyStatus.COMPLETED, TherapyStatus.STOPPED):
        return None
    raw = use.statusReason
    concepts: list[CodeableConcept] = [] if raw is None else list(raw) if isinstance(raw, list) else [raw]
    reasons: list[StopReason] = []
    for concept in concepts:
        coded = {_STOP_REASON_CODES[pair] for pair in codings(concept) if pair in _STOP_REASON_CODES}
        if not coded:
            text = text_of(concept)
            coded = {reason for reason, pattern in _STOP_REASON_PATTERNS if re.search(pattern, text)}
        reasons += [reason for reason in sorted(coded) if reason not in reasons]
        if not coded and StopReason.OTHER not in reasons:
            reasons.append(StopReason.OTHER)
    if len(reasons) > 1:
        shown = ", ".join(reasons)
        why = f"the status reasons read as several stop reasons ({shown}): read as 'other'"
        found.issue(entry, "ambiguous", why, field)
        return StopReason.OTHER
    return reasons[0] if reasons else None


def add_therapy(
    found: Findings,
    entry: Entry,
    *,
    agent: Agent,
    status: TherapyStatus,
    route: Route | None,
    dose: float | None,
    start: dt.date | None,
    end: dt.date | None,
    field: str,
    name: str | None = None,
    interval: int | None = None,
    stop_reason: StopReason | None = None,
) -> None:
    """Record a therapy, or report why it cannot be one (no start date, ends before it starts)."""
    if start is None and status is not TherapyStatus.PLANNED:
        found.issue(entry, "unmapped", f"{status} {agent} without a start date", field)
        return
    if status not in (TherapyStatus.COMPLETED, TherapyStatus.STOPPED):
        end = None
    if start is not None and end is not None and end < start:
        found.issue(entry, "unmapped", f"ends ({end}) before it starts ({start})", field)
        return
    therapy = Therapy(
        agent=agent,
        status=status,
        route=route,
        dose_mg=dose,
        start=start,
        end=end,
        name=name,
        interval_days=interval,
        stop_reason=stop_reason,
    )
    found.therapies.append(Dated(start, therapy, entry.reference))

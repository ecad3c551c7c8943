"""Medications: MedicationRequest and MedicationStatement as therapies (agent, status, route, dose, dates).

The agent is named by RxNorm ingredient code or by name (in the resource, a
contained Medication or a referenced one); the status, route and dose must be
readable for it to become a therapy. Osimertinib doses are per day (dose per
administration times the schedule); other agents' are per administration
(see docs/input-format.md). A draft order reads as a planned therapy.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement

from lmtx.fhir._codes import (
    RXNORM,
    SNOMED,
    V3_TIMING,
    codings,
    day_of,
    has_word,
    period_of,
    quantity_mg,
    ref_target,
    text_of,
)
from lmtx.fhir._report import Dated, Entry, Findings
from lmtx.model import Agent, Route, Therapy, TherapyStatus

MIN_DOSE_MG = 0.01
"""Smallest dose read: below it a FHIR dose is a data error, not a dose of these drugs."""
MAX_DOSE_MG = 100_000.0
"""Largest dose read (100 g per administration or day)."""

_ROUTES = {
    (SNOMED, "26643006"): Route.ORAL,
    (SNOMED, "47625008"): Route.INTRAVENOUS,
    (SNOMED, "72607000"): Route.INTRATHECAL,
}

_ROUTE_WORDS = {
    Route.INTRATHECAL: ("intrathecal", "intrathecally", "it"),
    Route.INTRAVENOUS: ("intravenous", "intravenously", "iv"),
    Route.ORAL: ("oral", "orally", "po", "by mouth"),
}


_RXNORM_AGENTS = {
    "1721560": Agent.OSIMERTINIB,
    "328134": Agent.GEFITINIB,
    "337525": Agent.ERLOTINIB,
    "1430438": Agent.AFATINIB,
    "68446": Agent.PEMETREXED,
    "40048": Agent.CARBOPLATIN,
    "2555": Agent.CISPLATIN,
}

_AGENT_NAMES = {
    Agent.OSIMERTINIB: ("osimertinib", "tagrisso"),
    Agent.GEFITINIB: ("gefitinib", "iressa"),
    Agent.ERLOTINIB: ("erlotinib", "tarceva"),
    Agent.AFATINIB: ("afatinib", "gilotrif", "giotrif"),
    Agent.DACOMITINIB: ("dacomitinib", "vizimpro"),
    Agent.PEMETREXED: ("pemetrexed", "alimta", "pemfexy"),
    Agent.CARBOPLATIN: ("carboplatin", "paraplatin"),
    Agent.CISPLATIN: ("cisplatin", "platinol"),
}

_TKIS = frozenset({Agent.OSIMERTINIB, Agent.GEFITINIB, Agent.ERLOTINIB, Agent.AFATINIB, Agent.DACOMITINIB})


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

_TIMING_CODES = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}


def agent_of(resource: Mapping[str, Any]) -> Agent | None:
    """The agent a MedicationRequest or MedicationStatement (as JSON) names, when it names exactly one.

    Args:
        resource: The resource as parsed JSON; only its ``medicationCodeableConcept``
            is read (by RxNorm ingredient code or by name).

    Returns:
        The agent, or ``None`` when the resource names none or several.
    """
    concept = resource.get("medicationCodeableConcept")
    if not isinstance(concept, Mapping):
        return None
    try:
        agents, _ = agents_of(CodeableConcept.model_validate(concept))
    except (pydantic.ValidationError, ValueError, TypeError):
        return None
    return agents.pop() if len(agents) == 1 else None


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
    status = _medication_status(found, entry, use, field)
    if status is None:
        return
    dosages: list[Dosage] = list((use.dosageInstruction if isinstance(use, MedicationRequest) else use.dosage) or [])
    usable, route = _route(found, entry, agent, dosages, field)
    if not usable:
        return
    dose = _dose(found, entry, agent, dosages, display=display, field=field)
    if dose is None:
        return
    start, end = _medication_dates(found, entry, use, dosages, field)
    add_therapy(found, entry, agent=agent, status=status, route=route, dose=dose, start=start, end=end, field=field)


def referenced_medication(found: Findings, use: MedicationRequest | MedicationStatement) -> CodeableConcept | None:
    """The medication concept a resource names by reference (contained, in the input, or by display)."""
    target = ref_target(use.medicationReference)
    if target and target.startswith("#"):
        for contained in use.contained or []:
            if isinstance(contained, Medication) and contained.id == target[1:]:
                return contained.code
    medication = found.medications.get(target or "")
    if medication is None and target:
        medication = next((m for key, m in found.medications.items() if target.endswith("/" + key)), None)
    if medication is None:
        display = use.medicationReference.display if use.medicationReference else None
        return CodeableConcept(text=display) if display else None
    return medication.code


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


def _route(
    found: Findings, entry: Entry, agent: Agent, dosages: Sequence[Dosage], field: str
) -> tuple[bool, Route | None]:
    """The route the dosages give (``None`` when they give none); ``(False, None)`` when unusable."""
    routes: set[Route] = set()
    for dosage in dosages:
        coded = {_ROUTES[pair] for pair in codings(dosage.route) if pair in _ROUTES}
        if not coded:
            text = text_of(dosage.route) or (dosage.text or "").lower()
            coded = {route for route, words in _ROUTE_WORDS.items() if has_word(text, words)}
        routes |= coded
    if len(routes) > 1:
        found.issue(entry, "unmapped", f"several routes ({', '.join(sorted(routes))})", field)
        return False, None
    route = routes.pop() if routes else None
    if agent is Agent.PEMETREXED and route not in (Route.INTRATHECAL, Route.INTRAVENOUS):
        found.issue(entry, "unmapped", "pemetrexed without an intrathecal or intravenous route", field)
        return False, None
    if agent in _TKIS and route not in (None, Route.ORAL):
        found.issue(entry, "unmapped", f"{agent} by route {route}; lmtx knows it as an oral drug", field)
        return False, None
    if agent in (Agent.CARBOPLATIN, Agent.CISPLATIN) and route not in (None, Route.INTRAVENOUS):
        found.issue(entry, "unmapped", f"{agent} by route {route}; lmtx knows it as an intravenous drug", field)
        return False, None
    return True, route


def _dose(
    found: Findings, entry: Entry, agent: Agent, dosages: Sequence[Dosage], *, display: str, field: str
) -> float | None:
    doses: list[float] = []
    for dosage in dosages:
        per_dose = _per_dose_mg(dosage, display)
        if per_dose is None:
            continue
        if agent is Agent.OSIMERTINIB:
            per_day = _per_day(dosage)
            if per_day is None:
                found.issue(entry, "ambiguous", "osimertinib dose without a daily schedule read as once daily", field)
                per_day = 1.0
            doses.append(per_dose * per_day)
        else:
            doses.append(per_dose)
    if not doses:
        unit = "a daily dose" if agent is Agent.OSIMERTINIB else "a dose per administration"
        found.issue(entry, "unmapped", f"{agent} without {unit} in mg (lmtx needs dose_mg)", field)
        return None
    if len(set(doses)) > 1:
        found.issue(
            entry, "ambiguous", f"several doses ({', '.join(f'{d:g}' for d in doses)} mg); the first is used", field
        )
    if not MIN_DOSE_MG <= doses[0] <= MAX_DOSE_MG:
        found.issue(
            entry,
            "unmapped",
            f"dose {doses[0]:g} mg is not a plausible dose (lmtx reads {MIN_DOSE_MG:g}-{MAX_DOSE_MG:g} mg)",
            field,
        )
        return None
    return doses[0]


def _per_dose_mg(dosage: Dosage, display: str) -> float | None:
    for dose_and_rate in dosage.doseAndRate or []:
        quantity = dose_and_rate.doseQuantity
        mg = quantity_mg(quantity)
        if mg is not None:
            return mg
        unit = ((quantity.code or quantity.unit or "") if quantity else "").strip().lower()
        if quantity is not None and quantity.value is not None and unit in ("{tbl}", "tablet", "tablets", "tab"):
            strengths = set(re.findall(r"(\d+(?:\.\d+)?)\s*mg\b", display))
            if len(strengths) == 1:
                return float(quantity.value) * float(strengths.pop())
    return None


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
    )
    found.therapies.append(Dated(start, therapy, entry.reference))


def agents_of(concept: CodeableConcept | None) -> tuple[set[Agent], str]:
    """The agents a medication concept names (by RxNorm ingredient code or by name), and its text."""
    text = text_of(concept)
    by_code = {_RXNORM_AGENTS[code] for system, code in codings(concept) if system == RXNORM and code in _RXNORM_AGENTS}
    by_name = {agent for agent, names in _AGENT_NAMES.items() if has_word(text, names)}
    return by_code | by_name, text


def _per_day(dosage: Dosage) -> float | None:
    timing = dosage.timing
    if timing is None:
        return None
    repeat = timing.repeat
    if repeat is not None and (repeat.frequency is not None or repeat.period is not None):
        frequency = float(repeat.frequency or 1)
        period = float(repeat.period or 1)
        unit = repeat.periodUnit or "d"
        per_unit = {"d": 1.0, "h": 24.0}.get(unit)
        if per_unit is None or period <= 0:
            return None
        return frequency * per_unit / period
    for system, code in codings(timing.code):
        if system == V3_TIMING and code in _TIMING_CODES:
            return float(_TIMING_CODES[code])
    return None


def only_route(agent: Agent) -> Route | None:
    """The one route lmtx knows an agent by, or ``None`` when it has several (pemetrexed)."""
    if agent in _TKIS:
        return Route.ORAL
    if agent in (Agent.CARBOPLATIN, Agent.CISPLATIN):
        return Route.INTRAVENOUS
    if agent is Agent.RADIOTHERAPY:
        return Route.EXTERNAL_BEAM
    return None

"""Medications: MedicationRequest and MedicationStatement as therapies (agent, status, route, dose, dates).

The agent is named by RxNorm ingredient code, ATC code or by name (in the
resource, a contained Medication or a referenced one); the status and route
must be readable for it to become a therapy, and the dose where lmtx needs
one. Osimertinib doses are per day (dose per administration times the
schedule); other agents' are per administration (see docs/input-format.md).
A draft order reads as a planned therapy. The schedule gives the interval
between doses, and the status reason of an ended therapy its stop reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import pydantic
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement

from lmtx._validate import MAX_INTERVAL_DAYS, MAX_NAME_LENGTH
from lmtx.drugs import allowed_routes
from lmtx.fhir._codes import (
    ATC,
    MED_STATUS_REASON,
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
from lmtx.model import Agent, Route, StopReason, Therapy, TherapyStatus

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


# RxNorm ingredient codes; how each was checked is in docs/fhir.md#code-verification.
_RXNORM_AGENTS = {
    "1721560": Agent.OSIMERTINIB,
    "328134": Agent.GEFITINIB,
    "337525": Agent.ERLOTINIB,
    "1430438": Agent.AFATINIB,
    "68446": Agent.PEMETREXED,
    "40048": Agent.CARBOPLATIN,
    "2555": Agent.CISPLATIN,
    "72962": Agent.DOCETAXEL,
    "56946": Agent.PACLITAXEL,
    "12574": Agent.GEMCITABINE,
    "6851": Agent.METHOTREXATE,
    "253337": Agent.BEVACIZUMAB,
}
# No RxNorm code could be verified for icotinib, lazertinib, aumolertinib, furmonertinib,
# befotertinib, sunvozertinib, temozolomide, cytarabine, thiotepa and amivantamab: none is
# invented. Three of them have an ATC code that could be checked (below); all are also
# matched by name (_AGENT_NAMES), and furmonertinib, befotertinib, sunvozertinib,
# temozolomide, cytarabine, thiotepa and amivantamab by name only.
_ATC_AGENTS = {
    "L01EB08": Agent.ICOTINIB,
    "L01EB09": Agent.LAZERTINIB,
    "L01EB11": Agent.AUMOLERTINIB,
    "L01BA01": Agent.METHOTREXATE,
    "L01BC05": Agent.GEMCITABINE,
}
_ATC_ANTINEOPLASTIC = "L01"
"""ATC group of antineoplastic agents: a drug coded in it that lmtx does not list is agent `other`."""

_AGENT_NAMES = {
    Agent.OSIMERTINIB: ("osimertinib", "tagrisso"),
    Agent.GEFITINIB: ("gefitinib", "iressa"),
    Agent.ERLOTINIB: ("erlotinib", "tarceva"),
    Agent.AFATINIB: ("afatinib", "gilotrif", "giotrif"),
    Agent.DACOMITINIB: ("dacomitinib", "vizimpro"),
    Agent.PEMETREXED: ("pemetrexed", "alimta", "pemfexy"),
    Agent.CARBOPLATIN: ("carboplatin", "paraplatin"),
    Agent.CISPLATIN: ("cisplatin", "platinol"),
    Agent.ICOTINIB: ("icotinib",),
    Agent.LAZERTINIB: ("lazertinib", "lazcluze"),
    Agent.AUMOLERTINIB: ("aumolertinib", "almonertinib"),
    Agent.FURMONERTINIB: ("furmonertinib", "alflutinib"),
    Agent.BEFOTERTINIB: ("befotertinib",),
    Agent.SUNVOZERTINIB: ("sunvozertinib",),
    Agent.DOCETAXEL: ("docetaxel", "taxotere"),
    Agent.PACLITAXEL: ("paclitaxel", "taxol"),
    Agent.GEMCITABINE: ("gemcitabine", "gemzar"),
    Agent.TEMOZOLOMIDE: ("temozolomide", "temodar", "temodal"),
    Agent.METHOTREXATE: ("methotrexate",),
    Agent.CYTARABINE: ("cytarabine", "ara-c", "cytosine arabinoside"),
    Agent.THIOTEPA: ("thiotepa",),
    Agent.BEVACIZUMAB: ("bevacizumab", "avastin"),
    Agent.AMIVANTAMAB: ("amivantamab", "rybrevant"),
}

_DOSE_NEEDED = frozenset({Agent.OSIMERTINIB})
"""Agents read only with a dose in mg: osimertinib, the one drug whose dose the rules read. Every other
drug is read without ``dose_mg`` when its dose is not in mg (a platinum course dosed per m² is kept)."""


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

_DAYS_PER_UNIT = {"h": Fraction(1, 24), "d": Fraction(1), "wk": Fraction(7)}
"""Timing period units that are a fixed number of days (months and years are not)."""

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


def agent_of(resource: Mapping[str, Any]) -> Agent | None:
    """The agent a MedicationRequest or MedicationStatement (as JSON) names, when it names exactly one.

    Args:
        resource: The resource as parsed JSON; only its ``medicationCodeableConcept``
            is read (by RxNorm ingredient code, ATC code or by name; an ATC
            antineoplastic lmtx does not list is ``Agent.OTHER``).

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
    found.remember_agent(entry, agent)
    status = _medication_status(found, entry, use, field)
    if status is None:
        return
    dosages: list[Dosage] = list((use.dosageInstruction if isinstance(use, MedicationRequest) else use.dosage) or [])
    usable, route = _route(found, entry, agent, dosages, field)
    if not usable:
        return
    usable, dose = _dose(found, entry, agent, dosages, display=display, field=field)
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


def medication_name(concept: CodeableConcept | None) -> str | None:
    """What the record calls a drug: the concept's text, else its first display, else its first code.

    At most 128 characters (the longest therapy ``name``), cut with an ellipsis.
    """
    if concept is None:
        return None
    names = [concept.text or ""] + [c.display or "" for c in concept.coding or []]
    names += [f"{_system_name(c.system)} {c.code}" for c in concept.coding or [] if c.code]
    name = next((" ".join(n.split()) for n in names if n.strip()), None)
    if name is not None and len(name) > MAX_NAME_LENGTH:
        name = name[: MAX_NAME_LENGTH - 1].rstrip() + "\u2026"
    return name


def _system_name(system: str | None) -> str:
    return {ATC: "ATC", RXNORM: "RxNorm", SNOMED: "SNOMED CT"}.get(system or "", "code")


def interval_days(found: Findings, entry: Entry, dosages: Sequence[Dosage], field: str) -> int | None:
    """Days between doses from ``timing.repeat`` (frequency per period): an interval of 2-365 whole days.

    Daily or more often gives ``None`` (the format's default schedule; the
    daily dose of osimertinib already counts the doses). A schedule that is
    not a whole number of days apart, a range (``frequencyMax``,
    ``periodMax``) or a period in months or years is not converted and is
    reported; several different schedules: the first is used, reported.
    """
    intervals: list[int] = []
    for dosage in dosages:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is None or (repeat.frequency is None and repeat.period is None):
            continue
        unit = repeat.periodUnit or "d"
        period = Fraction(str(repeat.period)) if repeat.period is not None else Fraction(1)
        frequency = Fraction(repeat.frequency or 1)
        if repeat.frequencyMax is not None or repeat.periodMax is not None:
            found.issue(entry, "ambiguous", "a dosing schedule given as a range: interval_days left out", field)
            continue
        if unit in ("s", "min") or period <= 0:
            continue
        if unit not in _DAYS_PER_UNIT:
            found.issue(
                entry,
                "ambiguous",
                f"a dosing period in '{unit}' is not a fixed number of days: interval_days left out",
                field,
            )
            continue
        interval = period * _DAYS_PER_UNIT[unit] / frequency
        if interval <= 1:
            continue
        if interval.denominator != 1 or interval > MAX_INTERVAL_DAYS:
            found.issue(
                entry,
                "ambiguous",
                f"a dose every {float(interval):.3g} days is not a whole number of days from 1 to "
                f"{MAX_INTERVAL_DAYS}: interval_days left out",
                field,
            )
            continue
        intervals.append(int(interval))
    if len(set(intervals)) > 1:
        shown = ", ".join(str(i) for i in intervals)
        found.issue(entry, "ambiguous", f"several dosing intervals ({shown} days); the first is used", field)
    return intervals[0] if intervals else None


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
    allowed = allowed_routes(agent)
    if agent is Agent.OTHER or route in allowed:
        return True, route
    if len(allowed) > 1:
        found.issue(entry, "unmapped", f"{agent} without an {' or '.join(sorted(allowed))} route", field)
        return False, None
    if route is not None:
        (only,) = allowed
        kind = "an oral" if only is Route.ORAL else "an intravenous"
        found.issue(entry, "unmapped", f"{agent} by route {route}; lmtx knows it as {kind} drug", field)
        return False, None
    return True, route


def _dose(
    found: Findings, entry: Entry, agent: Agent, dosages: Sequence[Dosage], *, display: str, field: str
) -> tuple[bool, float | None]:
    """The dose in mg (``None`` when there is none lmtx reads); ``(False, None)`` when the therapy is unusable."""
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
        if agent not in _DOSE_NEEDED:
            if any(d.doseAndRate for d in dosages):
                found.issue(entry, "ambiguous", f"{agent} dose not in mg (not converted): read without dose_mg", field)
            return True, None
        unit = "a daily dose" if agent is Agent.OSIMERTINIB else "a dose per administration"
        found.issue(entry, "unmapped", f"{agent} without {unit} in mg (lmtx needs dose_mg)", field)
        return False, None
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
        return False, None
    return True, doses[0]


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


def agents_of(concept: CodeableConcept | None) -> tuple[set[Agent], str]:
    """The agents a medication concept names (by RxNorm or ATC code or by name), and its text.

    A concept naming no listed agent but coded in the ATC antineoplastic group
    (L01) names agent `other`.
    """
    text = text_of(concept)
    pairs = codings(concept)
    by_code = {_RXNORM_AGENTS[code] for system, code in pairs if system == RXNORM and code in _RXNORM_AGENTS}
    by_code |= {_ATC_AGENTS[code.upper()] for system, code in pairs if system == ATC and code.upper() in _ATC_AGENTS}
    by_name = {agent for agent, names in _AGENT_NAMES.items() if has_word(text, names)}
    agents = by_code | by_name
    if not agents and any(system == ATC and code.upper().startswith(_ATC_ANTINEOPLASTIC) for system, code in pairs):
        agents = {Agent.OTHER}
    return agents, text


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
    """The one route lmtx knows an agent by, or ``None`` when it has several (pemetrexed, `other`, ...)."""
    allowed = allowed_routes(agent)
    return next(iter(allowed)) if len(allowed) == 1 else None

"""Procedures and adverse events: radiotherapy as a therapy, and graded adverse events as toxicities.

A radiotherapy Procedure becomes an external-beam therapy with the
procedure's dates; an AdverseEvent that happened and is not resolved becomes a
toxicity when it carries a CTCAE grade (the ae-grade extension). Its suspect
entities are kept and read as ``attributed_to`` once every therapy is known
(see ``_treatment``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.reference import Reference

from lmtx.fhir._codes import SNOMED, codings, day_of, first_code, has_code, period_of, ref_target, text_of
from lmtx.fhir._medications import add_therapy
from lmtx.fhir._report import Dated, Entry, Findings, Suspect
from lmtx.model import Agent, Route, TherapyStatus, Toxicity, ToxicityTerm

_SCT_RADIOTHERAPY = "108290001"

_PROCEDURE_STATUS = {
    "in-progress": TherapyStatus.ACTIVE,
    "completed": TherapyStatus.COMPLETED,
    "stopped": TherapyStatus.STOPPED,
    "preparation": TherapyStatus.PLANNED,
}


_TOXICITY_CODES = {
    (SNOMED, "271807003"): ToxicityTerm.RASH,
    (SNOMED, "165517008"): ToxicityTerm.NEUTROPENIA,
    (SNOMED, "302215000"): ToxicityTerm.THROMBOCYTOPENIA,
}

_TOXICITY_PATTERNS = (
    (ToxicityTerm.ASEPTIC_MENINGITIS, r"aseptic meningitis|chemical meningitis"),
    (ToxicityTerm.NEUTROPENIA, r"neutropeni|neutrophil count decreased"),
    (ToxicityTerm.THROMBOCYTOPENIA, r"thrombocytopeni|platelet count decreased"),
    (ToxicityTerm.LEUKOPENIA, r"leukopeni|leucopeni|white blood cell (?:count )?decreased"),
    (ToxicityTerm.ANEMIA, r"\ban(?:a)?emi"),
    (ToxicityTerm.RASH, r"\brash|acneiform|skin eruption|eruption of skin"),
    (ToxicityTerm.FATIGUE, r"fatigue"),
)

_GRADE_EXTENSIONS = (
    "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/ae-grade",
    "http://hl7.org/fhir/us/ctcae/StructureDefinition/ctcae-grade",
)


def read_procedure(found: Findings, entry: Entry, procedure: Procedure) -> None:
    """Read a Procedure: radiotherapy becomes an external-beam therapy; other procedures are ignored."""
    if not is_radiotherapy(procedure):
        found.ignore(entry, "procedure code not in lmtx's mapping table")
        return
    found.remember_agent(entry, Agent.RADIOTHERAPY)
    status = _PROCEDURE_STATUS.get(procedure.status or "")
    if status is None:
        if procedure.status in ("not-done", "entered-in-error"):
            found.ignore(entry, f"status {procedure.status}")
        else:
            found.issue(entry, "unmapped", f"radiotherapy with status {procedure.status!r}", "therapies")
        return
    start, end = period_of(procedure.performedPeriod)
    if start is None:
        start = day_of(procedure.performedDateTime)
        if start is not None and status is TherapyStatus.COMPLETED:
            end = start
    add_therapy(
        found,
        entry,
        agent=Agent.RADIOTHERAPY,
        status=status,
        route=Route.EXTERNAL_BEAM,
        dose=None,
        start=start,
        end=end,
        field="therapies",
    )


def read_adverse_event(found: Findings, entry: Entry, event: AdverseEvent) -> None:
    """Read an AdverseEvent that happened and is current: a toxicity with its CTCAE grade."""
    field = "toxicities"
    if event.actuality != "actual":
        found.ignore(entry, f"actuality {event.actuality}: not an event that happened")
        return
    outcome = first_code(event.outcome)
    if outcome in ("resolved", "resolvedWithSequelae"):
        found.ignore(entry, f"outcome {outcome}: not a current adverse event")
        return
    term = _toxicity_term(event.event)
    if term is None:
        if event.event is None:
            found.issue(entry, "unmapped", "adverse event without an event code or text", field)
            return
        term = ToxicityTerm.OTHER
        found.issue(entry, "ambiguous", f"adverse event {text_of(event.event)!r} read as term 'other'", field)
    grade = _grade(event.extension or [])
    if grade is None:
        found.issue(
            entry,
            "unmapped",
            "adverse event without a CTCAE grade 1-5 (ae-grade extension); severity "
            "mild/moderate/severe is not a grade",
            field,
        )
        return
    date = day_of(event.date) or day_of(event.detected)
    found.toxicities.append(Dated(date, Toxicity(term, grade, date), entry.reference))
    suspects = [_suspect(event, s.instance) for s in event.suspectEntity or [] if s.instance is not None]
    if suspects:
        found.suspects[entry.reference] = suspects


def _suspect(event: AdverseEvent, instance: Reference) -> Suspect:
    """A suspect entity: a reference to read later, or a contained medication or display read in place."""
    target = ref_target(instance)
    display = instance.display
    named = CodeableConcept(text=display) if display else None
    if target and target.startswith("#"):
        for contained in event.contained or []:
            if contained.id != target[1:]:
                continue
            if isinstance(contained, Medication):
                return Suspect(target, None, contained.code)
            if isinstance(contained, MedicationStatement | MedicationRequest):
                return Suspect(target, None, contained.medicationCodeableConcept)
        return Suspect(target, None, named)
    if target is None:
        return Suspect(repr(display) if display else "without a reference", None, named)
    return Suspect(target, target, named)


def is_radiotherapy(procedure: Procedure) -> bool:
    """Whether a procedure's code or category names radiotherapy."""
    concepts = [procedure.code, procedure.category]
    pattern = r"radiotherap|radiation (?:therapy|oncology)|radiosurgery|irradiation|whole[- ]brain radiation"
    return any(has_code(c, SNOMED, [_SCT_RADIOTHERAPY]) or re.search(pattern, text_of(c)) for c in concepts)


def _toxicity_term(concept: CodeableConcept | None) -> ToxicityTerm | None:
    coded = {_TOXICITY_CODES[pair] for pair in codings(concept) if pair in _TOXICITY_CODES}
    if len(coded) == 1:
        return coded.pop()
    text = text_of(concept)
    for term, pattern in _TOXICITY_PATTERNS:
        if re.search(pattern, text):
            return term
    return None


def _grade(extensions: Sequence[Extension]) -> int | None:
    for extension in extensions:
        if extension.url not in _GRADE_EXTENSIONS:
            continue
        if extension.valueInteger is not None:
            value: object = extension.valueInteger
        else:
            codes = [code for _, code in codings(extension.valueCodeableConcept)]
            value = codes[0] if codes else None
        if isinstance(value, int) and 1 <= value <= 5:
            return value
        if isinstance(value, str) and value.strip() in {"1", "2", "3", "4", "5"}:
            return int(value.strip())
    return None

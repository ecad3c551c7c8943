"""Terminology: the code systems lmtx reads, and the small readers every resource reader shares.

A FHIR ``CodeableConcept`` is read by its (system, code) pairs and by its human
text; dates are read as the calendar day written; quantities are converted to
milligrams. The code tables of each kind of resource live beside its reader
(``_conditions``, ``_observations``, ``_agents``, ``_dosage``, ``_events``);
``docs/fhir.md`` lists every code with how it was verified.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TypeVar

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference

from lmtx.model import CsfFlow, MriResponse, Symptoms, SystemicDisease

LOINC = "http://loinc.org"
"""LOINC's FHIR system URI."""
SNOMED = "http://snomed.info/sct"
"""SNOMED CT's FHIR system URI."""
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
"""ICD-10-CM's FHIR system URI (codes are compared without their dot)."""
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
"""RxNorm's FHIR system URI."""
ATC = "http://www.whocc.no/atc"
"""The WHO ATC classification's FHIR system URI (for drugs RxNorm codes could not be verified for)."""
UCUM = "http://unitsofmeasure.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V3_TIMING = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
MED_STATUS_REASON = "http://terminology.hl7.org/CodeSystem/medicationrequest-status-reason"
LMTX_CODES = "urn:lmtx:codes"
"""lmtx's own code system, for findings no standard code names (see ``docs/fhir.md``)."""

_E = TypeVar("_E", MriResponse, Symptoms, CsfFlow, SystemicDisease)


def codings(concept: CodeableConcept | None) -> list[tuple[str, str]]:
    """(system, code) pairs of a concept; ICD-10-CM codes without their dot, codes stripped."""
    pairs: list[tuple[str, str]] = []
    for coding in (concept.coding or []) if concept else []:
        if coding.code:
            system = coding.system or ""
            code = coding.code.strip()
            if system == ICD10CM:
                code = code.replace(".", "").upper()
            pairs.append((system, code))
    return pairs


def text_of(concept: CodeableConcept | None) -> str:
    """All human text of a concept (its text and every coding's display), lower case."""
    if concept is None:
        return ""
    parts = [concept.text or ""] + [c.display or "" for c in concept.coding or []]
    return " | ".join(p for p in parts if p).lower()


def has_code(concept: CodeableConcept | None, system: str, codes: Iterable[str]) -> bool:
    """Whether a concept carries one of ``codes`` in ``system``."""
    wanted = set(codes)
    return any(s == system and c in wanted for s, c in codings(concept))


def first_code(concept: CodeableConcept | None) -> str | None:
    """The first code of a concept (any system), e.g. a status's code."""
    pairs = codings(concept)
    return pairs[0][1] if pairs else None


def has_word(text: str, words: Iterable[str]) -> bool:
    """Whether ``text`` holds one of ``words`` as a whole word."""
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


def lmtx_value(concept: CodeableConcept | None, kind: type[_E]) -> _E | None:
    """The one member of ``kind`` a concept names in lmtx's code system, or ``None`` (none, or several)."""
    allowed = {member.value: member for member in kind}
    values = {allowed[code] for system, code in codings(concept) if system == LMTX_CODES and code in allowed}
    return values.pop() if len(values) == 1 else None


def day_of(value: object) -> dt.date | None:
    """The calendar day of a FHIR date/dateTime/instant, as written (no time-zone shift).

    A partial date (``2026`` or ``2026-03``) has no day: ``None``.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def period_of(period: Period | None) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day of a period (either may be ``None``)."""
    if period is None:
        return None, None
    return day_of(period.start), day_of(period.end)


def quantity_mg(quantity: Quantity | None) -> float | None:
    """A quantity in milligrams, or ``None`` when it is not a mass lmtx can convert."""
    if quantity is None or quantity.value is None:
        return None
    unit = (quantity.code or quantity.unit or "").strip().lower()
    factors = {"mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "g": 1000.0, "gram": 1000.0, "grams": 1000.0}
    if unit not in factors:
        return None
    return float(quantity.value) * factors[unit]


def ref_target(reference: Reference | None) -> str | None:
    """The reference string of a Reference, when it has one."""
    return reference.reference if reference is not None and reference.reference else None

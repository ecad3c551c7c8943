"""Observations: performance status, EGFR, CSF cytology, neuraxis MRI, neurological exams, CSF flow, systemic disease.

An Observation is recognised by its LOINC or lmtx code (CSF cytology and
neuraxis MRI also by text, flagged as ambiguous), must be final, amended or
corrected, and must carry the value its field needs and, for dated series, a
full day. EGFR results are read from coded or text values and from genomics
variant assessments. See the mapping table in docs/fhir.md.
"""

from __future__ import annotations

import datetime as dt
import re

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.observation import Observation, ObservationComponent

from lmtx.fhir._codes import (
    LMTX_CODES,
    LOINC,
    SNOMED,
    V3_INTERPRETATION,
    codings,
    day_of,
    has_code,
    lmtx_value,
    text_of,
)
from lmtx.fhir._report import Dated, Entry, Findings
from lmtx.model import (
    CsfCytology,
    CsfFlow,
    CytologyResult,
    EgfrStatus,
    EgfrVariant,
    MriAssessment,
    MriResponse,
    NeuroExam,
    PerformanceStatus,
    PsScale,
    Symptoms,
    SystemicDisease,
)

_LOINC_ECOG = "89247-1"
_LOINC_KPS = "89243-0"
_LOINC_EGFR_MUTATIONS = "21665-5"
_LOINC_VARIANT_ASSESSMENT = "69548-6"
_LOINC_GENE_STUDIED = "48018-6"
_LOINC_DISCRETE_VARIANT = "81252-9"
_LOINC_AMINO_ACID_CHANGE = "48005-3"
_LOINC_DNA_CHANGE = "48004-6"
_LOINC_PRESENT = "LA9633-4"

_SCT_POSITIVE, _SCT_NEGATIVE, _SCT_EQUIVOCAL = "10828004", "260385009", "42425007"
_SCT_PRESENT, _SCT_ABSENT = "52101004", "2667000"

_CYTOLOGY_VALUES = {
    (SNOMED, _SCT_POSITIVE): CytologyResult.POSITIVE,
    (SNOMED, _SCT_NEGATIVE): CytologyResult.NEGATIVE,
    (SNOMED, _SCT_EQUIVOCAL): CytologyResult.EQUIVOCAL,
    (V3_INTERPRETATION, "POS"): CytologyResult.POSITIVE,
    (V3_INTERPRETATION, "NEG"): CytologyResult.NEGATIVE,
    (V3_INTERPRETATION, "IND"): CytologyResult.EQUIVOCAL,
    **{(LMTX_CODES, r.value): r for r in CytologyResult},
}

_OBSERVATION_OK = frozenset({"final", "amended", "corrected"})


# EGFR variants named in text or protein HGVS. Exon 19 spans codons 729-761 and exon 20
# codons 762-823: a deletion starting in exon 19, or an insertion/duplication in exon 20,
# is read as that class.
_AA = r"(?:[A-Z][a-z]{2}|[A-Z])"
_EGFR_VARIANT_PATTERNS = (
    (EgfrVariant.EXON19_DELETION, r"exon\s*19\s*(?:deletion|del)|\bex19\s*del|\bdel\s*19\b|\b19\s*del\b"),
    (EgfrVariant.EXON19_DELETION, rf"p\.\(?{_AA}(?:729|7[3-5]\d|76[01])_{_AA}\d+(?:del|delins)"),
    (EgfrVariant.L858R, r"\bL858R\b|Leu858Arg"),
    (EgfrVariant.T790M, r"\bT790M\b|Thr790Met"),
    (EgfrVariant.EXON20_INSERTION, r"exon\s*20\s*(?:insertion|ins)|\bex20\s*ins"),
    (EgfrVariant.EXON20_INSERTION, rf"p\.\(?{_AA}(?:76[2-9]|7[7-9]\d|8[01]\d|82[0-3])_{_AA}\d+(?:ins|dup)"),
    (EgfrVariant.UNCOMMON, r"\bG719[A-Z]\b|Gly719|\bL861Q\b|Leu861Gln|\bS768I\b|Ser768Ile"),
)
_EGFR_NEGATIVE = (
    r"\bnot detected\b|\bno (?:egfr )?(?:mutations?|variants?|alterations?)\b|\bnegative\b|\bwild[- ]?type\b"
)


def _egfr_variants(text: str) -> set[EgfrVariant]:
    return {variant for variant, pattern in _EGFR_VARIANT_PATTERNS if re.search(pattern, text, re.IGNORECASE)}


_FIELD_OF_KIND = {
    "ecog": "performance_status",
    "kps": "performance_status",
    "egfr": "egfr",
    "csf-cytology": "csf_cytology",
    "neuraxis-mri": "mri",
    "neuro-exam": "neuro_exams",
    "csf-flow": "csf_flow",
    "systemic-disease": "systemic_disease",
}

_LOINC_OBSERVATION_CODES = {
    _LOINC_ECOG: "ecog",
    _LOINC_KPS: "kps",
    _LOINC_EGFR_MUTATIONS: "egfr",
}

_LMTX_OBSERVATION_CODES = {
    "csf-cytology": "csf-cytology",
    "neuraxis-mri": "neuraxis-mri",
    "neuro-exam": "neuro-exam",
    "csf-flow-study": "csf-flow",
    "systemic-disease-status": "systemic-disease",
}


def read_observation(found: Findings, entry: Entry, obs: Observation) -> None:
    """Read an Observation of a kind lmtx knows into its field, with the kind's own reader."""
    kind, by_text = observation_kind(obs)
    if kind is None:
        found.ignore(entry, "observation code not in lmtx's mapping table")
        return
    field = _FIELD_OF_KIND[kind]
    if obs.status not in _OBSERVATION_OK:
        found.issue(
            entry,
            "unmapped",
            f"observation status {obs.status!r}; lmtx reads final, amended or corrected results",
            field,
        )
        return
    if obs.dataAbsentReason is not None:
        found.issue(entry, "unmapped", f"no value ({text_of(obs.dataAbsentReason) or 'data absent'})", field)
        return
    date = _observation_day(obs)
    readers = {
        "ecog": _ecog,
        "kps": _kps,
        "egfr": _egfr,
        "csf-cytology": _csf_cytology,
        "neuraxis-mri": _neuraxis_mri,
        "neuro-exam": _neuro_exam,
        "csf-flow": _csf_flow,
        "systemic-disease": _systemic_disease,
    }
    issues_before = len(found.issues)
    readers[kind](found, entry, obs, date, field)
    used = not any(i.kind == "unmapped" for i in found.issues[issues_before:])
    if by_text and used:
        found.issue(
            entry,
            "ambiguous",
            f"read as {kind.replace('-', ' ')} from the observation's text, not a code lmtx knows",
            field,
        )


def _no_date(found: Findings, entry: Entry, field: str) -> None:
    found.issue(entry, "unmapped", "no effective date (a full YYYY-MM-DD day is needed)", field)


def _ecog(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    _performance(found, entry, obs, date, field, scale=PsScale.ECOG)


def _kps(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    _performance(found, entry, obs, date, field, scale=PsScale.KPS)


def _performance(
    found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str, *, scale: PsScale
) -> None:
    score = _whole_number(obs)
    if score is None:
        found.issue(entry, "unmapped", "no whole-number score (valueInteger or valueQuantity)", field)
        return
    valid = 0 <= score <= 4 if scale is PsScale.ECOG else 10 <= score <= 100 and score % 10 == 0
    if not valid:
        rule = "ECOG 0-4" if scale is PsScale.ECOG else "KPS 10-100 in steps of 10"
        found.issue(entry, "unmapped", f"score {score} is outside {rule} (ECOG 5 and KPS 0 mean deceased)", field)
        return
    found.performance.append(Dated(date, PerformanceStatus(scale, score, date), entry.reference, obs.issued))


def _egfr(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    is_assessment = has_code(obs.code, LOINC, [_LOINC_VARIANT_ASSESSMENT])
    if is_assessment:
        _egfr_assessment(found, entry, obs, date, field)
        return
    texts = [text_of(obs.valueCodeableConcept), (obs.valueString or "").lower()]
    texts += [text_of(i) for i in obs.interpretation or []]
    text = " | ".join(t for t in texts if t)
    variants = _egfr_variants(text)
    positive = has_code(obs.valueCodeableConcept, SNOMED, [_SCT_POSITIVE]) or any(
        has_code(i, V3_INTERPRETATION, ["POS"]) for i in obs.interpretation or []
    )
    negative = has_code(obs.valueCodeableConcept, SNOMED, [_SCT_NEGATIVE]) or bool(re.search(_EGFR_NEGATIVE, text))
    if (variants or positive) and negative:
        found.issue(entry, "unmapped", f"EGFR result reads both as mutated and as not mutated: {text!r}", field)
    elif variants or positive:
        found.egfr_results.append(Dated(date, (EgfrStatus.MUTANT, variants), entry.reference))
        if not variants:
            found.issue(entry, "ambiguous", "EGFR mutation reported without a variant lmtx can name", field)
    elif negative:
        found.egfr_results.append(Dated(date, (EgfrStatus.WILD_TYPE, set()), entry.reference))
    else:
        found.issue(
            entry,
            "unmapped",
            f"EGFR result not understood: {text!r}" if text else "EGFR result has no value",
            field,
        )


def _egfr_assessment(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    if not has_code(obs.valueCodeableConcept, LOINC, [_LOINC_PRESENT]):
        found.issue(
            entry,
            "unmapped",
            "a genetic variant assessment other than 'Present' says nothing about EGFR status as a whole",
            field,
        )
        return
    described = " | ".join(
        text_of(c.valueCodeableConcept)
        + " "
        + " ".join(code for _, code in codings(c.valueCodeableConcept))
        + " "
        + (c.valueString or "")
        for c in obs.component or []
        if has_code(c.code, LOINC, [_LOINC_DISCRETE_VARIANT, _LOINC_AMINO_ACID_CHANGE, _LOINC_DNA_CHANGE])
    )
    variants = _egfr_variants(described)
    if not variants and re.search(r"p\.", described):
        variants = {EgfrVariant.UNCOMMON}
        found.issue(entry, "ambiguous", f"EGFR variant {described.strip()!r} read as an uncommon variant", field)
    elif not variants:
        found.issue(entry, "ambiguous", "EGFR variant present but not described", field)
    found.egfr_results.append(Dated(date, (EgfrStatus.MUTANT, variants), entry.reference))


def _csf_cytology(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    if date is None:
        _no_date(found, entry, field)
        return
    concepts = [obs.valueCodeableConcept, *(obs.interpretation or [])]
    results = {_CYTOLOGY_VALUES[pair] for c in concepts for pair in codings(c) if pair in _CYTOLOGY_VALUES}
    if len(results) != 1:
        why = "contradictory results" if results else "no result coded as positive, negative or equivocal"
        found.issue(entry, "unmapped", f"CSF cytology with {why}", field)
        return
    found.cytology.append(Dated(date, CsfCytology(date, results.pop()), entry.reference))


def _neuraxis_mri(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    if date is None:
        _no_date(found, entry, field)
        return
    enhancement = _presence(obs.valueBoolean, obs.valueCodeableConcept)
    response: MriResponse | None = None
    for component in obs.component or []:
        if has_code(component.code, LMTX_CODES, ["leptomeningeal-enhancement"]):
            enhancement = _presence(component.valueBoolean, component.valueCodeableConcept)
        elif has_code(component.code, LMTX_CODES, ["mri-response"]):
            response = lmtx_value(component.valueCodeableConcept, MriResponse)
            if response is None:
                found.issue(entry, "ambiguous", "MRI response not coded with lmtx's response codes; left out", field)
    if enhancement is None:
        found.issue(entry, "unmapped", "MRI without a leptomeningeal-enhancement finding (present or absent)", field)
        return
    found.mri.append(Dated(date, MriAssessment(date, enhancement, response), entry.reference))


def _neuro_exam(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    if date is None:
        _no_date(found, entry, field)
        return
    symptoms = lmtx_value(obs.valueCodeableConcept, Symptoms)
    if symptoms is None:
        found.issue(entry, "unmapped", "neurological exam without a symptoms code from lmtx's code system", field)
        return
    found.neuro_exams.append(Dated(date, NeuroExam(date, symptoms), entry.reference))


def _csf_flow(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    value = lmtx_value(obs.valueCodeableConcept, CsfFlow)
    if value is None or value is CsfFlow.UNKNOWN:
        found.issue(entry, "unmapped", "CSF flow study without a normal or interrupted result", field)
        return
    found.csf_flow.append(Dated(date, value, entry.reference))


def _systemic_disease(found: Findings, entry: Entry, obs: Observation, date: dt.date | None, field: str) -> None:
    value = lmtx_value(obs.valueCodeableConcept, SystemicDisease)
    if value is None or value is SystemicDisease.UNKNOWN:
        found.issue(entry, "unmapped", "systemic disease status without a controlled or progressive value", field)
        return
    found.systemic.append(Dated(date, value, entry.reference))


def observation_kind(obs: Observation) -> tuple[str | None, bool]:
    """What an observation is (a key of ``_FIELD_OF_KIND``), and whether only its text said so."""
    pairs = codings(obs.code)
    for system, code in pairs:
        if system == LOINC and code in _LOINC_OBSERVATION_CODES:
            return _LOINC_OBSERVATION_CODES[code], False
        if system == LMTX_CODES and code in _LMTX_OBSERVATION_CODES:
            return _LMTX_OBSERVATION_CODES[code], False
    if (LOINC, _LOINC_VARIANT_ASSESSMENT) in pairs:
        about_egfr = any(has_code(c.code, LOINC, [_LOINC_GENE_STUDIED]) and _names_egfr(c) for c in obs.component or [])
        return ("egfr" if about_egfr else None), False
    text = text_of(obs.code)
    kind = None
    if re.search(r"\bcsf\b|cerebrospinal|cerebral spinal", text) and "cytolog" in text:
        kind = "csf-cytology"
    elif re.search(r"\bmri?\b|magnetic resonance", text) and re.search(r"neuraxis|brain|spine|spinal|head", text):
        kind = "neuraxis-mri"
    return kind, kind is not None


def _names_egfr(component: ObservationComponent) -> bool:
    concept = component.valueCodeableConcept
    return any(code == "HGNC:3236" for _, code in codings(concept)) or bool(re.search(r"\begfr\b", text_of(concept)))


def _observation_day(obs: Observation) -> dt.date | None:
    if obs.effectiveDateTime is not None:
        return day_of(obs.effectiveDateTime)
    if obs.effectivePeriod is not None:
        return day_of(obs.effectivePeriod.start)
    return day_of(obs.effectiveInstant)


def _whole_number(obs: Observation) -> int | None:
    if obs.valueInteger is not None:
        return int(obs.valueInteger)
    if obs.valueQuantity is not None and obs.valueQuantity.value is not None:
        value = float(obs.valueQuantity.value)
        return int(value) if value.is_integer() else None
    return None


def _presence(boolean: bool | None, concept: CodeableConcept | None) -> bool | None:
    if boolean is not None:
        return bool(boolean)
    pairs = set(codings(concept))
    present = {(SNOMED, _SCT_PRESENT), (LMTX_CODES, "present")} & pairs
    absent = {(SNOMED, _SCT_ABSENT), (LMTX_CODES, "absent")} & pairs
    if bool(present) == bool(absent):
        return None
    return bool(present)

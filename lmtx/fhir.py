"""FHIR R4 in: read a Bundle (or loose resources) into an lmtx patient, saying what could not be mapped.

Optional extra: ``pip install 'lmtx[fhir]'`` (fhir.resources, its R4B models read
R4 content). ``import lmtx`` never imports this module.

The mapping is a table (``docs/fhir.md``): which resource, with which code,
becomes which field of the patient record (SPEC §2). It never invents a fact:
anything that looks relevant but cannot be read unambiguously is reported as a
:class:`MappingIssue` with the resource's type and id and the reason, and every
resource lmtx does not read at all is listed in :attr:`FhirMapping.ignored`.

``unmapped`` issues name resources that were *not* used; ``ambiguous`` issues
name resources that were used under a documented reading a clinician should
check (a dose without a schedule read as once daily, an observation recognised
by its text rather than its code, two duplicate regimens merged, ...).

Example::

    from lmtx.fhir import from_bundle

    mapping = from_bundle(bundle_json)
    for issue in mapping.issues:
        print(issue)
    if mapping.patient is not None:
        result = lmtx.evaluate(mapping.patient)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

import attrs

try:
    import pydantic
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.adverseevent import AdverseEvent
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.condition import Condition
    from fhir.resources.R4B.dosage import Dosage
    from fhir.resources.R4B.extension import Extension
    from fhir.resources.R4B.medication import Medication
    from fhir.resources.R4B.medicationrequest import MedicationRequest
    from fhir.resources.R4B.medicationstatement import MedicationStatement
    from fhir.resources.R4B.observation import Observation, ObservationComponent
    from fhir.resources.R4B.patient import Patient as FhirPatient
    from fhir.resources.R4B.period import Period
    from fhir.resources.R4B.procedure import Procedure
    from fhir.resources.R4B.quantity import Quantity
    from fhir.resources.R4B.reference import Reference
    from fhir.resources.R4B.resource import Resource
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError("lmtx.fhir needs the 'fhir' extra: pip install 'lmtx[fhir]'") from _error

from lmtx import _codec
from lmtx._evaluate import parse_patient
from lmtx.errors import InvalidPatient
from lmtx.model import (
    Agent,
    CsfCytology,
    CsfFlow,
    CytologyResult,
    Egfr,
    EgfrStatus,
    EgfrVariant,
    Histology,
    MriAssessment,
    MriResponse,
    NeuroExam,
    Patient,
    PerformanceStatus,
    PsScale,
    Route,
    Symptoms,
    SystemicDisease,
    Therapy,
    TherapyStatus,
    Toxicity,
    ToxicityTerm,
)

__all__ = [
    "ICD10CM",
    "LMTX_CODES",
    "LOINC",
    "MAX_DOSE_MG",
    "MIN_DOSE_MG",
    "NO_LUNG_CANCER",
    "RXNORM",
    "SNOMED",
    "BundleError",
    "FhirMapping",
    "IgnoredResource",
    "IssueKind",
    "MappingIssue",
    "agent_of",
    "from_bundle",
    "from_resources",
]

# --- code systems ------------------------------------------------------------------------------

LOINC = "http://loinc.org"
"""LOINC's FHIR system URI."""
SNOMED = "http://snomed.info/sct"
"""SNOMED CT's FHIR system URI."""
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
"""ICD-10-CM's FHIR system URI (codes are compared without their dot)."""
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
"""RxNorm's FHIR system URI."""
UCUM = "http://unitsofmeasure.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V3_TIMING = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
LMTX_CODES = "urn:lmtx:codes"
"""lmtx's own code system, for findings no standard code names (see ``docs/fhir.md``)."""

READ_TYPES = frozenset(
    {
        "Patient",
        "Condition",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "Medication",
        "Procedure",
        "AdverseEvent",
    }
)
"""Resource types lmtx reads; every other type is listed as ignored."""

MIN_DOSE_MG = 0.01
"""Smallest dose read: below it a FHIR dose is a data error, not a dose of these drugs."""
MAX_DOSE_MG = 100_000.0
"""Largest dose read (100 g per administration or day)."""

IssueKind = Literal["unmapped", "ambiguous"]
"""``unmapped``: the resource was not used; ``ambiguous``: used under a reading to check."""
NO_LUNG_CANCER = "no lung cancer diagnosis with a histology lmtx can read; nothing to evaluate"
"""The reason given when the resources hold no lung cancer at all."""
_E = TypeVar("_E", MriResponse, Symptoms, CsfFlow, SystemicDisease)


# --- public result types -----------------------------------------------------------------------


@attrs.frozen
class MappingIssue:
    """A resource that looks relevant but was not used, or was used under a reading to check.

    Attributes:
        resource_type: The FHIR resource type, e.g. ``Observation``.
        resource_id: The resource's id (``None`` when it has none).
        kind: ``unmapped`` (the resource was not used) or ``ambiguous`` (it was
            used under the reading the reason states).
        reason: What lmtx could not read, or how it read it.
        field: The patient-record field concerned (SPEC §2), e.g. ``therapies``.
    """

    resource_type: str
    resource_id: str | None
    kind: IssueKind
    reason: str
    field: str | None = None

    @property
    def reference(self) -> str:
        """``Type/id`` (or just the type when the resource has no id)."""
        return f"{self.resource_type}/{self.resource_id}" if self.resource_id else self.resource_type

    def to_dict(self) -> dict[str, str | None]:
        """The issue as a JSON-compatible object."""
        return {
            "resourceType": self.resource_type,
            "id": self.resource_id,
            "kind": self.kind,
            "field": self.field,
            "reason": self.reason,
        }

    def __str__(self) -> str:
        return f"{self.reference} ({self.kind}): {self.reason}"


@attrs.frozen
class IgnoredResource:
    """A resource lmtx does not read (another type, or a code outside the mapping table)."""

    resource_type: str
    resource_id: str | None
    reason: str


@attrs.frozen
class FhirMapping:
    """The outcome of reading FHIR resources: the patient record and everything left aside.

    Attributes:
        patient: The lmtx patient, or ``None`` when no NSCLC-or-other histology
            could be read (the issues say why); it is always valid for
            :func:`lmtx.evaluate`.
        issues: Unmapped and ambiguous resources, in bundle order.
        ignored: Resources lmtx does not read, in bundle order.
        sources: For each field path of the patient record (``csf_cytology[0]``,
            ``therapies[1]``, ``histology``, ...), the resources it was read from.
    """

    patient: Patient | None
    issues: tuple[MappingIssue, ...]
    ignored: tuple[IgnoredResource, ...]
    sources: Mapping[str, tuple[str, ...]]

    @property
    def no_lung_cancer(self) -> bool:
        """True when nothing in the resources is a lung cancer (or bears on LM): lmtx has nothing to say."""
        return self.patient is None and all(i.reason == NO_LUNG_CANCER for i in self.unmapped)

    @property
    def unmapped(self) -> tuple[MappingIssue, ...]:
        """The issues whose resources were not used."""
        return tuple(i for i in self.issues if i.kind == "unmapped")

    @property
    def ambiguous(self) -> tuple[MappingIssue, ...]:
        """The issues whose resources were used under a reading to check."""
        return tuple(i for i in self.issues if i.kind == "ambiguous")

    def ignored_counts(self) -> dict[str, int]:
        """How many resources of each type were ignored, by type name."""
        counts: dict[str, int] = {}
        for item in self.ignored:
            counts[item.resource_type] = counts.get(item.resource_type, 0) + 1
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        """The mapping as a JSON-compatible object (the patient in the wire format of SPEC §2)."""
        return {
            "patient": None if self.patient is None else _codec.unstructure_patient(self.patient),
            "issues": [issue.to_dict() for issue in self.issues],
            "ignored": self.ignored_counts(),
            "sources": {path: list(refs) for path, refs in self.sources.items()},
        }


class BundleError(ValueError):
    """The input is not FHIR content lmtx can read at all (not a Bundle, several patients, ...)."""


# --- entry points --------------------------------------------------------------------------------


def from_bundle(bundle: Mapping[str, Any] | str | bytes | Bundle, *, patient_id: str | None = None) -> FhirMapping:
    """Read a FHIR R4 Bundle into an lmtx patient.

    Args:
        bundle: The Bundle as JSON text, a parsed JSON object, or a fhir.resources
            R4B ``Bundle``.
        patient_id: The id of the patient to read. Default: the one Patient in
            the bundle; resources of other patients are reported, not used.

    Returns:
        The patient record with every unmapped or ambiguous resource.

    Raises:
        BundleError: The input is not a Bundle, or holds several patients and
            ``patient_id`` does not say which one to read.
    """
    data = _load(bundle)
    if data.get("resourceType") != "Bundle":
        raise BundleError(f"expected a FHIR Bundle, got resourceType {data.get('resourceType')!r}")
    return from_resources([data], patient_id=patient_id)


def from_resources(
    resources: Iterable[Mapping[str, Any] | Resource | None], *, patient_id: str | None = None
) -> FhirMapping:
    """Read loose FHIR R4 resources (Bundles among them are opened) into an lmtx patient.

    This is what a CDS Hooks service holds: a prefetch value per key, each a
    single resource, a search-set Bundle, or ``None``.

    Args:
        resources: Resources as parsed JSON objects or fhir.resources R4B models.
        patient_id: The id of the patient to read (see :func:`from_bundle`).

    Returns:
        The patient record with every unmapped or ambiguous resource.

    Raises:
        BundleError: An item is not a FHIR resource, or the resources belong to
            several patients and ``patient_id`` does not say which one to read.
    """
    entries = list(_flatten(resources))
    return _Mapper(entries, patient_id).run()


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
        agents, _ = _agents_of(CodeableConcept.model_validate(concept))
    except (pydantic.ValidationError, ValueError, TypeError):
        return None
    return agents.pop() if len(agents) == 1 else None


# --- input handling ------------------------------------------------------------------------------


@attrs.frozen
class _Entry:
    """One resource as found: its JSON, and the fullUrl it was filed under (if any)."""

    data: Mapping[str, Any]
    full_url: str | None

    @property
    def resource_type(self) -> str:
        value = self.data.get("resourceType")
        return value if isinstance(value, str) else "?"

    @property
    def resource_id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.resource_id}" if self.resource_id else self.resource_type


def _load(value: object) -> Mapping[str, Any]:
    if isinstance(value, Resource):
        dumped: dict[str, Any] = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped
    if isinstance(value, str | bytes | bytearray):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as error:
            raise BundleError(f"not JSON: {error}") from None
    if not isinstance(value, Mapping):
        raise BundleError(f"expected a FHIR resource (a JSON object), got {type(value).__name__}")
    return value


def _flatten(resources: Iterable[object]) -> Iterator[_Entry]:
    for item in resources:
        if item is None:
            continue
        data = _load(item)
        if data.get("resourceType") != "Bundle":
            if not isinstance(data.get("resourceType"), str):
                raise BundleError("a resource has no resourceType")
            yield _Entry(data, None)
            continue
        entries = data.get("entry", [])
        if not isinstance(entries, list):
            raise BundleError("Bundle.entry must be a list")
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise BundleError("a Bundle entry is not an object")
            resource = entry.get("resource")
            if resource is None:
                continue
            full_url = entry.get("fullUrl")
            if isinstance(resource, Mapping) and resource.get("resourceType") == "Bundle":
                yield from _flatten([resource])
            elif isinstance(resource, Mapping) and isinstance(resource.get("resourceType"), str):
                yield _Entry(resource, full_url if isinstance(full_url, str) else None)
            else:
                raise BundleError("a Bundle entry's resource has no resourceType")


# --- small readers ---------------------------------------------------------------------------------


def _codings(concept: CodeableConcept | None) -> list[tuple[str, str]]:
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


def _text(concept: CodeableConcept | None) -> str:
    """All human text of a concept (its text and every coding's display), lower case."""
    if concept is None:
        return ""
    parts = [concept.text or ""] + [c.display or "" for c in concept.coding or []]
    return " | ".join(p for p in parts if p).lower()


def _has(concept: CodeableConcept | None, system: str, codes: Iterable[str]) -> bool:
    wanted = set(codes)
    return any(s == system and c in wanted for s, c in _codings(concept))


def _day(value: object) -> dt.date | None:
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


def _period(period: Period | None) -> tuple[dt.date | None, dt.date | None]:
    if period is None:
        return None, None
    return _day(period.start), _day(period.end)


def _ref_targets(reference: Reference | None) -> str | None:
    return reference.reference if reference is not None and reference.reference else None


def _quantity_mg(quantity: Quantity | None) -> float | None:
    """A quantity in milligrams, or ``None`` when it is not a mass lmtx can convert."""
    if quantity is None or quantity.value is None:
        return None
    unit = (quantity.code or quantity.unit or "").strip().lower()
    factors = {"mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "g": 1000.0, "gram": 1000.0, "grams": 1000.0}
    if unit not in factors:
        return None
    return float(quantity.value) * factors[unit]


def _has_word(text: str, words: Iterable[str]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


# --- code tables (docs/fhir.md lists them, with how each code was verified) ----------------------

_LOINC_ECOG = "89247-1"
_LOINC_KPS = "89243-0"
_LOINC_EGFR_MUTATIONS = "21665-5"
_LOINC_VARIANT_ASSESSMENT = "69548-6"
_LOINC_GENE_STUDIED = "48018-6"
_LOINC_DISCRETE_VARIANT = "81252-9"
_LOINC_AMINO_ACID_CHANGE = "48005-3"
_LOINC_DNA_CHANGE = "48004-6"
_LOINC_PRESENT = "LA9633-4"

_SCT_NSCLC = "254637007"
_SCT_LUNG_ADENOCARCINOMA = "254626006"
_SCT_BRAIN_METASTASIS = "94225005"
_ICD_BRAIN_METASTASIS = "C7931"
_ICD_LM = "C7932"
_SCT_POSITIVE, _SCT_NEGATIVE, _SCT_EQUIVOCAL = "10828004", "260385009", "42425007"
_SCT_PRESENT, _SCT_ABSENT = "52101004", "2667000"
_SCT_RADIOTHERAPY = "108290001"

_CYTOLOGY_VALUES = {
    (SNOMED, _SCT_POSITIVE): CytologyResult.POSITIVE,
    (SNOMED, _SCT_NEGATIVE): CytologyResult.NEGATIVE,
    (SNOMED, _SCT_EQUIVOCAL): CytologyResult.EQUIVOCAL,
    (V3_INTERPRETATION, "POS"): CytologyResult.POSITIVE,
    (V3_INTERPRETATION, "NEG"): CytologyResult.NEGATIVE,
    (V3_INTERPRETATION, "IND"): CytologyResult.EQUIVOCAL,
    **{(LMTX_CODES, r.value): r for r in CytologyResult},
}

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
_HISTOLOGY_EXTENSION_SUFFIX = "mcode-histology-morphology-behavior"

_OBSERVATION_OK = frozenset({"final", "amended", "corrected"})
_CONDITION_CURRENT = frozenset({"active", "recurrence", "relapse"})

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
_PROCEDURE_STATUS = {
    "in-progress": TherapyStatus.ACTIVE,
    "completed": TherapyStatus.COMPLETED,
    "stopped": TherapyStatus.STOPPED,
    "preparation": TherapyStatus.PLANNED,
}
_ORDER_INTENTS = frozenset({"order", "original-order", "reflex-order", "filler-order", "instance-order"})
_TIMING_CODES = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}

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


# --- the mapper --------------------------------------------------------------------------------


@attrs.define
class _Dated:
    """A mapped finding waiting to be ordered: its date, value and source resource."""

    date: dt.date | None
    value: Any
    source: str


class _Mapper:
    """One mapping run: index the resources, read each, assemble and check the patient."""

    def __init__(self, entries: list[_Entry], patient_id: str | None) -> None:
        self.entries = entries
        self.issues: list[MappingIssue] = []
        self.ignored: list[IgnoredResource] = []
        self.patient_id = patient_id
        self.patient_refs: set[str] = set()
        self.medications: dict[str, Medication] = {}
        # Client slips read leniently (a single value where R4 has an array), by entry: reported once read.
        self.lenient: dict[int, str] = {}
        # Findings, collected per field before the record is assembled.
        self.histologies: list[tuple[Histology, str]] = []
        self.lung_cancer_without_histology: list[str] = []
        self.brain_metastases: list[str] = []
        self.lm_conditions: list[_Entry] = []
        self.egfr_results: list[_Dated] = []
        self.performance: list[_Dated] = []
        self.neuro_exams: list[_Dated] = []
        self.cytology: list[_Dated] = []
        self.mri: list[_Dated] = []
        self.csf_flow: list[_Dated] = []
        self.systemic: list[_Dated] = []
        self.therapies: list[_Dated] = []
        self.toxicities: list[_Dated] = []

    # -- bookkeeping --

    def issue(self, entry: _Entry, kind: IssueKind, reason: str, field: str | None = None) -> None:
        self.issues.append(MappingIssue(entry.resource_type, entry.resource_id, kind, reason, field))

    def ignore(self, entry: _Entry, reason: str) -> None:
        slip = self.lenient.pop(id(entry), None)
        if slip is not None:
            reason = f"{reason} (read leniently: {slip})"
        self.ignored.append(IgnoredResource(entry.resource_type, entry.resource_id, reason))

    # -- run --

    def run(self) -> FhirMapping:
        entries = self._deduplicate(self.entries)
        self._find_patient(entries)
        models: list[tuple[_Entry, Resource]] = []
        for entry in entries:
            if entry.resource_type not in READ_TYPES:
                self.ignore(entry, "resource type not read by lmtx")
                continue
            model = self._validate(entry)
            if model is None:
                continue
            if isinstance(model, Medication):
                self._index_medication(entry, model)
            models.append((entry, model))
        for entry, model in models:
            if isinstance(model, FhirPatient | Medication):
                slip = self.lenient.pop(id(entry), None)
                if slip is not None:
                    self.issue(entry, "ambiguous", f"read leniently: {slip}")
                continue
            reference = self._foreign_subject(entry)
            if reference is not None and self._relevant(model):
                self.issue(
                    entry, "unmapped", f"refers to {reference}, not the patient being read (Patient/{self.patient_id})"
                )
                continue
            self._read(entry, model)  # an irrelevant resource of another subject is only listed as ignored
            slip = self.lenient.pop(id(entry), None)
            if slip is not None:  # the resource was used (or reported): say how it was read
                self.issue(entry, "ambiguous", f"read leniently: {slip}")
        return self._assemble()

    def _deduplicate(self, entries: list[_Entry]) -> list[_Entry]:
        seen: dict[tuple[str, str], _Entry] = {}
        kept: list[_Entry] = []
        for entry in entries:
            if entry.resource_id is None:
                kept.append(entry)
                continue
            key = (entry.resource_type, entry.resource_id)
            if key in seen:
                if seen[key].data != entry.data:
                    self.issue(
                        entry,
                        "unmapped",
                        "a different resource with the same type and id came first; only the first is read",
                    )
                continue
            seen[key] = entry
            kept.append(entry)
        return kept

    def _find_patient(self, entries: list[_Entry]) -> None:
        patients = [e for e in entries if e.resource_type == "Patient"]
        if self.patient_id is None:
            ids = sorted({e.resource_id for e in patients if e.resource_id})
            if len(ids) > 1:
                raise BundleError(f"the resources hold {len(ids)} patients ({', '.join(ids)}); say which one to read")
            self.patient_id = ids[0] if ids else None
        if self.patient_id is None:
            subjects = {ref for e in entries if (ref := _subject_of(e.data)) is not None}
            if len(subjects) > 1:
                raise BundleError("the resources refer to several patients and there is no Patient resource")
            if subjects:
                self.patient_refs = set(subjects)
                kind, ident = _split_ref(subjects.pop())
                self.patient_id = ident if kind == "Patient" and ident and "/" not in ident else None
            return
        self.patient_refs = {f"Patient/{self.patient_id}"}
        for entry in patients:
            if entry.resource_id == self.patient_id and entry.full_url:
                self.patient_refs.add(entry.full_url)
        for entry in patients:
            if entry.resource_id != self.patient_id:
                self.issue(entry, "unmapped", f"another patient than Patient/{self.patient_id}")

    def _validate(self, entry: _Entry) -> Resource | None:
        model_class = get_fhir_model_class(entry.resource_type)
        data, wrapped = entry.data, []
        try:
            for _ in range(_MAX_LENIENT_ROUNDS):
                try:
                    model = model_class.model_validate(data)
                    break
                except pydantic.ValidationError as error:
                    slips = [e["loc"] for e in error.errors() if e["type"] == "list_type" and e["loc"]]
                    mended = _wrap_in_lists(data, slips) if len(slips) == len(error.errors()) else None
                    if not slips or mended is None:
                        raise
                    data = mended
                    wrapped += [_json_path(loc) for loc in slips]
            else:
                model = model_class.model_validate(data)
        except pydantic.ValidationError as error:
            first = error.errors()[0] if error.errors() else {"loc": (), "msg": str(error)}
            where = ".".join(str(part) for part in first["loc"]) or entry.resource_type
            self.issue(entry, "unmapped", f"not a valid FHIR R4 resource: {where}: {first['msg']}")
            return None
        except (ValueError, TypeError) as error:
            self.issue(entry, "unmapped", f"not a valid FHIR R4 resource: {str(error)[:200]}")
            return None
        assert isinstance(model, Resource)
        if wrapped:
            self.lenient[id(entry)] = (
                f"{', '.join(wrapped)} {'is a single value' if len(wrapped) == 1 else 'are single values'} where "
                "FHIR R4 has an array; read as a one-item array"
            )
        return model

    def _index_medication(self, entry: _Entry, medication: Medication) -> None:
        if entry.resource_id:
            self.medications[f"Medication/{entry.resource_id}"] = medication
        if entry.full_url:
            self.medications[entry.full_url] = medication

    def _foreign_subject(self, entry: _Entry) -> str | None:
        """The subject reference of a resource that is not about the patient being read, else ``None``."""
        reference = _subject_of(entry.data)
        if reference is None or not self.patient_refs:
            return None
        if reference in self.patient_refs or any(reference.endswith("/" + r) for r in self.patient_refs):
            return None
        return reference

    def _relevant(self, model: Resource) -> bool:
        """Whether lmtx would read this resource at all (its code is in the mapping table)."""
        if isinstance(model, Condition):
            text = _text(model.code)
            histology, lung = _histology_of(model.code, text)
            return histology is not None or lung or _metastasis_kinds(model.code, text) != (False, False, False)
        if isinstance(model, Observation):
            return _observation_kind(model)[0] is not None
        if isinstance(model, MedicationRequest | MedicationStatement):
            concept = model.medicationCodeableConcept or self._referenced_medication(model)
            return bool(_agents_of(concept)[0])
        if isinstance(model, Procedure):
            return _is_radiotherapy(model)
        return isinstance(model, AdverseEvent)

    def _read(self, entry: _Entry, model: Resource) -> None:
        if isinstance(model, Condition):
            self._condition(entry, model)
        elif isinstance(model, Observation):
            self._observation(entry, model)
        elif isinstance(model, MedicationRequest | MedicationStatement):
            self._medication_use(entry, model)
        elif isinstance(model, Procedure):
            self._procedure(entry, model)
        elif isinstance(model, AdverseEvent):
            self._adverse_event(entry, model)

    # -- Condition ----------------------------------------------------------------------------------

    def _condition(self, entry: _Entry, condition: Condition) -> None:
        code = condition.code
        text = _text(code)
        histology, lung = _histology_of(code, text)
        for extension in condition.extension or []:
            if (extension.url or "").endswith(_HISTOLOGY_EXTENSION_SUFFIX) and histology is Histology.NSCLC_NOS:
                histology = _morphology(_text(extension.valueCodeableConcept)) or histology
        brain, brain_by_text, lm = _metastasis_kinds(code, text)
        if histology is None and not lung and not (brain or brain_by_text or lm):
            self.ignore(entry, "condition code not in lmtx's mapping table")
            return
        field = "histology" if histology is not None or lung else "brain_metastases" if not lm else None
        verification = _first_code(condition.verificationStatus)
        if verification in ("refuted", "entered-in-error"):
            self.ignore(entry, f"verification status {verification}")
            return
        if verification in ("unconfirmed", "provisional", "differential"):
            self.issue(entry, "unmapped", f"diagnosis not confirmed (verification status {verification})", field)
            return
        if histology is not None:
            self.histologies.append((histology, entry.reference))
        elif lung:
            self.lung_cancer_without_histology.append(entry.reference)
        if brain or brain_by_text or lm:
            clinical = _first_code(condition.clinicalStatus)
            if clinical is not None and clinical not in _CONDITION_CURRENT:
                what = "leptomeningeal" if lm else "brain"
                self.issue(
                    entry,
                    "unmapped",
                    f"{what} metastases recorded with clinical status {clinical}: lmtx reads current disease only",
                    "brain_metastases" if not lm else None,
                )
                return
        if brain or brain_by_text:
            self.brain_metastases.append(entry.reference)
            if brain_by_text:
                self.issue(
                    entry,
                    "ambiguous",
                    "brain metastases recognised by the condition's text, not its code",
                    "brain_metastases",
                )
        if lm:
            self.lm_conditions.append(entry)

    # -- Observation --------------------------------------------------------------------------------

    def _observation(self, entry: _Entry, obs: Observation) -> None:
        kind, by_text = _observation_kind(obs)
        if kind is None:
            self.ignore(entry, "observation code not in lmtx's mapping table")
            return
        field = _FIELD_OF_KIND[kind]
        if obs.status not in _OBSERVATION_OK:
            self.issue(
                entry,
                "unmapped",
                f"observation status {obs.status!r}; lmtx reads final, amended or corrected results",
                field,
            )
            return
        if obs.dataAbsentReason is not None:
            self.issue(entry, "unmapped", f"no value ({_text(obs.dataAbsentReason) or 'data absent'})", field)
            return
        date = _observation_day(obs)
        readers = {
            "ecog": self._obs_ecog,
            "kps": self._obs_kps,
            "egfr": self._obs_egfr,
            "csf-cytology": self._obs_csf_cytology,
            "neuraxis-mri": self._obs_neuraxis_mri,
            "neuro-exam": self._obs_neuro_exam,
            "csf-flow": self._obs_csf_flow,
            "systemic-disease": self._obs_systemic_disease,
        }
        issues_before = len(self.issues)
        readers[kind](entry, obs, date, field)
        used = not any(i.kind == "unmapped" for i in self.issues[issues_before:])
        if by_text and used:
            self.issue(
                entry,
                "ambiguous",
                f"read as {kind.replace('-', ' ')} from the observation's text, not a code lmtx knows",
                field,
            )

    def _no_date(self, entry: _Entry, field: str) -> None:
        self.issue(entry, "unmapped", "no effective date (a full YYYY-MM-DD day is needed)", field)

    def _obs_ecog(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        self._performance(entry, obs, date, field, PsScale.ECOG)

    def _obs_kps(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        self._performance(entry, obs, date, field, PsScale.KPS)

    def _performance(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str, scale: PsScale) -> None:
        score = _whole_number(obs)
        if score is None:
            self.issue(entry, "unmapped", "no whole-number score (valueInteger or valueQuantity)", field)
            return
        valid = 0 <= score <= 4 if scale is PsScale.ECOG else 10 <= score <= 100 and score % 10 == 0
        if not valid:
            rule = "ECOG 0-4" if scale is PsScale.ECOG else "KPS 10-100 in steps of 10"
            self.issue(entry, "unmapped", f"score {score} is outside {rule} (ECOG 5 and KPS 0 mean deceased)", field)
            return
        self.performance.append(_Dated(date, PerformanceStatus(scale, score, date), entry.reference))

    def _obs_egfr(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        is_assessment = _has(obs.code, LOINC, [_LOINC_VARIANT_ASSESSMENT])
        if is_assessment:
            self._egfr_assessment(entry, obs, date, field)
            return
        texts = [_text(obs.valueCodeableConcept), (obs.valueString or "").lower()]
        texts += [_text(i) for i in obs.interpretation or []]
        text = " | ".join(t for t in texts if t)
        variants = _egfr_variants(text)
        positive = _has(obs.valueCodeableConcept, SNOMED, [_SCT_POSITIVE]) or any(
            _has(i, V3_INTERPRETATION, ["POS"]) for i in obs.interpretation or []
        )
        negative = _has(obs.valueCodeableConcept, SNOMED, [_SCT_NEGATIVE]) or bool(re.search(_EGFR_NEGATIVE, text))
        if (variants or positive) and negative:
            self.issue(entry, "unmapped", f"EGFR result reads both as mutated and as not mutated: {text!r}", field)
        elif variants or positive:
            self.egfr_results.append(_Dated(date, (EgfrStatus.MUTANT, variants), entry.reference))
            if not variants:
                self.issue(entry, "ambiguous", "EGFR mutation reported without a variant lmtx can name", field)
        elif negative:
            self.egfr_results.append(_Dated(date, (EgfrStatus.WILD_TYPE, set()), entry.reference))
        else:
            self.issue(
                entry,
                "unmapped",
                f"EGFR result not understood: {text!r}" if text else "EGFR result has no value",
                field,
            )

    def _egfr_assessment(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        if not _has(obs.valueCodeableConcept, LOINC, [_LOINC_PRESENT]):
            self.issue(
                entry,
                "unmapped",
                "a genetic variant assessment other than 'Present' says nothing about EGFR status as a whole",
                field,
            )
            return
        described = " | ".join(
            _text(c.valueCodeableConcept)
            + " "
            + " ".join(code for _, code in _codings(c.valueCodeableConcept))
            + " "
            + (c.valueString or "")
            for c in obs.component or []
            if _has(c.code, LOINC, [_LOINC_DISCRETE_VARIANT, _LOINC_AMINO_ACID_CHANGE, _LOINC_DNA_CHANGE])
        )
        variants = _egfr_variants(described)
        if not variants and re.search(r"p\.", described):
            variants = {EgfrVariant.UNCOMMON}
            self.issue(entry, "ambiguous", f"EGFR variant {described.strip()!r} read as an uncommon variant", field)
        elif not variants:
            self.issue(entry, "ambiguous", "EGFR variant present but not described", field)
        self.egfr_results.append(_Dated(date, (EgfrStatus.MUTANT, variants), entry.reference))

    def _obs_csf_cytology(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        if date is None:
            self._no_date(entry, field)
            return
        concepts = [obs.valueCodeableConcept, *(obs.interpretation or [])]
        results = {_CYTOLOGY_VALUES[pair] for c in concepts for pair in _codings(c) if pair in _CYTOLOGY_VALUES}
        if len(results) != 1:
            why = "contradictory results" if results else "no result coded as positive, negative or equivocal"
            self.issue(entry, "unmapped", f"CSF cytology with {why}", field)
            return
        self.cytology.append(_Dated(date, CsfCytology(date, results.pop()), entry.reference))

    def _obs_neuraxis_mri(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        if date is None:
            self._no_date(entry, field)
            return
        enhancement = _presence(obs.valueBoolean, obs.valueCodeableConcept)
        response: MriResponse | None = None
        for component in obs.component or []:
            if _has(component.code, LMTX_CODES, ["leptomeningeal-enhancement"]):
                enhancement = _presence(component.valueBoolean, component.valueCodeableConcept)
            elif _has(component.code, LMTX_CODES, ["mri-response"]):
                response = _lmtx_value(component.valueCodeableConcept, MriResponse)
                if response is None:
                    self.issue(entry, "ambiguous", "MRI response not coded with lmtx's response codes; left out", field)
        if enhancement is None:
            self.issue(entry, "unmapped", "MRI without a leptomeningeal-enhancement finding (present or absent)", field)
            return
        self.mri.append(_Dated(date, MriAssessment(date, enhancement, response), entry.reference))

    def _obs_neuro_exam(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        if date is None:
            self._no_date(entry, field)
            return
        symptoms = _lmtx_value(obs.valueCodeableConcept, Symptoms)
        if symptoms is None:
            self.issue(entry, "unmapped", "neurological exam without a symptoms code from lmtx's code system", field)
            return
        self.neuro_exams.append(_Dated(date, NeuroExam(date, symptoms), entry.reference))

    def _obs_csf_flow(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        value = _lmtx_value(obs.valueCodeableConcept, CsfFlow)
        if value is None or value is CsfFlow.UNKNOWN:
            self.issue(entry, "unmapped", "CSF flow study without a normal or interrupted result", field)
            return
        self.csf_flow.append(_Dated(date, value, entry.reference))

    def _obs_systemic_disease(self, entry: _Entry, obs: Observation, date: dt.date | None, field: str) -> None:
        value = _lmtx_value(obs.valueCodeableConcept, SystemicDisease)
        if value is None or value is SystemicDisease.UNKNOWN:
            self.issue(entry, "unmapped", "systemic disease status without a controlled or progressive value", field)
            return
        self.systemic.append(_Dated(date, value, entry.reference))

    # -- MedicationRequest / MedicationStatement ----------------------------------------------------

    def _medication_use(self, entry: _Entry, use: MedicationRequest | MedicationStatement) -> None:
        concept = use.medicationCodeableConcept
        if concept is None and use.medicationReference is not None:
            concept = self._referenced_medication(use)
        agents, display = _agents_of(concept)
        if not agents:
            self.ignore(entry, "medication not in lmtx's mapping table")
            return
        field = "therapies"
        if len(agents) > 1:
            names = ", ".join(sorted(agents))
            self.issue(entry, "unmapped", f"names several agents ({names}); lmtx needs one regimen per resource", field)
            return
        agent = agents.pop()
        status = self._medication_status(entry, use, field)
        if status is None:
            return
        dosages: list[Dosage] = list(
            (use.dosageInstruction if isinstance(use, MedicationRequest) else use.dosage) or []
        )
        usable, route = self._route(entry, agent, dosages, field)
        if not usable:
            return
        dose = self._dose(entry, agent, dosages, display, field)
        if dose is None:
            return
        start, end = self._medication_dates(entry, use, dosages, field)
        self._add_therapy(entry, agent=agent, status=status, route=route, dose=dose, start=start, end=end, field=field)

    def _referenced_medication(self, use: MedicationRequest | MedicationStatement) -> CodeableConcept | None:
        target = _ref_targets(use.medicationReference)
        if target and target.startswith("#"):
            for contained in use.contained or []:
                if isinstance(contained, Medication) and contained.id == target[1:]:
                    return contained.code
        medication = self.medications.get(target or "")
        if medication is None and target:
            medication = next((m for key, m in self.medications.items() if target.endswith("/" + key)), None)
        if medication is None:
            display = use.medicationReference.display if use.medicationReference else None
            return CodeableConcept(text=display) if display else None
        return medication.code

    def _medication_status(
        self, entry: _Entry, use: MedicationRequest | MedicationStatement, field: str
    ) -> TherapyStatus | None:
        table = _MR_STATUS if isinstance(use, MedicationRequest) else _MS_STATUS
        status = table.get(use.status or "")
        if status is None:
            if use.status in ("entered-in-error", "cancelled", "not-taken"):
                self.ignore(entry, f"status {use.status}")
            else:
                self.issue(
                    entry,
                    "unmapped",
                    f"status {use.status!r} says neither planned, active, completed nor stopped",
                    field,
                )
            return None
        if isinstance(use, MedicationRequest) and status is TherapyStatus.ACTIVE and use.intent not in _ORDER_INTENTS:
            self.issue(entry, "ambiguous", f"active request with intent {use.intent!r} read as planned", field)
            return TherapyStatus.PLANNED
        return status

    def _route(self, entry: _Entry, agent: Agent, dosages: Sequence[Dosage], field: str) -> tuple[bool, Route | None]:
        """The route the dosages give (``None`` when they give none); ``(False, None)`` when unusable."""
        routes: set[Route] = set()
        for dosage in dosages:
            coded = {_ROUTES[pair] for pair in _codings(dosage.route) if pair in _ROUTES}
            if not coded:
                text = _text(dosage.route) or (dosage.text or "").lower()
                coded = {route for route, words in _ROUTE_WORDS.items() if _has_word(text, words)}
            routes |= coded
        if len(routes) > 1:
            self.issue(entry, "unmapped", f"several routes ({', '.join(sorted(routes))})", field)
            return False, None
        route = routes.pop() if routes else None
        if agent is Agent.PEMETREXED and route not in (Route.INTRATHECAL, Route.INTRAVENOUS):
            self.issue(entry, "unmapped", "pemetrexed without an intrathecal or intravenous route", field)
            return False, None
        if agent in _TKIS and route not in (None, Route.ORAL):
            self.issue(entry, "unmapped", f"{agent} by route {route}; lmtx knows it as an oral drug", field)
            return False, None
        if agent in (Agent.CARBOPLATIN, Agent.CISPLATIN) and route not in (None, Route.INTRAVENOUS):
            self.issue(entry, "unmapped", f"{agent} by route {route}; lmtx knows it as an intravenous drug", field)
            return False, None
        return True, route

    def _dose(self, entry: _Entry, agent: Agent, dosages: Sequence[Dosage], display: str, field: str) -> float | None:
        doses: list[float] = []
        for dosage in dosages:
            per_dose = self._per_dose_mg(dosage, display)
            if per_dose is None:
                continue
            if agent is Agent.OSIMERTINIB:
                per_day = _per_day(dosage)
                if per_day is None:
                    self.issue(
                        entry, "ambiguous", "osimertinib dose without a daily schedule read as once daily", field
                    )
                    per_day = 1.0
                doses.append(per_dose * per_day)
            else:
                doses.append(per_dose)
        if not doses:
            unit = "a daily dose" if agent is Agent.OSIMERTINIB else "a dose per administration"
            self.issue(entry, "unmapped", f"{agent} without {unit} in mg (lmtx needs dose_mg)", field)
            return None
        if len(set(doses)) > 1:
            self.issue(
                entry, "ambiguous", f"several doses ({', '.join(f'{d:g}' for d in doses)} mg); the first is used", field
            )
        if not MIN_DOSE_MG <= doses[0] <= MAX_DOSE_MG:
            self.issue(
                entry,
                "unmapped",
                f"dose {doses[0]:g} mg is not a plausible dose (lmtx reads {MIN_DOSE_MG:g}-{MAX_DOSE_MG:g} mg)",
                field,
            )
            return None
        return doses[0]

    @staticmethod
    def _per_dose_mg(dosage: Dosage, display: str) -> float | None:
        for dose_and_rate in dosage.doseAndRate or []:
            quantity = dose_and_rate.doseQuantity
            mg = _quantity_mg(quantity)
            if mg is not None:
                return mg
            unit = ((quantity.code or quantity.unit or "") if quantity else "").strip().lower()
            if quantity is not None and quantity.value is not None and unit in ("{tbl}", "tablet", "tablets", "tab"):
                strengths = set(re.findall(r"(\d+(?:\.\d+)?)\s*mg\b", display))
                if len(strengths) == 1:
                    return float(quantity.value) * float(strengths.pop())
        return None

    def _medication_dates(
        self,
        entry: _Entry,
        use: MedicationRequest | MedicationStatement,
        dosages: Sequence[Dosage],
        field: str,
    ) -> tuple[dt.date | None, dt.date | None]:
        for dosage in dosages:
            repeat = dosage.timing.repeat if dosage.timing else None
            if repeat is not None and repeat.boundsPeriod is not None:
                start, end = _period(repeat.boundsPeriod)
                if start is not None:
                    return start, end
        if isinstance(use, MedicationRequest):
            if use.dispenseRequest is not None and use.dispenseRequest.validityPeriod is not None:
                start, end = _period(use.dispenseRequest.validityPeriod)
                if start is not None:
                    return start, end
            authored = _day(use.authoredOn)
            if authored is not None:
                self.issue(entry, "ambiguous", "no start date: the order date (authoredOn) is used as the start", field)
            return authored, None
        start, end = _period(use.effectivePeriod)
        if start is None:
            start = _day(use.effectiveDateTime)
        if start is None and use.dateAsserted is not None:
            start = _day(use.dateAsserted)
            if start is not None:
                self.issue(entry, "ambiguous", "no start date: the date asserted is used as the start", field)
        return start, end

    def _add_therapy(
        self,
        entry: _Entry,
        *,
        agent: Agent,
        status: TherapyStatus,
        route: Route | None,
        dose: float | None,
        start: dt.date | None,
        end: dt.date | None,
        field: str,
    ) -> None:
        if start is None and status is not TherapyStatus.PLANNED:
            self.issue(entry, "unmapped", f"{status} {agent} without a start date", field)
            return
        if status not in (TherapyStatus.COMPLETED, TherapyStatus.STOPPED):
            end = None
        if start is not None and end is not None and end < start:
            self.issue(entry, "unmapped", f"ends ({end}) before it starts ({start})", field)
            return
        therapy = Therapy(
            agent=agent,
            status=status,
            route=route,
            dose_mg=dose,
            start=start,
            end=end,
        )
        self.therapies.append(_Dated(start, therapy, entry.reference))

    # -- Procedure (radiotherapy) -------------------------------------------------------------------

    def _procedure(self, entry: _Entry, procedure: Procedure) -> None:
        if not _is_radiotherapy(procedure):
            self.ignore(entry, "procedure code not in lmtx's mapping table")
            return
        status = _PROCEDURE_STATUS.get(procedure.status or "")
        if status is None:
            if procedure.status in ("not-done", "entered-in-error"):
                self.ignore(entry, f"status {procedure.status}")
            else:
                self.issue(entry, "unmapped", f"radiotherapy with status {procedure.status!r}", "therapies")
            return
        start, end = _period(procedure.performedPeriod)
        if start is None:
            start = _day(procedure.performedDateTime)
            if start is not None and status is TherapyStatus.COMPLETED:
                end = start
        self._add_therapy(
            entry,
            agent=Agent.RADIOTHERAPY,
            status=status,
            route=Route.EXTERNAL_BEAM,
            dose=None,
            start=start,
            end=end,
            field="therapies",
        )

    # -- AdverseEvent -------------------------------------------------------------------------------

    def _adverse_event(self, entry: _Entry, event: AdverseEvent) -> None:
        field = "toxicities"
        if event.actuality != "actual":
            self.ignore(entry, f"actuality {event.actuality}: not an event that happened")
            return
        outcome = _first_code(event.outcome)
        if outcome in ("resolved", "resolvedWithSequelae"):
            self.ignore(entry, f"outcome {outcome}: not a current adverse event")
            return
        term = _toxicity_term(event.event)
        if term is None:
            if event.event is None:
                self.issue(entry, "unmapped", "adverse event without an event code or text", field)
                return
            term = ToxicityTerm.OTHER
            self.issue(entry, "ambiguous", f"adverse event {_text(event.event)!r} read as term 'other'", field)
        grade = _grade(event.extension or [])
        if grade is None:
            self.issue(
                entry,
                "unmapped",
                "adverse event without a CTCAE grade 1-5 (ae-grade extension); severity "
                "mild/moderate/severe is not a grade",
                field,
            )
            return
        date = _day(event.date) or _day(event.detected)
        self.toxicities.append(_Dated(date, Toxicity(term, grade, date), entry.reference))

    # -- assembly -----------------------------------------------------------------------------------

    def _assemble(self) -> FhirMapping:
        sources: dict[str, tuple[str, ...]] = {}
        histology = self._choose_histology(sources)
        egfr = self._choose_egfr(sources)
        performance = _latest(self.performance, "performance_status", sources)
        cytology = self._series(self.cytology, "csf_cytology", sources)
        mri = self._series(self.mri, "mri", sources)
        neuro = self._series(self.neuro_exams, "neuro_exams", sources)
        flow = _latest(self.csf_flow, "csf_flow", sources)
        systemic = _latest(self.systemic, "systemic_disease", sources)
        therapies = self._merge_therapies()
        for i, item in enumerate(therapies):
            sources[f"therapies[{i}]"] = (item.source,)
        toxicities = sorted(self.toxicities, key=lambda d: (d.date or dt.date.min, d.source))
        for i, item in enumerate(toxicities):
            sources[f"toxicities[{i}]"] = (item.source,)
        if self.brain_metastases:
            sources["brain_metastases"] = tuple(self.brain_metastases)
        self._check_lm_conditions(cytology, mri)
        if histology is None:
            return FhirMapping(None, tuple(self.issues), tuple(self.ignored), sources)
        patient = Patient(
            histology=histology,
            id=self.patient_id,
            egfr=egfr,
            performance_status=performance,
            brain_metastases=bool(self.brain_metastases),
            neuro_exams=tuple(d.value for d in neuro),
            csf_cytology=tuple(d.value for d in cytology),
            mri=tuple(d.value for d in mri),
            csf_flow=flow or CsfFlow.UNKNOWN,
            systemic_disease=systemic or SystemicDisease.UNKNOWN,
            therapies=tuple(d.value for d in therapies),
            toxicities=tuple(d.value for d in toxicities),
        )
        try:
            parse_patient(patient)
        except InvalidPatient as error:
            # A defence, not a path the mapping is meant to take: say what lmtx refused.
            for problem in error.problems:
                refs = sources.get(problem.path.split(".")[0], ())
                self.issues.append(
                    MappingIssue(
                        "Patient",
                        self.patient_id,
                        "unmapped",
                        f"lmtx refused the mapped record: {problem} (from {', '.join(refs) or 'the bundle'})",
                    )
                )
            return FhirMapping(None, tuple(self.issues), tuple(self.ignored), sources)
        return FhirMapping(patient, tuple(self.issues), tuple(self.ignored), sources)

    def _choose_histology(self, sources: dict[str, tuple[str, ...]]) -> Histology | None:
        found = {h for h, _ in self.histologies}
        specific = found - {Histology.NSCLC_NOS}
        nsclc = {Histology.ADENOCARCINOMA, Histology.SQUAMOUS, Histology.LARGE_CELL, Histology.NSCLC_NOS}
        if not found:
            where = ", ".join(self.lung_cancer_without_histology)
            reason = (
                f"lung cancer ({where}) without a histology lmtx can read; the patient record needs one"
                if where
                else NO_LUNG_CANCER
            )
            self.issues.append(MappingIssue("Patient", self.patient_id, "unmapped", reason, "histology"))
            return None
        refs = tuple(ref for _, ref in self.histologies)
        sources["histology"] = refs
        if len(specific) <= 1:
            return specific.pop() if specific else Histology.NSCLC_NOS
        if specific <= nsclc:
            self.issues.append(
                MappingIssue(
                    "Patient",
                    self.patient_id,
                    "ambiguous",
                    f"several NSCLC histologies ({', '.join(sorted(specific))}); read as NSCLC not otherwise specified",
                    "histology",
                )
            )
            return Histology.NSCLC_NOS
        self.issues.append(
            MappingIssue(
                "Patient",
                self.patient_id,
                "unmapped",
                f"conflicting histologies ({', '.join(sorted(found))} in {', '.join(refs)})",
                "histology",
            )
        )
        return None

    def _choose_egfr(self, sources: dict[str, tuple[str, ...]]) -> Egfr:
        mutant = [d for d in self.egfr_results if d.value[0] is EgfrStatus.MUTANT]
        wild = [d for d in self.egfr_results if d.value[0] is EgfrStatus.WILD_TYPE]
        if mutant:
            sources["egfr"] = tuple(d.source for d in mutant)
            for item in wild:
                self.issues.append(
                    MappingIssue(
                        *_split_ref(item.source),
                        "ambiguous",
                        "EGFR reported not mutated here, mutated elsewhere: read as mutant",
                        "egfr",
                    )
                )
            variants = set().union(*(d.value[1] for d in mutant))
            order = list(EgfrVariant)
            return Egfr(EgfrStatus.MUTANT, tuple(sorted(variants, key=order.index)))
        if wild:
            sources["egfr"] = tuple(d.source for d in wild)
            return Egfr(EgfrStatus.WILD_TYPE)
        return Egfr()

    def _series(self, items: list[_Dated], name: str, sources: dict[str, tuple[str, ...]]) -> list[_Dated]:
        """Order a dated series; two different findings on one day are both left out."""
        by_day: dict[dt.date, list[_Dated]] = {}
        for item in items:
            assert item.date is not None
            by_day.setdefault(item.date, []).append(item)
        kept: list[_Dated] = []
        for day in sorted(by_day):
            group = by_day[day]
            if len({g.value for g in group}) > 1:
                for g in group:
                    others = ", ".join(o.source for o in group if o is not g)
                    self.issues.append(
                        MappingIssue(
                            *_split_ref(g.source),
                            "unmapped",
                            f"a different {name} finding on the same day ({others}); neither is used",
                            name,
                        )
                    )
                continue
            kept.append(group[0])
            for duplicate in group[1:]:
                self.issues.append(
                    MappingIssue(
                        *_split_ref(duplicate.source),
                        "ambiguous",
                        f"same finding as {group[0].source} on the same day; read once",
                        name,
                    )
                )
        for i, item in enumerate(kept):
            sources[f"{name}[{i}]"] = (item.source,)
        return kept

    def _merge_therapies(self) -> list[_Dated]:
        """Active regimens of one agent and route are one regimen: the latest start wins."""
        ordered = sorted(self.therapies, key=lambda d: (d.date or dt.date.max, d.source))
        active: dict[tuple[Agent, Route | None], _Dated] = {}
        kept: list[_Dated] = []
        for item in ordered:
            therapy: Therapy = item.value
            if therapy.status is not TherapyStatus.ACTIVE:
                kept.append(item)
                continue
            route = therapy.route or _only_route(therapy.agent)
            key = (therapy.agent, route)
            previous = active.get(key)
            if previous is None:
                active[key] = item
                kept.append(item)
                continue
            same = attrs.evolve(previous.value, start=therapy.start) == therapy
            reason = (
                f"duplicate of the active {therapy.agent} regimen in {item.source}; read once"
                if same
                else f"another active {therapy.agent} regimen ({item.source}) started later; it replaces this one"
            )
            self.issues.append(MappingIssue(*_split_ref(previous.source), "ambiguous", reason, "therapies"))
            kept[kept.index(previous)] = item
            active[key] = item
        return kept

    def _check_lm_conditions(self, cytology: list[_Dated], mri: list[_Dated]) -> None:
        if not self.lm_conditions:
            return
        positive = [c for c in cytology if c.value.result is CytologyResult.POSITIVE]
        enhancing = [m for m in mri if m.value.leptomeningeal_enhancement]
        for entry in self.lm_conditions:
            if positive:
                continue
            if enhancing:
                self.issue(
                    entry,
                    "ambiguous",
                    "leptomeningeal metastases diagnosed without positive CSF cytology: "
                    f"lmtx reads probable LM from the MRI enhancement ({enhancing[-1].source})",
                )
            else:
                self.issue(
                    entry,
                    "unmapped",
                    "leptomeningeal metastases diagnosed, but the record has neither a "
                    "positive CSF cytology nor an MRI with leptomeningeal enhancement: lmtx has no field for "
                    "the diagnosis itself; record the cytology or MRI finding",
                )


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


_MAX_LENIENT_ROUNDS = 5
"""How many times a resource is re-read with its slips mended (each round can reveal slips deeper down)."""


def _wrap_in_lists(data: Any, locations: Sequence[tuple[int | str, ...]]) -> Any:
    """A copy of ``data`` with the value at each location wrapped in a one-item list (``None`` if one is not there)."""
    data = json.loads(json.dumps(data))
    for loc in locations:
        parent = data
        try:
            for part in loc[:-1]:
                parent = parent[part]
            if isinstance(parent[loc[-1]], list):
                return None
            parent[loc[-1]] = [parent[loc[-1]]]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _json_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a JSON path: ``dosageInstruction[0].doseAndRate``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _subject_of(data: Mapping[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        value = data.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("reference"), str):
            reference: str = value["reference"]
            return reference
    return None


def _split_ref(reference: str) -> tuple[str, str | None]:
    kind, _, ident = reference.partition("/")
    return kind, ident or None


def _metastasis_kinds(code: CodeableConcept | None, text: str) -> tuple[bool, bool, bool]:
    """Whether a condition names brain metastases (by code, by text only) and leptomeningeal metastases."""
    brain = _has(code, SNOMED, [_SCT_BRAIN_METASTASIS]) or _has(code, ICD10CM, [_ICD_BRAIN_METASTASIS])
    brain_by_text = not brain and bool(
        re.search(r"brain metast|metastas[ie]s? (?:to|of|in) (?:the )?brain|neoplasm of brain|cerebral metast", text)
    )
    lm = _has(code, ICD10CM, [_ICD_LM]) or bool(
        re.search(
            r"leptomening|meningeal carcinomatosis|carcinomatous meningitis|neoplasm of (?:cerebral )?meninges", text
        )
    )
    return brain, brain_by_text, lm


def _is_radiotherapy(procedure: Procedure) -> bool:
    concepts = [procedure.code, procedure.category]
    pattern = r"radiotherap|radiation (?:therapy|oncology)|radiosurgery|irradiation|whole[- ]brain radiation"
    return any(_has(c, SNOMED, [_SCT_RADIOTHERAPY]) or re.search(pattern, _text(c)) for c in concepts)


def _first_code(concept: CodeableConcept | None) -> str | None:
    pairs = _codings(concept)
    return pairs[0][1] if pairs else None


def _histology_of(code: CodeableConcept | None, text: str) -> tuple[Histology | None, bool]:  # noqa: PLR0911 - a decision table, read top to bottom
    """The histology a condition code names, and whether it is a lung cancer at all."""
    if _has(code, SNOMED, [_SCT_LUNG_ADENOCARCINOMA]):
        return Histology.ADENOCARCINOMA, True
    lung_icd = any(s == ICD10CM and c.startswith("C34") for s, c in _codings(code))
    nsclc = _has(code, SNOMED, [_SCT_NSCLC]) or bool(re.search(r"non[- ]?small[- ]cell|\bnsclc\b", text))
    cancer_of_lung = bool(re.search(r"\blung\b|bronch", text)) and bool(
        re.search(r"cancer|carcinoma|neoplasm|tumou?r|malignan", text)
    )
    if not (lung_icd or nsclc or cancer_of_lung):
        return None, False
    if not (lung_icd or nsclc) and re.search(r"metasta|secondary", text):
        # "Secondary malignant neoplasm of lung" is a metastasis to the lung, not a lung cancer.
        return None, False
    small_cell = [m.group(1) for m in re.finditer(r"(non[- ]?)?small[- ]cell", text)]
    if any(prefix is None for prefix in small_cell) or re.search(r"\bsclc\b", text):
        return Histology.SCLC, True
    morphology = _morphology(text)
    if morphology is not None:
        return morphology, True
    if nsclc:
        return Histology.NSCLC_NOS, True
    return None, True


def _morphology(text: str) -> Histology | None:
    if "adenocarcinoma" in text:
        return Histology.ADENOCARCINOMA
    if "squamous" in text:
        return Histology.SQUAMOUS
    if re.search(r"large[- ]cell", text):
        return Histology.LARGE_CELL
    return None


def _observation_kind(obs: Observation) -> tuple[str | None, bool]:
    """What an observation is (a key of ``_FIELD_OF_KIND``), and whether only its text said so."""
    pairs = _codings(obs.code)
    for system, code in pairs:
        if system == LOINC and code in _LOINC_OBSERVATION_CODES:
            return _LOINC_OBSERVATION_CODES[code], False
        if system == LMTX_CODES and code in _LMTX_OBSERVATION_CODES:
            return _LMTX_OBSERVATION_CODES[code], False
    if (LOINC, _LOINC_VARIANT_ASSESSMENT) in pairs:
        about_egfr = any(_has(c.code, LOINC, [_LOINC_GENE_STUDIED]) and _names_egfr(c) for c in obs.component or [])
        return ("egfr" if about_egfr else None), False
    text = _text(obs.code)
    kind = None
    if re.search(r"\bcsf\b|cerebrospinal|cerebral spinal", text) and "cytolog" in text:
        kind = "csf-cytology"
    elif re.search(r"\bmri?\b|magnetic resonance", text) and re.search(r"neuraxis|brain|spine|spinal|head", text):
        kind = "neuraxis-mri"
    return kind, kind is not None


def _names_egfr(component: ObservationComponent) -> bool:
    concept = component.valueCodeableConcept
    return any(code == "HGNC:3236" for _, code in _codings(concept)) or bool(re.search(r"\begfr\b", _text(concept)))


def _observation_day(obs: Observation) -> dt.date | None:
    if obs.effectiveDateTime is not None:
        return _day(obs.effectiveDateTime)
    if obs.effectivePeriod is not None:
        return _day(obs.effectivePeriod.start)
    return _day(obs.effectiveInstant)


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
    pairs = set(_codings(concept))
    present = {(SNOMED, _SCT_PRESENT), (LMTX_CODES, "present")} & pairs
    absent = {(SNOMED, _SCT_ABSENT), (LMTX_CODES, "absent")} & pairs
    if bool(present) == bool(absent):
        return None
    return bool(present)


def _lmtx_value(concept: CodeableConcept | None, kind: type[_E]) -> _E | None:
    allowed = {member.value: member for member in kind}
    values = {allowed[code] for system, code in _codings(concept) if system == LMTX_CODES and code in allowed}
    return values.pop() if len(values) == 1 else None


def _agents_of(concept: CodeableConcept | None) -> tuple[set[Agent], str]:
    """The agents a medication concept names (by RxNorm ingredient code or by name), and its text."""
    text = _text(concept)
    by_code = {
        _RXNORM_AGENTS[code] for system, code in _codings(concept) if system == RXNORM and code in _RXNORM_AGENTS
    }
    by_name = {agent for agent, names in _AGENT_NAMES.items() if _has_word(text, names)}
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
    for system, code in _codings(timing.code):
        if system == V3_TIMING and code in _TIMING_CODES:
            return float(_TIMING_CODES[code])
    return None


def _only_route(agent: Agent) -> Route | None:
    if agent in _TKIS:
        return Route.ORAL
    if agent in (Agent.CARBOPLATIN, Agent.CISPLATIN):
        return Route.INTRAVENOUS
    if agent is Agent.RADIOTHERAPY:
        return Route.EXTERNAL_BEAM
    return None


def _toxicity_term(concept: CodeableConcept | None) -> ToxicityTerm | None:
    coded = {_TOXICITY_CODES[pair] for pair in _codings(concept) if pair in _TOXICITY_CODES}
    if len(coded) == 1:
        return coded.pop()
    text = _text(concept)
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
            codes = [code for _, code in _codings(extension.valueCodeableConcept)]
            value = codes[0] if codes else None
        if isinstance(value, int) and 1 <= value <= 5:
            return value
        if isinstance(value, str) and value.strip() in {"1", "2", "3", "4", "5"}:
            return int(value.strip())
    return None


def _latest(items: list[_Dated], name: str, sources: dict[str, tuple[str, ...]]) -> Any:
    """The value of the latest dated item (undated ones count as oldest); ``None`` when there is none."""
    if not items:
        return None
    ordered = sorted(items, key=lambda d: (d.date or dt.date.min, d.source))
    chosen = ordered[-1]
    sources[name] = (chosen.source,)
    return chosen.value

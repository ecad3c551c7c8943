"""The patient record: typed, frozen value objects mirroring the input wire format.

These classes are the public domain model of lmtx (SPEC §2). Build them
directly, or let :func:`lmtx.parse_patient` structure them from JSON. They do
no validation of their own at construction time: every check, with the JSON
path of each problem, runs in one place when a record is parsed or evaluated,
so a record built in code and a record read from JSON are held to exactly the
same rules.
"""

from __future__ import annotations

import datetime as _dt
import enum

import attrs

__all__ = [
    "NSCLC_HISTOLOGIES",
    "Agent",
    "CsfCytology",
    "CsfFlow",
    "CytologyResult",
    "Egfr",
    "EgfrStatus",
    "EgfrVariant",
    "Histology",
    "MriAssessment",
    "MriResponse",
    "NeuroExam",
    "Patient",
    "PerformanceStatus",
    "PsScale",
    "Route",
    "Symptoms",
    "SystemicDisease",
    "Therapy",
    "TherapyStatus",
    "Toxicity",
    "ToxicityTerm",
]


class Histology(enum.StrEnum):
    """Tumour histology. The first four values are non-small cell lung cancer."""

    ADENOCARCINOMA = "adenocarcinoma"
    SQUAMOUS = "squamous"
    LARGE_CELL = "large_cell"
    NSCLC_NOS = "nsclc_nos"
    SCLC = "sclc"
    OTHER = "other"


NSCLC_HISTOLOGIES: frozenset[Histology] = frozenset(
    {Histology.ADENOCARCINOMA, Histology.SQUAMOUS, Histology.LARGE_CELL, Histology.NSCLC_NOS}
)
"""The histologies that count as NSCLC (SPEC §2)."""


class EgfrStatus(enum.StrEnum):
    """Result of EGFR mutation testing."""

    MUTANT = "mutant"
    WILD_TYPE = "wild_type"
    UNKNOWN = "unknown"


class EgfrVariant(enum.StrEnum):
    """EGFR variants; only meaningful with :attr:`EgfrStatus.MUTANT`."""

    EXON19_DELETION = "exon19_deletion"
    L858R = "L858R"
    T790M = "T790M"
    EXON20_INSERTION = "exon20_insertion"
    UNCOMMON = "uncommon"


class PsScale(enum.StrEnum):
    """Performance-status scale."""

    ECOG = "ecog"
    KPS = "kps"


class Symptoms(enum.StrEnum):
    """Neurological symptoms found by a standardized neurological examination."""

    NONE = "none"
    NEW = "new"
    PERSISTENT = "persistent"
    IMPROVED = "improved"
    RESOLVED = "resolved"
    WORSENED = "worsened"


class CytologyResult(enum.StrEnum):
    """CSF cytology result."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"


class MriResponse(enum.StrEnum):
    """Radiographic response read from a neuraxis MRI."""

    BASELINE = "baseline"
    COMPLETE_RESPONSE = "complete_response"
    PARTIAL_RESPONSE = "partial_response"
    STABLE = "stable"
    PROGRESSION = "progression"
    NOT_EVALUABLE = "not_evaluable"


class CsfFlow(enum.StrEnum):
    """Result of a CSF flow study."""

    NORMAL = "normal"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown"


class SystemicDisease(enum.StrEnum):
    """State of the extracranial disease."""

    CONTROLLED = "controlled"
    PROGRESSIVE = "progressive"
    UNKNOWN = "unknown"


class Agent(enum.StrEnum):
    """Therapy agent."""

    OSIMERTINIB = "osimertinib"
    GEFITINIB = "gefitinib"
    ERLOTINIB = "erlotinib"
    AFATINIB = "afatinib"
    DACOMITINIB = "dacomitinib"
    PEMETREXED = "pemetrexed"
    CARBOPLATIN = "carboplatin"
    CISPLATIN = "cisplatin"
    RADIOTHERAPY = "radiotherapy"
    OTHER = "other"


class Route(enum.StrEnum):
    """Route of administration."""

    ORAL = "oral"
    INTRAVENOUS = "intravenous"
    INTRATHECAL = "intrathecal"
    EXTERNAL_BEAM = "external_beam"


class TherapyStatus(enum.StrEnum):
    """Where a therapy stands on the evaluation date."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"


class ToxicityTerm(enum.StrEnum):
    """Adverse-event terms lmtx knows (graded with CTCAE v5)."""

    RASH = "rash"
    LEUKOPENIA = "leukopenia"
    NEUTROPENIA = "neutropenia"
    THROMBOCYTOPENIA = "thrombocytopenia"
    ANEMIA = "anemia"
    ASEPTIC_MENINGITIS = "aseptic_meningitis"
    FATIGUE = "fatigue"
    OTHER = "other"


@attrs.frozen
class Egfr:
    """EGFR testing: the status and, for a mutant tumour, the variants found."""

    status: EgfrStatus = EgfrStatus.UNKNOWN
    variants: tuple[EgfrVariant, ...] = ()


@attrs.frozen
class PerformanceStatus:
    """Performance status on the ECOG (0-4) or Karnofsky (10-100, step 10) scale."""

    scale: PsScale
    score: int
    date: _dt.date | None = None


@attrs.frozen
class NeuroExam:
    """A standardized neurological examination and the symptoms it found."""

    date: _dt.date
    symptoms: Symptoms


@attrs.frozen
class CsfCytology:
    """A CSF cytology result."""

    date: _dt.date
    result: CytologyResult


@attrs.frozen
class MriAssessment:
    """A neuraxis MRI: leptomeningeal enhancement seen or not, and the response read."""

    date: _dt.date
    leptomeningeal_enhancement: bool
    response: MriResponse | None = None


@attrs.frozen
class Therapy:
    """One therapy regimen. Osimertinib doses are per day."""

    agent: Agent
    status: TherapyStatus
    route: Route | None = None
    dose_mg: float | None = None
    start: _dt.date | None = None
    end: _dt.date | None = None


@attrs.frozen
class Toxicity:
    """A current adverse event with its CTCAE v5 grade (1-5)."""

    term: ToxicityTerm
    grade: int
    date: _dt.date | None = None


@attrs.frozen
class Patient:
    """A patient record: everything lmtx reads (SPEC §2).

    Only ``histology`` is required. Lists are tuples and may be empty.
    """

    histology: Histology
    id: str | None = None
    egfr: Egfr = Egfr()
    performance_status: PerformanceStatus | None = None
    brain_metastases: bool = False
    neuro_exams: tuple[NeuroExam, ...] = ()
    csf_cytology: tuple[CsfCytology, ...] = ()
    mri: tuple[MriAssessment, ...] = ()
    csf_flow: CsfFlow = CsfFlow.UNKNOWN
    systemic_disease: SystemicDisease = SystemicDisease.UNKNOWN
    therapies: tuple[Therapy, ...] = ()
    toxicities: tuple[Toxicity, ...] = ()

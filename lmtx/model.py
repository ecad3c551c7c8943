"""The patient record: typed, frozen value objects mirroring the input wire format.

These classes are the public domain model of lmtx (see docs/input-format.md). Build them
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

from lmtx.drugs import AGENT_CLASSES, Agent, DrugClass, Route

__all__ = [
    "AGENT_CLASSES",
    "NSCLC_HISTOLOGIES",
    "Agent",
    "CsfCytology",
    "CsfFlow",
    "CytologyResult",
    "DrugClass",
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
    "StopReason",
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
"""The histologies that count as NSCLC (see docs/input-format.md)."""


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


class StopReason(enum.StrEnum):
    """Why a completed or stopped therapy ended."""

    TOXICITY = "toxicity"
    PROGRESSION = "progression"
    DOSE_CHANGE = "dose-change"
    COURSE_COMPLETED = "course-completed"
    OTHER = "other"


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
    """EGFR testing: the status and, for a mutant tumour, the variants found.

    Attributes:
        status: Result of EGFR mutation testing. Only `mutant` can make the
            treatment algorithm apply.
        variants: The variants found. Allowed only with status `mutant`, each at
            most once. Recorded for your own use: no rule depends on the variant.
    """

    status: EgfrStatus = EgfrStatus.UNKNOWN
    variants: tuple[EgfrVariant, ...] = ()


@attrs.frozen
class PerformanceStatus:
    """Performance status on the ECOG (0-4) or Karnofsky (10-100, step 10) scale.

    Attributes:
        scale: Which scale `score` is on.
        score: ECOG 0-4, or Karnofsky 10-100 in steps of 10. ECOG 5 and KPS 0
            (deceased) are rejected. Karnofsky scores are mapped to ECOG before
            any rule reads them.
        date: When it was assessed. Must not be after the evaluation date.
    """

    scale: PsScale
    score: int
    date: _dt.date | None = None


@attrs.frozen
class NeuroExam:
    """A standardized neurological examination and the symptoms it found.

    Attributes:
        date: Day of the examination. At most one finding per day.
        symptoms: What the examination found, compared with before.
    """

    date: _dt.date
    symptoms: Symptoms


@attrs.frozen
class CsfCytology:
    """A CSF cytology result.

    Attributes:
        date: Day the sample was taken. At most one result per day.
        result: The cytology result. Only `positive` counts as tumour cells in
            the CSF.
    """

    date: _dt.date
    result: CytologyResult


@attrs.frozen
class MriAssessment:
    """A neuraxis MRI: leptomeningeal enhancement seen or not, and the response read.

    Attributes:
        date: Day of the study. At most one study per day.
        leptomeningeal_enhancement: Whether leptomeningeal enhancement is seen.
        response: The radiographic response read against earlier studies, when
            one was read. Only `progression` counts against a regimen.
    """

    date: _dt.date
    leptomeningeal_enhancement: bool
    response: MriResponse | None = None


@attrs.frozen
class Therapy:
    """One therapy regimen.

    Attributes:
        agent: The drug, or radiotherapy; `other` for a drug lmtx does not list.
        status: Where the regimen stands on the evaluation date.
        route: Required where the agent has several routes: pemetrexed,
            methotrexate, cytarabine and thiotepa (`intrathecal` or
            `intravenous`). Optional where the agent has one route: EGFR TKIs
            and temozolomide are `oral`, the other chemotherapies and the
            antibodies `intravenous`, radiotherapy `external_beam`; `other`
            takes any route. A route that does not fit the agent is rejected.
        dose_mg: Dose per administration in mg, greater than 0. Required for
            osimertinib (the rules read it); optional for every other drug; not
            allowed for radiotherapy. The daily dose is `dose_mg / interval_days`.
        start: Day the regimen began. Required unless the regimen is
            `planned`; a planned start may lie after the evaluation date.
        end: Day the regimen ended (its last day). Only for `completed` or
            `stopped` regimens, and not before `start`.
        name: What the record calls the drug (1-128 characters), echoed in
            texts. Optional on any therapy.
        drug_class: The class of an `other` drug (`egfr-tki`, `chemotherapy`,
            `antibody` or `other`). Only with agent `other`; unset, its class
            is unknown. Every listed agent has its fixed class.
        interval_days: Days between doses (1-365), for drugs only. Absent
            means the agent's usual schedule (daily for the oral TKIs).
        stop_reason: Why the regimen ended. Only for `completed` or `stopped`
            regimens.
    """

    agent: Agent
    status: TherapyStatus
    route: Route | None = None
    dose_mg: float | None = None
    start: _dt.date | None = None
    end: _dt.date | None = None
    name: str | None = None
    drug_class: DrugClass | None = None
    interval_days: int | None = None
    stop_reason: StopReason | None = None


@attrs.frozen
class Toxicity:
    """A current adverse event with its CTCAE v5 grade (1-5).

    Attributes:
        term: The adverse event.
        grade: CTCAE v5 grade, 1-5.
        date: When it was recorded. Must not be after the evaluation date.
        attributed_to: The agents the treating team attributes it to, each the
            agent of some therapy in the record. Non-empty when given; unset,
            lmtx attributes it by the document's links (docs/interpretation.md).
    """

    term: ToxicityTerm
    grade: int
    date: _dt.date | None = None
    attributed_to: tuple[Agent, ...] | None = None


@attrs.frozen
class Patient:
    """A patient record: everything lmtx reads (see docs/input-format.md).

    Only `histology` is required. Lists are tuples and may be empty.

    Attributes:
        histology: The tumour's histology. Only the four NSCLC values bring the
            patient into scope; `sclc` and `other` give the not-applicable
            reason `not-nsclc`.
        id: Your identifier for the record (at most 256 characters), echoed as
            `patient_id` in the result. lmtx does not interpret it.
        egfr: EGFR testing. Leaving it out means the status is unknown.
        performance_status: The performance status, ECOG or Karnofsky: one
            assessment, or a history of them (in a history of two or more,
            every item is dated, at most one a day). The PS at LM diagnosis
            goes into the prognosis note; the latest decides the
            poor-performance-status choice at progression on the combination.
        brain_metastases: Whether there are parenchymal brain metastases. On its
            own this counts as CNS involvement.
        neuro_exams: Standardized neurological examinations, in any order. The
            latest decides whether symptoms are present now; a run of
            symptomatic exams dates their onset.
        csf_cytology: CSF cytology results, in any order. A positive result at
            any time confirms LM.
        mri: Neuraxis MRI studies, in any order. Leptomeningeal enhancement at
            any time, with no positive cytology ever, makes LM probable.
        csf_flow: Result of a CSF flow study. `interrupted` adds a prognosis
            note for established LM.
        systemic_disease: State of the disease outside the CNS. `progressive`
            or `unknown` gives an alert for established LM.
        therapies: Therapy regimens: past, current and planned.
        toxicities: Adverse events the patient has now, each graded by CTCAE v5.
        brain_metastases_date: When the brain metastases were first found.
            Only with `brain_metastases`.
        csf_flow_date: Day of the flow study. Not with `csf_flow` `unknown`.
        systemic_disease_date: Day of that assessment. Not with
            `systemic_disease` `unknown`.
    """

    histology: Histology
    id: str | None = None
    egfr: Egfr = Egfr()
    performance_status: PerformanceStatus | tuple[PerformanceStatus, ...] | None = None
    brain_metastases: bool = False
    neuro_exams: tuple[NeuroExam, ...] = ()
    csf_cytology: tuple[CsfCytology, ...] = ()
    mri: tuple[MriAssessment, ...] = ()
    csf_flow: CsfFlow = CsfFlow.UNKNOWN
    systemic_disease: SystemicDisease = SystemicDisease.UNKNOWN
    therapies: tuple[Therapy, ...] = ()
    toxicities: tuple[Toxicity, ...] = ()
    brain_metastases_date: _dt.date | None = None
    csf_flow_date: _dt.date | None = None
    systemic_disease_date: _dt.date | None = None

    @property
    def performance_statuses(self) -> tuple[PerformanceStatus, ...]:
        """The performance-status assessments as a tuple (empty, one, or a history)."""
        ps = self.performance_status
        if ps is None:
            return ()
        return ps if isinstance(ps, tuple) else (ps,)

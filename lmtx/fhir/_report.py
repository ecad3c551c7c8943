"""What a mapping run reports: the public result types, and the findings the readers record into.

:class:`FhirMapping` (the patient, its :class:`MappingIssue` list, the
:class:`IgnoredResource` list and the sources of every field) is what
:func:`lmtx.fhir.from_bundle` returns; :class:`Findings` is the working state
of one run, shared by the readers of each kind of resource.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs
from fhir.resources.R4B.medication import Medication

from lmtx import _codec
from lmtx.model import Agent, Histology, Patient

IssueKind = Literal["unmapped", "ambiguous"]
"""``unmapped``: the resource was not used; ``ambiguous``: used under a reading to check."""
NO_LUNG_CANCER = "no lung cancer diagnosis with a histology lmtx can read; nothing to evaluate"
"""The reason given when the resources hold no lung cancer at all."""


@attrs.frozen
class MappingIssue:
    """A resource that looks relevant but was not used, or was used under a reading to check.

    Attributes:
        resource_type: The FHIR resource type, e.g. ``Observation``.
        resource_id: The resource's id (``None`` when it has none).
        kind: ``unmapped`` (the resource was not used) or ``ambiguous`` (it was
            used under the reading the reason states).
        reason: What lmtx could not read, or how it read it.
        field: The patient-record field concerned (see docs/input-format.md), e.g. ``therapies``.
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
        """The mapping as a JSON-compatible object (the patient in the wire format of docs/input-format.md)."""
        return {
            "patient": None if self.patient is None else _codec.unstructure_patient(self.patient),
            "issues": [issue.to_dict() for issue in self.issues],
            "ignored": self.ignored_counts(),
            "sources": {path: list(refs) for path, refs in self.sources.items()},
        }


class BundleError(ValueError):
    """The input is not FHIR content lmtx can read at all (not a Bundle, several patients, ...)."""


@attrs.frozen
class Entry:
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


@attrs.define
class Dated:
    """A mapped finding waiting to be ordered: its date, value and source resource (and when it was issued)."""

    date: dt.date | None
    value: Any
    source: str
    issued: dt.datetime | None = None


@attrs.frozen
class Suspect:
    """An adverse event's suspect entity as found: a reference, or the medication it names in place.

    Attributes:
        label: How the report names it (the reference, or the display).
        reference: The reference to a resource in the input (``None`` when it has none).
        concept: The medication named in place (a contained resource's code, or
            the reference's display as text), when there is one.
    """

    label: str
    reference: str | None
    concept: Any = None


class Findings:
    """What one mapping run has found so far: the readers record findings, issues and ignored resources here.

    Each reader (``read_condition``, ``read_observation``, ...) takes the
    findings and one resource, and either records what it read (a dated value
    in the list of its field), or says why not (:meth:`issue`, :meth:`ignore`).
    The assembly step then orders the findings into the patient record.
    """

    def __init__(self, patient_id: str | None) -> None:
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
        self.brain_metastases_dates: list[Dated] = []
        self.lm_conditions: list[Entry] = []
        self.egfr_results: list[Dated] = []
        self.performance: list[Dated] = []
        self.neuro_exams: list[Dated] = []
        self.cytology: list[Dated] = []
        self.mri: list[Dated] = []
        self.csf_flow: list[Dated] = []
        self.systemic: list[Dated] = []
        self.therapies: list[Dated] = []
        self.toxicities: list[Dated] = []
        # Suspect entities of each adverse event (by its reference), resolved once every therapy is read.
        self.suspects: dict[str, list[Suspect]] = {}
        # The agent each medication use or radiotherapy procedure names, by Type/id and fullUrl.
        self.agents_by_ref: dict[str, Agent] = {}

    def remember_agent(self, entry: Entry, agent: Agent) -> None:
        """Note the agent a resource names, so an adverse event's suspect reference can be read."""
        self.agents_by_ref[entry.reference] = agent
        if entry.full_url:
            self.agents_by_ref[entry.full_url] = agent

    def issue(self, entry: Entry, kind: IssueKind, reason: str, field: str | None = None) -> None:
        """Report a resource not used (``unmapped``) or used under a reading to check (``ambiguous``)."""
        self.issues.append(MappingIssue(entry.resource_type, entry.resource_id, kind, reason, field))

    def ignore(self, entry: Entry, reason: str) -> None:
        """List a resource lmtx does not read (with a client slip it read leniently, if any)."""
        slip = self.lenient.pop(id(entry), None)
        if slip is not None:
            reason = f"{reason} (read leniently: {slip})"
        self.ignored.append(IgnoredResource(entry.resource_type, entry.resource_id, reason))

"""Assembly: one mapping run, from resources to the patient record and its report.

The run drops duplicate entries, decides which patient is read (and reports
resources of other patients), validates every resource of a type lmtx reads,
hands each to its reader, and orders the findings into an lmtx patient: the
histology chosen and EGFR merged (``_diagnosis``), dated series ordered and
several performance statuses made a history (``_series``), active regimens of
one agent merged and adverse events' suspects read as agents of the record's
therapies (``_treatment``), and the patient checked by lmtx itself before it
is returned.
"""

from __future__ import annotations

import datetime as dt

from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.resource import Resource

from lmtx._evaluate import parse_patient
from lmtx.errors import InvalidPatient
from lmtx.fhir._agents import agents_of, referenced_medication
from lmtx.fhir._codes import text_of
from lmtx.fhir._conditions import histology_of, metastasis_kinds, read_condition
from lmtx.fhir._diagnosis import check_lm_conditions, choose_egfr, choose_histology
from lmtx.fhir._events import is_radiotherapy, read_adverse_event, read_procedure
from lmtx.fhir._input import split_ref, subject_of, validate
from lmtx.fhir._medications import read_medication_use
from lmtx.fhir._observations import observation_kind, read_observation
from lmtx.fhir._report import BundleError, Entry, FhirMapping, Findings, MappingIssue
from lmtx.fhir._series import latest_dated, ordered_series, performance_history
from lmtx.fhir._treatment import attributed, merge_therapies
from lmtx.model import CsfFlow, Patient, SystemicDisease

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


class Mapper(Findings):
    """One mapping run: index the resources, choose the patient, read each resource, assemble the record."""

    def __init__(self, entries: list[Entry], patient_id: str | None) -> None:
        super().__init__(patient_id)
        self.entries = entries

    def run(self) -> FhirMapping:
        """Read every entry and return the mapping (the patient, or ``None``, with every issue)."""
        entries = self._deduplicate(self.entries)
        self._find_patient(entries)
        models: list[tuple[Entry, Resource]] = []
        for entry in entries:
            if entry.resource_type not in READ_TYPES:
                self.ignore(entry, "resource type not read by lmtx")
                continue
            model = validate(self, entry)
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

    def _deduplicate(self, entries: list[Entry]) -> list[Entry]:
        seen: dict[tuple[str, str], Entry] = {}
        kept: list[Entry] = []
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

    def _find_patient(self, entries: list[Entry]) -> None:
        patients = [e for e in entries if e.resource_type == "Patient"]
        if self.patient_id is None:
            ids = sorted({e.resource_id for e in patients if e.resource_id})
            if len(ids) > 1:
                raise BundleError(f"the resources hold {len(ids)} patients ({', '.join(ids)}); say which one to read")
            self.patient_id = ids[0] if ids else None
        if self.patient_id is None:
            subjects = {ref for e in entries if (ref := subject_of(e.data)) is not None}
            if len(subjects) > 1:
                raise BundleError("the resources refer to several patients and there is no Patient resource")
            if subjects:
                self.patient_refs = set(subjects)
                kind, ident = split_ref(subjects.pop())
                self.patient_id = ident if kind == "Patient" and ident and "/" not in ident else None
            return
        self.patient_refs = {f"Patient/{self.patient_id}"}
        for entry in patients:
            if entry.resource_id == self.patient_id and entry.full_url:
                self.patient_refs.add(entry.full_url)
        for entry in patients:
            if entry.resource_id != self.patient_id:
                self.issue(entry, "unmapped", f"another patient than Patient/{self.patient_id}")

    def _index_medication(self, entry: Entry, medication: Medication) -> None:
        if entry.resource_id:
            self.medications[f"Medication/{entry.resource_id}"] = medication
        if entry.full_url:
            self.medications[entry.full_url] = medication

    def _foreign_subject(self, entry: Entry) -> str | None:
        """The subject reference of a resource that is not about the patient being read, else ``None``."""
        reference = subject_of(entry.data)
        if reference is None or not self.patient_refs:
            return None
        if reference in self.patient_refs or any(reference.endswith("/" + r) for r in self.patient_refs):
            return None
        return reference

    def _relevant(self, model: Resource) -> bool:
        """Whether lmtx would read this resource at all (its code is in the mapping table)."""
        if isinstance(model, Condition):
            text = text_of(model.code)
            histology, lung = histology_of(model.code, text)
            return histology is not None or lung or metastasis_kinds(model.code, text) != (False, False, False)
        if isinstance(model, Observation):
            return observation_kind(model)[0] is not None
        if isinstance(model, MedicationRequest | MedicationStatement):
            concept = model.medicationCodeableConcept or referenced_medication(self, model)
            return bool(agents_of(concept)[0])
        if isinstance(model, Procedure):
            return is_radiotherapy(model)
        return isinstance(model, AdverseEvent)

    def _read(self, entry: Entry, model: Resource) -> None:
        if isinstance(model, Condition):
            read_condition(self, entry, model)
        elif isinstance(model, Observation):
            read_observation(self, entry, model)
        elif isinstance(model, MedicationRequest | MedicationStatement):
            read_medication_use(self, entry, model)
        elif isinstance(model, Procedure):
            read_procedure(self, entry, model)
        elif isinstance(model, AdverseEvent):
            read_adverse_event(self, entry, model)

    def _assemble(self) -> FhirMapping:
        sources: dict[str, tuple[str, ...]] = {}
        histology = choose_histology(self, sources)
        egfr = choose_egfr(self, sources)
        performance = performance_history(self, sources)
        cytology = ordered_series(self, self.cytology, "csf_cytology", sources)
        mri = ordered_series(self, self.mri, "mri", sources)
        neuro = ordered_series(self, self.neuro_exams, "neuro_exams", sources)
        flow, flow_date = latest_dated(self.csf_flow, "csf_flow", sources)
        systemic, systemic_date = latest_dated(self.systemic, "systemic_disease", sources)
        therapies = merge_therapies(self)
        for i, item in enumerate(therapies):
            sources[f"therapies[{i}]"] = (item.source,)
        toxicities = sorted(self.toxicities, key=lambda d: (d.date or dt.date.min, d.source))
        in_record = {d.value.agent for d in therapies}
        for i, item in enumerate(toxicities):
            sources[f"toxicities[{i}]"] = (item.source,)
            item.value = attributed(self, item, in_record)
        brain_date = None
        if self.brain_metastases:
            sources["brain_metastases"] = tuple(self.brain_metastases)
            if self.brain_metastases_dates:
                first = min(self.brain_metastases_dates, key=lambda d: (d.date, d.source))
                brain_date = first.date
                sources["brain_metastases_date"] = (first.source,)
        check_lm_conditions(self, cytology, mri)
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
            brain_metastases_date=brain_date,
            csf_flow_date=flow_date,
            systemic_disease_date=systemic_date,
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

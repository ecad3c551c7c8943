"""Assembly: one mapping run, from resources to the patient record and its report.

The run drops duplicate entries, decides which patient is read (and reports
resources of other patients), validates every resource of a type lmtx reads,
hands each to its reader, and orders the findings into an lmtx patient: the
histology chosen, EGFR merged, dated series ordered (two different findings on
one day are both left out), several performance statuses made a history (one
a day), active regimens of one agent merged, adverse events' suspects read as
agents of the record's therapies, and the patient checked by lmtx itself
before it is returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.codeableconcept import CodeableConcept
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
from lmtx.fhir._dosage import only_route
from lmtx.fhir._events import is_radiotherapy, read_adverse_event, read_procedure
from lmtx.fhir._input import split_ref, subject_of, validate
from lmtx.fhir._medications import read_medication_use
from lmtx.fhir._observations import observation_kind, read_observation
from lmtx.fhir._report import (
    NO_LUNG_CANCER,
    BundleError,
    Dated,
    Entry,
    FhirMapping,
    Findings,
    MappingIssue,
    Suspect,
)
from lmtx.model import (
    Agent,
    CsfFlow,
    CytologyResult,
    Egfr,
    EgfrStatus,
    EgfrVariant,
    Histology,
    Patient,
    PerformanceStatus,
    Route,
    SystemicDisease,
    Therapy,
    TherapyStatus,
    Toxicity,
)

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
        histology = self._choose_histology(sources)
        egfr = self._choose_egfr(sources)
        performance = self._performance_history(sources)
        cytology = self._series(self.cytology, "csf_cytology", sources)
        mri = self._series(self.mri, "mri", sources)
        neuro = self._series(self.neuro_exams, "neuro_exams", sources)
        flow, flow_date = _latest_dated(self.csf_flow, "csf_flow", sources)
        systemic, systemic_date = _latest_dated(self.systemic, "systemic_disease", sources)
        therapies = self._merge_therapies()
        for i, item in enumerate(therapies):
            sources[f"therapies[{i}]"] = (item.source,)
        toxicities = sorted(self.toxicities, key=lambda d: (d.date or dt.date.min, d.source))
        in_record = {d.value.agent for d in therapies}
        for i, item in enumerate(toxicities):
            sources[f"toxicities[{i}]"] = (item.source,)
            item.value = self._attribute(item, in_record)
        brain_date = None
        if self.brain_metastases:
            sources["brain_metastases"] = tuple(self.brain_metastases)
            if self.brain_metastases_dates:
                first = min(self.brain_metastases_dates, key=lambda d: (d.date, d.source))
                brain_date = first.date
                sources["brain_metastases_date"] = (first.source,)
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
                        *split_ref(item.source),
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

    def _series(self, items: list[Dated], name: str, sources: dict[str, tuple[str, ...]]) -> list[Dated]:
        """Order a dated series; two different findings on one day are both left out."""
        by_day: dict[dt.date, list[Dated]] = {}
        for item in items:
            assert item.date is not None
            by_day.setdefault(item.date, []).append(item)
        kept: list[Dated] = []
        for day in sorted(by_day):
            group = by_day[day]
            if len({g.value for g in group}) > 1:
                for g in group:
                    others = ", ".join(o.source for o in group if o is not g)
                    self.issues.append(
                        MappingIssue(
                            *split_ref(g.source),
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
                        *split_ref(duplicate.source),
                        "ambiguous",
                        f"same finding as {group[0].source} on the same day; read once",
                        name,
                    )
                )
        for i, item in enumerate(kept):
            sources[f"{name}[{i}]"] = (item.source,)
        return kept

    def _performance_history(
        self, sources: dict[str, tuple[str, ...]]
    ) -> PerformanceStatus | tuple[PerformanceStatus, ...] | None:
        """One assessment as today; two or more dated ones a history, one a day (undated ones left out)."""
        dated = [d for d in self.performance if d.date is not None]
        if len(dated) < 2:
            value: PerformanceStatus | None = _latest(self.performance, "performance_status", sources)
            return value
        field = "performance_status"
        for item in self.performance:
            if item.date is None:
                self.issues.append(
                    MappingIssue(
                        *split_ref(item.source),
                        "unmapped",
                        f"an undated performance status cannot join a history of {len(dated)} dated ones; not used",
                        field,
                    )
                )
        by_day: dict[dt.date, list[Dated]] = {}
        for item in dated:
            assert item.date is not None
            by_day.setdefault(item.date, []).append(item)
        kept = [chosen for day in sorted(by_day) if (chosen := self._one_a_day(by_day[day])) is not None]
        if len(kept) == 1:
            sources[field] = (kept[0].source,)
            single: PerformanceStatus = kept[0].value
            return single
        for i, item in enumerate(kept):
            sources[f"{field}[{i}]"] = (item.source,)
        return tuple(item.value for item in kept) or None

    def _one_a_day(self, group: list[Dated]) -> Dated | None:
        """The performance status of one day: the same finding read once, else the latest issued; else none."""
        field = "performance_status"
        group = sorted(group, key=lambda d: d.source)
        if len(group) == 1:
            return group[0]
        if len({g.value for g in group}) == 1:
            for duplicate in group[1:]:
                self.issues.append(
                    MappingIssue(
                        *split_ref(duplicate.source),
                        "ambiguous",
                        f"same performance status as {group[0].source} on the same day; read once",
                        field,
                    )
                )
            return group[0]
        issued = [g.issued for g in group]
        latest = max((i for i in issued if i is not None), default=None)
        if latest is not None and None not in issued and issued.count(latest) == 1:
            chosen = group[issued.index(latest)]
            for other in group:
                if other is not chosen:
                    self.issues.append(
                        MappingIssue(
                            *split_ref(other.source),
                            "unmapped",
                            f"a different performance status on the same day ({chosen.source}) was issued later; "
                            "only that one is used",
                            field,
                        )
                    )
            return chosen
        for g in group:
            others = ", ".join(o.source for o in group if o is not g)
            self.issues.append(
                MappingIssue(
                    *split_ref(g.source),
                    "unmapped",
                    f"a different performance status on the same day ({others}) and no later issue time says "
                    "which holds; neither is used",
                    field,
                )
            )
        return None

    def _attribute(self, item: Dated, in_record: set[Agent]) -> Toxicity:
        """The toxicity with ``attributed_to``: its suspects read as agents of therapies in the record."""
        toxicity: Toxicity = item.value
        agents: list[Agent] = []
        for suspect in self.suspects.get(item.source, []):
            agent, why = self._suspect_agent(suspect)
            if agent is not None and agent not in in_record:
                agent, why = None, f"no therapy of agent '{agent}' is in the record"
            if agent is None:
                self.issues.append(
                    MappingIssue(
                        *split_ref(item.source),
                        "ambiguous",
                        f"suspect entity {suspect.label} unreadable: {why}; left out of attributed_to",
                        "toxicities",
                    )
                )
            elif agent not in agents:
                agents.append(agent)
        return attrs.evolve(toxicity, attributed_to=tuple(agents)) if agents else toxicity

    def _suspect_agent(self, suspect: Suspect) -> tuple[Agent | None, str]:
        """The agent a suspect entity names, or ``None`` with the reason."""
        reference = suspect.reference
        if reference is not None:
            agent = self.agents_by_ref.get(reference) or next(
                (a for key, a in self.agents_by_ref.items() if reference.endswith("/" + key)), None
            )
            if agent is not None:
                return agent, ""
            medication = self.medications.get(reference) or next(
                (m for key, m in self.medications.items() if reference.endswith("/" + key)), None
            )
            if medication is not None:
                return _one_agent(medication.code)
        concept: CodeableConcept | None = suspect.concept
        if concept is not None:
            return _one_agent(concept)
        if reference is not None:
            return None, "it names no medication or radiotherapy lmtx read"
        return None, "it names no drug"

    def _merge_therapies(self) -> list[Dated]:
        """Active regimens of one agent and route are one regimen: the latest start wins."""
        ordered = sorted(self.therapies, key=lambda d: (d.date or dt.date.max, d.source))
        active: dict[tuple[Agent, Route | None, str | None], Dated] = {}
        kept: list[Dated] = []
        for item in ordered:
            therapy: Therapy = item.value
            if therapy.status is not TherapyStatus.ACTIVE:
                kept.append(item)
                continue
            route = therapy.route or only_route(therapy.agent)
            # Two active `other` drugs are one regimen only when named alike (as lmtx checks it).
            key = (therapy.agent, route, therapy.name if therapy.agent is Agent.OTHER else None)
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
            self.issues.append(MappingIssue(*split_ref(previous.source), "ambiguous", reason, "therapies"))
            kept[kept.index(previous)] = item
            active[key] = item
        return kept

    def _check_lm_conditions(self, cytology: list[Dated], mri: list[Dated]) -> None:
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


def _one_agent(concept: CodeableConcept | None) -> tuple[Agent | None, str]:
    agents, text = agents_of(concept)
    if len(agents) == 1:
        return agents.pop(), ""
    if agents:
        return None, f"it names several agents ({', '.join(sorted(agents))})"
    return None, f"{text!r} is not a drug lmtx knows" if text else "it names no drug"


def _latest_dated(items: list[Dated], name: str, sources: dict[str, tuple[str, ...]]) -> tuple[Any, dt.date | None]:
    """The value of the latest dated item and its date (see :func:`_latest`); ``(None, None)`` when there is none."""
    value = _latest(items, name, sources)
    if value is None:
        return None, None
    chosen = next(d for d in items if d.source == sources[name][0])
    return value, chosen.date


def _latest(items: list[Dated], name: str, sources: dict[str, tuple[str, ...]]) -> Any:
    """The value of the latest dated item (undated ones count as oldest); ``None`` when there is none."""
    if not items:
        return None
    ordered = sorted(items, key=lambda d: (d.date or dt.date.min, d.source))
    chosen = ordered[-1]
    sources[name] = (chosen.source,)
    return chosen.value

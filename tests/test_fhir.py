"""FHIR R4 -> lmtx patient (lmtx.fhir): realistic bundles under tests/fhir/, each with its expected mapping."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

import lmtx
from lmtx.fhir import (
    NO_LUNG_CANCER,
    BundleError,
    FhirMapping,
    agent_of,
    from_bundle,
    from_resources,
)
from lmtx.model import Agent, EgfrStatus, EgfrVariant, Histology, Route, StopReason, TherapyStatus

DATA = Path(__file__).parent / "fhir"
BUNDLES = sorted(DATA.glob("*.bundle.json"))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def summary(mapping: FhirMapping) -> dict[str, Any]:
    """The mapping in the form of the .expected.json files."""
    out: dict[str, Any] = {
        "patient": mapping.to_dict()["patient"],
        "issues": [[i.reference, i.kind, i.field] for i in mapping.issues],
        "ignored": mapping.ignored_counts(),
    }
    if mapping.patient is not None:
        result = lmtx.evaluate(mapping.patient)
        out["result"] = {
            "lm_status": result.lm_status,
            "phase": result.phase,
            "recommendations": [[r.code, r.action] for r in result.recommendations],
            "alerts": [[a.code, a.severity] for a in result.alerts],
        }
    return out


# --- the bundles and their expected mappings ---------------------------------------------------


def test_every_bundle_has_an_expectation() -> None:
    assert len(BUNDLES) >= 5
    for bundle in BUNDLES:
        assert bundle.with_name(bundle.name.replace(".bundle.json", ".expected.json")).exists(), bundle.name


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.name.removesuffix(".bundle.json"))
def test_bundle_maps_to_its_expected_patient_issues_and_result(path: Path) -> None:
    expected = json.loads(path.with_name(path.name.replace(".bundle.json", ".expected.json")).read_text())
    mapping = from_bundle(path.read_text(encoding="utf-8"))
    assert summary(mapping) == expected
    for issue in mapping.issues:
        assert issue.resource_id, issue
        assert len(issue.reason) > 20, issue


def test_inadequate_response_bundle_reproduces_the_shipped_example_patient() -> None:
    mapping = from_bundle(load("lm-inadequate-response.bundle.json"))
    example = json.loads((Path(lmtx.__file__).parent / "examples" / "inadequate-response.json").read_text())
    example["id"] = "lm-001"
    # FHIR says more than the example: the AdverseEvent names its suspect (the osimertinib order), and
    # the CSF flow study and systemic assessment are dated.
    example["toxicities"][0]["attributed_to"] = ["osimertinib"]
    example |= {"csf_flow_date": "2026-01-07", "systemic_disease_date": "2026-01-08"}
    assert mapping.to_dict()["patient"] == example
    assert mapping.issues == ()
    assert mapping.patient is not None
    assert lmtx.evaluate(mapping.patient).to_dict() == lmtx.evaluate(example).to_dict()


def test_sources_name_the_resource_behind_every_field() -> None:
    mapping = from_bundle(load("lm-inadequate-response.bundle.json"))
    assert mapping.sources["histology"] == ("Condition/primary-nsclc",)
    assert mapping.sources["egfr"] == ("Observation/egfr-variant",)
    assert mapping.sources["csf_cytology[1]"] == ("Observation/csf-2026-03-03",)
    assert mapping.sources["therapies[0]"] == ("MedicationRequest/osimertinib-160",)
    assert mapping.sources["toxicities[0]"] == ("AdverseEvent/ae-rash",)
    assert mapping.sources["csf_flow"] == ("Observation/csf-flow-2026-01-07",)


def test_input_forms_agree() -> None:
    text = (DATA / "lm-inadequate-response.bundle.json").read_text(encoding="utf-8")
    as_model = Bundle.model_validate_json(text)
    results = [from_bundle(text), from_bundle(text.encode()), from_bundle(json.loads(text)), from_bundle(as_model)]
    assert all(r.patient == results[0].patient for r in results)
    entries = [e["resource"] for e in json.loads(text)["entry"]]
    assert from_resources(entries).patient == results[0].patient


def test_entry_order_does_not_change_the_patient() -> None:
    bundle = load("messy-record.bundle.json")
    expected = from_bundle(bundle)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = copy.deepcopy(bundle)
        rng.shuffle(shuffled["entry"])
        mapping = from_bundle(shuffled)
        assert mapping.patient == expected.patient
        assert sorted(map(str, mapping.issues)) == sorted(map(str, expected.issues))


# --- documented readings ---------------------------------------------------------------------------


def test_lm_condition_with_mri_enhancement_reads_as_probable_and_says_so() -> None:
    mapping = from_bundle(load("lm-probable-on-erlotinib.bundle.json"))
    (issue,) = mapping.issues
    assert issue.reference == "Condition/lm"
    assert issue.kind == "ambiguous"
    assert "probable" in issue.reason
    assert "Observation/mri-2026-02-10" in issue.reason
    assert mapping.patient is not None
    assert lmtx.evaluate(mapping.patient).lm_status == "probable"


def test_lm_condition_without_findings_is_reported_never_invented() -> None:
    mapping = from_bundle(load("lm-diagnosis-without-findings.bundle.json"))
    assert mapping.patient is not None
    assert mapping.patient.csf_cytology == ()
    assert mapping.patient.mri == ()
    (issue,) = mapping.unmapped
    assert (issue.reference, issue.kind) == ("Condition/lm", "unmapped")
    assert "no field for the diagnosis" in issue.reason


def test_messy_record_reasons() -> None:
    mapping = from_bundle(load("messy-record.bundle.json"))
    reasons = {i.reference: i.reason for i in mapping.issues if i.kind == "unmapped"}
    assert "valueQuantity.value" in reasons["Observation/invalid-value"]
    assert "preliminary" in reasons["Observation/ecog-preliminary"]
    assert "Patient/someone-else" in reasons["Observation/ecog-other-patient"]
    assert "pemetrexed without an intrathecal or intravenous route" in reasons["MedicationRequest/pemetrexed-no-route"]
    assert "several agents" in reasons["MedicationRequest/carbo-pem"]
    # A platinum course dosed per m² is kept, without dose_mg (only osimertinib needs one).
    assert "MedicationRequest/cisplatin-per-m2" not in reasons
    kept = [i.reason for i in mapping.issues if i.reference == "MedicationRequest/cisplatin-per-m2"]
    assert any("read without dose_mg" in reason for reason in kept)
    assert mapping.patient is not None
    assert [t.agent for t in mapping.patient.therapies if t.dose_mg is None] == [lmtx.Agent.CISPLATIN]
    assert "not a grade" in reasons["AdverseEvent/fatigue-no-grade"]
    assert "both as mutated and as not mutated" in reasons["Observation/egfr-text"]
    assert "Observation/csf-negative-0120" in reasons["Observation/csf-positive-0120"]
    ignored = {(i.resource_type, i.resource_id): i.reason for i in mapping.ignored}
    assert ignored[("Condition", "brain-mets-error")] == "verification status entered-in-error"
    assert ignored[("Immunization", "flu-2025")] == "resource type not read by lmtx"
    assert ignored[("AdverseEvent", "potential-rash")].startswith("actuality potential")


@pytest.mark.parametrize(
    ("hgvs", "variant"),
    [
        ("NP_005219.2:p.Glu746_Ala750del", EgfrVariant.EXON19_DELETION),
        ("p.(Leu747_Pro753delinsSer)", EgfrVariant.EXON19_DELETION),
        ("p.Leu858Arg", EgfrVariant.L858R),
        ("p.Thr790Met", EgfrVariant.T790M),
        ("p.Ala767_Val769dup", EgfrVariant.EXON20_INSERTION),
        ("p.Asp770_Asn771insSerValAsp", EgfrVariant.EXON20_INSERTION),
        ("p.Leu861Gln", EgfrVariant.UNCOMMON),
        ("p.Arg776His", EgfrVariant.UNCOMMON),
    ],
)
def test_egfr_variant_from_protein_hgvs(hgvs: str, variant: EgfrVariant) -> None:
    bundle = load("lm-inadequate-response.bundle.json")
    observation = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "egfr-variant")
    observation["component"][1]["valueCodeableConcept"]["coding"][0]["code"] = hgvs
    patient = from_bundle(bundle).patient
    assert patient is not None
    assert patient.egfr.status is EgfrStatus.MUTANT
    assert patient.egfr.variants == (variant,)


@pytest.mark.parametrize("value", [0, -80, 1e-05, 1e16, 1e20])
def test_implausible_doses_are_reported_not_read(value: float) -> None:
    bundle = load("lm-inadequate-response.bundle.json")
    order = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "osimertinib-160")
    order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] = {"value": value, "unit": "mg"}
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    assert mapping.patient.therapies == ()
    (issue,) = mapping.unmapped
    assert issue.reference == "MedicationRequest/osimertinib-160"
    assert "not a plausible dose" in issue.reason


def test_histology_reading() -> None:
    def histology_of(text: str) -> Histology | None:
        condition = {
            "resourceType": "Condition",
            "id": "c",
            "subject": {"reference": "Patient/p"},
            "code": {"text": text},
        }
        patient = from_resources([{"resourceType": "Patient", "id": "p"}, condition]).patient
        return None if patient is None else patient.histology

    assert histology_of("Non-small cell lung cancer, squamous") is Histology.SQUAMOUS
    assert histology_of("Small cell carcinoma of lung") is Histology.SCLC
    assert histology_of("Large cell carcinoma of the lung") is Histology.LARGE_CELL
    assert histology_of("NSCLC") is Histology.NSCLC_NOS
    assert histology_of("Secondary malignant neoplasm of lung") is None
    assert histology_of("Pulmonary embolism") is None
    assert histology_of("Adenocarcinoma of colon") is None


def test_no_lung_cancer_means_no_patient_and_a_single_issue() -> None:
    mapping = from_resources(
        [
            {"resourceType": "Patient", "id": "p"},
            {
                "resourceType": "Condition",
                "id": "c",
                "subject": {"reference": "Patient/p"},
                "code": {"text": "Essential hypertension"},
            },
        ]
    )
    assert mapping.patient is None
    assert mapping.no_lung_cancer
    assert [i.reason for i in mapping.issues] == [NO_LUNG_CANCER]


def test_order_select_draft_is_a_planned_therapy() -> None:
    mapping = from_resources(
        [load("order-select-osimertinib-80.bundle.json"), load("order-select-osimertinib-80.draft-orders.json")]
    )
    assert mapping.patient is not None
    (therapy,) = mapping.patient.therapies
    assert (therapy.agent, therapy.status, therapy.dose_mg, therapy.start) == (
        Agent.OSIMERTINIB,
        TherapyStatus.PLANNED,
        80,
        None,
    )


CDS_HOOKS_SPEC = DATA / "cds-hooks-spec"


def spec_example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CDS_HOOKS_SPEC / name).read_text(encoding="utf-8"))
    return data


def test_the_order_select_spec_example_is_read_leniently_and_is_out_of_scope() -> None:
    """The CDS Hooks order-select example's doseAndRate is an object where R4 has an array: a slip read leniently."""
    orders = spec_example("order-select-context-r4.json")["context"]["draftOrders"]
    mapping = from_resources([orders], patient_id="1288992")
    assert mapping.patient is None
    assert mapping.no_lung_cancer
    assert [i.reason for i in mapping.issues] == [NO_LUNG_CANCER]
    amoxicillin = next(i for i in mapping.ignored if i.resource_id == "smart-MedicationRequest-103")
    assert amoxicillin.reason == (
        "medication not in lmtx's mapping table (read leniently: dosageInstruction[0].doseAndRate is a single "
        "value where FHIR R4 has an array; read as a one-item array)"
    )


def test_a_single_value_where_r4_has_an_array_is_read_and_reported() -> None:
    draft = load("order-select-osimertinib-80.draft-orders.json")
    order = draft["entry"][0]["resource"]
    dosage = order["dosageInstruction"][0]
    dosage["doseAndRate"] = dosage["doseAndRate"][0]  # the spec example's slip, on a drug lmtx reads
    order["dosageInstruction"] = dosage  # and a second one, one level up
    mapping = from_resources([load("order-select-osimertinib-80.bundle.json"), draft])
    assert mapping.patient is not None
    (therapy,) = mapping.patient.therapies
    assert (therapy.agent, therapy.status, therapy.dose_mg) == (Agent.OSIMERTINIB, TherapyStatus.PLANNED, 80)
    lenient = [i for i in mapping.issues if i.reason.startswith("read leniently")]
    assert [(i.reference, i.kind) for i in lenient] == [("MedicationRequest/draft-osimertinib", "ambiguous")]
    assert lenient[0].reason == (
        "read leniently: dosageInstruction, dosageInstruction[0].doseAndRate are single values where FHIR R4 "
        "has an array; read as a one-item array"
    )


def test_other_invalid_resources_are_still_unmapped() -> None:
    draft = load("order-select-osimertinib-80.draft-orders.json")
    draft["entry"][0]["resource"]["dosageInstruction"][0]["doseAndRate"] = "160 mg"
    mapping = from_resources([load("order-select-osimertinib-80.bundle.json"), draft])
    assert mapping.patient is not None
    assert mapping.patient.therapies == ()
    (issue,) = [i for i in mapping.issues if i.resource_id == "draft-osimertinib"]
    assert issue.kind == "unmapped"
    assert issue.reason.startswith("not a valid FHIR R4 resource: dosageInstruction.0.doseAndRate")


def test_agent_of() -> None:
    assert agent_of({"medicationCodeableConcept": {"text": "Tagrisso 80 MG Oral Tablet"}}) is Agent.OSIMERTINIB
    assert (
        agent_of(
            {
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2555"}]
                }
            }
        )
        is Agent.CISPLATIN
    )
    assert agent_of({"medicationCodeableConcept": {"text": "carboplatin and pemetrexed"}}) is None
    assert agent_of({"medicationCodeableConcept": {"text": "lisinopril"}}) is None
    assert agent_of({"medicationCodeableConcept": "osimertinib"}) is None
    assert agent_of({}) is None


# --- the 2026-12 fields: PS history, stop reason, interval, attribution, dates, new agents -------

IT_PEMETREXED = "lm-it-pemetrexed-stopped.bundle.json"


def resource_in(bundle: dict[str, Any], ident: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == ident)
    return found


def add_entry(bundle: dict[str, Any], resource: dict[str, Any]) -> None:
    bundle["entry"].append({"resource": {"subject": {"reference": "Patient/lm-005"}, **resource}})


def test_new_fields_are_read_from_the_it_pemetrexed_bundle() -> None:
    mapping = from_bundle(load(IT_PEMETREXED))
    patient = mapping.patient
    assert patient is not None
    assert mapping.issues == ()
    assert [(p.score, p.date) for p in patient.performance_statuses] == [
        (1, dt.date(2025, 11, 3)),
        (2, dt.date(2026, 2, 2)),
    ]
    assert mapping.sources["performance_status[1]"] == ("Observation/ecog-2026-02-02",)
    pemetrexed = patient.therapies[1]
    assert (pemetrexed.agent, pemetrexed.route, pemetrexed.status) == (
        Agent.PEMETREXED,
        Route.INTRATHECAL,
        TherapyStatus.STOPPED,
    )
    assert (pemetrexed.interval_days, pemetrexed.stop_reason) == (7, StopReason.TOXICITY)
    assert patient.therapies[0].interval_days is None  # daily: the format's default, left out
    assert patient.toxicities[0].attributed_to == (Agent.PEMETREXED,)
    assert patient.brain_metastases_date == dt.date(2025, 6, 18)  # onsetPeriod.start before recordedDate


def test_the_engine_evaluates_a_mapped_ps_history() -> None:
    patient = from_bundle(load(IT_PEMETREXED)).patient
    assert patient is not None
    assert len(patient.performance_statuses) == 2
    note = next(p for p in lmtx.evaluate(patient).prognosis if p.code == "performance-status-prognostic")
    assert note is not None
    latest = max(patient.performance_statuses, key=lambda ps: ps.date or dt.date.min)
    assert f"ECOG {latest.score}" in note.summary


def ecog(ident: str, day: str, score: int, issued: str | None = None) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "89247-1"}]},
        "effectiveDateTime": day,
        "valueInteger": score,
    }
    if issued is not None:
        observation["issued"] = issued
    return observation


def test_ps_on_the_same_day_keeps_the_latest_issued() -> None:
    bundle = load(IT_PEMETREXED)
    add_entry(bundle, ecog("ecog-late", "2026-02-02", 3, "2026-02-02T16:00:00+01:00"))
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    assert [p.score for p in mapping.patient.performance_statuses] == [1, 3]
    assert [(i.reference, i.kind, i.field) for i in mapping.issues] == [
        ("Observation/ecog-2026-02-02", "unmapped", "performance_status")
    ]
    assert "Observation/ecog-late" in mapping.issues[0].reason
    assert "issued later" in mapping.issues[0].reason


def test_ps_conflict_on_one_day_without_issue_times_is_reported_and_neither_used() -> None:
    bundle = load(IT_PEMETREXED)
    add_entry(bundle, ecog("ecog-conflict", "2026-02-02", 3))
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    ps = mapping.patient.performance_status
    assert ps is not None
    assert not isinstance(ps, tuple)
    assert ps.score == 1
    assert sorted((i.reference, i.kind) for i in mapping.issues) == [
        ("Observation/ecog-2026-02-02", "unmapped"),
        ("Observation/ecog-conflict", "unmapped"),
    ]


def test_ps_duplicate_on_one_day_is_read_once_and_undated_ps_is_reported() -> None:
    bundle = load(IT_PEMETREXED)
    add_entry(bundle, ecog("ecog-copy", "2026-02-02", 2))
    undated = ecog("ecog-undated", "2026-02-02", 0)
    del undated["effectiveDateTime"]
    add_entry(bundle, undated)
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    assert [p.score for p in mapping.patient.performance_statuses] == [1, 2]
    kinds = {i.reference: i.kind for i in mapping.issues}
    assert kinds == {"Observation/ecog-copy": "ambiguous", "Observation/ecog-undated": "unmapped"}


def pemetrexed_with(**changes: Any) -> tuple[FhirMapping, Any]:
    """The bundle's IT pemetrexed statement with changed elements, mapped; and its therapy (or None)."""
    bundle = load(IT_PEMETREXED)
    statement = resource_in(bundle, "it-pemetrexed")
    for key, value in changes.items():
        if value is None:
            statement.pop(key, None)
        else:
            statement[key] = value
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    therapy = next((t for t in mapping.patient.therapies if t.agent is Agent.PEMETREXED), None)
    return mapping, therapy


@pytest.mark.parametrize(
    ("repeat", "interval", "flagged"),
    [
        ({"frequency": 1, "period": 7, "periodUnit": "d"}, 7, False),
        ({"frequency": 1, "period": 3, "periodUnit": "wk"}, 21, False),
        ({"frequency": 1, "period": 48, "periodUnit": "h"}, 2, False),
        ({"frequency": 2, "period": 14, "periodUnit": "d"}, 7, False),
        ({"frequency": 1, "period": 1, "periodUnit": "d"}, None, False),  # daily: left out
        ({"frequency": 2, "period": 1, "periodUnit": "d"}, None, False),  # more than daily: left out
        ({"frequency": 3, "period": 1, "periodUnit": "wk"}, None, True),  # 7/3 days apart
        ({"frequency": 1, "period": 1, "periodUnit": "mo"}, None, True),  # a month is no fixed length
        ({"frequency": 1, "period": 400, "periodUnit": "d"}, None, True),  # above 365
        ({"frequency": 1, "period": 21, "periodMax": 28, "periodUnit": "d"}, None, True),  # a range
    ],
)
def test_timing_repeat_gives_interval_days(repeat: dict[str, Any], interval: int | None, flagged: bool) -> None:
    dosage = resource_in(load(IT_PEMETREXED), "it-pemetrexed")["dosage"][0]
    dosage["timing"] = {"repeat": repeat}
    mapping, therapy = pemetrexed_with(dosage=[dosage])
    assert therapy is not None
    assert therapy.interval_days == interval
    issues = [i for i in mapping.issues if i.reference == "MedicationStatement/it-pemetrexed"]
    assert [(i.kind, i.field) for i in issues] == ([("ambiguous", "therapies")] if flagged else [])
    if flagged:
        assert "interval_days left out" in issues[0].reason


@pytest.mark.parametrize(
    ("reason", "stop_reason"),
    [
        ({"text": "Stopped after grade 3 neutropenia (toxicity)"}, StopReason.TOXICITY),
        (
            {"coding": [{"display": "Adverse drug reaction"}]},
            StopReason.TOXICITY,
        ),
        (
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-status-reason",
                        "code": "sintol",
                    }
                ]
            },
            StopReason.TOXICITY,
        ),
        ({"text": "Disease progression on MRI"}, StopReason.PROGRESSION),
        ({"text": "Dose reduced to 30 mg"}, StopReason.DOSE_CHANGE),
        ({"text": "Course completed"}, StopReason.COURSE_COMPLETED),
        ({"text": "Patient moved to another hospital"}, StopReason.OTHER),
        ({"text": "Incomplete response, switched"}, StopReason.OTHER),
    ],
)
def test_status_reason_gives_stop_reason(reason: dict[str, Any], stop_reason: StopReason) -> None:
    mapping, therapy = pemetrexed_with(statusReason=[reason])
    assert therapy is not None
    assert therapy.stop_reason is stop_reason
    assert mapping.issues == ()


def test_stop_reason_only_for_ended_therapies_and_several_reasons_read_as_other() -> None:
    _, therapy = pemetrexed_with(statusReason=None)
    assert therapy is not None
    assert therapy.stop_reason is None
    _, therapy = pemetrexed_with(status="active", statusReason=[{"text": "toxicity"}])
    assert therapy is not None
    assert (therapy.status, therapy.stop_reason, therapy.end) == (TherapyStatus.ACTIVE, None, None)
    for reasons in ([{"text": "toxicity"}, {"text": "progression"}], [{"text": "progression despite dose escalation"}]):
        mapping, therapy = pemetrexed_with(statusReason=reasons)
        assert therapy is not None
        assert therapy.stop_reason is StopReason.OTHER
        (issue,) = mapping.issues
        assert "several stop reasons" in issue.reason


def test_a_medication_request_status_reason_is_read_too() -> None:
    bundle = load(IT_PEMETREXED)
    order = resource_in(bundle, "osimertinib-160")
    order["status"] = "stopped"
    order["statusReason"] = {"text": "Progressive disease"}
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = "2026-02-01"
    patient = from_bundle(bundle).patient
    assert patient is not None
    assert patient.therapies[0].stop_reason is StopReason.PROGRESSION


_RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
_ATC = "http://www.whocc.no/atc"


@pytest.mark.parametrize(
    ("concept", "agent"),
    [
        ({"coding": [{"system": _RX, "code": "72962"}]}, Agent.DOCETAXEL),
        ({"coding": [{"system": _RX, "code": "56946"}]}, Agent.PACLITAXEL),
        ({"coding": [{"system": _RX, "code": "12574"}]}, Agent.GEMCITABINE),
        ({"coding": [{"system": _RX, "code": "6851"}]}, Agent.METHOTREXATE),
        ({"coding": [{"system": _RX, "code": "253337"}]}, Agent.BEVACIZUMAB),
        ({"coding": [{"system": _ATC, "code": "L01EB08"}]}, Agent.ICOTINIB),
        ({"coding": [{"system": _ATC, "code": "L01EB09"}]}, Agent.LAZERTINIB),
        ({"coding": [{"system": _ATC, "code": "L01EB11"}]}, Agent.AUMOLERTINIB),
        ({"text": "Almonertinib 110 mg tablet"}, Agent.AUMOLERTINIB),
        ({"text": "furmonertinib 80 MG Oral Tablet"}, Agent.FURMONERTINIB),
        ({"text": "befotertinib"}, Agent.BEFOTERTINIB),
        ({"text": "sunvozertinib 300 mg"}, Agent.SUNVOZERTINIB),
        ({"text": "Temodar 140 mg capsule"}, Agent.TEMOZOLOMIDE),
        ({"text": "cytarabine liposomal"}, Agent.CYTARABINE),
        ({"text": "thiotepa 10 mg intrathecal"}, Agent.THIOTEPA),
        ({"text": "Rybrevant 350 mg/7 mL"}, Agent.AMIVANTAMAB),
        ({"text": "bevacizumab-awwb"}, Agent.BEVACIZUMAB),
        ({"coding": [{"system": _ATC, "code": "L01XC99", "display": "some antibody"}]}, Agent.OTHER),
        ({"coding": [{"system": _ATC, "code": "C09AA03", "display": "lisinopril"}]}, None),
        ({"text": "amivantamab and lazertinib"}, None),
    ],
)
def test_new_agents_are_named_by_code_or_name(concept: dict[str, Any], agent: Agent | None) -> None:
    assert agent_of({"medicationCodeableConcept": concept}) is agent


def statement(ident: str, concept: dict[str, Any], **dosage: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": ident,
        "status": "active",
        "medicationCodeableConcept": concept,
        "effectiveDateTime": "2026-01-20",
        "dosage": [dosage] if dosage else [],
    }


def test_new_agents_routes_doses_and_other_drugs() -> None:
    bundle = load(IT_PEMETREXED)
    add_entry(bundle, statement("icotinib", {"text": "icotinib 125 mg tablet"}))  # no dose: read without one
    add_entry(bundle, statement("mtx", {"text": "methotrexate"}, text="12 mg"))  # no route: not read
    add_entry(bundle, statement("amivantamab-oral", {"text": "amivantamab"}, route={"text": "oral"}))
    add_entry(
        bundle,
        statement(
            "docetaxel",
            {"coding": [{"system": _RX, "code": "72962"}]},
            doseAndRate=[{"doseQuantity": {"value": 75, "unit": "mg/m2"}}],
        ),
    )
    long_name = "Investigational anti-EGFR agent " + "x" * 200
    add_entry(bundle, statement("other", {"coding": [{"system": _ATC, "code": "L01XX99"}], "text": long_name}))
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    by_agent = {t.agent: t for t in mapping.patient.therapies}
    assert (by_agent[Agent.ICOTINIB].dose_mg, by_agent[Agent.ICOTINIB].route) == (None, None)
    assert by_agent[Agent.DOCETAXEL].dose_mg is None
    other = by_agent[Agent.OTHER]
    assert other.name is not None
    assert len(other.name) == 128
    assert other.name.startswith("Investigational")
    assert other.drug_class is None
    assert Agent.METHOTREXATE not in by_agent
    assert Agent.AMIVANTAMAB not in by_agent
    reasons = {i.resource_id: (i.kind, i.reason) for i in mapping.issues}
    assert reasons["mtx"] == ("unmapped", "methotrexate without an intrathecal or intravenous route")
    assert reasons["amivantamab-oral"] == (
        "unmapped",
        "amivantamab by route oral; lmtx knows it as an intravenous drug",
    )
    assert reasons["docetaxel"][0] == "ambiguous"
    assert "read without dose_mg" in reasons["docetaxel"][1]
    assert reasons["other"][0] == "ambiguous"
    assert "read as agent 'other'" in reasons["other"][1]
    assert "icotinib" not in reasons


def test_unreadable_suspect_entities_are_reported_and_left_out() -> None:
    bundle = load(IT_PEMETREXED)
    event = resource_in(bundle, "ae-neutropenia")
    event["suspectEntity"] += [
        {"instance": {"reference": "MedicationStatement/not-in-the-bundle"}},
        {"instance": {"display": "carboplatin"}},  # named, but no carboplatin therapy in the record
        {"instance": {"display": "a herbal tea"}},
        {"instance": {"reference": "https://ehr.example.org/fhir/MedicationRequest/osimertinib-160"}},
    ]
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    (toxicity,) = mapping.patient.toxicities
    assert toxicity.attributed_to == (Agent.PEMETREXED, Agent.OSIMERTINIB)
    issues = [i for i in mapping.issues if i.reference == "AdverseEvent/ae-neutropenia"]
    assert [(i.kind, i.field) for i in issues] == [("ambiguous", "toxicities")] * 3
    assert "MedicationStatement/not-in-the-bundle" in issues[0].reason
    assert "no therapy of agent 'carboplatin'" in issues[1].reason
    assert "herbal tea" in issues[2].reason
    assert all("left out of attributed_to" in i.reason for i in issues)


def test_a_suspect_only_unreadable_leaves_attributed_to_unset() -> None:
    bundle = load(IT_PEMETREXED)
    event = resource_in(bundle, "ae-neutropenia")
    event["suspectEntity"] = [{"instance": {"reference": "Medication/unknown"}}]
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    assert mapping.patient.toxicities[0].attributed_to is None
    (issue,) = mapping.issues
    assert issue.kind == "ambiguous"


def test_a_suspect_medication_in_the_bundle_or_contained_is_read() -> None:
    bundle = load(IT_PEMETREXED)
    bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:5f0c3c1e-7d1a-4a51-9e2b-0d6f2f3f9a11",
            "resource": {"resourceType": "Medication", "id": "osi", "code": {"text": "Tagrisso 80 mg"}},
        }
    )
    event = resource_in(bundle, "ae-neutropenia")
    event["contained"] = [{"resourceType": "Medication", "id": "pem", "code": {"text": "Alimta"}}]
    event["suspectEntity"] = [
        {"instance": {"reference": "#pem"}},
        {"instance": {"reference": "urn:uuid:5f0c3c1e-7d1a-4a51-9e2b-0d6f2f3f9a11"}},
    ]
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    assert mapping.patient.toxicities[0].attributed_to == (Agent.PEMETREXED, Agent.OSIMERTINIB)
    assert mapping.issues == ()


def test_brain_metastases_date_is_the_earliest_onset() -> None:
    bundle = load(IT_PEMETREXED)
    add_entry(
        bundle,
        {
            "resourceType": "Condition",
            "id": "brain-mets-earlier",
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C79.31"}]},
            "recordedDate": "2025-03-01",
        },
    )
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    assert mapping.patient.brain_metastases_date == dt.date(2025, 3, 1)
    assert mapping.sources["brain_metastases_date"] == ("Condition/brain-mets-earlier",)


# --- structural errors ---------------------------------------------------------------------------


def test_not_a_bundle() -> None:
    with pytest.raises(BundleError, match="expected a FHIR Bundle"):
        from_bundle({"resourceType": "Patient", "id": "x"})
    with pytest.raises(BundleError, match="not JSON"):
        from_bundle("{not json")
    with pytest.raises(BundleError, match="JSON object"):
        from_bundle(json.dumps([1, 2]))
    with pytest.raises(BundleError, match="resourceType"):
        from_bundle({"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]})


def test_several_patients_need_a_patient_id() -> None:
    one = load("lm-inadequate-response.bundle.json")
    two = load("lm-probable-on-erlotinib.bundle.json")
    merged = {"resourceType": "Bundle", "type": "collection", "entry": one["entry"] + two["entry"]}
    with pytest.raises(BundleError, match="2 patients"):
        from_bundle(merged)
    mapping = from_bundle(merged, patient_id="lm-002")
    assert mapping.patient == from_bundle(two).patient
    foreign = {i.reference for i in mapping.unmapped}
    assert "Patient/lm-001" in foreign
    assert "Observation/csf-2026-01-09" in foreign


def test_duplicate_ids_keep_the_first_and_report_a_different_second() -> None:
    bundle = load("lm-inadequate-response.bundle.json")
    copy_of_ecog = copy.deepcopy(next(e for e in bundle["entry"] if e["resource"]["id"] == "ecog-2026-01-08"))
    identical = copy.deepcopy(copy_of_ecog)
    copy_of_ecog["resource"]["valueInteger"] = 3
    bundle["entry"] += [identical, copy_of_ecog]
    mapping = from_bundle(bundle)
    assert mapping.patient is not None
    assert mapping.patient.performance_status is not None
    assert mapping.patient.performance_status.score == 1
    assert [(i.reference, i.kind) for i in mapping.issues] == [("Observation/ecog-2026-01-08", "unmapped")]


# --- a large Synthea-style record full of unrelated resources ------------------------------------

_VITALS = (
    ("8302-2", "Body Height", "cm", 150, 190),
    ("29463-7", "Body Weight", "kg", 45, 110),
    ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", 18, 35),
    ("8867-4", "Heart rate", "/min", 55, 110),
    ("9279-1", "Respiratory rate", "/min", 12, 22),
    ("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 70, 160),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 10, 16),
)
_CONDITIONS = (
    ("38341003", "Hypertension"),
    ("44054006", "Diabetes mellitus type 2"),
    ("40055000", "Chronic sinusitis"),
)
_MEDICATIONS = (("314076", "lisinopril 10 MG Oral Tablet"), ("197361", "amlodipine 5 MG Oral Tablet"))


def synthea_like_bundle(core: dict[str, Any], *, seed: int = 2026, encounters: int = 300) -> dict[str, Any]:
    """A Synthea-style transaction bundle: the core record's resources amid hundreds of unrelated ones.

    Like Synthea, every entry has a ``urn:uuid:`` fullUrl and resources refer to the patient by it.
    """
    rng = random.Random(seed)

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    entries: list[dict[str, Any]] = []

    def add(resource: dict[str, Any]) -> str:
        full_url = f"urn:uuid:{new_uuid()}"
        method = "POST"
        entries.append(
            {"fullUrl": full_url, "resource": resource, "request": {"method": method, "url": resource["resourceType"]}}
        )
        return full_url

    core_resources = [copy.deepcopy(e["resource"]) for e in core["entry"]]
    patient = next(r for r in core_resources if r["resourceType"] == "Patient")
    patient_ref = add(patient)
    for resource in core_resources:
        for key in ("subject", "patient"):
            if key in resource:
                resource[key] = {"reference": patient_ref}
    organization = add({"resourceType": "Organization", "id": new_uuid(), "name": "General Hospital"})
    practitioner = add({"resourceType": "Practitioner", "id": new_uuid(), "name": [{"family": "Doe"}]})
    for index in range(encounters):
        day = f"20{10 + index // 36:02d}-{1 + index % 12:02d}-{1 + index % 28:02d}"
        encounter = add(
            {
                "resourceType": "Encounter",
                "id": new_uuid(),
                "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://snomed.info/sct",
                                "code": "185349003",
                                "display": "Encounter for check up",
                            }
                        ]
                    }
                ],
                "subject": {"reference": patient_ref},
                "participant": [{"individual": {"reference": practitioner}}],
                "period": {"start": f"{day}T09:00:00+01:00", "end": f"{day}T09:30:00+01:00"},
                "serviceProvider": {"reference": organization},
            }
        )
        for code, display, unit, low, high in rng.sample(_VITALS, 4):
            add(
                {
                    "resourceType": "Observation",
                    "id": new_uuid(),
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "vital-signs",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [{"system": "http://loinc.org", "code": code, "display": display}],
                        "text": display,
                    },
                    "subject": {"reference": patient_ref},
                    "encounter": {"reference": encounter},
                    "effectiveDateTime": f"{day}T09:10:00+01:00",
                    "valueQuantity": {
                        "value": round(rng.uniform(low, high), 1),
                        "unit": unit,
                        "system": "http://unitsofmeasure.org",
                        "code": unit,
                    },
                }
            )
        add(
            {
                "resourceType": "Observation",
                "id": new_uuid(),
                "status": "final",
                "code": {
                    "coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}]
                },
                "subject": {"reference": patient_ref},
                "effectiveDateTime": f"{day}T09:12:00+01:00",
                "component": [
                    {
                        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                        "valueQuantity": {"value": rng.randint(105, 150), "unit": "mm[Hg]"},
                    },
                    {
                        "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                        "valueQuantity": {"value": rng.randint(60, 95), "unit": "mm[Hg]"},
                    },
                ],
            }
        )
        add(
            {
                "resourceType": "Claim",
                "id": new_uuid(),
                "status": "active",
                "use": "claim",
                "patient": {"reference": patient_ref},
                "created": f"{day}T09:30:00+01:00",
                "provider": {"reference": organization},
                "priority": {"coding": [{"code": "normal"}]},
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]
                },
                "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Medicare"}}],
                "total": {"value": round(rng.uniform(50, 400), 2), "currency": "USD"},
            }
        )
        add(
            {
                "resourceType": "ExplanationOfBenefit",
                "id": new_uuid(),
                "status": "active",
                "use": "claim",
                "outcome": "complete",
                "patient": {"reference": patient_ref},
                "created": f"{day}T09:30:00+01:00",
                "insurer": {"display": "Medicare"},
                "provider": {"reference": practitioner},
                "type": {"coding": [{"code": "professional"}]},
                "insurance": [{"focal": True, "coverage": {"display": "Medicare"}}],
            }
        )
        if index % 12 == 0:
            add(
                {
                    "resourceType": "Immunization",
                    "id": new_uuid(),
                    "status": "completed",
                    "patient": {"reference": patient_ref},
                    "vaccineCode": {
                        "coding": [
                            {"system": "http://hl7.org/fhir/sid/cvx", "code": "140", "display": "Influenza, seasonal"}
                        ]
                    },
                    "occurrenceDateTime": f"{day}T09:20:00+01:00",
                    "primarySource": True,
                }
            )
        if index % 25 == 0:
            code, display = _CONDITIONS[index % len(_CONDITIONS)]
            add(
                {
                    "resourceType": "Condition",
                    "id": new_uuid(),
                    "subject": {"reference": patient_ref},
                    "clinicalStatus": {
                        "coding": [
                            {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
                        ]
                    },
                    "code": {
                        "coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}],
                        "text": display,
                    },
                    "onsetDateTime": f"{day}T09:00:00+01:00",
                }
            )
        if index % 30 == 0:
            code, display = _MEDICATIONS[index % len(_MEDICATIONS)]
            add(
                {
                    "resourceType": "MedicationRequest",
                    "id": new_uuid(),
                    "status": "active",
                    "intent": "order",
                    "medicationCodeableConcept": {
                        "coding": [
                            {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": display}
                        ],
                        "text": display,
                    },
                    "subject": {"reference": patient_ref},
                    "authoredOn": f"{day}T09:25:00+01:00",
                }
            )
            add(
                {
                    "resourceType": "Procedure",
                    "id": new_uuid(),
                    "status": "completed",
                    "subject": {"reference": patient_ref},
                    "code": {
                        "coding": [
                            {
                                "system": "http://snomed.info/sct",
                                "code": "430193006",
                                "display": "Medication reconciliation",
                            }
                        ]
                    },
                    "performedPeriod": {"start": f"{day}T09:25:00+01:00", "end": f"{day}T09:28:00+01:00"},
                }
            )
    for resource in core_resources:
        if resource["resourceType"] != "Patient":
            add(resource)
    add(
        {
            "resourceType": "Provenance",
            "id": new_uuid(),
            "target": [{"reference": patient_ref}],
            "recorded": "2026-03-03T12:00:00Z",
            "agent": [{"who": {"reference": practitioner}}],
        }
    )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@pytest.fixture(scope="module")
def synthea_bundle() -> dict[str, Any]:
    return synthea_like_bundle(load("lm-inadequate-response.bundle.json"))


def test_synthea_style_bundle_is_large_and_valid(synthea_bundle: dict[str, Any]) -> None:
    assert len(synthea_bundle["entry"]) > 2400
    Bundle.model_validate(synthea_bundle)  # it is valid R4 content, not noise


def test_synthea_style_bundle_maps_like_its_core(synthea_bundle: dict[str, Any]) -> None:
    core = from_bundle(load("lm-inadequate-response.bundle.json"))
    mapping = from_bundle(synthea_bundle)
    assert mapping.patient == core.patient
    assert mapping.issues == core.issues == ()
    counts = mapping.ignored_counts()
    assert counts["Encounter"] == 300
    assert counts["Claim"] == counts["ExplanationOfBenefit"] == 300
    assert counts["Observation"] == 300 * 5
    assert counts["Immunization"] == 25
    assert counts["MedicationRequest"] == counts["Procedure"] == 10
    assert set(counts) >= {"Organization", "Practitioner", "Provenance", "Condition"}
    core_entries = len(load("lm-inadequate-response.bundle.json")["entry"])
    assert sum(counts.values()) == len(synthea_bundle["entry"]) - core_entries


# --- packaging -----------------------------------------------------------------------------------


def test_import_lmtx_does_not_import_the_optional_extras() -> None:
    code = (
        "import sys, lmtx; lmtx.evaluate({'histology': 'adenocarcinoma'}); "
        "extras = ('fhir', 'starlette', 'uvicorn', 'joserfc', 'httpx'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in extras))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""The public hypothesis strategies (lmtx.strategies): valid, varied, documented, optional."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import json
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import lmtx
from lmtx import strategies as lst
from tests.vocabulary import LM_STATUSES, PHASES, REASONS

SCAN = settings(
    max_examples=800,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
"""A fixed, reproducible sample for the coverage checks."""


def test_import_lmtx_does_not_need_hypothesis() -> None:
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"  # any import of hypothesis now fails
        "import lmtx\n"
        "print(lmtx.evaluate({'histology': 'adenocarcinoma'}).lm_status)\n"
        "try:\n"
        "    import lmtx.strategies\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert child.stdout.splitlines() == ["absent", "lmtx.strategies needs hypothesis: pip install 'lmtx[testing]'"]


def test_docstring_examples_run() -> None:
    # lmtx.strategies is a package: doctest finds a function's examples only in the module that defines it.
    modules = [lst, *(importlib.import_module(f"lmtx.strategies.{m.name}") for m in pkgutil.iter_modules(lst.__path__))]
    outcomes = [doctest.testmod(module, raise_on_error=False, verbose=False) for module in modules]
    assert sum(outcome.attempted for outcome in outcomes) >= 4
    assert sum(outcome.failed for outcome in outcomes) == 0


def features(case: lst.EvaluationCase) -> set[str]:
    """What one generated case shows of the wire format."""
    wire = case.patient
    found = {f"histology={wire['histology']}", f"id {'id' in wire}", f"as_of {case.as_of is not None}"}
    egfr = wire.get("egfr")
    found.add(f"egfr={egfr['status'] if egfr else 'absent'}")
    if egfr is not None:
        found.add(f"variants {'absent' if 'variants' not in egfr else len(egfr['variants']) > 0}")
        found |= {f"variant={v}" for v in egfr.get("variants", [])}
    ps = wire.get("performance_status")
    for assessment in ps if isinstance(ps, list) else [ps] if ps else []:
        found |= {f"ps={assessment['scale']} {assessment['score']}", f"ps date {'date' in assessment}"}
    if not ps:
        found.add("ps absent")
    for key in ("brain_metastases", "csf_flow", "systemic_disease"):
        found.add(f"{key}={wire.get(key, 'absent')}")
    for key in ("neuro_exams", "csf_cytology", "mri", "therapies", "toxicities"):
        records = wire.get(key)
        found.add(f"{key} {'absent' if records is None else 'empty' if not records else 'listed'}")
        if records and len({json.dumps(r, sort_keys=True) for r in records}) < len(records):
            found.add(f"{key} duplicate")
    found |= {f"symptoms={e['symptoms']}" for e in wire.get("neuro_exams", [])}
    found |= {f"cytology={c['result']}" for c in wire.get("csf_cytology", [])}
    for scan in wire.get("mri", []):
        found |= {f"enhancement={scan['leptomeningeal_enhancement']}", f"response={scan.get('response', 'absent')}"}
    found |= therapy_features(wire)
    for toxicity in wire.get("toxicities", []):
        found |= {f"toxicity={toxicity['term']}", f"grade={toxicity['grade']}", f"toxicity date {'date' in toxicity}"}
    found |= workup_features(wire) | ps_features(wire)
    result = lmtx.evaluate(wire, as_of=case.as_of)
    found |= {f"lm={result.lm_status}", f"phase={result.phase}"}
    found |= {f"reason={reason}" for reason in result.not_applicable_reasons}
    return found


def therapy_features(wire: dict[str, Any]) -> set[str]:
    """What the therapies of one generated record show, with assessments around their starts."""
    found = set()
    latest = max(_dates(wire), default=None)
    for therapy in wire.get("therapies", []):
        found |= {f"agent={therapy['agent']}", f"status={therapy['status']}", f"route={therapy.get('route', 'absent')}"}
        found.add(f"{therapy['agent']} {therapy['status']}")
        if "dose_mg" in therapy:
            found.add(f"dose {type(therapy['dose_mg']).__name__}")
        if "end" in therapy:
            found.add("end = start" if therapy["end"] == therapy["start"] else "end > start")
        if therapy["status"] == "planned":
            start = therapy.get("start")
            found.add("planned start absent" if start is None else f"planned start after {start > (latest or '')}")
        intrathecal = therapy["agent"] == "pemetrexed" and therapy.get("route") == "intrathecal"
        if intrathecal and therapy["status"] in ("completed", "stopped"):
            # Courses ended between or after toxicity, on the 160 mg regimen or before it.
            found.add(f"intrathecal course {therapy['status']}")
            high_dose = [
                t["start"]
                for t in wire.get("therapies", [])
                if t["agent"] == "osimertinib" and t["status"] == "active" and t["dose_mg"] >= 160
            ]
            for start in high_dose if "end" in therapy else ():
                when = "on or after" if therapy["end"] >= start else "before"
                found.add(f"intrathecal course ended {when} 160 start")
        if therapy["status"] == "active":
            for exam in wire.get("neuro_exams", []):
                order = (exam["date"] > therapy["start"]) - (exam["date"] < therapy["start"])
                found.add(f"exam {['before', 'on', 'after'][order + 1]} active start")
    return found


def workup_features(wire: dict[str, Any]) -> set[str]:
    """Exams new or worse, or persisting, after a complete workup (an MRI and a cytology on or after an earlier exam).

    A persisting exam after a workup with one negative cytology is the record of the second-cytology
    reading (docs/interpretation.md#lm-status), with and without brain metastases; symptoms with one
    equivocal cytology since, that of the repeat cytology.
    """
    found = set()
    exams = sorted(wire.get("neuro_exams", []), key=lambda e: e["date"])
    clean = not any(c["result"] == "positive" for c in wire.get("csf_cytology", [])) and not any(
        m["leptomeningeal_enhancement"] for m in wire.get("mri", [])
    )
    for first in exams:
        mri = [m["date"] for m in wire.get("mri", []) if m["date"] >= first["date"]]
        samples = {c["date"]: c["result"] for c in wire.get("csf_cytology", []) if c["date"] >= first["date"]}
        if mri and samples:
            complete = max(min(mri), min(samples))
            if any(e["date"] > complete and e["symptoms"] in ("new", "worsened") for e in exams):
                found.add("new or worse after a complete workup")
            elif (
                clean
                and list(samples.values()) == ["negative"]
                and exams[-1]["symptoms"] == "persistent"
                and (exams[-1]["date"] > complete)
            ):
                bm = "with" if wire.get("brain_metastases") else "without"
                found.add(f"persisting after a workup with one negative cytology, {bm} bm")
        if (
            clean
            and list(samples.values()) == ["equivocal"]
            and exams[-1]["symptoms"] in ("new", "persistent", "worsened")
        ):
            found.add(f"symptoms and one equivocal cytology since, {'with' if mri else 'without'} an MRI")
    return found


def ps_features(wire: dict[str, Any]) -> set[str]:
    """A single dated performance status within 30 days of the LM diagnosis, or further from it."""
    ps = wire.get("performance_status")
    found = [c["date"] for c in wire.get("csf_cytology", []) if c["result"] == "positive"]
    found += [m["date"] for m in wire.get("mri", []) if m["leptomeningeal_enhancement"]]
    if not isinstance(ps, dict) or "date" not in ps or not found:
        return set()
    apart = abs((dt.date.fromisoformat(ps["date"]) - dt.date.fromisoformat(min(found))).days)
    return {f"single dated ps {'within' if apart <= 30 else 'beyond'} 30 days of LM diagnosis"}


def _dates(wire: dict[str, Any]) -> list[str]:
    dates = [r["date"] for key in ("neuro_exams", "csf_cytology", "mri") for r in wire.get(key, [])]
    dates += [t[k] for t in wire.get("therapies", []) for k in ("start", "end") if k in t and t["status"] != "planned"]
    return dates


def expected_features() -> set[str]:
    scores = [f"ps=ecog {n}" for n in range(5)] + [f"ps=kps {n}" for n in range(10, 101, 10)]
    enums: dict[str, type[Any]] = {
        "histology": lmtx.Histology,
        "variant": lmtx.EgfrVariant,
        "symptoms": lmtx.Symptoms,
        "cytology": lmtx.CytologyResult,
        "response": lmtx.MriResponse,
        "csf_flow": lmtx.CsfFlow,
        "systemic_disease": lmtx.SystemicDisease,
        "agent": lmtx.Agent,
        "status": lmtx.TherapyStatus,
        "route": lmtx.Route,
        "toxicity": lmtx.ToxicityTerm,
    }
    wanted = {f"{name}={member}" for name, enum in enums.items() for member in enum}
    wanted |= {f"egfr={s}" for s in ("mutant", "wild_type", "unknown", "absent")} | {"response=absent", "route=absent"}
    wanted |= {f"{key}={value}" for key in ("brain_metastases",) for value in (True, False, "absent")}
    wanted |= {"csf_flow=absent", "systemic_disease=absent", "ps absent", "ps date True", "ps date False", *scores}
    wanted |= {f"grade={g}" for g in range(1, 6)} | {"toxicity date True", "toxicity date False"}
    wanted |= {"variants absent", "variants True", "variants False", "id True", "id False"}
    wanted |= {"as_of True", "as_of False", "enhancement=True", "enhancement=False", "dose int", "dose float"}
    wanted |= {f"{key} {shape}" for key in ("neuro_exams", "csf_cytology", "mri", "therapies", "toxicities")
               for shape in ("absent", "empty", "listed")}  # fmt: skip
    wanted |= {f"{key} duplicate" for key in ("neuro_exams", "csf_cytology", "mri")}
    wanted |= {"end = start", "end > start", "planned start absent", "planned start after True"}
    wanted |= {f"exam {order} active start" for order in ("before", "on", "after")}
    wanted |= {f"{agent} active" for agent in ("osimertinib", "pemetrexed", "carboplatin", "cisplatin", "radiotherapy")}
    wanted |= {"intrathecal course completed", "intrathecal course stopped", "new or worse after a complete workup"}
    wanted |= {f"persisting after a workup with one negative cytology, {bm} bm" for bm in ("with", "without")}
    wanted |= {f"symptoms and one equivocal cytology since, {mri} an MRI" for mri in ("with", "without")}
    wanted |= {f"single dated ps {where} 30 days of LM diagnosis" for where in ("within", "beyond")}
    wanted |= {f"intrathecal course ended {when} 160 start" for when in ("before", "on or after")}
    wanted |= {f"lm={status}" for status in LM_STATUSES}
    wanted |= {f"phase={phase}" for phase in (None, *PHASES)}
    wanted |= {f"reason={r}" for r in REASONS}
    return wanted


def test_valid_patients_cover_the_whole_wire_format_and_every_phase() -> None:
    seen: set[str] = set()

    @SCAN
    @given(lst.evaluation_cases())
    def scan(case: lst.EvaluationCase) -> None:
        seen.update(features(case))

    scan()
    assert expected_features() - seen == set()


def test_invalid_cases_cover_every_kind_of_mutation() -> None:
    kinds: set[str] = set()

    @SCAN
    @given(lst.invalid_cases())
    def scan(case: lst.InvalidCase) -> None:
        kinds.add(case.kind)

    scan()
    assert kinds == {
        "wrong-type",
        "huge-string",
        "deep-nesting",
        "unknown-key",
        "missing-required",
        "non-finite",
        "out-of-range",
        "after-as-of",
        "non-object",
        "bad-json-text",
        "inconsistent-therapy",
        "two-active",
        "same-day-findings",
        "bad-egfr-or-ps",
        "unattributed-toxicity",
        "ps-history-without-dates",
        "date-without-fact",
    }


NEW_FIELDS_SCAN = settings(SCAN, max_examples=1000)
MULTI_ROUTE = ("pemetrexed", "methotrexate", "cytarabine", "thiotepa")


def revision_features(wire: dict[str, Any]) -> set[str]:
    """What one generated record shows of the fields and agents of input revision 2026-12-06."""
    found = set()
    ps = wire.get("performance_status")
    if isinstance(ps, list):
        found.add(f"ps history of {len(ps)}")
        assert len({p["date"] for p in ps}) == len(ps) != 1
    found |= {key for key in ("brain_metastases_date", "csf_flow_date", "systemic_disease_date") if key in wire}
    therapies = wire.get("therapies", [])
    for therapy in therapies:
        agent = therapy["agent"]
        found.add(f"agent={agent}")
        if agent in MULTI_ROUTE:
            found.add(f"{agent} {therapy['route']}")
        if "name" in therapy:
            found.add(f"name on {'other' if agent == 'other' else 'a listed agent'}")
        if agent == "other":
            found.add(f"other of class {therapy.get('drug_class', 'unknown')}")
        if agent == "osimertinib":
            found.add(f"osimertinib interval {therapy.get('interval_days', 'absent')}")
        elif "interval_days" in therapy:
            found.add("interval on another drug")
        if "stop_reason" in therapy:
            found.add(f"stop_reason={therapy['stop_reason']}")
        if agent not in ("osimertinib", "radiotherapy", "other") and "dose_mg" not in therapy:
            found.add("drug without a dose")
    found |= osimertinib_sequences([t for t in therapies if t["agent"] == "osimertinib"])
    agents = {therapy["agent"] for therapy in therapies}
    for toxicity in wire.get("toxicities", []):
        if "attributed_to" in toxicity:
            assert set(toxicity["attributed_to"]) <= agents
            found.add(f"attributed to {min(len(toxicity['attributed_to']), 2)}")
    return found


def osimertinib_sequences(osimertinib: list[dict[str, Any]]) -> set[str]:
    """A stopped osimertinib changed for another (dose-change), and 160 mg held and resumed (two pieces)."""
    found = set()
    for earlier in osimertinib:
        later = [t for t in osimertinib if t.get("start", "9999") > earlier.get("start", "9999")]
        if earlier["status"] == "stopped" and earlier.get("stop_reason") == "dose-change" and later:
            found.add("dose-change followed by another osimertinib")
        started = [t for t in later if "start" in t]  # a planned one may have none
        for current in started if "end" in earlier and earlier["dose_mg"] >= 160 else []:
            gap = (dt.date.fromisoformat(current["start"]) - dt.date.fromisoformat(earlier["end"])).days
            if current["status"] == "active" and current["dose_mg"] >= 160 and 0 <= gap <= 7:
                found.add("160 mg recorded in two pieces")
    return found


def test_valid_patients_generate_every_field_and_agent_of_revision_2026_12_06() -> None:
    seen: set[str] = set()

    @NEW_FIELDS_SCAN
    @given(lst.patient_dicts())
    def scan(wire: dict[str, Any]) -> None:
        seen.update(revision_features(wire))

    scan()
    wanted = {f"agent={agent}" for agent in lmtx.Agent} | {f"stop_reason={reason}" for reason in lmtx.StopReason}
    wanted |= {f"{agent} {route}" for agent in MULTI_ROUTE for route in ("intrathecal", "intravenous")}
    wanted |= {f"other of class {c}" for c in (*lmtx.DrugClass, "unknown")}
    wanted |= {f"osimertinib interval {n}" for n in (1, 2, "absent")} | {"interval on another drug"}
    wanted |= {
        "ps history of 0",
        "ps history of 2",
        "ps history of 3",
        "brain_metastases_date",
        "csf_flow_date",
        "systemic_disease_date",
    }
    wanted |= {"name on other", "name on a listed agent", "drug without a dose", "attributed to 1", "attributed to 2"}
    wanted |= {"dose-change followed by another osimertinib", "160 mg recorded in two pieces"}
    assert wanted - seen == set()


@given(lst.patient_dicts())
def test_patient_dicts_are_json_and_valid_at_their_latest_date(wire: dict[str, Any]) -> None:
    assert json.loads(json.dumps(wire)) == wire
    lmtx.parse_patient(wire)


@given(lst.patients())
def test_patients_are_typed_and_valid(patient: lmtx.Patient) -> None:
    assert isinstance(patient, lmtx.Patient)
    assert all(isinstance(t, lmtx.Therapy) for t in patient.therapies)
    lmtx.parse_patient(patient)


@given(lst.evaluation_cases(typed=True))
def test_typed_cases_are_valid_at_their_date(case: lst.EvaluationCase) -> None:
    assert isinstance(case.patient, lmtx.Patient)
    _, as_of = lmtx.parse_patient(case.patient, case.as_of)
    assert case.as_of is None or as_of == case.as_of


BLOCKS: dict[str, tuple[Callable[[], st.SearchStrategy[Any]], Callable[[], st.SearchStrategy[Any]], str]] = {
    "performance_status": (lst.performance_status_dicts, lst.performance_statuses, "one"),
    "neuro_exams": (lst.neuro_exam_dicts, lst.neuro_exams, "list"),
    "csf_cytology": (lst.csf_cytology_dicts, lst.csf_cytologies, "list"),
    "mri": (lst.mri_dicts, lst.mri_assessments, "list"),
    "therapies": (lst.therapy_dicts, lst.therapies, "list"),
    "toxicities": (lst.toxicity_dicts, lst.toxicities, "list"),
}


@pytest.mark.parametrize("field", sorted(BLOCKS))
def test_building_blocks_are_valid_in_a_patient_in_both_forms(field: str) -> None:
    wire_form, typed_form, shape = BLOCKS[field]

    @settings(max_examples=30)
    @given(wire_form(), typed_form())
    def check(wire: dict[str, Any], typed: Any) -> None:
        value = wire if shape == "one" else [wire]
        lmtx.parse_patient({"histology": "adenocarcinoma", field: value})
        patient = lmtx.Patient(lmtx.Histology.SQUAMOUS, **{field: typed if shape == "one" else (typed,)})
        lmtx.parse_patient(patient)

    check()


@given(lst.therapy_dicts(agents=[lmtx.Agent.PEMETREXED], statuses=[lmtx.TherapyStatus.ACTIVE], day=lst.dates(
    dt.date(2026, 1, 1), dt.date(2026, 12, 31))))  # fmt: skip
def test_therapy_dicts_honour_their_arguments(therapy: dict[str, Any]) -> None:
    assert (therapy["agent"], therapy["status"]) == ("pemetrexed", "active")
    assert therapy["route"] in ("intrathecal", "intravenous")
    assert therapy.get("dose_mg", 1) > 0  # optional for every drug but osimertinib
    assert "2026-01-01" <= therapy["start"] <= "2026-12-31"
    assert "end" not in therapy
    assert "stop_reason" not in therapy
    assert "drug_class" not in therapy
    assert 1 <= therapy.get("interval_days", 1) <= 365


@given(lst.toxicity_dicts(agents=[lmtx.Agent.OSIMERTINIB]), lst.toxicity_dicts(), lst.toxicities(agents=["cytarabine"]))
def test_toxicity_dicts_attribute_only_to_the_agents_given(
    attributed: dict[str, Any], alone: dict[str, Any], typed: lmtx.Toxicity
) -> None:
    assert attributed.get("attributed_to", ["osimertinib"]) == ["osimertinib"]
    assert "attributed_to" not in alone
    assert typed.attributed_to in (None, (lmtx.Agent.CYTARABINE,))


@given(lst.invalid_payloads())
def test_invalid_payloads_are_rejected_at_the_default_date(payload: object) -> None:
    with pytest.raises(lmtx.InvalidPatient):
        lmtx.evaluate(payload)  # type: ignore[arg-type]


# The mutations of invalid_cases() work from a table of the wire format's objects
# (lmtx.strategies._SCHEMA); it must not drift from the published JSON Schema.
SCHEMA_DEFINITIONS = {
    "patient": "Patient",
    "egfr": "Egfr",
    "performance_status": "PerformanceStatus",
    "neuro_exams": "NeuroExam",
    "csf_cytology": "CsfCytology",
    "mri": "MriAssessment",
    "therapies": "Therapy",
    "toxicities": "Toxicity",
}


def _nullable(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    return (isinstance(kinds, list) and "null" in kinds) or any(
        o.get("type") == "null" for o in schema.get("anyOf", [])
    )


@pytest.mark.parametrize("name", sorted(SCHEMA_DEFINITIONS))
def test_the_invalid_input_table_matches_the_json_schema(name: str) -> None:
    table = lst._SCHEMA[name]
    properties = lmtx.patient_schema()["$defs"][SCHEMA_DEFINITIONS[name]]["properties"]
    assert set(table) == set(properties)
    assert {key: kind.endswith("?") for key, kind in table.items()} == {k: _nullable(properties[k]) for k in table}


def test_the_invalid_input_table_covers_every_object_of_the_json_schema() -> None:
    assert set(lst._SCHEMA) == set(SCHEMA_DEFINITIONS)
    assert set(SCHEMA_DEFINITIONS.values()) == set(lmtx.patient_schema()["$defs"])

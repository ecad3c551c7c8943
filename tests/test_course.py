"""The patient's course: the record on each day, the steps, the concordance and its wire form."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import lmtx
from lmtx.course.record import record_on
from lmtx.strategies import evaluation_cases
from tests.course.truncate import record_dates, wire_on

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "lmtx" / "examples"
D = dt.date.fromisoformat
MUTANT: dict[str, Any] = {"histology": "adenocarcinoma", "egfr": {"status": "mutant"}}


def osimertinib(dose: float, start: str, status: str = "active", end: str | None = None) -> dict[str, Any]:
    therapy: dict[str, Any] = {
        "agent": "osimertinib",
        "route": "oral",
        "dose_mg": dose,
        "status": status,
        "start": start,
    }
    return therapy | ({"end": end} if end else {})


def it_pemetrexed(start: str, status: str = "active") -> dict[str, Any]:
    return {"agent": "pemetrexed", "route": "intrathecal", "dose_mg": 50, "status": status, "start": start}


def entries(course: lmtx.Timeline, code: str) -> list[dict[str, Any]]:
    return [e for e in course.to_dict()["concordance"] if e["code"] == code]


# --------------------------------------------------------------------------- wire form


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_wire_form_has_the_documented_shape(example: Path) -> None:
    course = lmtx.timeline(example.read_text())
    wire = json.loads(course.to_json())
    assert wire == course.to_dict()
    assert list(wire) == ["patient_id", "as_of", "knowledge_base", "steps", "concordance"]
    assert list(wire["knowledge_base"]) == ["id", "version", "digest"]
    for step in wire["steps"]:
        assert list(step) == ["date", "applicable", "lm_status", "phase", "recommendations", "alerts"]
        assert all(isinstance(v, str) for v in [*step["recommendations"].values(), *step["alerts"].values()])
    for entry in wire["concordance"]:
        assert list(entry) == ["code", "action", "indicated_from", "indicated_until", "acted_on", "lag_days", "status"]
    assert wire["steps"][-1]["date"] == wire["as_of"]
    assert [s["date"] for s in wire["steps"]] == sorted({s["date"] for s in wire["steps"]})


def test_to_json_is_deterministic() -> None:
    text = (EXAMPLES / "inadequate-response.json").read_text()
    assert lmtx.timeline(text).to_json() == lmtx.timeline(json.loads(text)).to_json()


def test_steps_are_evaluations_of_each_day() -> None:
    wire = json.loads((EXAMPLES / "inadequate-response.json").read_text())
    course = lmtx.timeline(wire, as_of="2026-04-01")
    days = [*record_dates(wire), D("2026-04-01")]
    assert [s.date for s in course.steps] == days
    for step in course.steps[:-1]:
        assert step.result == lmtx.evaluate(wire_on(wire, step.date), as_of=step.date)
    assert course.result == lmtx.evaluate(wire, as_of="2026-04-01")


def test_a_record_without_dates_has_one_undated_step() -> None:
    course = lmtx.timeline({"histology": "sclc"})
    assert [s.date for s in course.steps] == [None]
    assert course.to_dict()["as_of"] is None
    assert course.concordance == ()


def test_invalid_input_raises_as_evaluate_does() -> None:
    bad = {**MUTANT, "therapies": [osimertinib(-80, "2026-01-01")], "as_of_typo": 1}
    with pytest.raises(lmtx.InvalidPatient) as expected:
        lmtx.evaluate(bad, as_of="2025-12-01", policy={"poor_ps_ecog": 9})
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.timeline(bad, as_of="2025-12-01", policy={"poor_ps_ecog": 9})
    assert raised.value.problems == expected.value.problems


# --------------------------------------------------------------------------- the record on day d


def test_a_therapy_ending_on_the_day_of_a_step_has_its_recorded_status_that_day() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "neuro_exams": [{"date": "2026-02-01", "symptoms": "improved"}],
        "therapies": [osimertinib(160, "2026-01-10", status="stopped", end="2026-02-01")],
    }
    model, _ = lmtx.parse_patient(wire)
    running = record_on(model, D("2026-01-31"))
    assert [(t.status, t.end) for t in running.therapies] == [(lmtx.TherapyStatus.ACTIVE, None)]
    ended = record_on(model, D("2026-02-01"))
    assert ended.therapies == model.therapies
    course = lmtx.timeline(wire, as_of="2026-03-01")
    assert [s.date for s in course.steps] == [D("2026-01-05"), D("2026-01-10"), D("2026-02-01"), D("2026-03-01")]
    on_end = {**wire, "therapies": [osimertinib(160, "2026-01-10", status="stopped", end="2026-02-01")]}
    assert course.steps[2].result == lmtx.evaluate(on_end, as_of="2026-02-01")
    running_wire = {**wire, "therapies": [osimertinib(160, "2026-01-10")], "neuro_exams": []}
    assert course.steps[1].result == lmtx.evaluate(running_wire, as_of="2026-01-10")


def test_planned_therapies_and_undated_items_count_only_at_the_last_step() -> None:
    wire = {
        **MUTANT,
        "performance_status": {"scale": "ecog", "score": 1},
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "toxicities": [{"term": "rash", "grade": 2}],
        "therapies": [{**osimertinib(160, "2026-02-01"), "status": "planned"}],
    }
    model, _ = lmtx.parse_patient(wire)
    early = record_on(model, D("2026-01-05"))
    assert (early.performance_status, early.toxicities, early.therapies) == (None, (), ())
    course = lmtx.timeline(wire, as_of="2026-01-20")
    assert [s.date for s in course.steps] == [D("2026-01-05"), D("2026-01-20")]
    assert course.steps[-1].result == lmtx.evaluate(wire, as_of="2026-01-20")


def test_overlapping_regimens_of_one_agent_stay_a_valid_record() -> None:
    # 80 mg recorded as stopped on 2026-02-10, 160 mg started on 2026-02-01: both ran for nine days.
    wire = {
        **MUTANT,
        "brain_metastases": True,
        "therapies": [osimertinib(80, "2026-01-01", "stopped", "2026-02-10"), osimertinib(160, "2026-02-01")],
    }
    model, _ = lmtx.parse_patient(wire)
    day = record_on(model, D("2026-02-01"))
    assert [(t.dose_mg, t.status, t.end) for t in day.therapies] == [
        (80, lmtx.TherapyStatus.STOPPED, None),
        (160, lmtx.TherapyStatus.ACTIVE, None),
    ]
    course = lmtx.timeline(wire)
    assert course.steps[1].result == lmtx.evaluate(wire_on(wire, D("2026-02-01")), as_of="2026-02-01")


# --------------------------------------------------------------------------- concordance scenarios


def test_osimertinib_160_started_after_confirmed_lm_is_followed_with_its_lag() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [osimertinib(160, "2026-01-10")],
    }
    (entry,) = entries(lmtx.timeline(wire), "osimertinib-160")
    assert entry == {
        "code": "osimertinib-160",
        "action": "start",
        "indicated_from": "2026-01-05",
        "indicated_until": "2026-01-05",
        "acted_on": "2026-01-10",
        "lag_days": 5,
        "status": "followed",
    }


def test_a_start_never_made_is_open_while_still_indicated() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "neuro_exams": [{"date": "2026-01-20", "symptoms": "persistent"}],
    }
    (entry,) = entries(lmtx.timeline(wire, as_of="2026-02-01"), "osimertinib-160")
    assert (entry["action"], entry["indicated_from"], entry["indicated_until"]) == ("start", "2026-01-05", "2026-02-01")
    assert (entry["acted_on"], entry["lag_days"], entry["status"]) == (None, None, "open")


def test_an_indication_that_ends_unacted_lapses() -> None:
    # Brain metastases without LM call for osimertinib 80 mg; LM confirmed later calls for 160 mg instead.
    wire = {
        **MUTANT,
        "brain_metastases": True,
        "mri": [{"date": "2026-01-05", "leptomeningeal_enhancement": False}],
        "csf_cytology": [{"date": "2026-02-01", "result": "positive"}],
        "therapies": [osimertinib(160, "2026-02-10")],
    }
    course = lmtx.timeline(wire)
    assert entries(course, "osimertinib-80") == [
        {
            "code": "osimertinib-80",
            "action": "start",
            "indicated_from": "2026-01-05",
            "indicated_until": "2026-01-05",
            "acted_on": None,
            "lag_days": None,
            "status": "lapsed",
        }
    ]
    (high,) = entries(course, "osimertinib-160")
    assert (high["indicated_from"], high["acted_on"], high["lag_days"], high["status"]) == (
        "2026-02-01",
        "2026-02-10",
        9,
        "followed",
    )


def test_intrathecal_pemetrexed_begun_without_indication_is_not_indicated() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [osimertinib(160, "2026-01-10"), it_pemetrexed("2026-01-20")],
    }
    course = lmtx.timeline(wire)
    assert "it-pemetrexed" not in course.steps[1].recommendations
    assert entries(course, "it-pemetrexed") == [
        {
            "code": "it-pemetrexed",
            "action": None,
            "indicated_from": None,
            "indicated_until": None,
            "acted_on": "2026-01-20",
            "lag_days": None,
            "status": "not-indicated",
        }
    ]
    keys = [(e.indicated_from or e.acted_on, e.code) for e in course.concordance]
    assert keys == sorted(keys)


def test_a_course_through_changing_doses_and_phases() -> None:
    wire = {
        **MUTANT,
        "performance_status": {"scale": "ecog", "score": 1, "date": "2026-01-01"},
        "csf_cytology": [{"date": "2026-01-20", "result": "positive"}],
        "mri": [{"date": "2026-03-01", "leptomeningeal_enhancement": True, "response": "progression"}],
        "therapies": [
            osimertinib(80, "2026-01-01", status="completed", end="2026-02-01"),
            osimertinib(160, "2026-02-01"),
            it_pemetrexed("2026-03-10"),
        ],
    }
    course = lmtx.timeline(wire, as_of="2026-04-01")
    assert [s.date.isoformat() for s in course.steps if s.date] == [
        "2026-01-01",
        "2026-01-20",
        "2026-02-01",
        "2026-03-01",
        "2026-03-10",
        "2026-04-01",
    ]
    assert [s.phase for s in course.steps] == [
        None,
        "initial",
        "osimertinib-monotherapy",
        "inadequate-response",
        "combination",
        "combination",
    ]
    assert [s.recommendations.get("osimertinib-160") for s in course.steps] == [
        None,
        "increase",
        "continue",
        "continue",
        "continue",
        "continue",
    ]
    found = [
        (e["code"], e["action"], e["indicated_from"], e["acted_on"], e["lag_days"], e["status"])
        for e in course.to_dict()["concordance"]
    ]
    assert found == [
        ("osimertinib-160", "increase", "2026-01-20", "2026-02-01", 12, "followed"),
        ("it-pemetrexed", "add", "2026-03-01", "2026-03-10", 9, "followed"),
    ]


def test_a_new_course_of_what_continues_is_no_unprompted_start() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "neuro_exams": [{"date": "2026-02-01", "symptoms": "persistent"}],
        "therapies": [
            osimertinib(160, "2026-01-10"),
            {**it_pemetrexed("2026-02-05", "completed"), "end": "2026-02-20"},
            it_pemetrexed("2026-05-01"),
        ],
    }
    course = lmtx.timeline(wire)
    the_day_before = next(s for s in reversed(course.steps) if s.date and s.date < D("2026-05-01"))
    it_entries = entries(course, "it-pemetrexed")
    # Between courses the document either asks to add it again (an episode the new course carries out)
    # or to continue it (the new course continues it): never an unprompted start.
    expected = {"add": ["followed", "followed"], "continue": ["followed"]}
    assert [e["status"] for e in it_entries] == expected[the_day_before.recommendations["it-pemetrexed"]]
    assert it_entries[0]["acted_on"] == "2026-02-05"


# --------------------------------------------------------------------------- properties


@given(evaluation_cases())
def test_the_last_step_is_evaluate(case: lmtx.strategies.EvaluationCase) -> None:
    course = lmtx.timeline(case.patient, as_of=case.as_of)
    assert course.steps[-1].result.to_dict() == lmtx.evaluate(case.patient, as_of=case.as_of).to_dict()
    assert course.as_of == course.steps[-1].date == course.result.as_of


@given(evaluation_cases())
def test_every_step_is_evaluate_on_the_record_of_its_day(case: lmtx.strategies.EvaluationCase) -> None:
    course = lmtx.timeline(case.patient, as_of=case.as_of)
    wire = case.patient
    last = course.as_of
    expected_days: list[dt.date | None] = [d for d in record_dates(wire) if last is None or d <= last]
    if last is not None and last not in expected_days:
        expected_days.append(last)
    assert [s.date for s in course.steps] == (expected_days or [None])
    for step in course.steps[:-1]:
        assert step.date is not None
        assert step.result.to_dict() == lmtx.evaluate(wire_on(wire, step.date), as_of=step.date).to_dict()


@given(evaluation_cases())
def test_concordance_entries_are_consistent(case: lmtx.strategies.EvaluationCase) -> None:
    course = lmtx.timeline(case.patient, as_of=case.as_of)
    dates = [s.date for s in course.steps]
    for entry in course.concordance:
        if entry.status == "followed":
            assert entry.acted_on is not None
            assert entry.indicated_from is not None
            assert entry.acted_on >= entry.indicated_from
            assert entry.lag_days == (entry.acted_on - entry.indicated_from).days
        elif entry.status == "not-indicated":
            assert entry.action is None
            assert entry.indicated_from is None
            assert entry.acted_on is not None
        else:
            assert entry.acted_on is None
            assert entry.lag_days is None
            assert (entry.indicated_until == dates[-1]) == (entry.status == "open")
        if entry.indicated_from is not None:
            assert entry.indicated_until is not None
            first, last = dates.index(entry.indicated_from), dates.index(entry.indicated_until)
            actions = {course.steps[i].recommendations.get(entry.code) for i in range(first, last + 1)}
            assert actions == {entry.action}
    keys = [(e.indicated_from or e.acted_on, e.code) for e in course.concordance]
    assert keys == sorted(keys)  # type: ignore[type-var]

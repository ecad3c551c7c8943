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
    assert list(wire["knowledge_base"]) == ["id", "version", "digest", "packs"]
    for step in wire["steps"]:
        assert list(step) == ["date", "applicable", "lm_status", "phase", "recommendations", "alerts"]
        assert all(isinstance(v, str) for v in [*step["recommendations"].values(), *step["alerts"].values()])
    for entry in wire["concordance"]:
        required = ["code", "action", "indicated_from", "indicated_until", "acted_on", "lag_days", "status"]
        assert list(entry)[:7] == required
        assert set(list(entry)[7:]) <= {"actions", "undated_basis"}
        assert len(entry.get("actions", ["", ""])) > 1
        assert entry.get("undated_basis", True) is True
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


def test_a_therapy_runs_through_its_end_and_has_its_recorded_status_from_the_day_after() -> None:
    stopped = osimertinib(160, "2026-01-10", status="stopped", end="2026-02-01") | {"stop_reason": "toxicity"}
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "neuro_exams": [{"date": "2026-02-01", "symptoms": "improved"}],
        "therapies": [stopped],
    }
    model, _ = lmtx.parse_patient(wire)
    # The end is the last day on the drug: that day it is active, without an end or a stop reason.
    on_end = record_on(model, D("2026-02-01"))
    assert [(t.status, t.end, t.stop_reason) for t in on_end.therapies] == [(lmtx.TherapyStatus.ACTIVE, None, None)]
    assert record_on(model, D("2026-02-02")).therapies == model.therapies
    course = lmtx.timeline(wire, as_of="2026-03-01")
    days = ["2026-01-05", "2026-01-10", "2026-02-01", "2026-02-02", "2026-03-01"]
    assert [s.date for s in course.steps] == [D(d) for d in days]
    assert "prior-osimertinib-stopped" not in course.steps[2].alerts
    assert course.steps[3].result == lmtx.evaluate(wire, as_of="2026-02-02")
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
    # 80 mg recorded as stopped on 2026-02-10, 160 mg started on 2026-02-01: the later start runs, and
    # the 80 mg counts as ended the day before it.
    wire = {
        **MUTANT,
        "brain_metastases": True,
        "therapies": [osimertinib(80, "2026-01-01", "stopped", "2026-02-10"), osimertinib(160, "2026-02-01")],
    }
    model, _ = lmtx.parse_patient(wire)
    day = record_on(model, D("2026-02-01"))
    assert [(t.dose_mg, t.status, t.end) for t in day.therapies] == [
        (80, lmtx.TherapyStatus.STOPPED, D("2026-01-31")),
        (160, lmtx.TherapyStatus.ACTIVE, None),
    ]
    # Started the same day: the one recorded active runs, and the other does not exist on that day.
    both = [osimertinib(80, "2026-02-01", "stopped", "2026-02-10"), osimertinib(160, "2026-02-01")]
    model, _ = lmtx.parse_patient({**wire, "therapies": both})
    assert [t.dose_mg for t in record_on(model, D("2026-02-05")).therapies] == [160]
    course = lmtx.timeline(wire)
    assert course.steps[1].result == lmtx.evaluate(wire_on(wire, D("2026-02-01")), as_of="2026-02-01")


def tki(agent: str, start: str, status: str = "active", end: str | None = None) -> dict[str, Any]:
    return {"agent": agent, "status": status, "start": start} | ({"end": end} if end else {})


def test_dated_facts_count_from_their_dates() -> None:
    wire = {
        **MUTANT,
        "brain_metastases": True,
        "brain_metastases_date": "2026-03-01",
        "csf_flow": "interrupted",
        "csf_flow_date": "2026-03-05",
        "systemic_disease": "controlled",
        "systemic_disease_date": "2026-02-20",
        "mri": [{"date": "2025-06-01", "leptomeningeal_enhancement": False}],
        "therapies": [tki("gefitinib", "2025-01-10")],
    }
    model, _ = lmtx.parse_patient(wire)
    before = record_on(model, D("2026-02-28"))
    assert (before.brain_metastases, before.brain_metastases_date) == (False, None)
    assert (before.systemic_disease, before.systemic_disease_date) == (lmtx.SystemicDisease.CONTROLLED, D("2026-02-20"))
    assert (before.csf_flow, before.csf_flow_date) == (lmtx.CsfFlow.UNKNOWN, None)
    course = lmtx.timeline(wire, as_of="2026-03-20")
    days = ["2025-01-10", "2025-06-01", "2026-02-20", "2026-03-01", "2026-03-05", "2026-03-20"]
    assert [s.date for s in course.steps] == [D(d) for d in days]
    # Not applicable until the brain metastases are found; the advice to switch dates from then.
    assert [s.applicable for s in course.steps] == [False, False, False, True, True, True]
    (entry,) = entries(course, "osimertinib-80")
    assert (entry["action"], entry["indicated_from"], entry["status"]) == ("switch", "2026-03-01", "open")
    assert "undated_basis" not in entry


def test_undated_brain_metastases_are_known_throughout_and_flag_their_episodes() -> None:
    wire = {
        **MUTANT,
        "brain_metastases": True,
        "mri": [{"date": "2023-06-01", "leptomeningeal_enhancement": False}],
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [tki("gefitinib", "2023-01-10", "stopped", "2026-01-10"), osimertinib(160, "2026-01-11")],
    }
    course = lmtx.timeline(wire)
    assert course.steps[0].applicable
    flagged = {(e.code, e.indicated_from): e.undated_basis for e in course.concordance if e.action is not None}
    # Opened before LM was established, on the undated fact alone; the one opened by the cytology is not.
    assert flagged == {("osimertinib-80", D("2023-01-10")): True, ("osimertinib-160", D("2026-01-05")): False}


def test_each_item_of_a_performance_status_history_counts_from_its_date() -> None:
    history = [
        {"scale": "ecog", "score": 1, "date": "2026-01-05"},
        {"scale": "ecog", "score": 3, "date": "2026-03-01"},
    ]
    wire = {
        **MUTANT,
        "performance_status": history,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [osimertinib(160, "2026-01-10")],
    }
    model, _ = lmtx.parse_patient(wire)
    assert record_on(model, D("2026-01-04")).performance_status is None
    assert [p.score for p in record_on(model, D("2026-02-01")).performance_statuses] == [1]
    course = lmtx.timeline(wire, as_of="2026-03-10")
    assert D("2026-03-01") in [s.date for s in course.steps]
    assert course.steps[1].result == lmtx.evaluate({**wire, "performance_status": history[:1]}, as_of="2026-01-10")


def test_attributions_to_drugs_not_yet_given_are_dropped() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [osimertinib(160, "2026-01-10"), it_pemetrexed("2026-03-01")],
        "toxicities": [
            {"term": "fatigue", "grade": 2, "date": "2026-02-01", "attributed_to": ["osimertinib", "pemetrexed"]},
            {"term": "anemia", "grade": 2, "date": "2026-02-01", "attributed_to": ["pemetrexed"]},
        ],
    }
    model, _ = lmtx.parse_patient(wire)
    day = record_on(model, D("2026-02-01"))
    assert [t.attributed_to for t in day.toxicities] == [(lmtx.Agent.OSIMERTINIB,), None]
    assert record_on(model, D("2026-03-01")).toxicities == model.toxicities
    lmtx.timeline(wire)  # every day's record is valid


def test_a_hold_between_pieces_shows_as_a_hold() -> None:
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [osimertinib(160, "2026-01-10", "stopped", "2026-02-10"), osimertinib(160, "2026-02-14")],
    }
    course = lmtx.timeline(wire, as_of="2026-03-01")
    held = next(s for s in course.steps if s.date == D("2026-02-11"))
    assert held.recommendations["osimertinib-160"] == "start"
    assert "prior-osimertinib-stopped" in held.alerts
    resumed = [e for e in entries(course, "osimertinib-160") if e["indicated_from"] == "2026-02-11"]
    assert [(e["acted_on"], e["lag_days"], e["status"]) for e in resumed] == [("2026-02-14", 3, "followed")]


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
            "undated_basis": True,
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
        "2026-02-02",
        "2026-03-01",
        "2026-03-10",
        "2026-04-01",
    ]
    assert [s.phase for s in course.steps] == [
        None,
        "initial",
        "osimertinib-monotherapy",
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
        "continue",
    ]
    # The 80 mg course ended the day before 160 mg began: a dose escalation, never a stop.
    assert not any("prior-osimertinib-stopped" in s.alerts for s in course.steps)
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


def test_stopping_one_tki_and_starting_the_next_is_one_decision() -> None:
    # Gefitinib stopped, a day without a TKI, erlotinib begun: switch, start, switch in the advice.
    wire = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [tki("gefitinib", "2025-06-01", "stopped", "2026-01-20"), tki("erlotinib", "2026-01-22")],
    }
    course = lmtx.timeline(wire, as_of="2026-02-15")
    assert [s.recommendations.get("osimertinib-160") for s in course.steps][1:] == [
        "switch",
        "start",
        "switch",
        "switch",
    ]
    assert entries(course, "osimertinib-160") == [
        {
            "code": "osimertinib-160",
            "action": "switch",
            "indicated_from": "2026-01-05",
            "indicated_until": "2026-02-15",
            "acted_on": None,
            "lag_days": None,
            "status": "open",
            "actions": ["switch", "start", "switch"],
        }
    ]


def test_chemotherapy_before_lm_is_outside_the_algorithm_and_never_not_indicated() -> None:
    wire = {
        **MUTANT,
        "systemic_disease": "progressive",
        "systemic_disease_date": "2025-09-01",
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [
            tki("gefitinib", "2025-01-10"),
            {"agent": "carboplatin", "status": "completed", "start": "2025-09-10", "end": "2025-12-10"},
        ],
    }
    assert entries(lmtx.timeline(wire), "platinum-pemetrexed") == []
    # The same platinum begun on osimertinib 160 mg once LM is established is reported.
    after = {
        **MUTANT,
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [
            osimertinib(160, "2026-01-10"),
            {"agent": "carboplatin", "status": "active", "start": "2026-02-01"},
        ],
    }
    assert [e["status"] for e in entries(lmtx.timeline(after), "platinum-pemetrexed")] == ["not-indicated"]


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
            # One episode may join consecutive start/switch/increase runs of an osimertinib code.
            assert actions == set(entry.actions)
            assert entry.action == entry.actions[0]
            assert len(entry.actions) == 1 or entry.code in ("osimertinib-160", "osimertinib-80")
    keys = [(e.indicated_from or e.acted_on, e.code) for e in course.concordance]
    assert keys == sorted(keys)  # type: ignore[type-var]

"""Concordance read from steps built by hand, keyed on codes and actions.

These tests give :func:`lmtx.course.concordance.concordance` the steps directly (the record's
therapies are what was done, the steps what was advised), so each reading of ``osimertinib-tolerated``
(continue, resume, review) and ``it-pemetrexed`` ``hold`` is checked apart from the rules that give
them. tests/test_course_tolerance.py checks the same readings on records replayed through the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

import lmtx
from lmtx.course import replay
from lmtx.course.concordance import CourseStep, concordance, episode_actions

D = dt.date.fromisoformat
MUTANT: dict[str, Any] = {"histology": "adenocarcinoma", "egfr": {"status": "mutant"}}
MONITORING = {"monitor-mri": "perform", "monitor-csf-cytology": "perform"}


def record(*therapies: dict[str, Any]) -> lmtx.Patient:
    patient, _ = lmtx.parse_patient(
        {**MUTANT, "csf_cytology": [{"date": "2026-01-05", "result": "positive"}], "therapies": list(therapies)},
        as_of="2026-06-01",
    )
    return patient


def osimertinib(dose: float, start: str, **more: Any) -> dict[str, Any]:
    return {"agent": "osimertinib", "route": "oral", "dose_mg": dose, "status": "active", "start": start, **more}


def step(day: str, advice: Mapping[str, str], **more: Any) -> CourseStep:
    return CourseStep(D(day), {**advice, **MONITORING}, **more)


OPENING = CourseStep(D("2026-01-05"), {"osimertinib-160": "start", **MONITORING})
"""LM confirmed and osimertinib 160 mg advised: the first step of every course here, before any regimen."""


def wire(patient: lmtx.Patient, steps: list[CourseStep], code: str | None = None) -> list[dict[str, Any]]:
    """The entries of the course that opens with :data:`OPENING`; only those of ``code`` when given."""
    found = [entry.to_dict() for entry in concordance(patient, [OPENING, *steps])]
    return [entry for entry in found if code is None or entry["code"] == code]


def test_only_resume_of_the_tolerated_dose_asks_for_something_new() -> None:
    assert episode_actions["osimertinib-tolerated"] == frozenset({"resume"})
    for code in ("osimertinib-160", "osimertinib-80", "it-pemetrexed", "platinum-pemetrexed"):
        assert "hold" not in episode_actions[code]
        assert "continue" not in episode_actions[code]


def test_resume_is_an_episode_carried_out_by_any_osimertinib() -> None:
    # Osimertinib 160 mg stopped for toxicity on 2026-02-10; the team gives 80 mg again on 2026-02-20.
    patient = record(
        osimertinib(160, "2026-01-10", status="stopped", end="2026-02-10", stop_reason="toxicity"),
        osimertinib(80, "2026-02-20"),
    )
    steps = [
        step("2026-01-10", {"osimertinib-160": "continue"}),
        step("2026-02-11", {"osimertinib-tolerated": "resume"}),
        step("2026-02-15", {"osimertinib-tolerated": "resume"}),
        step("2026-02-20", {"osimertinib-tolerated": "continue"}),
        step("2026-06-01", {"osimertinib-tolerated": "continue"}),
    ]
    assert wire(patient, steps, "osimertinib-tolerated") == [
        {
            "code": "osimertinib-tolerated",
            "action": "resume",
            "indicated_from": "2026-02-11",
            "indicated_until": "2026-02-15",
            "acted_on": "2026-02-20",
            "lag_days": 9,
            "status": "followed",
        }
    ]


@pytest.mark.parametrize(
    ("last", "status"),
    [("resume", "open"), ("review", "lapsed"), ("continue", "lapsed")],
)
def test_resume_not_acted_on_is_open_or_lapsed(last: str, status: str) -> None:
    patient = record(osimertinib(160, "2026-01-10", status="stopped", end="2026-02-10", stop_reason="toxicity"))
    steps = [
        step("2026-01-10", {"osimertinib-160": "continue"}),
        step("2026-02-11", {"osimertinib-tolerated": "resume"}),
        step("2026-03-10", {"osimertinib-tolerated": last}),
    ]
    (entry,) = wire(patient, steps, "osimertinib-tolerated")
    assert (entry["code"], entry["action"], entry["status"]) == ("osimertinib-tolerated", "resume", status)
    assert entry["indicated_until"] == ("2026-03-10" if last == "resume" else "2026-02-11")


def test_continue_and_review_of_the_tolerated_dose_make_no_episode() -> None:
    patient = record(osimertinib(80, "2026-01-10"))
    steps = [
        step("2026-01-10", {"osimertinib-tolerated": "continue"}),
        step("2026-03-01", {"osimertinib-tolerated": "review"}),
        step("2026-06-01", {"osimertinib-tolerated": "continue"}),
    ]
    assert wire(patient, steps, "osimertinib-tolerated") == []


def test_resume_makes_no_episode_while_another_egfr_tki_is_active() -> None:
    # Erlotinib is given while osimertinib is held: no resume episode on those days. The day after
    # erlotinib's last day, resume opens an episode of its own, carried out by the next osimertinib.
    patient = record(
        osimertinib(160, "2026-01-10", status="stopped", end="2026-02-10", stop_reason="toxicity"),
        {"agent": "erlotinib", "status": "stopped", "start": "2026-02-12", "end": "2026-03-01"},
        osimertinib(80, "2026-03-09"),
    )
    steps = [
        step("2026-01-10", {"osimertinib-160": "continue"}),
        step("2026-02-11", {"osimertinib-tolerated": "resume"}),
        step("2026-02-12", {"osimertinib-tolerated": "resume"}, other_egfr_tki_active=True),
        step("2026-03-02", {"osimertinib-tolerated": "resume"}),
        step("2026-03-09", {"osimertinib-tolerated": "continue"}),
    ]
    found = [
        (e["indicated_from"], e["indicated_until"], e["acted_on"], e["status"])
        for e in wire(patient, steps, "osimertinib-tolerated")
    ]
    assert found == [
        ("2026-02-11", "2026-02-11", "2026-03-09", "followed"),  # a later start still carries it out
        ("2026-03-02", "2026-03-02", "2026-03-09", "followed"),
    ]
    # With the TKI active throughout the advice, there is no episode at all.
    suppressed = [
        step("2026-01-10", {"osimertinib-160": "continue"}),
        step("2026-02-12", {"osimertinib-tolerated": "resume"}, other_egfr_tki_active=True),
    ]
    assert wire(patient, suppressed, "osimertinib-tolerated") == []


def test_hold_makes_no_episode_and_a_course_started_while_it_stands_is_not_unprompted() -> None:
    patient = record(
        osimertinib(160, "2026-01-10"),
        {
            "agent": "pemetrexed",
            "route": "intrathecal",
            "dose_mg": 50,
            "status": "stopped",
            "start": "2026-03-01",
            "end": "2026-03-20",
            "stop_reason": "toxicity",
        },
        {"agent": "pemetrexed", "route": "intrathecal", "dose_mg": 50, "status": "active", "start": "2026-04-20"},
    )
    steps = [
        step("2026-01-10", {"osimertinib-160": "continue"}),
        step("2026-02-20", {"osimertinib-160": "continue", "it-pemetrexed": "add"}),
        step("2026-03-01", {"osimertinib-160": "continue", "it-pemetrexed": "continue"}),
        step("2026-03-21", {"osimertinib-160": "continue", "it-pemetrexed": "hold"}),
        step("2026-04-20", {"osimertinib-160": "continue", "it-pemetrexed": "continue"}),
        step("2026-06-01", {"osimertinib-160": "continue", "it-pemetrexed": "continue"}),
    ]
    assert [(e["code"], e["action"], e["acted_on"], e["status"]) for e in wire(patient, steps, "it-pemetrexed")] == [
        ("it-pemetrexed", "add", "2026-03-01", "followed"),
    ]
    # The same course without the hold before it is a start no advice asked for.
    unprompted = [*steps[:3], step("2026-03-21", {"osimertinib-160": "continue"}), *steps[4:]]
    assert [(e["code"], e["status"], e["acted_on"]) for e in wire(patient, unprompted, "it-pemetrexed")][-1] == (
        "it-pemetrexed",
        "not-indicated",
        "2026-04-20",
    )


def test_raising_the_tolerated_dose_to_160_mg_is_never_unprompted() -> None:
    # 160 mg from 2026-01-10 (it carries out the opening advice), reduced to 80 mg for toxicity, then
    # raised to 160 mg again on 2026-04-01 while the tolerated dose was advised: the team's decision.
    patient = record(
        osimertinib(160, "2026-01-10", status="stopped", end="2026-02-28", stop_reason="toxicity"),
        osimertinib(80, "2026-03-01", status="stopped", end="2026-03-31", stop_reason="dose-change"),
        osimertinib(160, "2026-04-01"),
    )
    tolerated = [
        step("2026-01-10", {"osimertinib-160": "continue"}),
        step("2026-03-01", {"osimertinib-tolerated": "continue"}),
        step("2026-04-01", {"osimertinib-160": "continue"}),
    ]
    assert [(e["code"], e["status"]) for e in wire(patient, tolerated)] == [("osimertinib-160", "followed")]
    # Without the tolerated-dose advice before it, the same start of 160 mg is reported.
    other = [*tolerated[:1], step("2026-03-01", {"osimertinib-80": "continue"}), *tolerated[2:]]
    assert [(e["code"], e["status"], e["acted_on"]) for e in wire(patient, other)] == [
        ("osimertinib-160", "followed", "2026-01-10"),
        ("osimertinib-160", "not-indicated", "2026-04-01"),
    ]


def test_a_start_that_carries_out_resume_is_not_unprompted() -> None:
    # 160 mg given again after a toxicity stop, while resume stands: it carries out the resume
    # episode (the team's decision on the dose), and is not reported as a start no advice asked for.
    patient = record(
        osimertinib(160, "2026-01-10", status="stopped", end="2026-02-10", stop_reason="toxicity"),
        osimertinib(160, "2026-02-25"),
    )
    steps = [
        step("2026-01-10", {"osimertinib-160": "continue"}),
        step("2026-02-11", {"osimertinib-tolerated": "resume"}),
        step("2026-02-25", {"osimertinib-160": "continue"}),
    ]
    assert [(e["code"], e["action"], e["acted_on"], e["status"]) for e in wire(patient, steps)][1:] == [
        ("osimertinib-tolerated", "resume", "2026-02-25", "followed"),
    ]


def test_the_replay_tells_concordance_on_which_days_another_tki_was_active(monkeypatch: pytest.MonkeyPatch) -> None:
    # Erlotinib active from its start through its last day; a planned gefitinib never counts.
    seen: list[CourseStep] = []

    def spy(patient: lmtx.Patient, steps: list[CourseStep]) -> tuple[Any, ...]:
        seen.extend(steps)
        return concordance(patient, steps)

    monkeypatch.setattr(replay, "concordance", spy)
    lmtx.timeline(
        {
            **MUTANT,
            "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
            "therapies": [
                {"agent": "erlotinib", "status": "stopped", "start": "2026-01-10", "end": "2026-02-01"},
                {"agent": "gefitinib", "status": "planned"},
            ],
        },
        as_of="2026-03-01",
    )
    assert {s.date: s.other_egfr_tki_active for s in seen} == {
        D("2026-01-05"): False,
        D("2026-01-10"): True,
        D("2026-02-02"): False,
        D("2026-03-01"): False,
    }
    # On the last day the record is read as given: an active TKI counts, a planned one does not.
    seen.clear()
    lmtx.timeline(
        {**MUTANT, "therapies": [{"agent": "afatinib", "status": "active", "start": "2026-01-10"}]},
        as_of="2026-03-01",
    )
    assert seen[-1].other_egfr_tki_active

"""The real-records revision (docs/input-format.md#real-records): what a clinician reads, case by case.

The scenarios (tests/scenarios) pin each case's codes, actions and firings; these tests pin the
words a clinician reads for the same cases, and that each new inconsistency is refused at its path.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import lmtx
from tests.scenarios import load_scenarios

SCENARIOS = load_scenarios()


def _evaluate(name: str) -> lmtx.Result:
    scenario = SCENARIOS[name]
    return lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))


def _item(result: lmtx.Result, code: str) -> Any:
    found = [i for i in (*result.recommendations, *result.alerts, *result.prognosis) if i.code == code]
    assert found, f"{code} not in the result"
    return found[0]


# --- 1. Other EGFR TKIs ------------------------------------------------------------------------


def test_icotinib_is_another_egfr_tki_and_the_switch_names_it() -> None:
    result = _evaluate("initial-switch-from-icotinib")
    switch = _item(result, "osimertinib-160")
    assert switch.action == "switch"
    assert "icotinib ('Conmana') 125 mg a day since 2025-06-01" in switch.detail
    # Recorded once a day (interval 1), 125 mg is a third of its standard dose (docs/input-format.md#standard-doses).
    assert _item(result, "cns-penetration").detail.startswith(
        "The EGFR TKI this is about: icotinib ('Conmana') 125 mg a day since 2025-06-01 (below its standard dose of "
        "375 mg a day, as 125 mg three times a day)."
    )


def test_icotinib_without_an_interval_is_given_three_times_a_day() -> None:
    patient = copy.deepcopy(SCENARIOS["initial-switch-from-icotinib"]["patient"])
    del patient["therapies"][0]["interval_days"]
    result = lmtx.evaluate(patient)
    assert "icotinib ('Conmana') 125 mg three times a day since 2025-06-01" in _item(result, "osimertinib-160").detail
    assert "(its standard dose of 375 mg a day, as 125 mg three times a day)" in _item(result, "cns-penetration").detail


def test_a_start_beside_a_drug_of_unknown_class_names_it() -> None:
    start = _item(_evaluate("initial-start-beside-unclassified-other"), "osimertinib-160")
    assert start.action == "start"
    assert "'study drug XY-101' (oral) since 2025-06-01" in start.detail
    assert "cannot tell whether it is an EGFR TKI" in start.detail


# --- 2. First-line platinum --------------------------------------------------------------------


def test_first_line_platinum_is_named_and_the_intrathecal_step_is_offered() -> None:
    result = _evaluate("inadequate-response-first-line-platinum-running")
    add = _item(result, "it-pemetrexed")
    assert add.action == "add"
    assert "osimertinib 160 mg alone" not in add.detail  # IV pemetrexed and carboplatin run beside it
    assert "Also given now: carboplatin since 2025-06-01 and intravenous pemetrexed 500 mg every 21 days" in add.detail
    assert result.recommendation("platinum-pemetrexed") is None


def test_running_first_line_platinum_at_progression_is_the_last_step_already_given() -> None:
    result = _evaluate("progression-on-combination-first-line-platinum-running")
    assert result.recommendation("platinum-pemetrexed") is None
    exhausted = _item(result, "guideline-exhausted")
    assert "carboplatin, begun on 2025-06-01 and still given" in exhausted.detail


def test_ended_first_line_platinum_is_named_beside_the_platinum_advice() -> None:
    consider = _item(_evaluate("progression-on-combination-first-line-platinum-ended"), "platinum-pemetrexed")
    assert "carboplatin, begun on 2025-06-01 and completed on 2025-09-20" in consider.detail


def test_the_platinum_stage_names_the_course_it_is_judged_from_when_another_replaced_it() -> None:
    add = _item(_evaluate("beyond-document-platinum-started-on-160-start"), "it-pemetrexed")
    assert "judged from 2026-01-10" in add.detail
    assert (
        "Platinum given: carboplatin begun on 2026-01-10 (day 1 of osimertinib 160 mg), stopped on 2026-01-31; "
        "cisplatin begun on 2026-02-02 (day 24 of osimertinib 160 mg), still given."
    ) in add.detail


def test_another_intrathecal_agent_is_named_beside_the_intrathecal_step() -> None:
    result = _evaluate("beyond-document-intrathecal-methotrexate-running")
    add = _item(result, "it-pemetrexed")
    assert "intrathecal methotrexate 12 mg every 7 days since 2026-03-05" in add.detail
    assert "no later step" not in " ".join(i.detail for i in (*result.recommendations, *result.alerts))


# --- 3. Toxicity attribution --------------------------------------------------------------------

_THROMBOCYTOPENIA_WHEN_INTRATHECAL_STOPPED: dict[str, Any] = {
    "histology": "adenocarcinoma",
    "egfr": {"status": "mutant"},
    "systemic_disease": "controlled",
    "performance_status": {"scale": "ecog", "score": 1, "date": "2025-10-01"},
    "csf_cytology": [{"date": "2025-06-06", "result": "positive"}],
    "neuro_exams": [{"date": "2025-06-05", "symptoms": "new"}, {"date": "2025-10-10", "symptoms": "improved"}],
    "therapies": [
        {"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2025-06-10"},
        {
            "agent": "pemetrexed",
            "route": "intrathecal",
            "dose_mg": 50,
            "status": "stopped",
            "start": "2025-08-01",
            "end": "2025-10-14",
            "stop_reason": "toxicity",
        },
    ],
    "toxicities": [{"term": "thrombocytopenia", "grade": 4, "date": "2025-10-14"}],
}


def test_cytopenia_on_the_day_intrathecal_pemetrexed_stopped_is_linked_to_it_not_to_osimertinib() -> None:
    result = lmtx.evaluate(_THROMBOCYTOPENIA_WHEN_INTRATHECAL_STOPPED)
    alert = _item(result, "toxicity-myelosuppression")
    assert alert.detail == "Agents linked to it: intrathecal pemetrexed 50 mg, stopped on 2025-10-14."
    assert "osimertinib" not in _item(result, "dose-modification").detail.split("Keep osimertinib")[0]
    assert "thrombocytopenia" in result.adverse_effects  # the stopped course is still watched


def test_the_treating_teams_attribution_wins() -> None:
    patient = copy.deepcopy(_THROMBOCYTOPENIA_WHEN_INTRATHECAL_STOPPED)
    patient["toxicities"][0]["attributed_to"] = ["osimertinib"]
    detail = _item(lmtx.evaluate(patient), "toxicity-myelosuppression").detail
    assert detail == (
        "Agents linked to it (as the treating team attributes it): osimertinib 160 mg a day, given since 2025-06-10."
    )


def test_agents_the_team_attributes_are_told_apart_from_those_the_reading_links() -> None:
    # One fatigue report is attributed to osimertinib, the others are linked by the reading:
    # radiotherapy must not read as attributed by the treating team.
    detail = _item(_evaluate("toxicities-fatigue-and-other-at-the-edges-of-therapies"), "toxicity-fatigue").detail
    assert detail == (
        "Attributed by the treating team: osimertinib 160 mg a day, given since 2026-01-10. "
        "Given around its other reports, as this reading links them: radiotherapy, completed on 2026-02-13; "
        "osimertinib 160 mg a day, given since 2026-01-10."
    )


def test_a_rash_on_afatinib_is_not_called_osimertinibs() -> None:
    patient = {
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant"},
        "brain_metastases": True,
        "therapies": [{"agent": "afatinib", "dose_mg": 40, "status": "active", "start": "2025-01-01"}],
        "toxicities": [{"term": "rash", "grade": 3, "date": "2025-03-01"}],
    }
    rash = _item(lmtx.evaluate(patient), "toxicity-skin-rash")
    assert rash.summary == "Skin rash, CTCAE grade 3, needs attention now (see dose-modification), with afatinib."
    assert "osimertinib" not in rash.summary + rash.detail


# --- 4. A change of dose is not a stop -----------------------------------------------------------


def test_a_recorded_dose_change_raises_no_stop_warning() -> None:
    result = _evaluate("initial-dose-change-recorded-then-planned-160")
    assert result.alert("prior-osimertinib-stopped") is None


def test_the_stop_warning_gives_the_recorded_reason_of_the_real_stop() -> None:
    alert = _item(_evaluate("tolerance-stop-given-again-and-completed"), "prior-osimertinib-stopped")
    # A stop for toxicity given again at that dose no longer stands: it alerts, naming its linked toxicity;
    # a completed osimertinib with stop reason toxicity reads as stopped (docs/interpretation.md#tolerable-dose).
    assert alert.detail.startswith(
        "Osimertinib 160 mg a day, begun on 2025-03-01, was stopped on 2025-04-01 (for toxicity), linked to grade 3 "
        "rash on 2025-03-30; that dose was given again since; osimertinib 160 mg a day, begun on 2025-05-01, was "
        "completed on 2025-08-01 (for toxicity); that dose was given again since; osimertinib 160 mg a day, begun on "
        "2025-09-01, was stopped on 2026-01-02 (for progression)."
    )


def test_the_stop_warning_names_every_real_stop_and_weighs_recorded_reasons() -> None:
    alert = _item(_evaluate("restart-after-osimertinib-stopped-twice"), "prior-osimertinib-stopped")
    assert alert.summary == "Osimertinib was stopped before: check why before it is given again."
    assert alert.detail.startswith(
        "Osimertinib 80 mg a day, begun on 2025-03-01, was stopped on 2025-05-10 (for toxicity), linked to grade 3 "
        "rash on 2025-05-08; that dose was given again since; osimertinib 80 mg a day, begun on 2025-06-01, was "
        "stopped on 2025-12-15 (for progression)."
    )
    assert alert.detail.endswith("weigh the recorded reasons before restarting.")


def test_the_stop_warning_asks_only_for_the_reasons_not_recorded() -> None:
    patient = copy.deepcopy(load_scenarios()["restart-after-osimertinib-stopped-twice"]["patient"])
    del patient["therapies"][1]["stop_reason"]
    alert = _item(lmtx.evaluate(patient, as_of="2026-01-20"), "prior-osimertinib-stopped")
    assert "was stopped on 2025-12-15." in alert.detail
    assert alert.detail.endswith("learn why it was stopped on 2025-12-15 before restarting.")


# --- 5. Performance status over time -------------------------------------------------------------


def test_the_note_states_the_ps_at_diagnosis_and_the_latest_which_decides() -> None:
    result = _evaluate("progression-on-combination-poor-latest-ps")
    note = _item(result, "performance-status-prognostic")
    assert note.summary.startswith("Performance status ECOG 1 at LM diagnosis; latest ECOG 3")
    assert "At LM diagnosis (2026-01-06): ECOG 1, recorded on 2026-01-07." in note.detail
    prefer = _item(result, "prefer-intrathecal")
    assert "ECOG 3, recorded on 2026-05-02" in prefer.detail
    assert "ECOG 3 or worse" in prefer.detail  # the threshold in force


def test_a_stale_ps_does_not_decide_and_the_alert_names_it() -> None:
    result = _evaluate("progression-on-combination-stale-ps")
    assert result.recommendation("prefer-intrathecal") is None
    missing = _item(result, "performance-status-missing")
    assert "ECOG 3, was recorded on 2026-01-07, 154 days before the evaluation date" in missing.detail


# --- 6. Intervals -------------------------------------------------------------------------------


def test_a_weekly_dose_reads_as_weekly() -> None:
    switch = _item(_evaluate("initial-weekly-erlotinib"), "osimertinib-160")
    assert "erlotinib 1500 mg every 7 days since 2025-11-01" in switch.detail


# --- 7. Texts a clinician can trust --------------------------------------------------------------


def test_every_alert_and_prognosis_note_of_every_scenario_has_a_detail() -> None:
    for name in SCENARIOS:
        result = _evaluate(name)
        for item in (*result.alerts, *result.prognosis):
            assert item.detail.strip(), (name, item.code)


def test_the_workup_text_names_the_earlier_negative_workup() -> None:
    workup = _item(_evaluate("new-symptoms-on-workup-day-then-worse"), "lm-workup")
    assert "The symptoms counted from 2026-02-18" in workup.detail
    assert (
        "An earlier workup, for symptoms from 2026-01-05, was complete and found no LM (MRI on 2026-01-07 without "
        "leptomeningeal enhancement and CSF cytology on 2026-01-08 negative)"
    ) in workup.detail


def test_a_switch_from_a_working_tki_says_so() -> None:
    switch = _item(_evaluate("brain-metastases-switch-80"), "osimertinib-80")
    assert "The latest assessments on erlotinib are good (neurological exam without symptoms on 2026-04-02)" in (
        switch.detail
    )


# --- The new inconsistencies, each at its path ---------------------------------------------------

_BASE: dict[str, Any] = {"histology": "adenocarcinoma", "egfr": {"status": "mutant"}}
_REFUSED = [
    (
        {"therapies": [{"agent": "afatinib", "status": "active", "start": "2026-01-01"}],
         "toxicities": [{"term": "rash", "grade": 2, "attributed_to": ["osimertinib"]}]},
        "toxicities[0].attributed_to[0]",
    ),
    ({"therapies": [{"agent": "icotinib", "drug_class": "egfr-tki", "status": "planned"}]}, "therapies[0].drug_class"),
    ({"therapies": [{"agent": "erlotinib", "status": "active", "start": "2026-01-01", "stop_reason": "toxicity"}]},
     "therapies[0].stop_reason"),
    ({"therapies": [{"agent": "erlotinib", "interval_days": 400, "status": "planned"}]}, "therapies[0].interval_days"),
    ({"performance_status": [{"scale": "ecog", "score": 1}, {"scale": "ecog", "score": 2, "date": "2026-01-01"}]},
     "performance_status[0].date"),
    ({"performance_status": [{"scale": "ecog", "score": 1, "date": "2026-01-01"},
                             {"scale": "ecog", "score": 2, "date": "2026-01-01"}]}, "performance_status[1].date"),
    ({"brain_metastases_date": "2026-01-01"}, "brain_metastases_date"),
    ({"csf_flow_date": "2026-01-01"}, "csf_flow_date"),
    ({"systemic_disease": "unknown", "systemic_disease_date": "2026-01-01"}, "systemic_disease_date"),
    ({"therapies": [{"agent": "cytarabine", "status": "planned"}]}, "therapies[0].route"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "path"), _REFUSED, ids=[path for _, path in _REFUSED])
def test_each_new_inconsistency_is_refused_at_its_path(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate({**_BASE, **fields})
    assert [p.path for p in raised.value.problems] == [path]


def test_every_record_valid_before_reads_the_same_where_the_revision_is_silent() -> None:
    # A drug without a dose is valid now (only osimertinib needs one) and means what it did with one.
    with_dose = {**_BASE, "brain_metastases": True, "therapies": [{"agent": "gefitinib", "dose_mg": 250,
                 "status": "active", "start": "2026-01-01"}]}  # fmt: skip
    without = copy.deepcopy(with_dose)
    del without["therapies"][0]["dose_mg"]
    codes = [(r.code, r.action) for r in lmtx.evaluate(with_dose).recommendations]
    assert codes == [(r.code, r.action) for r in lmtx.evaluate(without).recommendations]
    assert ("osimertinib-80", "switch") in codes


# --- 8. The highest tolerable dose (rev. 2026-12-07, issue #26) --------------------------------------


def test_osimertinib_stopped_for_a_grade_4_event_is_not_started_again_at_160_mg() -> None:
    result = _evaluate("tolerance-80-stopped-grade-4-attributed-review")
    assert result.recommendation("osimertinib-160") is None
    item = _item(result, "osimertinib-tolerated")
    assert (item.action, item.dose.mg) == ("review", None)
    assert item.summary == "Osimertinib was stopped for toxicity: whether it is given again is a specialist's decision."
    assert (
        "osimertinib 80 mg a day, stopped on 2025-09-10 (for toxicity: grade 4 other adverse event on 2025-09-08)"
        in item.detail
    )
    assert "The latest stop, on 2025-09-10, was 76 days ago." in item.detail
    assert "for leptomeningeal disease the document's dose is 160 mg a day" in item.detail
    assert "interstitial lung disease or pneumonitis" in item.detail
    assert result.alert("prior-osimertinib-stopped") is None  # a standing toxicity stop raises no stop warning
    watch = _item(result, "monitor-adverse-effects")
    assert "For a specialist's review: osimertinib: skin rash and fatigue." in watch.detail
    assert "Advised: osimertinib" not in watch.detail  # a review is no advice to give it
    modification = _item(result, "dose-modification")
    assert modification.summary.startswith("Grade 4 other adverse event linked to osimertinib:")
    assert "osimertinib is withheld (see osimertinib-tolerated)" in modification.summary


def test_a_reduction_for_a_rash_still_present_is_continued_not_raised() -> None:
    result = _evaluate("tolerance-160-reduced-to-80-for-rash")
    assert result.recommendation("osimertinib-160") is None
    assert result.alert("cns-penetration") is None
    assert result.alert("prior-osimertinib-stopped") is None
    item = _item(result, "osimertinib-tolerated")
    assert item.summary == (
        "Continue osimertinib 80 mg a day: the highest dose tolerated so far; a higher dose is the treating team's "
        "decision."
    )
    assert (item.dose.mg, item.dose.frequency) == (80, "once daily")
    assert (
        "osimertinib 160 mg a day, reduced to 80 mg a day on 2025-06-11 (for a change of dose; linked to it: grade 3 "
        "rash on 2025-06-08)" in item.detail
    )
    assert "Linked to the dose given now: grade 3 rash on 2025-07-15" in item.detail
    assert (
        "the response is judged on osimertinib 160 mg, reduced to 80 mg on 2025-06-11, from 2025-01-10" in item.detail
    )


def test_a_thrombocytopenia_linked_to_intrathecal_pemetrexed_holds_it() -> None:
    result = _evaluate("hold-thrombocytopenia-linked-to-intrathecal-pemetrexed")
    item = _item(result, "it-pemetrexed")
    assert (item.action, item.dose, item.evidence, item.statements) == ("hold", None, (), ("S25", "S22"))
    assert item.detail.startswith(
        "Since the latest intrathecal course began on 2025-08-01: grade 4 thrombocytopenia on 2025-08-20. An "
        "intrathecal injection needs adequate blood counts."
    )
    assert "continue" not in (item.summary + item.detail).lower()
    watch = _item(result, "monitor-adverse-effects")
    assert "On hold: intrathecal pemetrexed: myelosuppression and aseptic meningitis." in watch.detail
    assert "Advised: intrathecal pemetrexed" not in watch.detail
    modification = _item(result, "dose-modification")
    assert modification.summary == (
        "Grade 4 thrombocytopenia linked to intrathecal pemetrexed: dose changes may be needed; keep osimertinib at "
        "its highest tolerable dose."
    )
    assert _item(result, "toxicity-myelosuppression").summary == (
        "Myelosuppression (grade 4 thrombocytopenia): needs attention now (see dose-modification)."
    )


def test_an_intrathecal_course_stopped_for_toxicity_no_longer_vanishes() -> None:
    result = _evaluate("hold-intrathecal-course-stopped-for-toxicity")
    assert result.phase == "combination"
    item = _item(result, "it-pemetrexed")
    assert item.action == "hold"
    assert item.statements == ("S25",)
    assert item.detail.startswith(
        "The latest intrathecal pemetrexed course, begun on 2025-08-01, was stopped on 2025-08-21 for toxicity."
    )
    assert "intrathecal pemetrexed is on hold" in item.detail
    texts = " ".join(i.summary + " " + i.detail for i in (*result.recommendations, *result.alerts))
    assert "continue both" not in texts


def test_an_event_attributed_to_pemetrexed_is_not_blamed_on_a_course_begun_96_days_later() -> None:
    result = _evaluate("toxicity-attributed-pemetrexed-before-intravenous-course")
    alert = _item(result, "toxicity-aseptic-meningitis")
    assert alert.detail == (
        "Agents linked to it (as the treating team attributes it): intrathecal pemetrexed 50 mg, completed on "
        "2025-03-05."
    )
    modification = _item(result, "dose-modification")
    assert "intravenous" not in modification.summary + modification.detail
    hold = _item(result, "it-pemetrexed")
    assert (hold.action, hold.statements) == ("hold", ("S25", "S23"))
    assert "grade 3 aseptic meningitis on 2025-03-01, linked to intrathecal pemetrexed 50 mg" in hold.detail
    assert "The event must have resolved before the next injection." in hold.detail


def test_a_long_course_with_a_hold_reads_as_held_never_continued() -> None:
    result = _evaluate("long-course-with-intrathecal-hold")
    assert (result.phase, result.recommendation("osimertinib-160").action) == ("combination", "continue")  # type: ignore[union-attr]
    item = _item(result, "it-pemetrexed")
    assert item.action == "hold"
    assert item.detail == (
        "The latest intrathecal pemetrexed course, begun on 2026-07-15, was stopped on 2026-07-22 for toxicity. "
        "Recorded since it began: grade 3 neutropenia on 2026-07-21. The latest assessments show no progression on "
        "osimertinib 160 mg with intrathecal pemetrexed, judged from 2026-03-01; intrathecal pemetrexed is on hold. "
        "Whether, when and at what dose the next administration of intrathecal pemetrexed is given is the treating "
        "team's decision."
    )
    assert _item(result, "toxicity-myelosuppression").detail == (
        "Agents linked to it (as the treating team attributes it): intrathecal pemetrexed 50 mg, stopped on 2026-07-22."
    )
    # Day by day: the hold begins with the neutropenia, while the course still ran, and stands.
    steps = {
        s.date.isoformat(): s.recommendations.get("it-pemetrexed")
        for s in lmtx.timeline(SCENARIOS["long-course-with-intrathecal-hold"]["patient"], as_of="2026-08-05").steps
    }
    assert (steps["2026-07-15"], steps["2026-07-21"], steps["2026-08-05"]) == ("continue", "hold", "hold")


def test_a_withhold_keeps_the_stage_and_resumes_at_most_at_the_dose_stopped() -> None:
    result = _evaluate("tolerance-withhold-resume-inadequate-response")
    assert result.phase == "inadequate-response"
    item = _item(result, "osimertinib-tolerated")
    assert item.action == "resume"
    assert item.summary == (
        "Osimertinib is withheld after a toxicity stop: giving it again, at most at 160 mg a day, is the treating "
        "team's decision."
    )
    assert (
        "day 51 of osimertinib 160 mg, last given on 2026-03-01 and withheld since"
        in _item(result, "it-pemetrexed").detail
    )


def test_cns_penetration_names_every_tki_with_its_dose_never_a_standard_one_wrongly() -> None:
    gefitinib = _item(_evaluate("initial-switch-from-gefitinib-dose-not-recorded"), "cns-penetration")
    assert "gefitinib since 2025-06-01 (dose not recorded)" in gefitinib.detail
    raised = _item(_evaluate("initial-increase-from-120"), "cns-penetration")
    assert "above the standard 80 mg but not the 160 mg a day the document prefers for LM" in raised.detail
    furmonertinib = _evaluate("initial-switch-from-furmonertinib-160")
    assert furmonertinib.alert("cns-penetration") is None
    assert (
        "Furmonertinib 160 mg a day since 2025-06-01 is above its standard dose of 80 mg a day; for LM the "
        "document's primary treatment is osimertinib 160 mg a day: the clinician weighs the switch."
        in _item(furmonertinib, "osimertinib-160").detail
    )
    planned = _evaluate("initial-start-instead-of-planned-gefitinib")
    assert "instead of the planned gefitinib 250 mg a day from 2026-01-15" in _item(planned, "osimertinib-160").detail
    assert (
        "planned gefitinib 250 mg a day (its standard dose of 250 mg a day)" in _item(planned, "cns-penetration").detail
    )

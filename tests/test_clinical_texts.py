"""What a clinician reads for the readings of the contract's revision of 2026-12-07 on diagnosis and texts.

The scenarios (tests/scenarios) pin each case's codes, actions and firings; these tests pin the
words: the second and the repeat CSF cytology (docs/interpretation.md#lm-status), an LM status of
``absent`` that never says LM is excluded, a single dated performance status far from the LM
diagnosis (#policy), assessments called good only when they show a response or no disease, a stale
deciding finding (#texts), and an unknown EGFR status.
"""

from __future__ import annotations

import lmtx
from tests.scenarios import load_scenarios
from tests.test_real_records import _evaluate, _item

SCENARIOS = load_scenarios()


def _explained(name: str) -> str:
    scenario = SCENARIOS[name]
    return lmtx.explanation(scenario["patient"], as_of=scenario["as_of"]).to_text(width=1000)


# --- A second CSF cytology ----------------------------------------------------------------------


def test_persisting_symptoms_after_one_negative_cytology_ask_for_a_second_one_not_an_mri() -> None:
    result = _evaluate("second-cytology-symptoms-persist-after-negative-workup")
    workup = _item(result, "lm-workup")
    assert "a second cytology is needed" in workup.summary
    assert "MRI" not in workup.summary
    assert (
        "Neurological symptoms since 2026-01-05 persist (latest exam on 2026-02-20) after a workup that found no LM: "
        "MRI on 2026-01-07 without leptomeningeal enhancement and CSF cytology on 2026-01-08 negative."
    ) in workup.detail
    assert "No brain metastases are recorded to explain them." in workup.detail
    assert "(Glantz et al., Cancer 1998): a second CSF cytology is needed." in workup.detail
    assert "MRI of the neuraxis" not in workup.detail  # no further MRI is asked for
    delayed = _item(result, "delayed-diagnosis")
    assert delayed.severity == "warning"
    assert "whose only CSF cytology, on 2026-01-08, was negative; no second cytology since" in delayed.detail


def test_the_second_cytology_counts_from_the_new_onset_and_names_the_earlier_workup() -> None:
    workup = _item(_evaluate("second-cytology-after-new-onset"), "lm-workup")
    assert "Neurological symptoms since 2026-02-18 persist (latest exam on 2026-03-05)" in workup.detail
    assert "CSF cytology on 2026-02-19 negative" in workup.detail
    assert (
        "An earlier workup, for symptoms from 2026-01-05, was complete and found no LM (MRI on 2026-01-07 without "
        "leptomeningeal enhancement and CSF cytology on 2026-01-08 negative)"
    ) in workup.detail


def test_a_persisting_exam_more_than_90_days_old_is_given_with_its_age() -> None:
    second = _item(_evaluate("second-cytology-stale-persistent-exam"), "lm-workup")
    assert "(latest exam on 2025-09-10, 130 days before the evaluation date)" in second.detail
    mri = _item(_evaluate("suspected-mri-missing-stale-persistent-exam"), "lm-workup")
    assert "The latest exam, on 2025-10-01, 100 days before the evaluation date, found the symptoms persisting." in (
        mri.detail
    )
    assert "(CSF cytology on 2025-09-03 negative)" in mri.detail
    # A recent exam is not aged.
    recent = _item(_evaluate("second-cytology-symptoms-persist-after-negative-workup"), "lm-workup")
    assert "days before the evaluation date" not in recent.detail


def test_an_equivocal_only_cytology_is_named_and_repeated() -> None:
    for name in ("equivocal-cytology-repeat", "equivocal-cytology-brain-metastases-repeat"):
        workup = _item(_evaluate(name), "lm-workup")
        assert workup.summary == (
            "Work up suspected LM: the only CSF cytology since the symptoms began was equivocal; repeat it."
        )
        assert "MRI on 2026-04-05 without leptomeningeal enhancement and CSF cytology on 2026-04-06 equivocal" in (
            workup.detail
        )
        assert "the CSF cytology is to be repeated" in workup.detail
    both = _item(_evaluate("equivocal-cytology-no-mri"), "lm-workup")
    assert "a neuraxis MRI and a repeat CSF cytology are needed" in both.summary
    assert "the only CSF cytology since, on 2026-04-03, was equivocal" in both.detail


def test_absent_never_says_lm_is_excluded() -> None:
    after_workup = _explained("second-cytology-done-lm-absent")
    assert (
        "LM status: absent — no LM found: MRI on 2026-01-07 and CSF cytology on 2026-01-08 and 2026-02-25 negative"
    ) in after_workup
    equivocal = _explained("equivocal-then-negative-cytology-absent")
    assert (
        "no LM found: MRI on 2026-04-05 negative, CSF cytology on 2026-04-06 equivocal and on 2026-04-20 negative"
        in (equivocal)
    )
    resolved = _explained("equivocal-cytology-symptoms-resolved")
    assert "LM status: absent — no sign of LM recorded (latest neurological exam, on 2026-05-02, with symptoms " in (
        resolved
    )
    no_exam = lmtx.explanation({"histology": "adenocarcinoma", "egfr": {"status": "mutant"}}).to_text(width=1000)
    assert (
        "LM status: absent — no sign of LM recorded (no symptomatic exam, no leptomeningeal enhancement, no positive "
        "cytology)"
    ) in no_exam
    for text in (after_workup, equivocal, resolved, no_exam):
        assert "exclude" not in text.lower()
        assert "ruled out" not in text.lower()
    for rule in lmtx.knowledge_base().rules:
        assert not rule.description.endswith(": no LM."), rule.id


# --- A single dated PS far from the LM diagnosis ------------------------------------------------


def test_a_single_dated_ps_far_from_the_diagnosis_is_the_latest_not_the_one_at_diagnosis() -> None:
    note = _item(_evaluate("ps-single-dated-long-before-diagnosis"), "performance-status-prognostic")
    assert note.summary.startswith("Performance status ECOG 0, the latest; none recorded at LM diagnosis")
    assert note.detail == (
        "No performance status was recorded within 30 days of the LM diagnosis (2026-02-01); the latest is ECOG 0, "
        "recorded on 2024-01-15."
    )
    edge = _item(_evaluate("ps-single-dated-31-days-before-diagnosis"), "performance-status-prognostic")
    assert "none recorded at LM diagnosis" in edge.summary


def test_a_single_ps_within_30_days_or_undated_reads_as_before() -> None:
    within = _item(_evaluate("ps-single-dated-30-days-after-diagnosis"), "performance-status-prognostic")
    assert within.summary.startswith("Performance status ECOG 1: ")
    assert within.detail == "ECOG 1, recorded on 2026-03-03."
    undated = _item(_evaluate("initial-switch-from-other-egfr-tki"), "performance-status-prognostic")
    assert undated.summary.startswith("Performance status ECOG 1: ")
    assert undated.detail == "ECOG 1, date not recorded."


# --- Texts a clinician can trust ---------------------------------------------------------------


def test_a_stable_mri_is_stated_as_it_is_never_called_good() -> None:
    switch = _item(_evaluate("initial-switch-from-erlotinib-mri-stable"), "osimertinib-160")
    assert (
        "The latest assessments on erlotinib show no progression: neurological exam without symptoms on "
        "2019-11-10; MRI stable on 2019-11-12, leptomeningeal enhancement persisting."
    ) in switch.detail
    assert "good" not in switch.detail


def test_assessments_that_each_show_a_response_or_no_disease_are_good() -> None:
    switch = _item(_evaluate("brain-metastases-switch-80-good-assessments"), "osimertinib-80")
    assert (
        "The latest assessments on gefitinib are good (neurological exam improved on 2025-04-01, CSF cytology "
        "negative on 2025-04-03 and MRI partial response on 2025-04-02)"
    ) in switch.detail


def test_a_stale_deciding_finding_is_aged_still_decides_and_a_current_one_is_asked_for() -> None:
    result = _evaluate("inadequate-response-stale-cytology")
    add = _item(result, "it-pemetrexed")
    assert add.action == "add"
    assert (
        "CSF cytology positive on 2025-10-01, day 42 of osimertinib 160 mg, 182 days before the evaluation date — "
        "a later neurological exam, on 2026-03-20, found the symptoms improved; a later MRI, on 2026-03-28, shows "
        "a complete response; a current CSF cytology is needed to judge the response."
    ) in add.detail
    platinum = _item(_evaluate("progression-on-combination-stale-mri"), "platinum-pemetrexed")
    assert "MRI progression on 2025-11-03, day 95 of osimertinib 160 mg with intrathecal pemetrexed, 120 days" in (
        platinum.detail
    )
    assert "a later CSF cytology, on 2026-02-20, is negative" in platinum.detail
    assert "a current MRI is needed to judge the response" in platinum.detail


def test_an_unknown_egfr_status_is_to_be_tested() -> None:
    rule = next(r for r in lmtx.knowledge_base().rules if r.id == "scope-egfr-unknown")
    assert "the document's algorithm needs the EGFR status" in rule.description
    assert "test for an EGFR mutation" in rule.description
    text = lmtx.explanation({"histology": "adenocarcinoma", "brain_metastases": True}).to_text(width=1000)
    assert "EGFR status unknown: the document's algorithm needs the EGFR status; test for an EGFR mutation." in text

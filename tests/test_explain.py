"""Explanations: explain() and why_not(), read off the rule descriptions and one evaluation's facts."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lmtx
from lmtx import strategies as lst
from lmtx._facts import BASE_FACT_ORDER, base_facts
from lmtx.catalogue import CATALOGUE
from lmtx.dsl import Match
from lmtx.explain import ConditionCheck, RuleCheck
from lmtx.explain._conditions import search as _search
from lmtx.explain._origins import INPUT_FIELDS as _INPUT_FIELDS
from lmtx.explain._origins import INPUT_LISTS as _INPUT_LISTS
from lmtx.explain._origins import evaluation as _evaluation
from lmtx.knowledge import knowledge_base
from tests.scenarios import load_scenarios
from tests.test_batch import population
from tests.test_explain_words import escaped

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE: dict[str, Any] = json.loads((ROOT / "lmtx" / "examples" / "inadequate-response.json").read_text())
SCENARIOS = load_scenarios()


def _on_80_mg() -> dict[str, Any]:
    """The example patient, but on osimertinib 80 mg: initial phase, no intrathecal pemetrexed."""
    patient = copy.deepcopy(EXAMPLE)
    patient["therapies"][0]["dose_mg"] = 80
    return patient


def _walk(checks: tuple[RuleCheck, ...]) -> list[tuple[RuleCheck, ConditionCheck]]:
    found = []
    for check in checks:
        for condition in check.conditions:
            found.append((check, condition))
            found += _walk(condition.derivable_by)
    return found


# --- the checker reads the rules as the engine does ------------------------------------------


def _records() -> list[tuple[Any, Any, Any]]:
    scenarios = [(s["patient"], s["as_of"], s.get("policy")) for s in SCENARIOS.values()]
    return scenarios + [(p, None, None) for p in population(250, seed=41)] + [(EXAMPLE, None, None)]


def test_the_checker_agrees_with_the_engine_on_every_rule() -> None:
    """For every rule and record: all conditions met on the final facts <=> the engine fired the rule."""
    rules = [info.rule for info in knowledge_base().rules]
    disagreements = []
    fired_somewhere: set[str] = set()
    for patient, as_of, policy in _records():
        _, facts = _evaluation(patient, as_of, policy)
        fired_somewhere |= facts.fired
        for rule in rules:
            satisfied = all(slot.status == "met" for slot in _search(rule, facts))
            if satisfied != (rule.id in facts.fired):
                disagreements.append((patient.get("id"), rule.id, satisfied))
    assert disagreements == []
    assert len(fired_somewhere) > 0.8 * len(rules)  # the records exercise most of the rule base


@given(lst.evaluation_cases(), st.sampled_from(sorted(CATALOGUE)))
def test_the_checker_agrees_with_the_engine_on_generated_records(case: lst.EvaluationCase, code: str) -> None:
    result, facts = _evaluation(case.patient, case.as_of, None)
    for info in knowledge_base().rules:
        satisfied = all(slot.status == "met" for slot in _search(info.rule, facts))
        assert satisfied == (info.id in facts.fired), info.id
    answer = lmtx.why_not(case.patient, code, as_of=case.as_of)
    assert answer.present == (code in result.codes)
    for check in answer.rules:
        assert check.expanded
        assert check.fired == all(c.status == "met" for c in check.conditions)
    explained = lmtx.explanation(case.patient, as_of=case.as_of)
    assert [e.item for e in explained.recommendations] == list(result.recommendations)


def test_every_base_fact_field_maps_to_an_input_field() -> None:
    patient, _ = lmtx.parse_patient(SCENARIOS["beyond-document"]["patient"])
    rich = [*base_facts(patient, lmtx.DEFAULT_POLICY), *base_facts(lmtx.parse_patient(EXAMPLE)[0], lmtx.DEFAULT_POLICY)]
    seen = {fact["t"] for fact in rich}
    assert seen <= set(BASE_FACT_ORDER)
    for fact in rich:
        unmapped = set(fact) - {"t"} - set(_INPUT_FIELDS[fact["t"]])
        assert unmapped == set(), (fact["t"], unmapped)
    # The readings of the whole record (toxicity links, tolerance) come from several input lists at once.
    assert set(_INPUT_LISTS) | {"patient", "policy", "ps", "link", "tolerance"} == set(BASE_FACT_ORDER)
    assert set(_INPUT_LISTS.values()) <= {f.name for f in attrs.fields(lmtx.Patient)}


# --- why_not ----------------------------------------------------------------------------------


def _unmet(answer: lmtx.WhyNot) -> list[ConditionCheck]:
    return [c for _, c in _walk(answer.rules) if c.status == "unmet"]


def test_why_not_follows_derived_facts_down_to_the_input_that_would_change_it() -> None:
    answer = lmtx.why_not(_on_80_mg(), "it-pemetrexed")
    assert not answer.present
    assert answer.item is None
    assert [r.rule for r in answer.rules] == [r.id for r in knowledge_base().rules_emitting("it-pemetrexed")]
    assert not any(r.fired for r in answer.rules)
    # The emitting rules wait for a phase; the patient is in another one, derived by a rule that fired.
    phases = [c for r in answer.rules for c in r.unmet if c.condition.startswith("a phase")]
    assert phases
    assert all(c.near_misses[0].fact.fact == "phase(value=initial)" for c in phases)
    assert all(c.near_misses[0].fact.derived_by in {t.rule for t in lmtx.evaluate(_on_80_mg()).trace} for c in phases)
    assert "value == inadequate-response (is initial)" in phases[0].near_misses[0].failed
    assert phases[0].derivable_by
    # Down the deriving rules: the dose of the osimertinib regimen in the input.
    dose = [c for c in _unmet(answer) if "therapies[0].dose_mg" in c.inputs]
    assert dose
    assert dose[0].near_misses[0].failed == ("once_daily_mg >= 160 (is 80)",)
    assert dose[0].near_misses[0].fact.inputs == ("therapies[0]",)
    # Following the hint gives the code.
    assert lmtx.evaluate(EXAMPLE).recommendation("it-pemetrexed") is not None


def test_why_not_a_code_the_patient_has() -> None:
    answer = lmtx.why_not(_on_80_mg(), "osimertinib-160")
    assert answer.present
    assert answer.item is not None
    assert answer.item.action == "increase"
    fired = [r for r in answer.rules if r.fired]
    assert [r.rule for r in fired] == [answer.item.rule]
    assert all(c.status == "met" for c in fired[0].conditions)
    matched = [c.matched for c in fired[0].conditions if c.matched is not None and c.matched.type == "therapy"]
    assert [m.inputs for m in matched] == [("therapies[0]",)]
    assert "after all" in answer.to_text()


def test_an_unmet_negation_names_the_records_in_the_way() -> None:
    answer = lmtx.why_not(_on_80_mg(), "osimertinib-160")
    blocked = [c for c in _unmet(answer) if c.condition.startswith("no therapy") and c.blocking]
    assert blocked
    for condition in blocked:
        assert [b.inputs for b in condition.blocking] == [("therapies[0]",)]
        assert condition.inputs
        assert all(path.startswith("therapies[0].") for path in condition.inputs)


def _bindings_of_unmet_matches(check: RuleCheck) -> set[str]:
    rule = knowledge_base().rule(check.rule).rule
    return {
        condition.binding
        for condition, result in zip(rule.when, check.conditions, strict=True)
        if isinstance(condition, Match) and result.status != "met"
    }


def test_unchecked_conditions_depend_on_unmatched_names() -> None:
    unchecked = 0
    for code in ("it-pemetrexed", "platinum-pemetrexed", "osimertinib-80", "guideline-exhausted", "lm-workup"):
        for check, condition in _walk(lmtx.why_not(_on_80_mg(), code).rules):
            if condition.status == "unchecked":
                unchecked += 1
                assert condition.depends_on
                assert set(condition.depends_on) <= _bindings_of_unmet_matches(check)
    assert unchecked > 0


def test_missing_records_point_to_the_input_list() -> None:
    answer = lmtx.why_not(EXAMPLE, "dose-modification")
    grades = [c for c in _unmet(answer) if "toxicities[0].grade" in c.inputs]
    assert grades
    assert grades[0].inputs == ("toxicities[0].grade", "toxicities")
    no_ps = dict(EXAMPLE)
    del no_ps["performance_status"]
    answer = lmtx.why_not(no_ps, "performance-status-prognostic")
    ps = [c for c in _unmet(answer) if c.condition.startswith("a ps")]
    assert ps
    assert ps[0].inputs == ("performance_status",)
    assert ps[0].near_misses == ()


def test_a_threshold_from_the_policy_is_named_as_an_input() -> None:
    scenario = SCENARIOS["policy-poor-ps-ecog-2"]  # KPS 60, that is ECOG 2
    answer = lmtx.why_not(scenario["patient"], "prefer-intrathecal", as_of=scenario["as_of"])
    assert not answer.present
    poor = [c for c in _unmet(answer) if "policy.poor_ps_ecog" in c.inputs]
    assert poor
    assert any("policy.poor_ps_ecog = 3 (is 2)" in failed for m in poor[0].near_misses for failed in m.failed)
    matched = [c.matched for _, c in _walk(answer.rules) if c.matched is not None and c.matched.type == "policy"]
    assert matched
    assert all(m.inputs == ("policy.poor_ps_ecog",) for m in matched)
    # Following the hint gives the code.
    assert lmtx.why_not(
        scenario["patient"], "prefer-intrathecal", as_of=scenario["as_of"], policy={"poor_ps_ecog": 2}
    ).present


def test_depth_limits_the_recursion() -> None:
    shallow = lmtx.why_not(_on_80_mg(), "it-pemetrexed", depth=0)
    (phase,) = shallow.rules[0].unmet
    assert phase.derivable_by
    assert all(not check.expanded and check.conditions == () for check in phase.derivable_by)
    deep = lmtx.why_not(_on_80_mg(), "it-pemetrexed", depth=5)
    assert len(_walk(deep.rules)) > len(_walk(shallow.rules))


def test_why_not_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown output code"):
        lmtx.why_not(EXAMPLE, "phase-initial")
    with pytest.raises(ValueError, match="depth"):
        lmtx.why_not(EXAMPLE, "it-pemetrexed", depth=-1)
    with pytest.raises(ValueError, match="detail must be one of clinical, engine"):
        lmtx.why_not(EXAMPLE, "it-pemetrexed", detail="rules")  # type: ignore[arg-type]
    with pytest.raises(lmtx.InvalidPatient):
        lmtx.why_not({"histology": "adenocarcinoma", "egfr": "mutant"}, "it-pemetrexed")


def test_why_not_answers_are_json_and_text() -> None:
    answer = lmtx.why_not(_on_80_mg(), "platinum-pemetrexed")
    data = answer.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["code"] == "platinum-pemetrexed"
    assert data["as_of"] == "2026-03-03"
    assert data["detail"] == "clinical"
    assert {"rules", "not_met", "events"} <= set(data)  # both accounts, whichever the text gives
    assert answer.to_text().startswith("Why not recommendation platinum-pemetrexed? Patient example-inadequate-res")
    text = answer.to_text(detail="engine")
    assert text == lmtx.why_not(_on_80_mg(), "platinum-pemetrexed", detail="engine").to_text()
    assert text.startswith("Why not recommendation platinum-pemetrexed? Patient example-inadequate-response")
    assert "Unmet: " in text
    assert "see above" in text or "as above" in text  # a rule or condition reached twice is explained once
    assert "What would change it: a new regimen at another dose in place of therapies[0]" in " ".join(text.split())


# --- explain ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_item_is_explained_by_the_rule_that_produced_it(name: str) -> None:
    scenario = SCENARIOS[name]
    explanation = lmtx.explanation(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
    result = explanation.result
    assert result == lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
    explained = [*explanation.recommendations, *explanation.alerts, *explanation.prognosis]
    assert [e.item for e in explained] == [*result.recommendations, *result.alerts, *result.prognosis]
    traces = {(t.rule, t.matched) for t in result.trace}
    for item in explained:
        assert item.because.rule == item.item.rule
        assert (item.because.rule, tuple(f.fact for f in item.because.matched)) in traces
        cited = [s.id for s in item.statements]
        evidence = getattr(item.item, "evidence", ())
        assert cited == [*item.item.statements, *evidence]
        assert all(s.gist for s in item.statements)
    assert [r.rule for r in explanation.lm_status]
    assert explanation.applicability
    assert (explanation.phase is None) == (result.phase is None)


def test_matched_input_facts_point_into_the_record() -> None:
    explanation = lmtx.explanation(EXAMPLE)
    assert ("csf_cytology[1]",) in [f.inputs for f in explanation.lm_status[0].matched]
    rash = explanation.alerts[0]
    assert rash.item.code == "toxicity-skin-rash"
    assert rash.because.matched[0].inputs == ("toxicities[0]",)
    assert explanation.phase is not None
    fired = {t.rule for t in explanation.result.trace}
    assert explanation.phase.matched
    assert all(f.derived_by in fired and not f.inputs for f in explanation.phase.matched)


def test_the_report_reads_like_the_result() -> None:
    explanation = lmtx.explanation(EXAMPLE)
    text = explanation.to_text()
    assert text.startswith("Patient example-inadequate-response, evaluated as of 2026-03-03\n")
    for heading in ("STATUS", "RECOMMENDATIONS", "ALERTS - INFO", "PROGNOSIS"):
        assert f"\n{heading}\n" in text
    assert "ALERTS - CRITICAL" not in text
    for item in [*explanation.result.recommendations, *explanation.result.alerts, *explanation.result.prognosis]:
        assert item.code in text
        assert re.search(rf"\(rule\s+{re.escape(item.rule)}[;)]", text), item.rule
    assert "S07 When the response is inadequate" in text
    assert "dose: 30-50 mg intrathecal" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    data = explanation.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["recommendations"][1]["because"]["rule"] == "add-intrathecal-pemetrexed"
    assert data["because"]["phase"]["rule"] == "phase-inadequate-response"
    assert {k: v for k, v in data.items() if k != "because"} | {
        key: [{k: v for k, v in i.items() if k not in ("because", "cited")} for i in data[key]]
        for key in ("recommendations", "alerts", "prognosis")
    } == explanation.result.to_dict()


def test_a_not_applicable_patient_is_explained_too() -> None:
    explanation = lmtx.explanation({"histology": "sclc", "egfr": {"status": "wild_type"}})
    assert explanation.phase is None
    assert {r.rule for r in explanation.applicability} == {
        "scope-not-nsclc",
        "scope-egfr-wild-type",
        "scope-no-cns-involvement",
    }
    text = explanation.to_text()
    assert (
        "Applicable: no: the histology is not NSCLC; the tumour is EGFR wild-type; no LM, established or "
        "suspected, and no brain metastases" in " ".join(text.split())
    )
    for heading in ("RECOMMENDATIONS", "ALERTS", "PROGNOSIS"):
        assert f"\n{heading}\n  none\n" in text
    assert "Patient (no id), evaluated as of no date in the record" in text


# --- the text form, as a clinician reads it ---------------------------------------------------

ENGINE_WORDS = re.compile(
    r"\b(verdict|phase|regimen|lm|latest_\w+|therapy|cytology)\(|\[NOT MET\]|rule\(s\)|\ba applicable\b"
    # Engine bookkeeping and day ordinals, and proposals to edit a recorded entry (rev. 2026-12-06).
    r"|\bseq\b|\bprev\b|on no date|\b7\d{5}\b|change \w+\[\d+\]|\bonce_daily_mg\b|\brun_start\b"
)


def _stale_exam() -> dict[str, Any]:
    """On osimertinib 160 mg since July; the only neurological exam, 8 months old, found persistent symptoms."""
    return {
        "id": "stale-exam",
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant"},
        "neuro_exams": [{"date": "2025-08-01", "symptoms": "persistent"}],
        "csf_cytology": [
            {"date": "2025-06-20", "result": "positive"},
            {"date": "2026-03-03", "result": "negative"},
        ],
        "mri": [{"date": "2026-03-03", "leptomeningeal_enhancement": True, "response": "stable"}],
        "therapies": [{"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2025-07-01"}],
    }


def test_the_phase_is_stated_with_its_deciding_findings_and_their_age() -> None:
    explanation = lmtx.explanation(_stale_exam())
    assert explanation.result.phase == "inadequate-response"
    text = explanation.to_text()
    phase = text.split("  Phase: ", 1)[1].split("\n\n", 1)[0]
    assert "neurological exam 2025-08-01: persistent symptoms — 214 days before the evaluation date" in phase
    assert "osimertinib 160 mg, active since 2025-07-01 — 245 days before the evaluation date" in phase
    assert ENGINE_WORDS.search(text) is None, ENGINE_WORDS.search(text)
    assert explanation.phase is not None
    exam = next(f for f in explanation.phase.findings if f.input == "neuro_exams[0]")
    assert (exam.date, exam.days_before) == (dt.date(2025, 8, 1), 214)
    # The JSON form keeps the engine's detail.
    data = explanation.to_dict()
    assert any(m["fact"].startswith("verdict(") for m in data["because"]["phase"]["matched"])
    assert "response-osimertinib-neuro-failing" in data["because"]["phase"]["chain"]
    assert {"input": "neuro_exams[0]", "text": "neurological exam 2025-08-01: persistent symptoms",
            "date": "2025-08-01", "days_before": 214} in data["because"]["phase"]["findings"]  # fmt: skip


def test_every_failing_assessment_is_a_deciding_finding() -> None:
    explanation = lmtx.explanation(EXAMPLE)  # persistent symptoms and a positive cytology, both since the start
    assert explanation.phase is not None
    assert {f.input for f in explanation.phase.findings} >= {"neuro_exams[1]", "csf_cytology[1]", "therapies[0]"}


def _workup_gap() -> dict[str, Any]:
    return {
        "id": "workup",
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant"},
        "neuro_exams": [{"date": "2025-12-01", "symptoms": "none"}, {"date": "2026-03-01", "symptoms": "new"}],
        "mri": [{"date": "2026-03-05", "leptomeningeal_enhancement": False}],
        "therapies": [{"agent": "osimertinib", "dose_mg": 80, "status": "active", "start": "2025-06-01"}],
    }


def test_why_not_lm_workup_says_what_to_do() -> None:
    answer = lmtx.why_not(_workup_gap(), "lm-workup")
    assert answer.present
    assert answer.because is not None
    assert answer.because.rule == "lm-workup"
    text = answer.to_text()
    assert "a CSF cytology dated on or after 2026-03-01" in " ".join(text.split("Not in the record: ", 1)[1].split())
    assert "MRI 2026-03-05: no leptomeningeal enhancement — 0 days" not in text
    assert "MRI 2026-03-05: no leptomeningeal enhancement — on the evaluation date" in text
    assert "mri[0].date" not in text
    assert ENGINE_WORDS.search(text) is None


def test_the_engine_account_reads_as_short_sentences_unmet_condition_first() -> None:
    text = lmtx.why_not(EXAMPLE, "platinum-pemetrexed", detail="engine").to_text()
    assert ENGINE_WORDS.search(text) is None, ENGINE_WORDS.search(text)
    # Rev. 2026-12-07 added ways to the later stages (a regimen below a tolerance limit, a withhold, a
    # course stopped for progression): the engine-level account grew; the clinician's answer is shorter.
    assert len(text.splitlines()) < 100
    lines = [line.strip() for line in text.splitlines()]
    assert lines[1] == "The patient did not get platinum-pemetrexed."
    assert lines[2] == "One rule can give it:"
    assert "Unmet: it needs the phase: progression on osimertinib with intrathecal pemetrexed." in lines
    flat = " ".join(text.split())
    # The stage needs intrathecal pemetrexed given on the 160 mg regimen (begun 2026-01-12); the
    # record has none, and the answer says so in words, down to the record change that would alter it.
    assert "Unmet: the first intrathecal pemetrexed course on the osimertinib run is missing." in flat
    assert "Unmet: it needs intrathecal pemetrexed given, begun on or after 2026-01-12, still running." in flat
    assert "a therapy started (or restarted) that meets it." in flat


def test_the_engine_account_names_the_field_that_would_change_it() -> None:
    text = lmtx.why_not(_on_80_mg(), "it-pemetrexed", detail="engine").to_text()
    flat = " ".join(text.split())
    assert (
        "Closest: osimertinib 80 mg oral, active since 2026-01-12 (therapies[0]), which would need "
        "at 160 mg once daily or more. What would change it: a new regimen at another dose in place of "
        "therapies[0]; or a therapy started (or restarted) that meets it." in flat
    )
    assert ENGINE_WORDS.search(text) is None


def _without_user_words(text: str, patient_id: str | None, names: Iterable[str] = ()) -> str:
    """The text with the record's own words left out: its id in the heading and its drug names.

    Both are the user's text, shown as given (characters that are not printable escaped): a
    generated id such as ``700000`` looks like an engine day ordinal, and a generated drug name
    may be any word.
    """
    if patient_id:
        text = text.replace(f"Patient {escaped(patient_id)}", "Patient <id>")
    for name in names:
        text = text.replace(f"'{escaped(name)}'", "'<name>'")
    return text


def _names(patient: Any) -> list[str]:
    therapies = patient.get("therapies", []) if isinstance(patient, dict) else patient.therapies
    named = [t.get("name") if isinstance(t, dict) else t.name for t in therapies]
    return sorted({n for n in named if n}, key=len, reverse=True)


@given(lst.evaluation_cases(), st.sampled_from(sorted(CATALOGUE)))
def test_the_text_forms_never_show_engine_facts(case: lst.EvaluationCase, code: str) -> None:
    explanation = lmtx.explanation(case.patient, as_of=case.as_of)
    patient_id, names = explanation.result.patient_id, _names(case.patient)
    assert ENGINE_WORDS.search(_without_user_words(explanation.to_text(), patient_id, names)) is None
    answer = lmtx.why_not(case.patient, code, as_of=case.as_of)
    for text in (answer.to_text(), answer.to_text(detail="engine")):
        assert ENGINE_WORDS.search(_without_user_words(text, patient_id, names)) is None


def test_a_record_id_that_looks_like_an_engine_term_is_not_taken_for_one() -> None:
    patient = {"id": "700000", "histology": "adenocarcinoma", "egfr": {"status": "mutant"}}
    text = lmtx.explanation(patient).to_text()
    assert text.startswith("Patient 700000, evaluated")  # shown as given
    assert ENGINE_WORDS.search(text) is not None  # which the property above must not count
    assert ENGINE_WORDS.search(_without_user_words(text, "700000")) is None


def test_words_for_facts_and_tests_no_rule_has_yet() -> None:
    """A fact type or field added by a future rule is still worded, from its own name."""
    from lmtx.dsl import Test, match, ref
    from lmtx.explain._fact_words import fact_words
    from lmtx.explain._words import condition_words, noun

    assert noun("prior_regimen") == "a prior regimen"
    assert noun("osimertinib_stop") == "an osimertinib stop"
    day = dt.date(2026, 3, 1).toordinal()
    assert fact_words({"t": "prior_regimen", "agent": "osimertinib", "start": day, "stopped": True}) == (
        "prior regimen (osimertinib, from 2026-03-01, stopped)"
    )
    condition = match("stop", "osimertinib_stop", Test("start", ">=", ref("onset", "date")))
    bound = {"onset": {"t": "symptom_onset", "date": day}}
    assert condition_words(condition, bound) == "an osimertinib stop begun on or after 2026-03-01"
    assert condition_words(condition, {}) == "an osimertinib stop begun on or after the date of the onset"


def test_the_text_gives_alert_details_and_the_adverse_effect_terms() -> None:
    """What decided an alert, and the effects to watch as codes, are in the readable form too."""
    scenario = json.loads(
        (Path(__file__).parent / "scenarios" / "restart-after-osimertinib-stopped-twice.json").read_text()
    )
    explained = lmtx.explanation(scenario["patient"], as_of=scenario["as_of"])
    text = " ".join(explained.to_text().split())
    stopped = explained.result.alert("prior-osimertinib-stopped")
    assert stopped is not None
    assert stopped.detail
    assert " ".join(stopped.detail.split()) in text
    terms = ", ".join(explained.result.adverse_effects)
    assert terms
    assert f"adverse effects to watch: {terms.replace('_', ' ')}" in text

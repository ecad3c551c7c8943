"""Property-based tests: lmtx's invariants over generated patients (docs/input-format.md to docs/embedding.md).

Each invariant has a name (the test, or the ``check_*`` function a themed test
runs) and holds for every patient :mod:`lmtx.strategies` generates. The
profile sets the number of examples: ``ci`` (default) for every run,
``thorough`` for at least 10,000 examples per property::

    HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py

The oracle (:mod:`tests.oracle`) is an independent reading of docs/interpretation.md that
imports nothing from lmtx; ``tests/witnesses/`` lists a patient that fires
each rule, and patients that once broke an invariant.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import lmtx
from lmtx import _codec
from lmtx import strategies as lst
from lmtx._evaluate import infer
from tests.oracle import ADVERSE_EFFECT_STATEMENTS, decide
from tests.scenarios import fired_rules, load_scenarios
from tests.vocabulary import (
    ALERTS,
    LM_STATUSES,
    MONITORING_SET,
    PHASES,
    PROGNOSIS,
    REASONS,
    RECOMMENDATIONS,
    SEVERITIES,
)

WITNESS_DIR = Path(__file__).parent / "witnesses"
WITNESSES: list[dict[str, Any]] = json.loads((WITNESS_DIR / "rules.json").read_text())
REGRESSIONS: list[dict[str, Any]] = json.loads((WITNESS_DIR / "regressions.json").read_text())
SCENARIOS = load_scenarios()

LISTS = ("neuro_exams", "csf_cytology", "mri", "therapies", "toxicities")
KPS_TO_ECOG = {100: 0, 90: 0, 80: 1, 70: 1, 60: 2, 50: 2, 40: 3, 30: 3, 20: 4, 10: 4}

cases = lst.evaluation_cases()
policies = st.integers(1, 4)


def evaluate(case: lst.EvaluationCase, poor_ps_ecog: int = 3) -> lmtx.Result:
    return lmtx.evaluate(case.patient, as_of=case.as_of, policy={"poor_ps_ecog": poor_ps_ecog})


def copy(wire: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(wire))
    return copied


def active(wire: dict[str, Any], agent: str, route: str | None = None) -> list[dict[str, Any]]:
    return [
        t
        for t in wire.get("therapies", [])
        if t["agent"] == agent and t["status"] == "active" and (route is None or t.get("route") == route)
    ]


def ecog(performance_status: dict[str, Any]) -> int:
    score: int = performance_status["score"]
    return score if performance_status["scale"] == "ecog" else KPS_TO_ECOG[score]


# --- Totality ------------------------------------------------------------------------------


@given(cases, policies)
def test_every_valid_patient_gets_a_result(case: lst.EvaluationCase, poor_ps_ecog: int) -> None:
    result = evaluate(case, poor_ps_ecog)
    assert isinstance(result, lmtx.Result)
    assert result.patient_id == case.patient.get("id")
    if case.as_of is not None:
        assert result.as_of == case.as_of


@given(lst.invalid_cases())
# An unknown key "" at the top level was reported at the empty path ""; it is now quoted.
@example(lst.InvalidCase({"histology": "sclc", "": 1}, None, '$[""]', "unknown key ''", "unknown-key"))
def test_invalid_input_raises_only_invalid_patient_with_its_path(case: lst.InvalidCase) -> None:
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate(case.payload, as_of=case.as_of)  # type: ignore[arg-type]
    paths = [problem.path for problem in raised.value.problems]
    assert all(paths), raised.value
    assert any(p == case.path or p.startswith((case.path + ".", case.path + "[")) for p in paths), (
        case.mutation,
        case.path,
        str(raised.value),
    )
    assert isinstance(raised.value, ValueError)


@given(lst.invalid_cases())
def test_invalid_input_as_json_text_raises_only_invalid_patient(case: lst.InvalidCase) -> None:
    text = case.payload if isinstance(case.payload, str | bytes) else json.dumps(case.payload)
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate(text, as_of=case.as_of)
    assert all(problem.path for problem in raised.value.problems)


@given(
    cases,
    st.one_of(
        st.sampled_from(["", "2026-02-30", "2026-1-1", "01/02/2026", "2026-01-01T00:00:00", "now"]),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.datetimes(),
    ),
)
def test_an_invalid_evaluation_date_is_reported_at_as_of(case: lst.EvaluationCase, as_of: object) -> None:
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate(case.patient, as_of=as_of)  # type: ignore[arg-type]
    assert [p.path for p in raised.value.problems] == ["as_of"]


@given(
    cases,
    st.one_of(
        st.fixed_dictionaries(
            {"poor_ps_ecog": st.one_of(st.integers().filter(lambda n: not 1 <= n <= 4), st.booleans(), st.text())}
        ),
        st.fixed_dictionaries({"poor_ps_ecog": st.integers(1, 4), "unknown": st.integers()}),
    ),
)
def test_an_invalid_policy_is_reported_at_its_field(case: lst.EvaluationCase, policy: dict[str, object]) -> None:
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate(case.patient, as_of=case.as_of, policy=policy)
    assert all(p.path.startswith("policy.") for p in raised.value.problems)


CHILD = """
import json, sys, lmtx
patient = json.loads(sys.argv[1])
try:
    print("result", lmtx.evaluate(patient).phase)
except lmtx.InvalidPatient as error:
    print("invalid", [p.path for p in error.problems])
"""


@pytest.mark.parametrize("dose_mg", [1e-05, 1e-300, 1e16, 1e308])
def test_doses_that_json_writes_with_an_exponent_are_total(dose_mg: float) -> None:
    # durable-rules mis-parses numbers such as 1e-05 or 1e+16: the evaluation raised
    # EvaluationError or aborted the whole process. A child process keeps a crash from
    # taking the test session with it.
    patient = {
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant"},
        "csf_cytology": [{"date": "2026-01-05", "result": "positive"}],
        "therapies": [{"agent": "osimertinib", "status": "active", "start": "2026-01-01", "dose_mg": dose_mg}],
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(patient)], capture_output=True, text=True, check=False, timeout=120
    )
    assert child.returncode == 0, child.stderr[-2000:]
    expected_phase = "osimertinib-monotherapy" if dose_mg >= 160 else "initial"
    assert child.stdout.split()[0] == "invalid" or child.stdout.split() == ["result", expected_phase]


# --- Determinism and order independence ---------------------------------------------------


@given(cases)
def test_the_same_input_gives_the_same_output_json(case: lst.EvaluationCase) -> None:
    assert evaluate(case).to_json() == evaluate(case).to_json()


@given(st.data())
def test_permuting_input_lists_and_keys_does_not_change_the_output(data: st.DataObject) -> None:
    case = data.draw(cases)
    shuffled = copy(case.patient)
    for key in LISTS:
        if key in shuffled:
            shuffled[key] = data.draw(st.permutations(shuffled[key]), label=key)
    if "variants" in shuffled.get("egfr", {}):
        shuffled["egfr"]["variants"] = data.draw(st.permutations(shuffled["egfr"]["variants"]))
    if data.draw(st.booleans(), label="reverse keys"):
        shuffled = dict(reversed(shuffled.items()))
    assert evaluate(lst.EvaluationCase(shuffled, case.as_of)).to_json() == evaluate(case).to_json()


# --- Round trips ----------------------------------------------------------------------------


@given(lst.patients())
def test_patient_to_wire_to_patient_is_identity(patient: lmtx.Patient) -> None:
    wire = _codec.unstructure_patient(patient)
    assert json.loads(json.dumps(wire)) == wire
    assert lmtx.parse_patient(wire)[0] == patient


@given(cases)
def test_wire_to_patient_to_wire_is_stable(case: lst.EvaluationCase) -> None:
    patient, as_of = lmtx.parse_patient(case.patient, case.as_of)
    wire = _codec.unstructure_patient(patient)
    assert lmtx.parse_patient(wire, as_of) == (patient, as_of)
    assert evaluate(lst.EvaluationCase(wire, as_of)).to_json() == evaluate(case).to_json()


@given(lst.evaluation_cases(typed=True))
def test_typed_and_wire_input_give_the_same_result(case: lst.EvaluationCase) -> None:
    from_typed = lmtx.evaluate(case.patient, as_of=case.as_of)
    wire = _codec.unstructure_patient(case.patient)
    assert from_typed.to_json() == lmtx.evaluate(wire, as_of=case.as_of).to_json()


@given(cases)
def test_result_to_wire_to_result_is_identity(case: lst.EvaluationCase) -> None:
    result = evaluate(case)
    wire = result.to_dict()
    assert lmtx.Result.from_dict(wire) == result
    assert lmtx.Result.from_json(result.to_json()) == result
    assert lmtx.Result.from_dict(json.loads(result.to_json())).to_dict() == wire


# --- Safety bounds ---------------------------------------------------------------------------


def check_osimertinib_at_80_or_160_never_both(case: lst.EvaluationCase, result: lmtx.Result) -> None:
    osimertinib = [r for r in result.recommendations if r.code.startswith("osimertinib")]
    assert len(osimertinib) <= 1
    for item in osimertinib:
        assert item.code in ("osimertinib-80", "osimertinib-160", "osimertinib-tolerated")
        assert item.dose is not None
        assert item.dose.route == "oral"
        if item.code != "osimertinib-tolerated":
            assert item.dose.mg == int(item.code.removeprefix("osimertinib-"))
        elif item.action == "continue":
            # The dose given now, per administration (docs/interpretation.md#tolerable-dose).
            given = active(case.patient, "osimertinib")
            assert [item.dose.mg] == [t["dose_mg"] for t in given]
        else:
            assert item.dose.mg is None  # resume and review: giving it again, and at what dose, is the team's


def check_intrathecal_pemetrexed_dose_within_30_to_50_mg(case: lst.EvaluationCase, result: lmtx.Result) -> None:
    item = result.recommendation("it-pemetrexed")
    if item is not None and item.action == "hold":
        assert (item.dose, item.evidence) == (None, ())  # the team decides the next administration
    elif item is not None:
        assert item.dose is not None
        assert item.dose.route == "intrathecal"
        for mg in (item.dose.mg, item.dose.mg_min, item.dose.mg_max):
            assert mg is None or 30 <= mg <= 50
        assert item.dose.mg is not None or (item.dose.mg_min is not None and item.dose.mg_max is not None)


def check_it_pemetrexed_only_with_inadequate_response_or_ongoing_combination(
    case: lst.EvaluationCase, result: lmtx.Result
) -> None:
    item = result.recommendation("it-pemetrexed")
    if item is None:
        return
    # On an osimertinib regimen: given now, or withheld after a stop (docs/interpretation.md#tolerable-dose).
    assert [t for t in case.patient.get("therapies", []) if t["agent"] == "osimertinib" and t["status"] != "planned"]
    intrathecal = active(case.patient, "pemetrexed", "intrathecal")
    assert result.lm_status in ("confirmed", "probable")
    given_intrathecal = [
        t
        for t in case.patient.get("therapies", [])
        if t["agent"] == "pemetrexed" and t.get("route") == "intrathecal" and t["status"] != "planned"
    ]
    if item.action == "add":
        # After inadequate response to osimertinib alone, or on progression on platinum when the
        # intrathecal step was never used on the osimertinib run (docs/interpretation.md#combination).
        assert result.phase in ("inadequate-response", "beyond-document")
        assert not intrathecal
    elif item.action == "continue":
        # The combination continues between courses too, never after a latest course stopped or held.
        assert result.phase == "combination"
        assert given_intrathecal
    else:
        # A hold: on the combination or in the platinum stage, with intrathecal pemetrexed given.
        assert (item.action, result.phase in ("combination", "beyond-document")) == ("hold", True)
        assert given_intrathecal
        assert item.dose is None


def check_platinum_pemetrexed_only_after_progression_on_combination(
    case: lst.EvaluationCase, result: lmtx.Result
) -> None:
    if result.recommendation("platinum-pemetrexed") is None:
        return
    assert result.phase == "progression-on-combination"
    assert [t for t in case.patient.get("therapies", []) if t["agent"] == "osimertinib" and t["status"] != "planned"]
    assert [
        t
        for t in case.patient.get("therapies", [])
        if t["agent"] == "pemetrexed" and t.get("route") == "intrathecal" and t["status"] != "planned"
    ]
    assert not active(case.patient, "carboplatin") + active(case.patient, "cisplatin")


def check_prefer_intrathecal_only_with_poor_performance_status(
    case: lst.EvaluationCase, result: lmtx.Result, poor_ps_ecog: int
) -> None:
    if result.recommendation("prefer-intrathecal") is not None:
        assert "performance_status" in case.patient
        ps = case.patient["performance_status"]
        # A history decides by its latest assessment (docs/interpretation.md#policy).
        latest = max(ps, key=lambda a: a["date"]) if isinstance(ps, list) else ps
        assert ecog(latest) >= poor_ps_ecog
        assert result.phase == "progression-on-combination"


def check_no_treatment_when_not_applicable(case: lst.EvaluationCase, result: lmtx.Result) -> None:
    if not result.applicable:
        assert result.phase is None
        assert result.not_applicable_reasons
        assert not [r for r in result.recommendations if r.kind == "treatment"]
    else:
        assert result.phase in PHASES
        assert not result.not_applicable_reasons


def check_monitoring_exactly_when_lm_established_and_applicable(case: lst.EvaluationCase, result: lmtx.Result) -> None:
    established = result.applicable and result.lm_status in ("confirmed", "probable")
    monitoring = {r.code for r in result.recommendations if r.kind == "monitoring"}
    assert monitoring == (MONITORING_SET if established else set())


# Found by CI: a course stopped before the 160 mg regimen began is not the regimen's latest course.
@example(
    lst.EvaluationCase(
        {
            "histology": "adenocarcinoma",
            "egfr": {"status": "mutant"},
            "csf_cytology": [{"date": "1990-01-01", "result": "positive"}],
            "therapies": [
                {"agent": "osimertinib", "status": "active", "dose_mg": 160, "start": "1990-01-15"},
                {
                    "agent": "pemetrexed",
                    "status": "active",
                    "route": "intrathecal",
                    "dose_mg": 1,
                    "start": "1990-01-01",
                },
                {
                    "agent": "pemetrexed",
                    "status": "stopped",
                    "route": "intrathecal",
                    "dose_mg": 1,
                    "start": "1990-01-02",
                    "end": "1990-01-02",
                },
            ],
        },
        None,
    ),
    1,
)
@given(cases, policies)
def test_safety_bounds(case: lst.EvaluationCase, poor_ps_ecog: int) -> None:
    result = evaluate(case, poor_ps_ecog)
    check_osimertinib_at_80_or_160_never_both(case, result)
    check_intrathecal_pemetrexed_dose_within_30_to_50_mg(case, result)
    check_it_pemetrexed_only_with_inadequate_response_or_ongoing_combination(case, result)
    check_platinum_pemetrexed_only_after_progression_on_combination(case, result)
    check_prefer_intrathecal_only_with_poor_performance_status(case, result, poor_ps_ecog)
    check_no_treatment_when_not_applicable(case, result)
    check_monitoring_exactly_when_lm_established_and_applicable(case, result)


# --- Monotonicity ----------------------------------------------------------------------------

PS_FROM_BEST_TO_WORST = [
    *({"scale": "ecog", "score": score} for score in range(5)),
    *({"scale": "kps", "score": score} for score in range(100, 0, -10)),
]


@given(cases, policies)
def test_a_worse_performance_status_never_removes_prefer_intrathecal(
    case: lst.EvaluationCase, poor_ps_ecog: int
) -> None:
    # Every performance status, ordered by the ECOG it maps to: once intrathecal
    # therapy is preferred, it stays preferred for every worse status.
    by_ecog = sorted(PS_FROM_BEST_TO_WORST, key=ecog)
    preferred = []
    without_ps = case.patient.copy()
    without_ps.pop("performance_status", None)
    baseline = evaluate(lst.EvaluationCase(without_ps, case.as_of), poor_ps_ecog)
    for ps in by_ecog:
        patient = {**without_ps, "performance_status": ps}
        result = evaluate(lst.EvaluationCase(patient, case.as_of), poor_ps_ecog)
        preferred.append(result.recommendation("prefer-intrathecal") is not None)
        check_performance_status_changes_only_what_depends_on_it(baseline, result)
    first = preferred.index(True) if True in preferred else len(preferred)
    assert all(preferred[first:]), list(zip(by_ecog, preferred, strict=True))


def check_performance_status_changes_only_what_depends_on_it(without: lmtx.Result, with_ps: lmtx.Result) -> None:
    # docs/interpretation.md#combination, #across-phases: performance status decides prefer-intrathecal and the PS
    # prognosis note or the missing-PS alert, nothing else.
    depends = {"prefer-intrathecal", "performance-status-prognostic", "performance-status-missing"}
    assert (without.lm_status, without.phase, without.applicable) == (
        with_ps.lm_status,
        with_ps.phase,
        with_ps.applicable,
    )
    assert {(r.code, r.action) for r in without.recommendations if r.code not in depends} == {
        (r.code, r.action) for r in with_ps.recommendations if r.code not in depends
    }
    assert {(a.code, a.severity) for a in without.alerts if a.code not in depends} == {
        (a.code, a.severity) for a in with_ps.alerts if a.code not in depends
    }
    if "performance-status-missing" in without.codes:
        assert "performance-status-prognostic" in with_ps.codes
        assert "performance-status-missing" not in with_ps.codes


def advised_osimertinib_mg(result: lmtx.Result) -> float | None:
    """The daily osimertinib dose a result advises: 160 or 80, the dose given a day (continue at the dose
    tolerated), 0 while it is withheld (resume, review), ``None`` without an osimertinib item."""
    for item in result.recommendations:
        if item.code in ("osimertinib-160", "osimertinib-80"):
            return float(item.code.removeprefix("osimertinib-"))
        if item.code == "osimertinib-tolerated":
            if item.dose is None or item.action != "continue":
                return 0.0
            # The dose per administration, once daily or every n days (docs/output-format.md).
            frequency = item.dose.frequency or "once daily"
            every = 1 if frequency == "once daily" else int(frequency.split()[1])
            return float(item.dose.mg or 0) / every
    return None


@given(cases, lst.toxicity_dicts())
def test_adding_a_toxicity_never_raises_the_advised_osimertinib_dose(
    case: lst.EvaluationCase, toxicity: dict[str, Any]
) -> None:
    # docs/interpretation.md#tolerable-dose: a toxicity the team attributes to nothing may make a stop one for
    # toxicity, or hold intrathecal pemetrexed, or keep a dose from being raised; it never raises the advice.
    toxicity.pop("date", None)  # undated: valid for any evaluation date
    before = evaluate(case)
    patient = {**case.patient, "toxicities": [*case.patient.get("toxicities", []), toxicity]}
    after = evaluate(lst.EvaluationCase(patient, case.as_of))
    dose_before, dose_after = advised_osimertinib_mg(before), advised_osimertinib_mg(after)
    assert (dose_before is None) == (dose_after is None)
    if dose_before is not None and dose_after is not None:
        # Keeping the dose given now is no raise (osimertinib 321 mg every 2 days is 160.5 mg a day, yet
        # below the 160 mg once-daily regimen that "increase" advised).
        given = [float(t["dose_mg"]) / int(t.get("interval_days") or 1) for t in active(case.patient, "osimertinib")]
        assert dose_after <= max([dose_before, *given])
    assert (after.lm_status, after.applicable) == (before.lm_status, before.applicable)
    # It only ever adds the toxicity alerts: each kind reported before is still reported.
    toxicity_alerts = {code for code in before.codes if code.startswith("toxicity-")}
    assert toxicity_alerts <= after.codes
    if before.recommendation("it-pemetrexed") is not None and after.phase == before.phase:
        item = after.recommendation("it-pemetrexed")
        assert item is not None
        assert item.action in (before.recommendation("it-pemetrexed").action, "hold")  # type: ignore[union-attr]


@given(cases)
def test_no_recommendation_advises_osimertinib_at_or_above_a_standing_tolerance_limit(case: lst.EvaluationCase) -> None:
    # docs/interpretation.md#tolerable-dose: a dose stopped for toxicity and never given again is never advised
    # again (the oracle reads the limit from the record, independently).
    limit = decide(case.patient, case.as_of)["tolerance_limit"]
    if limit is None:
        return
    result = evaluate(case)
    advised = advised_osimertinib_mg(result)
    if advised:
        assert advised < limit, (advised, limit)
    for item in result.recommendations:
        if item.code == "osimertinib-tolerated":
            assert item.action == "continue" or item.dose is None or item.dose.mg is None


CYTOPENIAS = ("neutropenia", "leukopenia", "thrombocytopenia")


@given(cases)
def test_intrathecal_pemetrexed_never_continues_beside_a_severe_cytopenia_since_its_latest_course(
    case: lst.EvaluationCase,
) -> None:
    # docs/interpretation.md#combination: an intrathecal injection needs adequate counts.
    result = evaluate(case)
    item = result.recommendation("it-pemetrexed")
    if item is None or item.action != "continue":
        return
    assert result.as_of is not None
    courses = [
        t
        for t in case.patient.get("therapies", [])
        if t["agent"] == "pemetrexed" and t.get("route") == "intrathecal" and t["status"] != "planned"
    ]
    latest = max(dt.date.fromisoformat(str(t["start"])) for t in courses)
    for toxicity in case.patient.get("toxicities", []):
        day = dt.date.fromisoformat(str(toxicity["date"])) if toxicity.get("date") else result.as_of
        assert not (toxicity["term"] in CYTOPENIAS and toxicity["grade"] >= 3 and day >= latest), (toxicity, latest)


# --- Provenance ------------------------------------------------------------------------------


@given(cases)
def test_every_item_cites_statements_a_known_rule_and_a_documented_code(case: lst.EvaluationCase) -> None:
    result = evaluate(case)
    kb = lmtx.knowledge_base()
    statement_ids = {s.id for s in kb.statements}
    rules = {r.id: r for r in kb.rules}
    items: list[lmtx.Recommendation | lmtx.Alert | lmtx.PrognosisNote] = [
        *result.recommendations,
        *result.alerts,
        *result.prognosis,
    ]
    for item in items:
        assert item.statements, item
        assert set(item.statements) <= statement_ids, item
        assert item.rule in rules, item
        assert item.code in rules[item.rule].codes, item
        assert len(item.summary) <= 140, item.summary
        assert item.summary.strip(), item
    for rec in result.recommendations:
        kind, actions = RECOMMENDATIONS[rec.code]
        assert (rec.kind, rec.action in actions) == (kind, True), rec
        assert set(rec.evidence) <= statement_ids
    for alert in result.alerts:
        assert alert.code in ALERTS
        assert alert.severity in SEVERITIES
    assert {p.code for p in result.prognosis} <= set(PROGNOSIS)
    assert len(result.codes) == len(items), "one item per code"
    assert result.lm_status in LM_STATUSES
    assert list(result.not_applicable_reasons) == [r for r in REASONS if r in result.not_applicable_reasons]
    fired = [entry.rule for entry in result.trace]
    assert set(fired) <= set(rules)
    assert {item.rule for item in items} <= set(fired)
    assert result.knowledge_base.digest == kb.digest


# --- The rule base ----------------------------------------------------------------------------


@pytest.mark.parametrize("rule", [r.id for r in lmtx.knowledge_base().rules])
def test_every_rule_fires_on_a_listed_witness(rule: str) -> None:
    witnesses = [w for w in WITNESSES if rule in w["fires"]]
    assert witnesses, f"no witness patient listed for {rule} in tests/witnesses/rules.json"
    assert any(rule in fired_rules(w["patient"], w["as_of"], w.get("policy")) for w in witnesses)


@pytest.mark.parametrize("witness", WITNESSES, ids=[w["name"] for w in WITNESSES])
def test_witnesses_fire_exactly_what_they_list_and_agree_with_the_oracle(witness: dict[str, Any]) -> None:
    # The trace is part of the output (docs/output-format.md): each witness pins every firing.
    assert fired_rules(witness["patient"], witness["as_of"], witness.get("policy")) == witness["fires"]
    case = lst.EvaluationCase(witness["patient"], witness["as_of"])
    check_agrees_with_the_oracle(case, witness.get("policy", {}).get("poor_ps_ecog", 3))


@given(cases, policies)
def test_no_two_rules_emit_conflicting_items_for_one_code(case: lst.EvaluationCase, poor_ps_ecog: int) -> None:
    patient, as_of = lmtx.parse_patient(case.patient, case.as_of)
    run = infer(patient, as_of, lmtx.Policy(poor_ps_ecog=poor_ps_ecog)).run
    emitted: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for firing in run.firings:
        for fact in firing.emitted:
            if fact["t"] in ("recommendation", "alert", "prognosis"):
                emitted.setdefault(fact["code"], []).append((firing.rule, fact))
    conflicts = {code: items for code, items in emitted.items() if len(items) > 1}
    assert not conflicts


# docs/interpretation.md#response, #combination: the assessment kinds that judge each regimen.
JUDGED_BY = {
    "osimertinib": {"neuro", "cytology", "mri"},
    "combination": {"neuro", "mri"},
    "platinum": {"neuro", "mri"},
    # The platinum stage without intrathecal pemetrexed: the inadequate-response test (rev. 2026-12-06).
    "platinum-without-intrathecal": {"neuro", "cytology", "mri"},
}
# Derived facts that answer one question each (lmtx.rules: "the latest ...", "one agent is enough").
ONE_PER_EVALUATION = (
    "lm",
    "phase",
    "regimen",
    "osimertinib_regimen",
    "intrathecal_first",
    "platinum_first",
    "workup_gap",
    "ecog",
    "poor_ps",
    "latest_neuro",
    "latest_mri",
    "latest_cytology",
    "other_tki_in_use",
    "radiotherapy_in_use",
    "osimertinib_in_use",
    "severe_toxicity",
    "applicable",
    "nsclc",
    "egfr_mutant",
    "cns_involvement",
)


@given(cases, policies)
def test_the_derivation_is_coherent(case: lst.EvaluationCase, poor_ps_ecog: int) -> None:
    # White-box: the facts the rules derive answer each question once, and the
    # response of exactly the regimen being judged gets one verdict per kind.
    patient, as_of = lmtx.parse_patient(case.patient, case.as_of)
    run = infer(patient, as_of, lmtx.Policy(poor_ps_ecog=poor_ps_ecog)).run
    derived: dict[str, list[dict[str, Any]]] = {}
    for fact in run.derived:
        derived.setdefault(fact["t"], []).append(fact)
    for kind in ONE_PER_EVALUATION:
        assert len(derived.get(kind, [])) <= 1, derived[kind]
    expected = decide(case.patient, case.as_of, poor_ps_ecog=poor_ps_ecog)
    regimen = expected["regimen"]
    verdicts = sorted((v["regimen"], v["kind"]) for v in derived.get("verdict", []))
    if regimen is None:
        assert "regimen" not in derived
        assert not verdicts
    else:
        (judged,) = derived["regimen"]
        assert judged["name"] == regimen
        assert judged["start"] == dt.date.fromisoformat(expected["judged_from"]).toordinal()
        assert verdicts == sorted((regimen, kind) for kind in JUDGED_BY[regimen])
    ps = expected["latest_ps"]
    assert [f["score"] for f in derived.get("ecog", [])] == ([ecog(ps)] if ps else [])
    # Poor PS needs a current one: undated, or dated at most 90 days before the evaluation date.
    current = ps is not None and (
        not ps.get("date")
        or (dt.date.fromisoformat(expected["as_of"]) - dt.date.fromisoformat(str(ps["date"]))).days <= 90
    )
    assert bool(derived.get("poor_ps")) == bool(current and ecog(ps) >= poor_ps_ecog)
    assert bool(derived.get("workup_gap")) == (expected["lm_status"] == "suspected")
    exams = case.patient.get("neuro_exams", [])
    latest = max(exams, key=lambda e: e["date"]) if exams else None
    symptomatic = latest is not None and latest["symptoms"] in ("new", "persistent", "worsened")
    assert bool(derived.get("symptom_onset")) == symptomatic


# --- The oracle --------------------------------------------------------------------------------


def view(result: lmtx.Result) -> dict[str, Any]:
    """The parts of a result the oracle decides, in the oracle's shape."""
    return {
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "lm_status": result.lm_status,
        "applicable": result.applicable,
        "not_applicable_reasons": list(result.not_applicable_reasons),
        "phase": result.phase,
        "treatment": {r.code: r.action for r in result.recommendations if r.kind == "treatment"},
        "monitoring": {r.code: r.action for r in result.recommendations if r.kind == "monitoring"},
        "alerts": {a.code: a.severity for a in result.alerts},
        "prognosis": sorted(p.code for p in result.prognosis),
    }


def check_agrees_with_the_oracle(case: lst.EvaluationCase, poor_ps_ecog: int) -> None:
    expected = decide(case.patient, case.as_of, poor_ps_ecog=poor_ps_ecog)
    result = evaluate(case, poor_ps_ecog)
    actual = view(result)
    assert actual == {key: expected[key] for key in actual}
    workup = result.recommendation("lm-workup")
    assert ({workup.code: workup.action} if workup else {}) == dict.fromkeys(expected["workup"], "perform")
    if workup is not None:
        # docs/output-format.md: lm-workup names which of MRI and CSF cytology is still missing.
        missing = expected["workup"]["lm-workup"]
        assert ("MRI" in workup.summary, "cytology" in workup.summary) == ("mri" in missing, "cytology" in missing)
    check_adverse_effects(expected, result)
    check_alert_texts(expected, result)
    check_what_decided(case, expected, result)
    # Provenance is the rule's: every item cites statements its own rule encodes.
    rules = {r.id: r for r in lmtx.knowledge_base().rules}
    for item in (*result.recommendations, *result.alerts, *result.prognosis):
        assert set(item.statements) <= set(rules[item.rule].statements), item


def check_adverse_effects(expected: dict[str, Any], result: lmtx.Result) -> None:
    """The union of the effects of what is given and advised, named and listed as toxicity terms."""
    watch = result.recommendation("monitor-adverse-effects")
    if watch is not None:
        # The union of the effects of what is given and advised, named and listed as toxicity terms.
        assert set(watch.statements) == {ADVERSE_EFFECT_STATEMENTS[e] for e in expected["adverse_effects"]}
        assert list(watch.adverse_effects) == expected["adverse_effect_terms"]
        assert result.adverse_effects == watch.adverse_effects
        for effect in expected["adverse_effects"]:
            assert effect.replace("-", " ") in watch.summary, (effect, watch.summary)
    else:
        assert result.adverse_effects == ()
    assert all(not r.adverse_effects for r in result.recommendations if r.code != "monitor-adverse-effects")


def check_alert_texts(expected: dict[str, Any], result: lmtx.Result) -> None:
    """Toxicity alerts name their terms; dose-modification its linked agents; a stopped osimertinib its stop."""
    for code, terms in expected["toxicity_terms"].items():
        # Each toxicity alert names every reported term of its kind with its highest grade.
        alert = result.alert(code)
        assert alert is not None
        if len(terms) > 1 or code == "toxicity-myelosuppression":
            for term, grade in terms.items():
                assert f"grade {grade} {term.replace('_', ' ')}" in alert.summary, (term, alert.summary)
        else:
            ((_, grade),) = terms.items()
            assert f"grade {grade}" in alert.summary
    modification = result.alert("dose-modification")
    if modification is not None:
        # An `other` drug is named by its record name, not by the word "other".
        for agent in (a for a in expected["linked_agents"] if a != "other"):
            assert agent in modification.detail, (agent, modification.detail)
        if not expected["linked_agents"]:
            assert "No agent" in modification.detail
            # Osimertinib is in use: said to be recommended only when it is (not for a patient
            # outside the document's scope who takes it).
            recommended = any(code.startswith("osimertinib-") for code in expected["treatment"])
            said = "osimertinib is recommended." if recommended else "osimertinib is given."
            assert said in modification.detail, modification.detail
    stopped = result.alert("prior-osimertinib-stopped")
    if stopped is not None:
        ends = [e or "a date not recorded" for e in expected["stopped_osimertinib_ends"]]
        # A stop gives its date; a reduction is said as one (docs/interpretation.md#stopped-osimertinib).
        said = [f"{verb} on {end}" for end in ends for verb in ("stopped", "completed")] + ["was reduced from"]
        assert any(words in stopped.detail for words in said), stopped.detail


def check_what_decided(case: lst.EvaluationCase, expected: dict[str, Any], result: lmtx.Result) -> None:
    """Deciding findings with their dates and regimen day; the PS with its date."""
    deciding = [
        item
        for item in (result.recommendation("it-pemetrexed"), result.recommendation("platinum-pemetrexed"))
        if item is not None and item.action in ("add", "consider")
    ]
    exhausted = result.alert("guideline-exhausted")
    for item in (*deciding, *([exhausted] if exhausted else [])):
        # Say what decided: each deciding finding with its date and the regimen's day (or the latest
        # intrathecal course stopped for progression, the treating team's verdict).
        assert expected["deciding"] or "stopped for progression" in item.detail, item
        for date, day in expected["deciding"]:
            assert f"{date}, day {day} of" in item.detail, (date, day, item.detail)
        assert expected["judged_from"] in item.detail
    stated = next((p for p in result.prognosis if p.code == "performance-status-prognostic"), None)
    if stated is not None:
        # The note states the PS at LM diagnosis and the latest, each with its date when it has one.
        for ps in (expected["ps_at_diagnosis"], expected["latest_ps"]):
            if ps is not None:
                assert f"{ps['scale'].upper()} {ps['score']}" in stated.summary, (ps, stated.summary)
                if ps.get("date"):
                    assert str(ps["date"]) in stated.detail
        if expected["ps_at_diagnosis"] is None:
            assert "none recorded at LM diagnosis" in stated.summary


@given(cases, policies)
def test_the_oracle_agrees_with_evaluate(case: lst.EvaluationCase, poor_ps_ecog: int) -> None:
    check_agrees_with_the_oracle(case, poor_ps_ecog)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_clinical_scenario_agrees_with_the_oracle(name: str) -> None:
    # Two independent readings of docs/interpretation.md (the hand-written expectations of
    # tests/scenarios and tests/oracle.py) must meet on every scenario.
    scenario = SCENARIOS[name]
    case = lst.EvaluationCase(scenario["patient"], scenario["as_of"])
    check_agrees_with_the_oracle(case, (scenario.get("policy") or {}).get("poor_ps_ecog", 3))


@pytest.mark.parametrize("regression", REGRESSIONS, ids=[r["name"] for r in REGRESSIONS])
def test_patients_that_once_broke_an_invariant_agree_with_the_oracle(regression: dict[str, Any]) -> None:
    check_agrees_with_the_oracle(lst.EvaluationCase(regression["patient"], regression["as_of"]), 3)


def _search_witnesses(examples: int) -> list[dict[str, Any]]:
    """Witnesses for every rule (tests/witnesses/rules.json), from one hypothesis search.

    Every generated case is evaluated; each rule keeps the smallest patient that
    fired it, and a greedy cover then keeps few patients for all the rules found.
    Each witness lists every firing, so that it pins the whole trace.
    """
    from hypothesis import HealthCheck, Phase, settings

    rules = {r.id for r in lmtx.knowledge_base().rules}
    smallest: dict[str, tuple[int, lst.EvaluationCase, list[str]]] = {}

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(cases)
    def search(case: lst.EvaluationCase) -> None:
        fired = fired_rules(case.patient, case.as_of.isoformat() if case.as_of else None)
        size = len(json.dumps(case.patient))
        for rule in set(fired):
            if rule not in smallest or size < smallest[rule][0]:
                smallest[rule] = (size, case, fired)

    search()
    witnesses = []
    uncovered = set(smallest)
    while uncovered:
        _, case, fired = max(smallest.values(), key=lambda w: (len(set(w[2]) & uncovered), -w[0]))
        as_of = case.as_of.isoformat() if case.as_of else None
        witnesses.append({"name": min(set(fired) & uncovered), "fires": fired, "as_of": as_of, "patient": case.patient})
        uncovered -= set(fired)
    for rule in sorted(rules - set(smallest)):
        print(f"no witness found for {rule}", file=sys.stderr)
    return witnesses


if __name__ == "__main__":
    # python -m tests.test_properties --search-witnesses EXAMPLES > tests/witnesses/rules.json
    if sys.argv[1:2] == ["--search-witnesses"]:
        print(json.dumps(_search_witnesses(int(sys.argv[2])), indent=1))

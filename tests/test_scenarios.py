"""The clinical scenarios: each expected outcome exactly, and together every code of docs/output-format.md."""

from __future__ import annotations

from typing import Any

import pytest

import lmtx
from lmtx.catalogue import CATALOGUE
from tests.scenarios import load_scenarios
from tests.vocabulary import ACTIONS, LM_STATUSES, PHASES, REASONS

SCENARIOS = load_scenarios()

READINGS = {f"4.{n}" for n in range(1, 17)}
"""The readings of docs/interpretation.md, numbered as the contract's section 4 (4.1 scope ... 4.16 the highest
tolerable dose)."""


def outcome(result: lmtx.Result) -> dict[str, Any]:
    """The parts of a result a scenario pins down."""
    return {
        "applicable": result.applicable,
        "not_applicable_reasons": list(result.not_applicable_reasons),
        "lm_status": result.lm_status,
        "phase": result.phase,
        "recommendations": {r.code: r.action for r in result.recommendations},
        "alerts": {a.code: a.severity for a in result.alerts},
        "prognosis": [p.code for p in result.prognosis],
    }


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name: str) -> None:
    scenario = SCENARIOS[name]
    result = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
    assert outcome(result) == scenario["expect"]
    assert result.patient_id == name
    # The trace is part of the output (docs/output-format.md): each scenario pins every firing.
    assert sorted(entry.rule for entry in result.trace) == scenario["fires"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_is_identical_from_typed_input(name: str) -> None:
    scenario = SCENARIOS[name]
    typed, _ = lmtx.parse_patient(scenario["patient"], scenario["as_of"])
    from_json = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
    from_typed = lmtx.evaluate(typed, as_of=scenario["as_of"], policy=scenario.get("policy"))
    assert from_typed.to_json() == from_json.to_json()


def _union(key: str) -> set[str]:
    values: set[str] = set()
    for scenario in SCENARIOS.values():
        value = scenario["expect"][key]
        values |= set(value) if isinstance(value, list | dict) else {value}
    return values


def test_scenarios_cover_every_phase_status_and_reason() -> None:
    assert _union("phase") - {None} == set(PHASES)
    assert _union("lm_status") == set(LM_STATUSES)
    assert _union("not_applicable_reasons") == set(REASONS)


def test_scenarios_cover_every_code_of_the_catalogue() -> None:
    emitted = _union("recommendations") | _union("alerts") | _union("prognosis")
    assert emitted == set(CATALOGUE)


def test_scenarios_cover_every_action_and_alert_severity_variant() -> None:
    seen: dict[str, set[str]] = {}
    for scenario in SCENARIOS.values():
        for code, action in scenario["expect"]["recommendations"].items():
            seen.setdefault(code, set()).add(action)
    for code, actions in ACTIONS.items():
        assert seen[code] == set(actions), code
    severities = {
        a: {s["expect"]["alerts"][a] for s in SCENARIOS.values() if a in s["expect"]["alerts"]}
        for a in ("delayed-diagnosis",)
    }
    assert severities["delayed-diagnosis"] == {"warning", "info"}


def test_scenarios_cover_every_documented_reading() -> None:
    assert {r for s in SCENARIOS.values() for r in s["readings"]} == READINGS


def test_every_catalogue_text_variant_is_reached() -> None:
    """Each variant text of the catalogue is produced by some scenario (no dead text)."""
    reached: set[tuple[str, str]] = set()
    for scenario in SCENARIOS.values():
        result = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
        for item in (*result.recommendations, *result.alerts, *result.prognosis):
            entry = CATALOGUE[item.code]
            reached |= {(item.code, v) for v, t in entry.texts.items() if t.summary.split("{")[0] in item.summary}
    expected = {(code, variant) for code, entry in CATALOGUE.items() for variant in entry.texts}
    assert expected - reached == set()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_item_cites_only_statements_its_rule_encodes(name: str) -> None:
    """Provenance is the rule's (docs/interpretation.md#provenance), on every scenario."""
    scenario = SCENARIOS[name]
    result = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
    rules = {rule.id: rule for rule in lmtx.knowledge_base().rules}
    for item in (*result.recommendations, *result.alerts, *result.prognosis):
        assert item.statements, item
        assert set(item.statements) <= set(rules[item.rule].statements), (item.code, item.rule, item.statements)
        entry = CATALOGUE[item.code]
        allowed = {s for variant in entry.texts for s in entry.statements_for(variant)}
        assert set(item.statements) <= allowed, item

"""Explanations speak clinical words only: the whole knowledge base, every scenario, generated patients.

A clinician reads every text lmtx prints. An explanation quotes rule
descriptions and says conditions, facts and records in words; none of them
may show a comparison operator or a tuple of values ("response ==
progression", "symptoms in (new, ...)"), a field or policy identifier ("poor
ps ecog 3", "a therapy (egfr-tki, active)"), an engine step ("Find the latest
...", "another one, earlier in order") or an engine term (fact names, seq,
"ended on no date", day ordinals such as 739676).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given

import lmtx
from lmtx import strategies as lst
from lmtx._facts import BASE_FACT_ORDER
from lmtx.dsl import Derive
from lmtx.explain._words import condition_words
from lmtx.knowledge import knowledge_base
from lmtx.policy import Policy
from tests.scenarios import load_scenarios

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = load_scenarios()
EXAMPLES = sorted((ROOT / "lmtx" / "examples").glob("*.json"))


def _fact_types() -> set[str]:
    derived = {c.fact for info in knowledge_base().rules for c in info.rule.then if isinstance(c, Derive)}
    return derived | set(BASE_FACT_ORDER)


_FIELDS = {f.name for f in attrs.fields(Policy)} | {"once_daily_mg", "dose_mg", "interval_days", "stop_reason"}
_FIELDS |= {"run_start", "regimen_start", "recent_from"}
"""Field names that are no English when spaced ("poor ps ecog"); "drug class" or "judged from" are."""

NOT_CLINICAL: dict[str, re.Pattern[str]] = {
    "a comparison operator": re.compile(r"==|!=|<=|>=|(?<![\w-])[<>](?![\w-])|\b(?:not )?in \("),
    "a tuple of codes": re.compile(r"\((?=[^()]*[_-])(?:[\w-]+, )+[\w-]+\)"),
    "an identifier": re.compile(
        r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\begfr-tki\b|\b[a-z_]+\[\d+\]|\bpolicy\.\w+"
        + "".join(rf"|\b{re.escape(name.replace('_', ' '))}\b" for name in sorted(_FIELDS) if "_" in name)
    ),
    "an engine step": re.compile(r"\bFind the\b|\bLook up\b|\bin order\b|\banother one\b", re.IGNORECASE),
    "an engine term": re.compile(
        r"\b(?:" + "|".join(sorted(_fact_types())) + r")\(|\bseq\b|\bprev\b|\bon no date\b|\bno date recorded\b"
        r"|\b7\d{5}\b|\(as \w+\)|\bverdict\b|\brule\(s\)|\[NOT MET\]|\bt=\w"
    ),
}
"""What a clinical text must not show, by kind."""

_CITATION = re.compile(r"\(rule\s+[a-z0-9-]+(?:;\s+S\d\d(?:\s+S\d\d)*)?\)")
"""The rule an item comes from, cited in parentheses: a reference, as statement ids are."""


def not_clinical(text: str, *, patient_id: str | None = None, names: tuple[str, ...] = ()) -> list[str]:
    """What in a text is not clinical words, each with its kind; the record's own words are left out.

    The record's id and its drug names are the user's text, shown as given (a generated id may
    look like a day ordinal, a drug name may be any word).
    """
    if patient_id:
        text = text.replace(f"Patient {escaped(patient_id)}", "Patient <id>")
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(f"'{escaped(name)}'", "'<name>'")
    text = _CITATION.sub("(rule)", text)
    return [f"{kind}: {found.group()!r}" for kind, pattern in NOT_CLINICAL.items() for found in pattern.finditer(text)]


def escaped(text: str) -> str:
    """The user's text as the text forms show it: characters that are not printable escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _names(patient: Any) -> tuple[str, ...]:
    therapies = patient.get("therapies", []) if isinstance(patient, dict) else patient.therapies
    named = (t.get("name") if isinstance(t, dict) else t.name for t in therapies)
    return tuple({n for n in named if n})


def _patient_id(patient: Any) -> str | None:
    return patient.get("id") if isinstance(patient, dict) else patient.id


# --- the detector catches what the document's readers objected to ----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "shows failure (response == progression)",
        "symptoms in (new, persistent, worsened)",
        "a therapy (egfr-tki, active)",
        "decided by: poor ps ecog 3",
        "policy poor_ps_ecog 3",
        "Find the latest CSF cytology.",
        "a therapy (another one, earlier in order)",
        "therapy(agent=osimertinib, seq=0)",
        "ended on no date",
        "day 739676 of the regimen",
        "once_daily_mg >= 160 (is 80)",
        "What would change it: therapies[0] stopped",
        "a response verdict (osimertinib, neuro, failing)",
    ],
)
def test_the_detector_catches_engine_words(text: str) -> None:
    assert not_clinical(text)


@pytest.mark.parametrize(
    "text",
    [
        "why: Inadequate response to osimertinib 160 mg: add it (rule add-intrathecal-pemetrexed; S07 S01)",
        "1. osimertinib-160 (treatment, continue): Continue osimertinib 160 mg once daily.",
        "day 42 of osimertinib 160 mg",
        "performance status ECOG 1, 2026-01-08 (at LM diagnosis) — 54 days before the evaluation date",
        "poor performance status from ECOG 3 (policy threshold)",
        "intrathecal pemetrexed given, begun on or after 2026-01-12",
    ],
)
def test_the_detector_lets_clinical_words_through(text: str) -> None:
    assert not_clinical(text) == []


# --- the whole knowledge base -------------------------------------------------------------------


@pytest.mark.parametrize("rule", [info.rule for info in knowledge_base().rules], ids=lambda rule: rule.id)
def test_every_rule_description_and_condition_is_in_clinical_words(rule: lmtx.Rule) -> None:
    assert not_clinical(rule.description) == [], rule.description
    for condition in rule.when:
        words = condition_words(condition, {})
        assert not_clinical(words) == [], words


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_is_explained_in_clinical_words(name: str) -> None:
    scenario = SCENARIOS[name]
    patient = scenario["patient"]
    explanation = lmtx.explanation(patient, as_of=scenario["as_of"], policy=scenario.get("policy"))
    found = not_clinical(explanation.to_text(), patient_id=_patient_id(patient), names=_names(patient))
    assert found == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_is_explained_in_clinical_words(path: Path) -> None:
    patient = json.loads(path.read_text())
    found = not_clinical(lmtx.explanation(patient).to_text(), patient_id=patient.get("id"), names=_names(patient))
    assert found == []


@given(lst.evaluation_cases())
def test_generated_patients_are_explained_in_clinical_words(case: lst.EvaluationCase) -> None:
    text = lmtx.explanation(case.patient, as_of=case.as_of).to_text()
    assert not_clinical(text, patient_id=_patient_id(case.patient), names=_names(case.patient)) == []

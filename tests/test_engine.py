"""The durable-rules adapter: compilation, negation safety, session ids, errors inside actions."""

from __future__ import annotations

import itertools

import pytest

import lmtx
from lmtx._engine import CompiledRules, _SidPool, check_negations, fnv1a_32
from lmtx._facts import BASE_FACT_ORDER, DESCENDING
from lmtx.dsl import Rule, SeverityFromGrade, alert, derive, eq, gt, match, no, ref
from lmtx.errors import EvaluationError
from lmtx.rules import RULES

_names = (f"lmtx-test-{n}" for n in itertools.count())


def compile_rules(*rules: Rule) -> CompiledRules:
    """A fresh ruleset of its own name (deleted when the test drops it)."""
    return CompiledRules(next(_names), rules, BASE_FACT_ORDER, DESCENDING, pool_size=4)


def test_fnv1a_matches_published_vectors() -> None:
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968


def test_the_documented_sid_collision_is_a_collision() -> None:
    # Two patient ids known to share durable-rules state: why lmtx never uses them as sids.
    assert fnv1a_32("patient-332789") == fnv1a_32("patient-529192")


def test_sid_pool_hashes_are_distinct() -> None:
    pool = _SidPool(512)
    sids = pool._free
    assert len(sids) == 512
    assert len({fnv1a_32(s) for s in sids}) == 512


def test_every_shipped_rule_has_sound_negations() -> None:
    problems = [p for rule in RULES for p in check_negations(rule, BASE_FACT_ORDER, DESCENDING)]
    assert problems == []


def test_an_unsound_negation_is_refused_at_compile_time() -> None:
    # "no later exam" needs exams asserted latest first; "no earlier exam" would see late arrivals.
    unsound = Rule(
        id="first-exam",
        section="test",
        description="The earliest exam.",
        statements=("S14",),
        when=(match("exam", "neuro_exam"), no("neuro_exam", gt("seq", 5)), no("neuro_exam", gt("date", 0))),
        then=(derive("first"),),
    )
    assert len(check_negations(unsound, BASE_FACT_ORDER, DESCENDING)) == 2
    late_negation = Rule(
        id="latest-platinum",
        section="test",
        description="A negation after a second positive condition: durable-rules corrupts memory on it.",
        statements=("S09",),
        when=(
            match("patient", "patient"),
            match("platinum", "therapy", eq("agent", "cisplatin")),
            no("therapy", gt("seq", ref("platinum", "seq"))),
        ),
        then=(derive("platinum"),),
    )
    assert check_negations(late_negation, BASE_FACT_ORDER, DESCENDING) == [
        "latest-platinum: 'no therapy with seq > platinum.seq' must come right after the first condition"
    ]
    negating_derived = Rule(
        id="no-phase",
        section="test",
        description="No phase derived.",
        statements=("S01",),
        when=(match("patient", "patient"), no("phase")),
        then=(derive("orphan"),),
    )
    assert check_negations(negating_derived, BASE_FACT_ORDER, DESCENDING) == [
        "no-phase: negates derived fact type 'phase'"
    ]
    with pytest.raises(ValueError, match="unsound negations"):
        compile_rules(unsound)


def test_an_error_inside_an_action_is_raised_and_the_next_call_is_clean() -> None:
    rules = compile_rules(
        Rule(
            id="grade-alert",
            section="test",
            description="An alert whose severity comes from a grade.",
            statements=("S21",),
            when=(match("toxicity", "toxicity"),),
            then=(alert("toxicity-skin-rash", SeverityFromGrade(ref("toxicity", "grade"))),),
        )
    )
    bad = [{"t": "toxicity", "term": "rash", "grade": "severe", "seq": 0, "prev": -1}]
    with pytest.raises(EvaluationError, match="grade-alert"):
        rules.run(bad)
    good = [{"t": "toxicity", "term": "rash", "grade": 4, "seq": 0, "prev": -1}]
    for _ in range(10):  # more calls than the pool has sids: every state was cleaned up
        run = rules.run(good)
        assert run.derived == [{"t": "alert", "code": "toxicity-skin-rash", "severity": "critical"}]


def test_identical_derived_facts_are_asserted_once() -> None:
    rules = compile_rules(
        Rule(
            id="any-exam",
            section="test",
            description="Some exam exists.",
            statements=("S14",),
            when=(match("exam", "neuro_exam"),),
            then=(derive("examined"),),
        ),
        Rule(
            id="examined",
            section="test",
            description="Chains on the derived fact.",
            statements=("S14",),
            when=(match("examined", "examined"), match("patient", "patient", eq("egfr", "mutant"))),
            then=(derive("done"),),
        ),
    )
    exams = [{"t": "neuro_exam", "date": d, "symptoms": "new", "seq": d, "prev": d - 1} for d in (2, 1, 0)]
    run = rules.run([*exams, {"t": "patient", "egfr": "mutant"}])
    assert [f.rule for f in run.firings].count("any-exam") == 3
    assert run.derived == [{"t": "examined"}, {"t": "done"}]


def test_evaluate_surfaces_internal_failures_as_evaluation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from lmtx import _evaluate

    def broken(*_: object) -> object:
        raise KeyError("boom")

    monkeypatch.setattr(_evaluate, "_item", broken)
    with pytest.raises(EvaluationError, match="building the result failed"):
        lmtx.evaluate({"histology": "sclc", "toxicities": [{"term": "rash", "grade": 1}]})
    monkeypatch.undo()
    assert lmtx.evaluate({"histology": "sclc"}).lm_status == "absent"

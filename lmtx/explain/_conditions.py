"""Checking a rule's conditions against one evaluation's facts, the way the engine reads them.

A :class:`~lmtx.dsl.Match` holds when some fact of its type passes all its
tests (each Match of a rule binds a different fact), a
:class:`~lmtx.dsl.NoMatch` when none does; a rule fires when one choice of
facts satisfies all its conditions. Because no rule negates a derived fact,
checking against the final set of facts gives the engine's answer (the test
suite checks that for every rule). :class:`Checker` does this for
:func:`lmtx.why_not`, following unmet conditions on derived facts down to the
rules that could derive them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from lmtx._facts import BASE_FACT_ORDER, DATE_FIELDS, NO_DATE, Fact
from lmtx.dsl import Derive, Emit, Match, NoMatch, Ref, Rule, Scalar, SeverityFromGrade, Test
from lmtx.explain._data import ConditionCheck, NearMiss, RuleCheck, Status
from lmtx.explain._origins import INPUT_LISTS, Facts
from lmtx.explain._words import condition_words, requirement_words
from lmtx.knowledge import knowledge_base

__all__ = ["DEFAULT_DEPTH", "Checker", "search"]

DEFAULT_DEPTH = 4
"""How many levels of deriving rules :func:`lmtx.why_not` follows below the emitting rules.

Four reach the record from every treatment code: the treatment stages are
derived from the therapies given on the 160 mg regimen, which sit four
derivations below the emitting rule (see docs/interpretation.md#combination).
"""

_MAX_NEAR_MISSES = 3
_SEARCH_BUDGET = 20_000
"""Most fact combinations tried per rule; rules join few facts, so this is never reached in practice."""


def _resolve(value: Scalar | tuple[Scalar, ...] | Ref, bound: Mapping[str, Fact]) -> Any:
    if isinstance(value, Ref):
        return bound[value.binding].get(value.field)
    return value


def _passes(fact: Fact, test: Test, bound: Mapping[str, Fact]) -> bool:
    if test.field not in fact:
        return False
    actual, expected = fact[test.field], _resolve(test.value, bound)
    try:
        return bool(_OPS[test.op](actual, expected))
    except TypeError:
        return False


_OPS: dict[str, Any] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


@attrs.frozen
class _Slot:
    """The outcome of one condition under one choice of facts."""

    condition: Match | NoMatch
    status: Status
    bound: Mapping[str, Fact]
    fact: Fact | None = None
    blocking: tuple[Fact, ...] = ()
    depends_on: tuple[str, ...] = ()


def search(rule: Rule, facts: Facts) -> list[_Slot]:
    """The choice of facts that satisfies most of the rule's conditions (the first such, in fact order).

    Returns:
        One slot per condition of the rule, in order.
    """
    best: list[_Slot] = []
    best_score = (-1, 0)
    budget = _SEARCH_BUDGET
    total = len(rule.when)

    def visit(index: int, bound: dict[str, Fact], slots: list[_Slot]) -> bool:
        """Explore; return True to stop (every condition met)."""
        nonlocal best, best_score, budget
        if index == total:
            budget -= 1
            met = sum(s.status == "met" for s in slots)
            score = (met, -sum(s.status == "unchecked" for s in slots))
            if score > best_score:
                best, best_score = list(slots), score
            return met == total or budget <= 0
        condition = rule.when[index]
        missing = tuple(
            dict.fromkeys(
                t.value.binding for t in condition.tests if isinstance(t.value, Ref) and t.value.binding not in bound
            )
        )
        if missing:
            return visit(index + 1, bound, [*slots, _Slot(condition, "unchecked", bound, depends_on=missing)])
        passing = [f for f in facts.of(condition.fact) if all(_passes(f, t, bound) for t in condition.tests)]
        if isinstance(condition, NoMatch):
            status: Status = "unmet" if passing else "met"
            return visit(index + 1, bound, [*slots, _Slot(condition, status, bound, blocking=tuple(passing))])
        taken = {id(f) for f in bound.values()}
        passing = [f for f in passing if id(f) not in taken]  # each Match binds a different fact
        if not passing:
            return visit(index + 1, bound, [*slots, _Slot(condition, "unmet", bound)])
        for fact in passing:
            slot = _Slot(condition, "met", bound, fact=fact)
            if visit(index + 1, {**bound, condition.binding: fact}, [*slots, slot]):
                return True
        return False

    visit(0, {}, [])
    return best


def _shown(field: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if field in DATE_FIELDS and isinstance(value, int):
        return "none" if value == NO_DATE else dt.date.fromordinal(value).isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(field, v) for v in value) + ")"
    if value == "":
        return "none"
    return str(value)


def _failed_test(fact: Fact, test: Test, bound: Mapping[str, Fact]) -> str:
    expected = _resolve(test.value, bound)
    shown = _shown(test.field, expected)
    if isinstance(test.value, Ref):
        shown = f"{test.value} = {shown}"
    actual = _shown(test.field, fact[test.field]) if test.field in fact else "absent"
    return f"{test.field} {test.op} {shown} (is {actual})"


def _produces(consequence: Derive | Emit) -> tuple[str, dict[str, Any]]:
    """The fact type a consequence asserts and its fields (``Ref``/grade-based values stay symbolic)."""
    if isinstance(consequence, Derive):
        return consequence.fact, dict(consequence.fields)
    fields: dict[str, Any] = {"code": consequence.code}
    if consequence.action is not None:
        fields["action"] = consequence.action
    if consequence.severity is not None:
        fields["severity"] = consequence.severity
    fields.update(dict(consequence.params))
    return consequence.kind, fields


def _could_satisfy(consequence: Derive | Emit, condition: Match, bound: Mapping[str, Fact]) -> bool:
    fact_type, fields = _produces(consequence)
    if fact_type != condition.fact:
        return False
    for test in condition.tests:
        if test.field not in fields:
            return False
        value = fields[test.field]
        if isinstance(value, Ref | SeverityFromGrade):
            continue  # decided by the deriving rule's own facts
        if isinstance(test.value, Ref) and test.value.binding not in bound:
            continue
        if not _passes({test.field: value}, test, bound):
            return False
    return True


class Checker:
    """Checks rules against one evaluation's facts, following deriving rules down to a depth."""

    def __init__(self, facts: Facts, depth: int) -> None:
        self.facts = facts
        self.depth = depth
        self.checked: dict[str, RuleCheck] = {}  # a rule reached twice is checked once

    def check(self, rule: Rule, level: int, path: tuple[str, ...]) -> RuleCheck:
        """Check a rule's conditions; ``level`` counts deriving rules above it, ``path`` their ids."""
        fired = rule.id in self.facts.fired
        if rule.id in self.checked:
            return self.checked[rule.id]
        if level > self.depth or rule.id in path or (fired and level > 0):
            return RuleCheck(rule.id, rule.description, rule.statements, fired, expanded=False, conditions=())
        slots = search(rule, self.facts)
        conditions = tuple(self._condition(slot, level, (*path, rule.id)) for slot in slots)
        check = RuleCheck(rule.id, rule.description, rule.statements, fired, expanded=True, conditions=conditions)
        self.checked[rule.id] = check
        return check

    def _condition(self, slot: _Slot, level: int, path: tuple[str, ...]) -> ConditionCheck:
        condition = slot.condition
        text = str(condition)
        fields = [t.field for t in condition.tests]
        words, negated = condition_words(condition, slot.bound), isinstance(condition, NoMatch)
        if slot.status == "unchecked":
            return ConditionCheck(
                text, "unchecked", depends_on=slot.depends_on, words=words, negated=negated, fact=condition.fact
            )
        if slot.status == "met":
            matched = self.facts.ref(slot.fact, fields) if slot.fact is not None else None
            return ConditionCheck(text, "met", matched=matched, words=words, negated=negated, fact=condition.fact)
        if isinstance(condition, NoMatch):
            inputs = [p for fact in slot.blocking for p in self.facts.field_paths(fact, fields)]
            if not inputs:  # no tests: the record itself is in the way
                inputs = [p for fact in slot.blocking for p in self.facts.input_paths(fact, ())]
            return ConditionCheck(
                text,
                "unmet",
                blocking=tuple(self.facts.ref(f, fields) for f in slot.blocking),
                inputs=tuple(dict.fromkeys(inputs)),
                words=words,
                negated=True,
                fact=condition.fact,
            )
        return self._unmet_match(condition, slot, level, path)

    def _unmet_match(self, condition: Match, slot: _Slot, level: int, path: tuple[str, ...]) -> ConditionCheck:
        words = condition_words(condition, slot.bound)
        candidates = [f for f in self.facts.of(condition.fact) if f not in slot.bound.values()]
        misses = sorted(
            ((fact, [t for t in condition.tests if not _passes(fact, t, slot.bound)]) for fact in candidates),
            key=lambda pair: len(pair[1]),
        )[:_MAX_NEAR_MISSES]
        near = tuple(
            NearMiss(
                self.facts.ref(fact, [t.field for t in condition.tests]),
                tuple(_failed_test(fact, t, slot.bound) for t in failed),
                tuple(requirement_words(t, slot.bound, condition.fact) for t in failed),
            )
            for fact, failed in misses
        )
        # A test against another fact's field (score >= policy.poor_ps_ecog) changes with that field too.
        referred = [
            p
            for _, failed in misses
            for t in failed
            if isinstance(t.value, Ref) and t.value.binding in slot.bound
            for p in self.facts.field_paths(slot.bound[t.value.binding], [t.value.field])
        ]
        if condition.fact in BASE_FACT_ORDER:
            inputs = [p for fact, failed in misses for p in self.facts.field_paths(fact, [t.field for t in failed])]
            inputs += [p for p in referred if p not in inputs]
            if condition.fact in INPUT_LISTS:
                inputs.append(INPUT_LISTS[condition.fact])  # or a new record
            elif condition.fact == "ps" and not candidates:
                inputs.append("performance_status")
            return ConditionCheck(
                str(condition),
                "unmet",
                near_misses=near,
                inputs=tuple(dict.fromkeys(inputs)),
                words=words,
                fact=condition.fact,
            )
        derivers = tuple(
            self.check(info.rule, level + 1, path)
            for info in knowledge_base().rules
            if any(isinstance(c, Derive | Emit) and _could_satisfy(c, condition, slot.bound) for c in info.rule.then)
        )
        return ConditionCheck(
            str(condition),
            "unmet",
            near_misses=near,
            inputs=tuple(dict.fromkeys(referred)),
            derivable_by=derivers,
            words=words,
            fact=condition.fact,
        )

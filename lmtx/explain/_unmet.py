"""What a why-not answer says is not met, in clinical words, and which kinds of event could change it.

Both are read off the checked rules (:mod:`lmtx.explain._conditions`). For
each way the document gives a code (a rule that can emit it), the conditions
that do not hold are said as what they need and what the record has
instead; below a condition on a derived fact (a phase, a regimen), the first
unmet condition on the record itself that keeps it from being derived is
said too, so that the answer reaches the record in two sentences.

The kinds of event worth trying (:data:`lmtx.explain._events.EVENT_GROUPS`)
are those that can change a fact an unmet condition reads: its own type for a
condition on the record, and for a derived fact whose deriving rules were not
followed, every record type those rules read, however deep.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

from lmtx._facts import BASE_FACT_ORDER
from lmtx.dsl import Derive, Emit
from lmtx.explain._data import ConditionCheck, NotMet, RuleCheck
from lmtx.explain._events import EVENT_GROUPS
from lmtx.knowledge import knowledge_base

__all__ = ["bare", "event_groups", "not_met"]

_BASE = frozenset(BASE_FACT_ORDER)


def bare(words: str) -> str:
    """``a CSF cytology (positive)`` -> ``CSF cytology (positive)``, for ``no ...``."""
    for article in ("a ", "an ", "the "):
        if words.startswith(article):
            return words[len(article) :]
    return words


def _sentence(condition: ConditionCheck) -> str:
    if condition.negated:
        found = [fact.words for fact in condition.blocking]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        return f"Needs no {bare(condition.words)}; the record has {found[0]}{more}." if found else ""
    if condition.near_misses:
        miss = condition.near_misses[0]
        if miss.fact.derived_by:
            return f"Needs {condition.words}; now: {miss.fact.words}."
        if len(miss.failed) == 1:  # a record that differs in one respect is worth naming
            return f"Needs {condition.words}; closest in the record: {miss.fact.words}."
    if condition.fact not in _BASE:
        return f"Needs {condition.words}."  # what keeps it from being derived follows
    return f"Needs {condition.words}: none in the record."


def _again(sentence: str) -> str:
    """A sentence said for an earlier way, shortened (``Needs the phase: initial treatment, as above.``)."""
    need = sentence.split("; ", 1)[0].removesuffix(".").removesuffix(": none in the record")
    return f"{need}, as above."


def _leaves(condition: ConditionCheck, seen: set[str]) -> Iterator[ConditionCheck]:
    """The unmet conditions below a derived one that no followed rule derives further, depth first."""
    for check in condition.derivable_by:
        if not check.expanded or check.fired or check.rule in seen:
            continue
        seen.add(check.rule)
        for below in check.unmet:
            followed = [c for c in below.derivable_by if c.expanded and not c.fired]
            if followed and not below.near_misses:
                yield from _leaves(below, seen)
            else:  # on the record itself, or a fact the record has, only not the one needed
                yield below


def not_met(checks: Sequence[RuleCheck]) -> tuple[NotMet, ...]:
    """For each rule that did not fire, what of it the record does not meet, in sentences."""
    answers = []
    said: set[str] = set()
    for check in checks:
        if check.fired or not check.expanded:
            continue
        lacking: list[str] = []
        for condition in check.unmet:
            lacking.append(_sentence(condition))
            leaf = next(_leaves(condition, set()), None)
            if leaf is not None:
                lacking.append(_sentence(leaf))
        sentences = [s for s in dict.fromkeys(lacking) if s]
        answers.append(NotMet(check.rule, check.description, tuple(_again(s) if s in said else s for s in sentences)))
        said.update(sentences)
    return tuple(answers)


@functools.cache
def _read_by(fact_type: str) -> frozenset[str]:
    """The record types a fact type rests on: its own, or those of every rule deriving it, however deep."""
    graph = _derived_from()
    found: set[str] = set()
    todo, seen = [fact_type], {fact_type}
    while todo:
        current = todo.pop()
        if current in _BASE:
            found.add(current)
            continue
        for read in graph.get(current, ()):
            if read not in seen:
                seen.add(read)
                todo.append(read)
    return frozenset(found)


@functools.cache
def _derived_from() -> dict[str, frozenset[str]]:
    """Derived fact type -> the fact types read by the rules that derive (or emit) it."""
    graph: dict[str, set[str]] = {}
    for info in knowledge_base().rules:
        read = {condition.fact for condition in info.rule.when}
        for consequence in info.rule.then:
            if isinstance(consequence, Derive | Emit):
                produced = consequence.fact if isinstance(consequence, Derive) else consequence.kind
                graph.setdefault(produced, set()).update(read)
    return {kind: frozenset(read) for kind, read in graph.items()}


def _types(conditions: Sequence[ConditionCheck]) -> Iterator[str]:
    for condition in conditions:
        if condition.status != "unmet":
            continue
        yield from (fact.type for fact in condition.blocking)
        followed = [check for check in condition.derivable_by if check.expanded and not check.fired]
        if condition.fact in _BASE or not followed:
            yield from _read_by(condition.fact)
        for check in followed:
            yield from _types(check.conditions)


def event_groups(checks: Sequence[RuleCheck]) -> tuple[str, ...]:
    """The kinds of event to try, in their order: those that could change an unmet condition, or a firing.

    For a code the patient has, every record type its firing rule rests on counts (an event may take
    it away); otherwise the types the unmet conditions read.
    """
    types: set[str] = set()
    for check in checks:
        if check.fired:
            rule = knowledge_base().rule(check.rule).rule
            types.update(t for condition in rule.when for t in _read_by(condition.fact))
        else:
            types.update(_types(check.conditions))
    groups = tuple(group for group, read in EVENT_GROUPS.items() if read & types)
    return groups or tuple(EVENT_GROUPS)

"""Explanations: why a patient got each item, and why not a code they did not get.

Both are read off the rule descriptions (:mod:`lmtx.dsl`) and the facts of
one evaluation (:func:`lmtx._evaluate.infer`), never off a second copy of the
logic:

- :func:`explanation` pairs every recommendation, alert and prognosis note with
  the rule firing that produced it: the rule's description, the facts it
  matched (and for each, the input records it came from or the rule that
  derived it), the statements it rests on with their gists and the
  document's reference numbers.
- :func:`why_not` takes an output code and, for every rule able to emit it,
  checks the rule's conditions one by one against the evaluation's facts:
  which held (and on which fact), which did not (the closest facts and the
  tests they fail), which could not be checked (they refer to a fact an
  unmet condition should have bound). For an unmet condition on an input
  fact it names the input fields that would change it; for one on a derived
  fact, the rules that could derive it, checked the same way, down to a
  depth limit.

A condition is checked the way the engine reads it: a :class:`~lmtx.dsl.Match`
holds when some fact of its type passes all its tests (each :class:`~lmtx.dsl.Match`
of a rule binds a different fact), a :class:`~lmtx.dsl.NoMatch` when none
does; a rule fires when one choice of facts satisfies all its conditions.
Because no rule negates a derived fact, checking against the final set of
facts gives the engine's answer (the test suite checks that for every rule).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from lmtx._engine import Firing
from lmtx._evaluate import PatientInput, evaluate, infer, parse_patient
from lmtx._facts import BASE_FACT_ORDER, DATE_FIELDS, NO_DATE, Fact, base_facts, describe_fact
from lmtx.catalogue import CATALOGUE
from lmtx.dsl import Derive, Emit, Match, NoMatch, Ref, Rule, Scalar, SeverityFromGrade, Test
from lmtx.knowledge import knowledge_base
from lmtx.model import Patient
from lmtx.policy import Policy, coerce_policy
from lmtx.result import Alert, PrognosisNote, Recommendation, Result
from lmtx.statements import statement

__all__ = [
    "ConditionCheck",
    "ExplainedItem",
    "Explanation",
    "FactRef",
    "NearMiss",
    "Reason",
    "RuleCheck",
    "StatementRef",
    "WhyNot",
    "explanation",
    "why_not",
]

Item = Recommendation | Alert | PrognosisNote
Status = Literal["met", "unmet", "unchecked"]
Role = Literal["encodes", "evidence"]

DEFAULT_DEPTH = 3
"""How many levels of deriving rules :func:`why_not` follows below the emitting rules."""

_MAX_NEAR_MISSES = 3
_SEARCH_BUDGET = 20_000
"""Most fact combinations tried per rule; rules join few facts, so this is never reached in practice."""

# Where each base fact comes from in the input (see lmtx._facts.base_facts).
_INPUT_LISTS = {
    "neuro_exam": "neuro_exams",
    "cytology": "csf_cytology",
    "mri": "mri",
    "therapy": "therapies",
    "toxicity": "toxicities",
}
_INPUT_FIELDS: dict[str, dict[str, str]] = {
    "patient": {
        "histology": "histology",
        "egfr": "egfr.status",
        "brain_metastases": "brain_metastases",
        "csf_flow": "csf_flow",
        "systemic_disease": "systemic_disease",
    },
    "policy": {"poor_ps_ecog": "policy.poor_ps_ecog"},
    "ps": {"scale": "performance_status.scale", "score": "performance_status.score"},
    # seq/prev number the records in the order of their date (start, grade): that field moves them.
    "neuro_exam": {"date": "date", "symptoms": "symptoms", "seq": "date", "prev": "date"},
    "cytology": {"date": "date", "result": "result", "seq": "date", "prev": "date"},
    "mri": {
        "date": "date",
        "enhancement": "leptomeningeal_enhancement",
        "response": "response",
        "seq": "date",
        "prev": "date",
    },
    "therapy": {
        "agent": "agent",
        "route": "route",
        "dose_mg": "dose_mg",
        "status": "status",
        "start": "start",
        "end": "end",
        "seq": "start",
        "prev": "start",
    },
    "toxicity": {"term": "term", "grade": "grade", "seq": "grade", "prev": "grade"},
}
"""Base fact type -> fact field -> input field (a path of its own, or relative to the record)."""


# --- data ---------------------------------------------------------------------------------


@attrs.frozen
class FactRef:
    """A fact of the evaluation and where it comes from.

    Attributes:
        fact: A readable label, e.g. ``therapy(agent=osimertinib, dose_mg=80, ...)``.
        type: The fact type, e.g. ``therapy``, ``phase``.
        inputs: For a fact read from the input: the JSON paths it was built
            from (``therapies[0]``, ``egfr.status``, ``policy.poor_ps_ecog``).
        derived_by: For a derived fact: the id of the rule that derived it.
    """

    fact: str
    type: str
    inputs: tuple[str, ...] = ()
    derived_by: str | None = None

    def __str__(self) -> str:
        if self.derived_by:
            return f"{self.fact} [by {self.derived_by}]"
        return f"{self.fact} [{', '.join(self.inputs)}]" if self.inputs else self.fact


@attrs.frozen
class Reason:
    """A rule firing: the rule, in words, and the facts it matched.

    Attributes:
        rule: The rule's id.
        description: The rule in one line.
        statements: Statement ids the rule encodes.
        matched: The facts it matched, in the order of its conditions.
    """

    rule: str
    description: str
    statements: tuple[str, ...]
    matched: tuple[FactRef, ...]


@attrs.frozen
class StatementRef:
    """A statement of the document an item rests on.

    Attributes:
        id: ``S01`` ... ``S30``.
        role: ``encodes`` (the item encodes it) or ``evidence`` (it supports the item).
        gist: What the statement says, in lmtx's words.
        references: The document's reference numbers it cites.
    """

    id: str
    role: Role
    gist: str
    references: tuple[int, ...]


@attrs.frozen
class ExplainedItem:
    """A recommendation, alert or prognosis note with the reason it was given.

    Attributes:
        item: The item, as in the result.
        because: The rule firing that produced it.
        statements: The statements it encodes, then its evidence statements.
    """

    item: Item
    because: Reason
    statements: tuple[StatementRef, ...]

    @property
    def code(self) -> str:
        """The item's code."""
        return self.item.code


@attrs.frozen
class Explanation:
    """A result with the reason for each of its parts (see :func:`explanation`).

    Attributes:
        result: The result explained.
        lm_status: The firings that derived the LM status.
        applicability: The firings that made the algorithm apply, or not.
        phase: The firing that derived the phase (``None`` when not applicable).
        recommendations: Each recommendation, in the result's order.
        alerts: Each alert, in the result's order (by severity).
        prognosis: Each prognosis note.
    """

    result: Result
    lm_status: tuple[Reason, ...]
    applicability: tuple[Reason, ...]
    phase: Reason | None
    recommendations: tuple[ExplainedItem, ...]
    alerts: tuple[ExplainedItem, ...]
    prognosis: tuple[ExplainedItem, ...]

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-compatible data: the result's wire format plus a ``because`` for each part."""
        wire = self.result.to_dict()
        for key, items in (
            ("recommendations", self.recommendations),
            ("alerts", self.alerts),
            ("prognosis", self.prognosis),
        ):
            wire[key] = [
                {**data, "because": _plain(item.because), "cited": _plain(item.statements)}
                for data, item in zip(wire[key], items, strict=True)
            ]
        wire["because"] = {
            "lm_status": _plain(self.lm_status),
            "applicability": _plain(self.applicability),
            "phase": _plain(self.phase),
        }
        return wire

    def to_text(self, width: int = 100) -> str:
        """A readable report for a clinician or an integrator.

        Args:
            width: The line width to wrap text at.

        Returns:
            Several lines of plain text, ending in a newline.
        """
        return _render_explanation(self, width)


@attrs.frozen
class NearMiss:
    """A fact of the right type that fails some tests of a condition.

    Attributes:
        fact: The fact.
        failed: The tests it fails, each with the fact's actual value.
    """

    fact: FactRef
    failed: tuple[str, ...]


@attrs.frozen
class ConditionCheck:
    """One condition of a rule, checked against the evaluation's facts.

    Attributes:
        condition: The condition, in words.
        status: ``met``, ``unmet``, or ``unchecked`` (it refers to a fact
            that an unmet condition should have bound).
        matched: For a met :class:`~lmtx.dsl.Match`: the fact it matched.
        blocking: For an unmet :class:`~lmtx.dsl.NoMatch`: the facts that should not be there.
        near_misses: For an unmet :class:`~lmtx.dsl.Match`: the closest facts of its type.
        inputs: For an unmet condition on input facts: the input fields
            (JSON paths) whose change could make it hold; a list path such as
            ``therapies`` means adding a record.
        derivable_by: For an unmet condition on a derived fact: the rules
            that could derive a fitting fact, checked in turn.
        depends_on: For an unchecked condition: the names it refers to.
    """

    condition: str
    status: Status
    matched: FactRef | None = None
    blocking: tuple[FactRef, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    inputs: tuple[str, ...] = ()
    derivable_by: tuple[RuleCheck, ...] = ()
    depends_on: tuple[str, ...] = ()


@attrs.frozen
class RuleCheck:
    """A rule checked against the evaluation's facts.

    Attributes:
        rule: The rule's id.
        description: The rule in one line.
        statements: Statement ids it encodes.
        fired: Whether the rule fired in this evaluation.
        expanded: Whether its conditions were checked (``False`` past the
            depth limit, on a cycle, or for a deriving rule that fired).
        conditions: Its conditions, checked, in order (empty when not expanded).
    """

    rule: str
    description: str
    statements: tuple[str, ...]
    fired: bool
    expanded: bool
    conditions: tuple[ConditionCheck, ...]

    @property
    def unmet(self) -> tuple[ConditionCheck, ...]:
        """The conditions that do not hold."""
        return tuple(c for c in self.conditions if c.status == "unmet")


@attrs.frozen
class WhyNot:
    """Why a patient did, or did not, get an output code (see :func:`why_not`).

    Attributes:
        code: The output code asked about.
        output: ``recommendation``, ``alert`` or ``prognosis``.
        patient_id: The record's ``id``.
        as_of: The evaluation date.
        present: Whether the result has the code after all.
        item: The item, when present.
        rules: Every rule able to emit the code, checked.
    """

    code: str
    output: str
    patient_id: str | None
    as_of: dt.date | None
    present: bool
    item: Item | None
    rules: tuple[RuleCheck, ...]

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-compatible data."""
        data: dict[str, Any] = _plain(self)
        return data

    def to_text(self, width: int = 100) -> str:
        """A readable answer.

        Args:
            width: The line width to wrap text at.

        Returns:
            Several lines of plain text, ending in a newline.
        """
        return _render_why_not(self, width)


# --- public functions ---------------------------------------------------------------------


def explanation(
    patient: PatientInput,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
) -> Explanation:
    """Evaluate a patient and explain every part of the result.

    Args:
        patient: The record, in any form :func:`lmtx.evaluate` takes.
        as_of: The evaluation date; default: the latest date in the record.
        policy: The thresholds the document leaves open.

    Returns:
        The result with, for the LM status, the applicability, the phase and
        every item, the rule firing behind it (render it with
        :meth:`Explanation.to_text`).

    Raises:
        InvalidPatient: The input is invalid (as for :func:`lmtx.evaluate`).
        EvaluationError: A defect inside lmtx.
    """
    result, facts = _evaluation(patient, as_of, policy)
    return Explanation(
        result=result,
        lm_status=tuple(facts.reasons(lambda f: f["t"] == "lm")),
        applicability=tuple(facts.reasons(lambda f: f["t"] in ("applicable", "not_applicable"))),
        phase=next(facts.reasons(lambda f: f["t"] == "phase"), None),
        recommendations=tuple(facts.explained(item) for item in result.recommendations),
        alerts=tuple(facts.explained(item) for item in result.alerts),
        prognosis=tuple(facts.explained(item) for item in result.prognosis),
    )


def why_not(
    patient: PatientInput,
    code: str,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
    *,
    depth: int = DEFAULT_DEPTH,
) -> WhyNot:
    """Say why a patient did not get an output code: the unmet conditions of each rule that can emit it.

    Args:
        patient: The record, in any form :func:`lmtx.evaluate` takes.
        code: A recommendation, alert or prognosis code (SPEC §3).
        as_of: The evaluation date; default: the latest date in the record.
        policy: The thresholds the document leaves open.
        depth: How many levels of deriving rules to follow below the
            emitting rules, for unmet conditions on derived facts.

    Returns:
        For every rule able to emit ``code``: each condition, met or not,
        with the facts involved and, for unmet ones, the inputs or deriving
        rules that could change it. ``present`` is true when the patient
        has the code after all.

    Raises:
        ValueError: ``code`` is not an output code, or ``depth`` is negative.
        InvalidPatient: The input is invalid (as for :func:`lmtx.evaluate`).
        EvaluationError: A defect inside lmtx.
    """
    if code not in CATALOGUE:
        raise ValueError(f"unknown output code {code!r}; the codes are: {', '.join(CATALOGUE)}")
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    result, facts = _evaluation(patient, as_of, policy)
    item = next((i for i in _items(result) if i.code == code), None)
    checker = _Checker(facts, depth)
    return WhyNot(
        code=code,
        output=CATALOGUE[code].output,
        patient_id=result.patient_id,
        as_of=result.as_of,
        present=item is not None,
        item=item,
        rules=tuple(checker.check(info.rule, 0, ()) for info in knowledge_base().rules_emitting(code)),
    )


# --- the facts of one evaluation ------------------------------------------------------------


def _evaluation(
    patient: PatientInput, as_of: dt.date | str | None, policy: Policy | Mapping[str, object] | None
) -> tuple[Result, _Facts]:
    result = evaluate(patient, as_of=as_of, policy=policy)  # validates everything, raises InvalidPatient
    model, date = parse_patient(patient, as_of)
    checked = coerce_policy(policy)
    inference = infer(model, date, checked)
    return result, _Facts(model, checked, inference.base_facts, inference.run.firings)


def _key(fact: Mapping[str, Any]) -> tuple[tuple[str, str, Any], ...]:
    return tuple(sorted((k, type(v).__name__, v) for k, v in fact.items() if k != "sid"))


def _record_key(fact: Mapping[str, Any]) -> tuple[tuple[str, str, Any], ...]:
    return _key({k: v for k, v in fact.items() if k not in ("seq", "prev")})


class _Facts:
    """Base and derived facts of one evaluation, with their origins."""

    def __init__(self, patient: Patient, policy: Policy, base: Sequence[Fact], firings: Sequence[Firing]) -> None:
        self.firings = list(firings)
        self.base_keys = {_key(f) for f in base}
        self.derived_by: dict[tuple[tuple[str, str, Any], ...], str] = {}
        derived: list[Fact] = []
        for firing in self.firings:
            for fact in firing.emitted:
                key = _key(fact)
                if key not in self.derived_by and key not in self.base_keys:
                    self.derived_by[key] = firing.rule
                    derived.append(fact)
        self.by_type: dict[str, list[Fact]] = {}
        for fact in [*base, *derived]:
            self.by_type.setdefault(fact["t"], []).append({k: v for k, v in fact.items() if k != "sid"})
        self.fired = {firing.rule for firing in self.firings}
        self._records = _records(patient, policy)

    def of(self, fact_type: str) -> list[Fact]:
        return self.by_type.get(fact_type, [])

    def record_paths(self, fact: Fact) -> tuple[str, ...]:
        """The input records (``therapies[0]``) a base fact of a list type was built from."""
        key = _record_key(fact)
        return tuple(path for path, record in self._records.get(fact["t"], ()) if record == key)

    def ref(self, fact: Fact, fields: Sequence[str] = ()) -> FactRef:
        key = _key(fact)
        if key in self.derived_by:
            return FactRef(describe_fact(fact), fact["t"], derived_by=self.derived_by[key])
        return FactRef(describe_fact(fact), fact["t"], inputs=self.input_paths(fact, fields))

    def input_paths(self, fact: Fact, fields: Sequence[str]) -> tuple[str, ...]:
        """The input a base fact comes from: its records, or the named fields of the record level."""
        kind = fact["t"]
        if kind in _INPUT_LISTS:
            return self.record_paths(fact)
        names = _INPUT_FIELDS.get(kind, {})
        if kind == "ps":
            return ("performance_status",)
        chosen = [f for f in fields if f in names] or ([] if kind == "patient" else list(names))
        return tuple(dict.fromkeys(names[f] for f in chosen))

    def field_paths(self, fact: Fact, fields: Sequence[str]) -> tuple[str, ...]:
        """The input fields behind some fields of a base fact."""
        kind = fact["t"]
        names = _INPUT_FIELDS.get(kind, {})
        if kind in _INPUT_LISTS:
            return tuple(
                dict.fromkeys(f"{path}.{names[f]}" for path in self.record_paths(fact) for f in fields if f in names)
            )
        return tuple(dict.fromkeys(names[f] for f in fields if f in names))

    def reasons(self, wanted: Callable[[Fact], bool]) -> Iterator[Reason]:
        """The firings that derived a fact satisfying ``wanted``, in firing order."""
        for firing in self.firings:
            if any(wanted(fact) for fact in firing.emitted):
                yield self.reason(firing)

    def reason(self, firing: Firing) -> Reason:
        rule = knowledge_base().rule(firing.rule).rule
        matches = [c for c in rule.when if isinstance(c, Match)]
        matched = tuple(
            self.ref(fact, [t.field for t in condition.tests])
            for condition, fact in zip(matches, firing.matched, strict=True)
        )
        return Reason(rule.id, rule.description, rule.statements, matched)

    def explained(self, item: Item) -> ExplainedItem:
        output = CATALOGUE[item.code].output

        def wanted(fact: Fact) -> bool:
            return bool(fact["t"] == output and fact.get("code") == item.code)

        because = next(self.reasons(wanted))
        evidence = item.evidence if isinstance(item, Recommendation) else ()
        roles: tuple[tuple[tuple[str, ...], Role], ...] = ((item.statements, "encodes"), (evidence, "evidence"))
        cited = tuple(
            StatementRef(s, role, statement(s).gist, statement(s).references) for ids, role in roles for s in ids
        )
        return ExplainedItem(item, because, cited)


def _records(patient: Patient, policy: Policy) -> dict[str, list[tuple[str, tuple[tuple[str, str, Any], ...]]]]:
    """For each list fact type: (input path, fact content) of every input record.

    Each record's fact is built by :func:`lmtx._facts.base_facts` itself, from
    the record alone, so the mapping back to the input follows it exactly.
    """
    records: dict[str, list[tuple[str, tuple[tuple[str, str, Any], ...]]]] = {}
    for kind, attribute in _INPUT_LISTS.items():
        for index, record in enumerate(getattr(patient, attribute)):
            changes: dict[str, Any] = {attribute: (record,)}
            alone = attrs.evolve(patient, **changes)
            for fact in base_facts(alone, policy):
                if fact["t"] == kind:
                    records.setdefault(kind, []).append((f"{attribute}[{index}]", _record_key(fact)))
    return records


def _items(result: Result) -> Iterator[Item]:
    yield from result.recommendations
    yield from result.alerts
    yield from result.prognosis


# --- checking conditions ------------------------------------------------------------------


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


def _search(rule: Rule, facts: _Facts) -> list[_Slot]:
    """The choice of facts that satisfies most of the rule's conditions (the first such, in fact order)."""
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


class _Checker:
    """Checks rules against one evaluation's facts, following deriving rules down to a depth."""

    def __init__(self, facts: _Facts, depth: int) -> None:
        self.facts = facts
        self.depth = depth
        self.checked: dict[str, RuleCheck] = {}  # a rule reached twice is checked once

    def check(self, rule: Rule, level: int, path: tuple[str, ...]) -> RuleCheck:
        fired = rule.id in self.facts.fired
        if rule.id in self.checked:
            return self.checked[rule.id]
        if level > self.depth or rule.id in path or (fired and level > 0):
            return RuleCheck(rule.id, rule.description, rule.statements, fired, expanded=False, conditions=())
        slots = _search(rule, self.facts)
        conditions = tuple(self._condition(slot, level, (*path, rule.id)) for slot in slots)
        check = RuleCheck(rule.id, rule.description, rule.statements, fired, expanded=True, conditions=conditions)
        self.checked[rule.id] = check
        return check

    def _condition(self, slot: _Slot, level: int, path: tuple[str, ...]) -> ConditionCheck:
        condition = slot.condition
        text = str(condition)
        fields = [t.field for t in condition.tests]
        if slot.status == "unchecked":
            return ConditionCheck(text, "unchecked", depends_on=slot.depends_on)
        if slot.status == "met":
            matched = self.facts.ref(slot.fact, fields) if slot.fact is not None else None
            return ConditionCheck(text, "met", matched=matched)
        if isinstance(condition, NoMatch):
            inputs = [p for fact in slot.blocking for p in self.facts.field_paths(fact, fields)]
            if not inputs:  # no tests: the record itself is in the way
                inputs = [p for fact in slot.blocking for p in self.facts.input_paths(fact, ())]
            return ConditionCheck(
                text,
                "unmet",
                blocking=tuple(self.facts.ref(f, fields) for f in slot.blocking),
                inputs=tuple(dict.fromkeys(inputs)),
            )
        return self._unmet_match(condition, slot, level, path)

    def _unmet_match(self, condition: Match, slot: _Slot, level: int, path: tuple[str, ...]) -> ConditionCheck:
        candidates = [f for f in self.facts.of(condition.fact) if f not in slot.bound.values()]
        misses = sorted(
            ((fact, [t for t in condition.tests if not _passes(fact, t, slot.bound)]) for fact in candidates),
            key=lambda pair: len(pair[1]),
        )[:_MAX_NEAR_MISSES]
        near = tuple(
            NearMiss(
                self.facts.ref(fact, [t.field for t in condition.tests]),
                tuple(_failed_test(fact, t, slot.bound) for t in failed),
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
            if condition.fact in _INPUT_LISTS:
                inputs.append(_INPUT_LISTS[condition.fact])  # or a new record
            elif condition.fact == "ps" and not candidates:
                inputs.append("performance_status")
            return ConditionCheck(str(condition), "unmet", near_misses=near, inputs=tuple(dict.fromkeys(inputs)))
        derivers = tuple(
            self.check(info.rule, level + 1, path)
            for info in knowledge_base().rules
            if any(isinstance(c, Derive | Emit) and _could_satisfy(c, condition, slot.bound) for c in info.rule.then)
        )
        return ConditionCheck(
            str(condition), "unmet", near_misses=near, inputs=tuple(dict.fromkeys(referred)), derivable_by=derivers
        )


# --- plain data -----------------------------------------------------------------------------


def _plain(value: object) -> Any:
    """Attrs objects, tuples and dates as JSON-compatible data."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Result):
        return value.to_dict()
    if attrs.has(type(value)):
        return {name: _plain(getattr(value, name)) for name in attrs.fields_dict(type(value))}  # type: ignore[arg-type]
    raise TypeError(f"cannot render {type(value).__name__}")


# --- text -----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []

    def line(self, text: str = "", indent: int = 0, hang: int = 2) -> None:
        if not text:
            self.lines.append("")
            return
        self.lines.extend(
            textwrap.wrap(
                text,
                width=max(self.width, indent + 20),
                initial_indent=" " * indent,
                subsequent_indent=" " * (indent + hang),
                break_on_hyphens=False,
                break_long_words=False,
            )
        )

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def _statements_line(statements: Sequence[StatementRef], role: str) -> list[str]:
    return [f"{s.id} {s.gist}" + (f" [ref. {', '.join(map(str, s.references))}]" if s.references else "")
            for s in statements if s.role == role]  # fmt: skip


def _reason_lines(out: _Writer, reason: Reason, indent: int) -> None:
    out.line(f"rule {reason.rule}: {reason.description} ({' '.join(reason.statements)})", indent)
    for fact in reason.matched:
        out.line(f"matched {fact}", indent + 2)


def _render_explanation(explanation: Explanation, width: int) -> str:
    result = explanation.result
    out = _Writer(width)
    who = result.patient_id or "(no id)"
    when = result.as_of.isoformat() if result.as_of else "no date in the record"
    out.line(f"Patient {who}, evaluated as of {when}")
    kb = result.knowledge_base
    out.line(f"Knowledge base {kb.id} {kb.version} ({kb.digest[:23]}...)")
    out.line()
    out.line("STATUS")
    out.line(f"LM status: {result.lm_status}", 2)
    for reason in explanation.lm_status:
        _reason_lines(out, reason, 4)
    if result.applicable:
        out.line("Applicable: yes, the treatment algorithm applies", 2)
    else:
        out.line(f"Applicable: no ({', '.join(result.not_applicable_reasons)})", 2)
    for reason in explanation.applicability:
        _reason_lines(out, reason, 4)
    out.line(f"Phase: {result.phase or 'none (not applicable)'}", 2)
    if explanation.phase is not None:
        _reason_lines(out, explanation.phase, 4)
    sections: list[tuple[str, Sequence[ExplainedItem]]] = [("RECOMMENDATIONS", explanation.recommendations)]
    for severity in ("critical", "warning", "info"):
        alerts = [a for a in explanation.alerts if isinstance(a.item, Alert) and a.item.severity == severity]
        if alerts:
            sections.append((f"ALERTS - {severity.upper()}", alerts))
    if not explanation.alerts:
        sections.append(("ALERTS", ()))
    sections.append(("PROGNOSIS", explanation.prognosis))
    for title, items in sections:
        out.line()
        out.line(title)
        if not items:
            out.line("none", 2)
        for number, explained in enumerate(items, 1):
            _item_lines(out, number, explained)
    out.line()
    out.line("Statements are lmtx's paraphrases of the document; reference numbers are the document's.")
    return out.text()


def _item_lines(out: _Writer, number: int, explained: ExplainedItem) -> None:
    item = explained.item
    label = item.code
    if isinstance(item, Recommendation):
        label += f" ({item.kind}, {item.action})"
    out.line(f"{number}. {label}: {item.summary}", 2, hang=5)
    if isinstance(item, Recommendation) and item.dose is not None:
        dose = item.dose
        amount = f"{dose.mg:g} mg" if dose.mg is not None else f"{dose.mg_min:g}-{dose.mg_max:g} mg"
        out.line(f"dose: {amount} {dose.route}" + (f", {dose.frequency}" if dose.frequency else ""), 5)
    if isinstance(item, Recommendation) and item.detail:
        out.line(item.detail, 5)
    out.line("why:", 5)
    _reason_lines(out, explained.because, 7)
    encodes = _statements_line(explained.statements, "encodes")
    evidence = _statements_line(explained.statements, "evidence")
    out.line("rests on:", 5)
    for text in encodes:
        out.line(text, 7, hang=4)
    if evidence:
        out.line("evidence:", 5)
        for text in evidence:
            out.line(text, 7, hang=4)
    if item.references:
        out.line(f"references: {', '.join(map(str, item.references))}", 5)


def _input_hint(path: str) -> str:
    return f"a new record in {path}" if path in _INPUT_LISTS.values() else path


_MARK = {"met": "[met]", "unmet": "[NOT MET]", "unchecked": "[not checked]"}


def _render_why_not(answer: WhyNot, width: int) -> str:
    out = _Writer(width)
    who = answer.patient_id or "(no id)"
    when = answer.as_of.isoformat() if answer.as_of else "no date"
    out.line(f"Why not {answer.output} {answer.code}? Patient {who}, as of {when}")
    if answer.present and answer.item is not None:
        out.line(f"The patient has {answer.code} after all (rule {answer.item.rule}): {answer.item.summary}", 2)
    else:
        out.line(f"The patient did not get {answer.code}.", 2)
    out.line(f"{len(answer.rules)} rule(s) can emit it:", 2)
    shown: set[str] = set()
    for check in answer.rules:
        out.line()
        _check_lines(out, check, 2, shown)
    return out.text()


def _check_lines(out: _Writer, check: RuleCheck, indent: int, shown: set[str]) -> None:
    state = "fired" if check.fired else "did not fire"
    if check.expanded and check.rule in shown:
        out.line(f"rule {check.rule} ({state}): see above", indent)
        return
    shown.add(check.rule)
    out.line(f"rule {check.rule} ({state}): {check.description} ({' '.join(check.statements)})", indent)
    if not check.expanded:
        if not check.fired:
            out.line("(not followed further: depth limit or cycle)", indent + 2)
        return
    for condition in check.conditions:
        _condition_lines(out, condition, indent + 2, shown)


def _condition_lines(out: _Writer, condition: ConditionCheck, indent: int, shown: set[str]) -> None:
    out.line(f"{_MARK[condition.status]} {condition.condition}", indent, hang=4)
    inner = indent + 4
    if condition.matched is not None:
        out.line(f"matched {condition.matched}", inner)
    for fact in condition.blocking:
        out.line(f"but there is {fact}", inner)
    if condition.status == "unmet" and not condition.near_misses and not condition.blocking:
        out.line("no such fact", inner)
    for miss in condition.near_misses:
        out.line(f"closest: {miss.fact}, which fails {', '.join(miss.failed)}", inner, hang=4)
    if condition.inputs:
        out.line(f"would change with: {', '.join(map(_input_hint, condition.inputs))}", inner, hang=4)
    if condition.depends_on:
        out.line(f"refers to {', '.join(condition.depends_on)}, which no fact matched", inner)
    if condition.derivable_by:
        out.line("could be derived by:", inner)
        for check in condition.derivable_by:
            _check_lines(out, check, inner + 2, shown)

"""Rules as data: the small vocabulary the rule base is written in.

A rule says *when* (conditions over facts) and *then* (facts it derives, and
the recommendations, alerts and prognosis notes it emits), and carries its
provenance: the statement ids of the document it encodes. Nothing here knows
about durable-rules; :mod:`lmtx._engine` compiles these descriptions onto it.

Facts are flat records with a type (``fact``) and scalar fields. A
:class:`Match` condition binds one fact to a name so that later conditions
and emitted values can refer to its fields with :func:`ref`; a
:class:`NoMatch` condition holds when no fact of its type passes its tests.
Several :class:`Match` conditions form a join: each is matched by a
different fact, and a rule fires once for every combination that matches.
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

__all__ = [
    "Condition",
    "Derive",
    "Emit",
    "Match",
    "NoMatch",
    "Ref",
    "Rule",
    "Scalar",
    "SeverityFromGrade",
    "Test",
    "Value",
    "alert",
    "derive",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "match",
    "ne",
    "no",
    "none_of",
    "one_of",
    "prognosis",
    "recommend",
    "ref",
]

Scalar = str | int | float | bool
"""A literal value in a test or a consequence."""
Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
EmitKind = Literal["recommendation", "alert", "prognosis"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _NAME.fullmatch(value) or value in {"t", "sid", "id", "m", "s", "c"}:
        raise ValueError(f"{attribute.name} {value!r} is not a usable name")


@attrs.frozen
class Ref:
    """The value of ``field`` in the fact bound to ``binding`` by an earlier :class:`Match`."""

    binding: str = attrs.field(validator=_name)
    field: str = attrs.field(validator=_name)

    def __str__(self) -> str:
        return f"{self.binding}.{self.field}"


Value = Scalar | Ref
"""A literal, or a field of a matched fact."""


@attrs.frozen
class SeverityFromGrade:
    """An alert severity read from a CTCAE grade: 1-2 info, 3 warning, 4-5 critical."""

    grade: Ref

    def __str__(self) -> str:
        return f"severity by grade of {self.grade}"

    @staticmethod
    def of(grade: int) -> str:
        """The severity for one grade."""
        return "info" if grade <= 2 else "warning" if grade == 3 else "critical"


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return str(value)


@attrs.frozen
class Test:
    """One test on a field of a fact: ``field op value``."""

    field: str = attrs.field(validator=_name)
    op: Op
    value: Scalar | tuple[Scalar, ...] | Ref

    def __attrs_post_init__(self) -> None:
        if (self.op in ("in", "not in")) != isinstance(self.value, tuple):
            raise ValueError(f"operator {self.op!r} does not fit value {self.value!r}")

    def __str__(self) -> str:
        return f"{self.field} {self.op} {_show(self.value)}"


@attrs.frozen
class Match:
    """There is a fact of type ``fact`` passing every test; call it ``binding``."""

    binding: str = attrs.field(validator=_name)
    fact: str = attrs.field(validator=_name)
    tests: tuple[Test, ...] = ()

    def __str__(self) -> str:
        where = f" with {' and '.join(map(str, self.tests))}" if self.tests else ""
        return f"a {self.fact}{where} (as {self.binding})"


@attrs.frozen
class NoMatch:
    """There is no fact of type ``fact`` passing every test."""

    fact: str = attrs.field(validator=_name)
    tests: tuple[Test, ...] = ()

    def __str__(self) -> str:
        where = f" with {' and '.join(map(str, self.tests))}" if self.tests else ""
        return f"no {self.fact}{where}"


Condition = Match | NoMatch
"""One condition of a rule."""


@attrs.frozen
class Derive:
    """Assert a derived fact of type ``fact`` that later rules can match."""

    fact: str = attrs.field(validator=_name)
    fields: tuple[tuple[str, Value], ...] = ()

    @property
    def code(self) -> None:
        """Derived facts carry no output code."""
        return None

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.fields)
        return f"derive {self.fact}({shown})"


@attrs.frozen
class Emit:
    """Emit an output item (also asserted as a fact, so later rules can chain on it).

    ``action`` is set for recommendations, ``severity`` for alerts; ``params``
    fill the catalogue's text for the code.
    """

    kind: EmitKind
    code: str
    action: str | None = None
    severity: str | SeverityFromGrade | None = None
    params: tuple[tuple[str, Value], ...] = ()

    def __attrs_post_init__(self) -> None:
        if (self.kind == "recommendation") != (self.action is not None):
            raise ValueError(f"{self.code}: recommendations, and only they, have an action")
        if (self.kind == "alert") != (self.severity is not None):
            raise ValueError(f"{self.code}: alerts, and only they, have a severity")

    def __str__(self) -> str:
        extra = self.action or self.severity or ""
        shown = "".join(f", {k}={_show(v)}" for k, v in self.params)
        return f"{self.kind} {self.code}" + (f" ({extra}{shown})" if extra or shown else "")


Consequence = Derive | Emit


@attrs.frozen
class Rule:
    """One rule of the knowledge base, with its provenance.

    Attributes:
        id: Stable identifier, cited by every item the rule emits.
        section: The part of the document the rule belongs to.
        description: One line, in plain words.
        statements: Statement ids (S01-S30) the rule encodes.
        when: Conditions; the first must be a :class:`Match`.
        then: What the rule derives and emits.
    """

    id: str
    section: str
    description: str
    statements: tuple[str, ...]
    when: tuple[Condition, ...]
    then: tuple[Consequence, ...]

    def __attrs_post_init__(self) -> None:
        if not self.when or not isinstance(self.when[0], Match):
            raise ValueError(f"{self.id}: the first condition must be a Match")
        bound: set[str] = set()
        for condition in self.when:
            for test in condition.tests:
                if isinstance(test.value, Ref) and test.value.binding not in bound:
                    raise ValueError(f"{self.id}: {test} refers to an unbound name")
            if isinstance(condition, Match):
                if condition.binding in bound:
                    raise ValueError(f"{self.id}: {condition.binding} is bound twice")
                bound.add(condition.binding)
        for consequence in self.then:
            values = consequence.fields if isinstance(consequence, Derive) else consequence.params
            refs = [v for _, v in values if isinstance(v, Ref)]
            if isinstance(consequence, Emit) and isinstance(consequence.severity, SeverityFromGrade):
                refs.append(consequence.severity.grade)
            for value in refs:
                if value.binding not in bound:
                    raise ValueError(f"{self.id}: {value} refers to an unbound name")

    @property
    def codes(self) -> tuple[str, ...]:
        """The output codes this rule can emit."""
        return tuple(c.code for c in self.then if isinstance(c, Emit))

    @property
    def derives(self) -> tuple[str, ...]:
        """The fact types this rule derives."""
        return tuple(c.fact for c in self.then if isinstance(c, Derive))


# Small constructors, so that rule modules read like the document.


def ref(binding: str, field: str) -> Ref:
    """Refer to ``field`` of the fact bound to ``binding``."""
    return Ref(binding, field)


def eq(field: str, value: Value) -> Test:
    """``field == value``."""
    return Test(field, "==", value)


def ne(field: str, value: Value) -> Test:
    """``field != value``."""
    return Test(field, "!=", value)


def lt(field: str, value: Value) -> Test:
    """``field < value``."""
    return Test(field, "<", value)


def le(field: str, value: Value) -> Test:
    """``field <= value``."""
    return Test(field, "<=", value)


def gt(field: str, value: Value) -> Test:
    """``field > value``."""
    return Test(field, ">", value)


def ge(field: str, value: Value) -> Test:
    """``field >= value``."""
    return Test(field, ">=", value)


def one_of(field: str, values: tuple[Scalar, ...] | frozenset[str]) -> Test:
    """``field`` equals one of ``values``."""
    return Test(field, "in", tuple(sorted(values)) if isinstance(values, frozenset) else values)


def none_of(field: str, values: tuple[Scalar, ...] | frozenset[str]) -> Test:
    """``field`` equals none of ``values``."""
    return Test(field, "not in", tuple(sorted(values)) if isinstance(values, frozenset) else values)


def match(binding: str, fact: str, *tests: Test) -> Match:
    """A condition: some ``fact`` passes ``tests``; bind it to ``binding``."""
    return Match(binding, fact, tests)


def no(fact: str, *tests: Test) -> NoMatch:
    """A condition: no ``fact`` passes ``tests``."""
    return NoMatch(fact, tests)


def derive(fact: str, **fields: Value) -> Derive:
    """Derive a fact of type ``fact`` with ``fields``."""
    return Derive(fact, tuple(fields.items()))


def recommend(code: str, action: str, **params: Value) -> Emit:
    """Emit recommendation ``code`` with ``action``.

    Args:
        code: The recommendation code (a catalogue entry).
        action: ``start``, ``increase``, ``switch``, ``continue``, ``add``, ``consider`` or ``perform``.
        **params: Values for the catalogue text (literals or :func:`ref`).
    """
    return Emit("recommendation", code, action=action, params=tuple(params.items()))


def alert(code: str, severity: str | SeverityFromGrade, **params: Value) -> Emit:
    """Emit alert ``code`` with ``severity``.

    Args:
        code: The alert code (a catalogue entry).
        severity: ``info``, ``warning``, ``critical``, or :class:`SeverityFromGrade`.
        **params: Values for the catalogue text (literals or :func:`ref`).
    """
    return Emit("alert", code, severity=severity, params=tuple(params.items()))


def prognosis(code: str, **params: Value) -> Emit:
    """Emit prognosis note ``code``.

    Args:
        code: The prognosis code (a catalogue entry).
        **params: Values for the catalogue text (literals or :func:`ref`).
    """
    return Emit("prognosis", code, params=tuple(params.items()))

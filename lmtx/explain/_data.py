"""The parts of the answers of :func:`lmtx.explanation` and :func:`lmtx.why_not`, as frozen data.

Each class keeps the engine's detail (rule ids, fact labels, conditions as
the rule states them) for the JSON form, and the same content in clinical
words (findings with their dates, conditions with their dates resolved) for
the text form. The answers themselves (:class:`~lmtx.explain.Explanation`,
:class:`~lmtx.explain.WhyNot`) are built of these parts in
:mod:`lmtx.explain._answers`, above the text form that renders them
(:mod:`lmtx.explain._text`): this module imports neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from lmtx.result import Alert, PrognosisNote, Recommendation, Result

__all__ = [
    "ConditionCheck",
    "Event",
    "ExplainedItem",
    "FactRef",
    "Finding",
    "Item",
    "NearMiss",
    "NotMet",
    "Reason",
    "RuleCheck",
    "StatementRef",
    "plain",
]

Item = Recommendation | Alert | PrognosisNote
Status = Literal["met", "unmet", "unchecked"]
Role = Literal["encodes", "evidence"]


@attrs.frozen
class Finding:
    """An input record (or field) that decided part of a result, in clinical words.

    Attributes:
        input: Its JSON path: a record such as ``csf_cytology[1]``, or a field
            such as ``egfr.status`` or ``policy.poor_ps_ecog``.
        text: The record in words, e.g. ``CSF cytology 2026-03-03: positive``.
        date: The record's date (a therapy's start, or its end once it ended), if it has one.
        days_before: Days from ``date`` to the evaluation date (0 on the day
            itself); ``None`` without a date.
    """

    input: str
    text: str
    date: dt.date | None = None
    days_before: int | None = None

    def __str__(self) -> str:
        if self.days_before is None:
            return self.text
        if self.days_before == 0:
            return f"{self.text} — on the evaluation date"
        if self.days_before < 0:
            return f"{self.text} — {-self.days_before} days after the evaluation date"
        return f"{self.text} — {self.days_before} day{'s' if self.days_before != 1 else ''} before the evaluation date"


@attrs.frozen
class FactRef:
    """A fact of the evaluation and where it comes from.

    Attributes:
        fact: A readable label, e.g. ``therapy(agent=osimertinib, dose_mg=80, ...)``.
        type: The fact type, e.g. ``therapy``, ``phase``.
        inputs: For a fact read from the input: the JSON paths it was built
            from (``therapies[0]``, ``egfr.status``, ``policy.poor_ps_ecog``).
        derived_by: For a derived fact: the id of the rule that derived it.
        words: The fact in clinical words, e.g. ``CSF cytology 2026-03-03:
            positive`` or ``phase inadequate-response``.
    """

    fact: str
    type: str
    inputs: tuple[str, ...] = ()
    derived_by: str | None = None
    words: str = ""

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
        chain: The rules that derived, in turn, the facts it matched (down to
            the input, stopping at the LM status, the applicability and the
            phase, which are explained on their own), in the order found.
        findings: The input records the firing rests on, through ``chain``,
            in clinical words with their dates.
        absent: What had to be absent for it to fire (its negated conditions
            and those of ``chain``), in words with dates resolved, e.g. ``a
            CSF cytology dated on or after 2026-03-01``.
    """

    rule: str
    description: str
    statements: tuple[str, ...]
    matched: tuple[FactRef, ...]
    chain: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    absent: tuple[str, ...] = ()


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
class NearMiss:
    """A fact of the right type that fails some tests of a condition.

    Attributes:
        fact: The fact.
        failed: The tests it fails, each with the fact's actual value.
        needs: The same tests in words, e.g. ``a dose of at least 160 mg``.
    """

    fact: FactRef
    failed: tuple[str, ...]
    needs: tuple[str, ...] = ()


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
        words: The condition in clinical words, with the values it refers to
            resolved, e.g. ``a CSF cytology dated on or after 2026-03-01``.
        negated: Whether the condition asks for the absence of such a fact.
        fact: The type of fact the condition reads (``therapy``, ``phase``).
    """

    condition: str
    status: Status
    matched: FactRef | None = None
    blocking: tuple[FactRef, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    inputs: tuple[str, ...] = ()
    derivable_by: tuple[RuleCheck, ...] = ()
    depends_on: tuple[str, ...] = ()
    words: str = ""
    negated: bool = False
    fact: str = ""


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
class NotMet:
    """One way the document gives a code, and what of it the record does not meet, in clinical words.

    Attributes:
        rule: The id of the rule that gives the code this way.
        way: The rule in one line.
        lacking: What is not met, the most telling first, e.g. ``needs the phase:
            inadequate response to osimertinib alone; now: the phase: initial
            treatment``.
    """

    rule: str
    way: str
    lacking: tuple[str, ...]


@attrs.frozen
class Event:
    """A clinical event that would change the advice on a code, checked by evaluating the record with it.

    Attributes:
        text: The event in words, dated the evaluation date, e.g. ``an MRI on
            2026-03-03 showing progression, with leptomeningeal enhancement``.
        kind: What kind of event: ``neurological exam``, ``CSF cytology``,
            ``MRI``, ``performance status``, ``therapy started``, ``therapy
            stopped``, ``osimertinib dose changed``, ``adverse event``, or a
            finding (``systemic disease``, ``CSF flow``, ``brain metastases``,
            ``EGFR``). An answer proposes at most one event of each kind.
        patch: The event as JSON Patch operations (RFC 6902) on the record as
            lmtx reads it (every list present): ``add`` to a list (path ending
            in ``-``) or of a field. Applied, they give the record that was
            evaluated.
        given: Whether the code is given once the event is added.
        action: Its action (a recommendation) or severity (an alert) then;
            ``None`` when it is not given, and for prognosis notes.
    """

    text: str
    kind: str
    patch: tuple[Mapping[str, Any], ...]
    given: bool
    action: str | None = None


def plain(value: object) -> Any:
    """Attrs objects, tuples and dates as JSON-compatible data."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Result):
        return value.to_dict()
    if attrs.has(type(value)):
        return {name: plain(getattr(value, name)) for name in attrs.fields_dict(type(value))}  # type: ignore[arg-type]
    raise TypeError(f"cannot render {type(value).__name__}")

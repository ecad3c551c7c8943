"""What the texts of every area share: days, lists, the record's therapies in a canonical order, and their phrases.

Day numbers are the engine's ordinals (:mod:`lmtx._facts`); texts show ISO
dates, and a regimen's day N counts from its first day (day 1;
docs/interpretation.md#dates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from lmtx._facts import NO_DATE, Fact
from lmtx.drugs import drug_words, effective_route, mg
from lmtx.dsl import Rule
from lmtx.model import Patient, Therapy, TherapyStatus

__all__ = [
    "REASONS",
    "Compose",
    "Context",
    "ItemText",
    "agent_of_fact",
    "and_",
    "course_words",
    "day_of",
    "iso",
    "linked_words",
    "of",
    "ordered",
    "radiotherapy_words",
    "therapy_words",
]


@attrs.frozen
class Context:
    """What one item's words may read.

    Attributes:
        fact: The emitted item fact (code and the rule's parameters).
        rule: The rule that emitted it.
        statements: The code's statements its rule encodes (docs/interpretation.md#provenance).
        derived: Every fact derived in this evaluation.
        patient: The validated record (read for dates and names the facts do not carry).
        as_of: The evaluation date, ``None`` when the record has no date at all.
    """

    fact: Fact
    rule: Rule
    statements: tuple[str, ...]
    derived: Sequence[Fact]
    patient: Patient
    as_of: dt.date | None = None


Compose = Callable[[Context], dict[str, str]]
"""The extra text values of one code's items, from what decided them."""

ItemText = tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]
"""Extra text values, the statements to cite, and the adverse-effect terms."""

REASONS = {
    "toxicity": "for toxicity",
    "progression": "for progression",
    "course-completed": "as its course was completed",
    "dose-change": "for a change of dose",
    "other": "for a reason recorded as other",
}
"""A stop reason in a sentence: ``stopped on 2025-10-14 (for toxicity)``."""

_AGENTS = {"radiotherapy": "radiotherapy", "other": "another agent"}


def iso(day: int) -> str:
    """An engine day ordinal as an ISO date."""
    return dt.date.fromordinal(day).isoformat()


def and_(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def of(derived: Iterable[Fact], kind: str) -> list[Fact]:
    """The derived facts of one type."""
    return [f for f in derived if f["t"] == kind]


def agent_of_fact(fact: Mapping[str, Any]) -> str:
    """A therapy fact's agent as a text names it: ``intrathecal pemetrexed``, ``osimertinib 160 mg``."""
    agent = str(fact["agent"])
    name = _AGENTS.get(agent, agent)
    if agent == "pemetrexed" and fact.get("route"):
        name = f"{fact['route']} pemetrexed"
    dose = fact.get("dose") or 0.0
    if dose and agent == "osimertinib":
        return f"{name} {mg(dose)} mg"
    return name


def ordered(patient: Patient) -> list[Therapy]:
    """The record's therapies in a canonical order, so that texts never depend on the input's order."""

    def key(therapy: Therapy) -> tuple[Any, ...]:
        return (
            therapy.start or dt.date.max,
            therapy.agent.value,
            therapy.name or "",
            therapy.route.value if therapy.route else "",
            therapy.dose_mg or 0.0,
            therapy.interval_days or 0,
            therapy.status.value,
            therapy.end or dt.date.max,
            therapy.drug_class.value if therapy.drug_class else "",
            therapy.stop_reason.value if therapy.stop_reason else "",
        )

    return sorted(patient.therapies, key=key)


def day_of(date: int, start: int, regimen: str) -> str:
    """``2026-02-20, day 42 of osimertinib 160 mg``: day 1 is the regimen's first day."""
    return f"{iso(date)}, day {date - start + 1} of {regimen}"


def therapy_words(therapy: Therapy) -> str:
    """A therapy with its start: ``erlotinib 1500 mg every 7 days since 2026-01-04``."""
    return f"{drug_words(therapy)} since {therapy.start.isoformat()}" if therapy.start else drug_words(therapy)


def course_words(therapy: Therapy) -> str:
    """A course with its dates: ``carboplatin, begun on 2025-06-01 and completed on 2025-09-01``."""
    begun = f"begun on {therapy.start.isoformat()}" if therapy.start else "not yet begun"
    if therapy.status is TherapyStatus.ACTIVE:
        return f"{drug_words(therapy)}, {begun} and still given"
    ended = f" on {therapy.end.isoformat()}" if therapy.end else ""
    return f"{drug_words(therapy)}, {begun} and {therapy.status.value}{ended}"


def _therapy_of(fact: Mapping[str, Any], patient: Patient) -> Therapy | None:
    """The record's therapy a derived fact describes (by agent, route, status and dates)."""
    for therapy in ordered(patient):
        route = effective_route(therapy)
        if (
            therapy.agent.value == fact["agent"]
            and (route.value if route else "") == fact["route"]
            and therapy.status.value == fact["status"]
            and (therapy.start.toordinal() if therapy.start else NO_DATE) == fact["start"]
            and (therapy.end.toordinal() if therapy.end else NO_DATE) == fact["end"]
        ):
            return therapy
    return None


def linked_words(fact: Mapping[str, Any], patient: Patient) -> str:
    """A therapy named with its status and dates: ``intrathecal pemetrexed 50 mg, stopped on 2025-10-14``."""
    therapy = _therapy_of(fact, patient)
    name = drug_words(therapy) if therapy is not None else agent_of_fact(fact)
    status = str(fact["status"])
    if status == "active":
        when = f"given since {iso(fact['start'])}" if fact["start"] != NO_DATE else "given"
    elif status == "planned":
        when = "planned"
    else:
        when = f"{status} on {iso(fact['end'])}" if fact["end"] != NO_DATE else status
    return f"{name}, {when}"


def radiotherapy_words(patient: Patient) -> str:
    """The radiotherapy planned or given: ``radiotherapy planned from 2005-09-08``, ``... planned (no date)``."""
    words = []
    for therapy in ordered(patient):
        if therapy.agent.value != "radiotherapy":
            continue
        if therapy.status is TherapyStatus.ACTIVE and therapy.start is not None:
            words.append(f"radiotherapy given since {therapy.start.isoformat()}")
        elif therapy.status is TherapyStatus.PLANNED:
            when = f"from {therapy.start.isoformat()}" if therapy.start else "(no date)"
            words.append(f"radiotherapy planned {when}")
    return and_(words)

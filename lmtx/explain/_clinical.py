"""The clinical form of a why-not answer: at most fifteen lines, in clinical words.

What is not met comes first, one way of giving the code after another (the
rule in words, then what it needs that the record lacks), then at most three
clinical events that would change the advice, each checked by evaluating the
record with it. When the lines do not all fit, the least telling go first
(later sentences of later ways), and the answer says how many ways it left
out. The engine's account (rules, facts, conditions) is the other text form,
:func:`lmtx.explain._text.render_why_not`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lmtx.explain._data import Event, NotMet
from lmtx.explain._text import WhyNotLike, Writer

__all__ = ["MAX_LINES", "ClinicalWhyNotLike", "render_clinical_why_not"]

MAX_LINES = 15
"""The longest a clinical why-not answer may be, in lines, at any width."""


class ClinicalWhyNotLike(WhyNotLike, Protocol):
    """What the clinical form reads of a :class:`~lmtx.explain.WhyNot`: the engine's form reads, and more."""

    @property
    def not_met(self) -> Sequence[NotMet]: ...
    @property
    def events(self) -> Sequence[Event]: ...


class _Unit:
    """Lines that stay together, with a priority (lower is kept first) and the unit they need beside them."""

    def __init__(self, priority: int, lines: list[str], *, needs: _Unit | None = None, way: bool = False) -> None:
        self.priority = priority
        self.lines = lines
        self.needs = needs
        self.way = way


def _wrapped(width: int, text: str, indent: int, hang: int = 2) -> list[str]:
    out = Writer(width)
    out.line(text, indent, hang)
    return out.lines


def _consequence(answer: ClinicalWhyNotLike, event: Event) -> str:
    code = answer.code
    if not event.given:
        return f"{code} would no longer be given"
    action = f" ({event.action})" if event.action else ""
    before = getattr(answer.item, "action", None) or getattr(answer.item, "severity", None)
    if answer.present and before is not None:
        return f"{code} would be given with {event.action} instead of {before}"
    return f"{code} would be given{action}"


def _event_units(answer: ClinicalWhyNotLike, width: int) -> list[_Unit]:
    when = answer.as_of.isoformat() if answer.as_of else ""
    if answer.as_of is None:
        return [_Unit(1, _wrapped(width, "No event is proposed: the record has no date to evaluate it on.", 2))]
    if not answer.events:
        text = (
            f"None of the events tried (a new assessment, a therapy started or stopped, an adverse event, a "
            f"finding, each on {when}) would change this advice on its own."
        )
        return [_Unit(1, _wrapped(width, text, 2))]
    lead = f"What would change the advice (each checked by evaluating the record with it, as of {when}):"
    units = [_Unit(1, _wrapped(width, lead, 2))]
    for number, event in enumerate(answer.events, 1):
        units.append(_Unit(1, _wrapped(width, f"{number}. {event.text}: {_consequence(answer, event)}.", 4, 3)))
    return units


def _heading(answer: ClinicalWhyNotLike, width: int) -> _Unit:
    who = answer.patient_id or "(no id)"
    when = answer.as_of.isoformat() if answer.as_of else "no date"
    return _Unit(0, _wrapped(width, f"Why not {answer.output} {answer.code}? Patient {who}, as of {when}", 0))


def _absent_units(answer: ClinicalWhyNotLike, width: int) -> list[_Unit]:
    ways = "one way, not met here" if len(answer.not_met) == 1 else f"{len(answer.not_met)} ways, none met here"
    status = f"The patient did not get {answer.code}. The document gives it {ways}:"
    units = [_heading(answer, width), _Unit(0, _wrapped(width, status, 2))]
    for index, way in enumerate(answer.not_met):
        # A way is said with the first thing it lacks, or not at all.
        first = [line for sentence in way.lacking[:1] for line in _wrapped(width, sentence, 4, 2)]
        said = _Unit(2 + 3 * index, _wrapped(width, f"- {way.way}", 2, 2) + first, way=True)
        units.append(said)
        for number, sentence in enumerate(way.lacking[1:], 1):
            units.append(_Unit(3 + 3 * index + number, _wrapped(width, sentence, 4, 2), needs=said))
    return units


def _present_units(answer: ClinicalWhyNotLike, width: int) -> list[_Unit]:
    units = [_heading(answer, width)]
    item = answer.item
    summary = item.summary if item is not None else ""
    units.append(_Unit(0, _wrapped(width, f"The patient has {answer.code} after all: {summary}", 2, 4)))
    reason = answer.because
    if reason is not None:
        units.append(_Unit(2, _wrapped(width, f"Given because: {reason.description}", 2, 4)))
        if reason.absent:
            units.append(_Unit(3, _wrapped(width, f"Not in the record: {'; '.join(reason.absent)}.", 4, 2)))
        if reason.findings:
            decided = "; ".join(str(finding) for finding in reason.findings)
            units.append(_Unit(4, _wrapped(width, f"Decided by: {decided}.", 4, 2)))
    return units


def render_clinical_why_not(answer: ClinicalWhyNotLike, width: int) -> str:
    """The text of :meth:`WhyNot.to_text` for a clinician: at most :data:`MAX_LINES` lines, at any width."""
    said = _present_units(answer, width) if answer.present else _absent_units(answer, width)
    events = _event_units(answer, width)
    reserve = 0
    while True:  # the line saying how many ways were left out needs room too
        kept = _fit([*said, *events], MAX_LINES - reserve)
        left_out = sum(1 for unit in said if unit.way and unit not in kept)
        text = f"- and {left_out} more way{'s' if left_out != 1 else ''}, none met (the engine account lists them)."
        more = _wrapped(width, text, 2, 2) if left_out else []
        if len(more) <= reserve:
            break
        reserve = len(more)
    lines = [line for unit in said if unit in kept for line in unit.lines]
    lines += more + [line for unit in events if unit in kept for line in unit.lines]
    return "\n".join(lines).rstrip() + "\n"


def _fit(units: list[_Unit], budget: int) -> list[_Unit]:
    """The units kept: by priority, then in display order, while the lines fit the budget."""
    kept: list[_Unit] = []
    used = 0
    for _, unit in sorted(enumerate(units), key=lambda pair: (pair[1].priority, pair[0])):
        if used + len(unit.lines) <= budget and (unit.needs is None or unit.needs in kept):
            kept.append(unit)
            used += len(unit.lines)
    return kept

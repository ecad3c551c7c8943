"""Concordance: whether, and how soon, the record shows the document's advice carried out.

An *episode* is a run of consecutive steps in which one treatment
recommendation keeps an action that asks for something new (``start``,
``increase``, ``switch``, ``add``, ``consider``). A therapy carries it out
when it is the first therapy of the matching kind started on or after the
episode's first day. Starts of osimertinib 160 mg, intrathecal pemetrexed or
platinum that carry out no episode, and continue no standing recommendation,
are reported as ``not-indicated``. The readings are on the "Patient course
and audit" page (docs/course.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs

from lmtx.model import Agent, Patient, Route, Therapy, TherapyStatus

__all__ = [
    "EPISODE_ACTIONS",
    "STATUSES",
    "CarriedOut",
    "ConcordanceEntry",
    "Status",
    "carried_out_by",
    "concordance",
]

Status: TypeAlias = Literal["followed", "open", "lapsed", "not-indicated"]
"""How an episode (or an unprompted start) ended up."""

STATUSES: tuple[Status, ...] = ("followed", "open", "lapsed", "not-indicated")
"""Every status, in the order reports list them."""

EPISODE_ACTIONS = frozenset({"start", "increase", "switch", "add", "consider"})
"""Actions that ask for something new; maintenance actions (``continue``, ``perform``) make no episode."""

CarriedOut: TypeAlias = Callable[[Therapy], bool]
"""A test of whether a therapy carries out a recommendation."""


def _osimertinib(therapy: Therapy, *, high: bool) -> bool:
    dose = therapy.dose_mg
    return therapy.agent is Agent.OSIMERTINIB and dose is not None and (dose >= 160) is high


def _intrathecal_pemetrexed(therapy: Therapy) -> bool:
    return therapy.agent is Agent.PEMETREXED and therapy.route is Route.INTRATHECAL


def _platinum(therapy: Therapy) -> bool:
    return therapy.agent in (Agent.CARBOPLATIN, Agent.CISPLATIN)


carried_out_by: Mapping[str, CarriedOut] = {
    "osimertinib-160": lambda t: _osimertinib(t, high=True),
    "osimertinib-80": lambda t: _osimertinib(t, high=False),
    "it-pemetrexed": _intrathecal_pemetrexed,
    "platinum-pemetrexed": _platinum,
}
"""The recommendation codes that make episodes, each with the test of a therapy that carries it out."""

_UNPROMPTED = ("osimertinib-160", "it-pemetrexed", "platinum-pemetrexed")
"""Codes whose therapies are reported when started without an indication (osimertinib below 160 mg is not)."""


@attrs.frozen
class ConcordanceEntry:
    """One episode of a recommendation, or one start that no recommendation asked for.

    Attributes:
        code: The recommendation code (for a ``not-indicated`` start: the one it would have carried out).
        action: The episode's action; ``None`` for a ``not-indicated`` start.
        indicated_from: The first step of the episode; ``None`` for a ``not-indicated`` start.
        indicated_until: The last step of the episode; ``None`` for a ``not-indicated`` start.
        acted_on: The start of the therapy that carried it out, if any.
        lag_days: ``acted_on`` minus ``indicated_from``, in days, when both are known.
        status: ``followed``, ``open``, ``lapsed`` or ``not-indicated``.
    """

    code: str
    action: str | None
    indicated_from: dt.date | None
    indicated_until: dt.date | None
    acted_on: dt.date | None
    lag_days: int | None
    status: Status

    def to_dict(self) -> dict[str, Any]:
        """The entry in the wire format (JSON-compatible, dates as ISO strings)."""
        return {
            "code": self.code,
            "action": self.action,
            "indicated_from": _iso(self.indicated_from),
            "indicated_until": _iso(self.indicated_until),
            "acted_on": _iso(self.acted_on),
            "lag_days": self.lag_days,
            "status": self.status,
        }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


StepActions: TypeAlias = tuple[dt.date | None, Mapping[str, str]]
"""One step as concordance reads it: its date and its recommendations (code -> action)."""


def concordance(patient: Patient, steps: Sequence[StepActions]) -> tuple[ConcordanceEntry, ...]:
    """The episodes of a course and the starts no recommendation asked for.

    Args:
        patient: The whole record (its therapies are what was done).
        steps: Each step's date and recommendations, in date order.

    Returns:
        The entries ordered by (``indicated_from`` or ``acted_on``, ``code``);
        entries with equal keys keep the order in which they were found.
    """
    dated = [(day, actions) for day, actions in steps if day is not None]
    started = sorted(
        (
            (t.start, position, t)
            for position, t in enumerate(patient.therapies)
            if t.status is not TherapyStatus.PLANNED and t.start is not None
        ),
        key=lambda item: (item[0], item[1]),
    )
    entries: list[ConcordanceEntry] = []
    used: set[int] = set()
    for code, action, first, last in _episodes(dated):
        carries = carried_out_by[code]
        match = next(((d, p) for d, p, t in started if d >= first and carries(t)), None)
        if match is not None:
            used.add(match[1])
            entries.append(ConcordanceEntry(code, action, first, last, match[0], (match[0] - first).days, "followed"))
        else:
            status: Status = "open" if last == dated[-1][0] else "lapsed"
            entries.append(ConcordanceEntry(code, action, first, last, None, None, status))
    for day, position, therapy in started:
        unprompted = next((c for c in _UNPROMPTED if carried_out_by[c](therapy)), None)
        if unprompted is None or position in used or _standing(unprompted, day, dated):
            continue
        entries.append(ConcordanceEntry(unprompted, None, None, None, day, None, "not-indicated"))
    return tuple(sorted(entries, key=lambda e: (e.indicated_from or e.acted_on or dt.date.min, e.code)))


def _episodes(steps: Sequence[tuple[dt.date, Mapping[str, str]]]) -> list[tuple[str, str, dt.date, dt.date]]:
    """Maximal runs of consecutive steps in which a code keeps one episode action: (code, action, first, last)."""
    episodes: list[tuple[str, str, dt.date, dt.date]] = []
    running: dict[str, tuple[str, dt.date, dt.date]] = {}
    for day, actions in steps:
        for code in list(running):
            action, first, last = running[code]
            if actions.get(code) != action:
                episodes.append((code, action, first, last))
                del running[code]
        for code, action in actions.items():
            if code not in carried_out_by or action not in EPISODE_ACTIONS:
                continue
            if code in running:
                action_then, first, _ = running[code]
                running[code] = (action_then, first, day)
            else:
                running[code] = (action, day, day)
    episodes.extend((code, action, first, last) for code, (action, first, last) in running.items())
    return episodes


def _standing(code: str, day: dt.date, steps: Sequence[tuple[dt.date, Mapping[str, str]]]) -> bool:
    """Whether the latest step before ``day`` already recommended ``code`` (a new course of what continues)."""
    before = [actions for step_day, actions in steps if step_day < day]
    return bool(before) and code in before[-1]

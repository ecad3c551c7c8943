"""Concordance: whether, and how soon, the record shows the document's advice carried out.

An *episode* is a run of consecutive steps in which one treatment
recommendation keeps an action that asks for something new (``start``,
``increase``, ``switch``, ``add``, ``consider``; for
``osimertinib-tolerated``, ``resume`` alone, and not on a step where another
EGFR TKI is active). Maintenance advice (``continue``, ``hold``, ``review``)
makes none. A therapy carries an episode out when it is the first therapy of
the matching kind started on or after the episode's first day. For the two
osimertinib dose codes, consecutive runs of ``start``, ``switch`` and
``increase`` are one episode (bringing the patient onto osimertinib at that
dose is one decision). Starts of osimertinib 160 mg, intrathecal pemetrexed
or platinum that carry out no episode are reported as ``not-indicated`` only
when the patient was applicable with LM established on the start day and the
step before did not already recommend the code (any action: a further
intrathecal course while ``hold`` stands is the team's call) nor, for
osimertinib 160 mg, ``osimertinib-tolerated`` (re-escalation is the team's
decision). An episode that opens while the patient is applicable only
through brain metastases without a date is flagged ``undated_basis``. The
readings are on the "Patient course and audit" page (docs/course.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs

from lmtx.drugs import PLATINUM
from lmtx.model import Agent, Patient, Route, Therapy, TherapyStatus

__all__ = [
    "EPISODE_ACTIONS",
    "STATUSES",
    "CarriedOut",
    "ConcordanceEntry",
    "CourseStep",
    "Status",
    "carried_out_by",
    "concordance",
    "episode_actions",
]

Status: TypeAlias = Literal["followed", "open", "lapsed", "not-indicated"]
"""How an episode (or an unprompted start) ended up."""

STATUSES: tuple[Status, ...] = ("followed", "open", "lapsed", "not-indicated")
"""Every status, in the order reports list them."""

EPISODE_ACTIONS = frozenset({"start", "increase", "switch", "add", "consider"})
"""Actions that ask for something new; maintenance actions (``continue``, ``perform``, ``hold``) make no episode."""

_TOLERATED = "osimertinib-tolerated"
"""Osimertinib at the highest dose the patient tolerates (after a toxicity stop or a reduction)."""

CarriedOut: TypeAlias = Callable[[Therapy], bool]
"""A test of whether a therapy carries out a recommendation."""


def _osimertinib(therapy: Therapy, *, high: bool) -> bool:
    """Osimertinib of the 160 mg regimen (160 mg or more once a day) when ``high``, any other osimertinib if not."""
    dose = therapy.dose_mg
    if therapy.agent is not Agent.OSIMERTINIB or dose is None:
        return False
    return (dose >= 160 and (therapy.interval_days or 1) == 1) is high


def _intrathecal_pemetrexed(therapy: Therapy) -> bool:
    return therapy.agent is Agent.PEMETREXED and therapy.route is Route.INTRATHECAL


def _platinum(therapy: Therapy) -> bool:
    return therapy.agent in PLATINUM


def _any_osimertinib(therapy: Therapy) -> bool:
    return therapy.agent is Agent.OSIMERTINIB


carried_out_by: Mapping[str, CarriedOut] = {
    "osimertinib-160": lambda t: _osimertinib(t, high=True),
    "osimertinib-80": lambda t: _osimertinib(t, high=False),
    "it-pemetrexed": _intrathecal_pemetrexed,
    "platinum-pemetrexed": _platinum,
    _TOLERATED: _any_osimertinib,
}
"""The recommendation codes that make episodes, each with the test of a therapy that carries it out."""

episode_actions: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(("osimertinib-160", "osimertinib-80", "it-pemetrexed", "platinum-pemetrexed"), EPISODE_ACTIONS),
    # Giving osimertinib again after a toxicity stop is advice to act; keeping the tolerated dose
    # (``continue``) and a specialist's review (``review``) are not.
    _TOLERATED: frozenset({"resume"}),
}
"""The actions of each code of :data:`carried_out_by` that make episodes."""

_MERGED_CODES = frozenset({"osimertinib-160", "osimertinib-80"})
"""Codes whose consecutive runs of :data:`_MERGED_ACTIONS` are one episode."""

_MERGED_ACTIONS = frozenset({"start", "switch", "increase"})
"""The actions that bring a patient onto osimertinib at a dose: one decision, whichever TKI ran before."""

_ESTABLISHED = frozenset({"confirmed", "probable"})
"""LM statuses that establish LM."""

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
        actions: The action of each run the episode is made of, in order (one for most episodes; for the
            osimertinib codes a run of ``switch`` then ``start`` is one episode); empty for a
            ``not-indicated`` start.
        undated_basis: Whether the episode opened on a step where the patient was applicable only
            through brain metastases without a date (LM not established); the audit keeps such
            episodes out of its lags.
    """

    code: str
    action: str | None
    indicated_from: dt.date | None
    indicated_until: dt.date | None
    acted_on: dt.date | None
    lag_days: int | None
    status: Status
    actions: tuple[str, ...] = ()
    undated_basis: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The entry in the wire format (JSON-compatible, dates as ISO strings).

        ``actions`` is present on an episode that joins several runs (the osimertinib codes: a switch
        then a start, say), and ``undated_basis`` (always ``true``) only on an episode that rests on
        undated brain metastases.
        """
        wire: dict[str, Any] = {
            "code": self.code,
            "action": self.action,
            "indicated_from": _iso(self.indicated_from),
            "indicated_until": _iso(self.indicated_until),
            "acted_on": _iso(self.acted_on),
            "lag_days": self.lag_days,
            "status": self.status,
        }
        if len(self.actions) > 1:
            wire["actions"] = list(self.actions)
        if self.undated_basis:
            wire["undated_basis"] = True
        return wire


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


@attrs.frozen
class CourseStep:
    """One step as concordance reads it.

    Attributes:
        date: The day (``None`` only for a record without any date).
        recommendations: Code -> action, that day.
        applicable: Whether the algorithm applied that day.
        lm_status: The LM status that day.
        other_egfr_tki_active: Whether an EGFR TKI other than osimertinib was active that day (a
            ``resume`` of ``osimertinib-tolerated`` makes no episode then; a planned one does not count).
    """

    date: dt.date | None
    recommendations: Mapping[str, str]
    applicable: bool = True
    lm_status: str = "confirmed"
    other_egfr_tki_active: bool = False

    @property
    def established(self) -> bool:
        """Applicable with LM established (confirmed or probable): inside the document's algorithm for LM."""
        return self.applicable and self.lm_status in _ESTABLISHED

    @property
    def advice_to_act(self) -> dict[str, str]:
        """The recommendations of the day that make episodes: code -> action."""
        return {
            code: action
            for code, action in self.recommendations.items()
            if action in episode_actions.get(code, ())
            and not (code == _TOLERATED and action == "resume" and self.other_egfr_tki_active)
        }


_Run = tuple[str, str, int, int]
"""One run of a code with one episode action: (code, action, first step index, last step index)."""


StepActions: TypeAlias = tuple[dt.date | None, Mapping[str, str]]
"""A step as earlier versions passed it: its date and its recommendations (read as in scope with LM established)."""


def concordance(patient: Patient, steps: Sequence[CourseStep | StepActions]) -> tuple[ConcordanceEntry, ...]:
    """The episodes of a course and the starts no recommendation asked for.

    Args:
        patient: The whole record (its therapies are what was done).
        steps: The steps, in date order; a ``(date, recommendations)`` pair is read as a step in scope
            with LM established.

    Returns:
        The entries ordered by (``indicated_from`` or ``acted_on``, ``code``);
        entries with equal keys keep the order in which they were found.
    """
    views = [step if isinstance(step, CourseStep) else CourseStep(step[0], step[1]) for step in steps]
    dated = [step for step in views if step.date is not None]
    days: list[dt.date] = [step.date for step in dated if step.date is not None]
    undated = patient.brain_metastases and patient.brain_metastases_date is None
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
    for code, actions, first_index, last_index in _episodes(dated):
        first, last = days[first_index], days[last_index]
        opening = dated[first_index]
        basis = undated and opening.applicable and opening.lm_status not in _ESTABLISHED
        carries = carried_out_by[code]
        match = next(((d, p) for d, p, t in started if d >= first and carries(t)), None)
        if match is not None:
            used.add(match[1])
            lag = (match[0] - first).days
            entries.append(ConcordanceEntry(code, actions[0], first, last, match[0], lag, "followed", actions, basis))
        else:
            status: Status = "open" if last_index == len(dated) - 1 else "lapsed"
            entries.append(ConcordanceEntry(code, actions[0], first, last, None, None, status, actions, basis))
    for day, position, therapy in started:
        unprompted = next((c for c in _UNPROMPTED if carried_out_by[c](therapy)), None)
        if unprompted is None or position in used or not _outside_advice(unprompted, day, dated):
            continue
        entries.append(ConcordanceEntry(unprompted, None, None, None, day, None, "not-indicated"))
    return tuple(sorted(entries, key=lambda e: (e.indicated_from or e.acted_on or dt.date.min, e.code)))


def _runs(steps: Sequence[CourseStep]) -> list[_Run]:
    """Maximal runs of consecutive steps in which a code keeps one episode action, in the order they end."""
    runs: list[_Run] = []
    running: dict[str, tuple[str, int, int]] = {}
    for index, step in enumerate(steps):
        actions = step.advice_to_act
        for code in list(running):
            action, first, last = running[code]
            if actions.get(code) != action:
                runs.append((code, action, first, last))
                del running[code]
        for code, action in actions.items():
            if code in running:
                action_then, first, _ = running[code]
                running[code] = (action_then, first, index)
            else:
                running[code] = (action, index, index)
    runs.extend((code, action, first, last) for code, (action, first, last) in running.items())
    return runs


def _episodes(steps: Sequence[CourseStep]) -> list[tuple[str, tuple[str, ...], int, int]]:
    """The episodes: runs, with consecutive osimertinib runs of start/switch/increase joined into one.

    Returns:
        (code, the actions of its runs in order, first step index, last step index) per episode.
    """
    episodes: list[tuple[str, tuple[str, ...], int, int]] = []
    joinable: dict[str, int] = {}  # code -> position in ``episodes`` of its latest joinable episode
    for code, action, first, last in sorted(_runs(steps), key=lambda run: (run[2], run[0])):
        held = joinable.get(code)
        if code in _MERGED_CODES and action in _MERGED_ACTIONS and held is not None:
            _, actions, start, end = episodes[held]
            if end + 1 == first:
                episodes[held] = (code, (*actions, action), start, last)
                continue
        if code in _MERGED_CODES and action in _MERGED_ACTIONS:
            joinable[code] = len(episodes)
        else:
            joinable.pop(code, None)
        episodes.append((code, (action,), first, last))
    return episodes


def _outside_advice(code: str, day: dt.date, steps: Sequence[CourseStep]) -> bool:
    """Whether a start on ``day`` went against the document's advice (to be reported ``not-indicated``).

    Only a start on a day the patient is applicable with LM established can be: before that, what was
    given (chemotherapy for systemic disease, say) is outside the document's algorithm. And never when the
    step before already recommended the code, with any action (a further course of what continues, or
    of what is on hold), nor a start of the 160 mg regimen when it recommended ``osimertinib-tolerated``
    (raising the tolerated dose again is the treating team's decision).
    """
    on_day = next((step for step in steps if step.date == day), None)
    if on_day is None or not on_day.established:
        return False
    before = [step for step in steps if step.date is not None and step.date < day]
    standing = before[-1].recommendations if before else {}
    return code not in standing and not (code == "osimertinib-160" and _TOLERATED in standing)

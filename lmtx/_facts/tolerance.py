"""The highest tolerable dose of osimertinib and the osimertinib run (S25; docs/interpretation.md#tolerable-dose).

S25: "dose modifications may be necessary based on toxicity, but maintaining
the highest tolerable dose of osimertinib is important for CNS control". The
readings that say what the record shows about tolerance are aggregates over
the whole record (whether a stop was for toxicity, whether it still stands,
the lowest dose stopped, where a regimen recorded in pieces begins), so they
are made here, once per record, and carried to the rules as plain fields:

- a *linked toxicity* of an osimertinib therapy is one of grade 3 or more
  whose agents (:mod:`lmtx._facts.links`) include it, dated from 42 days
  before its end to 7 days after it (without an end: in the 42 days before
  the evaluation date; an undated one counts);
- a *toxicity stop* is an osimertinib (a) stopped or completed with
  ``stop_reason`` ``toxicity`` (unless every toxicity around its end was
  attributed by the team to other agents only), or (b) stopped with a linked
  toxicity and either (b1) no reason or ``dose-change`` and followed within 7
  days by a lower dose, or (b2) no reason and never followed by the same or a
  higher dose;
- it *stands* until a dose at or above its daily dose (its *limit*) is active
  or begun on or after its end; the *tolerance limit* is the lowest limit of
  the standing stops;
- a regimen recorded in pieces is read backwards from its last piece: each
  piece begun after the previous one's start and no later than 7 days after
  its end (21 days after a toxicity stop, the label's withhold). The *chain*
  of the 160 mg regimen links 160 mg daily pieces; the chain of a regimen
  below the limit (the *primary regimen*) also links pieces begun after the
  start of a standing stop; the *run* links every osimertinib, whatever its
  dose, and its *run date* is its first 160 mg daily start, else the later of
  its first start and the LM diagnosis.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence

import attrs

from lmtx._facts.common import AROUND_DAYS, RESUME_DAYS
from lmtx._facts.links import Link, toxicity_links
from lmtx._facts.readings import lm_diagnosis
from lmtx._facts.therapies import is_dose_change, is_high_dose_daily
from lmtx.drugs import Agent, daily_dose
from lmtx.model import Patient, StopReason, Therapy, TherapyStatus, Toxicity

__all__ = [
    "AFTER_TOXICITY_DAYS",
    "LINKED_AFTER_END_DAYS",
    "LOWEST_LABEL_DOSE_MG",
    "Tolerance",
    "canonical",
    "read_tolerance",
]

AFTER_TOXICITY_DAYS = 21
"""How long osimertinib may be withheld after a toxicity stop and still be the same regimen (the label's limit)."""
LINKED_AFTER_END_DAYS = 7
"""How long after an osimertinib's end a toxicity may still be linked to it."""
LOWEST_LABEL_DOSE_MG = 40
"""The label's only reduced dose of osimertinib: no lower one exists."""


@attrs.frozen
class Tolerance:
    """What one record shows about tolerance of osimertinib, by the index of each therapy in the record.

    Attributes:
        links: Every toxicity's agents (:func:`lmtx._facts.links.toxicity_links`).
        linked: The linked toxicities (grade 3 or more) of each osimertinib therapy, by index.
        toxicity_stops: The toxicity stops.
        blamed_elsewhere: Stopped for toxicity, but every toxicity around the end was attributed to other agents.
        standing: The standing toxicity stops.
        limit: The tolerance limit (the lowest limit of the standing stops), in mg a day.
        stop_kind: For each osimertinib that is stopped (or completed for toxicity): ``standing``,
            ``dose-change`` (a change of dose, docs/interpretation.md#stopped-osimertinib) or ``real``.
        chain_start: The start of the 160 mg chain ending in each 160 mg daily piece.
        primary_start: The start of the chain ending in each osimertinib as a primary (or held) regimen.
        run_date: The run date of each osimertinib as the current one.
        high_chains: The pieces of the 160 mg chain ending in each 160 mg daily piece, in start order.
        primary_chains: The pieces of the chain ending in each osimertinib as a primary regimen, in start order.
        runs: The pieces of the run ending in each osimertinib, whatever their doses, in start order.
        held: The standing stop a withhold holds (ended in the last 21 days, none active), if any.
        review: Whether giving osimertinib again is a specialist's review rather than a resumption.
        overdue: The latest standing stop ended more than 21 days ago and no osimertinib was begun since.
    """

    links: tuple[Link, ...]
    linked: dict[int, tuple[int, ...]]
    toxicity_stops: frozenset[int]
    blamed_elsewhere: frozenset[int]
    standing: tuple[int, ...]
    limit: float | None
    stop_kind: dict[int, str]
    chain_start: dict[int, dt.date]
    primary_start: dict[int, dt.date]
    run_date: dict[int, dt.date]
    high_chains: dict[int, tuple[int, ...]]
    primary_chains: dict[int, tuple[int, ...]]
    runs: dict[int, tuple[int, ...]]
    held: int | None
    review: bool
    overdue: bool

    def linked_grade(self, index: int, toxicities: Sequence[Toxicity]) -> int:
        """The highest grade of the toxicities linked to a therapy (0 without one)."""
        return max((toxicities[x].grade for x in self.linked.get(index, ())), default=0)


def _window(toxicity: Toxicity, therapy: Therapy, as_of: dt.date | None) -> bool:
    """Dated from 42 days before the therapy's end to 7 days after it (no end: the 42 days before as_of)."""
    if toxicity.date is None:
        return True
    end = therapy.end or as_of
    if end is None:
        return False
    after = LINKED_AFTER_END_DAYS if therapy.end is not None else 0
    return end - dt.timedelta(days=AROUND_DAYS) <= toxicity.date <= end + dt.timedelta(days=after)


class _Reader:
    """The readings of one record, made once."""

    def __init__(self, patient: Patient, as_of: dt.date | None) -> None:
        self.therapies = patient.therapies
        self.toxicities = patient.toxicities
        self.as_of = as_of
        self.links = toxicity_links(patient.toxicities, patient.therapies, as_of)
        self.osimertinib = [i for i, t in enumerate(self.therapies) if t.agent is Agent.OSIMERTINIB]
        agents: dict[int, set[int]] = {}
        for link in self.links:
            agents.setdefault(link.toxicity, set()).add(link.therapy)
        self.agents = agents
        self.linked = {
            i: tuple(
                x
                for x, toxicity in enumerate(self.toxicities)
                if toxicity.grade >= 3 and i in agents.get(x, ()) and _window(toxicity, self.therapies[i], as_of)
            )
            for i in self.osimertinib
        }
        self.blamed_elsewhere = frozenset(i for i in self.osimertinib if self._blamed_elsewhere(i))
        self.stops = frozenset(i for i in self.osimertinib if self._is_toxicity_stop(i))
        self.standing = tuple(i for i in sorted(self.stops) if self._stands(i))

    def _others(self, index: int) -> list[Therapy]:
        return [self.therapies[j] for j in self.osimertinib if j != index]

    def _blamed_elsewhere(self, index: int) -> bool:
        therapy = self.therapies[index]
        if therapy.stop_reason is not StopReason.TOXICITY:
            return False
        around = [x for x in self.toxicities if _window(x, therapy, self.as_of)]
        return bool(around) and all(x.attributed_to and Agent.OSIMERTINIB not in x.attributed_to for x in around)

    def _is_toxicity_stop(self, index: int) -> bool:
        therapy = self.therapies[index]
        if therapy.start is None or therapy.status not in (TherapyStatus.STOPPED, TherapyStatus.COMPLETED):
            return False
        if therapy.stop_reason is StopReason.TOXICITY:
            return index not in self.blamed_elsewhere
        if therapy.status is not TherapyStatus.STOPPED or not self.linked[index]:
            return False
        dose = daily_dose(therapy)
        others = self._others(index)
        if therapy.stop_reason in (None, StopReason.DOSE_CHANGE) and any(
            daily_dose(o) < dose and self._follows_in_time(o, therapy) for o in others
        ):
            return True  # (b1) a reduction
        return therapy.stop_reason is None and not any(
            daily_dose(o) >= dose and ((o.start is None and o.status is TherapyStatus.PLANNED) or _after(o, therapy))
            for o in others
        )  # (b2) never given again at that dose

    @staticmethod
    def _follows_in_time(following: Therapy, stopped: Therapy) -> bool:
        """Begun after the stopped one began and no later than 7 days after its end (a plan without a start counts)."""
        if following.start is None:
            return following.status is TherapyStatus.PLANNED
        if stopped.start is None or stopped.end is None:
            return False
        return stopped.start < following.start <= stopped.end + dt.timedelta(days=RESUME_DAYS)

    def _stands(self, index: int) -> bool:
        stopped = self.therapies[index]
        dose = daily_dose(stopped)
        for other in self._others(index):
            if other.status is TherapyStatus.PLANNED or other.start is None or daily_dose(other) < dose:
                continue
            if other.status is TherapyStatus.ACTIVE:
                return False
            if (stopped.end is not None and other.start >= stopped.end) or (
                stopped.end is None and _after(other, stopped)
            ):
                return False
        return True

    def _links_into(self, earlier: int, later: int) -> bool:
        """Whether ``earlier`` continues into ``later`` (begun after it began, within 7 or 21 days of its end)."""
        before, after = self.therapies[earlier], self.therapies[later]
        if before.start is None or after.start is None or before.end is None:
            return False
        allowed = AFTER_TOXICITY_DAYS if earlier in self.stops else RESUME_DAYS
        return before.start < after.start <= before.end + dt.timedelta(days=allowed)

    def chain(self, index: int, link: Callable[[int], bool]) -> tuple[int, ...]:
        """The pieces linked backwards to ``index`` (each allowed by ``link``), with it, in start order."""
        pieces = [i for i in self.osimertinib if self.therapies[i].status is not TherapyStatus.PLANNED]
        found = {index}
        frontier = [index]
        while frontier:
            current = frontier.pop()
            for piece in pieces:
                if piece not in found and link(piece) and self._links_into(piece, current):
                    found.add(piece)
                    frontier.append(piece)
        return tuple(
            sorted(found, key=lambda i: (self.therapies[i].start or dt.date.max, canonical(self.therapies[i])))
        )

    def start_of(self, pieces: Sequence[int]) -> dt.date:
        return min(self.therapies[i].start or dt.date.max for i in pieces)


def canonical(therapy: Therapy) -> tuple[str, ...]:
    """A key that orders therapies by their content alone, never by their place in the record."""
    return tuple(str(v) for v in attrs.astuple(therapy))


def _after(therapy: Therapy, other: Therapy) -> bool:
    return therapy.start is not None and other.start is not None and therapy.start > other.start


def _stop_kind(index: int, reader: _Reader, standing: frozenset[int]) -> str:
    therapy = reader.therapies[index]
    if therapy.status is not TherapyStatus.STOPPED and not (
        therapy.status is TherapyStatus.COMPLETED and therapy.stop_reason is StopReason.TOXICITY
    ):
        return ""
    if index in standing:
        return "standing"
    if is_dose_change(therapy, reader.therapies):
        return "dose-change"
    return "real"


def _read(patient: Patient, as_of: dt.date | None) -> Tolerance:
    reader = _Reader(patient, as_of)
    therapies = reader.therapies
    standing = frozenset(reader.standing)
    limit = min((daily_dose(therapies[i]) for i in reader.standing), default=None)
    given = [i for i in reader.osimertinib if therapies[i].status is not TherapyStatus.PLANNED and therapies[i].start]

    def high(i: int) -> bool:
        return is_high_dose_daily(therapies[i])

    def after_a_standing_stop(i: int) -> bool:
        return high(i) or any(_after(therapies[i], therapies[s]) for s in reader.standing)

    diagnosis = lm_diagnosis(patient)
    chain_start: dict[int, dt.date] = {}
    primary_start: dict[int, dt.date] = {}
    run_date: dict[int, dt.date] = {}
    high_chains: dict[int, tuple[int, ...]] = {}
    primary_chains: dict[int, tuple[int, ...]] = {}
    runs: dict[int, tuple[int, ...]] = {}
    for i in given:
        high_chains[i] = reader.chain(i, high) if high(i) else (i,)
        chain_start[i] = reader.start_of(high_chains[i])
        primary_chains[i] = reader.chain(i, after_a_standing_stop)
        primary_start[i] = reader.start_of(primary_chains[i])
        run = runs[i] = reader.chain(i, lambda _: True)
        high_pieces = [p for p in run if high(p)]
        if high_pieces:
            run_date[i] = reader.start_of(high_pieces)
        else:
            first = reader.start_of(run)
            run_date[i] = max(first, diagnosis) if diagnosis is not None else first
    ended = [i for i in reader.standing if therapies[i].end is not None]
    latest = max(
        ended, key=lambda i: (therapies[i].end, daily_dose(therapies[i]), canonical(therapies[i])), default=None
    )
    overdue = False
    held = None
    if latest is not None and as_of is not None:
        end = therapies[latest].end
        assert end is not None
        given_since = any((therapies[i].start or dt.date.min) >= end for i in given if i != latest)
        overdue = (as_of - end).days > AFTER_TOXICITY_DAYS and not given_since
        active = any(therapies[i].status is TherapyStatus.ACTIVE for i in reader.osimertinib)
        recent = [i for i in ended if (as_of - (therapies[i].end or as_of)).days <= AFTER_TOXICITY_DAYS]
        if recent and not active:
            held = max(recent, key=lambda i: (therapies[i].end, daily_dose(therapies[i]), canonical(therapies[i])))
    severe = any(patient.toxicities[x].grade >= 4 for i in reader.standing for x in reader.linked[i])
    review = limit is not None and (limit <= LOWEST_LABEL_DOSE_MG or severe or overdue)
    return Tolerance(
        links=reader.links,
        linked=reader.linked,
        toxicity_stops=reader.stops,
        blamed_elsewhere=reader.blamed_elsewhere,
        standing=reader.standing,
        limit=limit,
        stop_kind={i: kind for i in reader.osimertinib if (kind := _stop_kind(i, reader, standing))},
        chain_start=chain_start,
        primary_start=primary_start,
        run_date=run_date,
        high_chains=high_chains,
        primary_chains=primary_chains,
        runs=runs,
        held=held,
        review=review,
        overdue=overdue,
    )


@functools.lru_cache(maxsize=256)  # the facts and the texts of one evaluation read the same record
def read_tolerance(patient: Patient, as_of: dt.date | None) -> Tolerance:
    """The readings of one record (docs/interpretation.md#tolerable-dose); see the module's docstring.

    Args:
        patient: A validated record.
        as_of: The evaluation date.
    """
    return _read(patient, as_of)

"""Which therapies a toxicity is linked to: the one reading of docs/interpretation.md#toxicity.

A toxicity's *agents* are read once per record, here, and carried to the
rules as ``link`` facts (one per toxicity and therapy). The toxicity alerts
and ``dose-modification`` name them; the highest tolerable dose
(:mod:`lmtx._facts.tolerance`) reads them to tell a stop for toxicity from
another stop; an intrathecal course is held for an event linked to an
intrathecal therapy. One definition for all three.

Let t be the toxicity's date, or the evaluation date when it has none. A
therapy is *given around* t when it is not planned, began on or before t, and
has no end or ended at most :data:`~lmtx._facts.common.AROUND_DAYS` days
before t. The agents are:

- with ``attributed_to``: for each attributed agent, its therapies given
  around t (for aseptic meningitis its intrathecal ones, when one of them is
  given around t); with none given around t, its latest therapies begun on or
  before t (all of those begun on that day); never a therapy begun after t;
- otherwise the therapies given around t that the reading links to its kind:
  rash - every EGFR TKI and amivantamab; aseptic meningitis - every
  intrathecal agent; cytopenias - every chemotherapy, osimertinib only when no
  chemotherapy is given around t; fatigue and ``other`` - every therapy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from lmtx._facts.common import AROUND_DAYS
from lmtx.drugs import Agent, DrugClass, Route, drug_class, effective_route
from lmtx.model import Therapy, TherapyStatus, Toxicity

__all__ = [
    "CYTOPENIAS",
    "MYELOSUPPRESSION",
    "Link",
    "counted_from",
    "given_around",
    "holds_injection",
    "intrathecal_events",
    "toxicity_links",
]

MYELOSUPPRESSION = frozenset({"anemia", "leukopenia", "neutropenia", "thrombocytopenia"})
"""The toxicity terms of myelosuppression (S22)."""
CYTOPENIAS = frozenset({"leukopenia", "neutropenia", "thrombocytopenia"})
"""The cytopenias that hold an intrathecal injection (docs/interpretation.md#combination); anaemia does not."""


@attrs.frozen
class Link:
    """A toxicity (by its index in the record) linked to a therapy (by its index), and on what basis.

    ``basis`` is ``attributed`` (the treating team attributed it to that agent) or
    ``reading`` (lmtx's reading links the therapy to the toxicity's kind).
    """

    toxicity: int
    therapy: int
    basis: str


def counted_from(toxicity: Toxicity, as_of: dt.date | None) -> dt.date | None:
    """The day a toxicity counts from: its date, else the evaluation date."""
    return toxicity.date or as_of


def given_around(therapy: Therapy, day: dt.date) -> bool:
    """Not planned, begun on or before ``day``, and no end or an end at most six weeks before it."""
    return (
        therapy.status is not TherapyStatus.PLANNED
        and therapy.start is not None
        and therapy.start <= day
        and (therapy.end is None or therapy.end >= day - dt.timedelta(days=AROUND_DAYS))
    )


def _read(term: str, therapies: Sequence[Therapy], day: dt.date) -> list[int]:
    """The therapies given around ``day`` that the reading links to a toxicity of ``term``."""
    around = [i for i, t in enumerate(therapies) if given_around(t, day)]
    if term == "rash":
        return [
            i
            for i in around
            if drug_class(therapies[i]) is DrugClass.EGFR_TKI or therapies[i].agent is Agent.AMIVANTAMAB
        ]
    if term == "aseptic_meningitis":
        return [i for i in around if effective_route(therapies[i]) is Route.INTRATHECAL]
    if term in MYELOSUPPRESSION:
        chemotherapy = [i for i in around if drug_class(therapies[i]) is DrugClass.CHEMOTHERAPY]
        return chemotherapy or [i for i in around if therapies[i].agent is Agent.OSIMERTINIB]
    return around


def _attributed(term: str, agent: Agent, therapies: Sequence[Therapy], day: dt.date) -> list[int]:
    """The therapies of one attributed agent that the toxicity is linked to (never one begun after it)."""
    begun = [
        i
        for i, t in enumerate(therapies)
        if t.agent is agent and t.status is not TherapyStatus.PLANNED and t.start is not None and t.start <= day
    ]
    around = [i for i in begun if given_around(therapies[i], day)]
    if around:
        if term == "aseptic_meningitis":
            intrathecal = [i for i in around if effective_route(therapies[i]) is Route.INTRATHECAL]
            return intrathecal or around
        return around
    if not begun:
        return []
    latest = max(therapies[i].start or dt.date.min for i in begun)
    return [i for i in begun if therapies[i].start == latest]


def toxicity_links(
    toxicities: Sequence[Toxicity], therapies: Sequence[Therapy], as_of: dt.date | None
) -> tuple[Link, ...]:
    """Every toxicity's agents, as links between record indices, in record order."""
    links: list[Link] = []
    for x, toxicity in enumerate(toxicities):
        day = counted_from(toxicity, as_of)
        if day is None:
            continue
        term = toxicity.term.value
        if toxicity.attributed_to:
            found = sorted({i for agent in toxicity.attributed_to for i in _attributed(term, agent, therapies, day)})
            links += [Link(x, i, "attributed") for i in found]
        else:
            links += [Link(x, i, "reading") for i in _read(term, therapies, day)]
    return tuple(links)


def intrathecal_events(therapies: Sequence[Therapy], links: Sequence[Link]) -> frozenset[int]:
    """The toxicities (by index) whose agents include an intrathecal therapy."""
    return frozenset(link.toxicity for link in links if effective_route(therapies[link.therapy]) is Route.INTRATHECAL)


def holds_injection(toxicity: Toxicity, intrathecal: bool) -> bool:
    """Whether a toxicity holds an intrathecal injection (docs/interpretation.md#combination).

    A grade 3 or more neutropenia, leukopenia or thrombocytopenia, whatever its agents (an
    injection needs adequate counts), or a grade 3 or more aseptic meningitis or ``other`` event
    whose agents include an intrathecal therapy (``intrathecal``). Anaemia does not hold.
    """
    term = toxicity.term.value
    return toxicity.grade >= 3 and (term in CYTOPENIAS or (intrathecal and term in ("aseptic_meningitis", "other")))

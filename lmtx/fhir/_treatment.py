"""Treatment in the record: active regimens merged, and adverse events' suspects read as agents.

Active regimens of one agent and route are one regimen (the latest start
wins, the other is reported). An adverse event's suspect entities become its
``attributed_to`` when each names one agent of a therapy in the record: by a
reference to a medication use, radiotherapy or Medication lmtx read, or by
the medication named in place; any other suspect is reported and left out.
"""

from __future__ import annotations

import datetime as dt

import attrs
from fhir.resources.R4B.codeableconcept import CodeableConcept

from lmtx.fhir._agents import agents_of
from lmtx.fhir._dosage import only_route
from lmtx.fhir._input import split_ref
from lmtx.fhir._report import Dated, Findings, MappingIssue, Suspect
from lmtx.model import Agent, Route, Therapy, TherapyStatus, Toxicity


def merge_therapies(found: Findings) -> list[Dated]:
    """Active regimens of one agent and route are one regimen: the latest start wins."""
    ordered = sorted(found.therapies, key=lambda d: (d.date or dt.date.max, d.source))
    active: dict[tuple[Agent, Route | None, str | None], Dated] = {}
    kept: list[Dated] = []
    for item in ordered:
        therapy: Therapy = item.value
        if therapy.status is not TherapyStatus.ACTIVE:
            kept.append(item)
            continue
        route = therapy.route or only_route(therapy.agent)
        # Two active `other` drugs are one regimen only when named alike (as lmtx checks it).
        key = (therapy.agent, route, therapy.name if therapy.agent is Agent.OTHER else None)
        previous = active.get(key)
        if previous is None:
            active[key] = item
            kept.append(item)
            continue
        same = attrs.evolve(previous.value, start=therapy.start) == therapy
        reason = (
            f"duplicate of the active {therapy.agent} regimen in {item.source}; read once"
            if same
            else f"another active {therapy.agent} regimen ({item.source}) started later; it replaces this one"
        )
        found.issues.append(MappingIssue(*split_ref(previous.source), "ambiguous", reason, "therapies"))
        kept[kept.index(previous)] = item
        active[key] = item
    return kept


def attributed(found: Findings, item: Dated, in_record: set[Agent]) -> Toxicity:
    """The toxicity with ``attributed_to``: its suspects read as agents of therapies in the record."""
    toxicity: Toxicity = item.value
    agents: list[Agent] = []
    for suspect in found.suspects.get(item.source, []):
        agent, why = _suspect_agent(found, suspect)
        if agent is not None and agent not in in_record:
            agent, why = None, f"no therapy of agent '{agent}' is in the record"
        if agent is None:
            found.issues.append(
                MappingIssue(
                    *split_ref(item.source),
                    "ambiguous",
                    f"suspect entity {suspect.label} unreadable: {why}; left out of attributed_to",
                    "toxicities",
                )
            )
        elif agent not in agents:
            agents.append(agent)
    return attrs.evolve(toxicity, attributed_to=tuple(agents)) if agents else toxicity


def _suspect_agent(found: Findings, suspect: Suspect) -> tuple[Agent | None, str]:
    """The agent a suspect entity names, or ``None`` with the reason."""
    reference = suspect.reference
    if reference is not None:
        agent = found.agents_by_ref.get(reference) or next(
            (a for key, a in found.agents_by_ref.items() if reference.endswith("/" + key)), None
        )
        if agent is not None:
            return agent, ""
        medication = found.medications.get(reference) or next(
            (m for key, m in found.medications.items() if reference.endswith("/" + key)), None
        )
        if medication is not None:
            return _one_agent(medication.code)
    concept: CodeableConcept | None = suspect.concept
    if concept is not None:
        return _one_agent(concept)
    if reference is not None:
        return None, "it names no medication or radiotherapy lmtx read"
    return None, "it names no drug"


def _one_agent(concept: CodeableConcept | None) -> tuple[Agent | None, str]:
    agents, text = agents_of(concept)
    if len(agents) == 1:
        return agents.pop(), ""
    if agents:
        return None, f"it names several agents ({', '.join(sorted(agents))})"
    return None, f"{text!r} is not a drug lmtx knows" if text else "it names no drug"

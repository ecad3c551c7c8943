"""What a drug is: agents, drug classes, routes, standard doses, daily doses, and a drug's name in text.

One home for drug knowledge, low in the house: the patient model, the
validation, the facts the rules match and the texts a clinician reads all
import it, and it imports none of them. A therapy is read here through the
small :class:`Dosed` protocol (the fields of :class:`lmtx.model.Therapy` it
needs), so this module never needs the record itself.

- **Agents and classes.** Every listed agent has a fixed drug class
  (:data:`AGENT_CLASSES`); an ``other`` drug takes its class from the record.
- **Routes.** The routes each agent is given by (:func:`allowed_routes`); an
  absent route is the agent's only route when it has one
  (:func:`effective_route`).
- **Standard doses.** The standard daily dose of each EGFR TKI, from its
  label or its approving agency (:data:`STANDARD_DAILY_DOSE`, with the source
  of each; docs/input-format.md#standard-doses).
- **Daily dose.** ``dose_mg`` per administration and ``interval_days`` between
  administrations; icotinib is given three times a day (:func:`daily_dose`).
- **Names.** How a drug is named in a sentence (:func:`drug_words`):
  ``intravenous pemetrexed 500 mg every 21 days``, ``'XY-101' (oral)``.
"""

from __future__ import annotations

import enum
from typing import Protocol

import attrs

__all__ = [
    "AGENT_CLASSES",
    "CHEMOTHERAPIES",
    "DOSE_REQUIRED",
    "DRUGS",
    "EGFR_TKIS",
    "PLATINUM",
    "STANDARD_DAILY_DOSE",
    "Agent",
    "Dosed",
    "DrugClass",
    "Route",
    "StandardDose",
    "above_standard_dose",
    "allowed_routes",
    "daily_dose",
    "drug_class",
    "drug_words",
    "effective_route",
    "mg",
    "standard_dose_words",
]


class Agent(enum.StrEnum):
    """Therapy agent. Each listed agent has a fixed drug class (:data:`AGENT_CLASSES`)."""

    OSIMERTINIB = "osimertinib"
    GEFITINIB = "gefitinib"
    ERLOTINIB = "erlotinib"
    AFATINIB = "afatinib"
    DACOMITINIB = "dacomitinib"
    ICOTINIB = "icotinib"
    LAZERTINIB = "lazertinib"
    AUMOLERTINIB = "aumolertinib"
    FURMONERTINIB = "furmonertinib"
    BEFOTERTINIB = "befotertinib"
    SUNVOZERTINIB = "sunvozertinib"
    PEMETREXED = "pemetrexed"
    CARBOPLATIN = "carboplatin"
    CISPLATIN = "cisplatin"
    DOCETAXEL = "docetaxel"
    PACLITAXEL = "paclitaxel"
    GEMCITABINE = "gemcitabine"
    TEMOZOLOMIDE = "temozolomide"
    METHOTREXATE = "methotrexate"
    CYTARABINE = "cytarabine"
    THIOTEPA = "thiotepa"
    BEVACIZUMAB = "bevacizumab"
    AMIVANTAMAB = "amivantamab"
    RADIOTHERAPY = "radiotherapy"
    OTHER = "other"


class DrugClass(enum.StrEnum):
    """The drug class of a drug: fixed for each listed agent, given for `other`.

    Radiotherapy is no drug and has no drug class (it is the agent
    `radiotherapy`).
    """

    EGFR_TKI = "egfr-tki"
    CHEMOTHERAPY = "chemotherapy"
    ANTIBODY = "antibody"
    OTHER = "other"


class Route(enum.StrEnum):
    """Route of administration."""

    ORAL = "oral"
    INTRAVENOUS = "intravenous"
    INTRATHECAL = "intrathecal"
    EXTERNAL_BEAM = "external_beam"


_TKIS: tuple[str, ...] = ("osimertinib", "gefitinib", "erlotinib", "afatinib", "dacomitinib", "icotinib", "lazertinib")
_TKIS += ("aumolertinib", "furmonertinib", "befotertinib", "sunvozertinib")
_CHEMOTHERAPIES: tuple[str, ...] = ("pemetrexed", "carboplatin", "cisplatin", "docetaxel", "paclitaxel", "gemcitabine")
_CHEMOTHERAPIES += ("temozolomide", "methotrexate", "cytarabine", "thiotepa")

AGENT_CLASSES: dict[Agent, DrugClass] = {
    **{Agent(name): DrugClass.EGFR_TKI for name in _TKIS},
    **{Agent(name): DrugClass.CHEMOTHERAPY for name in _CHEMOTHERAPIES},
    Agent.BEVACIZUMAB: DrugClass.ANTIBODY,
    Agent.AMIVANTAMAB: DrugClass.ANTIBODY,
}
"""The drug class of every listed drug; `other` takes its class from `Therapy.drug_class`."""

EGFR_TKIS: frozenset[Agent] = frozenset(agent for agent, cls in AGENT_CLASSES.items() if cls is DrugClass.EGFR_TKI)
"""The listed EGFR TKIs (osimertinib among them)."""
CHEMOTHERAPIES: frozenset[Agent] = frozenset(
    agent for agent, cls in AGENT_CLASSES.items() if cls is DrugClass.CHEMOTHERAPY
)
"""The listed chemotherapies."""
PLATINUM: frozenset[Agent] = frozenset({Agent.CARBOPLATIN, Agent.CISPLATIN})
"""The platinum agents (the document's "platinum-based chemotherapy", S09)."""
DRUGS: frozenset[Agent] = frozenset(Agent) - {Agent.RADIOTHERAPY, Agent.OTHER}
"""The listed drugs: each may carry ``dose_mg`` (> 0) and ``interval_days``."""
DOSE_REQUIRED: frozenset[Agent] = frozenset({Agent.OSIMERTINIB})
"""Agents whose ``dose_mg`` the rules read: it is required."""

_ORAL = frozenset({Route.ORAL})
_INTRAVENOUS = frozenset({Route.INTRAVENOUS})
_IV_OR_IT = frozenset({Route.INTRATHECAL, Route.INTRAVENOUS})
_ROUTES: dict[Agent, frozenset[Route]] = {
    **dict.fromkeys(EGFR_TKIS, _ORAL),
    Agent.TEMOZOLOMIDE: _ORAL,
    **dict.fromkeys((Agent.DOCETAXEL, Agent.PACLITAXEL, Agent.GEMCITABINE), _INTRAVENOUS),
    **dict.fromkeys((Agent.CARBOPLATIN, Agent.CISPLATIN), _INTRAVENOUS),
    **dict.fromkeys((Agent.BEVACIZUMAB, Agent.AMIVANTAMAB), _INTRAVENOUS),
    **dict.fromkeys((Agent.PEMETREXED, Agent.METHOTREXATE, Agent.CYTARABINE, Agent.THIOTEPA), _IV_OR_IT),
    Agent.RADIOTHERAPY: frozenset({Route.EXTERNAL_BEAM}),
    Agent.OTHER: frozenset(Route),
}


@attrs.frozen
class StandardDose:
    """The standard daily dose of an EGFR TKI, and where it comes from.

    Attributes:
        daily_mg: The standard dose in mg a day.
        administrations: How many administrations a day make it (icotinib: three).
        source: The label or approving agency it is taken from.
    """

    daily_mg: float
    source: str
    administrations: int = 1


STANDARD_DAILY_DOSE: dict[Agent, StandardDose] = {
    Agent.GEFITINIB: StandardDose(250, "Iressa (gefitinib) label: FDA prescribing information, EMA"),
    Agent.ERLOTINIB: StandardDose(150, "Tarceva (erlotinib) label, NSCLC: FDA prescribing information"),
    Agent.ICOTINIB: StandardDose(375, "Conmana (icotinib), approved in China by the NMPA: 125 mg three times a day", 3),
    Agent.AFATINIB: StandardDose(40, "Gilotrif / Giotrif (afatinib) label: FDA prescribing information, EMA"),
    Agent.DACOMITINIB: StandardDose(45, "Vizimpro (dacomitinib) label: FDA prescribing information"),
    Agent.OSIMERTINIB: StandardDose(80, "Tagrisso (osimertinib) label: FDA prescribing information, EMA"),
    Agent.LAZERTINIB: StandardDose(240, "Lazcluze (lazertinib) label: FDA prescribing information"),
    Agent.AUMOLERTINIB: StandardDose(110, "Ameile (aumolertinib), approved in China by the NMPA"),
    Agent.FURMONERTINIB: StandardDose(80, "Ivesa (furmonertinib), approved in China by the NMPA"),
    Agent.BEFOTERTINIB: StandardDose(100, "Befotertinib, approved in China by the NMPA"),
    Agent.SUNVOZERTINIB: StandardDose(
        300,
        "Sunvozertinib: 300 mg a day as approved in China by the NMPA; the FDA label (Zegfrovy) gives 200 mg. "
        "lmtx uses the highest approved dose",
    ),
}
"""The standard daily dose of each listed EGFR TKI, with its source (docs/input-format.md#standard-doses)."""


class Dosed(Protocol):
    """What drug knowledge reads of a therapy (:class:`lmtx.model.Therapy` has it all)."""

    @property
    def agent(self) -> Agent:
        """The agent."""

    @property
    def route(self) -> Route | None:
        """The route as recorded."""

    @property
    def drug_class(self) -> DrugClass | None:
        """The class recorded for an `other` drug."""

    @property
    def name(self) -> str | None:
        """What the record calls the drug."""

    @property
    def dose_mg(self) -> float | None:
        """The dose per administration."""

    @property
    def interval_days(self) -> int | None:
        """Days between administrations."""


def drug_class(therapy: Dosed) -> DrugClass | None:
    """The therapy's drug class: the agent's own, or an `other` drug's `drug_class`.

    ``None`` for radiotherapy and for an `other` drug of unknown class.
    """
    return AGENT_CLASSES.get(therapy.agent, therapy.drug_class)


def allowed_routes(agent: Agent) -> frozenset[Route]:
    """The routes lmtx accepts for an agent."""
    return _ROUTES[agent]


def effective_route(therapy: Dosed) -> Route | None:
    """The therapy's route: as given, or the agent's only route when omitted."""
    if therapy.route is not None:
        return therapy.route
    routes = _ROUTES[therapy.agent]
    return next(iter(routes)) if len(routes) == 1 else None


def _administrations_a_day(therapy: Dosed) -> int:
    """How many administrations make one day's dose on the agent's usual schedule (icotinib: three)."""
    if therapy.interval_days is not None:
        return 1  # one administration every ``interval_days`` days
    standard = STANDARD_DAILY_DOSE.get(therapy.agent)
    return standard.administrations if standard is not None else 1


def daily_dose(therapy: Dosed) -> float:
    """The dose a day in mg: ``dose_mg / interval_days`` (0 without a dose; an absent interval is daily).

    Icotinib is given three times a day: without ``interval_days`` its ``dose_mg`` is one of
    three daily administrations (daily dose 3 x ``dose_mg``); with ``interval_days`` n it is one
    dose every n days (docs/input-format.md#standard-doses).

    Args:
        therapy: A therapy (any object with the fields of :class:`Dosed`).
    """
    return (therapy.dose_mg or 0.0) * _administrations_a_day(therapy) / (therapy.interval_days or 1)


def above_standard_dose(therapy: Dosed) -> bool:
    """Whether an EGFR TKI is given above its standard daily dose (docs/input-format.md#standard-doses).

    Above it when a ``dose_mg`` is recorded and either the daily dose or the dose per
    administration is above the standard daily dose: a pulsatile schedule such as erlotinib
    1500 mg every 7 days is above it. Never for a drug without a standard dose (an ``other``
    drug of class ``egfr-tki``) or without a recorded dose.

    Args:
        therapy: A therapy (any object with the fields of :class:`Dosed`).
    """
    standard = STANDARD_DAILY_DOSE.get(therapy.agent)
    if standard is None or therapy.dose_mg is None:
        return False
    return daily_dose(therapy) > standard.daily_mg or therapy.dose_mg > standard.daily_mg


def standard_dose_words(therapy: Dosed) -> str:
    """An EGFR TKI's dose against its standard dose, in words: ``below its standard dose of 250 mg a day``.

    ``dose not recorded`` without a ``dose_mg``; for a drug lmtx knows no standard dose of (an
    ``other`` drug of class ``egfr-tki``), says so, never calling its dose standard.

    Args:
        therapy: A therapy (any object with the fields of :class:`Dosed`).
    """
    standard = STANDARD_DAILY_DOSE.get(therapy.agent)
    if standard is None:
        return "lmtx knows no standard dose for it"
    if therapy.dose_mg is None:
        return "dose not recorded"
    usual = f"{mg(standard.daily_mg)} mg a day"
    if standard.administrations > 1:
        usual += f", as {mg(standard.daily_mg / standard.administrations)} mg {_TIMES[standard.administrations]} a day"
    if above_standard_dose(therapy):
        return f"above its standard dose of {usual}"
    if daily_dose(therapy) < standard.daily_mg:
        return f"below its standard dose of {usual}"
    return f"its standard dose of {usual}"


_TIMES = {2: "twice", 3: "three times"}


def mg(dose: float) -> str:
    """A dose in mg as a clinician writes it: ``160``, ``37.5``."""
    # Ten significant digits: a dose just below 160 mg (159.9995) must never read as 160.
    return f"{int(dose)}" if float(dose).is_integer() else f"{dose:.10g}"


def drug_words(therapy: Dosed) -> str:
    """A drug as a clinician names it: ``intravenous pemetrexed 500 mg every 21 days``, ``'XY-101' (oral)``.

    Args:
        therapy: A therapy (any object with the fields of :class:`Dosed`).
    """
    agent = therapy.agent
    route = effective_route(therapy)
    if agent is Agent.OTHER:
        name = f"'{therapy.name}'" if therapy.name else "an unnamed drug"
        if route is not None:
            name += f" ({route.value.replace('_', ' ')})"
    else:
        name = agent.value
        if len(allowed_routes(agent)) > 1 and route is not None:
            name = f"{route.value} {name}"
        if therapy.name and therapy.name.casefold() not in agent.value and agent.value not in therapy.name.casefold():
            name += f" ('{therapy.name}')"
    # An absent interval is the agent's usual schedule: daily for the oral EGFR TKIs, three
    # times a day for icotinib.
    usual = therapy.interval_days is None and drug_class(therapy) is DrugClass.EGFR_TKI
    daily = therapy.interval_days == 1 or usual
    times = _administrations_a_day(therapy) if usual else 1
    if therapy.dose_mg is not None:
        name += f" {mg(therapy.dose_mg)} mg"
    if daily and therapy.dose_mg is not None:
        name += f" {_TIMES[times]} a day" if times > 1 else " a day"
    elif therapy.interval_days not in (None, 1):
        name += f" every {therapy.interval_days} days"
    return name

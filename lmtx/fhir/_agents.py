"""Drug terminology: which agent a medication concept names, and what the record calls the drug.

An agent is named by RxNorm ingredient code, ATC code or by name (a brand
name counts), in a MedicationRequest's or MedicationStatement's concept, in a
contained Medication or in a referenced one. A drug coded in the ATC
antineoplastic group that lmtx does not list is agent ``other``, named as the
record names it. ``docs/fhir.md`` lists every code with how it was verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement

from lmtx._validate import MAX_NAME_LENGTH
from lmtx.fhir._codes import ATC, RXNORM, SNOMED, codings, has_word, ref_target, text_of
from lmtx.fhir._report import Findings
from lmtx.model import Agent

# RxNorm ingredient codes; how each was checked is in docs/fhir.md#code-verification.
_RXNORM_AGENTS = {
    "1721560": Agent.OSIMERTINIB,
    "328134": Agent.GEFITINIB,
    "337525": Agent.ERLOTINIB,
    "1430438": Agent.AFATINIB,
    "68446": Agent.PEMETREXED,
    "40048": Agent.CARBOPLATIN,
    "2555": Agent.CISPLATIN,
    "72962": Agent.DOCETAXEL,
    "56946": Agent.PACLITAXEL,
    "12574": Agent.GEMCITABINE,
    "6851": Agent.METHOTREXATE,
    "253337": Agent.BEVACIZUMAB,
}
# No RxNorm code could be verified for icotinib, lazertinib, aumolertinib, furmonertinib,
# befotertinib, sunvozertinib, temozolomide, cytarabine, thiotepa and amivantamab: none is
# invented. Three of them have an ATC code that could be checked (below); all are also
# matched by name (_AGENT_NAMES), and furmonertinib, befotertinib, sunvozertinib,
# temozolomide, cytarabine, thiotepa and amivantamab by name only.
_ATC_AGENTS = {
    "L01EB08": Agent.ICOTINIB,
    "L01EB09": Agent.LAZERTINIB,
    "L01EB11": Agent.AUMOLERTINIB,
    "L01BA01": Agent.METHOTREXATE,
    "L01BC05": Agent.GEMCITABINE,
}
_ATC_ANTINEOPLASTIC = "L01"
"""ATC group of antineoplastic agents: a drug coded in it that lmtx does not list is agent `other`."""

_AGENT_NAMES = {
    Agent.OSIMERTINIB: ("osimertinib", "tagrisso"),
    Agent.GEFITINIB: ("gefitinib", "iressa"),
    Agent.ERLOTINIB: ("erlotinib", "tarceva"),
    Agent.AFATINIB: ("afatinib", "gilotrif", "giotrif"),
    Agent.DACOMITINIB: ("dacomitinib", "vizimpro"),
    Agent.PEMETREXED: ("pemetrexed", "alimta", "pemfexy"),
    Agent.CARBOPLATIN: ("carboplatin", "paraplatin"),
    Agent.CISPLATIN: ("cisplatin", "platinol"),
    Agent.ICOTINIB: ("icotinib",),
    Agent.LAZERTINIB: ("lazertinib", "lazcluze"),
    Agent.AUMOLERTINIB: ("aumolertinib", "almonertinib"),
    Agent.FURMONERTINIB: ("furmonertinib", "alflutinib"),
    Agent.BEFOTERTINIB: ("befotertinib",),
    Agent.SUNVOZERTINIB: ("sunvozertinib",),
    Agent.DOCETAXEL: ("docetaxel", "taxotere"),
    Agent.PACLITAXEL: ("paclitaxel", "taxol"),
    Agent.GEMCITABINE: ("gemcitabine", "gemzar"),
    Agent.TEMOZOLOMIDE: ("temozolomide", "temodar", "temodal"),
    Agent.METHOTREXATE: ("methotrexate",),
    Agent.CYTARABINE: ("cytarabine", "ara-c", "cytosine arabinoside"),
    Agent.THIOTEPA: ("thiotepa",),
    Agent.BEVACIZUMAB: ("bevacizumab", "avastin"),
    Agent.AMIVANTAMAB: ("amivantamab", "rybrevant"),
}


def agent_of(resource: Mapping[str, Any]) -> Agent | None:
    """The agent a MedicationRequest or MedicationStatement (as JSON) names, when it names exactly one.

    Args:
        resource: The resource as parsed JSON; only its ``medicationCodeableConcept``
            is read (by RxNorm ingredient code, ATC code or by name; an ATC
            antineoplastic lmtx does not list is ``Agent.OTHER``).

    Returns:
        The agent, or ``None`` when the resource names none or several.
    """
    concept = resource.get("medicationCodeableConcept")
    if not isinstance(concept, Mapping):
        return None
    try:
        agents, _ = agents_of(CodeableConcept.model_validate(concept))
    except (pydantic.ValidationError, ValueError, TypeError):
        return None
    return agents.pop() if len(agents) == 1 else None


def agents_of(concept: CodeableConcept | None) -> tuple[set[Agent], str]:
    """The agents a medication concept names (by RxNorm or ATC code or by name), and its text.

    A concept naming no listed agent but coded in the ATC antineoplastic group
    (L01) names agent `other`.
    """
    text = text_of(concept)
    pairs = codings(concept)
    by_code = {_RXNORM_AGENTS[code] for system, code in pairs if system == RXNORM and code in _RXNORM_AGENTS}
    by_code |= {_ATC_AGENTS[code.upper()] for system, code in pairs if system == ATC and code.upper() in _ATC_AGENTS}
    by_name = {agent for agent, names in _AGENT_NAMES.items() if has_word(text, names)}
    agents = by_code | by_name
    if not agents and any(system == ATC and code.upper().startswith(_ATC_ANTINEOPLASTIC) for system, code in pairs):
        agents = {Agent.OTHER}
    return agents, text


def medication_name(concept: CodeableConcept | None) -> str | None:
    """What the record calls a drug: the concept's text, else its first display, else its first code.

    At most 128 characters (the longest therapy ``name``), cut with an ellipsis.
    """
    if concept is None:
        return None
    names = [concept.text or ""] + [c.display or "" for c in concept.coding or []]
    names += [f"{_system_name(c.system)} {c.code}" for c in concept.coding or [] if c.code]
    name = next((" ".join(n.split()) for n in names if n.strip()), None)
    if name is not None and len(name) > MAX_NAME_LENGTH:
        name = name[: MAX_NAME_LENGTH - 1].rstrip() + "\u2026"
    return name


def _system_name(system: str | None) -> str:
    return {ATC: "ATC", RXNORM: "RxNorm", SNOMED: "SNOMED CT"}.get(system or "", "code")


def referenced_medication(found: Findings, use: MedicationRequest | MedicationStatement) -> CodeableConcept | None:
    """The medication concept a resource names by reference (contained, in the input, or by display)."""
    target = ref_target(use.medicationReference)
    if target and target.startswith("#"):
        for contained in use.contained or []:
            if isinstance(contained, Medication) and contained.id == target[1:]:
                return contained.code
    medication = found.medications.get(target or "")
    if medication is None and target:
        medication = next((m for key, m in found.medications.items() if target.endswith("/" + key)), None)
    if medication is None:
        display = use.medicationReference.display if use.medicationReference else None
        return CodeableConcept(text=display) if display else None
    return medication.code

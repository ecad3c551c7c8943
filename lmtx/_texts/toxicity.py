"""Words of the toxicity alerts and of ``dose-modification`` (rules in :mod:`lmtx.rules.toxicity`).

An alert names every reported term of its kind with its grade, and the
agents the reading links to it (docs/interpretation.md#toxicity): those the
treating team attributes it to, else the therapies given around it whose
kind the reading links, chemotherapy first and osimertinib last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lmtx._facts import Fact
from lmtx._texts._shared import Context, and_, linked_words, of
from lmtx.drugs import CHEMOTHERAPIES
from lmtx.dsl import Rule
from lmtx.model import Patient

__all__ = ["WORDS"]

_TERMS = {"aseptic_meningitis": "aseptic meningitis", "other": "other adverse event"}
_OSIMERTINIB_CODES = frozenset({"osimertinib-160", "osimertinib-80"})
_NO_AGENT = "No agent this reading links to it was given around it (from six weeks before it to its day)"
_CHEMOTHERAPY = frozenset(agent.value for agent in CHEMOTHERAPIES)


def _grades(reported: Iterable[Fact], terms: Iterable[str] | None = None) -> list[str]:
    """``grade N term`` for each term (at its highest grade), highest grade first."""
    wanted = set(terms) if terms is not None else None
    highest: dict[str, int] = {}
    for fact in reported:
        if wanted is None or fact["term"] in wanted:
            highest[fact["term"]] = max(highest.get(fact["term"], 0), int(fact["grade"]))
    ordered = sorted(highest.items(), key=lambda item: (-item[1], item[0]))
    return [f"grade {grade} {_TERMS.get(term, term)}" for term, grade in ordered]


def _alert_terms(rule: Rule) -> tuple[str, ...]:
    """The toxicity terms a toxicity alert's rule matches (its first condition's ``term`` test)."""
    for test in rule.when[0].tests:
        if test.field == "term" and isinstance(test.value, tuple):
            return tuple(str(v) for v in test.value)
    return ()


def _linked_agents(linked: Sequence[Fact], patient: Patient) -> list[str]:
    """The linked therapies, chemotherapy first and osimertinib last, each named once."""
    unique = {int(f["therapy"]): f for f in linked}
    ordered = sorted(
        unique.values(),
        key=lambda f: (
            0 if f["agent"] in _CHEMOTHERAPY else 2 if f["agent"] == "osimertinib" else 1,
            str(f["agent"]),
            int(f["start"]),
        ),
    )
    return [linked_words(f, patient) for f in ordered]


def _toxicity_text(context: Context) -> dict[str, str]:
    derived, patient = context.derived, context.patient
    terms = _alert_terms(context.rule)
    linked = [f for f in of(derived, "linked") if f["term"] in terms]
    agents = {str(f["agent"]) for f in linked}
    attributed = [f for f in linked if f["basis"] == "attributed"]
    by_reading = [f for f in linked if f["basis"] != "attributed"]
    if attributed and by_reading:
        # Some reports are attributed, others are not: say which agents come from whom.
        said = (
            f"Attributed by the treating team: {'; '.join(_linked_agents(attributed, patient))}. "
            f"Given around its other reports, as this reading links them: "
            f"{'; '.join(_linked_agents(by_reading, patient))}."
        )
    elif linked:
        basis = " (as the treating team attributes it)" if attributed else ""
        said = f"Agents linked to it{basis}: {'; '.join(_linked_agents(linked, patient))}."
    else:
        said = f"{_NO_AGENT}."
    if agents == {"osimertinib"}:
        cause = ": the document names it the most common adverse effect of osimertinib"
    elif len(agents) > 2:
        cause = f", with {len(agents)} agents linked to it (named in the detail)"
    elif agents:
        cause = f", with {and_(sorted(agents))}"
    else:
        cause = ""
    return {"term": and_(_grades(of(derived, "reported"), terms)), "agents": said, "cause": cause}


def _dose_modification(context: Context) -> dict[str, str]:
    derived = context.derived
    severe = _grades(f for f in of(derived, "reported") if f["grade"] >= 3)
    linked = [f for f in of(derived, "linked") if f["grade"] >= 3]
    named = _linked_agents(linked, context.patient)
    if named:
        said = f"Agents linked to it: {'; '.join(named)}."
    else:
        # The alert needs osimertinib in use: recommended, or else given (the alert also fires
        # for a patient outside the document's scope, where nothing is recommended).
        recommended = any(f["code"] in _OSIMERTINIB_CODES for f in of(derived, "recommendation"))
        said = f"{_NO_AGENT}; osimertinib is " + ("recommended." if recommended else "given.")
    return {"severe": and_(severe).capitalize() if severe else "", "agents": said}


WORDS = {
    "toxicity-skin-rash": _toxicity_text,
    "toxicity-myelosuppression": _toxicity_text,
    "toxicity-aseptic-meningitis": _toxicity_text,
    "toxicity-fatigue": _toxicity_text,
    "dose-modification": _dose_modification,
}
"""The words of the codes this area's rules emit."""

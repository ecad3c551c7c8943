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
from lmtx.catalogue import CATALOGUE
from lmtx.drugs import CHEMOTHERAPIES
from lmtx.dsl import Rule
from lmtx.model import Patient

__all__ = ["WORDS"]

_TERMS = {"aseptic_meningitis": "aseptic meningitis", "other": "other adverse event"}
_OSIMERTINIB_CODES = frozenset({"osimertinib-160", "osimertinib-80", "osimertinib-tolerated"})
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
    highest = max((int(f["grade"]) for f in of(derived, "reported") if f["term"] in terms), default=0)
    term = and_(_grades(of(derived, "reported"), terms))
    myelosuppression = context.rule.id == "toxicity-myelosuppression"
    now = ": a listed adverse effect to follow" if myelosuppression else ""
    if highest >= 3:
        # A severe event is never "a listed adverse effect to follow" (docs/interpretation.md#texts).
        now = ": needs attention now" if myelosuppression else ", needs attention now"
        if any(f["code"] == "dose-modification" for f in of(derived, "alert")):
            pointed = f"{now} (see dose-modification)"
            values = {"term": term, "cause": cause, "grade": highest, "now": pointed}
            if len(CATALOGUE[context.rule.codes[0]].text().summary.format_map(values)) <= _CARD:
                now = pointed
    return {"term": term, "agents": said, "cause": cause, "now": now}


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
    withheld = any(
        f["code"] == "osimertinib-tolerated" and f["action"] in ("resume", "review")
        for f in of(derived, "recommendation")
    )
    keep = "osimertinib is withheld (see osimertinib-tolerated)" if withheld else _KEEP
    keep_detail = (
        "Osimertinib is withheld for toxicity: whether, when and at what dose it is given again is set out in "
        "the osimertinib-tolerated recommendation."
        if withheld
        else "Keep osimertinib at the highest dose the patient tolerates: CNS control depends on it, even when "
        "toxicity calls for dose changes."
    )
    return {
        "severe": and_(severe).capitalize() if severe else "",
        "agents": said,
        "linked_to": _linked_to(severe, linked, keep),
        "keep": keep,
        "keep_detail": keep_detail,
    }


_CARD = 140
_KEEP = "keep osimertinib at its highest tolerable dose"
_PLAIN = {"radiotherapy": "radiotherapy", "other": "another agent"}


def _linked_to(severe: Sequence[str], linked: Sequence[Fact], keep: str) -> str:
    """``Grade 4 thrombocytopenia linked to intrathecal pemetrexed``: what severe events are linked to, for a summary.

    Never osimertinib alone as the context when other agents are linked; cut to fit a card.
    """
    names = sorted(
        {
            f"{f['route']} pemetrexed"
            if f["agent"] == "pemetrexed" and f["route"]
            else _PLAIN.get(str(f["agent"]), str(f["agent"]))
            for f in linked
        },
        key=lambda n: (n == "osimertinib", n),
    )
    head = severe[0] if severe else "a severe adverse event"
    head = head[:1].upper() + head[1:]
    what = head + (" and more" if len(severe) > 1 else "")
    tail = f": dose changes may be needed; {keep}."
    for agents in (and_(names), f"{len(names)} agents"):
        text = f"{what} linked to {agents}" if names else f"{what}, no agent linked"
        if len(text + tail) <= _CARD:
            return text
    return what


WORDS = {
    "toxicity-skin-rash": _toxicity_text,
    "toxicity-myelosuppression": _toxicity_text,
    "toxicity-aseptic-meningitis": _toxicity_text,
    "toxicity-fatigue": _toxicity_text,
    "dose-modification": _dose_modification,
}
"""The words of the codes this area's rules emit."""

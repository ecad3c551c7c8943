"""Words of the initial treatment (rules in :mod:`lmtx.rules.initial`).

A start or a switch names the EGFR TKIs it leaves and any active drug of
unknown class; a switch away from a TKI whose latest assessments show no
failure says so with their dates (the reading is
:func:`lmtx._facts.readings.unfailing_assessments_since`). A stop of
osimertinib names every real stop with its reason
(docs/interpretation.md#stopped-osimertinib); ``cns-penetration`` names the
TKI given now.
"""

from __future__ import annotations

from collections.abc import Sequence

from lmtx._facts import is_dose_change
from lmtx._facts.readings import unfailing_assessments_since
from lmtx._texts._shared import REASONS, Context, and_, ordered, therapy_words
from lmtx.drugs import Agent, DrugClass, drug_class, drug_words
from lmtx.model import CsfCytology, MriAssessment, NeuroExam, Therapy, TherapyStatus

__all__ = ["WORDS"]

_OSIMERTINIB_CODES = frozenset({"osimertinib-160", "osimertinib-80"})
_EXAM_WORDS = {"none": "without symptoms", "improved": "improved", "resolved": "with symptoms resolved"}


def _current_tkis(context: Context) -> dict[str, str]:
    """The EGFR TKIs a switch leaves, and the active drugs of unknown class a start cannot judge."""
    if context.fact["action"] not in ("start", "switch"):
        return {}
    active = [t for t in ordered(context.patient) if t.status is TherapyStatus.ACTIVE]
    tkis = [t for t in active if t.agent is not Agent.OSIMERTINIB and drug_class(t) is DrugClass.EGFR_TKI]
    unknown = [t for t in active if t.agent is Agent.OTHER and t.drug_class is None]
    unclassified = ""
    if unknown:
        unclassified = (
            f" Also active: {and_([therapy_words(t) for t in unknown])}, whose drug class the record does not "
            "give; lmtx cannot tell whether it is an EGFR TKI. If it is, the advice is a switch to osimertinib "
            "instead of adding it."
        )
    return {
        "tkis": "; ".join(therapy_words(t) for t in tkis),
        "working": _working(tkis, context),
        "unclassified": unclassified,
    }


def _working(tkis: Sequence[Therapy], context: Context) -> str:
    """When the latest assessments since the current TKI began show no failure, say so with their dates."""
    starts = [t.start for t in tkis if t.start is not None]
    if not starts:
        return ""
    assessments = unfailing_assessments_since(context.patient, max(starts))
    if not assessments:
        return ""
    good: list[str] = []
    for assessment in assessments:
        when = assessment.date.isoformat()
        if isinstance(assessment, NeuroExam):
            good.append(f"neurological exam {_EXAM_WORDS[assessment.symptoms.value]} on {when}")
        elif isinstance(assessment, CsfCytology):
            good.append(f"CSF cytology {assessment.result.value} on {when}")
        elif isinstance(assessment, MriAssessment) and assessment.response is not None:
            good.append(f"MRI {assessment.response.value.replace('_', ' ')} on {when}")
    names = and_([t.agent.value if t.agent is not Agent.OTHER else drug_words(t) for t in tkis])
    return f" The latest assessments on {names} are good ({and_(good)}): the clinician weighs the switch."


def _prior_stops(context: Context) -> dict[str, str]:
    """Every real stop of osimertinib (a change of dose is none), oldest first, and what to ask of them.

    The alert's rule fires on the latest stop; an earlier one, a stop for toxicity say, matters as
    much before osimertinib is given again, so the detail names them all.
    """
    patient = context.patient
    stops = [
        t
        for t in ordered(patient)
        if t.agent is Agent.OSIMERTINIB
        and t.status is TherapyStatus.STOPPED
        and not is_dose_change(t, patient.therapies)
    ]
    words = []
    for therapy in stops:
        assert therapy.start is not None  # a stopped therapy has a start (validated)
        end = therapy.end.isoformat() if therapy.end else "a date not recorded"
        reason = f" ({REASONS[therapy.stop_reason.value]})" if therapy.stop_reason else ""
        words.append(f"{drug_words(therapy)}, begun on {therapy.start.isoformat()}, was stopped on {end}{reason}")
    unexplained = [t for t in stops if t.stop_reason is None]
    if not unexplained:
        ask = "weigh the recorded reason" + ("s" if len(stops) > 1 else "")
    elif len(stops) == 1:
        ask = "learn the reason for the stop"
    else:
        ask = "learn why it was stopped on " + and_(
            [t.end.isoformat() if t.end else "the date not recorded" for t in unexplained]
        )
    text = "; ".join(words)
    return {"stops": text[:1].upper() + text[1:], "ask": ask}


def _cns_penetration(context: Context) -> dict[str, str]:
    active = [
        t for t in ordered(context.patient) if t.status is TherapyStatus.ACTIVE and drug_class(t) is DrugClass.EGFR_TKI
    ]
    given = and_([therapy_words(t) for t in active])
    return {"trigger": f"The EGFR TKI given now: {given}; for LM the document prefers osimertinib 160 mg a day."}


WORDS = {
    **dict.fromkeys(sorted(_OSIMERTINIB_CODES), _current_tkis),
    "prior-osimertinib-stopped": _prior_stops,
    "cns-penetration": _cns_penetration,
}
"""The words of the codes this area's rules emit."""

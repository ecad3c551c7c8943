"""Words of the initial treatment (rules in :mod:`lmtx.rules.initial`).

A start or a switch names the EGFR TKIs it leaves and any active drug of
unknown class; a switch away from a TKI whose latest assessments show no
failure says so with their dates, calling them good only when each shows a
response or no disease (the readings are
:func:`lmtx._facts.readings.unfailing_assessments_since` and
:func:`~lmtx._facts.readings.shows_response_or_no_disease`). A stop of
osimertinib names every real stop with its reason
(docs/interpretation.md#stopped-osimertinib); ``cns-penetration`` names the
TKI given now.
"""

from __future__ import annotations

from collections.abc import Sequence

from lmtx._facts import is_dose_change
from lmtx._facts.readings import shows_response_or_no_disease, unfailing_assessments_since
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
    """The latest assessments since the current TKI began, when none shows failure, with their dates.

    "Good" only when each shows a response or no disease
    (:func:`lmtx._facts.readings.shows_response_or_no_disease`); otherwise they are stated as they
    are ("no progression: MRI stable on 2019-11-12, leptomeningeal enhancement persisting").
    """
    starts = [t.start for t in tkis if t.start is not None]
    if not starts:
        return ""
    assessments = unfailing_assessments_since(context.patient, max(starts))
    if not assessments:
        return ""
    names = and_([t.agent.value if t.agent is not Agent.OTHER else drug_words(t) for t in tkis])
    if all(shows_response_or_no_disease(a) for a in assessments):
        good = and_([_assessment_words(a) for a in assessments])
        return f" The latest assessments on {names} are good ({good}): the clinician weighs the switch."
    as_they_are = "; ".join(_assessment_words(a) for a in assessments)
    return f" The latest assessments on {names} show no progression: {as_they_are}. The clinician weighs the switch."


def _assessment_words(assessment: CsfCytology | MriAssessment | NeuroExam) -> str:
    """An assessment as it is: ``MRI stable on 2019-11-12, leptomeningeal enhancement persisting``."""
    when = assessment.date.isoformat()
    if isinstance(assessment, NeuroExam):
        return f"neurological exam {_EXAM_WORDS[assessment.symptoms.value]} on {when}"
    if isinstance(assessment, CsfCytology):
        return f"CSF cytology {assessment.result.value} on {when}"
    read = assessment.response.value.replace("_", " ") if assessment.response is not None else None
    words = f"MRI {read} on {when}" if read is not None else f"MRI on {when}, no response read"
    if assessment.response is None or assessment.response.value not in ("complete_response", "partial_response"):
        enhancement = (
            "leptomeningeal enhancement persisting"
            if assessment.leptomeningeal_enhancement
            else ("no leptomeningeal enhancement")
        )
        words += f", {enhancement}"
    return words


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

"""Words of the initial treatment (rules in :mod:`lmtx.rules.initial`).

A start or a switch names the EGFR TKIs it leaves and any active drug of
unknown class; a switch away from a TKI whose latest assessments show no
failure says so with their dates, calling them good only when each shows a
response or no disease (the readings are
:func:`lmtx._facts.readings.unfailing_assessments_since` and
:func:`~lmtx._facts.readings.shows_response_or_no_disease`), and one from a TKI
given above its standard dose says that too. Every osimertinib item names the
planned TKIs and any dose stopped for toxicity and never given again. A stop
of osimertinib names every stop that alerts, a reduction as a reduction
(docs/interpretation.md#stopped-osimertinib); ``cns-penetration`` names every
TKI it is about, with its dose against its standard dose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lmtx._facts.readings import shows_response_or_no_disease, unfailing_assessments_since
from lmtx._facts.tolerance import canonical
from lmtx._texts._osimertinib import (
    above_standard_words,
    linked_toxicities,
    other_tkis_words,
    plans_words,
    reduced_to,
    standing_stops_words,
    tolerance_of,
    toxicity_words,
)
from lmtx._texts._shared import REASONS, Context, and_, of, ordered, therapy_words
from lmtx.drugs import (
    Agent,
    DrugClass,
    above_standard_dose,
    daily_dose,
    drug_class,
    drug_words,
    mg,
    standard_dose_words,
)
from lmtx.model import CsfCytology, MriAssessment, NeuroExam, Therapy, TherapyStatus

__all__ = ["WORDS"]

_OSIMERTINIB_CODES = frozenset({"osimertinib-160", "osimertinib-80"})
_EXAM_WORDS = {"none": "without symptoms", "improved": "improved", "resolved": "with symptoms resolved"}


def _osimertinib(context: Context) -> dict[str, str]:
    """The words of ``osimertinib-160`` and ``osimertinib-80``: what is given, left, planned and stopped."""
    patient = context.patient
    action = str(context.fact["action"])
    advised = 160.0 if context.fact["code"] == "osimertinib-160" else 80.0
    active = [t for t in ordered(patient) if t.status is TherapyStatus.ACTIVE and t.agent is Agent.OSIMERTINIB]
    return {
        "plans": plans_words(context, advised),
        "stops": standing_stops_words(patient, tolerance_of(context)),
        "others": other_tkis_words(patient),
        "above": above_standard_words(patient, lm=advised == 160.0),
        "given": and_([therapy_words(t) for t in active]),
        **_current_tkis(context, action),
    }


def _current_tkis(context: Context, action: str) -> dict[str, str]:
    """The EGFR TKIs a switch leaves, and the active drugs of unknown class a start cannot judge."""
    if action not in ("start", "switch"):
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
    """Every stop of osimertinib that alerts (docs/interpretation.md#stopped-osimertinib), oldest first.

    A change of dose is no stop, and a dose stopped for toxicity that was never given again is read
    by ``osimertinib-tolerated``; a reduction is said as one; a stop for toxicity that was given
    again names its linked toxicities; a stop for toxicity the team blamed on other agents names
    them. The alert's rule fires on the latest stop; an earlier one matters as much.
    """
    patient = context.patient
    tolerance = tolerance_of(context)
    stops = [
        (i, t)
        for i, t in sorted(enumerate(patient.therapies), key=lambda it: (it[1].start or dt.date.max, canonical(it[1])))
        if tolerance.stop_kind.get(i) == "real"
    ]
    words = [_stop_sentence(i, t, context) for i, t in stops]
    unexplained = [t for _, t in stops if t.stop_reason is None]
    if not unexplained:
        ask = "weigh the recorded reason" + ("s" if len(stops) > 1 else "")
    elif len(stops) == 1:
        ask = "learn the reason for the " + ("reduction" if reduced_to(stops[0][0], patient) else "stop")
    else:
        said = []
        for index, therapy in stops:
            if therapy.stop_reason is not None:
                continue
            lower = reduced_to(index, patient)
            if lower is not None and lower.start is not None:
                said.append(f"reduced on {lower.start.isoformat()}")
            else:
                said.append(f"stopped on {therapy.end.isoformat() if therapy.end else 'a date not recorded'}")
        ask = "learn why it was " + and_(said)
    text = "; ".join(words)
    return {"stops": text[:1].upper() + text[1:], "ask": ask}


def _stop_sentence(index: int, therapy: Therapy, context: Context) -> str:
    patient, tolerance = context.patient, tolerance_of(context)
    assert therapy.start is not None  # a stopped therapy has a start (validated)
    lower = reduced_to(index, patient)
    if lower is not None and lower.start is not None:
        why = REASONS[therapy.stop_reason.value] if therapy.stop_reason else "with no reason recorded"
        said = f"osimertinib was reduced from {_dose(therapy)} to {_dose(lower)} on {lower.start.isoformat()} {why}"
    else:
        end = therapy.end.isoformat() if therapy.end else "a date not recorded"
        verb = "was stopped" if therapy.status is TherapyStatus.STOPPED else "was completed"
        reason = f" ({REASONS[therapy.stop_reason.value]})" if therapy.stop_reason else ""
        said = f"{drug_words(therapy)}, begun on {therapy.start.isoformat()}, {verb} on {end}{reason}"
    if index in tolerance.blamed_elsewhere:
        blamed = sorted(
            {
                agent.value
                for toxicity in patient.toxicities
                for agent in toxicity.attributed_to or ()
                if agent is not Agent.OSIMERTINIB
            }
        )
        said += f"; the treating team attributed the toxicity to {and_(blamed)}"
    elif index in tolerance.toxicity_stops:
        linked = [toxicity_words(x) for x in linked_toxicities(index, patient, tolerance)]
        said += (f", linked to {and_(linked)}" if linked else "") + "; that dose was given again since"
    return said


def _dose(therapy: Therapy) -> str:
    interval = therapy.interval_days or 1
    return f"{mg(therapy.dose_mg or 0.0)} mg" + (" a day" if interval == 1 else f" every {interval} days")


def _cns_penetration(context: Context) -> dict[str, str]:
    """Every TKI the alert is about, with its dose: osimertinib below 160 mg, other TKIs not above standard."""
    tkis = [
        t
        for t in ordered(context.patient)
        if t.status in (TherapyStatus.ACTIVE, TherapyStatus.PLANNED) and drug_class(t) is DrugClass.EGFR_TKI
    ]
    # osimertinib-tolerated never fires the alert for osimertinib (docs/interpretation.md#tolerable-dose).
    tolerated = any(f["code"] == "osimertinib-tolerated" for f in of(context.derived, "recommendation"))
    said = []
    for therapy in tkis:
        named = therapy_words(therapy) if therapy.status is TherapyStatus.ACTIVE else f"planned {drug_words(therapy)}"
        if therapy.agent is Agent.OSIMERTINIB:
            if tolerated:
                continue
            if (therapy.dose_mg or 0.0) >= 160 and (therapy.interval_days or 1) == 1:
                continue
            if daily_dose(therapy) > 80 or (therapy.dose_mg or 0.0) > 80:
                said.append(f"{named}, above the standard 80 mg but not the 160 mg a day the document prefers for LM")
            else:
                said.append(f"{named}, not the 160 mg a day the document prefers for LM")
        elif not above_standard_dose(therapy):
            said.append(f"{named} ({standard_dose_words(therapy)})")
    text = "; ".join(said)
    which = "The EGFR TKI this is about" if len(said) == 1 else "The EGFR TKIs this is about"
    return {"trigger": f"{which}: {text}. Standard doses may not reach sufficient CSF levels."}


WORDS = {
    **dict.fromkeys(sorted(_OSIMERTINIB_CODES), _osimertinib),
    "prior-osimertinib-stopped": _prior_stops,
    "cns-penetration": _cns_penetration,
}
"""The words of the codes this area's rules emit."""

"""Words of the document's pitfalls and of the diagnostic workup (rules in :mod:`lmtx.rules.pitfalls`).

``lm-workup`` names the onset the workup counts from, what was done since
(each test with its date and result, an equivocal cytology as equivocal), what
is asked for (a missing test, a repeat of an equivocal cytology, a second
cytology after a single negative one), a persisting exam more than 90 days old
with its age, and any earlier negative workup; ``delayed-diagnosis`` what is
missing since the onset (docs/interpretation.md#lm-status). The radiotherapy
and systemic disease alerts name what triggered them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lmtx._facts import Fact
from lmtx._facts.readings import age_if_stale
from lmtx._texts._shared import Context, and_, iso, of, radiotherapy_words
from lmtx._texts.diagnosis import workup_tests
from lmtx.model import NeuroExam

__all__ = ["WORDS"]

_MISSING = {
    "mri-and-csf-cytology": "neither an MRI of the neuraxis nor a CSF cytology",
    "mri": "no MRI of the neuraxis",
    "csf-cytology": "no CSF cytology",
}


def _workup_gap(derived: Sequence[Fact]) -> Fact:
    (gap,) = of(derived, "workup_gap")  # the item needs one (docs/interpretation.md#lm-status)
    return gap


def _latest_exam(context: Context) -> NeuroExam:
    return max(context.patient.neuro_exams, key=lambda e: e.date)  # suspected LM has a symptomatic exam


def _stale(exam: NeuroExam, as_of: dt.date | None) -> str:
    """``, 120 days before the evaluation date`` for a persisting exam more than 90 days old."""
    age = age_if_stale(exam.date, as_of) if exam.symptoms.value == "persistent" else None
    return f", {age} days before the evaluation date" if age is not None else ""


def _workup(context: Context) -> dict[str, str]:
    """The onset the workup counts from, what was done since, what is asked for, and any earlier workup."""
    derived, patient = context.derived, context.patient
    gap = _workup_gap(derived)
    onset = int(gap["onset"])
    onset_day = dt.date.fromordinal(onset)
    onsets = sorted({int(f["date"]) for f in of(derived, "symptom_onset")})
    earlier = []
    for complete in sorted(of(derived, "workup_complete"), key=lambda f: int(f["onset"])):
        began = int(complete["onset"])
        if began >= onset:
            continue
        following = min((o for o in onsets if o > began), default=onset)
        tests = workup_tests(patient, dt.date.fromordinal(began), dt.date.fromordinal(following))
        earlier.append(
            f" An earlier workup, for symptoms from {iso(began)}, was complete and found no LM ({tests}); "
            f"the new or worse symptoms of {iso(onset)} raise the question again."
        )
    latest = _latest_exam(context)
    stale = _stale(latest, context.as_of)
    equivocal = [c.date.isoformat() for c in patient.csf_cytology if c.date >= onset_day]
    return {
        "onset": iso(onset),
        "since": f"The symptoms counted from {iso(onset)}",
        "done": workup_tests(patient, onset_day),
        "earlier": "".join(earlier),
        "latest": f" (latest exam on {latest.date.isoformat()}{stale})",
        "stale": f" The latest exam, on {latest.date.isoformat()}{stale}, found the symptoms persisting."
        if stale
        else "",
        "equivocal": and_(equivocal),
    }


def _delayed_diagnosis(context: Context) -> dict[str, str]:
    gaps = of(context.derived, "workup_gap")
    if not gaps:
        return {"trigger": "Neurological symptoms without a complete workup."}
    missing, onset = str(gaps[0]["missing"]), int(gaps[0]["onset"])
    latest = _latest_exam(context)
    samples = [c for c in context.patient.csf_cytology if c.date >= dt.date.fromordinal(onset)]
    if missing == "second-csf-cytology":
        return {
            "trigger": f"Symptoms since {iso(onset)}, still persisting on {latest.date.isoformat()}, after a workup "
            f"whose only CSF cytology, on {samples[0].date.isoformat()}, was negative; no second cytology since."
        }
    symptoms = f"Symptoms since {iso(onset)} (latest exam {latest.date.isoformat()}: {latest.symptoms.value})"
    if missing == "repeat-csf-cytology":
        return {
            "trigger": f"{symptoms}, and the only CSF cytology since then, on {samples[0].date.isoformat()}, was "
            "equivocal."
        }
    if missing == "mri-and-repeat-csf-cytology":
        return {
            "trigger": f"{symptoms}, and no MRI of the neuraxis since then; the only CSF cytology since, on "
            f"{samples[0].date.isoformat()}, was equivocal."
        }
    return {"trigger": f"{symptoms}, and {_MISSING[missing]} since then."}


def _radiotherapy(context: Context) -> dict[str, str]:
    words = radiotherapy_words(context.patient)
    return {"trigger": f"{words[:1].upper()}{words[1:]}, and no osimertinib is given or planned."}


def _systemic_disease(context: Context) -> dict[str, str]:
    patient = context.patient
    if patient.systemic_disease.value == "unknown":
        return {"trigger": "The record holds no assessment of the disease outside the CNS."}
    when = f" on {patient.systemic_disease_date.isoformat()}" if patient.systemic_disease_date else ""
    return {"trigger": f"The disease outside the CNS was assessed as progressing{when}."}


WORDS = {
    "lm-workup": _workup,
    "delayed-diagnosis": _delayed_diagnosis,
    "radiotherapy-overreliance": _radiotherapy,
    "systemic-disease": _systemic_disease,
}
"""The words of the codes this area's rules emit."""

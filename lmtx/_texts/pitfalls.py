"""Words of the document's pitfalls and of the diagnostic workup (rules in :mod:`lmtx.rules.pitfalls`).

``lm-workup`` names the onset the workup counts from, what was done since,
and any earlier negative workup; ``delayed-diagnosis`` what is missing since
the onset (docs/interpretation.md#lm-status). The radiotherapy and systemic
disease alerts name what triggered them.
"""

from __future__ import annotations

from collections.abc import Sequence

from lmtx._facts import Fact
from lmtx._texts._shared import Context, and_, iso, of, radiotherapy_words

__all__ = ["WORDS"]

_MISSING = {
    "mri-and-csf-cytology": "neither an MRI of the neuraxis nor a CSF cytology",
    "mri": "no MRI of the neuraxis",
    "csf-cytology": "no CSF cytology",
}
_FIRST = (("first_mri", "MRI"), ("first_cytology", "CSF cytology"))


def _workup_gap(derived: Sequence[Fact]) -> Fact:
    (gap,) = of(derived, "workup_gap")  # the item needs one (docs/interpretation.md#lm-status)
    return gap


def _tests_for(derived: Sequence[Fact], onset: object) -> list[str]:
    """The first MRI and the first cytology dated on or after an onset."""
    return [f"{name} on {iso(f['date'])}" for kind, name in _FIRST for f in of(derived, kind) if f["onset"] == onset]


def _workup(context: Context) -> dict[str, str]:
    """The onset the workup counts from, what was done since, and any earlier negative workup."""
    derived = context.derived
    onset = int(_workup_gap(derived)["onset"])
    earlier = []
    for complete in sorted(of(derived, "workup_complete"), key=lambda f: int(f["onset"])):
        if int(complete["onset"]) >= onset:
            continue
        earlier.append(
            f" An earlier workup, for symptoms from {iso(complete['onset'])}, was complete and showed no LM "
            f"({and_(_tests_for(derived, complete['onset']))}); the new or worse symptoms of {iso(onset)} raise "
            "the question again."
        )
    return {
        "since": f"The symptoms counted from {iso(onset)}",
        "done": and_(_tests_for(derived, onset)),
        "earlier": "".join(earlier),
    }


def _delayed_diagnosis(context: Context) -> dict[str, str]:
    gaps = of(context.derived, "workup_gap")
    if not gaps:
        return {"trigger": "Neurological symptoms without a complete workup."}
    missing = _MISSING[str(gaps[0]["missing"])]
    latest = max(context.patient.neuro_exams, key=lambda e: e.date)
    return {
        "trigger": f"Symptoms since {iso(gaps[0]['onset'])} (latest exam {latest.date.isoformat()}: "
        f"{latest.symptoms.value}), and {missing} since then."
    }


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

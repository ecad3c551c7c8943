"""Words of the prognosis notes and the performance-status items (rules in :mod:`lmtx.rules.prognosis`).

The PS is stated as recorded (ECOG, or KPS with its ECOG band) with its date;
which assessment was the one at the LM diagnosis is read in
:mod:`lmtx._facts.readings` (docs/interpretation.md#policy). A PS dated far
from the diagnosis, single or not, is stated as the latest, never as the one
at diagnosis.
"""

from __future__ import annotations

from lmtx._facts import Fact
from lmtx._facts.readings import (
    PS_AT_DIAGNOSIS_DAYS,
    latest_performance_status,
    lm_diagnosis,
    performance_status_at_diagnosis,
)
from lmtx._texts._shared import Context, iso
from lmtx.model import PerformanceStatus, PsScale
from lmtx.rules.prognosis import KPS_TO_ECOG

__all__ = ["WORDS", "ps_dated"]


def _ecog_of(ps: PerformanceStatus) -> int:
    if ps.scale is PsScale.ECOG:
        return ps.score
    return next(ecog for low, high, ecog in KPS_TO_ECOG if low <= ps.score <= high)


def _ps_words(ps: PerformanceStatus) -> str:
    return f"ECOG {ps.score}" if ps.scale is PsScale.ECOG else f"KPS {ps.score} (ECOG {_ecog_of(ps)})"


def ps_dated(ps: PerformanceStatus) -> str:
    """``ECOG 2, recorded on 2026-01-05``, or ``..., date not recorded``."""
    when = f"recorded on {ps.date.isoformat()}" if ps.date is not None else "date not recorded"
    return f"{_ps_words(ps)}, {when}"


def _performance_status_note(context: Context) -> dict[str, str]:
    patient = context.patient
    latest = latest_performance_status(patient)
    assert latest is not None  # the note needs a performance status
    at_diagnosis = performance_status_at_diagnosis(patient)
    if len(patient.performance_statuses) == 1 and at_diagnosis is not None:
        # Undated, or dated within the days around the LM diagnosis: it reads as it always did.
        return {"ps": _ps_words(latest), "detail": f"{ps_dated(latest)}."}
    diagnosis = lm_diagnosis(patient)
    on = f" ({diagnosis.isoformat()})" if diagnosis is not None else ""
    if at_diagnosis is None:
        return {
            "ps": f"{_ps_words(latest)}, the latest; none recorded at LM diagnosis",
            "detail": f"No performance status was recorded within {PS_AT_DIAGNOSIS_DAYS} days of the LM "
            f"diagnosis{on}; the latest is {ps_dated(latest)}.",
        }
    if at_diagnosis == latest:
        return {
            "ps": f"{_ps_words(latest)} at LM diagnosis",
            "detail": f"At LM diagnosis{on}: {ps_dated(latest)}; it is also the latest assessment.",
        }
    return {
        "ps": f"{_ps_words(at_diagnosis)} at LM diagnosis; latest {_ps_words(latest)}",
        "detail": f"At LM diagnosis{on}: {ps_dated(at_diagnosis)}. Latest: {ps_dated(latest)}.",
    }


def _performance_status_missing(context: Context) -> dict[str, str]:
    return {"missing": _missing(context.fact)}


def _missing(fact: Fact) -> str:
    if "date" not in fact:
        return (
            "No performance status is recorded. The document names it as the main prognostic factor, and at "
            "progression on the combination it decides whether intrathecal therapy is preferred."
        )
    words = f"ECOG {fact['score']}" if fact["scale"] == "ecog" else f"KPS {fact['score']}"
    return (
        f"The latest performance status, {words}, was recorded on {iso(fact['date'])}, {fact['age']} days before "
        "the evaluation date: more than 90 days old, it cannot decide whether intrathecal therapy is preferred at "
        "this progression. Record a current one."
    )


def _established(context: Context) -> dict[str, str]:
    patient = context.patient
    positive = sorted(c.date for c in patient.csf_cytology if c.result.value == "positive")
    enhancing = sorted(m.date for m in patient.mri if m.leptomeningeal_enhancement)
    if positive:
        basis = f"confirmed by a positive CSF cytology on {positive[0].isoformat()}"
    else:
        basis = f"probable from leptomeningeal enhancement on MRI on {enhancing[0].isoformat()}"
    return {"trigger": f"LM is {basis}. The figure is the document's, for patients before targeted therapy."}


def _csf_flow(context: Context) -> dict[str, str]:
    patient = context.patient
    when = f" on {patient.csf_flow_date.isoformat()}" if patient.csf_flow_date else " (date not recorded)"
    return {"trigger": f"A CSF flow study showed interrupted flow{when}."}


WORDS = {
    "performance-status-prognostic": _performance_status_note,
    "performance-status-missing": _performance_status_missing,
    "median-survival": _established,
    "csf-flow-interrupted": _csf_flow,
}
"""The words of the codes this area's rules emit."""

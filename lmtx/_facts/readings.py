"""Clinical readings of the record that decide what a text says (docs/interpretation.md).

The rules decide which items a result holds; some of those items state a
reading of the record that the rules do not need to match on: which
performance status was the one at the LM diagnosis, when LM was diagnosed,
whether the latest assessments on a TKI show no failure and whether each shows
a response. They are read here, below the texts, so that the texts only
describe.
"""

from __future__ import annotations

import datetime as dt

from lmtx.model import CsfCytology, MriAssessment, NeuroExam, Patient, PerformanceStatus

__all__ = [
    "PS_AT_DIAGNOSIS_DAYS",
    "STALE_FINDING_DAYS",
    "age_if_stale",
    "latest_performance_status",
    "lm_diagnosis",
    "performance_status_at_diagnosis",
    "shows_response_or_no_disease",
    "unfailing_assessments_since",
]

PS_AT_DIAGNOSIS_DAYS = 30
"""How far from the LM diagnosis a performance status may lie to be the one at diagnosis."""

STALE_FINDING_DAYS = 90
"""A finding dated more than this many days before the evaluation date is given with its age."""

_FAILING_SYMPTOMS = frozenset({"new", "persistent", "worsened"})
_GOOD_SYMPTOMS = frozenset({"none", "improved", "resolved"})
_GOOD_MRI = frozenset({"complete_response", "partial_response"})


def age_if_stale(date: dt.date, as_of: dt.date | None) -> int | None:
    """The age in days of a finding dated more than :data:`STALE_FINDING_DAYS` before ``as_of``, else ``None``."""
    if as_of is None or (as_of - date).days <= STALE_FINDING_DAYS:
        return None
    return (as_of - date).days


def latest_performance_status(patient: Patient) -> PerformanceStatus | None:
    """The latest assessment: by date in a history; a single one, dated or not, is the latest."""
    assessments = patient.performance_statuses
    if len(assessments) <= 1:
        return assessments[0] if assessments else None
    return max(assessments, key=lambda ps: ps.date or dt.date.min)


def lm_diagnosis(patient: Patient) -> dt.date | None:
    """The earlier of the first positive CSF cytology and the first MRI with leptomeningeal enhancement."""
    found = [c.date for c in patient.csf_cytology if c.result.value == "positive"]
    found += [m.date for m in patient.mri if m.leptomeningeal_enhancement]
    return min(found, default=None)


def performance_status_at_diagnosis(patient: Patient) -> PerformanceStatus | None:
    """The PS at LM diagnosis (docs/interpretation.md#policy), or ``None`` when none was recorded then.

    An undated single assessment is taken as the one at diagnosis. A dated one, single or in a
    history, is the one at diagnosis only within :data:`PS_AT_DIAGNOSIS_DAYS` of it: the latest
    dated on or up to that many days before the diagnosis, else the earliest up to that many
    days after (an ECOG 0 from two years before LM is not the PS at its diagnosis).
    """
    assessments = patient.performance_statuses
    if len(assessments) == 1 and assessments[0].date is None:
        return assessments[0]
    diagnosis = lm_diagnosis(patient)
    if diagnosis is None:
        return None
    window = dt.timedelta(days=PS_AT_DIAGNOSIS_DAYS)
    before = [ps for ps in assessments if ps.date is not None and diagnosis - window <= ps.date <= diagnosis]
    if before:
        return max(before, key=lambda ps: ps.date or dt.date.min)
    after = [ps for ps in assessments if ps.date is not None and diagnosis < ps.date <= diagnosis + window]
    return min(after, key=lambda ps: ps.date or dt.date.max) if after else None


Assessment = NeuroExam | CsfCytology | MriAssessment


def unfailing_assessments_since(patient: Patient, since: dt.date) -> tuple[Assessment, ...] | None:
    """The latest assessment of each kind dated after ``since``, when none of them shows failure.

    ``None`` when the latest exam is symptomatic, the latest cytology positive or the latest MRI
    shows progression. An MRI without a response read gives no verdict but is the latest look at
    the disease: it is returned, and :func:`shows_response_or_no_disease` says it shows neither.
    """
    found: list[Assessment] = []
    exams = [e for e in patient.neuro_exams if e.date > since]
    if exams:
        exam = max(exams, key=lambda e: e.date)
        if exam.symptoms.value in _FAILING_SYMPTOMS:
            return None
        found.append(exam)
    samples = [c for c in patient.csf_cytology if c.date > since]
    if samples:
        sample = max(samples, key=lambda c: c.date)
        if sample.result.value == "positive":
            return None
        found.append(sample)
    scans = [m for m in patient.mri if m.date > since]
    if scans:
        scan = max(scans, key=lambda m: m.date)
        if scan.response is not None and scan.response.value == "progression":
            return None
        found.append(scan)
    return tuple(found)


def shows_response_or_no_disease(assessment: Assessment) -> bool:
    """Whether an assessment is good news (docs/interpretation.md#texts), not merely no failure.

    A neurological exam without symptoms, improved or resolved; a negative CSF cytology; an MRI
    read as a complete or partial response. An MRI read as stable never is (the disease is still
    there, with or without enhancement), nor one without a response read, nor an equivocal cytology.
    """
    if isinstance(assessment, NeuroExam):
        return assessment.symptoms.value in _GOOD_SYMPTOMS
    if isinstance(assessment, CsfCytology):
        return assessment.result.value == "negative"
    return assessment.response is not None and assessment.response.value in _GOOD_MRI

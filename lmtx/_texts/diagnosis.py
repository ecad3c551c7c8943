"""Words of the diagnosis: a workup's tests, and what the LM status rests on (rules in :mod:`lmtx.rules.diagnosis`).

The workup texts (``lm-workup``, ``delayed-diagnosis``, in
:mod:`lmtx._texts.pitfalls`) and the LM status of an explanation name the
neuraxis MRIs and CSF cytologies since a symptom onset with their dates and
results, an equivocal cytology as equivocal. A status of ``absent`` is never
said to exclude LM: after a workup it says what was found ("no LM found: MRI
on … and CSF cytology on … negative"), without one that no sign of LM is
recorded (docs/interpretation.md#lm-status).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lmtx._facts import Fact
from lmtx._texts._shared import and_, of
from lmtx.model import Patient

__all__ = ["current_onset", "lm_status_words", "workup_tests"]

_NOT_SYMPTOMATIC = {"none": "no symptoms", "improved": "symptoms improved", "resolved": "symptoms resolved"}


def _dated(noun: str, findings: Sequence[tuple[dt.date, str]]) -> str:
    """``CSF cytology on 2026-01-08 and 2026-02-25 negative``, ``CSF cytology on A equivocal and on B negative``."""
    results = {result for _, result in findings}
    if len(results) == 1:
        return f"{noun} on {and_([date.isoformat() for date, _ in findings])} {results.pop()}"
    return f"{noun} {and_([f'on {date.isoformat()} {result}' for date, result in findings])}"


def workup_tests(patient: Patient, onset: dt.date, until: dt.date | None = None, *, brief: bool = False) -> str:
    """The neuraxis MRIs and CSF cytologies dated on or after ``onset`` (and before ``until``), with results.

    ``MRI on 2026-01-07 without leptomeningeal enhancement and CSF cytology on 2026-01-08 negative``;
    ``brief`` says an MRI without enhancement is negative, and one ``negative`` serves both when
    every cytology is negative (``MRI on … and CSF cytology on … negative``).
    """

    def within(date: dt.date) -> bool:
        return date >= onset and (until is None or date < until)

    scans = sorted((m.date, "negative" if brief else "without leptomeningeal enhancement")
                   for m in patient.mri if within(m.date) and not m.leptomeningeal_enhancement)  # fmt: skip
    samples = sorted((c.date, c.result.value) for c in patient.csf_cytology if within(c.date))
    if brief and scans and samples and {result for _, result in samples} == {"negative"}:
        mri = f"MRI on {and_([date.isoformat() for date, _ in scans])}"
        return f"{mri} and {_dated('CSF cytology', samples)}"
    words = [_dated("MRI", scans)] if scans else []
    words += [_dated("CSF cytology", samples)] if samples else []
    return and_(words) if not brief else ", ".join(words)


def current_onset(derived: Sequence[Fact]) -> int | None:
    """The latest symptom onset (an engine day), ``None`` when the latest exam is not symptomatic."""
    return max((int(f["date"]) for f in of(derived, "symptom_onset")), default=None)


def lm_status_words(derived: Sequence[Fact], patient: Patient) -> str:
    """What an ``absent`` LM status rests on, in words; empty for the other statuses.

    Args:
        derived: Every fact derived in the evaluation.
        patient: The validated record.
    """
    statuses = {f["status"] for f in of(derived, "lm")}
    if statuses != {"absent"}:
        return ""
    onset = current_onset(derived)
    if onset is not None and any(int(f["onset"]) == onset for f in of(derived, "workup_complete")):
        return f"no LM found: {workup_tests(patient, dt.date.fromordinal(onset), brief=True)}"
    if not patient.neuro_exams:
        return "no sign of LM recorded (no symptomatic exam, no leptomeningeal enhancement, no positive cytology)"
    latest = max(patient.neuro_exams, key=lambda e: e.date)
    return (
        f"no sign of LM recorded (latest neurological exam, on {latest.date.isoformat()}, with "
        f"{_NOT_SYMPTOMATIC.get(latest.symptoms.value, latest.symptoms.value)}; no leptomeningeal enhancement, "
        "no positive cytology)"
    )

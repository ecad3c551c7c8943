"""Hypothesis strategies for lmtx's domain model, for property-based tests.

Needs the optional extra ``lmtx[testing]`` (hypothesis); ``import lmtx`` does
not. The strategies generate records that :func:`lmtx.evaluate` accepts, in
both forms: wire-format dicts (docs/input-format.md, JSON-compatible) and typed
:class:`lmtx.Patient` objects; and invalid payloads, each with the JSON path
of the problem it carries:

    from hypothesis import given
    import lmtx
    from lmtx import strategies as lst

    @given(lst.evaluation_cases())
    def test_my_pipeline_accepts_every_result(case):
        result = lmtx.evaluate(case.patient, as_of=case.as_of)
        my_pipeline(result.to_dict())

Valid records cover the whole wire format: every enumeration value, both
performance-status scales or none, optional fields present or left out, empty
and absent lists, every therapy combination the phases need (osimertinib
below, at and above 160 mg, with intrathecal pemetrexed, with platinum
chemotherapy, other EGFR TKIs, radiotherapy), and realistic date orderings:
the dates of a record are drawn around a few key days, so that assessments
fall before, on and after each therapy start, and the record is then moved to
a random year. A third of the records tell a treatment story (established LM
on osimertinib 160 mg, often with courses of intrathecal pemetrexed and
platinum that are active, completed or stopped, and follow-up findings that
often show failure), a sixth a diagnostic story (runs of neurological exams
with MRIs and CSF cytologies around the symptom onset, and often new or
worse symptoms after that workup),
so that every phase and every reading of docs/interpretation.md is common.

Drug doses are any positive number up to lmtx's plausibility bound of
100,000 mg, often a usual clinical dose, and for osimertinib often one at or
just below 160 mg; only osimertinib always has one.

The fields of input revision 2026-12-06 appear at a moderate rate: every
listed agent (routes named where an agent has several), therapy names, the
drug class of `other` drugs (most often `egfr-tki`), dosing intervals (for
osimertinib 1 or now and then 2 days), stop reasons on ended therapies, an
osimertinib stopped for a change of dose and followed by another, the 160 mg
regimen held and resumed (two pieces, the first ending at most a few days
before the next begins), performance-status histories of two or three dated
assessments, dated brain metastases, flow studies and systemic assessments,
and toxicities attributed to agents of the record's therapies.

A sixth of the records tell a tolerance story (docs/interpretation.md#tolerable-dose):
osimertinib stopped or completed, often for toxicity, with or without a
reason, next to a toxicity dated around its end (sometimes attributed), and
what followed: nothing (a withhold within the label's 21 days, or longer), a
reduction within 7 days, the same dose again after 8-25 days, a higher dose,
or a plan; often an intrathecal course (active, completed or stopped for
each reason) with a cytopenia or aseptic meningitis since it began; planned
EGFR TKIs (osimertinib 80 or 160 mg, gefitinib at its standard dose,
dacomitinib or furmonertinib above theirs, erlotinib without a dose);
another EGFR TKI given (at, above or without a standard dose); radiotherapy
planned.
"""

from __future__ import annotations

try:
    import hypothesis.strategies  # noqa: F401  (every submodule needs it: one clear message here)
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("lmtx.strategies needs hypothesis: pip install 'lmtx[testing]'") from error

from lmtx.strategies._common import dates
from lmtx.strategies._invalid import _SCHEMA as _SCHEMA  # the mutations' wire table (tests check it)
from lmtx.strategies._invalid import InvalidCase, invalid_cases, invalid_payloads
from lmtx.strategies._patients import EvaluationCase, evaluation_cases, patient_dicts, patients
from lmtx.strategies._records import (
    csf_cytology_dicts,
    mri_dicts,
    neuro_exam_dicts,
    performance_status_dicts,
    therapy_dicts,
    toxicity_dicts,
)
from lmtx.strategies._typed import (
    csf_cytologies,
    mri_assessments,
    neuro_exams,
    performance_statuses,
    therapies,
    toxicities,
)

__all__ = [
    "EvaluationCase",
    "InvalidCase",
    "csf_cytologies",
    "csf_cytology_dicts",
    "dates",
    "evaluation_cases",
    "invalid_cases",
    "invalid_payloads",
    "mri_assessments",
    "mri_dicts",
    "neuro_exam_dicts",
    "neuro_exams",
    "patient_dicts",
    "patients",
    "performance_status_dicts",
    "performance_statuses",
    "therapies",
    "therapy_dicts",
    "toxicities",
    "toxicity_dicts",
]

"""The timeline of a patient: :func:`lmtx.evaluate` replayed on each day of the record.

Every step is an ordinary evaluation, through the same engine and rules, of
the record as known that day (:func:`lmtx.course.record.record_on`), with
that day as ``as_of``; the last step is ``evaluate(patient, as_of)`` itself.
The concordance of the course (:mod:`lmtx.course.concordance`) compares the
steps with the therapies the record shows. Wire format and readings: the
"Patient course and audit" page (docs/course.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import attrs

from lmtx._evaluate import PatientInput, _result, evaluate, infer, parse_patient
from lmtx._validate import check_patient
from lmtx.course.concordance import ConcordanceEntry, CourseStep, concordance
from lmtx.course.record import other_egfr_tki_active, record_on, step_dates
from lmtx.errors import EvaluationError, InvalidPatient
from lmtx.model import Patient
from lmtx.policy import Policy, coerce_policy
from lmtx.result import KnowledgeBaseInfo, Result

__all__ = ["Step", "Timeline", "timeline"]


@attrs.frozen
class Step:
    """One day of the course: the evaluation of the record as known that day.

    Attributes:
        date: The day (``None`` only for a record without any date).
        result: The full result of :func:`lmtx.evaluate` on that day's record.
    """

    date: dt.date | None
    result: Result

    @property
    def applicable(self) -> bool:
        """Whether the treatment algorithm applied that day."""
        return self.result.applicable

    @property
    def lm_status(self) -> str:
        """The LM status that day."""
        return self.result.lm_status

    @property
    def phase(self) -> str | None:
        """The phase that day (``None`` when not applicable)."""
        return self.result.phase

    @property
    def recommendations(self) -> dict[str, str]:
        """Every recommendation that day: code -> action, in the result's order."""
        return {r.code: r.action for r in self.result.recommendations}

    @property
    def alerts(self) -> dict[str, str]:
        """Every alert that day: code -> severity, in the result's order."""
        return {a.code: a.severity for a in self.result.alerts}

    def to_dict(self) -> dict[str, Any]:
        """The step in the wire format: date, applicability, LM status, phase, recommendations and alerts."""
        return {
            "date": None if self.date is None else self.date.isoformat(),
            "applicable": self.applicable,
            "lm_status": self.lm_status,
            "phase": self.phase,
            "recommendations": self.recommendations,
            "alerts": self.alerts,
        }


@attrs.frozen
class Timeline:
    """A patient's course through the document, and its concordance with it.

    Attributes:
        patient: The validated record the timeline was built from.
        as_of: The last day (``None`` only for a record without any date).
        steps: One step per day of the course, in date order; the last is ``evaluate(patient, as_of)``.
        concordance: Episodes and unprompted starts, ordered by (``indicated_from`` or ``acted_on``, ``code``).
    """

    patient: Patient
    as_of: dt.date | None
    steps: tuple[Step, ...]
    concordance: tuple[ConcordanceEntry, ...]

    @property
    def patient_id(self) -> str | None:
        """The record's ``id``."""
        return self.patient.id

    @property
    def knowledge_base(self) -> KnowledgeBaseInfo:
        """The knowledge base that produced every step."""
        return self.steps[-1].result.knowledge_base

    @property
    def result(self) -> Result:
        """The result of the last step: ``evaluate(patient, as_of)``."""
        return self.steps[-1].result

    def to_dict(self) -> dict[str, Any]:
        """The timeline in the wire format (JSON-compatible).

        ``{"patient_id", "as_of", "knowledge_base", "steps", "concordance"}``;
        see the "Patient course and audit" page (docs/course.md).
        """
        kb = self.knowledge_base
        return {
            "patient_id": self.patient_id,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "knowledge_base": {"id": kb.id, "version": kb.version, "digest": kb.digest},
            "steps": [step.to_dict() for step in self.steps],
            "concordance": [entry.to_dict() for entry in self.concordance],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The wire format as JSON text; identical input gives identical text.

        Args:
            indent: Indentation for pretty printing; ``None`` for one line.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def timeline(
    patient: PatientInput,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
) -> Timeline:
    """Replay a patient's record day by day and compare it with what was done.

    There is one step per distinct date of the record on or before ``as_of``,
    and one for ``as_of``; each is :func:`lmtx.evaluate` on the record as
    known that day, with that day as ``as_of``. A record with *n* distinct
    dates costs about *n* evaluations.

    Args:
        patient: A :class:`~lmtx.model.Patient`, a wire-format mapping, or JSON text.
        as_of: The last day (a date or an ISO string); default: the latest date in the record.
        policy: The thresholds the document leaves open; default :data:`~lmtx.policy.DEFAULT_POLICY`.

    Returns:
        The timeline; its last step equals ``evaluate(patient, as_of, policy)``.

    Raises:
        InvalidPatient: Exactly when :func:`lmtx.evaluate` raises it, with the same problems.
        EvaluationError: A defect inside lmtx (never caused by the input).
    """
    try:
        checked = coerce_policy(policy)
        model, day = parse_patient(patient, as_of)
    except InvalidPatient:
        evaluate(patient, as_of=as_of, policy=policy)  # raises exactly what evaluate() raises for this input
        raise  # pragma: no cover - evaluate() rejects every input that parse_patient or coerce_policy rejects
    earlier = [d for d in step_dates(model, day)[:-1] if d is not None]
    records = [record_on(model, d) for d in earlier]
    steps = [Step(d, _evaluate_day(record, d, checked)) for d, record in zip(earlier, records, strict=True)]
    steps.append(Step(day, _evaluate_model(model, day, checked)))
    records.append(model)
    views = [
        CourseStep(s.date, s.recommendations, s.applicable, s.lm_status, other_egfr_tki_active(record))
        for s, record in zip(steps, records, strict=True)
    ]
    return Timeline(model, day, tuple(steps), concordance(model, views))


def _evaluate_day(record: Patient, day: dt.date, policy: Policy) -> Result:
    """``evaluate(record, day, policy)`` on the record of one day, which is built from a validated model.

    The record of a day is a valid model by construction, so it is checked as a model (every cross-field
    rule of :func:`lmtx.evaluate`) without the round trip through the wire form, which cost about a
    tenth of an audit. A record of a day that fails the check is a defect in lmtx, never in the input.
    """
    problems = check_patient(record, day)
    if problems:
        found = "; ".join(f"{p.path}: {p.message}" for p in problems)
        raise EvaluationError(f"the record of {day.isoformat()} is not valid (a defect in lmtx): {found}")
    return _evaluate_model(record, day, policy)


def _evaluate_model(record: Patient, day: dt.date | None, policy: Policy) -> Result:
    """What :func:`lmtx.evaluate` does after validating: the engine's run, and the result built from it."""
    run = infer(record, day, policy).run
    try:
        return _result(record, day, run)
    except EvaluationError:
        raise
    except Exception as error:
        raise EvaluationError(f"building the result failed: {error!r}") from error

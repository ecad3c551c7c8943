"""The two questions lmtx answers: why each part of a result (:func:`explanation`), why not a code (:func:`why_not`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from lmtx._evaluate import PatientInput
from lmtx._texts.diagnosis import lm_status_words
from lmtx.catalogue import CATALOGUE
from lmtx.explain._conditions import DEFAULT_DEPTH, Checker
from lmtx.explain._data import Explanation, WhyNot
from lmtx.explain._origins import evaluation, items
from lmtx.knowledge import knowledge_base
from lmtx.policy import Policy

__all__ = ["explanation", "why_not"]


def explanation(
    patient: PatientInput,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
) -> Explanation:
    """Evaluate a patient and explain every part of the result.

    Args:
        patient: The record, in any form :func:`lmtx.evaluate` takes.
        as_of: The evaluation date; default: the latest date in the record.
        policy: The thresholds the document leaves open.

    Returns:
        The result with, for the LM status, the applicability, the phase and
        every item, the rule firing behind it (render it with
        :meth:`Explanation.to_text`).

    Raises:
        InvalidPatient: The input is invalid (as for :func:`lmtx.evaluate`).
        EvaluationError: A defect inside lmtx.
    """
    result, facts = evaluation(patient, as_of, policy)
    return Explanation(
        result=result,
        lm_status=tuple(facts.reasons(lambda f: f["t"] == "lm")),
        applicability=tuple(facts.reasons(lambda f: f["t"] in ("applicable", "not_applicable"))),
        phase=facts.merged_reason(lambda f: f["t"] == "phase"),
        recommendations=tuple(facts.explained(item) for item in result.recommendations),
        alerts=tuple(facts.explained(item) for item in result.alerts),
        prognosis=tuple(facts.explained(item) for item in result.prognosis),
        lm_status_words=lm_status_words([f for firing in facts.firings for f in firing.emitted], facts.patient),
    )


def why_not(
    patient: PatientInput,
    code: str,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
    *,
    depth: int = DEFAULT_DEPTH,
) -> WhyNot:
    """Say why a patient did not get an output code: the unmet conditions of each rule that can emit it.

    Args:
        patient: The record, in any form :func:`lmtx.evaluate` takes.
        code: A recommendation, alert or prognosis code (see docs/output-format.md).
        as_of: The evaluation date; default: the latest date in the record.
        policy: The thresholds the document leaves open.
        depth: How many levels of deriving rules to follow below the
            emitting rules, for unmet conditions on derived facts.

    Returns:
        For every rule able to emit ``code``: each condition, met or not,
        with the facts involved and, for unmet ones, the inputs or deriving
        rules that could change it. ``present`` is true when the patient
        has the code after all; ``because`` then holds the firing that gave
        it. Render it with :meth:`WhyNot.to_text`.

    Raises:
        ValueError: ``code`` is not an output code, or ``depth`` is negative.
        InvalidPatient: The input is invalid (as for :func:`lmtx.evaluate`).
        EvaluationError: A defect inside lmtx.

    Examples:
        >>> import lmtx
        >>> answer = lmtx.why_not({"histology": "adenocarcinoma", "egfr": {"status": "mutant"},
        ...                        "csf_cytology": [{"date": "2026-02-01", "result": "positive"}]}, "it-pemetrexed")
        >>> answer.present, answer.rules[0].rule, answer.rules[0].fired
        (False, 'add-intrathecal-pemetrexed', False)
        >>> print(answer.to_text().splitlines()[2])
          Three rules can give it:
    """
    if code not in CATALOGUE:
        raise ValueError(f"unknown output code {code!r}; the codes are: {', '.join(CATALOGUE)}")
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    result, facts = evaluation(patient, as_of, policy)
    item = next((i for i in items(result) if i.code == code), None)
    checker = Checker(facts, depth)
    item_type = CATALOGUE[code].output
    return WhyNot(
        code=code,
        output=CATALOGUE[code].output,
        patient_id=result.patient_id,
        as_of=result.as_of,
        present=item is not None,
        item=item,
        because=None if item is None else next(facts.reasons(lambda f: f.get("code") == code and f["t"] == item_type)),
        rules=tuple(checker.check(info.rule, 0, ()) for info in knowledge_base().rules_emitting(code)),
    )

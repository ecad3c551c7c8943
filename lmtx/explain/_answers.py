"""The two questions lmtx answers: why each part of a result (:func:`explanation`), why not a code (:func:`why_not`).

Each answer (:class:`Explanation`, :class:`WhyNot`) is frozen data built of
the parts in :mod:`lmtx.explain._data`, with a JSON form (``to_dict``) and a
text form (``to_text``, rendered by :mod:`lmtx.explain._text`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from lmtx._evaluate import PatientInput
from lmtx._texts.diagnosis import lm_status_words
from lmtx.catalogue import CATALOGUE
from lmtx.explain._clinical import render_clinical_why_not
from lmtx.explain._conditions import DEFAULT_DEPTH, Checker
from lmtx.explain._data import Event, ExplainedItem, Item, NotMet, Reason, RuleCheck, plain
from lmtx.explain._events import propose
from lmtx.explain._origins import evaluation, items
from lmtx.explain._text import render_explanation, render_why_not
from lmtx.explain._unmet import event_groups, not_met
from lmtx.knowledge import knowledge_base
from lmtx.policy import Policy
from lmtx.result import Result

__all__ = ["DETAILS", "Detail", "Explanation", "WhyNot", "explanation", "why_not"]

Detail = Literal["clinical", "engine"]
"""Which account the text form of a why-not answer gives: for a clinician, or the engine's."""
DETAILS: tuple[Detail, ...] = ("clinical", "engine")
"""The accounts a why-not answer's text can give, the default first."""


@attrs.frozen
class Explanation:
    """A result with the reason for each of its parts (see :func:`explanation`).

    Attributes:
        result: The result explained.
        lm_status: The firings that derived the LM status.
        applicability: The firings that made the algorithm apply, or not.
        phase: The firing that derived the phase (``None`` when not applicable).
        recommendations: Each recommendation, in the result's order.
        alerts: Each alert, in the result's order (by severity).
        prognosis: Each prognosis note.
        lm_status_words: What an ``absent`` LM status rests on, in words (``no LM found: MRI on …
            and CSF cytology on … negative``); empty for the other statuses.
    """

    result: Result
    lm_status: tuple[Reason, ...]
    applicability: tuple[Reason, ...]
    phase: Reason | None
    recommendations: tuple[ExplainedItem, ...]
    alerts: tuple[ExplainedItem, ...]
    prognosis: tuple[ExplainedItem, ...]
    lm_status_words: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-compatible data: the result's wire format plus a ``because`` for each part."""
        wire = self.result.to_dict()
        for key, explained in (
            ("recommendations", self.recommendations),
            ("alerts", self.alerts),
            ("prognosis", self.prognosis),
        ):
            wire[key] = [
                {**data, "because": plain(item.because), "cited": plain(item.statements)}
                for data, item in zip(wire[key], explained, strict=True)
            ]
        wire["because"] = {
            "lm_status": plain(self.lm_status),
            "applicability": plain(self.applicability),
            "phase": plain(self.phase),
        }
        return wire

    def to_text(self, width: int = 100) -> str:
        """A readable report for a clinician or an integrator.

        Args:
            width: The line width to wrap text at.

        Returns:
            Several lines of plain text, ending in a newline.
        """
        return render_explanation(self, width)


@attrs.frozen
class WhyNot:
    """Why a patient did, or did not, get an output code (see :func:`why_not`).

    Attributes:
        code: The output code asked about.
        output: ``recommendation``, ``alert`` or ``prognosis``.
        patient_id: The record's ``id``.
        as_of: The evaluation date.
        present: Whether the result has the code after all.
        item: The item, when present.
        rules: Every rule able to emit the code, checked (the engine's account).
        because: When present: the firing that gave it, with its findings.
        not_met: When absent: for each rule able to emit the code, what of it
            the record does not meet, in clinical words.
        events: At most three clinical events, dated ``as_of``, that change
            the advice on the code, each checked by evaluating the record with
            it at the same ``as_of``.
        detail: Which account :meth:`to_text` gives: ``clinical`` (at most 15
            lines: what is not met, and the events) or ``engine`` (every rule,
            condition and fact, followed down the deriving rules).
    """

    code: str
    output: str
    patient_id: str | None
    as_of: dt.date | None
    present: bool
    item: Item | None
    rules: tuple[RuleCheck, ...]
    because: Reason | None = None
    not_met: tuple[NotMet, ...] = ()
    events: tuple[Event, ...] = ()
    detail: Detail = "clinical"

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-compatible data: both accounts (see docs/api/explain.md)."""
        data: dict[str, Any] = plain(self)
        return data

    def to_text(self, width: int = 100, *, detail: Detail | None = None) -> str:
        """A readable answer.

        Args:
            width: The line width to wrap text at.
            detail: ``clinical`` or ``engine``; default: the answer's :attr:`detail`.

        Returns:
            Several lines of plain text, ending in a newline: at most 15 for
            the clinical account.
        """
        if (detail or self.detail) == "engine":
            return render_why_not(self, width)
        return render_clinical_why_not(self, width)


def _advice(item: Item | None) -> tuple[bool, str | None]:
    """The advice on a code in a result: whether it is given, and its action or severity."""
    if item is None:
        return False, None
    return True, getattr(item, "action", None) or getattr(item, "severity", None)


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
    detail: Detail = "clinical",
) -> WhyNot:
    """Say why a patient did not get an output code, and what clinical events would change that.

    Args:
        patient: The record, in any form :func:`lmtx.evaluate` takes.
        code: A recommendation, alert or prognosis code (see docs/output-format.md).
        as_of: The evaluation date; default: the latest date in the record.
        policy: The thresholds the document leaves open.
        depth: How many levels of deriving rules to follow below the
            emitting rules, for unmet conditions on derived facts.
        detail: The account :meth:`WhyNot.to_text` gives: ``clinical`` (the
            default: at most 15 lines) or ``engine`` (the rules, conditions
            and facts). The answer holds both; only its text differs.

    Returns:
        What is not met, in clinical words (``not_met``), and at most three
        clinical events dated ``as_of`` that would change the advice on
        ``code`` (``events``), each checked by evaluating the record with it;
        and the engine's account: for every rule able to emit ``code``, each
        condition, met or not, with the facts involved and, for unmet ones,
        the inputs or deriving rules that could change it (``rules``).
        ``present`` is true when the patient has the code after all;
        ``because`` then holds the firing that gave it. Render it with
        :meth:`WhyNot.to_text`.

    Raises:
        ValueError: ``code`` is not an output code, ``depth`` is negative, or
            ``detail`` is neither ``clinical`` nor ``engine``.
        InvalidPatient: The input is invalid (as for :func:`lmtx.evaluate`).
        EvaluationError: A defect inside lmtx.

    Examples:
        >>> import lmtx
        >>> answer = lmtx.why_not({"histology": "adenocarcinoma", "egfr": {"status": "mutant"},
        ...                        "csf_cytology": [{"date": "2026-02-01", "result": "positive"}]}, "it-pemetrexed")
        >>> answer.present, answer.rules[0].rule, answer.rules[0].fired
        (False, 'add-intrathecal-pemetrexed', False)
        >>> print(answer.to_text(detail="engine").splitlines()[2])
          5 rules can give it:
    """
    if code not in CATALOGUE:
        raise ValueError(f"unknown output code {code!r}; the codes are: {', '.join(CATALOGUE)}")
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)}, got {detail!r}")
    result, facts = evaluation(patient, as_of, policy)
    item = next((i for i in items(result) if i.code == code), None)
    checker = Checker(facts, depth)
    item_type = CATALOGUE[code].output
    rules = tuple(checker.check(info.rule, 0, ()) for info in knowledge_base().rules_emitting(code))
    return WhyNot(
        code=code,
        output=CATALOGUE[code].output,
        patient_id=result.patient_id,
        as_of=result.as_of,
        present=item is not None,
        item=item,
        because=None if item is None else next(facts.reasons(lambda f: f.get("code") == code and f["t"] == item_type)),
        rules=rules,
        not_met=() if item is not None else not_met(rules),
        events=propose(
            facts.patient, result.as_of, facts.policy, code, before=_advice(item), groups=event_groups(rules)
        ),
        detail=detail,
    )

"""The one road: input -> validated model -> facts -> engine -> derived facts -> Result."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

import attrs

from lmtx import _codec
from lmtx._engine import CompiledRules, Run
from lmtx._facts import BASE_FACT_ORDER, DESCENDING, Fact, base_facts, describe_fact
from lmtx._pack import pack_alerts, pack_infos, run_pack
from lmtx._texts import compose
from lmtx._validate import check_patient, default_as_of
from lmtx.cache import ResultCache
from lmtx.catalogue import CATALOGUE, references_of
from lmtx.dsl import Rule
from lmtx.errors import EvaluationError, InvalidPatient, Problem
from lmtx.knowledge import knowledge_base, safety_pack
from lmtx.model import Patient
from lmtx.policy import Policy, coerce_policy
from lmtx.result import (
    Alert,
    KnowledgeBaseInfo,
    PrognosisNote,
    Recommendation,
    Result,
    TraceEntry,
)

__all__ = ["Inference", "PatientInput", "evaluate", "infer", "parse_patient"]

PatientInput = Patient | Mapping[str, Any] | str | bytes | bytearray
"""What :func:`evaluate` accepts as a patient."""

NOT_APPLICABLE_REASONS = ("not-nsclc", "egfr-wild-type", "egfr-status-unknown", "no-cns-involvement")
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_CODE_ORDER = {code: index for index, code in enumerate(CATALOGUE)}

_compiled_lock = threading.Lock()
_compiled_rules: CompiledRules | None = None


def _engine() -> CompiledRules:
    global _compiled_rules  # noqa: PLW0603 - one compiled rule base per process, by design
    if _compiled_rules is None:
        with _compiled_lock:
            if _compiled_rules is None:
                kb = knowledge_base()
                name = f"{kb.id}-{kb.digest.removeprefix('sha256:')[:16]}"
                _compiled_rules = CompiledRules(name, [info.rule for info in kb.rules], BASE_FACT_ORDER, DESCENDING)
    return _compiled_rules


def _wire(patient: object) -> object:
    if isinstance(patient, Patient):
        # Typed input takes the same checks as JSON: through the wire form and back.
        return _codec.unstructure_patient(patient)
    if isinstance(patient, str | bytes | bytearray):
        return _codec.load_json(patient)
    if isinstance(patient, Mapping):
        return patient
    raise InvalidPatient(
        [Problem("$", f"must be a patient object, a JSON object or JSON text, got {_codec.describe(patient)}")]
    )


_FIELDS = frozenset(attrs.fields_dict(Patient))


def _whole_record_problems(wire: Mapping[str, Any], as_of: dt.date | None) -> list[Problem]:
    """The cross-field problems of the parts of a record that structured cleanly.

    A type error in one field must not hide, say, a negative dose elsewhere: every
    top-level field that structures on its own is kept, and the record made of those
    is checked as a whole (a field with a type error inside is left out of this pass).
    """
    usable: dict[str, Any] = {"histology": "other"}
    for key, value in wire.items():
        if key in _FIELDS:
            try:
                _codec.structure_patient({**usable, key: value})
            except InvalidPatient:
                continue
            usable[key] = value
    partial = _codec.structure_patient(usable)
    return check_patient(partial, as_of or default_as_of(partial))


def _as_of(value: object) -> tuple[dt.date | None, list[Problem]]:
    if value is None:
        return None, []
    try:
        return _codec.parse_date(value), []
    except _codec.WireError as error:
        return None, [Problem("as_of", str(error))]


def parse_patient(patient: PatientInput, as_of: dt.date | str | None = None) -> tuple[Patient, dt.date | None]:
    """Validate a patient record completely, without evaluating it.

    Args:
        patient: A :class:`~lmtx.model.Patient`, a wire-format mapping, or JSON text.
        as_of: The evaluation date; default: the latest date in the record.

    Returns:
        The structured patient and the evaluation date (``None`` when the
        record has no date at all and none was given).

    Raises:
        InvalidPatient: Listing every problem with its JSON path.
    """
    date, problems = _as_of(as_of)
    wire = _wire(patient)
    try:
        model = _codec.structure_patient(wire)
    except InvalidPatient as error:
        whole = _whole_record_problems(wire, date) if isinstance(wire, Mapping) else []
        raise InvalidPatient([*error.problems, *problems, *whole]) from None
    if problems:
        raise InvalidPatient(problems)
    date = date or default_as_of(model)
    problems = check_patient(model, date)
    if problems:
        raise InvalidPatient(problems)
    return model, date


def evaluate(
    patient: PatientInput,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
    *,
    cache: ResultCache | None = None,
) -> Result:
    """Evaluate one patient against the document.

    Args:
        patient: A :class:`~lmtx.model.Patient`, a mapping in the wire format
            (docs/input-format.md), or that mapping as JSON text.
        as_of: The evaluation date (a date or an ISO string). Default: the
            latest date in the record. The clock is never read.
        policy: The thresholds the document leaves open; default
            :data:`~lmtx.policy.DEFAULT_POLICY`.
        cache: An opt-in :class:`~lmtx.cache.ResultCache`: an identical
            validated record, date, policy and knowledge base returns the
            cached result (the input is still validated on every call).

    Returns:
        The explained result. Identical input gives an identical result.

    Raises:
        InvalidPatient: The input is invalid; every problem is listed with
            its JSON path. Nothing is evaluated.
        EvaluationError: A defect inside lmtx (never caused by the input).
    """
    try:
        checked_policy = coerce_policy(policy)
        policy_problems: list[Problem] = []
    except InvalidPatient as error:
        checked_policy, policy_problems = Policy(), list(error.problems)
    try:
        model, date = parse_patient(patient, as_of)
    except InvalidPatient as error:
        raise InvalidPatient([*error.problems, *policy_problems]) from None
    if policy_problems:
        raise InvalidPatient(policy_problems)
    key = None
    if cache is not None:
        digests = [knowledge_base().digest, *(p.digest for p in pack_infos(checked_policy))]
        key = cache.key(model, date, checked_policy, "+".join(digests))
        cached = cache.get(key)
        if cached is not None:
            return cached
    inference = infer(model, date, checked_policy)
    try:
        result = _result(model, date, inference.run, inference.pack)
    except EvaluationError:
        raise
    except Exception as error:
        raise EvaluationError(f"building the result failed: {error!r}") from error
    if cache is not None and key is not None:
        cache.put(key, result)
    return result


@attrs.frozen
class Inference:
    """The engine's view of one evaluation: base facts in, firings and derived facts out.

    ``pack`` is the safety pack's run (after the document's, on its facts) when the policy turns it on.
    """

    patient: Patient
    as_of: dt.date | None
    policy: Policy
    base_facts: tuple[Fact, ...]
    run: Run
    pack: Run | None = None


def infer(patient: Patient, as_of: dt.date | None, policy: Policy) -> Inference:
    """Run the rule base on an already validated patient (no result building).

    Used by :func:`evaluate` and by explanations that need the facts themselves.
    """
    facts = base_facts(patient, policy, as_of)
    run = _engine().run(facts)
    pack = run_pack(patient, facts, run) if policy.safety_pack else None
    return Inference(patient, as_of, policy, tuple(facts), run, pack)


_OUTPUT_TYPES = frozenset({"recommendation", "alert", "prognosis"})


def _result(patient: Patient, as_of: dt.date | None, run: Run, pack: Run | None = None) -> Result:
    """The result of the document's run, and of the safety pack's when it ran (its alerts come last)."""
    statuses: set[str] = set()
    applicable = False
    reasons: set[str] = set()
    phases: set[str] = set()
    emitted: list[Fact] = []
    for fact in run.derived:
        kind = fact["t"]
        if kind in _OUTPUT_TYPES:
            emitted.append(fact)
        elif kind == "lm":
            statuses.add(fact["status"])
        elif kind == "applicable":
            applicable = True
        elif kind == "not_applicable":
            reasons.add(fact["reason"])
        elif kind == "phase":
            phases.add(fact["value"])
    if len(statuses) != 1:
        raise EvaluationError(f"expected one LM status, derived {sorted(statuses)}")
    if applicable == bool(reasons) or len(phases) != (1 if applicable else 0):
        raise EvaluationError(
            f"inconsistent derivation: applicable={applicable}, reasons={sorted(reasons)}, phases={sorted(phases)}"
        )
    emitted_by = {id(fact): firing.rule for firing in run.firings for fact in firing.emitted}
    outputs: dict[str, tuple[Fact, str]] = {}
    for fact in emitted:
        if fact["code"] in outputs:
            raise EvaluationError(f"two different {fact['code']} items: {outputs[fact['code']][0]} and {fact}")
        outputs[fact["code"]] = (fact, emitted_by[id(fact)])
    kb = knowledge_base()
    rules = _engine().rule_by_id  # the rules that ran
    items = [_item(fact, rules[rule], run.derived, patient, as_of) for fact, rule in outputs.values()]
    return Result(
        patient_id=patient.id,
        as_of=as_of,
        applicable=applicable,
        not_applicable_reasons=tuple(r for r in NOT_APPLICABLE_REASONS if r in reasons),
        lm_status=statuses.pop(),
        phase=phases.pop() if phases else None,
        recommendations=tuple(
            sorted((i for i in items if isinstance(i, Recommendation)), key=lambda i: _CODE_ORDER[i.code])
        ),
        alerts=(
            *sorted(
                (i for i in items if isinstance(i, Alert)),
                key=lambda i: (_SEVERITY_ORDER[i.severity], _CODE_ORDER[i.code]),
            ),
            *(pack_alerts(patient, pack) if pack is not None else ()),
        ),
        prognosis=tuple(sorted((i for i in items if isinstance(i, PrognosisNote)), key=lambda i: _CODE_ORDER[i.code])),
        trace=_trace(run) + (_trace(pack) if pack is not None else ()),
        knowledge_base=KnowledgeBaseInfo(
            id=kb.id, version=kb.version, digest=kb.digest, packs=(safety_pack().info,) if pack is not None else ()
        ),
    )


def _trace(run: Run) -> tuple[TraceEntry, ...]:
    labels: dict[int, str] = {}  # one label per fact, however often the trace shows it
    trace = []
    for firing in run.firings:
        shown = []
        for facts in (firing.matched, firing.emitted):
            names = []
            for fact in facts:
                label = labels.get(id(fact))
                if label is None:
                    label = labels[id(fact)] = describe_fact(fact)
                names.append(label)
            shown.append(tuple(names))
        trace.append(TraceEntry(rule=firing.rule, matched=shown[0], emitted=shown[1]))
    return tuple(trace)


_CITED: dict[tuple[str, str, str], tuple[str, ...]] = {}
"""The statements an item cites by (code, variant, rule id): a few dozen entries per process."""


def _cited(code: str, variant: str, rule: Rule) -> tuple[str, ...]:
    key = (code, variant, rule.id)
    cited = _CITED.get(key)
    if cited is None:
        allowed = CATALOGUE[code].statements_for(variant)
        cited = _CITED[key] = tuple(s for s in rule.statements if s in allowed)
    return cited


def _item(
    fact: Fact, rule: Rule, derived: list[Fact], patient: Patient, as_of: dt.date | None
) -> Recommendation | Alert | PrognosisNote:
    entry = CATALOGUE[fact["code"]]
    variant = str(fact[entry.variant]) if entry.variant else ""
    text = entry.text(variant)
    # Provenance is the rule's (docs/interpretation.md#provenance): of the statements the code
    # may cite, the item cites those its own rule encodes, in the rule's order.
    cited = _cited(entry.code, variant, rule)
    extra, statements, adverse_effects = compose(fact, rule, cited, derived, patient, as_of=as_of)
    params = {**{k: v for k, v in fact.items() if k not in ("t", "code")}, **extra}
    summary = text.summary.format_map(params)
    detail = text.detail.format_map(params)
    if fact["t"] == "recommendation":
        return Recommendation(
            code=entry.code,
            kind=entry.kind or "",
            action=fact["action"],
            summary=summary,
            detail=detail,
            dose=entry.dose_for(variant, params),
            statements=statements,
            evidence=entry.evidence_for(variant),
            references=references_of((*statements, *entry.evidence_for(variant))),
            rule=rule.id,
            adverse_effects=adverse_effects,
        )
    if fact["t"] == "alert":
        return Alert(
            code=entry.code,
            severity=fact["severity"],
            summary=summary,
            statements=statements,
            references=references_of(statements),
            rule=rule.id,
            detail=detail,
        )
    return PrognosisNote(
        code=entry.code,
        summary=summary,
        statements=statements,
        references=references_of(statements),
        rule=rule.id,
        detail=detail,
    )

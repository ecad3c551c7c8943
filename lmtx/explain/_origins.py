"""The facts of one evaluation and where each comes from: the input records, or the rule that derived it.

:class:`Facts` holds the base and derived facts of one evaluation with their
origins, maps a base fact back to the JSON paths of the input it was built
from, and follows a firing down its chain of deriving rules to the input
records it rests on (the findings of :class:`~lmtx.explain.Reason`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from lmtx._engine import Firing
from lmtx._evaluate import PatientInput, evaluate, infer, parse_patient
from lmtx._facts import Fact, base_facts, describe_fact, latest_performance_status, read_tolerance
from lmtx._facts.readings import performance_status_at_diagnosis
from lmtx.catalogue import CATALOGUE
from lmtx.dsl import Match, NoMatch, Ref
from lmtx.explain._data import ExplainedItem, FactRef, Finding, Item, Reason, Role, StatementRef
from lmtx.explain._fact_words import fact_words
from lmtx.explain._records import input_words
from lmtx.explain._words import condition_words
from lmtx.knowledge import knowledge_base, safety_pack
from lmtx.model import Patient
from lmtx.policy import Policy, coerce_policy
from lmtx.result import Recommendation, Result
from lmtx.statements import statement

__all__ = ["HEADLINES", "INPUT_FIELDS", "INPUT_LISTS", "Facts", "evaluation", "items"]

HEADLINES = frozenset({"lm", "applicable", "not_applicable", "phase"})
"""Derived facts the report explains on their own: a chain of reasons stops at them."""

# Where each base fact comes from in the input (see lmtx._facts.base_facts).
INPUT_LISTS = {
    "neuro_exam": "neuro_exams",
    "cytology": "csf_cytology",
    "mri": "mri",
    "therapy": "therapies",
    "toxicity": "toxicities",
}
INPUT_FIELDS: dict[str, dict[str, str]] = {
    "patient": {
        "histology": "histology",
        "egfr": "egfr.status",
        "brain_metastases": "brain_metastases",
        "csf_flow": "csf_flow",
        "systemic_disease": "systemic_disease",
        "as_of": "as_of",
        "recent_from": "as_of",
    },
    "policy": {"poor_ps_ecog": "policy.poor_ps_ecog"},
    "ps": {
        "scale": "performance_status.scale",
        "score": "performance_status.score",
        "date": "performance_status.date",
        "age": "performance_status.date",
    },
    # seq/prev number the records in the order of their date (start, grade): that field moves them.
    "neuro_exam": {"date": "date", "symptoms": "symptoms", "seq": "date", "prev": "date"},
    "cytology": {"date": "date", "result": "result", "seq": "date", "prev": "date"},
    "mri": {
        "date": "date",
        "enhancement": "leptomeningeal_enhancement",
        "response": "response",
        "seq": "date",
        "prev": "date",
    },
    "therapy": {
        "agent": "agent",
        "route": "route",
        "dose_mg": "dose_mg",
        "once_daily_mg": "dose_mg",
        "interval": "interval_days",
        "cls": "agent",
        "status": "status",
        "start": "start",
        "end": "end",
        "reason": "stop_reason",
        "above_standard": "dose_mg",
        "chain_start": "start",
        "primary_start": "start",
        "run_date": "start",
        "stop_kind": "stop_reason",
        "linked_grade": "start",
        "course": "stop_reason",
        "seq": "start",
        "prev": "start",
    },
    "toxicity": {
        "term": "term",
        "grade": "grade",
        "day": "date",
        "window": "date",
        "attributed": "attributed_to",
        "holds_intrathecal": "grade",
        "seq": "grade",
        "prev": "grade",
    },
    # The readings of the whole record (lmtx._facts.links, lmtx._facts.tolerance): what they are read from.
    "link": {
        "toxicity": "toxicities",
        "therapy": "therapies",
        "basis": "toxicities",
        "term": "toxicities",
        "grade": "toxicities",
        "day": "toxicities",
        "agent": "therapies",
        "route": "therapies",
        "dose": "therapies",
        "interval": "therapies",
        "status": "therapies",
        "start": "therapies",
        "end": "therapies",
    },
    "tolerance": {"limit": "therapies", "review": "therapies", "withhold": "therapies", "held": "therapies"},
}
"""Base fact type -> fact field -> input field (a path of its own, or relative to the record)."""


def evaluation(
    patient: PatientInput, as_of: dt.date | str | None, policy: Policy | Mapping[str, object] | None
) -> tuple[Result, Facts]:
    """Evaluate a patient and collect the facts of the evaluation (validates everything first)."""
    result = evaluate(patient, as_of=as_of, policy=policy)  # validates everything, raises InvalidPatient
    model, date = parse_patient(patient, as_of)
    checked = coerce_policy(policy)
    inference = infer(model, date, checked)
    cautions = inference.pack.firings if inference.pack is not None else ()
    return result, Facts(model, date, checked, inference.base_facts, inference.run.firings, cautions=cautions)


def _key(fact: Mapping[str, Any]) -> tuple[tuple[str, str, Any], ...]:
    return tuple(sorted((k, type(v).__name__, v) for k, v in fact.items() if k != "sid"))


_CONTEXT_FIELDS = frozenset(
    {"seq", "prev", "chain_start", "primary_start", "run_date", "stop_kind", "linked_grade", "course"}
    | {"above_standard", "day", "window", "attributed", "holds_intrathecal"}
)
"""Fact fields that depend on the rest of the record or on the evaluation date, not on the record alone."""


def _record_key(fact: Mapping[str, Any]) -> tuple[tuple[str, str, Any], ...]:
    return _key({k: v for k, v in fact.items() if k not in _CONTEXT_FIELDS})


class Facts:
    """Base and derived facts of one evaluation, with their origins."""

    def __init__(
        self,
        patient: Patient,
        as_of: dt.date | None,
        policy: Policy,
        base: Sequence[Fact],
        firings: Sequence[Firing],
        *,
        cautions: Sequence[Firing] = (),
    ) -> None:
        self.cautions = list(cautions)  # the safety pack's firings, when it was on
        self.patient = patient
        self.as_of = as_of
        self.policy = policy
        self.firings = list(firings)
        self.base_keys = {_key(f) for f in base}
        self.derived_by: dict[tuple[tuple[str, str, Any], ...], str] = {}
        self.firing_of: dict[tuple[tuple[str, str, Any], ...], Firing] = {}
        derived: list[Fact] = []
        for firing in self.firings:
            for fact in firing.emitted:
                key = _key(fact)
                if key not in self.derived_by and key not in self.base_keys:
                    self.derived_by[key] = firing.rule
                    self.firing_of[key] = firing
                    derived.append(fact)
        self.by_type: dict[str, list[Fact]] = {}
        for fact in [*base, *derived]:
            self.by_type.setdefault(fact["t"], []).append({k: v for k, v in fact.items() if k != "sid"})
        self.fired = {firing.rule for firing in self.firings}
        self._records = _record_paths(patient, policy)

    def of(self, fact_type: str) -> list[Fact]:
        """The facts of one type."""
        return self.by_type.get(fact_type, [])

    def record_paths(self, fact: Fact) -> tuple[str, ...]:
        """The input records (``therapies[0]``) a base fact of a list type was built from."""
        key = _record_key(fact)
        return tuple(path for path, record in self._records.get(fact["t"], ()) if record == key)

    def ref(self, fact: Fact, fields: Sequence[str] = ()) -> FactRef:
        """A fact with its origin, and in words."""
        key = _key(fact)
        if key in self.derived_by:
            return FactRef(describe_fact(fact), fact["t"], derived_by=self.derived_by[key], words=fact_words(fact))
        inputs = self.input_paths(fact, fields)
        words = "; ".join(self.finding(path).text for path in inputs) if inputs else fact_words(fact)
        return FactRef(describe_fact(fact), fact["t"], inputs=inputs, words=words)

    def finding(self, path: str) -> Finding:
        """The input at a JSON path in words, with its date and its age on the evaluation date."""
        text, date = input_words(self.patient, self.policy, path)
        days = (self.as_of - date).days if date is not None and self.as_of is not None else None
        return Finding(path, text, date, days)

    def input_paths(self, fact: Fact, fields: Sequence[str]) -> tuple[str, ...]:
        """The input a base fact comes from: its records, or the named fields of the record level."""
        kind = fact["t"]
        if kind in INPUT_LISTS:
            return self.record_paths(fact)
        names = INPUT_FIELDS.get(kind, {})
        if kind == "link":  # a toxicity linked to a therapy: both records
            found = [
                path
                for field in ("toxicity", "therapy")
                for record in self.of(field)
                if record["seq"] == fact[field]
                for path in self.record_paths(record)
            ]
            return tuple(dict.fromkeys(found))
        if kind == "tolerance":  # the doses stopped for toxicity and never given again
            return tuple(f"therapies[{i}]" for i in read_tolerance(self.patient, self.as_of).standing)
        if kind == "ps":
            history = self.patient.performance_status
            if isinstance(history, tuple):  # the latest assessment of a history (lmtx._facts)
                latest = latest_performance_status(self.patient)
                return (f"performance_status[{history.index(latest)}]",) if latest is not None else ()
            return ("performance_status",)
        chosen = [f for f in fields if f in names] or ([] if kind == "patient" else list(names))
        return tuple(dict.fromkeys(names[f] for f in chosen))

    def field_paths(self, fact: Fact, fields: Sequence[str]) -> tuple[str, ...]:
        """The input fields behind some fields of a base fact."""
        kind = fact["t"]
        names = INPUT_FIELDS.get(kind, {})
        if kind in INPUT_LISTS:
            return tuple(
                dict.fromkeys(f"{path}.{names[f]}" for path in self.record_paths(fact) for f in fields if f in names)
            )
        return tuple(dict.fromkeys(names[f] for f in fields if f in names))

    def reasons(self, wanted: Callable[[Fact], bool]) -> Iterator[Reason]:
        """The firings that derived a fact satisfying ``wanted``, in firing order."""
        for firing in self.firings:
            if any(wanted(fact) for fact in firing.emitted):
                yield self.reason(firing)

    def merged_reason(self, wanted: Callable[[Fact], bool]) -> Reason | None:
        """The first firing that derived a fact satisfying ``wanted``, with the findings of every such firing.

        The engine may fire a rule again for other facts and assert nothing new
        (the phase, reached by two failing assessments): those firings count too.
        """
        firings = [f for f in self.firings if any(wanted(fact) for fact in f.emitted)]
        if not firings:
            return None
        # A later firing of the same rule that asserted nothing new re-derived the same fact.
        again = [f for f in self.firings if f.rule == firings[0].rule and not f.emitted]
        return self.reason(firings[0], also=[*firings[1:], *again])

    def reason(self, firing: Firing, *, also: Sequence[Firing] = ()) -> Reason:
        """A firing with the facts it matched, and the chain, findings and absences behind it.

        ``also``: further firings that derived the same fact (the phase, when
        several failing assessments each lead to it); their findings count too.
        """
        rule = knowledge_base().rule(firing.rule).rule
        matches = [c for c in rule.when if isinstance(c, Match)]
        matched = tuple(
            self.ref(fact, [t.field for t in condition.tests])
            for condition, fact in zip(matches, firing.matched, strict=True)
        )
        trace = _Trace(self)
        trace.follow(firing)
        for other in also:
            trace.follow(other)
        return Reason(
            rule.id,
            rule.description,
            rule.statements,
            matched,
            chain=tuple(dict.fromkeys(r for r in trace.chain if r != firing.rule)),
            findings=tuple(self.finding(path) for path in trace.inputs),
            absent=tuple(dict.fromkeys(trace.absent)),
        )

    def explained(self, item: Item) -> ExplainedItem:
        if item.origin == "safety-pack":
            return self._caution(item)
        output = CATALOGUE[item.code].output

        def wanted(fact: Fact) -> bool:
            return bool(fact["t"] == output and fact.get("code") == item.code)

        because = self._stated(item.code, next(self.reasons(wanted)))
        evidence = item.evidence if isinstance(item, Recommendation) else ()
        roles: tuple[tuple[tuple[str, ...], Role], ...] = ((item.statements, "encodes"), (evidence, "evidence"))
        cited = tuple(
            StatementRef(s, role, statement(s).gist, statement(s).references) for ids, role in roles for s in ids
        )
        return ExplainedItem(item, because, cited)

    def _caution(self, item: Item) -> ExplainedItem:
        """A safety-pack alert with the pack's rule that gave it and the facts it matched (it cites no statement)."""
        firing = next(f for f in self.cautions if any(e["t"] == "alert" and e["code"] == item.code for e in f.emitted))
        rule = safety_pack().rule(firing.rule).rule
        matches = [c for c in rule.when if isinstance(c, Match)]
        matched = tuple(
            self.ref(fact, [t.field for t in condition.tests])
            for condition, fact in zip(matches, firing.matched, strict=True)
        )
        inputs = dict.fromkeys(path for ref in matched for path in ref.inputs)
        findings = tuple(self.finding(path) for path in inputs)
        return ExplainedItem(item, Reason(rule.id, rule.description, (), matched, findings=findings), ())

    def _stated(self, code: str, because: Reason) -> Reason:
        """The firing with the findings its item's text states besides those the rule matched.

        The PS note states the PS at LM diagnosis beside the latest, which the rules match
        (the reading is lmtx._facts.readings.performance_status_at_diagnosis).
        """
        if code != "performance-status-prognostic":
            return because
        at_diagnosis = performance_status_at_diagnosis(self.patient)
        history = self.patient.performance_status
        if at_diagnosis is None or not isinstance(history, tuple) or len(history) < 2:
            return because
        path = f"performance_status[{history.index(at_diagnosis)}]"
        others = tuple(f for f in because.findings if f.input != path)
        latest = tuple(attrs.evolve(f, text=f"{f.text} (the latest)") if f.input.startswith("performance_status[")
                       else f for f in others)  # fmt: skip
        stated = self.finding(path)
        stated = attrs.evolve(
            stated, text=f"{stated.text} (at LM diagnosis{', also the latest' if not latest else ''})"
        )
        return attrs.evolve(because, findings=(stated, *latest))


def _record_paths(patient: Patient, policy: Policy) -> dict[str, list[tuple[str, tuple[tuple[str, str, Any], ...]]]]:
    """For each list fact type: (input path, fact content) of every input record.

    Each record's fact is built by :func:`lmtx._facts.base_facts` itself, from
    the record alone, so the mapping back to the input follows it exactly.
    """
    records: dict[str, list[tuple[str, tuple[tuple[str, str, Any], ...]]]] = {}
    for kind, attribute in INPUT_LISTS.items():
        for index, record in enumerate(getattr(patient, attribute)):
            changes: dict[str, Any] = {attribute: (record,)}
            alone = attrs.evolve(patient, **changes)
            for fact in base_facts(alone, policy):
                if fact["t"] == kind:
                    records.setdefault(kind, []).append((f"{attribute}[{index}]", _record_key(fact)))
    return records


def items(result: Result) -> Iterator[Item]:
    """The items of a result: recommendations, alerts, prognosis notes."""
    yield from result.recommendations
    yield from result.alerts
    yield from result.prognosis


class _Trace:
    """Follows a firing down the rules that derived what it matched, collecting inputs and absences."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.chain: list[str] = []
        self.inputs: list[str] = []
        self.absent: list[str] = []
        self._seen: set[int] = set()

    def follow(self, firing: Firing) -> None:
        if id(firing) in self._seen:
            return
        self._seen.add(id(firing))
        self.chain.append(firing.rule)
        rule = knowledge_base().rule(firing.rule).rule
        matches = [c for c in rule.when if isinstance(c, Match)]
        bound = {c.binding: fact for c, fact in zip(matches, firing.matched, strict=True)}
        for condition in rule.when:
            if isinstance(condition, NoMatch) and not _selects(condition, bound):
                self.absent.append(condition_words(condition, bound))
        for condition, fact in zip(matches, firing.matched, strict=True):
            key = _key(fact)
            deriving = self.facts.firing_of.get(key)
            if deriving is None:
                fields = [t.field for t in condition.tests]
                paths = self.facts.input_paths(fact, fields)
                self.inputs.extend(p for p in paths if p not in self.inputs)
            elif fact["t"] not in HEADLINES:
                self.follow(deriving)


def _selects(condition: NoMatch, bound: Mapping[str, Fact]) -> bool:
    """Whether a negation only picks one fact among its kind ("no later exam", "no earlier course").

    Such a negation is how the engine finds the first or the latest of something: it compares a
    fact with one of its own kind, by record order, or by the very field it is picked by (a later
    start, a higher grade). It is a step of the reading, not something the record had to lack.
    """
    for test in condition.tests:
        if not isinstance(test.value, Ref) or test.value.binding not in bound:
            continue
        same_kind = bound[test.value.binding].get("t") == condition.fact
        by_order = test.field in ("seq", "prev")
        by_itself = test.value.field == test.field and test.op in ("<", ">")
        if same_kind or by_order or by_itself:
            return True
    return False

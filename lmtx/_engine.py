"""The durable-rules adapter: the only module that imports the engine (``lmtx._durable_rules``).

It compiles rule descriptions (:mod:`lmtx.dsl`) into durable-rules' JSON
ruleset format and runs one evaluation per call on durable-rules' native
engine. What it guards against, all measured on durable-rules 2.0.28 (see the
project's engine notes); faults fixed in the engine's own C sources are listed
with their patches in ``vendor/durable_rules/README.md``:

- durable-rules' Python host runs a background dispatcher that takes pending
  actions of any session and gave wrong results under threads. lmtx uses no
  host at all: it drives the native engine's assert/start/complete calls from
  the caller's thread, the same calls durable's own dispatch loop makes,
  without the per-action ``Closure`` and state re-serialisation.
- Session ids are hashed (32-bit FNV-1a) and never compared as strings, and a
  ruleset holds at most 1024 live sessions: every evaluation borrows a sid
  from a fixed pool whose hashes are checked distinct, and deletes its state
  afterwards (memory stays flat).
- Deleting a session that was never created raises (code 309), as when the
  first assertion of an evaluation fails: the cleanup never replaces the error
  that ended the evaluation, and a sid whose state could not be deleted is
  not lent again.
- durable-rules swallows exceptions raised in actions; here an action's
  exception abandons the action and fails that evaluation with
  :class:`EvaluationError`, and the session is deleted all the same.
- A negated condition is evaluated correctly against facts already
  asserted, but a pending match is not always withdrawn when a negating fact
  arrives later (it depends on the binding's name). Base facts are asserted in
  a fixed order and :func:`check_negations` rejects, at compile time, any rule
  whose negation could see a fact arrive after the facts it matched.
- A comparison with another fact's field placed after an ``in`` test (an
  ``$or``) in the same pattern is ignored: such comparisons are compiled first.
- A fact that matches no rule makes a whole batch raise: one never-firing
  sink rule matches every fact. Re-asserting an identical fact raises: each
  evaluation keeps the set of facts asserted and skips duplicates.
- What the engine's JSON reader cannot hold: a fact of more than 253
  properties (its own id makes 255) is refused, and NaN, which it reads as
  null, and infinities are never written; the batch text is checked before it
  is sent (:func:`_encode_facts`). Anything else it cannot read (an integer
  beyond 64 bits, say) fails the whole batch (patches 0006 and 0007), never
  cuts it short; an empty batch would return no session, so none is sent.
- The engine echoes every matched fact as JSON text with each action. lmtx
  reads only each binding's fact number from it (:func:`_read_match`) and
  takes the fact itself from the evaluation's own list, after checking that
  the match names exactly the rule's bindings: a message in any other shape
  fails the evaluation rather than being misread.
- A ruleset is never freed by durable-rules' host; here the ruleset of a
  :class:`CompiledRules` is deleted when that object is collected.
"""

from __future__ import annotations

import itertools
import json
import sys
import sysconfig
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lmtx.dsl import Derive, Emit, Match, NoMatch, Ref, Rule, SeverityFromGrade, Test
from lmtx.errors import EngineUnavailable, EvaluationError

# durable-rules' native engine, vendored (vendor/durable_rules) and built as lmtx's own
# extension module; durable-rules' Python host (durable.*) is not used. It is missing where
# lmtx runs from a source tree that was never built: say so, with the fix.
try:
    import lmtx._durable_rules as _native
except ImportError as error:
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    raise EngineUnavailable.from_import_error(error, sys.version_info[:2], free_threaded=free_threaded) from error

__all__ = ["CompiledRules", "Firing", "Run", "check_negations", "fnv1a_32"]

Fact = dict[str, Any]
_SINK = "__lmtx_sink__"
# Result codes of the native assert calls (durable.engine.Ruleset._handle_result).
_NOT_HANDLED, _OBSERVED, _QUEUED = 1, 2, 3
_ERROR: type[Exception] = _native.error
"""What the native calls raise when the engine returns an error code."""
_MOST_PROPERTIES = 253
"""The most properties a fact may have as the engine gets it (its own id makes the engine's 255)."""
# Facts go to the engine as one compact JSON array per batch (one encoder call; fewer bytes for
# its parser). Non-finite floats are refused: the engine reads NaN as null and cannot read
# Infinity.
_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False, allow_nan=False).encode
# An action's message is {"<rule id>":{"<binding>":{"n":<number>,...},...}}: every matched fact
# as the JSON text it was asserted as, which begins with its number (_encode_facts), in the order
# of the rule's conditions. Inside a JSON string every quote is escaped, so the text '":{"n":'
# occurs only where a binding's fact begins.
_FACT_BEGINS = '":{"n":'


def _encode_facts(facts: Sequence[Fact], sid: str, first: int) -> str:
    """Facts as the engine takes them: numbered from ``first`` (``n``, first), with the session id.

    The number finds the fact again in the evaluation's list when a match names it.

    Raises:
        EvaluationError: For a fact the engine cannot hold: one with a field named ``n`` or
            ``sid``, with more than 253 properties in all, or with a non-finite float.
    """
    numbered = [{"n": n, "sid": sid, **fact} for n, fact in enumerate(facts, first)]
    sizes = list(map(len, numbered))
    if sum(sizes) != sum(map(len, facts)) + 2 * len(facts) or max(sizes, default=0) > _MOST_PROPERTIES:
        raise _unfit(facts)
    try:
        return _encode(numbered)
    except ValueError as error:  # NaN or an infinity
        raise EvaluationError(f"the rule engine cannot take these facts ({error}): {list(facts)}") from None


def _unfit(facts: Sequence[Fact]) -> EvaluationError:
    """The error for the first fact the engine cannot hold for its fields."""
    for fact in facts:
        reserved = "n" in fact or "sid" in fact
        if reserved or len(fact) + 2 > _MOST_PROPERTIES:
            why = " (n and sid are the engine's)" if reserved else ""
            return EvaluationError(f"the rule engine cannot take a fact with {len(fact)} fields{why}: {fact}")
    raise AssertionError("unreachable: called for facts of which one is unfit")


def _read_match(message: str) -> tuple[str, list[str], list[int]]:
    """The rule, its bindings and the numbers of their facts, in order, from an action's message."""
    parts = message.split(_FACT_BEGINS)
    rule_id = parts[0][2 : parts[0].index('"', 2)]
    return (
        rule_id,
        [part[part.rindex('"') + 1 :] for part in parts[:-1]],
        [int(part[: part.index(",")]) for part in parts[1:]],
    )


def fnv1a_32(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes of ``text`` (durable-rules' sid hash)."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


class _SidPool:
    """A fixed pool of session ids with pairwise distinct FNV-1a hashes."""

    def __init__(self, size: int) -> None:
        self._hashes: set[int] = set()
        self._candidates = (f"lmtx-{n}" for n in itertools.count())
        self._free = [self._new() for _ in range(size)][::-1]
        self._available = threading.Condition()

    def _new(self) -> str:
        for sid in self._candidates:
            if fnv1a_32(sid) not in self._hashes:
                self._hashes.add(fnv1a_32(sid))
                return sid
        raise AssertionError("unreachable: the candidates never end")

    def take(self) -> str:
        """A sid no other caller holds, waiting for one if all are lent."""
        with self._available:
            while not self._free:
                self._available.wait()
            return self._free.pop()

    def give_back(self, sid: str, *, clean: bool = True) -> None:
        """Lend ``sid`` again; one whose state may remain in the engine is replaced by a new sid."""
        with self._available:
            self._free.append(sid if clean else self._new())
            self._available.notify()


@attrs.frozen
class Firing:
    """One rule firing: the rule, the facts it matched (condition order), the new facts."""

    rule: str
    matched: tuple[Fact, ...]
    emitted: tuple[Fact, ...]


@attrs.define
class Run:
    """What one evaluation produced inside the engine."""

    facts: list[Fact] = attrs.Factory(list)
    """Every fact, base then derived; a fact's index is its ``n`` inside the engine."""
    firings: list[Firing] = attrs.Factory(list)
    derived: list[Fact] = attrs.Factory(list)
    seen: set[frozenset[tuple[str, Any]]] = attrs.Factory(set)


def _key(fact: Fact) -> frozenset[tuple[str, Any]]:
    # Order-independent identity of a fact (the facts kept in a Run carry no "sid" or "n").
    return frozenset(fact.items())


def _operand(value: object) -> object:
    if isinstance(value, Ref):
        return {value.binding: value.field}
    return value


def _test(test: Test) -> dict[str, Any]:
    value = test.value
    if test.op == "in":
        assert isinstance(value, tuple)
        options = [{test.field: v} for v in value]
        return options[0] if len(options) == 1 else {"$or": options}
    if test.op == "not in":
        assert isinstance(value, tuple)
        excluded = [{"$neq": {test.field: v}} for v in value]
        return excluded[0] if len(excluded) == 1 else {"$and": excluded}
    if test.op == "==":
        return {test.field: _operand(value)}
    operator = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}[test.op]
    return {operator: {test.field: _operand(value)}}


def _pattern(fact: str, tests: tuple[Test, ...]) -> dict[str, Any]:
    if not tests:
        return {"t": fact}
    # Tests that compare with another fact's field go first: after an "$or" (an "in" test) in
    # the same "$and", durable-rules 2.0.28 ignored such a comparison (measured 2026-11-28:
    # "symptoms in (new, worsened) and date > workup.done" matched an exam dated before).
    joins = [_test(t) for t in tests if isinstance(t.value, Ref)]
    others = [_test(t) for t in tests if not isinstance(t.value, Ref)]
    return {"$and": [{"t": fact}, *joins, *others]}


def compile_conditions(rule: Rule) -> list[dict[str, Any]]:
    """The durable-rules JSON form of a rule's conditions."""
    compiled: list[dict[str, Any]] = []
    for index, condition in enumerate(rule.when):
        if isinstance(condition, Match):
            compiled.append({condition.binding: _pattern(condition.fact, condition.tests)})
        else:
            assert isinstance(condition, NoMatch)
            compiled.append({f"absent_{index}$not": _pattern(condition.fact, condition.tests)})
    return compiled


_Template = tuple[Fact, tuple[tuple[str, str, str, bool], ...]]
"""A consequence, compiled: the fact with its constant fields, and the fields read from matched
facts as (key, binding, field, whether the value is a grade to be read as a severity)."""


def _template(consequence: Derive | Emit) -> _Template:
    # The key order is that of the fact the consequence describes (it shows in trace labels):
    # Derive: t, fields; Emit: t, code, action, severity, params. Fields read from a matched
    # fact hold a placeholder in their place and are filled in at each firing.
    fields: list[tuple[str, object]] = []
    if isinstance(consequence, Derive):
        fields += [("t", consequence.fact), *consequence.fields]
    else:
        fields += [("t", consequence.kind), ("code", consequence.code)]
        if consequence.action is not None:
            fields.append(("action", consequence.action))
        if consequence.severity is not None:
            fields.append(("severity", consequence.severity))
        fields += consequence.params
    fact: Fact = {}
    read: dict[str, tuple[str, str, str, bool]] = {}
    for key, value in fields:
        read.pop(key, None)  # a later value for a key replaces an earlier one, in its place
        if isinstance(value, Ref):
            fact[key] = None
            read[key] = (key, value.binding, value.field, False)
        elif isinstance(value, SeverityFromGrade):
            fact[key] = None
            read[key] = (key, value.grade.binding, value.grade.field, True)
        else:
            fact[key] = value
    return fact, tuple(read.values())


def _resolve(value: object, matched: dict[str, Fact]) -> object:
    if isinstance(value, Ref):
        return matched[value.binding][value.field]
    return value


def _consequences(rule: Rule, matched: dict[str, Fact]) -> list[Fact]:
    """A rule's new facts for one match, read straight from its description.

    The reference form of what :class:`_Action` computes from its templates
    (the durable-rules host in ``benchmarks/floor.py`` uses it).
    """
    facts: list[Fact] = []
    for consequence in rule.then:
        if isinstance(consequence, Derive):
            facts.append({"t": consequence.fact, **{k: _resolve(v, matched) for k, v in consequence.fields}})
            continue
        assert isinstance(consequence, Emit)
        fact: Fact = {"t": consequence.kind, "code": consequence.code}
        if consequence.action is not None:
            fact["action"] = consequence.action
        if isinstance(consequence.severity, SeverityFromGrade):
            grade = _resolve(consequence.severity.grade, matched)
            assert isinstance(grade, int)
            fact["severity"] = SeverityFromGrade.of(grade)
        elif consequence.severity is not None:
            fact["severity"] = consequence.severity
        fact.update({k: _resolve(v, matched) for k, v in consequence.params})
        facts.append(fact)
    return facts


def check_negations(rule: Rule, base_order: Sequence[str], descending: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Why a rule's negations could be unsound on durable-rules; empty if sound.

    Two shapes are refused, both measured on durable-rules 2.0.28:

    - A negation placed after a second positive condition. When that later
      fact completes a partial match, durable-rules evaluates the negation
      wrongly and can corrupt its own memory (seen: "free(): invalid pointer",
      segmentation faults). Negations must directly follow the first condition.
    - A negation that could see a fact asserted after the first condition's
      fact: a pending match is not always withdrawn then. Base facts are
      asserted in one batch, types in ``base_order``, records of a type by
      descending ``descending[type]`` fields; derived facts follow during the
      actions. Derived facts are never negated.
    """
    problems = []
    first = rule.when[0]
    assert isinstance(first, Match)
    seen_second_match = False
    for condition in rule.when[1:]:
        if isinstance(condition, Match):
            seen_second_match = True
            continue
        assert isinstance(condition, NoMatch)
        if seen_second_match:
            problems.append(f"{rule.id}: '{condition}' must come right after the first condition")
        if condition.fact not in base_order:
            problems.append(f"{rule.id}: negates derived fact type {condition.fact!r}")
        elif first.fact in base_order and not _asserted_before(condition, first, base_order, descending):
            problems.append(f"{rule.id}: '{condition}' may see facts asserted after the ones it matches")
    return problems


def _asserted_before(
    negation: NoMatch, match: Match, base_order: Sequence[str], descending: Mapping[str, tuple[str, ...]]
) -> bool:
    if negation.fact != match.fact:
        return base_order.index(negation.fact) < base_order.index(match.fact)
    return any(
        test.op == ">" and test.value == Ref(match.binding, test.field) and test.field in descending.get(match.fact, ())
        for test in negation.tests
    )


class CompiledRules:
    """A rule base compiled onto its own durable-rules ruleset.

    Compile each rule base once per process and reuse it: compiling costs far
    more than an evaluation. It is safe to call :meth:`run` from many threads
    at once. The engine's ruleset (about half a megabyte for lmtx's rule base)
    is deleted when this object is collected.
    """

    def __init__(
        self,
        name: str,
        rules: Sequence[Rule],
        base_order: Sequence[str],
        descending: Mapping[str, tuple[str, ...]],
        pool_size: int = 64,
    ) -> None:
        problems = [p for rule in rules for p in check_negations(rule, base_order, descending)]
        if problems:
            raise ValueError("unsound negations:\n" + "\n".join(problems))
        self.name = name
        self.rules = tuple(rules)
        self.rule_by_id = {rule.id: rule for rule in self.rules}
        self._pool = _SidPool(pool_size)
        self._actions = {rule.id: _Action(rule) for rule in self.rules}
        definition: dict[str, Any] = {rule.id: {"all": compile_conditions(rule)} for rule in self.rules}
        # Matches every fact (so no batch raises "not handled") and never fires.
        definition[_SINK] = {"all": [{"any_fact": {"$ex": {"t": 1}}}, {"never": {"t": _SINK}}]}
        self._handle = _native.create_ruleset(name, json.dumps(definition))
        # Not a method of self: the finalizer must not keep this object alive.
        self._finalizer = weakref.finalize(self, _native.delete_ruleset, self._handle)

    def _assert(self, facts: Sequence[Fact], sid: str, first: int) -> int:
        """Assert one batch (never empty); return the engine's offset of the session's state."""
        try:
            code, state = _native.assert_facts(self._handle, _encode_facts(facts, sid, first))
        except _ERROR as error:
            raise EvaluationError(f"the rule engine refused a batch of {len(facts)} facts ({error}): {facts}") from None
        if code in (_NOT_HANDLED, _OBSERVED):
            raise EvaluationError(f"the rule engine refused facts (code {code}): {facts}")
        return 0 if code == _QUEUED else int(state)

    def run(self, facts: Sequence[Fact]) -> Run:
        """Assert ``facts`` in one batch, run every rule to quiescence, return what fired.

        Raises:
            EvaluationError: When the engine or a rule action fails.
        """
        sid = self._pool.take()
        run = Run(facts=list(facts), seen={_key(f) for f in facts})
        try:
            self._infer(sid, run)
        except BaseException as error:
            if isinstance(error, EvaluationError) or not isinstance(error, Exception):
                self._end_session(sid, error)
                raise
            failure = EvaluationError(f"the rule engine failed: {error!r}")
            self._end_session(sid, failure)
            raise failure from error
        self._end_session(sid, None)
        return run

    def _end_session(self, sid: str, failure: BaseException | None) -> None:
        """Delete the session's state and lend its sid again.

        After a ``failure`` the state may never have been created (the first
        assertion failed): the engine's error then is noted on the failure,
        never raised in its place.

        Raises:
            EvaluationError: When the state of a successful evaluation cannot be deleted.
        """
        try:
            _native.delete_state(self._handle, sid)
        except _ERROR as error:
            # 309: no state for this sid, so nothing is left behind; otherwise the sid is retired.
            self._pool.give_back(sid, clean="309" in str(error))
            if failure is not None:
                failure.add_note(f"deleting the engine session afterwards also failed: {error}")
                return
            raise EvaluationError(f"the rule engine could not delete a session: {error}") from None
        self._pool.give_back(sid)

    def _infer(self, sid: str, run: Run) -> None:
        # durable-rules' own dispatch loop (Ruleset.do_actions/_flush_actions) builds a
        # Closure per action, re-serialises the session state after each one and asserts
        # each action's facts at once. lmtx's actions never touch the state, and every
        # negation sees base facts only (check_negations), so the facts derived while
        # draining the agenda can be asserted together, one wave at a time: the same
        # matches, far fewer engine calls.
        handle, actions = self._handle, self._actions
        batch: list[Fact] = run.facts
        first = 0
        while batch:
            state = self._assert(batch, sid, first)
            first = len(run.facts)
            batch = []
            pending = _native.start_action_for_state(handle, state)
            message = pending[1] if pending else None
            while message:
                rule_id = "?"
                try:
                    rule_id, bindings, numbers = _read_match(message)
                    batch += actions[rule_id].fire(bindings, numbers, run)
                except Exception as error:
                    _native.abandon_action(handle, state)
                    raise EvaluationError(f"rule {rule_id!r} failed: {error!r}") from error
                message = _native.complete_and_start_action(handle, state)


class _Action:
    """What a rule does when it fires: derive and emit, record the firing, skip repeats."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.bindings = [c.binding for c in rule.when if isinstance(c, Match)]
        position = {binding: index for index, binding in enumerate(self.bindings)}
        # Each consequence as its constant part and the fields it reads, by the matched fact's position.
        self.templates = tuple(
            (fact, tuple((key, position[binding], field, is_grade) for key, binding, field, is_grade in read))
            for fact, read in (_template(c) for c in rule.then)
        )

    def fire(self, bindings: list[str], numbers: list[int], run: Run) -> list[Fact]:
        """Record one firing, of the facts numbered ``numbers`` for ``bindings``, in ``run``; return its new facts.

        Raises:
            ValueError: When ``bindings`` are not the rule's, in the order of its conditions.
        """
        if bindings != self.bindings:
            raise ValueError(f"the engine's match binds {bindings}, the rule {self.bindings}")
        known = run.facts
        matched = [known[n] for n in numbers]
        new = []
        seen = run.seen
        for template, read in self.templates:
            fact = template.copy()
            for key, position, field, is_grade in read:
                value = matched[position][field]
                if is_grade:
                    assert isinstance(value, int)
                    value = SeverityFromGrade.of(value)
                fact[key] = value
            identity = _key(fact)
            if identity not in seen:
                seen.add(identity)
                new.append(fact)
        run.firings.append(Firing(self.rule.id, tuple(matched), tuple(new)))
        if new:
            run.derived += new
            known += new
        return new

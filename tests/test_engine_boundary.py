"""The boundary between lmtx and its C engine: what crosses it is read whole, or the evaluation fails.

Regression tests for faults of durable-rules 2.0.28 found at that boundary
(patches 0006-0008 in vendor/durable_rules/patches, and lmtx/_engine.py):

- The engine's JSON reader took an exponent only after a fraction: a float
  written ``1e-05`` stopped it. It then returned success for the facts before
  it and dropped the rest of the batch in silence (a partial result that
  looked whole), and crashed the process when that fact came first. So did a
  fact of 254 or more properties, or an infinity; NaN was read as null, an
  integer beyond 64 bits as the nearest one.
- Deleting a session in which no action had been started freed stray
  pointers (a crash), and deleting one that was never created raised an
  error that replaced the one that had ended the evaluation.
- Compiled rulesets were never freed.

Whatever can crash the interpreter runs in a child process.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lmtx
from lmtx import _engine
from lmtx._engine import CompiledRules
from lmtx._facts import BASE_FACT_ORDER, DESCENDING
from lmtx.dsl import Rule, derive, match, ref
from lmtx.errors import EvaluationError

ROOT = Path(__file__).resolve().parents[1]

# One rule that derives a "seen" fact, carrying k, for every "thing": which things the
# engine took is the sorted list of the derived k, printed as JSON; an error is printed
# as its type and message.
_PROBE = """
import json, sys

from lmtx._engine import CompiledRules
from lmtx._facts import BASE_FACT_ORDER, DESCENDING
from lmtx.dsl import Rule, derive, match, ref

rule = Rule(id="seen", section="test", description="Every thing.", statements=("S14",),
            when=(match("x", "thing"),), then=(derive("seen", k=ref("x", "k")),))
rules = CompiledRules("boundary-probe", [rule], BASE_FACT_ORDER, DESCENDING, pool_size=4)
facts = json.loads(sys.argv[1])
for fact in facts:  # JSON has no non-finite floats and no float written 1e-05: spelt out
    for key, value in list(fact.items()):
        if isinstance(value, str) and value.startswith("float:"):
            fact[key] = float(value.removeprefix("float:"))
try:
    for _ in range(3):  # and again: the sessions were cleaned up
        run = rules.run(facts)
    print(json.dumps(sorted(f["k"] for f in run.derived)))
except Exception as error:
    print(type(error).__name__, error)
"""


def _probe(facts: list[dict[str, Any]]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(facts)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, f"the probe died (exit code {done.returncode}): {done.stderr[-2000:]}"
    return done.stdout.strip()


def _things(*odd: dict[str, Any], at: int) -> list[dict[str, Any]]:
    """Three ordinary things (k = 0, 1, 2) with ``odd`` ones (k = 9, ...) placed at index ``at``."""
    facts = [{"t": "thing", "k": k, "v": 1.5} for k in range(3)]
    return facts[:at] + [{"t": "thing", **fact} for fact in odd] + facts[at:]


@pytest.mark.parametrize("at", [0, 1, 3], ids=["first", "middle", "last"])
@pytest.mark.parametrize("value", ["float:1e-05", "float:1e+16", "float:-2.5e-07"])
def test_a_float_written_with_an_exponent_reaches_the_engine_with_the_rest_of_its_batch(value: str, at: int) -> None:
    # 0.3.1: "[0]" in the middle (the batch cut short at the exponent, reported as success),
    # a crash when first.
    assert _probe(_things({"k": 9, "v": value}, at=at)) == "[0, 1, 2, 9]"


def test_an_evaluation_in_which_no_rule_fires_ends_cleanly() -> None:
    # 0.3.1: deleting the session freed stray pointers (its action context was never set).
    assert _probe([{"t": "other", "k": k} for k in range(3)]) == "[]"


def _wide(count: int) -> dict[str, Any]:
    """A thing of ``count`` properties as the engine gets it (lmtx adds ``n`` and ``sid``)."""
    return {"k": 9, **{f"p{i}": i for i in range(count - 4)}}


def test_a_fact_of_253_properties_is_the_widest_the_engine_takes() -> None:
    assert _probe(_things(_wide(253), at=1)) == "[0, 1, 2, 9]"


@pytest.mark.parametrize("at", [0, 1], ids=["first", "middle"])
@pytest.mark.parametrize(
    ("odd", "says"),
    [
        pytest.param(_wide(254), "cannot take a fact with 252 fields", id="254-properties"),
        pytest.param({"k": 9, "v": "float:nan"}, "Out of range float values are not JSON compliant", id="nan"),
        pytest.param({"k": 9, "v": "float:inf"}, "Out of range float values are not JSON compliant", id="infinity"),
        pytest.param({"k": 9, "n": 3}, "(n and sid are the engine's)", id="a-field-named-n"),
    ],
)
def test_a_fact_the_engine_cannot_hold_fails_the_evaluation(odd: dict[str, Any], says: str, at: int) -> None:
    # 0.3.1: "[0]" (a partial result) or a crash for the wide fact and the infinity; "[0, 1, 9]"
    # for NaN, read as null; a wrong match for the field named n.
    outcome = _probe(_things(odd, at=at))
    assert outcome.startswith("EvaluationError "), outcome
    assert says in outcome


@pytest.mark.parametrize("at", [0, 1], ids=["first", "middle"])
def test_an_integer_beyond_64_bits_fails_the_batch_in_the_engine(at: int) -> None:
    # The one check left to the engine (patch 0006): 0.3.1 read 2**70 as 2**63 - 1.
    outcome = _probe(_things({"k": 2**70}, at=at))
    assert outcome.startswith("EvaluationError the rule engine refused a batch of 4 facts"), outcome
    assert "error code: 203" in outcome


# The engine's own calls, without lmtx's adapter: a batch that cannot all be read raises, and
# a session deleted between an assertion and its first action is deleted cleanly.
_NATIVE = """
import json, sys

import lmtx._durable_rules as engine

handle = engine.create_ruleset("native-probe", json.dumps({"r": {"all": [{"x": {"t": "thing"}}]}}))
good = '{"t":"thing","k":%d,"sid":"s"}'
batch = sys.argv[1].replace("GOOD", good % 0, 1).replace("GOOD", good % 1)
try:
    print(engine.assert_facts(handle, batch)[0])
except engine.error as error:
    print(error)
try:
    engine.delete_state(handle, "s")
    print("deleted")
except engine.error as error:
    print(error)
"""


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        pytest.param("[GOOD,GOOD]", ["0", "deleted"], id="actions-pending"),
        pytest.param('[GOOD,{"t":"thing","v":Infinity,"sid":"s"},GOOD]', ["error code: 202", "deleted"], id="middle"),
        pytest.param('[{"t":"thing","v":1e-05x,"sid":"s"},GOOD]', ["error code: 204", "error code: 309"], id="first"),
    ],
)
def test_the_engine_reports_a_batch_it_cannot_read_and_deletes_any_session(batch: str, expected: list[str]) -> None:
    # 0.3.1: "free(): invalid pointer" on deleting the session of the first two (the action
    # context of a session that never started an action was never initialised), and success
    # ("0") for the other two batches.
    done = subprocess.run(
        [sys.executable, "-c", _NATIVE, batch], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, f"exit code {done.returncode}: {done.stderr[-2000:]}"
    lines = done.stdout.splitlines()
    assert [line.rsplit(", ", 1)[-1] if "error code" in line else line for line in lines] == expected


_names = (f"lmtx-boundary-{n}" for n in itertools.count())
_RULE = Rule(
    id="seen",
    section="test",
    description="Every thing.",
    statements=("S14",),
    when=(match("x", "thing"),),
    then=(derive("seen", k=ref("x", "k")),),
)


class _FailingEngine:
    """The engine's module, with an ``assert_facts`` that fails before any session exists."""

    def __init__(self) -> None:
        self._module = _engine._native

    def assert_facts(self, *_: object) -> object:
        raise RuntimeError("the engine is broken")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def test_the_cleanup_never_hides_the_error_that_ended_the_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = CompiledRules(next(_names), [_RULE], BASE_FACT_ORDER, DESCENDING, pool_size=2)
    monkeypatch.setattr(_engine, "_native", _FailingEngine())
    for _ in range(3):  # more than the pool's sids: each was lent again
        # 0.3.1: lmtx._durable_rules.error "Could not delete state, error code: 309", raised by
        # the cleanup in place of the EvaluationError.
        with pytest.raises(EvaluationError, match="the engine is broken") as caught:
            rules.run([{"t": "thing", "k": 0}])
        assert any("error code: 309" in note for note in getattr(caught.value, "__notes__", []))
    monkeypatch.undo()
    assert [f["k"] for f in rules.run([{"t": "thing", "k": 0}]).derived] == [0]


def test_a_message_in_another_shape_fails_the_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = CompiledRules(next(_names), [_RULE], BASE_FACT_ORDER, DESCENDING, pool_size=2)
    monkeypatch.setattr(_engine, "_read_match", lambda message: ("seen", ["y"], [0]))
    with pytest.raises(EvaluationError, match="rule 'seen' failed"):
        rules.run([{"t": "thing", "k": 0}])
    monkeypatch.undo()
    assert [f["k"] for f in rules.run([{"t": "thing", "k": 0}]).derived] == [0]


def test_a_match_is_read_by_its_fact_numbers_whatever_the_facts_hold() -> None:
    tricky = '"x":{"n":7,"sid":"s"}'  # a string that looks like a match, as a value and as a key
    message = json.dumps(
        {"rule-1": {"b": {"n": 12, "sid": "s", "t": tricky}, "a": {"n": 3, "sid": "s", tricky: 1}}},
        separators=(",", ":"),
    )
    assert _engine._read_match(message) == ("rule-1", ["b", "a"], [12, 3])


# Compiling the shipped rule base again and again, each compiled object dropped at once:
# with its ruleset freed, memory stays flat.
_RULESETS = """
import gc, sys

from lmtx._engine import CompiledRules
from lmtx._evaluate import parse_patient
from lmtx._facts import BASE_FACT_ORDER, DESCENDING, base_facts
from lmtx.policy import Policy
from lmtx.rules import RULES

with open("lmtx/examples/inadequate-response.json") as example:
    patient, as_of = parse_patient(example.read())
facts = base_facts(patient, Policy(), as_of)


def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def compile_and_drop(n):
    rules = CompiledRules(f"lifetime-{n}", RULES, BASE_FACT_ORDER, DESCENDING, pool_size=1)
    rules.run(facts)


for n in range(10):
    compile_and_drop(n)
gc.collect()
before = rss_kib()
for n in range(10, 10 + int(sys.argv[1])):
    compile_and_drop(n)
gc.collect()
print(rss_kib() - before)
"""


def test_a_compiled_ruleset_is_freed_with_its_owner() -> None:
    # 0.3.1: +0.5 MB per ruleset (about 50 MB here), never given back.
    done = subprocess.run(
        [sys.executable, "-c", _RULESETS, "100"], capture_output=True, text=True, check=False, cwd=ROOT, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    growth_mib = int(done.stdout) / 1024
    assert growth_mib < 8, f"RSS grew by {growth_mib:.1f} MiB over 100 rulesets"


def test_the_ruleset_is_deleted_when_its_owner_is_collected() -> None:
    rules = CompiledRules(next(_names), [_RULE], BASE_FACT_ORDER, DESCENDING, pool_size=2)
    finalizer = rules._finalizer
    assert finalizer.alive
    del rules
    gc.collect()
    assert not finalizer.alive


def _unbounded_caches() -> dict[str, Any]:
    """Every function in lmtx's loaded modules memoised by ``functools.cache`` or ``lru_cache(None)``."""
    found = {}
    for name, module in list(sys.modules.items()):
        if name != "lmtx" and not name.startswith("lmtx."):
            continue
        for attribute, value in vars(module).items():
            info = getattr(value, "cache_info", None)
            if callable(info) and isinstance(value, functools._lru_cache_wrapper) and info().maxsize is None:
                found[f"{name}.{attribute}"] = value
    return found


def _shifted(record: dict[str, Any], days: int) -> dict[str, Any]:
    """``record`` with every date ``days`` later."""

    def shift(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shift(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shift(v) for v in value]
        if isinstance(value, str):
            try:
                return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
            except ValueError:
                return value
        return value

    return shift(record)


def test_no_unbounded_cache_grows_with_the_records_evaluated() -> None:
    # A memo keyed on what differs from record to record (a date) grows for as long as the
    # process evaluates: ~54 bytes per evaluation for the fact labels' date formatter in 0.3.1.
    record = json.loads((ROOT / "lmtx" / "examples" / "inadequate-response.json").read_text(encoding="utf-8"))
    for days in range(20):
        lmtx.evaluate(_shifted(record, days)).to_json()
    caches = _unbounded_caches()
    assert caches  # the search finds them (knowledge_base(), at least)
    before = {name: cache.cache_info().currsize for name, cache in caches.items()}
    for days in range(20, 220):
        lmtx.evaluate(_shifted(record, days)).to_json()
    grown = {
        name: (before[name], c.cache_info().currsize)
        for name, c in caches.items()
        if c.cache_info().currsize > before[name]
    }
    assert grown == {}, f"caches that grow with the records evaluated (before, after): {grown}"

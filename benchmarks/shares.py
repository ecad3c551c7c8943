"""Where one ``evaluate()`` + ``to_json()`` spends its time, stage by stage, measured with timers.

Run from the repository root::

    python -m benchmarks.shares                      # 3,000 generated patients
    python -m benchmarks.shares --patients 500       # fewer
    python -m benchmarks.shares --mix                # the clinical scenarios, against the computation floor

The patients are a seeded cohort (``benchmarks/cohort.py``, every record
valid), each evaluated on its latest date, warm, in one thread. Every stage
of the road is timed with ``time.perf_counter_ns`` by a thin wrapper around
the function that does it, put in place for the measurement and removed
after; no profiler runs, so C and Python are timed alike. The stages, each
timed on its own (a stage's time excludes the stages inside it):

- **validation**: ``coerce_policy`` and ``parse_patient`` (structuring and
  every check);
- **base facts**: ``base_facts``;
- **engine: assert_facts**, and **engine: other calls** (taking, completing
  and abandoning actions, deleting the session): the calls into the C engine,
  ``lmtx._durable_rules``;
- **JSON to the engine** and **JSON from the engine**: encoding the facts
  for the engine's string API and reading its matches back (the adapter's
  own encoder and decoder, whatever they are named in the version measured);
- **rule actions**: each firing's consequences and bookkeeping
  (``_Action.fire``);
- **adapter**: the rest of ``CompiledRules.run`` (the wave loop, the session);
- **result building**: ``_result`` (items, texts, trace labels);
- **output JSON**: ``Result.to_json``;
- **other**: what ``evaluate()`` does between the stages.

Each wrapper costs a fraction of a microsecond, counted in its caller's
stage; the report gives the wrapped calls per evaluation and the median of an
unwrapped pass over the same patients, so that the wrappers' cost shows.
The shares, not the microseconds, carry over to another machine.

With ``--mix`` the clinical scenarios of ``tests/scenarios`` are evaluated
instead, 20 rounds, and the engine's calls (with and without their JSON) are
compared with the computation floor: the property tests' plain-Python oracle
(``tests/oracle.py``) deciding the same mix in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import lmtx
from benchmarks.cohort import cohort
from lmtx import _engine, _evaluate

STAGES = (
    "validation",
    "base facts",
    "engine: assert_facts",
    "engine: other calls",
    "JSON to the engine",
    "JSON from the engine",
    "rule actions",
    "adapter",
    "result building",
    "output JSON",
    "other",
)
"""The stages, in the order of the road."""

_ENGINE_CALLS = (
    "assert_facts",
    "start_action_for_state",
    "complete_and_start_action",
    "abandon_action",
    "delete_state",
)
# The adapter's encoder and decoder of the engine's JSON, by the names they have had: 0.3.1's
# json encoder and scanner, and the functions that replaced them.
_JSON_TO_ENGINE = ("_encode", "_encode_facts")
_JSON_FROM_ENGINE = ("_scan", "_read_match")

Case = tuple[Any, Any, Any]


class _Clock:
    """Exclusive time per stage: entering a stage pauses the one it was called from."""

    def __init__(self) -> None:
        self.spent: dict[str, int] = defaultdict(int)
        self.calls = 0
        self._stack: list[str] = []
        self._since = 0

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.perf_counter_ns
        spent, stack = self.spent, self._stack

        def timed(*args: Any, **kwargs: Any) -> Any:
            now = clock()
            if stack:
                spent[stack[-1]] += now - self._since
            stack.append(stage)
            self._since = now
            self.calls += 1
            try:
                return function(*args, **kwargs)
            finally:
                now = clock()
                spent[stack.pop()] += now - self._since
                self._since = now

        return timed

    def outer(self, stage: str) -> Callable[[Callable[[], Any]], Any]:
        """Run a function as the outermost stage (its untimed parts are counted to ``stage``)."""
        return lambda function: self.wrap(stage, function)()


@contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


class _TimedModule:
    """Stands in for the engine's module: its calls are timed, everything else passes through."""

    def __init__(self, module: Any, clock: _Clock) -> None:
        self._module = module
        for name in _ENGINE_CALLS:
            stage = "engine: assert_facts" if name == "assert_facts" else "engine: other calls"
            if hasattr(module, name):
                setattr(self, name, clock.wrap(stage, getattr(module, name)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


@contextmanager
def _timers(clock: _Clock) -> Iterator[None]:
    """Every stage's function wrapped, for the duration of the block."""
    with ExitStack() as stack:
        stack.enter_context(_replaced(_engine, "_native", _TimedModule(_engine._native, clock)))
        for names, stage in ((_JSON_TO_ENGINE, "JSON to the engine"), (_JSON_FROM_ENGINE, "JSON from the engine")):
            name = next(n for n in reversed(names) if hasattr(_engine, n))  # the newest name: one wrapper per call
            stack.enter_context(_replaced(_engine, name, clock.wrap(stage, getattr(_engine, name))))
        stack.enter_context(_replaced(_engine._Action, "fire", clock.wrap("rule actions", _engine._Action.fire)))
        stack.enter_context(_replaced(_engine.CompiledRules, "run", clock.wrap("adapter", _engine.CompiledRules.run)))
        for name, stage in (
            ("coerce_policy", "validation"),
            ("parse_patient", "validation"),
            ("base_facts", "base facts"),
            ("_result", "result building"),
        ):
            stack.enter_context(_replaced(_evaluate, name, clock.wrap(stage, getattr(_evaluate, name))))
        yield


def cases(patients: int, *, mix: bool = False) -> list[Case]:
    """The evaluations to time: ``patients`` generated records on their latest dates, or the scenario mix."""
    if mix:
        from benchmarks.bench import load_mix  # noqa: PLC0415 - bench imports this module

        return [(s["patient"], s.get("as_of"), s.get("policy")) for s in load_mix()]
    return [(record, None, None) for record in cohort(patients, seed=7, invalid_every=None)]


def _evaluate_all(evaluations: list[Case], clock: _Clock | None) -> list[int]:
    samples = []
    for patient, as_of, policy in evaluations:
        start = time.perf_counter_ns()
        if clock is None:
            lmtx.evaluate(patient, as_of=as_of, policy=policy).to_json()
        else:
            result = clock.outer("other")(lambda p=patient, a=as_of, q=policy: lmtx.evaluate(p, as_of=a, policy=q))
            clock.wrap("output JSON", result.to_json)()
        samples.append(time.perf_counter_ns() - start)
    return samples


def measure(evaluations: list[Case]) -> dict[str, Any]:
    """Per evaluation: each stage's time (µs, mean) and share, and the median of an unwrapped pass."""
    for patient, as_of, policy in evaluations[:50]:  # the rule base compiled, every path warm
        lmtx.evaluate(patient, as_of=as_of, policy=policy).to_json()
    plain = _evaluate_all(evaluations, None)
    clock = _Clock()
    with _timers(clock):
        wrapped = _evaluate_all(evaluations, clock)
    count = len(evaluations)
    total = sum(clock.spent.values())
    return {
        "evaluations": count,
        "median_us": statistics.median(plain) / 1e3,
        "median_us_with_timers": statistics.median(wrapped) / 1e3,
        "mean_us_with_timers": total / count / 1e3,
        "timed_calls_per_evaluation": clock.calls / count,
        "stages_us": {stage: clock.spent[stage] / count / 1e3 for stage in STAGES},
        "shares": {stage: clock.spent[stage] / total for stage in STAGES},
    }


def table(result: dict[str, Any]) -> list[str]:
    """The measurement as lines of text."""
    lines = [
        f"{result['evaluations']} evaluations: evaluate() + to_json() median {result['median_us']:.0f} µs "
        f"({result['median_us_with_timers']:.0f} µs with {result['timed_calls_per_evaluation']:.0f} timed calls "
        "per evaluation), wall time",
        f"{'stage':<24}{'µs (mean)':>10}{'share':>8}",
    ]
    for stage in STAGES:
        lines.append(f"{stage:<24}{result['stages_us'][stage]:10.1f}{result['shares'][stage]:8.1%}")
    engine = result["shares"]["engine: assert_facts"] + result["shares"]["engine: other calls"]
    json_ = result["shares"]["JSON to the engine"] + result["shares"]["JSON from the engine"]
    lines.append(f"{'C engine calls, all':<24}{'':>10}{engine:8.1%}")
    lines.append(f"{'engine JSON, both ways':<24}{'':>10}{json_:8.1%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the stages' shares of an evaluation."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shares", description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=3000, help="generated patients (default 3000)")
    parser.add_argument("--mix", action="store_true", help="the clinical scenarios instead of generated patients")
    args = parser.parse_args(argv)
    evaluations = cases(args.patients, mix=args.mix)
    result = measure(evaluations * (20 if args.mix else 1))
    print("\n".join(table(result)))
    if args.mix:
        from benchmarks.bench import computation_floor, load_mix  # noqa: PLC0415 - bench imports this module

        floor = computation_floor(load_mix(), 20)
        if floor is not None:
            us = result["stages_us"]
            engine = us["engine: assert_facts"] + us["engine: other calls"]
            with_json = engine + us["JSON to the engine"] + us["JSON from the engine"]
            print(f"computation floor (tests/oracle.py), median: {floor['median_us']:.1f} µs")
            for label, value in (("evaluate() + to_json()", result["median_us"]), ("C engine calls", engine)):
                print(f"{label}: {value / floor['median_us']:.0f}x the floor")
            print(f"C engine calls and their JSON: {with_json / floor['median_us']:.0f}x the floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

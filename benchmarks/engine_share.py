"""What the rule engine alone costs, against the computation floor: is "10x the floor" reachable?

Run from the repository root::

    python -m benchmarks.engine_share                 # 30 rounds of the scenario mix, timers only
    python -m benchmarks.engine_share --profile 10    # and a cProfile table of 10 rounds

Per evaluation of the scenario mix (``evaluate()`` + ``to_json()``, warm, one
thread, thread CPU time), the calls into the C engine
(``lmtx._durable_rules``) are timed one by one by a thin wrapper around the
module lmtx's engine adapter calls, and so are the JSON encodings and decodings
the engine's string API imposes (facts in as JSON text, every matched action out
as JSON text). The computation floor is the property tests' plain-Python
oracle (``tests/oracle.py``) on the same mix in the same run.

The wrappers add about a microsecond per wrapped call (a few dozen per
evaluation); the medians below are therefore a little pessimistic for
``evaluate()`` and exact enough for the engine's share. The cProfile table is
for *where*, not *how much*: the profiler's per-call cost inflates pure-Python
functions far more than C calls.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import lmtx
from benchmarks.bench import computation_floor, load_mix
from lmtx import _engine

_ENGINE_CALLS = (
    "assert_facts",
    "start_action_for_state",
    "complete_and_start_action",
    "delete_state",
    "abandon_action",
)


class _Timed:
    """A stand-in for a module: the named functions are timed, everything else passes through."""

    def __init__(self, module: Any, names: tuple[str, ...], totals: dict[str, int], counts: dict[str, int]) -> None:
        self._module = module
        for name in names:
            setattr(self, name, self._wrap(name, getattr(module, name), totals, counts))

    @staticmethod
    def _wrap(
        name: str, function: Callable[..., Any], totals: dict[str, int], counts: dict[str, int]
    ) -> Callable[..., Any]:
        clock = time.thread_time_ns

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                totals[name] += clock() - start
                counts[name] += 1

        return timed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def measure(rounds: int) -> dict[str, Any]:
    """Per evaluation: ``evaluate()`` + ``to_json()``, the C engine's calls, the engine's JSON, the floor."""
    mix = load_mix()
    calls = [(lambda s=s: lmtx.evaluate(s["patient"], as_of=s["as_of"], policy=s.get("policy")).to_json()) for s in mix]
    for call in calls:  # warm: the rule base compiled, every code path run once
        call()
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    # The adapter encodes facts with _engine._encode and reads matches with _engine._scan
    # (json's own encoder and scanner, made once); both are timed as "dumps" and "loads".
    native, encode, scan = _engine._native, _engine._encode, _engine._scan
    _engine._native = _Timed(native, _ENGINE_CALLS, totals, counts)
    _engine._encode = _Timed._wrap("dumps", encode, totals, counts)
    _engine._scan = _Timed._wrap("loads", scan, totals, counts)
    per_call: list[int] = []
    engine_only: list[int] = []
    engine_and_json: list[int] = []
    try:
        for _ in range(rounds):
            for call in calls:
                before_engine = sum(totals[n] for n in _ENGINE_CALLS)
                before_json = totals["dumps"] + totals["loads"]
                start = time.thread_time_ns()
                call()
                per_call.append(time.thread_time_ns() - start)
                spent_engine = sum(totals[n] for n in _ENGINE_CALLS) - before_engine
                engine_only.append(spent_engine)
                engine_and_json.append(spent_engine + totals["dumps"] + totals["loads"] - before_json)
    finally:
        _engine._native, _engine._encode, _engine._scan = native, encode, scan
    evaluations = rounds * len(mix)
    floor = computation_floor(mix, rounds)
    floor_us = floor["median_us"] if floor else float("nan")
    result = {
        "evaluations": evaluations,
        "evaluate_median_us": statistics.median(per_call) / 1e3,
        "engine_median_us": statistics.median(engine_only) / 1e3,
        "engine_and_json_median_us": statistics.median(engine_and_json) / 1e3,
        "floor_median_us": floor_us,
        "by_call": {
            name: {
                "calls_per_evaluation": counts[name] / evaluations,
                "us_per_evaluation": totals[name] / evaluations / 1e3,
            }
            for name in (*_ENGINE_CALLS, "dumps", "loads")
            if counts[name]
        },
    }
    result["evaluate_vs_floor"] = result["evaluate_median_us"] / floor_us
    result["engine_vs_floor"] = result["engine_median_us"] / floor_us
    result["engine_and_json_vs_floor"] = result["engine_and_json_median_us"] / floor_us
    result["engine_share"] = statistics.median(e / c for e, c in zip(engine_only, per_call, strict=True))
    return result


def profile_table(rounds: int, top: int = 18) -> str:
    """A cProfile table (by own time) of ``rounds`` rounds of the mix, in µs per evaluation."""
    mix = load_mix()
    for s in mix:
        lmtx.evaluate(s["patient"], as_of=s["as_of"], policy=s.get("policy")).to_json()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        for s in mix:
            lmtx.evaluate(s["patient"], as_of=s["as_of"], policy=s.get("policy")).to_json()
    profiler.disable()
    evaluations = rounds * len(mix)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    total = 0.0
    for (filename, line, name), (_, calls, own, _cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += own
        where = (
            name
            if filename == "~"
            else f"{filename.rsplit('/site-packages/', 1)[-1].rsplit('/lmtx/', 1)[-1]}:{line}({name})"
        )
        rows.append((own, calls, where))
    rows.sort(reverse=True)
    lines = [
        f"cProfile, {evaluations} evaluations, {total / evaluations * 1e6:.0f} µs per evaluation under the profiler",
        "| own µs per evaluation | share | calls per evaluation | function |",
        "|---|---|---|---|",
    ]
    for own, calls, where in rows[:top]:
        lines.append(f"| {own / evaluations * 1e6:.1f} | {own / total:.0%} | {calls / evaluations:.1f} | `{where}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the engine's share of an evaluation and its ratio to the computation floor."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine_share", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="rounds of the scenario mix (default 30)")
    parser.add_argument("--profile", type=int, default=0, metavar="ROUNDS", help="also print a cProfile table")
    args = parser.parse_args(argv)
    result = measure(args.rounds)
    print(f"{result['evaluations']} evaluations of the scenario mix (CPU µs per evaluation, medians)")
    for label, key in (
        ("evaluate() + to_json()", "evaluate"),
        ("C engine calls alone", "engine"),
        ("C engine calls + their JSON", "engine_and_json"),
    ):
        print(f"{label:<36}{result[key + '_median_us']:8.1f}  ({result[key + '_vs_floor']:.0f}x the floor)")
    print(f"computation floor (tests/oracle.py) {result['floor_median_us']:8.1f}")
    print(f"engine's share of evaluate()        {result['engine_share']:8.0%}")
    for name, row in result["by_call"].items():
        print(f"  {name:<28} {row['calls_per_evaluation']:5.1f} calls  {row['us_per_evaluation']:8.1f} µs")
    if args.profile:
        print()
        print(profile_table(args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

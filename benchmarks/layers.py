"""How much of evaluate() is lmtx's own layers, and how much the native engine.

Run from the repository root::

    python -m benchmarks.layers --rounds 30     # CPU time per evaluation, and the native engine's share

Each round evaluates the scenario mix (``evaluate()`` + ``to_json()``, warm,
one thread, thread CPU time). A second pass of the same rounds times every call
into durable-rules' C engine (``lmtx._durable_rules``) through a thin wrapper;
the native share is that time over the whole evaluation in the same pass (the
wrapper's own cost, about a microsecond per call, counts against the layers).
Everything else, JSON to and from the engine included, is lmtx's own layers.

CPU time moves with the machine's load; instruction counts do not. Under
callgrind, the instructions of ``--rounds 5`` minus those of ``--rounds 0``
(start-up, compilation and warm-up only) are the cost of 5 x the mix::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python -m benchmarks.layers --rounds 0
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python -m benchmarks.layers --rounds 5 --no-share
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import lmtx
from benchmarks.bench import load_mix
from lmtx import _engine

_NATIVE_CALLS = (
    "assert_facts",
    "start_action_for_state",
    "complete_and_start_action",
    "delete_state",
    "abandon_action",
)


class _TimedNative:
    """Stands in for the native module: the engine's calls are timed, everything else passes through."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.spent_ns = 0
        for name in _NATIVE_CALLS:
            setattr(self, name, self._wrap(getattr(module, name)))

    def _wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.thread_time_ns

        def timed(*args: Any) -> Any:
            start = clock()
            try:
                return function(*args)
            finally:
                self.spent_ns += clock() - start

        return timed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _round(mix: list[tuple[Any, Any, Any]]) -> int:
    start = time.thread_time_ns()
    for patient, as_of, policy in mix:
        lmtx.evaluate(patient, as_of=as_of, policy=policy).to_json()
    return time.thread_time_ns() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.layers", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="times the whole mix is evaluated (default 30)")
    parser.add_argument("--no-share", action="store_true", help="skip the timed pass of the native calls")
    args = parser.parse_args(argv)
    mix = [(s["patient"], s.get("as_of"), s.get("policy")) for s in load_mix()]
    for patient, as_of, policy in mix:  # compile the rule base and warm up outside the count
        lmtx.evaluate(patient, as_of=as_of, policy=policy).to_json()
    if args.rounds <= 0:
        return 0
    per_evaluation = [_round(mix) / len(mix) / 1000 for _ in range(args.rounds)]
    print(
        f"{len(mix)} scenarios x {args.rounds} rounds: evaluate() + to_json() "
        f"median {statistics.median(per_evaluation):.0f} us, min {min(per_evaluation):.0f} us CPU per evaluation"
    )
    if args.no_share:
        return 0
    native = _engine._native
    timed = _TimedNative(native)
    _engine._native = timed
    try:
        shares = []
        for _ in range(args.rounds):
            before = timed.spent_ns
            total = _round(mix)
            shares.append((timed.spent_ns - before) / total)
    finally:
        _engine._native = native
    share = statistics.median(shares)
    print(f"native engine calls: {share:.1%} of evaluate() + to_json(); lmtx's own layers: {1 - share:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

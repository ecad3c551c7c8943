"""What the engine's build flags are worth: evaluate() + to_json() over the scenario mix.

lmtx builds its vendored engine with ``-O2 -DNDEBUG`` (setup.py); durable-rules'
own build script compiled it unoptimised. Run this module in two environments
whose engines were built with different flags, and compare:

    python -m benchmarks.engine_build --rounds 30       # CPU time per evaluation (median, min)

CPU time still moves with the machine's load; instruction counts do not. Under
callgrind, the instructions of ``--rounds 5`` minus those of ``--rounds 0``
(start-up and compilation only) are the cost of 5 x the mix::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python -m benchmarks.engine_build --rounds 0
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python -m benchmarks.engine_build --rounds 5

The results are on the installation page (docs/installation.md).
"""

from __future__ import annotations

import argparse
import statistics
import time

import lmtx
from benchmarks.bench import load_mix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine_build", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="times the whole mix is evaluated (default 30)")
    args = parser.parse_args(argv)
    mix = [(s["patient"], s.get("as_of"), s.get("policy")) for s in load_mix()]
    for patient, as_of, policy in mix:  # compile the rule base and warm up outside the count
        lmtx.evaluate(patient, as_of=as_of, policy=policy)
    per_evaluation = []
    for _ in range(args.rounds):
        start = time.thread_time_ns()
        for patient, as_of, policy in mix:
            lmtx.evaluate(patient, as_of=as_of, policy=policy).to_json()
        per_evaluation.append((time.thread_time_ns() - start) / len(mix) / 1000)
    if per_evaluation:
        print(
            f"{len(mix)} scenarios x {args.rounds} rounds: evaluate() + to_json() "
            f"median {statistics.median(per_evaluation):.0f} us, min {min(per_evaluation):.0f} us CPU"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

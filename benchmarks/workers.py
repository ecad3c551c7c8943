"""Where the parent process's time goes when an ``EvaluationPool`` evaluates for it.

Run from the repository root::

    python -m benchmarks.workers                  # 3,000 records per case
    python -m benchmarks.workers --records 10000

On a machine with as many cores as workers, the parent (which feeds the
workers and unpickles their outcomes) takes its CPU time from them, so the
speed-up of ``workers`` processes over one is at most about
``workers * e / (e + p + w)``: ``e`` the evaluation, ``p`` the parent's and
``w`` the worker's own cost per record (unpickling the record, pickling the
outcome). This module measures ``p`` and ``w`` apart:

- the parent's CPU time per record with a warm pool, for the outcomes
  ``evaluate_many`` yields and for a task that evaluates but returns only the
  record's index (what the process machinery alone costs), at several chunk
  sizes;
- pickling and unpickling one outcome, as attrs pickles it and in the
  compact form the pool's workers send, in this process.

Parent CPU time is load-independent enough to compare runs; wall times are not,
and are not printed.

The scaling case, ``--scale``, is what a user of ``evaluate_many`` sees: one
call on ``--records`` generated records (``benchmarks/cohort.py``), either in
this process (``--workers 1``) or in ``--workers`` worker processes started
for the call (start-up included), printing the wall time from the call to
its last outcome. Run the two as whole processes, in turns, and compare::

    python -m benchmarks.workers --scale --records 10000 --workers 1
    python -m benchmarks.workers --scale --records 10000 --workers 2
"""

from __future__ import annotations

import argparse
import copyreg
import functools
import io
import multiprocessing
import os
import pickle
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lmtx
from benchmarks.bench import load_mix
from benchmarks.cohort import cohort
from lmtx._workers import _compact, compact_classes
from lmtx.batch import OUTCOME_CLASSES, Outcome, evaluate_one, lost_outcome


def index_only(index: int, record: Any) -> int:
    """Evaluate the record and send back only its index (runs in a worker)."""
    evaluate_one(index, record, None, lmtx.DEFAULT_POLICY)
    return index


def _lost_index(index: int, record: Any, message: str) -> int:
    return index


def _cpu_s() -> float:
    return time.process_time()


def parent_cost(records: list[Any], chunksizes: tuple[int | None, ...]) -> dict[str, float]:
    """Parent CPU µs per record with a warm 2-worker pool, per task and chunk size."""
    out: dict[str, float] = {}
    outcome = functools.partial(evaluate_one, as_of=None, policy=lmtx.DEFAULT_POLICY)
    tasks: dict[str, tuple[Callable[[int, Any], Any], Callable[[int, Any, str], Any]]] = {
        "outcome": (outcome, lost_outcome),
        "index only": (index_only, _lost_index),
    }
    with lmtx.EvaluationPool(workers=2) as pool:
        list(pool.evaluate_many(records[:500]))
        for size in chunksizes:
            for name, (task, lost) in tasks.items():
                start = _cpu_s()
                done = sum(1 for _ in pool.map(task, lost, records, size))
                out[f"{name}, chunks of {size or '4 growing to 128'}"] = (_cpu_s() - start) / done * 1e6
    return out


def _per_outcome_us(function: Callable[[], object], outcomes: int, repeat: int = 20) -> float:
    start = _cpu_s()
    for _ in range(repeat):
        function()
    return (_cpu_s() - start) / repeat / outcomes * 1e6


def transport(outcomes: list[Outcome]) -> dict[str, float]:
    """CPU µs to pickle and to unpickle one outcome, as attrs does it and in compact form."""
    table = {**copyreg.dispatch_table, **dict.fromkeys(compact_classes(OUTCOME_CLASSES), _compact)}

    def compact_dumps() -> bytes:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = table
        pickler.dump(outcomes)
        return buffer.getvalue()

    def plain_dumps() -> bytes:
        return pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL)

    plain, compact = plain_dumps(), compact_dumps()
    assert pickle.loads(compact) == outcomes
    n = len(outcomes)
    return {
        "attrs pickle, dump": _per_outcome_us(plain_dumps, n),
        "attrs pickle, load": _per_outcome_us(lambda: pickle.loads(plain), n),
        "compact, dump": _per_outcome_us(compact_dumps, n),
        "compact, load": _per_outcome_us(lambda: pickle.loads(compact), n),
        "attrs pickle, bytes": len(plain) / n,
        "compact, bytes": len(compact) / n,
    }


def _side_by_side(
    worker: int, records: list[Any], rounds: int, ready: Any, results: Any
) -> None:  # pragma: no cover - runs in a child process
    """One of two processes timing the same evaluations: first worker 0 alone, then both at once."""
    for record in records[:50]:
        lmtx.evaluate(record)
    for _ in range(rounds):
        for together in (False, True):
            ready.wait()
            if together or worker == 0:
                start = time.perf_counter()
                for record in records:
                    lmtx.evaluate(record)
                results.put((together, worker, time.perf_counter() - start))
            ready.wait()


def ceiling(records: list[Any], rounds: int) -> list[float]:
    """The machine's own limit: two processes evaluating at once, with nothing crossing between them.

    Two processes import lmtx and compile the rules; then, ``rounds`` times,
    one evaluates ``records`` alone and both evaluate them at once. The
    speed-up of one round is ``2 * alone / slower of the two``: what two
    workers could reach with a free parent and free transport.
    """
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=_side_by_side, args=(worker, records, rounds, ready, results)) for worker in (0, 1)
    ]
    for process in processes:
        process.start()
    times = [results.get() for _ in range(3 * rounds)]
    for process in processes:
        process.join()
    alone = [t for together, _, t in times if not together]
    both = [t for together, _, t in times if together]
    return [2 * a / max(pair) for a, pair in zip(alone, zip(both[::2], both[1::2], strict=True), strict=True)]


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime and stime: the stat file's fields 14 and 15
    return total / tick


def where_the_cores_go(records: list[Any]) -> dict[str, float]:
    """A warm 2-worker pool evaluating ``records``: CPU per record of the workers and the parent, and core use.

    If the workers and the parent together keep both cores busy, the pool is
    limited by the CPU it spends; if not, by waiting.
    """
    with lmtx.EvaluationPool(workers=2) as pool:
        list(pool.evaluate_many(records[:500]))
        workers = list(pool._executors.executor._processes)  # private: a measurement, not an API
        before_workers, before_parent, start = _cpu_of(workers), _cpu_s(), time.perf_counter()
        done = sum(1 for _ in pool.evaluate_many(records))
        wall = time.perf_counter() - start
        workers_cpu, parent_cpu = _cpu_of(workers) - before_workers, _cpu_s() - before_parent
    return {
        "evaluations/s (wall)": done / wall,
        "workers' CPU µs per record": workers_cpu / done * 1e6,
        "parent's CPU µs per record": parent_cpu / done * 1e6,
        "cores busy (of 2)": (workers_cpu + parent_cpu) / wall,
    }


def scale(records: list[Any], workers: int) -> dict[str, float]:
    """One ``evaluate_many`` call on ``records``: wall time from the call to its last outcome, start-up included."""
    start = time.perf_counter()
    done = sum(outcome.ok for outcome in lmtx.evaluate_many(records, workers=workers))
    wall = time.perf_counter() - start
    return {"records": len(records), "evaluated": done, "wall_s": wall, "per_s": len(records) / wall}


def main(argv: list[str] | None = None) -> int:
    """Print the parent's per-record cost and the cost of moving an outcome (or, with --scale, one call's time)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workers", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000, help="records per case (default 3000)")
    parser.add_argument("--scale", action="store_true", help="only time one evaluate_many call on generated records")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for --scale (1: this process)")
    args = parser.parse_args(argv)
    if args.scale:
        result = scale(cohort(args.records, seed=11, invalid_every=None), args.workers)
        print(
            f"evaluate_many(workers={args.workers}), {result['records']} records ({result['evaluated']} evaluated): "
            f"{result['wall_s']:.2f} s wall, {result['per_s']:.0f} records/s, start-up included"
        )
        return 0
    mix = load_mix()
    records = [mix[i % len(mix)]["patient"] for i in range(args.records)]
    print(f"load average {os.getloadavg()[0]:.2f}")
    evaluations = [evaluate_one(i, r, None, lmtx.DEFAULT_POLICY) for i, r in enumerate(records[:128])]
    start = _cpu_s()
    for record in records[:640]:
        lmtx.evaluate(record)
    print(f"evaluate(), CPU µs per record: {(_cpu_s() - start) / 640 * 1e6:.0f}")
    print("moving one outcome, CPU µs (bytes):")
    for name, value in transport(evaluations).items():
        print(f"  {name:<24}{value:8.1f}")
    ratios = ceiling(records[: args.records // 3], 5)
    print(f"two processes at once, nothing crossing ({args.records // 3} records each, 5 rounds): speed-up")
    print(f"  {'median (min-max)':<24}{statistics.median(ratios):8.2f} ({min(ratios):.2f}-{max(ratios):.2f})")
    print(f"a warm EvaluationPool(2), {args.records} records:")
    for name, value in where_the_cores_go(records).items():
        print(f"  {name:<40}{value:8.1f}")
    print(f"parent CPU µs per record, warm EvaluationPool(2), {args.records} records:")
    for name, value in parent_cost(records, (8, 32, 128, None)).items():
        print(f"  {name:<40}{value:8.1f}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

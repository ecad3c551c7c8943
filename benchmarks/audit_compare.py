"""The cohort audit's throughput, before and after, in one run: an earlier lmtx against this checkout.

Run from the repository root of a git clone::

    python -m benchmarks.audit_compare                        # 0.2.2 against this checkout, 10^4 records
    python -m benchmarks.audit_compare --count 2000 --turns 2 # smaller and quicker
    python -m benchmarks.audit_compare --smoke --before HEAD  # tiny: proves the harness works

One seeded cohort (``benchmarks.cohort``, the generator the course page uses)
is written once; both sides audit the same file. The earlier ``lmtx/`` is
extracted from git into a temporary directory, and this checkout's ``lmtx/``
is copied beside it when the run starts (editing the checkout during a run
does not change what is measured). Each side runs
``lmtx.audit`` on every record in its own fresh interpreter, in one process
(no worker pool: the pool's start-up and the other engineers' load on a
shared machine would dominate the difference), and the sides take turns
(before, after, before, after, ...) so that a change in the machine's load
falls on both. Reported per side: the median, minimum and maximum over the
turns of the wall-clock throughput (records per second) and of the CPU time
per record (less sensitive to load), with the load average at the start of
each turn. The two sides' reports need not be equal: the readings changed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

BEFORE = "75b3fd7"
"""lmtx 0.2.2 (the last commit before the 2026-12 input and course revisions)."""


def _extract(ref: str, into: Path) -> None:
    """Write ``lmtx/`` as it was at ``ref`` into ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "lmtx"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise SystemExit(f"python -m benchmarks.audit_compare: cannot read {ref!r} from git: {message}")
    path = into / "before.tar"
    path.write_bytes(archive.stdout)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")
    path.unlink()


def _child(cohort: str) -> int:
    """Audit the cohort with the ``lmtx`` this interpreter imports; print the figures as JSON."""
    import lmtx  # noqa: PLC0415 - imported here, after the parent chose which lmtx is on the path

    records = Path(cohort).read_text(encoding="utf-8").splitlines()
    lmtx.evaluate(json.loads(records[0]))  # the engine is built before the clock starts
    wall, cpu = time.perf_counter(), time.process_time()
    report = lmtx.audit(records)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    episodes = sum(r.episodes for r in report.recommendations)
    print(
        json.dumps(
            {
                "version": lmtx.__version__,
                "records": report.records,
                "audited": report.audited,
                "episodes": episodes,
                "wall_s": wall,
                "cpu_s": cpu,
                "records_per_s": report.records / wall,
                "cpu_ms_per_record": 1000 * cpu / report.records,
            }
        )
    )
    return 0


def _measure(tree: Path, cohort: Path) -> dict[str, Any]:
    """One side, once, in a fresh interpreter whose ``lmtx`` comes from ``tree``."""
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join([str(tree), str(ROOT)])
    env.pop("PYTHONHASHSEED", None)
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.audit_compare", "--child", str(cohort)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"python -m benchmarks.audit_compare: measuring {tree} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["load_1min"] = load
    return result


def _summary(turns: list[dict[str, Any]]) -> dict[str, Any]:
    def spread(key: str) -> dict[str, float]:
        values = [turn[key] for turn in turns]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    return {
        "version": turns[0]["version"],
        "records": turns[0]["records"],
        "episodes": turns[0]["episodes"],
        "records_per_s": spread("records_per_s"),
        "cpu_ms_per_record": spread("cpu_ms_per_record"),
        "load_1min": [round(turn["load_1min"], 2) for turn in turns],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; print a table and write JSON figures (``--out``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.audit_compare", description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help=f"the earlier commit (default {BEFORE}, lmtx 0.2.2)")
    parser.add_argument("--count", type=int, default=10_000, help="records in the cohort (default 10^4)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--turns", type=int, default=3, help="turns per side (default 3)")
    parser.add_argument("--smoke", action="store_true", help="60 records, one turn: the harness works")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child)
    count, turns = (60, 1) if args.smoke else (args.count, args.turns)
    from benchmarks.cohort import cohort  # noqa: PLC0415 - this checkout's seeded generator

    with tempfile.TemporaryDirectory(prefix="lmtx-audit-compare-") as folder:
        tree = Path(folder) / "before"
        tree.mkdir()
        _extract(args.before, tree)
        current = Path(folder) / "after"
        shutil.copytree(ROOT / "lmtx", current / "lmtx", ignore=shutil.ignore_patterns("__pycache__"))
        path = Path(folder) / "cohort.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in cohort(count, args.seed)), encoding="utf-8")
        before: list[dict[str, Any]] = []
        after: list[dict[str, Any]] = []
        for turn in range(turns):
            before.append(_measure(tree, path))
            after.append(_measure(current, path))
            print(
                f"turn {turn + 1}/{turns}: before {before[-1]['records_per_s']:.1f} rec/s, "
                f"after {after[-1]['records_per_s']:.1f} rec/s (load {after[-1]['load_1min']:.2f})",
                file=sys.stderr,
                flush=True,
            )
    figures = {"before": _summary(before), "after": _summary(after), "count": count, "seed": args.seed}
    ratio = figures["after"]["records_per_s"]["median"] / figures["before"]["records_per_s"]["median"]
    cpu_ratio = figures["after"]["cpu_ms_per_record"]["median"] / figures["before"]["cpu_ms_per_record"]["median"]
    figures["throughput_after_vs_before"] = ratio
    figures["cpu_per_record_after_vs_before"] = cpu_ratio
    for side in ("before", "after"):
        f = figures[side]
        rps, cpu = f["records_per_s"], f["cpu_ms_per_record"]
        print(
            f"{side:<6} lmtx {f['version']:<8} {rps['median']:7.1f} rec/s (min {rps['min']:.1f}, max {rps['max']:.1f});"
            f" CPU {cpu['median']:.2f} ms/record (min {cpu['min']:.2f}, max {cpu['max']:.2f});"
            f" {f['episodes']} episodes; load {f['load_1min']}"
        )
    print(f"throughput after / before: {ratio:.3f}; CPU per record after / before: {cpu_ratio:.3f}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

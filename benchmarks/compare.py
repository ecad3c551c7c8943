"""Before and after in one run: an earlier lmtx against this checkout, on the same mix, alternately.

Run from the repository root of a git clone::

    python -m benchmarks.compare                       # 0.1.0 (when the speed work began) against this checkout
    python -m benchmarks.compare --before <commit>     # any earlier commit
    python -m benchmarks.compare --before-python .venv-old/bin/python   # the earlier code on another engine build
    python -m benchmarks.compare --smoke --before HEAD # tiny counts: proves the harness works (CI)

lmtx up to 0.2.2 imported durable-rules' engine as the top-level module
``durable_rules_engine`` (the durable-rules package, built by pip); later
versions build the vendored engine as ``lmtx._durable_rules``. An earlier side
runs on the ``durable_rules_engine`` its interpreter has (``--before-python``
an environment with durable-rules installed the old way); where it has none,
a shim in the extracted tree loads this checkout's engine under that name
(the same native API), and the table says which engine each side ran on.

The earlier ``lmtx/`` and ``tests/`` (for its own oracle, the computation
floor of its reading) are extracted from git into a temporary directory. Each
side is measured in its own fresh interpreter, by the same functions of
``benchmarks.bench`` on the same records (the clinical
scenarios of the earlier side, valid for both), and the sides take turns (before, after, before, after, ...) so
that a change in the machine's load falls on both. Each figure is the median
over the turns. Latencies are CPU time of the evaluating thread; throughput
is wall time, with the load average printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

BEFORE = "02ad32e"
"""lmtx 0.1.0 as it stood when the speed work began (its last commit before that work)."""


def _extract(ref: str, into: Path) -> None:
    """Write ``lmtx/`` and ``tests/`` as they were at ``ref`` into ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "lmtx", "tests"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise SystemExit(f"python -m benchmarks.compare: cannot read {ref!r} from git: {message}")
    archive_path = into / "before.tar"
    archive_path.write_bytes(archive.stdout)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into, filter="data")
    archive_path.unlink()


_SHIM = """\"\"\"durable-rules' engine for an earlier lmtx: the vendored one of the compared checkout.\"\"\"
import importlib.util
import sys

_spec = importlib.util.spec_from_file_location("lmtx._durable_rules", {origin!r})
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
sys.modules[__name__] = _module
"""


def _provide_engine(tree: Path, python: str) -> None:
    """Give an earlier tree that imports ``durable_rules_engine`` one, where ``python`` has none."""
    engine = tree / "lmtx" / "_engine.py"
    if not engine.exists() or "durable_rules_engine" not in engine.read_text(encoding="utf-8"):
        return
    probe = subprocess.run([python, "-c", "import durable_rules_engine"], capture_output=True, check=False)
    if probe.returncode == 0:
        return
    import lmtx._durable_rules  # noqa: PLC0415 - only needed when an earlier side lacks an engine

    (tree / "durable_rules_engine.py").write_text(_SHIM.format(origin=lmtx._durable_rules.__file__))


def _measure(tree: Path, python: str, sizes: dict[str, int], mix: Path) -> dict[str, Any]:
    """One side, once, in a fresh interpreter whose ``lmtx`` and ``tests`` come from ``tree``.

    Both sides evaluate the clinical scenarios in ``mix``: the earlier side's, which every later
    lmtx accepts too (a record valid before stays valid), while a newer scenario may use fields an
    earlier lmtx refuses. (The variable is benchmarks.bench.MIX_ENV.)
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(ROOT)]), "LMTX_BENCH_MIX": str(mix)}
    env.pop("PYTHONHASHSEED", None)
    done = subprocess.run(
        [python, "-m", "benchmarks.compare", "--child", json.dumps(sizes)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"python -m benchmarks.compare: measuring {tree} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _child(sizes: dict[str, int]) -> int:
    """Measure the ``lmtx`` this interpreter imports; print the figures as JSON."""
    import lmtx  # noqa: PLC0415 - imported here, after the parent chose which lmtx is on the path
    from benchmarks import bench  # noqa: PLC0415

    mix = bench.load_mix()
    stages = bench.stages(mix, sizes["rounds"])
    latency = bench.latency(mix, sizes["rounds"])
    floor = bench.computation_floor(mix, sizes["rounds"])
    engine = sys.modules.get("lmtx._durable_rules") or sys.modules.get("durable_rules_engine")
    report = {
        "lmtx": lmtx.__version__,
        "module": str(Path(lmtx.__file__).parent),
        "engine": getattr(engine, "__file__", None),
        "latency": latency,
        "computation_floor": floor,
        "stages_us": stages,
        "lmtx_layers_share": bench.layers_share(stages),
        "median_vs_computation_floor": bench.versus_floor(latency, floor),
        "throughput": bench.throughput(mix, sizes["records"]),
        "import": bench.import_time(sizes["imports"]),
    }
    json.dump(report, sys.stdout)
    return 0


def _median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _combine(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every number over the turns of one side (nested dicts kept)."""
    first = turns[0]
    out: dict[str, Any] = {}
    for key, value in first.items():
        if isinstance(value, dict):
            out[key] = _combine([turn[key] for turn in turns])
        elif isinstance(value, bool) or not isinstance(value, int | float | None):
            out[key] = value
        else:
            out[key] = _median([turn[key] for turn in turns])
    return out


def _rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    def number(side: dict[str, Any], *path: str, fmt: str = "{:.0f}") -> str:
        value: Any = side
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return "n/a" if value is None else fmt.format(value)

    def change(*path: str) -> str:
        old, new = before, after
        for key in path:
            old, new = old.get(key), new.get(key)
        if not old or new is None:
            return ""
        return f"{(new - old) / old:+.0%}"

    rows = [
        ("evaluate() + to_json() median, CPU µs", ("latency", "median_us"), "{:.0f}", ""),
        ("evaluate() + to_json() p99, CPU µs", ("latency", "p99_us"), "{:.0f}", ""),
        ("computation floor (its own oracle) median, CPU µs", ("computation_floor", "median_us"), "{:.1f}", ""),
        ("median ÷ computation floor", ("median_vs_computation_floor",), "{:.0f}x", "≤ 10x"),
        ("stage: validation, CPU µs", ("stages_us", "validate"), "{:.0f}", ""),
        ("stage: fact preparation, CPU µs", ("stages_us", "facts"), "{:.0f}", ""),
        ("stage: inference (engine + actions), CPU µs", ("stages_us", "inference"), "{:.0f}", ""),
        ("stage: result building, CPU µs", ("stages_us", "result"), "{:.0f}", ""),
        ("stage: JSON, CPU µs", ("stages_us", "json"), "{:.0f}", ""),
        ("lmtx's own layers' share", ("lmtx_layers_share",), "{:.0%}", "≤ 30 %"),
        ("one process, evaluations/s (wall)", ("throughput", "one_process_per_s"), "{:.0f}", ""),
        (
            "evaluate_many(workers=2) with start-up, speed-up",
            ("throughput", "cold_evaluate_many_speedup"),
            "{:.2f}x",
            "",
        ),
        ("warm EvaluationPool(workers=2), speed-up", ("throughput", "warm_pool_speedup"), "{:.2f}x", "≥ 1.7x"),
        ("import lmtx, CPU ms", ("import", "import_cpu_ms"), "{:.0f}", "< 200 ms"),
    ]
    table = []
    for name, path, fmt, target in rows:
        table.append((name, number(before, *path, fmt=fmt), number(after, *path, fmt=fmt), target or change(*path)))
    return table


def main(argv: list[str] | None = None) -> int:
    """Measure both sides in turns, print a before/after table, write JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help=f"the earlier commit (default {BEFORE}, lmtx 0.1.0)")
    parser.add_argument(
        "--before-python", default=sys.executable, help="the interpreter for the earlier side (default: this one)"
    )
    parser.add_argument("--turns", type=int, default=3, help="turns per side (default 3)")
    parser.add_argument("--smoke", action="store_true", help="tiny counts, to prove the harness runs")
    parser.add_argument("--json", type=Path, default=None, help="where to write the JSON results")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return _child(json.loads(args.child))
    sizes = (
        {"rounds": 1, "records": 40, "imports": 1} if args.smoke else {"rounds": 30, "records": 10_000, "imports": 5}
    )
    turns = 1 if args.smoke else max(1, args.turns)
    with tempfile.TemporaryDirectory(prefix="lmtx-before-") as tmp:
        before_tree = Path(tmp)
        _extract(args.before, before_tree)
        _provide_engine(before_tree, args.before_python)
        measured: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for turn in range(turns):
            for side, tree, python in (("before", before_tree, args.before_python), ("after", ROOT, sys.executable)):
                print(f"turn {turn + 1}/{turns}: {side} ...", file=sys.stderr, flush=True)
                measured[side].append(_measure(tree, python, sizes, before_tree / "tests" / "scenarios"))
    before, after = _combine(measured["before"]), _combine(measured["after"])
    print(f"before: lmtx {before['lmtx']} ({args.before}, {args.before_python}; engine {before.get('engine')})")
    print(f"after:  lmtx {after['lmtx']} (this checkout, {sys.executable}; engine {after.get('engine')})")
    print(f"median of {turns} turns per side, taken in turns; mix of the earlier side's clinical scenarios")
    table = _rows(before, after)
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    header = ("", "before", "after", "change / target")
    for row in (header, *table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    loads = [(t["throughput"]["load_average_before"], t["throughput"]["load_average_after"]) for t in measured["after"]]
    print(f"load average around the after side's throughput runs: {loads}")
    report = {"before_ref": args.before, "sizes": sizes, "turns": measured, "before": before, "after": after}
    target = args.json or RESULTS / ("compare-smoke.json" if args.smoke else "compare.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

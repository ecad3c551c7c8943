"""Where ``lmtx.evaluate`` spends its time, against the engine and computation floors.

Run from the repository root::

    python -m benchmarks                   # full run (a few minutes), table + benchmarks/results/latest.json
    python -m benchmarks --smoke           # tiny counts: proves the benchmarks still work (CI)

Latencies are CPU time of the evaluating thread (``time.thread_time_ns``), so
other processes on the machine do not inflate them; throughput is wall time.
The mix is the clinical scenarios of ``tests/scenarios`` (every phase).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import lmtx
from benchmarks import floor, shares
from benchmarks.cohort import cohort
from lmtx import _evaluate
from lmtx._facts import base_facts
from lmtx.policy import coerce_policy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


MIX_ENV = "LMTX_BENCH_MIX"
"""A directory of scenario files to use as the mix instead of this checkout's (benchmarks.compare sets it)."""


def load_mix() -> list[dict[str, Any]]:
    """The scenario mix: patient, as_of and policy of every clinical scenario."""
    directory = Path(os.environ[MIX_ENV]) if os.environ.get(MIX_ENV) else ROOT / "tests" / "scenarios"
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]


def _cpu_ns(fn: Callable[[], object], repeat: int) -> list[int]:
    samples = []
    for _ in range(repeat):
        start = time.thread_time_ns()
        fn()
        samples.append(time.thread_time_ns() - start)
    return samples


def _summary(samples_ns: Iterable[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_us": statistics.median(ordered) / 1e3, "p99_us": p99 / 1e3, "n": len(ordered)}


def latency(mix: list[dict[str, Any]], rounds: int) -> dict[str, float]:
    """Per-patient ``evaluate()`` CPU time over the mix, warm, one thread."""
    calls = [(lambda s=s: lmtx.evaluate(s["patient"], as_of=s["as_of"], policy=s.get("policy")).to_json()) for s in mix]
    for call in calls:
        call()
    samples = [ns for _ in range(rounds) for call in calls for ns in _cpu_ns(call, 1)]
    return _summary(samples)


def stages(mix: list[dict[str, Any]], rounds: int) -> dict[str, float]:
    """Median CPU time per stage of the road, summed over the mix and divided per patient."""
    totals = {"validate": 0, "facts": 0, "inference": 0, "result": 0, "json": 0}
    for _ in range(rounds):
        for s in mix:
            t0 = time.thread_time_ns()
            policy = coerce_policy(s.get("policy"))
            patient, as_of = _evaluate.parse_patient(s["patient"], s["as_of"])
            t1 = time.thread_time_ns()
            facts = base_facts(patient, policy)
            t2 = time.thread_time_ns()
            run = _evaluate._engine().run(facts)
            t3 = time.thread_time_ns()
            result = _evaluate._result(patient, as_of, run)
            t4 = time.thread_time_ns()
            result.to_json()
            t5 = time.thread_time_ns()
            for key, value in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                totals[key] += value
    count = rounds * len(mix)
    return {key: value / count / 1e3 for key, value in totals.items()}


def engine_floor(mix: list[dict[str, Any]], rounds: int) -> dict[str, float] | None:
    """The same facts into the same compiled rules, through durable-rules' own API only.

    A plain durable-rules host (its dispatcher thread switched off) runs the
    ruleset lmtx compiles, with actions that only assert each rule's
    consequences back (so that rules chain as in lmtx); no validation, no
    fact preparation, no trace, no result. ``None`` where durable-rules'
    Python host is not installed (lmtx vendors only its native engine).
    """
    if not floor.AVAILABLE:
        return None
    prepared = []
    for s in mix:
        patient, _ = _evaluate.parse_patient(s["patient"], s["as_of"])
        prepared.append(base_facts(patient, coerce_policy(s.get("policy"))))
    runner = floor.EngineFloor()
    for facts in prepared:
        runner.run(facts)
    samples = [ns for _ in range(rounds) for facts in prepared for ns in _cpu_ns(lambda f=facts: runner.run(f), 1)]
    return _summary(samples)


def computation_floor(mix: list[dict[str, Any]], rounds: int) -> dict[str, float] | None:
    """The independent plain-Python decision function of the property tests, on the same mix."""
    try:
        from tests.oracle import decide  # noqa: PLC0415 - lands with the property tests
    except ImportError:
        return None
    calls = [
        (lambda s=s: decide(s["patient"], s["as_of"], (s.get("policy") or {}).get("poor_ps_ecog", 3))) for s in mix
    ]
    samples = [ns for _ in range(rounds) for call in calls for ns in _cpu_ns(call, 1)]
    return _summary(samples)


def repeated_views(mix: list[dict[str, Any]], views: int) -> dict[str, float]:
    """A chart viewed ``views`` times: CPU time per view without and with a ``ResultCache``."""
    cold: list[int] = []
    warm: list[int] = []
    for s in mix:

        def view(s: dict[str, Any] = s, cache: lmtx.ResultCache | None = None) -> lmtx.Result:
            return lmtx.evaluate(s["patient"], as_of=s["as_of"], policy=s.get("policy"), cache=cache)

        cold += _cpu_ns(view, views)
        cache = lmtx.ResultCache(maxsize=64)
        view(cache=cache)  # the first view fills the cache
        warm += _cpu_ns(lambda view=view, cache=cache: view(cache=cache), views)
    no_cache, with_cache = _summary(cold), _summary(warm)
    return {
        "no_cache_median_us": no_cache["median_us"],
        "cache_hit_median_us": with_cache["median_us"],
        "speedup": no_cache["median_us"] / with_cache["median_us"],
    }


def _load_average() -> float | None:
    """The 1-minute load average, where the platform has one: how busy the machine was."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _process_cpu_s() -> float:
    """CPU time of this process, all its threads (the pool's feeder and result threads included)."""
    return time.process_time()


def throughput(mix: list[dict[str, Any]], count: int, workers: int = 2) -> dict[str, float | None]:
    """Evaluations per second (wall time): one process, a warm ``EvaluationPool``, and a cold ``evaluate_many``.

    The same ``count`` records (the mix's patients, each on its latest date)
    go through each. With the pool, the parent's CPU time per record is also
    measured: it shares the cores with the workers, so on a machine with as
    many cores as workers, the speed-up is at most about
    ``workers * e / (e + p + w)``, for ``e`` the evaluation, ``p`` the
    parent's and ``w`` the worker's own per-record overhead.
    """
    records = [mix[i % len(mix)]["patient"] for i in range(count)]
    out: dict[str, float | None] = {"records": count, "workers": workers, "load_average_before": _load_average()}
    cpu, start = _process_cpu_s(), time.perf_counter()
    for record in records:
        lmtx.evaluate(record)
    wall = time.perf_counter() - start
    out["one_process_per_s"] = count / wall
    out["one_process_cpu_us_per_record"] = (_process_cpu_s() - cpu) / count * 1e6
    pool_type = getattr(lmtx, "EvaluationPool", None)  # absent before 0.2.0 (benchmarks.compare runs 0.1.0 too)
    out["warm_pool_per_s"] = out["warm_pool_speedup"] = out["warm_pool_parent_cpu_us_per_record"] = None
    if pool_type is not None:
        with pool_type(workers=workers) as pool:
            list(pool.evaluate_many(records[: min(500, count)]))  # every worker has evaluated before the clock starts
            cpu, start = _process_cpu_s(), time.perf_counter()
            done = sum(1 for _ in pool.evaluate_many(records))
            wall = time.perf_counter() - start
        out["warm_pool_per_s"] = done / wall
        out["warm_pool_speedup"] = done / wall / out["one_process_per_s"]
        out["warm_pool_parent_cpu_us_per_record"] = (_process_cpu_s() - cpu) / done * 1e6
    start = time.perf_counter()
    done = sum(1 for _ in lmtx.evaluate_many(records, workers=workers))
    out["cold_evaluate_many_per_s"] = done / (time.perf_counter() - start)
    out["cold_evaluate_many_speedup"] = out["cold_evaluate_many_per_s"] / out["one_process_per_s"]
    out["load_average_after"] = _load_average()
    return out


def timeline_cost(count: int) -> dict[str, float]:
    """CPU time of ``lmtx.timeline()`` per course, over generated courses (``benchmarks/cohort.py``)."""
    courses = cohort(count, seed=3, invalid_every=None)
    lmtx.timeline(courses[0])  # warm
    per_course, steps = [], []
    for record in courses:
        start = time.thread_time_ns()
        course = lmtx.timeline(record)
        per_course.append(time.thread_time_ns() - start)
        steps.append(len(course.steps))
    per_step = [ns / n for ns, n in zip(per_course, steps, strict=True)]
    return {
        "courses": count,
        "median_steps": statistics.median(steps),
        "max_steps": max(steps),
        "median_ms": statistics.median(per_course) / 1e6,
        "p99_ms": sorted(per_course)[min(count - 1, int(count * 0.99))] / 1e6,
        "median_us_per_step": statistics.median(per_step) / 1e3,
    }


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(mix: list[dict[str, Any]], small: int, large: int) -> dict[str, float]:
    """RSS after ``small`` and after ``large`` evaluations."""
    done = 0

    def run_until(target: int) -> None:
        nonlocal done
        while done < target:
            s = mix[done % len(mix)]
            lmtx.evaluate(s["patient"], as_of=s["as_of"], policy=s.get("policy"))
            done += 1

    run_until(small)
    gc.collect()
    after_small = _rss_mib()
    run_until(large)
    gc.collect()
    after_large = _rss_mib()
    return {
        "evaluations_small": small,
        "evaluations_large": large,
        "rss_small_mib": after_small,
        "rss_large_mib": after_large,
        "growth_mib": after_large - after_small,
    }


_IMPORT_PROBE = (
    "import time; c = time.process_time(); w = time.perf_counter(); import lmtx; "
    "print(time.process_time() - c, time.perf_counter() - w)"
)


def import_time(repeat: int) -> dict[str, float]:
    """The ``import lmtx`` statement in a fresh interpreter (best of ``repeat``), CPU and wall time."""
    cpu, wall = [], []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], check=True, capture_output=True, text=True)
        c, w = (float(x) for x in out.stdout.split())
        cpu.append(c)
        wall.append(w)
    return {"import_cpu_ms": min(cpu) * 1e3, "import_wall_ms": min(wall) * 1e3}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "lmtx": lmtx.__version__,
        "knowledge_base": lmtx.knowledge_base().digest,
        "date": dt.date.today().isoformat(),
    }


def layers_share(stages_us: dict[str, float]) -> float:
    """lmtx's own layers' share of an evaluation: every stage but inference (the engine and the rule actions)."""
    total = sum(stages_us.values())
    return (total - stages_us["inference"]) / total


def versus_floor(latency: dict[str, float], floor: dict[str, float] | None) -> float | None:
    """The median evaluation as a multiple of the computation floor (``None`` without an oracle)."""
    return latency["median_us"] / floor["median_us"] if floor else None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print a table, write JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts, to prove the benchmarks run")
    parser.add_argument("--json", type=Path, default=None, help="where to write the JSON results")
    args = parser.parse_args(argv)
    mix = load_mix()
    if args.smoke:
        rounds, count, small, large, imports, courses, patients = 1, 2 * len(mix), 20, 40, 1, 5, 20
    else:
        rounds, count, small, large, imports, courses, patients = 30, 10_000, 1_000, 100_000, 5, 500, 3000
    report: dict[str, Any] = {"machine": machine(), "mix": len(mix), "smoke": args.smoke}
    report["latency"] = latency(mix, rounds)
    report["stages_us"] = stages(mix, rounds)
    report["shares"] = shares.measure(shares.cases(patients))
    report["engine_floor"] = engine_floor(mix, rounds)
    report["computation_floor"] = computation_floor(mix, rounds)
    report["repeated_views"] = repeated_views(mix, rounds)
    report["throughput"] = throughput(mix, count)
    report["timeline"] = timeline_cost(courses)
    report["memory"] = memory(mix, small, large)
    report["import"] = import_time(imports)
    report["ratios"] = {
        "lmtx_layers_share": layers_share(report["stages_us"]),
        "median_vs_engine_floor": versus_floor(report["latency"], report["engine_floor"]),
        "median_vs_computation_floor": versus_floor(report["latency"], report["computation_floor"]),
    }
    _print(report)
    target = args.json or RESULTS / ("smoke.json" if args.smoke else "latest.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


_NO_HOST = "n/a (durable-rules' Python host not installed)"


def _print(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(
        f"lmtx {m['lmtx']} on Python {m['python']}, {m['cpu']} ({m['cores']} cores), mix of {report['mix']} scenarios"
    )
    rows: list[tuple[str, str]] = [
        (
            "evaluate() median / p99 (CPU µs)",
            f"{report['latency']['median_us']:.0f} / {report['latency']['p99_us']:.0f}",
        ),
    ]
    engine = report["engine_floor"]
    rows.append(
        (
            "engine floor median / p99 (CPU µs)",
            f"{engine['median_us']:.0f} / {engine['p99_us']:.0f}" if engine else _NO_HOST,
        )
    )
    floor_ = report["computation_floor"]
    rows.append(("computation floor median (CPU µs)", f"{floor_['median_us']:.1f}" if floor_ else "n/a (no oracle)"))
    for stage, value in report["stages_us"].items():
        rows.append((f"  stage {stage} (CPU µs per patient)", f"{value:.0f}"))
    rows.append((f"shares of evaluate() + to_json(), {report['shares']['evaluations']:,} generated patients", ""))
    for stage, share in report["shares"]["shares"].items():
        rows.append((f"  {stage} (µs per patient)", f"{share:.1%} ({report['shares']['stages_us'][stage]:.0f})"))
    views = report["repeated_views"]
    rows.append(
        (
            "repeated view without / with cache (CPU µs)",
            f"{views['no_cache_median_us']:.0f} / {views['cache_hit_median_us']:.0f} ({views['speedup']:.1f}x)",
        )
    )
    flow = report["throughput"]
    rows.append(
        (
            f"throughput, {flow['records']:,} records (load average {_load(flow['load_average_before'])} → "
            f"{_load(flow['load_average_after'])})",
            "",
        )
    )
    rows.append(
        (
            "  one process, evaluations/s (wall) / CPU µs per record",
            f"{flow['one_process_per_s']:.0f} / {flow['one_process_cpu_us_per_record']:.0f}",
        )
    )
    rows.append(
        (
            f"  warm EvaluationPool({flow['workers']}), evaluations/s (wall)",
            f"{flow['warm_pool_per_s']:.0f} ({flow['warm_pool_speedup']:.2f}x)",
        )
    )
    rows.append(("  warm pool: parent CPU µs per record", f"{flow['warm_pool_parent_cpu_us_per_record']:.1f}"))
    rows.append(
        (
            f"  evaluate_many(workers={flow['workers']}) with start-up, evaluations/s (wall)",
            f"{flow['cold_evaluate_many_per_s']:.0f} ({flow['cold_evaluate_many_speedup']:.2f}x)",
        )
    )
    course = report["timeline"]
    rows.append(
        (
            f"timeline() median / p99 (CPU ms, {course['courses']} courses)",
            f"{course['median_ms']:.1f} / {course['p99_ms']:.1f} ({course['median_steps']:g} steps median, "
            f"{course['median_us_per_step']:.0f} µs per step)",
        )
    )
    mem = report["memory"]
    rows.append(
        (
            f"RSS after {mem['evaluations_small']:,} / {mem['evaluations_large']:,} (MiB)",
            f"{mem['rss_small_mib']:.1f} / {mem['rss_large_mib']:.1f} (growth {mem['growth_mib']:+.1f})",
        )
    )
    imported = report["import"]
    rows.append(("import lmtx CPU / wall (ms)", f"{imported['import_cpu_ms']:.0f} / {imported['import_wall_ms']:.0f}"))
    rows.append(("lmtx layers' share of evaluate()", f"{report['ratios']['lmtx_layers_share']:.0%}"))
    versus_engine = report["ratios"]["median_vs_engine_floor"]
    rows.append(("median / engine floor", _NO_HOST if versus_engine is None else f"{versus_engine:.2f}x"))
    versus = report["ratios"]["median_vs_computation_floor"]
    rows.append(("median / computation floor", "n/a (no oracle)" if versus is None else f"{versus:.0f}x"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def _load(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"

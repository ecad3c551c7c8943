"""Embedding qualities (docs/embedding.md): threads, memory, determinism, order independence."""

from __future__ import annotations

import copy
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import lmtx
from tests.scenarios import load_scenarios

SCENARIOS = load_scenarios()
ITEMS = sorted(SCENARIOS.items())


def _evaluate(scenario: dict[str, Any]) -> str:
    return lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy")).to_json()


def test_sixteen_threads_give_the_sequential_results() -> None:
    expected = {name: _evaluate(s) for name, s in ITEMS}
    work = [name for name, _ in ITEMS] * 12
    random.Random(7).shuffle(work)
    start = threading.Barrier(16)

    def job(chunk: list[str]) -> list[tuple[str, str]]:
        start.wait()
        return [(name, _evaluate(SCENARIOS[name])) for name in chunk]

    chunks = [work[i::16] for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = [pair for chunk in pool.map(job, chunks) for pair in chunk]
    assert len(results) == len(work)
    mismatches = [name for name, text in results if text != expected[name]]
    assert mismatches == []


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_memory_stays_flat_over_many_evaluations() -> None:
    scenarios = [s for _, s in ITEMS]
    for scenario in scenarios * 20:  # warm up allocator pools and caches
        _evaluate(scenario)
    before = _rss_kib()
    for scenario in scenarios * 120:  # 3,720 evaluations; benchmarks/ measures 10^5
        _evaluate(scenario)
    growth_mib = (_rss_kib() - before) / 1024
    assert growth_mib < 4, f"RSS grew by {growth_mib:.1f} MiB"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_identical_input_gives_identical_json(name: str) -> None:
    assert _evaluate(SCENARIOS[name]) == _evaluate(copy.deepcopy(SCENARIOS[name]))


def _permuted(patient: dict[str, Any], seed: int) -> dict[str, Any]:
    permuted = copy.deepcopy(patient)
    rng = random.Random(seed)
    for key, value in permuted.items():
        if isinstance(value, list):
            rng.shuffle(value)
        elif isinstance(value, dict):
            for inner in value.values():
                if isinstance(inner, list):
                    rng.shuffle(inner)
        permuted[key] = value
    return permuted


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_permuting_input_lists_changes_nothing(name: str) -> None:
    scenario = SCENARIOS[name]
    expected = _evaluate(scenario)
    for seed in range(4):
        shuffled = {**scenario, "patient": _permuted(scenario["patient"], seed)}
        reversed_lists = {
            **scenario,
            "patient": {k: v[::-1] if isinstance(v, list) else v for k, v in scenario["patient"].items()},
        }
        assert _evaluate(shuffled) == expected
        assert _evaluate(reversed_lists) == expected


def test_the_clock_is_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    class FrozenDate(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            raise AssertionError("evaluate read the clock")

    scenario = SCENARIOS["initial-start"]
    expected = _evaluate(scenario)
    monkeypatch.setattr(dt, "date", FrozenDate)
    assert _evaluate(scenario) == expected

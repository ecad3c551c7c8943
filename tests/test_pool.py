"""lmtx.EvaluationPool: worker processes started once and reused by every batch."""

from __future__ import annotations

import copyreg
import io
import itertools
import json
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import lmtx
from lmtx._workers import _compact, _rebuild, compact_classes
from lmtx.batch import OUTCOME_CLASSES, Evaluated, Failed, check_arguments, evaluate_one
from tests.scenarios import load_scenarios
from tests.test_batch import _Counted, _KillsItsWorker, mixed, population


def _pid(index: int, record: Any) -> tuple[int, int]:
    """A task that reports which process ran it."""
    return index, os.getpid()


def _no_pid(index: int, record: Any, message: str) -> tuple[int, int]:
    return index, -1


@pytest.fixture(scope="module")
def pool() -> Iterator[lmtx.EvaluationPool]:
    with lmtx.EvaluationPool(workers=2) as opened:
        yield opened


def test_the_pool_is_exported_and_checks_its_size() -> None:
    assert lmtx.EvaluationPool.__module__ == "lmtx.pool"
    assert "EvaluationPool" in lmtx.__all__
    for workers in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="workers"):
            lmtx.EvaluationPool(workers)  # type: ignore[arg-type]


def test_batches_through_one_pool_give_the_in_process_outcomes(pool: lmtx.EvaluationPool) -> None:
    for seed in (11, 12, 13):
        records = mixed(150, seed=seed)
        expected = list(lmtx.evaluate_many(records))
        assert list(pool.evaluate_many(iter(records), chunksize=8)) == expected
        assert list(lmtx.evaluate_many(records, pool=pool)) == expected


def test_the_workers_are_started_once_and_reused(pool: lmtx.EvaluationPool) -> None:
    first = {pid for _, pid in pool.map(_pid, _no_pid, [{}] * 64, chunksize=2)}
    second = {pid for _, pid in pool.map(_pid, _no_pid, [{}] * 64, chunksize=2)}
    assert os.getpid() not in first
    assert 1 <= len(first | second) <= pool.workers
    assert first | second == first  # the second call ran in the processes of the first


def test_as_of_and_policy_reach_the_workers(pool: lmtx.EvaluationPool) -> None:
    records = population(12, seed=4)
    expected = list(lmtx.evaluate_many(records, as_of="2027-01-01", policy={"poor_ps_ecog": 2}))
    outcomes = list(pool.evaluate_many(records, as_of="2027-01-01", policy={"poor_ps_ecog": 2}, chunksize=5))
    assert outcomes == expected
    with pytest.raises(lmtx.InvalidPatient):
        pool.evaluate_many(records, as_of="2026-02-30")


def test_interleaved_batches_keep_their_own_order(pool: lmtx.EvaluationPool) -> None:
    one, two = mixed(40, seed=1), population(40, seed=2)
    first = pool.evaluate_many(one, chunksize=3)
    second = pool.evaluate_many(two, chunksize=5)
    pairs = list(zip(first, second, strict=True))
    assert [a for a, _ in pairs] == list(lmtx.evaluate_many(one))
    assert [b for _, b in pairs] == list(lmtx.evaluate_many(two))


def test_closing_a_batch_early_stops_reading_and_leaves_the_pool_open(pool: lmtx.EvaluationPool) -> None:
    source = _Counted(itertools.cycle(population(10)))
    outcomes = pool.evaluate_many(source, chunksize=4)
    first = list(itertools.islice(outcomes, 30))
    assert [o.index for o in first] == list(range(30))
    assert source.taken <= 30 + pool.workers * 4 * 4 + 4
    outcomes.close()
    taken = source.taken
    assert list(outcomes) == []
    assert source.taken == taken
    assert not pool.closed
    records = population(9, seed=8)
    assert list(pool.evaluate_many(records)) == list(lmtx.evaluate_many(records))


def test_a_worker_that_dies_is_replaced_and_the_pool_goes_on(pool: lmtx.EvaluationPool) -> None:
    records: list[Any] = population(20, seed=9)
    records[7] = _KillsItsWorker()
    outcomes = list(pool.evaluate_many(records, chunksize=4))
    assert [o.index for o in outcomes] == list(range(20))
    failed = [o for o in outcomes if isinstance(o, Failed)]
    assert [(o.index, o.error) for o in failed] == [(7, "internal-error")]
    assert "died" in failed[0].message
    again = population(10, seed=10)
    assert list(pool.evaluate_many(again)) == list(lmtx.evaluate_many(again))


def test_a_record_that_cannot_be_pickled_fails_alone(pool: lmtx.EvaluationPool) -> None:
    class Unpicklable(dict):  # type: ignore[type-arg]  # a local class: pickle cannot find it
        pass

    records: list[Any] = population(10, seed=2)
    records[3] = Unpicklable(records[3])
    outcomes = list(pool.evaluate_many(records, chunksize=4))
    assert [type(o) for o in outcomes] == [Evaluated] * 3 + [Failed] + [Evaluated] * 6
    assert "cannot evaluate it in a worker process" in outcomes[3].message  # type: ignore[union-attr]


def test_the_audit_runs_in_a_pool(pool: lmtx.EvaluationPool) -> None:
    cohort: list[Any] = [json.dumps(r) if i % 4 == 0 and isinstance(r, dict) else r for i, r in enumerate(mixed(40))]
    assert lmtx.audit(cohort, pool=pool, chunksize=6) == lmtx.audit(cohort)
    with pytest.raises(ValueError, match="not both"):
        lmtx.audit(cohort, workers=2, pool=pool)


def test_workers_and_pool_are_not_given_together(pool: lmtx.EvaluationPool) -> None:
    with pytest.raises(ValueError, match="not both"):
        lmtx.evaluate_many([], workers=2, pool=pool)
    assert list(lmtx.evaluate_many([], workers=1, pool=pool)) == []


def test_a_closed_pool_refuses_work_and_closing_twice_is_harmless() -> None:
    with lmtx.EvaluationPool(workers=1) as single:
        (outcome,) = single.evaluate_many([{"histology": "adenocarcinoma"}])
        assert isinstance(outcome, Evaluated)
        assert "workers=1" in repr(single)
    assert single.closed
    assert "closed" in repr(single)
    single.close()
    with pytest.raises(ValueError, match="closed"):
        single.evaluate_many([{"histology": "adenocarcinoma"}])
    with pytest.raises(ValueError, match="closed"):
        lmtx.evaluate_many([], pool=single)


def _compact_round_trip(value: object) -> Any:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **dict.fromkeys(compact_classes(OUTCOME_CLASSES), _compact)}
    pickler.dump(value)
    return pickle.loads(buffer.getvalue())


def test_outcomes_travel_in_compact_form_and_arrive_equal() -> None:
    classes = {cls.__name__ for cls in compact_classes(OUTCOME_CLASSES)}
    assert {"Evaluated", "Failed", "Problem", "Result", "TraceEntry", "Recommendation"} <= classes
    scenarios = load_scenarios()
    outcomes = [
        evaluate_one(index, s["patient"], *check_arguments(s["as_of"], s.get("policy")))
        for index, s in enumerate(scenarios.values())
    ]
    outcomes += list(lmtx.evaluate_many(mixed(30, seed=6)))
    assert any(isinstance(o, Failed) and o.problems for o in outcomes)
    arrived = _compact_round_trip(outcomes)
    assert arrived == outcomes
    assert [type(o) for o in arrived] == [type(o) for o in outcomes]
    for before, after in zip(outcomes, arrived, strict=True):
        if isinstance(before, Evaluated):
            assert after.result.to_json() == before.result.to_json()
            assert hash(after.result.trace) == hash(before.result.trace)


def test_a_class_that_is_not_all_slots_is_rebuilt_by_its_constructor() -> None:
    @attrs.frozen(slots=False)
    class Plain:
        a: int
        b: str

    assert _rebuild(Plain, (1, "x")) == Plain(1, "x")


def _run_script(path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """Write ``text`` to ``path`` and run it as a script in a fresh interpreter, in its own directory."""
    path.write_text(text)
    return subprocess.run(
        [sys.executable, str(path)], cwd=path.parent, capture_output=True, text=True, timeout=120, check=False
    )


_FIVE_IN_A_POOL = (
    "with lmtx.EvaluationPool(workers=2) as pool:\n"
    "    print(sum(o.ok for o in pool.evaluate_many([{'histology': 'adenocarcinoma'}] * 5)))\n"
)
"""A script's lines that evaluate five records in a pool and print how many succeeded."""
_FIVE_INDENTED = textwrap.indent(_FIVE_IN_A_POOL, "    ")


def test_a_script_without_a_main_guard_gets_an_error_that_says_so(tmp_path: Path) -> None:
    # A thread runs beside the pool, so its workers are not forked from the script (which would
    # need no guard) but started afresh, and each would run the script again.
    beside = "import threading\nstop = threading.Event()\nthreading.Thread(target=stop.wait).start()\n"
    done = _run_script(
        tmp_path / "no_guard.py", f"import lmtx\n{beside}try:\n{_FIVE_INDENTED}finally:\n    stop.set()\n"
    )
    assert done.returncode == 1
    assert "lmtx.errors.EvaluationError: worker processes cannot start" in done.stderr
    assert "if __name__ == '__main__':" in done.stderr
    done = _run_script(tmp_path / "guarded.py", f"import lmtx\nif __name__ == '__main__':\n{_FIVE_INDENTED}")
    assert (done.returncode, done.stdout, done.stderr) == (0, "5\n", "")


def _imported_modules(path: Path, *, type_checking: bool) -> set[str]:
    """The lmtx modules a source file imports, at run time or (``type_checking``) for annotations only."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if (id(node) in guarded) != type_checking:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_batch_and_pool_depend_one_way() -> None:
    """lmtx.pool builds on lmtx.batch; lmtx.batch never imports lmtx.pool, not even for a type hint."""
    root = Path(lmtx.__file__).parent
    assert "lmtx.batch" in _imported_modules(root / "pool.py", type_checking=False)
    for type_checking in (False, True):
        assert "lmtx.pool" not in _imported_modules(root / "batch.py", type_checking=type_checking)
        assert "lmtx.pool" not in _imported_modules(root / "_workers.py", type_checking=type_checking)
        assert "lmtx.batch" not in _imported_modules(root / "_workers.py", type_checking=type_checking)
    done = subprocess.run(
        [sys.executable, "-c", "import sys, lmtx.batch; print('lmtx.pool' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"


_START_METHODS = """
import threading

from lmtx import _workers

if __name__ == "__main__":
    print(_workers._context().get_start_method())
    stop = threading.Event()
    beside = threading.Thread(target=stop.wait)
    beside.start()
    print(_workers._context().get_start_method())
    stop.set()
    beside.join()
    print(_workers._context().get_start_method())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked from the parent on Linux only")
def test_workers_are_forked_with_the_rules_compiled_only_from_a_single_threaded_process(tmp_path: Path) -> None:
    done = _run_script(tmp_path / "start_methods.py", _START_METHODS)
    assert (done.returncode, done.stdout.split()) == (0, ["fork", "forkserver", "fork"]), done.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked from the parent on Linux only")
def test_forked_workers_need_no_main_guard(tmp_path: Path) -> None:
    done = _run_script(tmp_path / "no_guard_forked.py", f"import lmtx\n{_FIVE_IN_A_POOL}")
    assert (done.returncode, done.stdout, done.stderr) == (0, "5\n", "")

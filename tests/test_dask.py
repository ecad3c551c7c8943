"""lmtx.integrations.dask: a population evaluated with Dask gives evaluate_many's outcomes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import dask.bag as db
import pytest
from dask.delayed import delayed
from distributed import Client, LocalCluster

import lmtx
from lmtx.batch import Evaluated, Failed
from lmtx.integrations.dask import evaluate_bag, evaluate_population
from tests.test_batch import mixed


@pytest.fixture(scope="module")
def records() -> list[Any]:
    """Valid and invalid records, some as JSON text."""
    population = mixed(300, seed=17)
    return [json.dumps(r) if i % 5 == 0 and isinstance(r, dict) else r for i, r in enumerate(population)]


def test_a_local_cluster_of_processes_gives_evaluate_many_s_outcomes(records: list[Any]) -> None:
    expected = list(lmtx.evaluate_many(records))
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        bag = db.from_sequence(records, npartitions=7)
        outcomes = evaluate_bag(bag, as_of=None).compute()
        assert len(client.scheduler_info()["workers"]) == 2
        pinned = evaluate_population(records[:40], as_of="2027-01-01", policy={"poor_ps_ecog": 2}, npartitions=3)
    assert outcomes == expected
    assert [o.index for o in outcomes] == list(range(len(records)))
    assert sum(isinstance(o, Failed) for o in outcomes) == len(range(3, 300, 7))
    assert pinned == list(lmtx.evaluate_many(records[:40], as_of="2027-01-01", policy={"poor_ps_ecog": 2}))
    assert any(isinstance(o, Evaluated) and o.result.as_of.isoformat() == "2027-01-01" for o in pinned)


def test_other_schedulers_and_uneven_partitions(records: list[Any]) -> None:
    expected = list(lmtx.evaluate_many(records[:60]))
    assert evaluate_population(records[:60], npartitions=4, scheduler="sync") == expected
    # A bag whose partitions are not of equal size keeps global indexes.
    parts = [records[:5], records[5:6], records[6:60]]
    bag = db.from_delayed([_delayed_list(p) for p in parts])
    assert evaluate_bag(bag).compute(scheduler="sync") == expected
    assert evaluate_population([], scheduler="sync") == []


def _delayed_list(items: list[Any]) -> Any:
    return delayed(list)(items)


def test_bad_arguments_fail_when_the_graph_is_built() -> None:
    bag = db.from_sequence([{"histology": "adenocarcinoma"}])
    with pytest.raises(lmtx.InvalidPatient) as raised:
        evaluate_bag(bag, as_of="01/02/2026", policy={"poor_ps_ecog": 0})
    assert [p.path for p in raised.value.problems] == ["as_of", "policy.poor_ps_ecog"]
    with pytest.raises(lmtx.InvalidPatient):
        evaluate_population([], policy={"bad": 1})


def test_import_lmtx_never_imports_dask() -> None:
    code = (
        "import sys, lmtx; lmtx.evaluate_many([{'histology': 'sclc'}]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'tqdm')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    assert done.stdout.strip() == "[]"

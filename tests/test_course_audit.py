"""The cohort audit: every record accounted for, the numbers those of the records' own timelines."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from typing import Any

import dask.bag as db
import pytest
from dask.delayed import delayed
from distributed import Client, LocalCluster
from hypothesis import given
from hypothesis import strategies as st

import lmtx
from lmtx.batch import Failed
from lmtx.course.audit import Tally, quantile
from lmtx.course.dask import audit_bag, audit_population
from tests.test_batch import mixed


@pytest.fixture(scope="module")
def cohort() -> list[Any]:
    """Valid and invalid records (an invalid one every seventh place), some as JSON text, and a blank line."""
    records: list[Any] = [json.dumps(r) if i % 5 == 0 and isinstance(r, dict) else r for i, r in enumerate(mixed(90))]
    return [*records, ""]


def _expected(
    records: list[Any],
) -> tuple[
    Counter[tuple[str, str, str]], dict[tuple[str, str], list[int]], Counter[str], Counter[tuple[str, str, str]]
]:
    """Episodes, lags, unprompted starts and episodes on an undated basis, summed from each record's own timeline."""
    episodes: Counter[tuple[str, str, str]] = Counter()
    undated: Counter[tuple[str, str, str]] = Counter()
    lags: dict[tuple[str, str], list[int]] = {}
    unprompted: Counter[str] = Counter()
    for record in records:
        try:
            course = lmtx.timeline(record)
        except lmtx.InvalidPatient:
            continue
        for entry in course.concordance:
            if entry.status == "not-indicated":
                unprompted[entry.code] += 1
                continue
            assert entry.action is not None
            if entry.undated_basis:
                undated[(entry.code, entry.action, entry.status)] += 1
                continue
            episodes[(entry.code, entry.action, entry.status)] += 1
            if entry.lag_days is not None:
                lags.setdefault((entry.code, entry.action), []).append(entry.lag_days)
    return episodes, lags, unprompted, undated


def test_the_report_sums_the_timelines_and_lists_every_failure(cohort: list[Any]) -> None:
    report = lmtx.audit(cohort)
    episodes, lags, unprompted, undated = _expected(cohort)
    assert report.records == len(cohort)
    failed = [o for o in lmtx.evaluate_many(cohort) if isinstance(o, Failed)]
    assert report.failures == tuple(failed)
    assert report.audited + len(report.failures) == report.records
    assert report.invalid == len(failed) > 10
    found = Counter({(r.code, r.action, s): n for r in report.recommendations for s, n in r.by_status.items() if n})
    assert found == episodes
    assert sum(episodes.values()) > 20
    # Episodes resting on undated brain metastases are counted apart, and none of them is in a lag.
    apart = Counter({(r.code, r.action, s): n for r in report.recommendations for s, n in r.undated_basis.items() if n})
    assert apart == undated
    assert report.undated_basis_episodes == sum(undated.values()) > 0
    for item in report.recommendations:
        expected_lags = sorted(lags.get((item.code, item.action), []))
        if not expected_lags:
            assert item.lag_days is None
            continue
        assert item.lag_days is not None
        assert item.lag_days.n == len(expected_lags)
        assert item.lag_days.median == statistics.median(expected_lags)
        assert (item.lag_days.min, item.lag_days.max) == (expected_lags[0], expected_lags[-1])
    assert report.not_indicated == dict(unprompted)
    wire = json.loads(report.to_json())
    assert list(wire) == [
        "records",
        "audited",
        "invalid",
        "internal_errors",
        "knowledge_base",
        "recommendations",
        "not_indicated",
        "failures",
    ]
    assert [f["index"] for f in wire["failures"]] == [f.index for f in failed]


def test_workers_give_the_same_report(cohort: list[Any]) -> None:
    assert lmtx.audit(cohort, workers=2, chunksize=7) == lmtx.audit(cohort)


def test_dask_gives_the_same_report(cohort: list[Any]) -> None:
    expected = lmtx.audit(cohort, as_of=None)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        assert audit_bag(db.from_sequence(cohort, npartitions=5)).compute() == expected
        pinned = audit_population(cohort[:30], as_of="2090-01-01", policy={"poor_ps_ecog": 2}, npartitions=3)
    assert pinned == lmtx.audit(cohort[:30], as_of="2090-01-01", policy={"poor_ps_ecog": 2})
    parts = [cohort[:4], cohort[4:5], cohort[5:]]
    uneven = db.from_delayed([delayed(list)(p) for p in parts])
    assert audit_bag(uneven).compute(scheduler="sync") == expected
    assert audit_population([], scheduler="sync").records == 0


def test_bad_arguments_fail_before_any_record() -> None:
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.audit([{"histology": "adenocarcinoma"}], as_of="2026-13-01", policy={"poor_ps_ecog": 0})
    assert {p.path for p in raised.value.problems} >= {"as_of"}
    with pytest.raises(lmtx.InvalidPatient):
        audit_bag(db.from_sequence([{"histology": "sclc"}]), as_of="yesterday")


@given(st.lists(st.integers(0, 400), min_size=2, max_size=60))
def test_quartiles_are_the_inclusive_quantiles(lags: list[int]) -> None:
    counts = Counter(lags)
    expected = statistics.quantiles(lags, n=4, method="inclusive")
    assert [quantile(counts, q) for q in (0.25, 0.5, 0.75)] == pytest.approx(expected)


def test_tallies_merge_to_the_whole() -> None:
    records = mixed(40, seed=5)
    outcomes = [lmtx.course.audit.audit_one(i, r, None, lmtx.Policy()) for i, r in enumerate(records)]
    whole, first, second = Tally(), Tally(), Tally()
    for outcome in outcomes:
        whole.add(outcome)
    for outcome in outcomes[:13]:
        first.add(outcome)
    for outcome in outcomes[13:]:
        second.add(outcome)
    assert first.merge(second).report() == whole.report()

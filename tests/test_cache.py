"""The opt-in result cache: hits only for the same validated record, date, policy and rule base."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest

import lmtx
from lmtx.cache import ResultCache
from tests.scenarios import load_scenarios

SCENARIO = load_scenarios()["inadequate-response-neuro"]
PATIENT = SCENARIO["patient"]


def test_a_repeated_view_is_served_from_the_cache() -> None:
    cache = ResultCache(maxsize=8)
    first = lmtx.evaluate(PATIENT, cache=cache)
    second = lmtx.evaluate(copy.deepcopy(PATIENT), cache=cache)
    assert second is first
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)
    assert second.to_json() == lmtx.evaluate(PATIENT).to_json()


def test_a_permuted_record_hits_too() -> None:
    cache = ResultCache()
    first = lmtx.evaluate(PATIENT, cache=cache)
    permuted = {k: v[::-1] if isinstance(v, list) else v for k, v in PATIENT.items()}
    assert lmtx.evaluate(permuted, cache=cache) is first


@pytest.mark.parametrize(
    "change",
    [
        {"as_of": "2026-06-01"},
        {"policy": {"poor_ps_ecog": 2}},
        {"patient": {**PATIENT, "csf_flow": "interrupted"}},
        {"patient": {**PATIENT, "id": "another-patient"}},
    ],
    ids=["as_of", "policy", "record", "patient id"],
)
def test_any_change_misses(change: dict[str, object]) -> None:
    cache = ResultCache()
    first = lmtx.evaluate(PATIENT, cache=cache)
    call = {"patient": PATIENT, "as_of": None, "policy": None, **change}
    other = lmtx.evaluate(call["patient"], as_of=call["as_of"], policy=call["policy"], cache=cache)  # type: ignore[arg-type]
    assert other is not first
    assert cache.hits == 0


def test_the_key_includes_the_knowledge_base_digest() -> None:
    model, as_of = lmtx.parse_patient(PATIENT)
    policy = lmtx.Policy()
    assert ResultCache.key(model, as_of, policy, "sha256:aa") != ResultCache.key(model, as_of, policy, "sha256:bb")


def test_invalid_input_still_raises_with_a_warm_cache() -> None:
    cache = ResultCache()
    lmtx.evaluate(PATIENT, cache=cache)
    with pytest.raises(lmtx.InvalidPatient):
        lmtx.evaluate({**PATIENT, "csf_flow": "blocked"}, cache=cache)
    with pytest.raises(lmtx.InvalidPatient):
        lmtx.evaluate(PATIENT, as_of="2020-01-01", cache=cache)


def test_the_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    cache = ResultCache(maxsize=2)
    a = lmtx.evaluate({"histology": "sclc", "id": "a"}, cache=cache)
    lmtx.evaluate({"histology": "sclc", "id": "b"}, cache=cache)
    assert lmtx.evaluate({"histology": "sclc", "id": "a"}, cache=cache) is a  # a is now most recent
    lmtx.evaluate({"histology": "sclc", "id": "c"}, cache=cache)  # evicts b
    assert len(cache) == 2
    assert lmtx.evaluate({"histology": "sclc", "id": "a"}, cache=cache) is a
    misses = cache.misses
    lmtx.evaluate({"histology": "sclc", "id": "b"}, cache=cache)
    assert cache.misses == misses + 1
    cache.clear()
    assert (len(cache), cache.hits, cache.misses) == (0, 0, 0)


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "10"])
def test_bad_sizes(size: object) -> None:
    with pytest.raises(ValueError, match="maxsize"):
        ResultCache(maxsize=size)  # type: ignore[arg-type]


def test_threads_share_a_cache_safely() -> None:
    cache = ResultCache(maxsize=4)
    patients = [{"histology": "sclc", "id": f"p{i % 6}"} for i in range(240)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda p: lmtx.evaluate(p, cache=cache), patients))
    assert [r.patient_id for r in results] == [p["id"] for p in patients]
    assert len(cache) <= 4
    assert cache.hits + cache.misses == len(patients)


def test_the_docstring_example_runs() -> None:
    import doctest

    import lmtx.cache

    outcome = doctest.testmod(lmtx.cache)
    assert (outcome.attempted, outcome.failed) == (4, 0)

"""lmtx.evaluate_many: streaming, order, errors as values, worker processes."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest

import lmtx
from lmtx.batch import Evaluated, Failed, evaluate_one
from tests.scenarios import load_scenarios

START = dt.date(2025, 1, 6)


def _day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


def _therapies(rng: random.Random, days: Iterator[int]) -> list[dict[str, Any]]:
    """Random therapies, at most one active regimen per agent and route."""
    offers: list[tuple[float, dict[str, Any]]] = [
        (0.7, {"agent": "osimertinib", "route": "oral", "dose_mg": rng.choice([80, 160]), "status": "active"}),
        (0.2, {"agent": "gefitinib", "dose_mg": 250, "status": "active"}),
        (0.3, {"agent": "pemetrexed", "route": "intrathecal", "dose_mg": 50, "status": "active"}),
        (0.15, {"agent": "carboplatin", "dose_mg": 400, "status": "active"}),
        (0.15, {"agent": "radiotherapy", "status": "planned"}),
        (0.15, {"agent": "erlotinib", "dose_mg": 150, "status": "stopped"}),
    ]
    therapies = []
    for chance, therapy in offers:
        if rng.random() < chance:
            if therapy["status"] != "planned":
                begin = next(days)
                therapy["start"] = _day(begin)
                if therapy["status"] == "stopped":
                    therapy["end"] = _day(begin + 30)
            therapies.append(therapy)
    rng.shuffle(therapies)
    return therapies


def random_patient(rng: random.Random, number: int) -> dict[str, Any]:
    """A valid patient record with a random mix of what lmtx reads (dates are distinct per kind)."""
    histology = rng.choice(["adenocarcinoma"] * 6 + ["squamous", "sclc"])
    patient: dict[str, Any] = {"id": f"pt-{number}", "histology": histology}
    status = rng.choice(["mutant"] * 6 + ["wild_type", "unknown"])
    patient["egfr"] = {"status": status}
    if status == "mutant" and rng.random() < 0.5:
        patient["egfr"]["variants"] = rng.sample(["exon19_deletion", "L858R", "T790M"], rng.randint(1, 2))
    if rng.random() < 0.8:
        scale = rng.choice(["ecog", "kps"])
        score = rng.randint(0, 4) if scale == "ecog" else rng.randint(1, 10) * 10
        patient["performance_status"] = {"scale": scale, "score": score}
    patient["brain_metastases"] = rng.random() < 0.3
    if rng.random() < 0.7:
        patient["csf_flow"] = rng.choice(["normal", "interrupted", "unknown"])
    if rng.random() < 0.7:
        patient["systemic_disease"] = rng.choice(["controlled", "progressive", "unknown"])
    days = iter(rng.sample(range(300), 40))
    symptoms = ["none", "new", "persistent", "improved", "resolved", "worsened"]
    patient["neuro_exams"] = [
        {"date": _day(next(days)), "symptoms": rng.choice(symptoms)} for _ in range(rng.randint(0, 3))
    ]
    results = ["positive", "negative", "equivocal"]
    patient["csf_cytology"] = [
        {"date": _day(next(days)), "result": rng.choice(results)} for _ in range(rng.randint(0, 2))
    ]
    responses = ["baseline", "stable", "progression", "partial_response"]
    patient["mri"] = [
        {"date": _day(next(days)), "leptomeningeal_enhancement": rng.random() < 0.5, "response": rng.choice(responses)}
        for _ in range(rng.randint(0, 2))
    ]
    patient["therapies"] = _therapies(rng, days)
    terms = ["rash", "neutropenia", "anemia", "aseptic_meningitis", "fatigue", "other"]
    patient["toxicities"] = [{"term": rng.choice(terms), "grade": rng.randint(1, 5)} for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.5:
        del patient["id"]
    return patient


def population(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` valid random patients, the same for the same seed."""
    rng = random.Random(seed)
    return [random_patient(rng, number) for number in range(count)]


INVALID: list[Any] = [
    {
        "histology": "adenocarcinoma",
        "egfr": {"status": "mutant"},
        "therapies": [{"agent": "osimertinib", "dose_mg": -80, "status": "active", "start": "2026-01-01"}],
    },
    {"id": "typo", "histology": "adenocarcinoma", "histologie": "squamous"},
    '{"histology": ',
    42,
    None,
    b"\xff\xfe not json",
]


def mixed(count: int, seed: int = 3) -> list[Any]:
    """Valid patients with an invalid record every seventh place."""
    records: list[Any] = list(population(count, seed))
    for place in range(3, count, 7):
        records[place] = INVALID[place % len(INVALID)]
    return records


def test_the_population_is_valid_and_varied() -> None:
    results = [lmtx.evaluate(p) for p in population(300)]
    assert len({r.phase for r in results}) >= 6
    assert len({r.lm_status for r in results}) == 4
    assert sum(r.applicable for r in results) > 50


def test_in_process_outcomes_match_evaluate_one_by_one() -> None:
    records = mixed(60)
    outcomes = list(lmtx.evaluate_many(records))
    assert [o.index for o in outcomes] == list(range(len(records)))
    for record, outcome in zip(records, outcomes, strict=True):
        if isinstance(outcome, Failed):
            assert outcome.error == "invalid-patient"
            assert not outcome.ok
            with pytest.raises(lmtx.InvalidPatient) as raised:
                lmtx.evaluate(record)
            assert outcome.problems == raised.value.problems
            with pytest.raises(lmtx.InvalidPatient) as unwrapped:
                outcome.unwrap()
            assert unwrapped.value.problems == raised.value.problems
        else:
            expected = lmtx.evaluate(record)
            assert outcome.ok
            assert outcome.unwrap() == expected
            assert outcome.to_dict() == expected.to_dict()
    assert sum(isinstance(o, Failed) for o in outcomes) == len(range(3, 60, 7))


def test_failures_carry_the_record_id_and_a_json_form() -> None:
    (outcome,) = lmtx.evaluate_many([{"id": "typo", "histology": "adenocarcinoma", "histologie": "x"}])
    assert isinstance(outcome, Failed)
    assert outcome.patient_id == "typo"
    data = outcome.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["error"] == "invalid-patient"
    assert data["problems"] == [{"path": "histologie", "message": "unknown field"}]
    (from_text,) = lmtx.evaluate_many(['{"id": "t-1", "histology": "lung"}'])
    assert isinstance(from_text, Failed)
    assert from_text.patient_id == "t-1"
    (no_id,) = lmtx.evaluate_many(["{not json"])
    assert isinstance(no_id, Failed)
    assert no_id.patient_id is None


def test_an_engine_failure_becomes_an_internal_error_value(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> lmtx.Result:
        raise lmtx.EvaluationError("rule 'x' failed: boom")

    monkeypatch.setattr("lmtx.batch.evaluate", broken)
    outcome = evaluate_one(4, {"histology": "adenocarcinoma"}, None, lmtx.DEFAULT_POLICY)
    assert isinstance(outcome, Failed)
    assert (outcome.index, outcome.error) == (4, "internal-error")
    assert "boom" in outcome.message
    with pytest.raises(lmtx.EvaluationError, match="boom"):
        outcome.unwrap()


def test_batch_arguments_are_checked_before_any_record() -> None:
    with pytest.raises(lmtx.InvalidPatient) as raised:
        lmtx.evaluate_many(iter([]), as_of="2026-02-30", policy={"poor_ps_ecog": 7})
    assert [p.path for p in raised.value.problems] == ["as_of", "policy.poor_ps_ecog"]
    for workers in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="workers"):
            lmtx.evaluate_many([], workers=workers)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunksize"):
        lmtx.evaluate_many([], chunksize=0)


def test_as_of_and_policy_apply_to_every_record() -> None:
    scenario = load_scenarios()["beyond-document"]
    pinned = list(lmtx.evaluate_many([scenario["patient"]] * 2, as_of="2027-01-01", policy={"poor_ps_ecog": 2}))
    assert all(isinstance(o, Evaluated) and o.result.as_of == dt.date(2027, 1, 1) for o in pinned)
    (early,) = lmtx.evaluate_many([scenario["patient"]], as_of="2026-01-01")
    assert isinstance(early, Failed)
    assert any("after the evaluation date" in p.message for p in early.problems)


class _Counted:
    """An iterable that counts how many records were taken from it."""

    def __init__(self, records: Iterator[Any]) -> None:
        self.records = records
        self.taken = 0

    def __iter__(self) -> Iterator[Any]:
        for record in self.records:
            self.taken += 1
            yield record


def test_in_process_evaluation_is_lazy() -> None:
    source = _Counted(itertools.cycle(population(5)))
    outcomes = lmtx.evaluate_many(source)
    assert source.taken == 0
    first = list(itertools.islice(outcomes, 3))
    assert [o.index for o in first] == [0, 1, 2]
    assert source.taken == 3


def test_workers_read_ahead_boundedly_and_stop_on_close() -> None:
    # An endless input: only a bounded read-ahead is ever taken, and closing stops the workers.
    source = _Counted(itertools.cycle(population(10)))
    outcomes = lmtx.evaluate_many(source, workers=2, chunksize=4)
    first = list(itertools.islice(outcomes, 50))
    assert [o.index for o in first] == list(range(50))
    assert all(isinstance(o, Evaluated) for o in first)
    assert source.taken <= 50 + 2 * 4 * 4 + 4
    outcomes.close()
    taken = source.taken
    assert list(outcomes) == []
    assert source.taken == taken


def test_workers_give_the_in_process_outcomes_in_order() -> None:
    records = mixed(400, seed=11)
    expected = list(lmtx.evaluate_many(records))
    outcomes = list(lmtx.evaluate_many(iter(records), workers=2, chunksize=16))
    assert outcomes == expected
    assert sum(isinstance(o, Failed) for o in outcomes) == len(range(3, 400, 7))


def test_typed_patients_and_text_cross_process_boundaries() -> None:
    records = population(20, seed=5)
    typed = [lmtx.parse_patient(r)[0] for r in records[:10]]
    texts = [json.dumps(r) for r in records[10:]]
    outcomes = list(lmtx.evaluate_many([*typed, *texts], workers=2, chunksize=3))
    assert [o.unwrap().to_json() for o in outcomes] == [lmtx.evaluate(r).to_json() for r in records]


class _KillsItsWorker:
    """A record whose unpickling kills the worker process that receives it."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return (os._exit, (3,))


def test_a_record_that_cannot_reach_a_worker_fails_alone() -> None:
    class Unpicklable(dict):  # type: ignore[type-arg]  # a local class: pickle cannot find it
        pass

    records: list[Any] = population(12, seed=2)
    records[5] = Unpicklable(records[5])
    outcomes = list(lmtx.evaluate_many(records, workers=2, chunksize=4))
    assert [o.index for o in outcomes] == list(range(12))
    failed = [o for o in outcomes if isinstance(o, Failed)]
    assert [(o.index, o.error) for o in failed] == [(5, "internal-error")]
    assert "cannot evaluate it in a worker process" in failed[0].message
    # In process, the same record is fine: it is a mapping.
    assert isinstance(next(iter(lmtx.evaluate_many([records[5]]))), Evaluated)


def test_records_that_kill_their_worker_fail_alone_and_the_batch_goes_on() -> None:
    records: list[Any] = population(30, seed=9)
    for place in (4, 6, 21):
        records[place] = _KillsItsWorker()
    outcomes = list(lmtx.evaluate_many(records, workers=2, chunksize=5))
    assert [o.index for o in outcomes] == list(range(30))
    failed = {o.index: o for o in outcomes if isinstance(o, Failed)}
    assert sorted(failed) == [4, 6, 21]
    assert all(o.error == "internal-error" and "died" in o.message for o in failed.values())
    good = [i for i in range(30) if i not in failed]
    assert [outcomes[i].unwrap().to_json() for i in good] == [lmtx.evaluate(records[i]).to_json() for i in good]


@pytest.mark.parametrize("chunksize", [1, 3])
def test_a_worker_killed_beside_a_retried_record_is_not_blamed_on_that_record(chunksize: int) -> None:
    # Many killers, so that while the records of a broken chunk are retried one by one,
    # another chunk in flight kills the pool under them: only a killer may be reported dead.
    records: list[Any] = population(60, seed=13)
    killers = [3, 11, 12, 25, 31, 44, 58]
    for place in killers:
        records[place] = _KillsItsWorker()
    outcomes = list(lmtx.evaluate_many(records, workers=2, chunksize=chunksize))
    assert [o.index for o in outcomes] == list(range(60))
    assert [o.index for o in outcomes if isinstance(o, Failed)] == killers


def test_an_empty_input_gives_nothing() -> None:
    assert list(lmtx.evaluate_many([])) == []
    assert list(lmtx.evaluate_many([], workers=2)) == []


def test_an_id_that_is_not_valid_text_is_not_echoed_in_the_error() -> None:
    (outcome,) = lmtx.evaluate_many(['{"id": "\\ud800", "histology": "adenocarcinoma"}'])
    assert isinstance(outcome, lmtx.Failed)
    assert outcome.patient_id is None
    assert [p.path for p in outcome.problems] == ["id"]
    json.dumps(outcome.to_dict(), ensure_ascii=False).encode("utf-8")

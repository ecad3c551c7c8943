"""A seeded generator of patient courses, for audits at scale and the timeline benchmark.

Run from the repository root::

    python -m benchmarks.cohort 10000 /tmp/cohort.jsonl          # 10^4 courses, one JSON object per line
    python -m benchmarks.cohort 10000 /tmp/cohort.jsonl --seed 7 --invalid-every 97

Each course follows the document's road with random timing and random
departures from it: suspicion, workup, LM confirmed or not, osimertinib
160 mg started after a lag (or 80 mg, or nothing), a response assessment,
intrathecal pemetrexed added (or not, or without indication), progression
and platinum. Every ``--invalid-every``-th record is made invalid on
purpose (the audit must count and list it). Same seed, same cohort.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

_EPOCH = dt.date(2025, 1, 1)


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _therapy(
    agent: str, route: str, dose: float, start: dt.date, *, end: dt.date | None = None, status: str = "active"
) -> dict[str, Any]:
    therapy: dict[str, Any] = {"agent": agent, "route": route, "dose_mg": dose, "status": status, "start": _iso(start)}
    if end is not None:
        therapy["end"] = _iso(end)
    return therapy


def course(rng: random.Random, index: int) -> dict[str, Any]:
    """One valid course."""
    egfr = rng.choices(["mutant", "wild_type", "unknown"], [0.9, 0.05, 0.05])[0]
    record: dict[str, Any] = {"id": f"pt-{index:06d}", "histology": "adenocarcinoma", "egfr": {"status": egfr}}
    onset = _EPOCH + dt.timedelta(days=rng.randrange(365))
    if rng.random() < 0.8:
        record["performance_status"] = {"scale": "ecog", "score": rng.choice([0, 1, 1, 2, 3]), "date": _iso(onset)}
    record["brain_metastases"] = rng.random() < 0.3
    record["systemic_disease"] = rng.choice(["controlled", "progressive", "unknown"])
    exams = [{"date": _iso(onset), "symptoms": "new"}]
    mri_day = onset + dt.timedelta(days=rng.randint(1, 10))
    enhancing = rng.random() < 0.7
    mris: list[dict[str, Any]] = [
        {"date": _iso(mri_day), "leptomeningeal_enhancement": enhancing, "response": "baseline"}
    ]
    csf_day = onset + dt.timedelta(days=rng.randint(2, 14))
    positive = rng.random() < 0.6
    cytology = [{"date": _iso(csf_day), "result": "positive" if positive else "negative"}]
    therapies: list[dict[str, Any]] = []
    diagnosis = max(mri_day, csf_day) if (enhancing or positive) else None
    if diagnosis is not None:
        choice = rng.random()
        start = diagnosis + dt.timedelta(days=rng.randint(1, 30))
        if choice < 0.75:
            therapies.append(_therapy("osimertinib", "oral", 160, start))
        elif choice < 0.85:
            switch = start + dt.timedelta(days=rng.randint(5, 40))
            therapies.append(_therapy("osimertinib", "oral", 80, start, end=switch, status="completed"))
            therapies.append(_therapy("osimertinib", "oral", 160, switch))
            start = switch
        else:
            start = None  # never started
        if start is not None:
            _follow_up(rng, start, exams, mris, therapies)
    record.update(neuro_exams=exams, mri=mris, csf_cytology=cytology, therapies=therapies)
    if rng.random() < 0.2:
        record["toxicities"] = [{"term": "rash", "grade": rng.randint(1, 3), "date": _iso(onset)}]
    return record


def _follow_up(
    rng: random.Random,
    start: dt.date,
    exams: list[dict[str, Any]],
    mris: list[dict[str, Any]],
    therapies: list[dict[str, Any]],
) -> None:
    """A response assessment after osimertinib 160 mg, and what follows it."""
    review = start + dt.timedelta(days=rng.randint(40, 80))
    response = rng.choices(["partial_response", "stable", "progression"], [0.4, 0.3, 0.3])[0]
    mris.append({"date": _iso(review), "leptomeningeal_enhancement": True, "response": response})
    symptoms = rng.choice(["improved", "persistent", "worsened", "resolved"])
    exams.append({"date": _iso(review), "symptoms": symptoms})
    inadequate = response == "progression" or symptoms in ("persistent", "worsened")
    if (inadequate and rng.random() < 0.6) or (not inadequate and rng.random() < 0.05):
        it_start = review + dt.timedelta(days=rng.randint(1, 30))
        if rng.random() < 0.5:
            therapies.append(_therapy("pemetrexed", "intrathecal", 50, it_start))
        else:
            it_end = it_start + dt.timedelta(days=rng.randint(14, 28))
            therapies.append(_therapy("pemetrexed", "intrathecal", 50, it_start, end=it_end, status="completed"))
        later = it_start + dt.timedelta(days=rng.randint(60, 120))
        if rng.random() < 0.4:
            mris.append({"date": _iso(later), "leptomeningeal_enhancement": True, "response": "progression"})
            if rng.random() < 0.5:
                platinum_start = later + dt.timedelta(days=rng.randint(3, 30))
                therapies.append(_therapy("carboplatin", "intravenous", 450, platinum_start))


def cohort(count: int, seed: int = 1, invalid_every: int | None = 97) -> list[dict[str, Any]]:
    """``count`` courses; every ``invalid_every``-th one made invalid (a negative dose or an unknown field)."""
    rng = random.Random(seed)
    records = [course(rng, i) for i in range(count)]
    if invalid_every:
        for place in range(invalid_every - 1, count, invalid_every):
            if records[place]["therapies"] and place % 2:
                records[place]["therapies"][0]["dose_mg"] = -80
            else:
                records[place]["misspelt_field"] = True
    return records


def main(argv: list[str] | None = None) -> int:
    """Write a cohort as JSON Lines."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cohort", description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invalid-every", type=int, default=97, help="make every N-th record invalid (0: none)")
    args = parser.parse_args(argv)
    with args.output.open("w", encoding="utf-8") as sink:
        for record in cohort(args.count, args.seed, args.invalid_every or None):
            sink.write(json.dumps(record, separators=(",", ":")) + "\n")
    print(f"wrote {args.count} records to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

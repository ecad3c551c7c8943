"""Model -> base facts: the flat records the rules match (see :mod:`lmtx.rules._common`).

Facts are plain dicts of scalars, in a canonical order that does not depend
on the order of the input lists, so the engine fires rules in the same order
for any permutation of the record. Dates become ordinal day numbers (the
engine compares numbers, not dates); absent optional values get explicit
sentinels (``-1`` days, ``0`` mg, ``""``), never a missing key.

The package holds the facts' layer of the road: the base facts (here), the
therapies as the rules read them (:mod:`~lmtx._facts.therapies`), the
clinical readings of the record that the texts state
(:mod:`~lmtx._facts.readings`) and the facts as labels
(:mod:`~lmtx._facts.labels`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from lmtx._facts.common import AROUND_DAYS, DATE_FIELDS, NO_DATE, RESUME_DAYS, Fact, day
from lmtx._facts.labels import describe_fact
from lmtx._facts.readings import latest_performance_status
from lmtx._facts.therapies import is_dose_change, run_starts, therapy_fact
from lmtx.model import Patient, Toxicity
from lmtx.policy import Policy

__all__ = [
    "AROUND_DAYS",
    "BASE_FACT_ORDER",
    "DATE_FIELDS",
    "DESCENDING",
    "NO_DATE",
    "RESUME_DAYS",
    "Fact",
    "base_facts",
    "describe_fact",
    "is_dose_change",
    "latest_performance_status",
]


BASE_FACT_ORDER = ("policy", "ps", "therapy", "toxicity", "attribution", "cytology", "neuro_exam", "mri", "patient")
"""The order in which base fact types are asserted (see :data:`DESCENDING`)."""

DESCENDING: dict[str, tuple[str, ...]] = {
    "toxicity": ("grade", "seq"),
    "therapy": ("seq",),
    "cytology": ("date", "seq"),
    "neuro_exam": ("date", "seq"),
    "mri": ("date", "seq"),
}
"""Fields along which the records of a type are asserted in descending order.

durable-rules evaluates a negated condition correctly against facts already
asserted, but does not always withdraw a pending match when a negating fact
arrives later. The rule base therefore only negates facts that are asserted
before the facts a rule matches: a type earlier in :data:`BASE_FACT_ORDER`, or
the same type with a greater value of one of these fields. The engine checks
every rule against this contract when it compiles them.

Ties are not to be trusted either: with two grade-3 toxicities, a rule
``match toxicity; no toxicity with grade > toxicity.grade`` fired for the
first one asserted only in one probe ruleset and for both in another that
differed only in names. Every "pick one" rule of lmtx therefore breaks ties
itself, with a further negation on ``seq``, and wants a single firing.
"""


def _numbered(kind: str, records: Iterable[Fact], first: tuple[str, ...]) -> list[Fact]:
    """Deduplicate and number the records of one kind; return them in assertion order.

    ``seq`` follows ascending ``first`` fields, then the rest of the content, so
    it does not depend on input order; the records are returned by descending
    ``seq`` (see :data:`DESCENDING`).
    """
    listed = list(records)
    if len(listed) <= 1:  # nothing to deduplicate or order
        return [{"t": kind, **r, "seq": 0, "prev": -1} for r in listed]
    unique = {tuple(sorted(r.items())): r for r in listed}

    def key(record: Fact) -> tuple[Any, ...]:
        rest = sorted((k, str(v)) for k, v in record.items() if k not in first)
        return (*(record[k] for k in first), rest)

    ordered = sorted(unique.values(), key=key)
    numbered = [{"t": kind, **r, "seq": i, "prev": i - 1} for i, r in enumerate(ordered)]
    return numbered[::-1]


def base_facts(patient: Patient, policy: Policy, as_of: dt.date | None = None) -> list[Fact]:
    """The base facts of one evaluation, in assertion order (:data:`BASE_FACT_ORDER`).

    ``as_of`` dates the performance status (its ``age`` in days; ``-1`` when either is unknown).
    """
    by_type: dict[str, list[Fact]] = {
        "policy": [{"t": "policy", "poor_ps_ecog": policy.poor_ps_ecog}],
        "ps": [],
        "patient": [
            {
                "t": "patient",
                "histology": patient.histology.value,
                "egfr": patient.egfr.status.value,
                "brain_metastases": patient.brain_metastases,
                "csf_flow": patient.csf_flow.value,
                "systemic_disease": patient.systemic_disease.value,
                "as_of": day(as_of),
                "recent_from": day(as_of) - AROUND_DAYS if as_of is not None else NO_DATE,
            }
        ],
    }
    ps = latest_performance_status(patient)
    if ps is not None:
        age = (as_of - ps.date).days if ps.date is not None and as_of is not None else NO_DATE
        by_type["ps"].append({"t": "ps", "scale": ps.scale.value, "score": ps.score, "date": day(ps.date), "age": age})
    by_type["neuro_exam"] = _numbered(
        "neuro_exam",
        ({"date": day(e.date), "symptoms": e.symptoms.value} for e in patient.neuro_exams),
        ("date",),
    )
    by_type["cytology"] = _numbered(
        "cytology",
        ({"date": day(c.date), "result": c.result.value} for c in patient.csf_cytology),
        ("date",),
    )
    by_type["mri"] = _numbered(
        "mri",
        (
            {
                "date": day(m.date),
                "enhancement": m.leptomeningeal_enhancement,
                "response": m.response.value if m.response else "",
            }
            for m in patient.mri
        ),
        ("date",),
    )
    starts = run_starts(patient.therapies)
    by_type["therapy"] = _numbered(
        "therapy",
        (therapy_fact(t, starts.get(i), is_dose_change(t, patient.therapies)) for i, t in enumerate(patient.therapies)),
        ("start",),
    )
    by_type["toxicity"] = _numbered("toxicity", (_toxicity_fact(x, as_of) for x in patient.toxicities), ("grade",))
    by_type["attribution"] = [
        {"t": "attribution", "toxicity": fact["seq"], "agent": agent}
        for fact in by_type["toxicity"]
        if fact["attributed"]
        for agent in str(fact["attributed"]).split(",")
    ]
    return [fact for kind in BASE_FACT_ORDER for fact in by_type[kind]]


def _toxicity_fact(toxicity: Toxicity, as_of: dt.date | None) -> Fact:
    """A toxicity with the day it counts from (its date, else the evaluation date) and its attribution."""
    counted_from = toxicity.date or as_of
    return {
        "term": toxicity.term.value,
        "grade": toxicity.grade,
        "day": day(counted_from),
        "window": day(counted_from) - AROUND_DAYS if counted_from is not None else NO_DATE,
        "attributed": ",".join(sorted({agent.value for agent in toxicity.attributed_to or ()})),
    }

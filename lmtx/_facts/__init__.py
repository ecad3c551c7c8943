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
from lmtx._facts.links import Link, holds_injection, intrathecal_events
from lmtx._facts.readings import latest_performance_status
from lmtx._facts.therapies import course_readings, is_dose_change, therapy_fact
from lmtx._facts.tolerance import Tolerance, read_tolerance
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
    "read_tolerance",
]


BASE_FACT_ORDER = (
    "policy",
    "ps",
    "tolerance",
    "link",
    "therapy",
    "toxicity",
    "cytology",
    "neuro_exam",
    "mri",
    "patient",
)
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
    tolerance = read_tolerance(patient, as_of)
    therapy_records = _therapy_records(patient, tolerance)
    by_type["therapy"] = _numbered("therapy", therapy_records, ("start",))
    therapy_seq = _seqs(therapy_records, by_type["therapy"])
    intrathecal = intrathecal_events(patient.therapies, tolerance.links)
    toxicity_records = [_toxicity_fact(x, as_of, i in intrathecal) for i, x in enumerate(patient.toxicities)]
    by_type["toxicity"] = _numbered("toxicity", toxicity_records, ("grade",))
    toxicity_seq = _seqs(toxicity_records, by_type["toxicity"])
    links = {
        tuple(sorted(f.items())): f
        for f in (_link_fact(link, toxicity_seq, therapy_seq, by_type) for link in tolerance.links)
    }
    # In a canonical order (like every base fact), whatever the order of the input lists.
    by_type["link"] = sorted(links.values(), key=lambda f: (f["toxicity"], f["therapy"], f["basis"]), reverse=True)
    by_type["tolerance"] = []
    if tolerance.limit is not None:
        by_type["tolerance"].append(
            {
                "t": "tolerance",
                "limit": float(tolerance.limit),
                "review": tolerance.review,
                "withhold": tolerance.held is not None,
                "held": therapy_seq[tolerance.held] if tolerance.held is not None else NO_DATE,
            }
        )
    return [fact for kind in BASE_FACT_ORDER for fact in by_type[kind]]


def _therapy_records(patient: Patient, tolerance: Tolerance) -> list[Fact]:
    """Each therapy's fact content, with the readings of the record that concern it, in record order."""
    courses = course_readings(patient.therapies)
    records = []
    for i, therapy in enumerate(patient.therapies):
        readings: dict[str, object] = {}
        if i in tolerance.chain_start:
            readings["chain_start"] = day(tolerance.chain_start[i])
            readings["primary_start"] = day(tolerance.primary_start[i])
            readings["run_date"] = day(tolerance.run_date[i])
        if i in tolerance.stop_kind:
            readings["stop_kind"] = tolerance.stop_kind[i]
        if i in tolerance.linked:
            readings["linked_grade"] = tolerance.linked_grade(i, patient.toxicities)
        if i in courses:
            readings["course"] = courses[i]
        records.append(therapy_fact(therapy, **readings))
    return records


def _seqs(records: list[Fact], numbered: list[Fact]) -> dict[int, int]:
    """The ``seq`` of each record (by its index), as :func:`_numbered` gave it."""
    by_content = {
        tuple(sorted((k, v) for k, v in f.items() if k not in ("t", "seq", "prev"))): f["seq"] for f in numbered
    }
    return {i: by_content[tuple(sorted(r.items()))] for i, r in enumerate(records)}


def _link_fact(
    link: Link, toxicity_seq: dict[int, int], therapy_seq: dict[int, int], by_type: dict[str, list[Fact]]
) -> Fact:
    """A toxicity linked to a therapy, with what the texts name of both."""
    toxicity = next(f for f in by_type["toxicity"] if f["seq"] == toxicity_seq[link.toxicity])
    therapy = next(f for f in by_type["therapy"] if f["seq"] == therapy_seq[link.therapy])
    return {
        "t": "link",
        "toxicity": toxicity["seq"],
        "therapy": therapy["seq"],
        "basis": link.basis,
        "term": toxicity["term"],
        "grade": toxicity["grade"],
        "day": toxicity["day"],
        "agent": therapy["agent"],
        "route": therapy["route"],
        "dose": therapy["dose_mg"],
        "interval": therapy["interval"],
        "status": therapy["status"],
        "start": therapy["start"],
        "end": therapy["end"],
    }


def _toxicity_fact(toxicity: Toxicity, as_of: dt.date | None, intrathecal: bool) -> Fact:
    """A toxicity with the day it counts from (its date, else the evaluation date) and its attribution.

    ``holds_intrathecal``: whether it holds an intrathecal injection (docs/interpretation.md#combination).
    """
    counted_from = toxicity.date or as_of
    return {
        "term": toxicity.term.value,
        "grade": toxicity.grade,
        "day": day(counted_from),
        "window": day(counted_from) - AROUND_DAYS if counted_from is not None else NO_DATE,
        "attributed": ",".join(sorted({agent.value for agent in toxicity.attributed_to or ()})),
        "holds_intrathecal": holds_injection(toxicity, intrathecal),
    }

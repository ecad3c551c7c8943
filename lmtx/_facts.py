"""Model -> base facts: the flat records the rules match (see :mod:`lmtx.rules._common`).

Facts are plain dicts of scalars, in a canonical order that does not depend
on the order of the input lists, so the engine fires rules in the same order
for any permutation of the record. Dates become ordinal day numbers (the
engine compares numbers, not dates); absent optional values get explicit
sentinels (``-1`` days, ``0`` mg, ``""``), never a missing key.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, TypeVar

from lmtx._validate import drug_class, effective_route
from lmtx.model import Agent, Patient, PerformanceStatus, Therapy, TherapyStatus, Toxicity
from lmtx.policy import Policy
from lmtx.rules._common import HIGH_DOSE_MG

__all__ = ["BASE_FACT_ORDER", "DESCENDING", "Fact", "base_facts", "describe_fact", "latest_performance_status"]

Fact = dict[str, Any]
K = TypeVar("K")

NO_DATE = -1
DATE_FIELDS = frozenset(
    {"date", "start", "end", "onset", "done", "regimen_start", "judged_from", "stop", "run_start"}
    | {"day", "window", "as_of", "recent_from"}
)
"""Every fact field that holds a day (as a proleptic ordinal, ``NO_DATE`` when absent).

The record's dates and the derived facts' fields that carry one of them on;
labels and explanations show these as ISO dates. A test derives the set from
the rules, so a new date-carrying field cannot be missed.
"""


MIN_ENGINE_DOSE = 0.0001
"""Doses below this reach the engine as this: smaller floats print with an exponent."""


def _engine_number(dose: float) -> float:
    # durable-rules' JSON parser mishandles exponents (measured: 1e-05 aborts the process).
    # Python prints floats in [1e-4, 1e16) without one; doses are validated to <= 100 g, and
    # nothing in the rules distinguishes doses below 0.0001 mg. No other rounding: 159.9995 mg
    # must stay below 160.
    return max(float(dose), MIN_ENGINE_DOSE)


def _day(date: dt.date | None) -> int:
    return date.toordinal() if date is not None else NO_DATE


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


AROUND_DAYS = 42
"""How long after its end a therapy still counts for a toxicity or the watch list (six weeks: chemotherapy
nadirs fall three to four weeks after a dose; docs/interpretation.md#toxicity)."""

RESUME_DAYS = 7
"""Days after a therapy's end within which a successor continues it (a regimen held, a dose changed)."""


def _daily_mg(therapy: Therapy) -> float:
    return (therapy.dose_mg or 0.0) / (therapy.interval_days or 1)


def _is_high_dose_daily(therapy: Therapy) -> bool:
    """Osimertinib 160 mg or more, once a day (docs/interpretation.md#initial)."""
    return (
        therapy.agent is Agent.OSIMERTINIB
        and (therapy.dose_mg or 0.0) >= HIGH_DOSE_MG
        and (therapy.interval_days or 1) == 1
        and therapy.status is not TherapyStatus.PLANNED
        and therapy.start is not None
    )


def _run_starts(therapies: tuple[Therapy, ...]) -> dict[int, dt.date]:
    """The start of each 160 mg regimen recorded in pieces, by the index of its last piece.

    A piece continues the chain that ends in the next when it starts before it and ends
    no more than :data:`RESUME_DAYS` days before the next begins (an overlap counts); the
    chain's start is the start of its earliest piece.
    """
    pieces = [(i, t) for i, t in enumerate(therapies) if _is_high_dose_daily(t)]
    starts: dict[int, dt.date] = {}
    for i, last in pieces:
        current = last
        while True:
            assert current.start is not None
            earlier = [
                t
                for _, t in pieces
                if t.start is not None
                and t.start < current.start
                and t.end is not None
                and current.start <= t.end + dt.timedelta(days=RESUME_DAYS)
            ]
            if not earlier:
                break
            current = min(earlier, key=lambda t: t.start or dt.date.max)
        assert current.start is not None
        starts[i] = current.start
    return starts


def is_dose_change(stopped: Therapy, therapies: tuple[Therapy, ...]) -> bool:
    """Whether a stopped osimertinib was a change of dose, not a stop (docs/interpretation.md#stopped-osimertinib).

    Recorded as ``dose-change`` with another osimertinib begun after it (a planned one
    without a start counts); or, with no reason recorded, ended and followed within
    :data:`RESUME_DAYS` days by another osimertinib, given, at the same or a higher daily dose.
    """
    if stopped.agent is not Agent.OSIMERTINIB or stopped.status is not TherapyStatus.STOPPED or stopped.start is None:
        return False
    others = [t for t in therapies if t is not stopped and t.agent is Agent.OSIMERTINIB]
    if stopped.stop_reason is not None:
        return stopped.stop_reason.value == "dose-change" and any(
            (t.start is None and t.status is TherapyStatus.PLANNED) or (t.start is not None and t.start > stopped.start)
            for t in others
        )
    if stopped.end is None:
        return False
    resume_by = stopped.end + dt.timedelta(days=RESUME_DAYS)
    return any(
        t.status is not TherapyStatus.PLANNED
        and t.start is not None
        and stopped.start < t.start <= resume_by
        and _daily_mg(t) >= _daily_mg(stopped)
        for t in others
    )


def _therapy_fact(therapy: Therapy, run_start: dt.date | None, dose_change: bool) -> Fact:
    cls = drug_class(therapy)
    return {
        "agent": therapy.agent.value,
        "route": (route.value if (route := effective_route(therapy)) else ""),
        "dose_mg": _engine_number(therapy.dose_mg) if therapy.dose_mg is not None else 0.0,
        "interval": therapy.interval_days or 1,
        "once_daily_mg": _engine_number(therapy.dose_mg)
        if therapy.dose_mg and (therapy.interval_days or 1) == 1
        else 0.0,
        "cls": cls.value if cls is not None else "",
        "status": therapy.status.value,
        "start": _day(therapy.start),
        "end": _day(therapy.end),
        "reason": therapy.stop_reason.value if therapy.stop_reason is not None else "",
        "run_start": _day(run_start if run_start is not None else therapy.start),
        "dose_change": dose_change,
    }


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


def latest_performance_status(patient: Patient) -> PerformanceStatus | None:
    """The latest assessment: by date in a history; a single one, dated or not, is the latest."""
    assessments = patient.performance_statuses
    if len(assessments) <= 1:
        return assessments[0] if assessments else None
    return max(assessments, key=lambda ps: ps.date or dt.date.min)


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
                "as_of": _day(as_of),
                "recent_from": _day(as_of) - AROUND_DAYS if as_of is not None else NO_DATE,
            }
        ],
    }
    ps = latest_performance_status(patient)
    if ps is not None:
        age = (as_of - ps.date).days if ps.date is not None and as_of is not None else NO_DATE
        by_type["ps"].append({"t": "ps", "scale": ps.scale.value, "score": ps.score, "date": _day(ps.date), "age": age})
    by_type["neuro_exam"] = _numbered(
        "neuro_exam",
        ({"date": _day(e.date), "symptoms": e.symptoms.value} for e in patient.neuro_exams),
        ("date",),
    )
    by_type["cytology"] = _numbered(
        "cytology",
        ({"date": _day(c.date), "result": c.result.value} for c in patient.csf_cytology),
        ("date",),
    )
    by_type["mri"] = _numbered(
        "mri",
        (
            {
                "date": _day(m.date),
                "enhancement": m.leptomeningeal_enhancement,
                "response": m.response.value if m.response else "",
            }
            for m in patient.mri
        ),
        ("date",),
    )
    run_starts = _run_starts(patient.therapies)
    by_type["therapy"] = _numbered(
        "therapy",
        (
            _therapy_fact(t, run_starts.get(i), is_dose_change(t, patient.therapies))
            for i, t in enumerate(patient.therapies)
        ),
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
    day = toxicity.date or as_of
    return {
        "term": toxicity.term.value,
        "grade": toxicity.grade,
        "day": _day(day),
        "window": _day(day) - AROUND_DAYS if day is not None else NO_DATE,
        "attributed": ",".join(sorted({agent.value for agent in toxicity.attributed_to or ()})),
    }


_HIDDEN = frozenset({"t", "sid", "seq", "prev", "n"})
_USUAL = {"interval": 1, "dose_change": False}
_QUIET = frozenset({"as_of", "recent_from", "day", "window"})
"""Bookkeeping dates left out of labels (the evaluation date and the windows counted from it)."""
"""Therapy fields left out of a label when they hold the usual value (a daily dose, a real stop)."""


@functools.cache
def _iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def describe_fact(fact: Fact) -> str:
    """A readable, order-independent label such as ``neuro_exam(date=2026-02-01, symptoms=new)``.

    Bookkeeping fields (``seq``, ``prev``), absent values (``""``, no date) and usual ones
    (a daily interval, a regimen that starts with its own therapy) are left out.
    """
    parts = []
    for key, value in fact.items():
        if key in _HIDDEN or key in _QUIET or (key in _USUAL and value == _USUAL[key]):
            continue
        if (key == "run_start" and value == fact.get("start")) or (key == "once_daily_mg" and value == fact["dose_mg"]):
            continue
        kind = type(value)
        if kind is str:
            if value:
                parts.append(f"{key}={value}")
        elif kind is bool:
            parts.append(f"{key}={'true' if value else 'false'}")
        elif kind is int and key in DATE_FIELDS:
            if value != NO_DATE:
                parts.append(f"{key}={_iso(value)}")
        elif kind is float and value.is_integer():
            parts.append(f"{key}={int(value)}")
        else:
            parts.append(f"{key}={value}")
    return f"{fact['t']}({', '.join(parts)})"

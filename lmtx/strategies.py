"""Hypothesis strategies for lmtx's domain model, for property-based tests.

Needs the optional extra ``lmtx[testing]`` (hypothesis); ``import lmtx`` does
not. The strategies generate records that :func:`lmtx.evaluate` accepts, in
both forms: wire-format dicts (docs/input-format.md, JSON-compatible) and typed
:class:`lmtx.Patient` objects; and invalid payloads, each with the JSON path
of the problem it carries::

    from hypothesis import given
    import lmtx
    from lmtx import strategies as lst

    @given(lst.evaluation_cases())
    def test_my_pipeline_accepts_every_result(case):
        result = lmtx.evaluate(case.patient, as_of=case.as_of)
        my_pipeline(result.to_dict())

Valid records cover the whole wire format: every enumeration value, both
performance-status scales or none, optional fields present or left out, empty
and absent lists, every therapy combination the phases need (osimertinib
below, at and above 160 mg, with intrathecal pemetrexed, with platinum
chemotherapy, other EGFR TKIs, radiotherapy), and realistic date orderings:
the dates of a record are drawn around a few key days, so that assessments
fall before, on and after each therapy start, and the record is then moved to
a random year. A third of the records tell a treatment story (established LM
on osimertinib 160 mg, often with courses of intrathecal pemetrexed and
platinum that are active, completed or stopped, and follow-up findings that
often show failure), a sixth a diagnostic story (runs of neurological exams
with MRIs and CSF cytologies around the symptom onset, and often new or
worse symptoms after that workup),
so that every phase and every reading of docs/interpretation.md is common.

Drug doses are any positive number up to lmtx's plausibility bound of
100,000 mg, often a usual clinical dose, and for osimertinib often one at or
just below 160 mg.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("lmtx.strategies needs hypothesis: pip install 'lmtx[testing]'") from error

from lmtx import _codec
from lmtx._validate import DRUGS, MAX_DOSE_MG, allowed_routes
from lmtx.model import (
    NSCLC_HISTOLOGIES,
    Agent,
    CsfCytology,
    CsfFlow,
    CytologyResult,
    EgfrStatus,
    EgfrVariant,
    Histology,
    MriAssessment,
    MriResponse,
    NeuroExam,
    Patient,
    PerformanceStatus,
    Route,
    Symptoms,
    SystemicDisease,
    Therapy,
    TherapyStatus,
    Toxicity,
    ToxicityTerm,
)

__all__ = [
    "EvaluationCase",
    "InvalidCase",
    "csf_cytologies",
    "csf_cytology_dicts",
    "dates",
    "evaluation_cases",
    "invalid_cases",
    "invalid_payloads",
    "mri_assessments",
    "mri_dicts",
    "neuro_exam_dicts",
    "neuro_exams",
    "patient_dicts",
    "patients",
    "performance_status_dicts",
    "performance_statuses",
    "therapies",
    "therapy_dicts",
    "toxicities",
    "toxicity_dicts",
]

T = TypeVar("T")
Wire = dict[str, Any]

_FIRST_DAY = dt.date(1990, 1, 1)
_LAST_DAY = dt.date(2089, 12, 31)
_OSIMERTINIB_DOSES: tuple[float, ...] = (160, 160, 160.0, 240, 200, 80, 40, 159.5, 159.9995, 159.9999999, 120, 20.0)
_CLINICAL_DOSES: tuple[float, ...] = (1, 10, 30, 40, 50, 75, 80, 150, 250, 500, 1000)
_REGIMEN_STATUSES = (TherapyStatus.ACTIVE, TherapyStatus.ACTIVE, *TherapyStatus)


class EvaluationCase(NamedTuple):
    """A valid patient and an evaluation date it is valid for.

    Attributes:
        patient: A wire-format dict, or a :class:`lmtx.Patient` (``typed=True``).
        as_of: ``None`` (evaluate at the latest date in the record) or a date
            on or after every observed date of the record.
    """

    patient: Any
    as_of: dt.date | None


class InvalidCase(NamedTuple):
    """An invalid input and where lmtx must report it.

    Attributes:
        payload: What to pass to :func:`lmtx.evaluate` as the patient: a
            mapping, JSON text, or some other (non-patient) value.
        as_of: The evaluation date to pass with it (``None`` for the default).
        path: The JSON path of (one of) the problems, as
            :class:`lmtx.Problem` reports it: ``$`` for the whole payload,
            ``therapies[1].dose_mg`` for a field.
        mutation: What was done to a valid record, in words.
        kind: The kind of mutation, e.g. ``wrong-type``, ``unknown-key``,
            ``non-finite``, ``deep-nesting``, ``two-active``.
    """

    payload: object
    as_of: dt.date | None
    path: str
    mutation: str
    kind: str = ""


# --- Building blocks: wire dicts -------------------------------------------------------------


def dates(min_value: dt.date = _FIRST_DAY, max_value: dt.date = _LAST_DAY) -> st.SearchStrategy[dt.date]:
    """Calendar dates in a range (default 1990-2089).

    Args:
        min_value: The earliest date.
        max_value: The latest date.

    Returns:
        A strategy of :class:`datetime.date`.
    """
    return st.dates(min_value=min_value, max_value=max_value)


def _iso(date: dt.date) -> str:
    return date.isoformat()


def _maybe(wire: Wire, key: str, value: object, present: bool) -> Wire:
    if present:
        wire[key] = value
    return wire


def _values(enum_type: type[T]) -> st.SearchStrategy[str]:
    return st.sampled_from(tuple(str(member) for member in enum_type))  # type: ignore[attr-defined]


def performance_status_dicts(day: st.SearchStrategy[dt.date] | None = None) -> st.SearchStrategy[Wire]:
    """Performance status on either scale: ECOG 0-4 or KPS 10-100 in steps of 10, with or without a date.

    Args:
        day: Dates to draw from (default :func:`dates`).

    Returns:
        A strategy of wire dicts such as ``{"scale": "kps", "score": 70}``.

    Example:
        >>> from hypothesis import given
        >>> @given(performance_status_dicts())
        ... def test(ps):
        ...     assert ps["scale"] in ("ecog", "kps")
        >>> test()
    """
    when = day if day is not None else dates()
    scores = st.one_of(
        st.tuples(st.just("ecog"), st.integers(0, 4)),
        st.tuples(st.just("kps"), st.integers(1, 10).map(lambda n: n * 10)),
    )
    return st.builds(
        lambda scale_score, date: _maybe({"scale": scale_score[0], "score": scale_score[1]}, "date", date, bool(date)),
        scores,
        st.one_of(st.none(), when.map(_iso)),
    )


def neuro_exam_dicts(day: st.SearchStrategy[dt.date] | None = None) -> st.SearchStrategy[Wire]:
    """One neurological examination: ``{"date", "symptoms"}``, every symptoms value.

    Args:
        day: Dates to draw from (default :func:`dates`).

    Returns:
        A strategy of wire dicts.
    """
    when = day if day is not None else dates()
    return st.fixed_dictionaries({"date": when.map(_iso), "symptoms": _values(Symptoms)})


def csf_cytology_dicts(day: st.SearchStrategy[dt.date] | None = None) -> st.SearchStrategy[Wire]:
    """One CSF cytology: ``{"date", "result"}``, every result value.

    Args:
        day: Dates to draw from (default :func:`dates`).

    Returns:
        A strategy of wire dicts.
    """
    when = day if day is not None else dates()
    return st.fixed_dictionaries({"date": when.map(_iso), "result": _values(CytologyResult)})


def mri_dicts(day: st.SearchStrategy[dt.date] | None = None) -> st.SearchStrategy[Wire]:
    """One neuraxis MRI, with or without leptomeningeal enhancement, response present or absent.

    Args:
        day: Dates to draw from (default :func:`dates`).

    Returns:
        A strategy of wire dicts.
    """
    when = day if day is not None else dates()
    return st.fixed_dictionaries(
        {"date": when.map(_iso), "leptomeningeal_enhancement": st.booleans()},
        optional={"response": _values(MriResponse)},
    )


def toxicity_dicts(day: st.SearchStrategy[dt.date] | None = None) -> st.SearchStrategy[Wire]:
    """One adverse event: every term, CTCAE grade 1-5, with or without a date.

    Args:
        day: Dates to draw from (default :func:`dates`).

    Returns:
        A strategy of wire dicts.
    """
    when = day if day is not None else dates()
    return st.fixed_dictionaries(
        {"term": _values(ToxicityTerm), "grade": st.integers(1, 5)},
        optional={"date": when.map(_iso)},
    )


def _doses(usual: tuple[float, ...]) -> st.SearchStrategy[float]:
    return st.one_of(
        st.sampled_from(usual),
        st.sampled_from(usual),
        st.sampled_from(usual),
        st.floats(min_value=0, max_value=MAX_DOSE_MG, exclude_min=True),
        st.integers(1, MAX_DOSE_MG),
    )


_DOSES = {agent: _doses(_OSIMERTINIB_DOSES if agent is Agent.OSIMERTINIB else _CLINICAL_DOSES) for agent in Agent}
_ROUTES = {agent: st.sampled_from(tuple(sorted(str(route) for route in allowed_routes(agent)))) for agent in Agent}


@st.composite
def _therapy_dict(
    draw: st.DrawFn,
    agents: tuple[Agent, ...],
    statuses: tuple[TherapyStatus, ...],
    day: st.SearchStrategy[dt.date],
    later: st.SearchStrategy[dt.date],
) -> Wire:
    agent = draw(st.sampled_from(agents))
    status = draw(st.sampled_from(statuses))
    wire: Wire = {"agent": str(agent), "status": str(status)}
    # Pemetrexed must name its route; other agents may leave it out.
    if agent is Agent.PEMETREXED or draw(st.booleans()):
        wire["route"] = draw(_ROUTES[agent])
    if agent in DRUGS or (agent is Agent.OTHER and draw(st.booleans())):
        wire["dose_mg"] = draw(_DOSES[agent])
    # A plan may have no start yet, or a start after the evaluation date.
    start = draw(st.one_of(st.none(), day, later)) if status is TherapyStatus.PLANNED else draw(day)
    if start is not None:
        wire["start"] = start.isoformat()
    if start is not None and status in (TherapyStatus.COMPLETED, TherapyStatus.STOPPED) and draw(st.booleans()):
        wire["end"] = max(start, draw(day)).isoformat()
    return wire


def therapy_dicts(
    agents: Sequence[Agent] | None = None,
    statuses: Sequence[TherapyStatus] | None = None,
    day: st.SearchStrategy[dt.date] | None = None,
) -> st.SearchStrategy[Wire]:
    """One therapy regimen that passes lmtx's checks on its own.

    A start is present unless planned (a planned start may be missing or lie
    in the future); an end only for completed or stopped therapies, never
    before the start; drugs have a positive dose; routes fit the agent and
    are left out at random except for pemetrexed, which must name one.

    Args:
        agents: Agents to draw from (default: all).
        statuses: Statuses to draw from (default: all).
        day: Dates to draw from (default :func:`dates`).

    Returns:
        A strategy of wire dicts such as
        ``{"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2026-01-12"}``.
    """
    when = day if day is not None else dates()
    return _therapy_dict(
        tuple(agents or Agent),
        tuple(statuses or TherapyStatus),
        when,
        when.map(lambda d: d + dt.timedelta(days=400)),
    )


# --- Whole patients --------------------------------------------------------------------------
#
# Every date of a record is first drawn as a day of one year after a fixed epoch,
# often one of a few key days, so that assessments fall before, on and after each
# therapy start; then the whole record is shifted by a random number of days.

_EPOCH = _FIRST_DAY
_KEY_DAYS = (0, 1, 14, 30, 31, 90, 180)


def _epoch_day(days: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=days)


_DAY = st.one_of(st.sampled_from(_KEY_DAYS), st.integers(0, 365)).map(_epoch_day)
_LATER = st.integers(366, 800).map(_epoch_day)
_SHIFT = st.integers(0, (_LAST_DAY - _EPOCH).days - 800)
_PERFORMANCE_STATUS = performance_status_dicts(_DAY)
_ASSESSMENTS = (
    ("neuro_exams", neuro_exam_dicts(_DAY)),
    ("csf_cytology", csf_cytology_dicts(_DAY)),
    ("mri", mri_dicts(_DAY)),
)
_TOXICITIES = st.lists(toxicity_dicts(_DAY), max_size=5)
_HISTOLOGIES = (*sorted(NSCLC_HISTOLOGIES), *sorted(NSCLC_HISTOLOGIES), *Histology)
_EGFR_STATUSES = (EgfrStatus.MUTANT,) * 7 + (EgfrStatus.WILD_TYPE, EgfrStatus.UNKNOWN, None)
_VARIANTS = st.one_of(st.none(), st.lists(_values(EgfrVariant), unique=True, max_size=3))
_IDS = st.one_of(
    st.none(),
    st.from_regex(r"pt-[0-9]{1,6}", fullmatch=True),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=_codec.MAX_STRING_LENGTH),
)
_FLAGS = (
    ("brain_metastases", st.sampled_from((None, False, True, True))),
    ("csf_flow", st.one_of(st.none(), _values(CsfFlow))),
    ("systemic_disease", st.one_of(st.none(), _values(SystemicDisease))),
)
_MOSTLY_ACTIVE = (TherapyStatus.ACTIVE,) * 5 + (TherapyStatus.PLANNED, TherapyStatus.COMPLETED, TherapyStatus.STOPPED)
_NOT_ACTIVE = (TherapyStatus.PLANNED, TherapyStatus.COMPLETED, TherapyStatus.STOPPED)


def _shift(wire: Wire, days: int) -> Wire:
    """Move every date of a record by ``days``."""
    for key in ("performance_status", *(name for name, _ in _ASSESSMENTS), "therapies", "toxicities"):
        value = wire.get(key)
        for record in value if isinstance(value, list) else [value] if value else []:
            for field in ("date", "start", "end"):
                if field in record:
                    record[field] = (dt.date.fromisoformat(record[field]) + dt.timedelta(days=days)).isoformat()
    return wire


@st.composite
def _dated_list(draw: st.DrawFn, item: st.SearchStrategy[Wire]) -> list[Wire] | None:
    """Records with distinct dates, sometimes with an exact duplicate; ``None`` = leave the list out."""
    records = draw(st.lists(item, max_size=4, unique_by=lambda r: r["date"]))
    if not records:
        return None if draw(st.booleans()) else []
    if draw(st.booleans()):
        duplicate = dict(draw(st.sampled_from(records)))
        records.insert(draw(st.integers(0, len(records))), duplicate)
    return records


# One slot per agent and route that lmtx checks for overlap (agents, route, chance in eighths,
# statuses): at most one active regimen of each, osimertinib and intrathecal pemetrexed most often.
# (hypothesis draws the smallest value of a choice more often than the others: in every
# choice below, the smallest value means "leave it out".)
_SLOTS: tuple[tuple[tuple[Agent, ...], Route | None, int, tuple[TherapyStatus, ...]], ...] = (
    ((Agent.OSIMERTINIB,), None, 6, _MOSTLY_ACTIVE),
    ((Agent.OSIMERTINIB,), None, 2, _NOT_ACTIVE),  # an earlier regimen (a dose changed, a pause)
    ((Agent.GEFITINIB, Agent.DACOMITINIB), None, 3, _REGIMEN_STATUSES),
    ((Agent.ERLOTINIB, Agent.AFATINIB), None, 2, _REGIMEN_STATUSES),
    ((Agent.PEMETREXED,), Route.INTRATHECAL, 5, _MOSTLY_ACTIVE),
    ((Agent.PEMETREXED,), Route.INTRAVENOUS, 2, _REGIMEN_STATUSES),
    ((Agent.CARBOPLATIN,), None, 1, tuple(TherapyStatus)),
    ((Agent.CISPLATIN,), None, 1, tuple(TherapyStatus)),
    ((Agent.RADIOTHERAPY,), None, 2, _REGIMEN_STATUSES),
)


@st.composite
def _regimens(draw: st.DrawFn) -> list[Wire]:
    therapies: list[Wire] = []
    for agents, route, eighths, statuses in _SLOTS:
        if draw(st.integers(1, 8)) > 8 - eighths:
            therapy = draw(_therapy_dict(agents, statuses, _DAY, _LATER))
            therapies.append(therapy if route is None else {**therapy, "route": str(route)})
    for _ in range(draw(st.integers(0, 3))):
        # History and plans of any agent, and "other" therapies in any status (never checked for overlap).
        if draw(st.booleans()):
            therapies.append(draw(_therapy_dict(tuple(Agent), _NOT_ACTIVE, _DAY, _LATER)))
        else:
            therapies.append(draw(_therapy_dict((Agent.OTHER,), tuple(TherapyStatus), _DAY, _LATER)))
    return list(draw(st.permutations(therapies)))


# A treatment story: EGFR-mutant NSCLC, usually with LM established on the first day,
# on osimertinib 160 mg, often with intrathecal pemetrexed and platinum added, and
# follow-up findings, often on the day a regimen began and often showing failure --
# the later steps of docs/interpretation.md#response and #combination, which records
# drawn at random reach only rarely.
_HIGH_DOSES: tuple[float, ...] = (160, 160.0, 200, 240)
_FOLLOW_UPS = (
    ("neuro_exams", st.fixed_dictionaries({"symptoms": st.sampled_from(("worsened", "persistent", *Symptoms))})),
    ("csf_cytology", st.fixed_dictionaries({"result": st.sampled_from(("positive", *CytologyResult))})),
    (
        "mri",
        st.fixed_dictionaries(
            {
                "leptomeningeal_enhancement": st.booleans(),
                "response": st.sampled_from(("progression", "progression", *MriResponse)),
            }
        ),
    ),
)
# Repeated entries are weights: a positive cytology, an enhancing MRI and no establishing
# finding, a third each.
_ESTABLISHING: st.SearchStrategy[tuple[str, Wire] | None] = st.sampled_from(
    (
        ("csf_cytology", {"result": "positive"}),
        ("mri", {"leptomeningeal_enhancement": True, "response": "baseline"}),
        ("csf_cytology", {"result": "positive"}),
        ("mri", {"leptomeningeal_enhancement": True, "response": "baseline"}),
        None,  # brain metastases only: LM absent or suspected, yet on the same regimens
        None,
    )
)
_PLATINUM_AGENTS = st.sampled_from(((Agent.CARBOPLATIN,), (Agent.CISPLATIN,), (Agent.CARBOPLATIN, Agent.CISPLATIN)))


def _put(wire: Wire, key: str, record: Wire) -> None:
    """Add a record, replacing any of its kind on the same day (one finding per kind and day)."""
    wire[key] = [r for r in wire.get(key, []) if r["date"] != record["date"]] + [record]


def _active(draw: st.DrawFn, agent: Agent, **fields: object) -> Wire:
    therapy: Wire = draw(_therapy_dict((agent,), (TherapyStatus.ACTIVE,), _DAY, _LATER))
    return {**therapy, **fields}


_COURSE_STATUSES = (TherapyStatus.ACTIVE, TherapyStatus.COMPLETED, TherapyStatus.STOPPED)


@st.composite
def _courses(draw: st.DrawFn, agent: Agent, route: str | None) -> list[Wire]:
    """One or two courses of an agent; at most one of them active; ended ones carry an end."""
    courses: list[Wire] = []
    for drawn in draw(st.lists(st.sampled_from(_COURSE_STATUSES), min_size=1, max_size=2)):
        one_active = drawn is TherapyStatus.ACTIVE and any(c["status"] == "active" for c in courses)
        status = TherapyStatus.COMPLETED if one_active else drawn
        course = draw(_therapy_dict((agent,), (status,), _DAY, _LATER))
        course.pop("end", None)
        if status is not TherapyStatus.ACTIVE:
            start = dt.date.fromisoformat(course["start"])
            course["end"] = (start + dt.timedelta(days=draw(st.sampled_from((0, 1, 9, 14, 30, 45))))).isoformat()
        courses.append(course if route is None else {**course, "route": route})
    return courses


@st.composite
def _story(draw: st.DrawFn, wire: Wire) -> Wire:
    wire["histology"] = str(draw(st.sampled_from(sorted(NSCLC_HISTOLOGIES))))
    wire["egfr"] = {**wire.get("egfr", {}), "status": "mutant"}
    establishing = draw(_ESTABLISHING)
    if establishing is None:
        wire["brain_metastases"] = True
    else:
        _put(wire, establishing[0], {"date": _EPOCH.isoformat(), **establishing[1]})
    regimens = [_active(draw, Agent.OSIMERTINIB, dose_mg=draw(st.sampled_from(_HIGH_DOSES)))]
    if draw(st.integers(1, 3)) > 1:
        # Intrathecal pemetrexed comes in courses (S07): one or two, each active, completed or
        # stopped (between courses, after toxicity), ending before, on or after the 160 mg start.
        regimens += draw(_courses(Agent.PEMETREXED, str(Route.INTRATHECAL)))
    if draw(st.integers(1, 4)) == 4:
        # Platinum, preferably with (intravenous) pemetrexed (S09).
        for agent in draw(_PLATINUM_AGENTS):
            regimens += draw(_courses(agent, None))
    if draw(st.integers(1, 3)) == 3:
        regimens.append(_active(draw, Agent.PEMETREXED, route=str(Route.INTRAVENOUS)))
    if draw(st.integers(1, 4)) == 4:
        regimens.append(_active(draw, Agent.OTHER, route=str(Route.INTRATHECAL)))
    # The story's regimens replace the random active ones of the same agents.
    agents = {str(Agent.OSIMERTINIB), str(Agent.CARBOPLATIN), str(Agent.CISPLATIN), str(Agent.PEMETREXED)}
    others = [t for t in wire.get("therapies", []) if t["agent"] not in agents or t["status"] != "active"]
    wire["therapies"] = draw(st.permutations([*regimens, *others]))
    starts = [dt.date.fromisoformat(r["start"]) for r in regimens]
    on_or_near_a_start = st.sampled_from(starts).flatmap(
        lambda start: st.sampled_from((start, start, start + dt.timedelta(days=1), start - dt.timedelta(days=1)))
    )
    for key, follow_up in _FOLLOW_UPS:
        if draw(st.booleans()):
            # The latest finding of its kind: the one each regimen is judged on.
            day = draw(st.one_of(_DAY, on_or_near_a_start).filter(lambda d: d >= _EPOCH)).isoformat()
            wire[key] = [r for r in wire.get(key, []) if r["date"] < day] + [{"date": day, **draw(follow_up)}]
    return wire


# A diagnostic story: a run of neurological exams, and MRIs and CSF cytologies on or
# between exam days, mostly negative -- LM suspected, absent or established around
# the symptom onset, and symptoms new or worse after a negative workup
# (docs/interpretation.md#lm-status).
_EXAM_DAYS = st.lists(st.sampled_from((*_KEY_DAYS, 45, 60, 120)), min_size=1, max_size=6, unique=True)
_MOSTLY_NEGATIVE_MRI = st.fixed_dictionaries(
    {"leptomeningeal_enhancement": st.sampled_from((False, False, False, True))},
    optional={"response": _values(MriResponse)},
)
_MOSTLY_NEGATIVE_CYTOLOGY = st.fixed_dictionaries(
    {"result": st.sampled_from(("negative", "negative", "equivocal", "positive"))}
)
_WORKUP_FINDINGS = (("mri", _MOSTLY_NEGATIVE_MRI), ("csf_cytology", _MOSTLY_NEGATIVE_CYTOLOGY))


@st.composite
def _diagnosis(draw: st.DrawFn, wire: Wire) -> Wire:
    days = sorted(_epoch_day(n) for n in draw(_EXAM_DAYS))
    wire["neuro_exams"] = [{"date": day.isoformat(), "symptoms": draw(_values(Symptoms))} for day in days]
    for key, finding in _WORKUP_FINDINGS:
        found = draw(st.lists(st.one_of(st.sampled_from(days), _DAY), max_size=2, unique=True))
        wire[key] = [{"date": day.isoformat(), **draw(finding)} for day in found]
    workup = [dt.date.fromisoformat(r["date"]) for key, _ in _WORKUP_FINDINGS for r in wire[key]]
    reopened: bool = draw(st.booleans())
    if workup and reopened:
        # Symptoms new or worse after the workup (which re-opens the question of LM), sometimes
        # with part or all of a second workup on or after that exam.
        onset = max(workup) + dt.timedelta(days=draw(st.sampled_from((0, 1, 7, 30))))
        _put(wire, "neuro_exams", {"date": onset.isoformat(), "symptoms": draw(st.sampled_from(("new", "worsened")))})
        for key, finding in _WORKUP_FINDINGS:
            if draw(st.booleans()):
                day = onset + dt.timedelta(days=draw(st.sampled_from((0, 2, 10))))
                _put(wire, key, {"date": day.isoformat(), **draw(finding)})
        if draw(st.booleans()):
            later = onset + dt.timedelta(days=draw(st.sampled_from((1, 5, 20))))
            _put(wire, "neuro_exams", {"date": later.isoformat(), "symptoms": draw(_values(Symptoms))})
    return wire


@st.composite
def _patient_dict(draw: st.DrawFn) -> Wire:
    wire: Wire = {"histology": str(draw(st.sampled_from(_HISTOLOGIES)))}
    patient_id = draw(_IDS)
    _maybe(wire, "id", patient_id, patient_id is not None)
    status = draw(st.sampled_from(_EGFR_STATUSES))
    if status is not None:
        egfr: Wire = {"status": str(status)}
        variants = draw(_VARIANTS) if status is EgfrStatus.MUTANT else draw(st.sampled_from([None, []]))
        wire["egfr"] = _maybe(egfr, "variants", variants, variants is not None)
    if draw(st.integers(0, 3)):
        wire["performance_status"] = draw(_PERFORMANCE_STATUS)
    for key, values in _FLAGS:
        value = draw(values)
        _maybe(wire, key, value, value is not None)
    for key, item in _ASSESSMENTS:
        records = draw(_dated_list(item))
        _maybe(wire, key, records, records is not None)
    therapies = draw(_regimens())
    _maybe(wire, "therapies", therapies, bool(therapies) or draw(st.booleans()))
    toxicity_list = draw(_TOXICITIES)
    _maybe(wire, "toxicities", toxicity_list, bool(toxicity_list) or draw(st.booleans()))
    story = draw(st.integers(1, 6))
    if story >= 5:
        wire = draw(_story(wire))
    elif story == 4:
        wire = draw(_diagnosis(wire))
    return _shift(wire, draw(_SHIFT))


def patient_dicts() -> st.SearchStrategy[Wire]:
    """Valid patient records in the wire format (docs/input-format.md), as JSON-compatible dicts.

    Every record is valid for :func:`lmtx.evaluate` with the default
    evaluation date (the latest date in the record). Dates are ISO strings.

    Returns:
        A strategy of dicts.

    Example:
        >>> import lmtx
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(patient_dicts())
        ... def test(patient):
        ...     assert lmtx.evaluate(patient).lm_status in ("confirmed", "probable", "suspected", "absent")
        >>> test()
    """
    return _patient_dict()


def _to_patient(wire: Mapping[str, Any]) -> Patient:
    return _codec.structure_patient(wire)


def patients() -> st.SearchStrategy[Patient]:
    """Valid patient records as typed :class:`lmtx.Patient` objects (see :func:`patient_dicts`).

    Returns:
        A strategy of :class:`lmtx.Patient`.
    """
    return patient_dicts().map(_to_patient)


def _observed_dates(wire: Mapping[str, Any]) -> list[dt.date]:
    """Every date lmtx checks against ``as_of`` (planned starts are plans, not observations)."""
    found: list[str] = []
    ps = wire.get("performance_status")
    if ps and "date" in ps:
        found.append(ps["date"])
    for key in ("neuro_exams", "csf_cytology", "mri"):
        found += [record["date"] for record in wire.get(key, ())]
    for therapy in wire.get("therapies", ()):
        if "start" in therapy and therapy["status"] != "planned":
            found.append(therapy["start"])
        if "end" in therapy:
            found.append(therapy["end"])
    found += [toxicity["date"] for toxicity in wire.get("toxicities", ()) if "date" in toxicity]
    return [dt.date.fromisoformat(date) for date in found]


@st.composite
def _evaluation_case(draw: st.DrawFn, typed: bool) -> EvaluationCase:
    wire = draw(patient_dicts())
    latest = max(_observed_dates(wire), default=None)
    if latest is None:
        as_of = draw(st.one_of(st.none(), dates()))
    else:
        as_of = draw(st.one_of(st.none(), st.just(latest), st.integers(1, 60).map(lambda n: latest + dt.timedelta(n))))
    return EvaluationCase(_to_patient(wire) if typed else wire, as_of)


def evaluation_cases(*, typed: bool = False) -> st.SearchStrategy[EvaluationCase]:
    """A valid patient with an evaluation date: ``None`` (the default) or on/after every observed date.

    Args:
        typed: Give the patient as :class:`lmtx.Patient` instead of a wire dict.

    Returns:
        A strategy of :class:`EvaluationCase`.

    Example:
        >>> import lmtx
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(evaluation_cases())
        ... def test(case):
        ...     result = lmtx.evaluate(case.patient, as_of=case.as_of)
        ...     assert lmtx.Result.from_dict(result.to_dict()) == result
        >>> test()
    """
    return _evaluation_case(typed)


# --- Typed building blocks -------------------------------------------------------------------


def _typed(wire: st.SearchStrategy[Wire], cls: type[T]) -> st.SearchStrategy[T]:
    return wire.map(lambda value: _codec.structure(value, cls))


def performance_statuses() -> st.SearchStrategy[PerformanceStatus]:
    """Typed :class:`lmtx.PerformanceStatus` values (see :func:`performance_status_dicts`).

    Returns:
        A strategy of :class:`lmtx.PerformanceStatus`.
    """
    return _typed(performance_status_dicts(), PerformanceStatus)


def neuro_exams() -> st.SearchStrategy[NeuroExam]:
    """Typed :class:`lmtx.NeuroExam` values.

    Returns:
        A strategy of :class:`lmtx.NeuroExam`.
    """
    return _typed(neuro_exam_dicts(), NeuroExam)


def csf_cytologies() -> st.SearchStrategy[CsfCytology]:
    """Typed :class:`lmtx.CsfCytology` values.

    Returns:
        A strategy of :class:`lmtx.CsfCytology`.
    """
    return _typed(csf_cytology_dicts(), CsfCytology)


def mri_assessments() -> st.SearchStrategy[MriAssessment]:
    """Typed :class:`lmtx.MriAssessment` values.

    Returns:
        A strategy of :class:`lmtx.MriAssessment`.
    """
    return _typed(mri_dicts(), MriAssessment)


def therapies(
    agents: Sequence[Agent] | None = None, statuses: Sequence[TherapyStatus] | None = None
) -> st.SearchStrategy[Therapy]:
    """Typed :class:`lmtx.Therapy` values (see :func:`therapy_dicts`).

    Args:
        agents: Agents to draw from (default: all).
        statuses: Statuses to draw from (default: all).

    Returns:
        A strategy of :class:`lmtx.Therapy`.
    """
    return _typed(therapy_dicts(agents, statuses), Therapy)


def toxicities() -> st.SearchStrategy[Toxicity]:
    """Typed :class:`lmtx.Toxicity` values.

    Returns:
        A strategy of :class:`lmtx.Toxicity`.
    """
    return _typed(toxicity_dicts(), Toxicity)


# --- Invalid input ---------------------------------------------------------------------------

# The wire schema, as far as the mutations need it: object -> field -> kind. A
# trailing "?" marks fields that also accept null (optional in the typed model), a
# trailing "=" fields that may be left out but not be null (they have a default).
_SCHEMA: dict[str, dict[str, str]] = {
    "patient": {
        "id": "string?",
        "histology": "enum",
        "egfr": "object",
        "performance_status": "object?",
        "brain_metastases": "bool",
        "neuro_exams": "list",
        "csf_cytology": "list",
        "mri": "list",
        "csf_flow": "enum",
        "systemic_disease": "enum",
        "therapies": "list",
        "toxicities": "list",
    },
    "egfr": {"status": "enum=", "variants": "list="},
    "performance_status": {"scale": "enum", "score": "int", "date": "date?"},
    "neuro_exams": {"date": "date", "symptoms": "enum"},
    "csf_cytology": {"date": "date", "result": "enum"},
    "mri": {"date": "date", "leptomeningeal_enhancement": "bool", "response": "enum?"},
    "therapies": {
        "agent": "enum",
        "route": "enum?",
        "dose_mg": "number?",
        "status": "enum",
        "start": "date?",
        "end": "date?",
    },
    "toxicities": {"term": "enum", "grade": "int", "date": "date?"},
}
_LISTS = ("neuro_exams", "csf_cytology", "mri", "therapies", "toxicities")
_DATE_KEYS = ("date", "start", "end")

_NOT_A_STRING: st.SearchStrategy[object] = st.one_of(
    st.integers(-5, 5), st.booleans(), st.just([]), st.just({}), st.floats(allow_nan=False, allow_infinity=False)
)
_NOT_A_NUMBER: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(["80", "", "1e3"]), st.booleans(), st.just([]), st.just({})
)
_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_WRONG: dict[str, st.SearchStrategy[object]] = {
    "string": _NOT_A_STRING,
    "enum": st.one_of(_NOT_A_STRING, st.sampled_from(["", "ADENOCARCINOMA", "Mutant", "mutant ", "no-such-value"])),
    "date": st.one_of(
        st.integers(0, 30000),
        st.booleans(),
        st.just([]),
        st.sampled_from(["2026-02-30", "2026-13-01", "2026-1-5", "20260105", "2026-01-05T00:00:00", "", "today"]),
    ),
    "bool": st.one_of(st.integers(0, 1), st.sampled_from(["true", "false", ""]), st.just([])),
    "int": st.one_of(_NOT_A_NUMBER, st.sampled_from([2.5, 0.1, -0.5]), _NON_FINITE),
    "number": st.one_of(_NOT_A_NUMBER, _NON_FINITE),
    "list": st.one_of(st.just({}), st.sampled_from(["", "none", "[]"]), st.integers()),
    "object": st.one_of(st.just([]), st.sampled_from(["mutant", "ecog 1"]), st.integers()),
}
"""Values of the wrong type or form, by field kind."""

_Mutate = Callable[[st.DrawFn, Wire], InvalidCase]


def _objects(wire: Wire) -> list[tuple[str, str, Wire]]:
    """Every object in a patient dict: (path, schema name, the object)."""
    found = [("$", "patient", wire)]
    found += [(key, key, wire[key]) for key in ("egfr", "performance_status") if isinstance(wire.get(key), dict)]
    found += [(f"{key}[{i}]", key, item) for key in _LISTS for i, item in enumerate(wire.get(key, ()))]
    return found


def _at(path: str, key: str) -> str:
    # How lmtx writes paths: plain names with a dot, any other key quoted in brackets.
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}[{json.dumps(key)}]"
    return key if path == "$" else f"{path}.{key}"


def _field(draw: st.DrawFn, wire: Wire) -> tuple[str, Wire, str, str]:
    """Some field of some object, present or not: (path, object, key, kind)."""
    path, name, obj = draw(st.sampled_from(_objects(wire)))
    key = draw(st.sampled_from(sorted(_SCHEMA[name])))
    return _at(path, key), obj, key, _SCHEMA[name][key]


def _wrong_type(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key, kind = _field(draw, wire)
    base = kind.rstrip("?=")
    obj[key] = draw(_WRONG[base] if kind.endswith("?") else st.one_of(_WRONG[base], st.none()))
    return InvalidCase(wire, None, path, f"wrong type at {path}: {obj[key]!r}")


def _huge_string(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key, _ = _field(draw, wire)
    obj[key] = draw(st.sampled_from(["x", "\u00e9", "\U0001f600"])) * draw(
        st.integers(_codec.MAX_STRING_LENGTH + 1, 100_000)
    )
    return InvalidCase(wire, None, path, f"a string of {len(obj[key])} characters at {path}")


def _deep_nesting(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key, _ = _field(draw, wire)
    value: object = draw(st.sampled_from([1, "x", None]))
    as_object = draw(st.booleans())
    for _ in range(draw(st.integers(2, 500))):
        value = {"a": value} if as_object else [value]
    obj[key] = value
    return InvalidCase(wire, None, path, f"a deeply nested value at {path}")


def _unknown_key(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, name, obj = draw(st.sampled_from(_objects(wire)))
    key = draw(
        st.one_of(
            st.sampled_from(["histolgy", "dose", "Date", "extra", "egfr_status", ""]),
            st.text(min_size=1, max_size=8),
        ).filter(lambda k: k not in _SCHEMA[name])
    )
    obj[key] = draw(st.one_of(st.none(), st.integers(), st.text(max_size=5)))
    return InvalidCase(wire, None, _at(path, key), f"unknown key {key!r} in {path}")


def _missing_required(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    required = [("histology", wire, "histology")]
    required += [
        (_at(path, key), obj, key)
        for path, name, obj in _objects(wire)[1:]
        for key, kind in _SCHEMA[name].items()
        if key in obj and not kind.endswith(("?", "="))
    ]
    path, obj, key = draw(st.sampled_from(required))
    del obj[key]
    return InvalidCase(wire, None, path, f"required field {path} left out")


def _numbers(wire: Wire) -> list[tuple[str, Wire, str]]:
    """The numeric fields of a record, adding a performance status when there is none."""
    found = [
        (_at(path, key), obj, key)
        for path, name, obj in _objects(wire)
        for key, kind in _SCHEMA[name].items()
        if key in obj and kind.rstrip("?") in ("int", "number")
    ]
    if not found:
        wire["performance_status"] = {"scale": "ecog", "score": 1}
        found = [("performance_status.score", wire["performance_status"], "score")]
    return found


def _non_finite(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key = draw(st.sampled_from(_numbers(wire)))
    obj[key] = draw(_NON_FINITE)
    return InvalidCase(wire, None, path, f"{obj[key]} at {path}")


def _out_of_range(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    path, obj, key = draw(st.sampled_from(_numbers(wire)))
    bad: list[float]
    if key == "grade":
        bad = [0, 6, -1, 10**9]
    elif key == "dose_mg":
        bad = [0, -80, -0.5, 0.0, MAX_DOSE_MG + 1, 1e308]
    elif obj["scale"] == "kps":
        bad = [0, 5, 55, 110, -10]
    else:
        bad = [5, -1, 7, 10]
    obj[key] = draw(st.sampled_from(bad))
    return InvalidCase(wire, None, path, f"{path} out of range: {obj[key]}")


def _after_as_of(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    observed = [
        (_at(path, key), obj[key])
        for path, name, obj in _objects(wire)
        for key in _DATE_KEYS
        if key in obj and not (name == "therapies" and key == "start" and obj["status"] == "planned")
    ]
    if not observed:
        wire.setdefault("toxicities", []).append({"term": "other", "grade": 1, "date": "2026-01-02"})
        observed = [(f"toxicities[{len(wire['toxicities']) - 1}].date", "2026-01-02")]
    path, date = draw(st.sampled_from(observed))
    as_of = dt.date.fromisoformat(date) - dt.timedelta(days=draw(st.integers(1, 30)))
    return InvalidCase(wire, as_of, path, f"{path} after the evaluation date")


def _non_object(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    value = draw(st.one_of(st.none(), st.integers(), st.booleans(), st.just([wire]), st.sampled_from([1.5, "x"])))
    if isinstance(value, str) or draw(st.booleans()):  # a Python str is read as JSON text
        return InvalidCase(json.dumps(value), None, "$", f"JSON text of a non-object: {json.dumps(value)[:40]}")
    return InvalidCase(value, None, "$", f"a {type(value).__name__} instead of an object")


def _bad_json_text(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    text = json.dumps(wire)
    name, broken = draw(
        st.sampled_from(
            [
                ("truncated", text[: len(text) // 2]),
                ("a NaN constant", text[:-1] + ', "x": NaN}'),
                ("an Infinity constant", text[:-1] + ', "x": -Infinity}'),
                ("a duplicate key", text[:-1] + f', "histology": {json.dumps(wire["histology"])}}}'),
                ("nested 100,000 deep", "[" * 100_000 + "]" * 100_000),
                ("not UTF-8", b"\xff" + text.encode()),
            ]
        )
    )
    return InvalidCase(broken, None, "$", f"JSON text: {name}")


_START = "2026-01-10"
_INCONSISTENT_THERAPIES: dict[str, tuple[Wire, str]] = {
    "an end before the start": (
        {"agent": "other", "status": "completed", "start": _START, "end": "2026-01-09"},
        "end",
    ),
    "an end on an active therapy": (
        {"agent": "radiotherapy", "status": "active", "start": _START, "end": _START},
        "end",
    ),
    "an end on a planned therapy": ({"agent": "other", "status": "planned", "start": _START, "end": _START}, "end"),
    "an active therapy without a start": ({"agent": "other", "status": "active"}, "start"),
    "a drug without a dose": ({"agent": "cisplatin", "status": "planned"}, "dose_mg"),
    "an EGFR TKI without a dose": ({"agent": "gefitinib", "status": "planned"}, "dose_mg"),
    "radiotherapy dosed in mg": ({"agent": "radiotherapy", "status": "planned", "dose_mg": 2}, "dose_mg"),
    "pemetrexed without a route": ({"agent": "pemetrexed", "status": "planned", "dose_mg": 40}, "route"),
    "an intravenous TKI": (
        {"agent": "osimertinib", "route": "intravenous", "status": "planned", "dose_mg": 80},
        "route",
    ),
    "intrathecal carboplatin": (
        {"agent": "carboplatin", "route": "intrathecal", "status": "planned", "dose_mg": 9},
        "route",
    ),
}
"""A therapy that is invalid wherever it is added, and the field that shows it."""


def _inconsistent_therapy(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    name = draw(st.sampled_from(sorted(_INCONSISTENT_THERAPIES)))
    therapy, key = _INCONSISTENT_THERAPIES[name]
    therapies_list = wire.setdefault("therapies", [])
    therapies_list.append(dict(therapy))
    return InvalidCase(wire, None, f"therapies[{len(therapies_list) - 1}].{key}", name)


def _two_active(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    therapies_list = wire.setdefault("therapies", [])
    therapy: Wire = {"agent": draw(st.sampled_from(["erlotinib", "radiotherapy"])), "status": "active", "start": _START}
    if therapy["agent"] == "erlotinib":
        therapy["dose_mg"] = 150
    therapies_list += [therapy, dict(therapy)]
    return InvalidCase(wire, None, f"therapies[{len(therapies_list) - 1}].status", "two active regimens of one agent")


def _same_day_findings(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    key, field, first, second = draw(
        st.sampled_from(
            [
                ("neuro_exams", "symptoms", "new", "improved"),
                ("csf_cytology", "result", "negative", "positive"),
                ("mri", "leptomeningeal_enhancement", False, True),
            ]
        )
    )
    records = wire.setdefault(key, [])
    records += [{"date": _START, field: first}, {"date": _START, field: second}]
    return InvalidCase(wire, None, f"{key}[{len(records) - 1}].date", f"two {key} findings on one day")


def _bad_egfr_or_ps(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    choice = draw(st.integers(0, 2))
    if choice == 0:
        wire["egfr"] = {"status": draw(st.sampled_from(["wild_type", "unknown"])), "variants": ["L858R"]}
        return InvalidCase(wire, None, "egfr.variants", "variants without an EGFR mutation")
    if choice == 1:
        wire["egfr"] = {"status": "mutant", "variants": ["T790M", "L858R", "T790M"]}
        return InvalidCase(wire, None, "egfr.variants[2]", "a variant listed twice")
    wire["performance_status"] = {"scale": "kps", "score": draw(st.sampled_from([15, 55, 99, 11]))}
    return InvalidCase(wire, None, "performance_status.score", "a KPS not a multiple of 10")


_MUTATIONS: tuple[_Mutate, ...] = (
    _wrong_type,
    _huge_string,
    _deep_nesting,
    _unknown_key,
    _missing_required,
    _non_finite,
    _out_of_range,
    _after_as_of,
    _non_object,
    _bad_json_text,
    _inconsistent_therapy,
    _two_active,
    _same_day_findings,
    _bad_egfr_or_ps,
)


@st.composite
def _invalid_case(draw: st.DrawFn) -> InvalidCase:
    # A deep copy through JSON: the mutation must not touch the drawn value hypothesis keeps.
    wire: Wire = json.loads(json.dumps(draw(patient_dicts())))
    mutate = draw(st.sampled_from(_MUTATIONS))
    return mutate(draw, wire)._replace(kind=mutate.__name__.strip("_").replace("_", "-"))


def invalid_cases() -> st.SearchStrategy[InvalidCase]:
    """Invalid inputs made by mutating valid records, each with the path of its problem.

    Mutations: wrong JSON types, out-of-range values, NaN and infinities,
    unknown keys, huge strings, deeply nested values, required fields left
    out, cross-field inconsistencies (variants without a mutation, an end
    before the start, two active regimens of one agent and route, two findings
    on one day, ...), a date after the evaluation date, malformed JSON text,
    and JSON that is not an object.

    Returns:
        A strategy of :class:`InvalidCase`: :func:`lmtx.evaluate` must raise
        :class:`lmtx.InvalidPatient` on each, with a problem at ``path`` or
        inside it.

    Example:
        >>> import lmtx
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(invalid_cases())
        ... def test(case):
        ...     try:
        ...         lmtx.evaluate(case.payload, as_of=case.as_of)
        ...     except lmtx.InvalidPatient as error:
        ...         assert error.problems
        ...     else:
        ...         raise AssertionError(case.mutation)
        >>> test()
    """
    return _invalid_case()


def invalid_payloads() -> st.SearchStrategy[object]:
    """Payloads that :func:`lmtx.evaluate` must reject with its default evaluation date.

    Returns:
        A strategy of mappings, JSON texts and other values (see :func:`invalid_cases`).
    """
    return invalid_cases().filter(lambda case: case.as_of is None).map(lambda case: case.payload)

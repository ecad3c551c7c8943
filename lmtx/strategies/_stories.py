"""The stories some patient records tell: a treatment story (a third) and a diagnostic story (a sixth)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from lmtx.model import NSCLC_HISTOLOGIES, Agent, CytologyResult, MriResponse, Route, Symptoms, TherapyStatus
from lmtx.strategies._common import _DAY, _EPOCH, _KEY_DAYS, _LATER, Wire, _epoch_day, _values
from lmtx.strategies._records import _therapy_dict

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

# An osimertinib ended before the next began: days from its end to the next start (within
# 7 the next continues it; 8 and 30 do not), how long it ran, and why it ended (a repeated
# entry is a weight).
_GAPS = (0, 1, 3, 7, 7, 8, 30)
_DURATIONS = (0, 13, 30, 60)
_PRIOR_REASONS = (None, None, "dose-change", "dose-change", "toxicity", "other", "progression", "course-completed")


@st.composite
def _prior_osimertinib(draw: st.DrawFn, following: Wire, doses: tuple[float, ...]) -> Wire:
    """An osimertinib that ended before ``following`` (an osimertinib with a start) began.

    At the same dose, the regimen held and resumed, recorded in two pieces; at
    another, a change of dose. It is stopped (often for ``dose-change``, or
    with no reason) or completed. ``following`` starts later when the earlier
    one would otherwise end before the record's first day.
    """
    start = dt.date.fromisoformat(following["start"])
    gap = dt.timedelta(days=draw(st.sampled_from(_GAPS)))
    end = start - gap
    if end < _EPOCH:
        end = _EPOCH
        following["start"] = (end + gap).isoformat()
    begun = max(_EPOCH, end - dt.timedelta(days=draw(st.sampled_from(_DURATIONS))))
    status = draw(st.sampled_from((TherapyStatus.STOPPED, TherapyStatus.STOPPED, TherapyStatus.COMPLETED)))
    prior: Wire = {"agent": str(Agent.OSIMERTINIB), "dose_mg": draw(st.sampled_from(doses)), "status": str(status)}
    prior |= {"start": begun.isoformat(), "end": end.isoformat()}
    reason = draw(st.sampled_from(_PRIOR_REASONS))
    if reason is not None:
        prior["stop_reason"] = reason
    if draw(st.integers(1, 3)) == 3:
        prior["interval_days"] = 1
    return prior


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
def _first_line_platinum(draw: st.DrawFn, first_day: dt.date) -> Wire:
    """First-line carboplatin given with an EGFR TKI before LM (as in FLAURA2).

    Begun before the 160 mg regimen and often still running: earlier chemotherapy, never the
    document's platinum step (docs/interpretation.md#beyond-document).
    """
    begun = first_day - dt.timedelta(days=draw(st.sampled_from((1, 30, 200))))
    course: Wire = {"agent": str(Agent.CARBOPLATIN), "status": "active", "start": begun.isoformat()}
    if draw(st.booleans()):
        ended = first_day - dt.timedelta(days=draw(st.sampled_from((1, 0))))
        course.update(status=draw(st.sampled_from(("completed", "stopped"))), end=max(ended, begun).isoformat())
    return course


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
    if regimens[0].get("interval_days") == 2:
        del regimens[0]["interval_days"]  # every other day is no 160 mg regimen: the story needs one
    if draw(st.integers(1, 3)) == 3:
        # The 160 mg regimen held and resumed (its earlier piece), or begun at a lower dose.
        dose = regimens[0]["dose_mg"]
        regimens.append(draw(_prior_osimertinib(regimens[0], (dose, dose, 80, 40))))
    if draw(st.integers(1, 3)) > 1:
        # Intrathecal pemetrexed comes in courses (S07): one or two, each active, completed or
        # stopped (between courses, after toxicity), ending before, on or after the 160 mg start.
        regimens += draw(_courses(Agent.PEMETREXED, str(Route.INTRATHECAL)))
    if draw(st.integers(1, 4)) == 4:
        # Platinum, preferably with (intravenous) pemetrexed (S09).
        for agent in draw(_PLATINUM_AGENTS):
            regimens += draw(_courses(agent, None))
    running = {r["agent"] for r in regimens if r["status"] == "active"}
    if str(Agent.CARBOPLATIN) not in running and draw(st.integers(1, 5)) == 5:
        regimens.append(draw(_first_line_platinum(dt.date.fromisoformat(regimens[0]["start"]))))
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
# the symptom onset, symptoms new or worse after a negative workup, and symptoms that
# persist after it, with or without a second cytology (docs/interpretation.md#lm-status).
_EXAM_DAYS = st.lists(st.sampled_from((*_KEY_DAYS, 45, 60, 120)), min_size=1, max_size=6, unique=True)
_MOSTLY_NEGATIVE_MRI = st.fixed_dictionaries(
    {"leptomeningeal_enhancement": st.sampled_from((False, False, False, True))},
    optional={"response": _values(MriResponse)},
)
_MOSTLY_NEGATIVE_CYTOLOGY = st.fixed_dictionaries(
    {"result": st.sampled_from(("negative", "negative", "equivocal", "positive"))}
)
_CLEAN_MRI = st.fixed_dictionaries(
    {"leptomeningeal_enhancement": st.just(False)}, optional={"response": _values(MriResponse)}
)
_NOT_POSITIVE_CYTOLOGY = st.fixed_dictionaries({"result": st.sampled_from(("negative", "equivocal"))})
_WORKUP_FINDINGS = (("mri", _MOSTLY_NEGATIVE_MRI), ("csf_cytology", _MOSTLY_NEGATIVE_CYTOLOGY))


@st.composite
def _diagnosis(draw: st.DrawFn, wire: Wire) -> Wire:
    days = sorted(_epoch_day(n) for n in draw(_EXAM_DAYS))
    wire["neuro_exams"] = [{"date": day.isoformat(), "symptoms": draw(_values(Symptoms))} for day in days]
    for key, finding in _WORKUP_FINDINGS:
        found = draw(st.lists(st.one_of(st.sampled_from(days), _DAY), max_size=2, unique=True))
        wire[key] = [{"date": day.isoformat(), **draw(finding)} for day in found]
    workup = [dt.date.fromisoformat(r["date"]) for key, _ in _WORKUP_FINDINGS for r in wire[key]]
    after_the_workup = draw(st.integers(1, 3))
    if workup and after_the_workup == 2:
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
    elif after_the_workup == 1:
        # Symptoms that began by the first test and persist after a workup of one MRI and one
        # CSF cytology, on its last day or later (one negative cytology often misses LM: it stays
        # suspected until a second one; an equivocal one until it is repeated), sometimes with
        # that second cytology.
        first = min(workup, default=days[0])
        onset = max(_EPOCH, first - dt.timedelta(days=draw(st.sampled_from((0, 2)))))
        done = first + dt.timedelta(days=draw(st.sampled_from((0, 3))))
        later = done + dt.timedelta(days=draw(st.sampled_from((1, 0, 30, 120))))
        wire["neuro_exams"] = [e for e in wire["neuro_exams"] if e["date"] < onset.isoformat()]
        _put(wire, "neuro_exams", {"date": onset.isoformat(), "symptoms": draw(st.sampled_from(("new", "worsened")))})
        _put(wire, "neuro_exams", {"date": later.isoformat(), "symptoms": "persistent"})
        mri_first = draw(st.booleans())
        wire["mri"] = [{"date": (first if mri_first else done).isoformat(), **draw(_CLEAN_MRI)}]
        sample = {"date": (done if mri_first else first).isoformat(), **draw(_NOT_POSITIVE_CYTOLOGY)}
        wire["csf_cytology"] = [sample]
        if draw(st.booleans()):
            again = later + dt.timedelta(days=draw(st.sampled_from((0, 5))))
            _put(wire, "csf_cytology", {"date": again.isoformat(), **draw(_MOSTLY_NEGATIVE_CYTOLOGY)})
    return wire

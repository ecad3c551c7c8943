"""A tolerance story: osimertinib stopped or reduced around a toxicity, and what followed (a sixth of the records).

docs/interpretation.md#tolerable-dose reads stops for toxicity (with a reason
or without, reductions, withholds, re-escalations), the toxicities linked to
them, intrathecal courses held for an event since they began, planned TKIs and
TKIs given above their standard doses. Records drawn at random reach these
only rarely: this story puts a stop next to a toxicity, then draws what the
team did next and when the record is read.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from lmtx.model import NSCLC_HISTOLOGIES, Agent, Route
from lmtx.strategies._common import _DAY, _EPOCH, Wire
from lmtx.strategies._stories import _ESTABLISHING, _FOLLOW_UPS, _put

_DOSES = (160, 160, 80, 80, 40, 240, 120)
_REASONS = ("toxicity", "toxicity", None, None, "dose-change", "progression", "other")
_TERMS = ("rash", "other", "neutropenia", "thrombocytopenia", "fatigue", "aseptic_meningitis", "anemia")
_GRADES = (2, 3, 3, 4, 5)
_NEXT = ("none", "none", "lower", "lower", "same-later", "same-soon", "higher")
"""What the team did after the stop: nothing (a withhold, or a stop), a lower dose within 7 days (a
reduction), the same dose after 8-25 days (past a 7-day link, within the label's 21), or soon, or more."""
_COURSE_REASONS = (None, "toxicity", "other", "progression", "course-completed", "dose-change")
_PLANS = (
    {"agent": "osimertinib", "dose_mg": 80},
    {"agent": "osimertinib", "dose_mg": 160},
    {"agent": "gefitinib", "dose_mg": 250},
    {"agent": "dacomitinib", "dose_mg": 90},
    {"agent": "furmonertinib", "dose_mg": 160},
    {"agent": "icotinib", "dose_mg": 125},
    {"agent": "erlotinib"},
)
_OTHER_TKIS = (
    {"agent": "erlotinib", "dose_mg": 150},
    {"agent": "erlotinib", "dose_mg": 1500, "interval_days": 7},
    {"agent": "gefitinib"},
    {"agent": "icotinib", "dose_mg": 125},
    {"agent": "other", "drug_class": "egfr-tki", "name": "study TKI"},
)


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _later(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


@st.composite
def _stop(draw: st.DrawFn, first: dt.date) -> Wire:
    """An osimertinib stopped (now and then completed) after a while, often for toxicity."""
    end = _later(first, draw(st.sampled_from((0, 20, 60, 150))))
    stop: Wire = {"agent": "osimertinib", "dose_mg": draw(st.sampled_from(_DOSES)), "start": _iso(first)}
    stop["status"] = draw(st.sampled_from(("stopped", "stopped", "stopped", "completed")))
    if draw(st.integers(1, 6)) > 1:
        stop["end"] = _iso(end)
    reason = draw(st.sampled_from(_REASONS))
    if reason is not None:
        stop["stop_reason"] = reason
    return stop


@st.composite
def _toxicity_near(draw: st.DrawFn, day: dt.date, agents: list[str]) -> Wire:
    """A toxicity dated around a day (or undated), sometimes attributed to an agent of the record."""
    toxicity: Wire = {"term": draw(st.sampled_from(_TERMS)), "grade": draw(st.sampled_from(_GRADES))}
    if draw(st.integers(1, 6)) > 1:
        toxicity["date"] = _iso(_later(day, draw(st.sampled_from((-40, -10, -2, 0, 3, 8)))))
    if draw(st.integers(1, 4)) == 4:
        toxicity["attributed_to"] = [draw(st.sampled_from(agents))]
    return toxicity


@st.composite
def _next(draw: st.DrawFn, stop: Wire) -> list[Wire]:
    """What followed a stop: nothing, a reduction, the same dose again, a higher dose, or a plan."""
    after = draw(st.sampled_from(_NEXT))
    ended = dt.date.fromisoformat(str(stop.get("end", stop["start"])))
    dose = stop["dose_mg"]
    if after == "none":
        return []
    if after == "lower":
        days, new = draw(st.sampled_from((0, 1, 7))), draw(st.sampled_from((80, 40, 20)))
        new = min(new, dose // 2)
    elif after == "same-later":
        days, new = draw(st.sampled_from((8, 15, 21, 25))), dose
    elif after == "same-soon":
        days, new = draw(st.sampled_from((0, 3))), dose
    else:
        days, new = draw(st.sampled_from((1, 10))), dose * 2
    following: Wire = {"agent": "osimertinib", "dose_mg": new, "start": _iso(_later(ended, days))}
    status = draw(st.sampled_from(("active", "active", "active", "stopped", "planned")))
    following["status"] = status
    if status == "stopped":
        following["end"] = _iso(_later(ended, days + draw(st.sampled_from((5, 40)))))
        following["stop_reason"] = draw(st.sampled_from(("progression", "toxicity", "dose-change")))
    if status == "planned" and draw(st.booleans()):
        del following["start"]
    return [following]


@st.composite
def _course(draw: st.DrawFn, first: dt.date) -> tuple[Wire, Wire | None]:
    """An intrathecal pemetrexed course on the regimen, and now and then a cytopenia since it began."""
    begun = _later(first, draw(st.sampled_from((0, 30, 60))))
    course: Wire = {"agent": "pemetrexed", "route": str(Route.INTRATHECAL), "dose_mg": 50, "start": _iso(begun)}
    course["status"] = draw(st.sampled_from(("active", "completed", "stopped")))
    if course["status"] != "active":
        course["end"] = _iso(_later(begun, draw(st.sampled_from((0, 10, 20)))))
        reason = draw(st.sampled_from(_COURSE_REASONS))
        if reason is not None:
            course["stop_reason"] = reason
    toxicity: Wire | None = None
    if draw(st.booleans()):
        toxicity = {
            "term": draw(st.sampled_from(("neutropenia", "thrombocytopenia", "anemia", "aseptic_meningitis"))),
            "grade": draw(st.sampled_from((2, 3, 4))),
            "date": _iso(_later(begun, draw(st.sampled_from((-5, 0, 9))))),
        }
    return course, toxicity


@st.composite
def _tolerance_story(draw: st.DrawFn, wire: Wire) -> Wire:
    """EGFR-mutant NSCLC with LM or brain metastases, an osimertinib stop around a toxicity, and what followed."""
    wire["histology"] = str(draw(st.sampled_from(sorted(NSCLC_HISTOLOGIES))))
    wire["egfr"] = {"status": "mutant"}
    # The story's own dates make the evaluation date: often within the label's 21 days of the stop.
    for key in ("neuro_exams", "csf_cytology", "mri", "toxicities"):
        wire.pop(key, None)
    establishing = draw(_ESTABLISHING)
    if establishing is None:
        wire["brain_metastases"] = True
    else:
        _put(wire, establishing[0], {"date": _EPOCH.isoformat(), **establishing[1]})
    first = max(_EPOCH, draw(_DAY))
    stop = draw(_stop(first))
    regimens = [stop, *draw(_next(stop))]
    agents = ["osimertinib"]
    if draw(st.booleans()):
        course, cytopenia = draw(_course(first))
        regimens.append(course)
        agents.append("pemetrexed")
        if cytopenia is not None:
            wire["toxicities"] = [*wire.get("toxicities", []), cytopenia]
    if draw(st.integers(1, 4)) == 4:
        plan: Wire = {**draw(st.sampled_from(_PLANS)), "status": "planned"}
        if plan["agent"] != "osimertinib" or not any(r["status"] == "planned" for r in regimens):
            regimens.append(plan)
    if draw(st.integers(1, 5)) == 5:
        regimens.append({**draw(st.sampled_from(_OTHER_TKIS)), "status": "active", "start": _iso(first)})
    if draw(st.integers(1, 5)) == 5:
        regimens.append({"agent": str(Agent.RADIOTHERAPY), "status": "planned"})
    near = dt.date.fromisoformat(stop.get("end", stop["start"]))
    toxicities = [draw(_toxicity_near(near, agents)) for _ in range(draw(st.integers(0, 2)))]
    wire["toxicities"] = [*wire.get("toxicities", []), *toxicities]
    wire["therapies"] = draw(st.permutations(regimens))
    for key, follow_up in _FOLLOW_UPS:
        if draw(st.booleans()):
            day = _iso(_later(near, draw(st.sampled_from((-30, 0, 5, 19, 40)))))
            if day >= _EPOCH.isoformat():
                wire[key] = [r for r in wire.get(key, []) if r["date"] < day] + [{"date": day, **draw(follow_up)}]
    return wire

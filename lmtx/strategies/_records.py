"""Strategies for the records of a patient, one at a time, as wire dicts.

Performance status, neurological exams, CSF cytologies, MRIs, toxicities and therapies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hypothesis import strategies as st

from lmtx._validate import MAX_DOSE_MG, MAX_INTERVAL_DAYS, MAX_NAME_LENGTH
from lmtx.drugs import DOSE_REQUIRED, DRUGS, allowed_routes
from lmtx.model import (
    Agent,
    CytologyResult,
    DrugClass,
    MriResponse,
    StopReason,
    Symptoms,
    TherapyStatus,
    ToxicityTerm,
)
from lmtx.strategies._common import Wire, _iso, _maybe, _values, dates

_OSIMERTINIB_DOSES: tuple[float, ...] = (160, 160, 160.0, 240, 200, 80, 40, 159.5, 159.9995, 159.9999999, 120, 20.0)
_CLINICAL_DOSES: tuple[float, ...] = (1, 10, 30, 40, 50, 75, 80, 150, 250, 500, 1000)


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
    return st.builds(_assessment, _SCORES, st.one_of(st.none(), when.map(_iso)))


_SCORES = st.one_of(
    st.tuples(st.just("ecog"), st.integers(0, 4)),
    st.tuples(st.just("kps"), st.integers(1, 10).map(lambda n: n * 10)),
)


def _assessment(scale_score: tuple[str, int], date: str | None) -> Wire:
    return _maybe({"scale": scale_score[0], "score": scale_score[1]}, "date", date, bool(date))


def _performance_status_history(day: st.SearchStrategy[dt.date]) -> st.SearchStrategy[list[Wire]]:
    """A performance-status history: two or three assessments, each dated, at most one a day, in any order."""
    return st.lists(
        st.builds(_assessment, _SCORES, day.map(_iso)), min_size=2, max_size=3, unique_by=lambda ps: ps["date"]
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


def toxicity_dicts(
    day: st.SearchStrategy[dt.date] | None = None, agents: Sequence[Agent | str] | None = None
) -> st.SearchStrategy[Wire]:
    """One adverse event: every term, CTCAE grade 1-5, with or without a date.

    Args:
        day: Dates to draw from (default :func:`dates`).
        agents: The agents of the record's therapies. With them, the event is
            often attributed (``attributed_to``) to one or more of them;
            without them (the default), never: an attribution must name
            a therapy of the record.

    Returns:
        A strategy of wire dicts such as
        ``{"term": "rash", "grade": 3, "attributed_to": ["osimertinib"]}``.

    Example:
        >>> from hypothesis import given
        >>> @given(toxicity_dicts(agents=["osimertinib", "pemetrexed"]))
        ... def test(toxicity):
        ...     assert set(toxicity.get("attributed_to", ["osimertinib"])) <= {"osimertinib", "pemetrexed"}
        >>> test()
    """
    when = day if day is not None else dates()
    optional: dict[str, st.SearchStrategy[object]] = {"date": when.map(_iso)}
    names = sorted({str(agent) for agent in agents or ()})
    if names:
        optional["attributed_to"] = st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)
    return st.fixed_dictionaries({"term": _values(ToxicityTerm), "grade": st.integers(1, 5)}, optional=optional)


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
_ROUTE_REQUIRED = frozenset(agent for agent in DRUGS if len(allowed_routes(agent)) > 1)
"""Agents that must name their route (pemetrexed, methotrexate, cytarabine, thiotepa)."""

# The fields of the 2026-12 revision, each drawn at a moderate rate (the smallest draw
# means "leave it out", as hypothesis favours it).
_NAMES = st.one_of(
    st.sampled_from(("Tagrisso", "anlotinib", "savolitinib", "trial drug LM-01", "Alimta", "x")),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=MAX_NAME_LENGTH),
)
_USUAL_INTERVALS = (1, 7, 14, 21, 28)
_INTERVALS = st.one_of(st.sampled_from(_USUAL_INTERVALS), st.integers(1, MAX_INTERVAL_DAYS))
_ENDED = (TherapyStatus.COMPLETED, TherapyStatus.STOPPED)


def _interval(draw: st.DrawFn, agent: Agent) -> int | None:
    """Days between doses: for osimertinib mostly absent or 1 (daily), sometimes 2; any for other drugs."""
    if agent is Agent.RADIOTHERAPY:
        return None
    chance = draw(st.integers(1, 12))
    if agent is Agent.OSIMERTINIB:
        return None if chance <= 8 else 1 if chance <= 11 else 2
    return None if chance <= 8 else draw(_INTERVALS)


def _details(draw: st.DrawFn, agent: Agent, status: TherapyStatus) -> Wire:
    """Name, drug class, interval and stop reason: each where it may be, often left out."""
    details: Wire = {}
    if draw(st.integers(1, 6 if agent is not Agent.OTHER else 2)) == 1:
        details["name"] = draw(_NAMES)
    if agent is Agent.OTHER and (chance := draw(st.integers(1, 5))) > 2:
        # `other` of class egfr-tki counts as an EGFR TKI: the class given most often.
        details["drug_class"] = str(DrugClass.EGFR_TKI) if chance == 3 else draw(_values(DrugClass))
    interval = _interval(draw, agent)
    _maybe(details, "interval_days", interval, interval is not None)
    if status in _ENDED and draw(st.integers(1, 2)) == 2:
        details["stop_reason"] = draw(_values(StopReason))
    return details


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
    # Agents given by more than one route must name it; the others may leave it out.
    if agent in _ROUTE_REQUIRED or draw(st.booleans()):
        wire["route"] = draw(_ROUTES[agent])
    # Osimertinib's dose is required (the rules read it); other drugs mostly have one, `other` half the time.
    dosed = (agent in DRUGS and draw(st.integers(1, 6)) > 1) or (agent is Agent.OTHER and draw(st.booleans()))
    if agent in DOSE_REQUIRED or dosed:
        wire["dose_mg"] = draw(_DOSES[agent])
    # A plan may have no start yet, or a start after the evaluation date.
    start = draw(st.one_of(st.none(), day, later)) if status is TherapyStatus.PLANNED else draw(day)
    if start is not None:
        wire["start"] = start.isoformat()
    if start is not None and status in _ENDED and draw(st.booleans()):
        wire["end"] = max(start, draw(day)).isoformat()
    return {**wire, **_details(draw, agent, status)}


def therapy_dicts(
    agents: Sequence[Agent] | None = None,
    statuses: Sequence[TherapyStatus] | None = None,
    day: st.SearchStrategy[dt.date] | None = None,
) -> st.SearchStrategy[Wire]:
    """One therapy regimen that passes lmtx's checks on its own.

    A start is present unless planned (a planned start may be missing or lie
    in the future); an end only for completed or stopped therapies, never
    before the start; osimertinib always has a dose, other drugs mostly,
    radiotherapy never; routes fit the agent and are left out at random
    except for the agents given by more than one route (pemetrexed,
    methotrexate, cytarabine, thiotepa), which must name one. Often left
    out: a ``name`` (1-128 characters), a ``drug_class`` (agent ``other``
    only, often ``egfr-tki``), ``interval_days`` (drugs only; for
    osimertinib 1 or 2), and a ``stop_reason`` (completed or stopped only).

    Args:
        agents: Agents to draw from (default: all).
        statuses: Statuses to draw from (default: all).
        day: Dates to draw from (default :func:`dates`).

    Returns:
        A strategy of wire dicts such as
        ``{"agent": "osimertinib", "dose_mg": 160, "status": "active", "start": "2026-01-12"}``.

    Example:
        >>> from hypothesis import given
        >>> @given(therapy_dicts(agents=[Agent.METHOTREXATE, Agent.THIOTEPA]))
        ... def test(therapy):
        ...     assert therapy["route"] in ("intrathecal", "intravenous")
        ...     assert "stop_reason" not in therapy or therapy["status"] in ("completed", "stopped")
        >>> test()
    """
    when = day if day is not None else dates()
    return _therapy_dict(
        tuple(agents or Agent),
        tuple(statuses or TherapyStatus),
        when,
        when.map(lambda d: d + dt.timedelta(days=400)),
    )

"""Strategies for the records of a patient, one at a time, as wire dicts.

Performance status, neurological exams, CSF cytologies, MRIs, toxicities and therapies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hypothesis import strategies as st

from lmtx._validate import DRUGS, MAX_DOSE_MG, allowed_routes
from lmtx.model import Agent, CytologyResult, MriResponse, Symptoms, TherapyStatus, ToxicityTerm
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

"""Typed building blocks: the record strategies, structured into lmtx's model classes."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from lmtx import _codec
from lmtx.model import (
    Agent,
    CsfCytology,
    MriAssessment,
    NeuroExam,
    PerformanceStatus,
    Therapy,
    TherapyStatus,
    Toxicity,
)
from lmtx.strategies._common import T, Wire
from lmtx.strategies._records import (
    csf_cytology_dicts,
    mri_dicts,
    neuro_exam_dicts,
    performance_status_dicts,
    therapy_dicts,
    toxicity_dicts,
)


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


def toxicities(agents: Sequence[Agent | str] | None = None) -> st.SearchStrategy[Toxicity]:
    """Typed :class:`lmtx.Toxicity` values (see :func:`toxicity_dicts`).

    Args:
        agents: The agents of the record's therapies, to attribute some
            toxicities to (default: none, and no attribution).

    Returns:
        A strategy of :class:`lmtx.Toxicity`.
    """
    return _typed(toxicity_dicts(agents=agents), Toxicity)

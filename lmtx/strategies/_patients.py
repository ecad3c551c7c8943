"""Whole patient records (wire dicts and typed), and valid evaluation cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from hypothesis import strategies as st

from lmtx import _codec
from lmtx.model import (
    NSCLC_HISTOLOGIES,
    Agent,
    CsfFlow,
    EgfrStatus,
    EgfrVariant,
    Histology,
    Patient,
    Route,
    SystemicDisease,
    TherapyStatus,
)
from lmtx.strategies._common import _DAY, _LATER, _SHIFT, Wire, _maybe, _values, dates
from lmtx.strategies._records import (
    _performance_status_history,
    _therapy_dict,
    csf_cytology_dicts,
    mri_dicts,
    neuro_exam_dicts,
    performance_status_dicts,
    toxicity_dicts,
)
from lmtx.strategies._stories import _diagnosis, _prior_osimertinib, _story
from lmtx.strategies._tolerance import _tolerance_story


class EvaluationCase(NamedTuple):
    """A valid patient and an evaluation date it is valid for.

    Attributes:
        patient: A wire-format dict, or a :class:`lmtx.Patient` (``typed=True``).
        as_of: ``None`` (evaluate at the latest date in the record) or a date
            on or after every observed date of the record.
    """

    patient: Any
    as_of: dt.date | None


# --- Whole patients --------------------------------------------------------------------------
#
# Dates are drawn as record days (_common: _DAY, _LATER) and the whole record is then
# moved by _shift.

_PERFORMANCE_STATUS = performance_status_dicts(_DAY)
_PERFORMANCE_STATUS_HISTORY = _performance_status_history(_DAY)
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
_DATED_FACTS = (
    ("brain_metastases_date", "brain_metastases", (None, False)),
    ("csf_flow_date", "csf_flow", (None, str(CsfFlow.UNKNOWN))),
    ("systemic_disease_date", "systemic_disease", (None, str(SystemicDisease.UNKNOWN))),
)
"""Each date field, the fact it dates, and the values of that fact it cannot date."""
_MOSTLY_ACTIVE = (TherapyStatus.ACTIVE,) * 5 + (TherapyStatus.PLANNED, TherapyStatus.COMPLETED, TherapyStatus.STOPPED)
_NOT_ACTIVE = (TherapyStatus.PLANNED, TherapyStatus.COMPLETED, TherapyStatus.STOPPED)
_REGIMEN_STATUSES = (TherapyStatus.ACTIVE, TherapyStatus.ACTIVE, *TherapyStatus)


def _moved(date: str, days: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=days)).isoformat()


def _shift(wire: Wire, days: int) -> Wire:
    """Move every date of a record by ``days``."""
    for key, _, _ in _DATED_FACTS:
        if key in wire:
            wire[key] = _moved(wire[key], days)
    for key in ("performance_status", *(name for name, _ in _ASSESSMENTS), "therapies", "toxicities"):
        value = wire.get(key)
        for record in value if isinstance(value, list) else [value] if value else []:
            for field in ("date", "start", "end"):
                if field in record:
                    record[field] = _moved(record[field], days)
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


_NEWER_TKIS = (
    Agent.ICOTINIB,
    Agent.LAZERTINIB,
    Agent.AUMOLERTINIB,
    Agent.FURMONERTINIB,
    Agent.BEFOTERTINIB,
    Agent.SUNVOZERTINIB,
)
_OTHER_CHEMOTHERAPIES = (Agent.DOCETAXEL, Agent.PACLITAXEL, Agent.GEMCITABINE, Agent.TEMOZOLOMIDE)

# One slot per agent and route that lmtx checks for overlap (agents, route, chance in eighths,
# statuses): at most one active regimen of each, osimertinib and intrathecal pemetrexed most often.
# (hypothesis draws the smallest value of a choice more often than the others: in every
# choice below, the smallest value means "leave it out".)
_SLOTS: tuple[tuple[tuple[Agent, ...], Route | None, int, tuple[TherapyStatus, ...]], ...] = (
    ((Agent.OSIMERTINIB,), None, 6, _MOSTLY_ACTIVE),
    ((Agent.OSIMERTINIB,), None, 2, _NOT_ACTIVE),  # an earlier regimen (a dose changed, a pause)
    ((Agent.GEFITINIB, Agent.DACOMITINIB), None, 3, _REGIMEN_STATUSES),
    ((Agent.ERLOTINIB, Agent.AFATINIB), None, 2, _REGIMEN_STATUSES),
    (_NEWER_TKIS, None, 1, _REGIMEN_STATUSES),
    ((Agent.PEMETREXED,), Route.INTRATHECAL, 5, _MOSTLY_ACTIVE),
    ((Agent.PEMETREXED,), Route.INTRAVENOUS, 2, _REGIMEN_STATUSES),
    ((Agent.CARBOPLATIN,), None, 1, tuple(TherapyStatus)),
    ((Agent.CISPLATIN,), None, 1, tuple(TherapyStatus)),
    (_OTHER_CHEMOTHERAPIES, None, 1, tuple(TherapyStatus)),
    ((Agent.METHOTREXATE, Agent.CYTARABINE, Agent.THIOTEPA), None, 2, tuple(TherapyStatus)),
    ((Agent.BEVACIZUMAB, Agent.AMIVANTAMAB), None, 1, tuple(TherapyStatus)),
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
        # One assessment, now and then a history of two or three, rarely an empty history.
        kind = draw(st.integers(1, 12))
        ps = _PERFORMANCE_STATUS if kind <= 8 else _PERFORMANCE_STATUS_HISTORY if kind <= 11 else st.just([])
        wire["performance_status"] = draw(ps)
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
    elif story == 3:
        wire = draw(_tolerance_story(wire))
    else:
        _follow_an_earlier_osimertinib(draw, wire)
    _date_the_facts(draw, wire)
    _name_active_others_apart(wire.get("therapies", []))
    _attribute_toxicities(draw, wire)
    return _shift(wire, draw(_SHIFT))


def _follow_an_earlier_osimertinib(draw: st.DrawFn, wire: Wire) -> None:
    """Now and then, an osimertinib ended shortly before the active one began (a dose changed, a pause)."""
    current = [t for t in wire.get("therapies", []) if t["agent"] == "osimertinib" and t["status"] == "active"]
    if current and draw(st.integers(1, 4)) == 4:
        wire["therapies"].append(draw(_prior_osimertinib(current[0], (80, 160, 40, 120))))


def _date_the_facts(draw: st.DrawFn, wire: Wire) -> None:
    """Date half the facts that can be dated: brain metastases, a flow study, an assessment of systemic disease."""
    for key, fact, undated in _DATED_FACTS:
        if wire.get(fact) not in undated and draw(st.booleans()):
            wire[key] = draw(_DAY).isoformat()


def _name_active_others_apart(therapies: list[Wire]) -> None:
    """Two active `other` drugs named alike on one route are one regimen twice: unname the later ones."""
    seen: set[tuple[str | None, str]] = set()
    for therapy in therapies:
        if therapy["agent"] == "other" and therapy["status"] == "active" and "name" in therapy:
            key = (therapy.get("route"), therapy["name"])
            if key in seen:
                del therapy["name"]
            seen.add(key)


def _attribute_toxicities(draw: st.DrawFn, wire: Wire) -> None:
    """Attribute a third of the toxicities to agents of the record's therapies."""
    agents = sorted({therapy["agent"] for therapy in wire.get("therapies", [])})
    for toxicity in wire.get("toxicities", []) if agents else ():
        if draw(st.integers(1, 3)) == 3:
            toxicity["attributed_to"] = draw(st.lists(st.sampled_from(agents), min_size=1, max_size=3, unique=True))


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
    found: list[str] = [wire[key] for key, _, _ in _DATED_FACTS if key in wire]
    ps = wire.get("performance_status")
    found += [
        assessment["date"]
        for assessment in (ps if isinstance(ps, list) else [ps] if ps else [])
        if "date" in assessment
    ]
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

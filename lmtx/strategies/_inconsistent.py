"""Invalid input, cross-field: valid records made inconsistent, each with the path where lmtx reports it.

A therapy invalid in itself, two active regimens of one agent, two findings of one
kind on one day, EGFR variants or a KPS that cannot be, a toxicity attributed to an
agent no therapy of the record has, a performance-status history without dates or
with two on one day, and a date field without the fact it dates.
"""

from __future__ import annotations

from hypothesis import strategies as st

from lmtx.model import Agent
from lmtx.strategies._common import InvalidCase, Wire

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
    "osimertinib without a dose": ({"agent": "osimertinib", "status": "planned"}, "dose_mg"),
    "osimertinib with a null dose": ({"agent": "osimertinib", "status": "planned", "dose_mg": None}, "dose_mg"),
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
    **{
        f"{agent} without a route": ({"agent": agent, "status": "planned"}, "route")
        for agent in ("methotrexate", "cytarabine", "thiotepa")
    },
    "a drug class on a listed agent": (
        {"agent": "icotinib", "status": "planned", "drug_class": "egfr-tki"},
        "drug_class",
    ),
    "a drug class on a listed chemotherapy": (
        {"agent": "docetaxel", "status": "planned", "drug_class": "chemotherapy"},
        "drug_class",
    ),
    "a drug class on radiotherapy": (
        {"agent": "radiotherapy", "status": "planned", "drug_class": "other"},
        "drug_class",
    ),
    "a stop reason on an active therapy": (
        {"agent": "erlotinib", "status": "active", "start": _START, "stop_reason": "toxicity"},
        "stop_reason",
    ),
    "a stop reason on a planned therapy": (
        {"agent": "osimertinib", "status": "planned", "dose_mg": 80, "stop_reason": "dose-change"},
        "stop_reason",
    ),
    "an interval of 0 days": ({"agent": "gemcitabine", "status": "planned", "interval_days": 0}, "interval_days"),
    "an interval of 366 days": ({"agent": "other", "status": "planned", "interval_days": 366}, "interval_days"),
    "a negative interval": ({"agent": "lazertinib", "status": "planned", "interval_days": -1}, "interval_days"),
    "an interval on radiotherapy": (
        {"agent": "radiotherapy", "status": "planned", "interval_days": 7},
        "interval_days",
    ),
    "an empty name": ({"agent": "other", "status": "planned", "name": ""}, "name"),
    "a name of 129 characters": ({"agent": "other", "status": "planned", "name": "n" * 129}, "name"),
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


def _unattributed_toxicity(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    """A toxicity attributed to an agent that no therapy of the record has (or to none at all)."""
    in_record = {therapy["agent"] for therapy in wire.get("therapies", [])}
    absent = sorted(str(agent) for agent in Agent if str(agent) not in in_record)
    toxicities = wire.setdefault("toxicities", [])
    if not toxicities or draw(st.booleans()):
        toxicities.append({"term": draw(st.sampled_from(["rash", "fatigue", "other"])), "grade": 2})
    i = draw(st.integers(0, len(toxicities) - 1))
    if not absent or draw(st.integers(1, 6)) == 1:
        toxicities[i]["attributed_to"] = []
        return InvalidCase(wire, None, f"toxicities[{i}].attributed_to", "a toxicity attributed to no agent")
    named = sorted(in_record)[:1] if bool(in_record) and draw(st.booleans()) else []
    stranger = draw(st.sampled_from(absent))
    j = draw(st.integers(0, len(named)))
    named.insert(j, stranger)
    toxicities[i]["attributed_to"] = named
    return InvalidCase(
        wire, None, f"toxicities[{i}].attributed_to[{j}]", f"a toxicity attributed to {stranger}, not given"
    )


def _ps_history_without_dates(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    """A performance-status history of two or three with an item undated, or two items on one day."""
    size = draw(st.integers(2, 3))
    history: list[Wire] = [
        {"scale": "ecog", "score": draw(st.integers(0, 4)), "date": f"2026-01-{10 + n:02d}"} for n in range(size)
    ]
    i = draw(st.integers(0, size - 1))
    if draw(st.booleans()):
        del history[i]["date"]
        mutation = "a performance-status history with an undated item"
    else:
        j = draw(st.integers(0, size - 1).filter(lambda j: j != i))
        i, j = max(i, j), min(i, j)  # the later item is the one reported
        history[i]["date"] = history[j]["date"]
        mutation = "a performance-status history with two items on one day"
    wire["performance_status"] = history
    return InvalidCase(wire, None, f"performance_status[{i}].date", mutation)


_UNDATED: dict[str, tuple[str, list[str | bool | None]]] = {
    "brain_metastases_date": ("brain_metastases", [False, None]),
    "csf_flow_date": ("csf_flow", ["unknown", None]),
    "systemic_disease_date": ("systemic_disease", ["unknown", None]),
}
"""Each date field, the fact it dates, and values of the fact (``None``: left out) that it cannot date."""


def _date_without_fact(draw: st.DrawFn, wire: Wire) -> InvalidCase:
    """A date field with no fact to date: no brain metastases, an unknown flow or systemic disease."""
    key = draw(st.sampled_from(sorted(_UNDATED)))
    fact, values = _UNDATED[key]
    value = draw(st.sampled_from(values))
    if value is None:
        wire.pop(fact, None)
    else:
        wire[fact] = value
    wire[key] = _START
    return InvalidCase(wire, None, key, f"{key} with {fact} {'left out' if value is None else value}")

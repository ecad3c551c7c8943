"""An independent reading of "the record on day d", on the wire form (the oracle of the timeline properties).

It works on JSON dicts, not on the model, so that a mistake in
:mod:`lmtx.course.record` is not repeated here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

_ORAL = ("osimertinib", "gefitinib", "erlotinib", "afatinib", "dacomitinib", "icotinib", "lazertinib")
_ORAL += ("aumolertinib", "furmonertinib", "befotertinib", "sunvozertinib", "temozolomide")
_INTRAVENOUS = ("carboplatin", "cisplatin", "docetaxel", "paclitaxel", "gemcitabine", "bevacizumab", "amivantamab")
_SINGLE_ROUTE = {
    **dict.fromkeys(_ORAL, "oral"),
    **dict.fromkeys(_INTRAVENOUS, "intravenous"),
    "radiotherapy": "external_beam",
}


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _ps_items(wire: dict[str, Any]) -> list[dict[str, Any]]:
    ps = wire.get("performance_status")
    if ps is None:
        return []
    return list(ps) if isinstance(ps, list) else [ps]


_DATED_FACTS = {
    "brain_metastases_date": ("brain_metastases", False),
    "csf_flow_date": ("csf_flow", "unknown"),
    "systemic_disease_date": ("systemic_disease", "unknown"),
}
"""Each date field, with the fact it dates and that fact's value before the date."""


def record_dates(wire: dict[str, Any]) -> list[dt.date]:
    """Every distinct date the course has a step for (before adding as_of)."""
    found: set[dt.date] = set()
    for key in ("neuro_exams", "csf_cytology", "mri"):
        found.update(dt.date.fromisoformat(r["date"]) for r in wire.get(key, ()))
    for therapy in wire.get("therapies", ()):
        if therapy["status"] != "planned":
            if therapy.get("start"):
                found.add(dt.date.fromisoformat(therapy["start"]))
            if therapy.get("end"):
                found.add(dt.date.fromisoformat(therapy["end"]) + dt.timedelta(days=1))
    found.update(dt.date.fromisoformat(ps["date"]) for ps in _ps_items(wire) if ps.get("date"))
    found.update(dt.date.fromisoformat(t["date"]) for t in wire.get("toxicities", ()) if t.get("date"))
    found.update(dt.date.fromisoformat(wire[field]) for field in _DATED_FACTS if wire.get(field))
    return sorted(found)


def _drug(therapy: dict[str, Any]) -> tuple[str, str | None, str | None] | None:
    """Agent, route and (for `other`) name: one drug; ``None`` for an unnamed `other` (never grouped)."""
    agent = therapy["agent"]
    if agent == "other":
        return None if not therapy.get("name") else (agent, therapy.get("route"), therapy["name"])
    return (agent, therapy.get("route", _SINGLE_ROUTE.get(agent)), None)


def wire_on(wire: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The wire record as known on ``day`` (a day before the last step)."""
    dropped = ("neuro_exams", "csf_cytology", "mri", "therapies", "toxicities", "performance_status")
    out = {k: v for k, v in wire.items() if k not in dropped}
    for key in ("neuro_exams", "csf_cytology", "mri"):
        out[key] = [r for r in wire.get(key, ()) if dt.date.fromisoformat(r["date"]) <= day]
    known_ps = [ps for ps in _ps_items(wire) if ps.get("date") and dt.date.fromisoformat(ps["date"]) <= day]
    if known_ps:
        out["performance_status"] = known_ps if isinstance(wire["performance_status"], list) else known_ps[0]
    for field, (fact, before) in _DATED_FACTS.items():
        if wire.get(field) and dt.date.fromisoformat(wire[field]) > day:
            del out[field]
            out[fact] = before
    running: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
    kept: dict[int, dict[str, Any]] = {}
    for position, therapy in enumerate(wire.get("therapies", ())):
        start, end = _day(therapy.get("start")), _day(therapy.get("end"))
        if therapy["status"] == "planned" or start is None or start > day:
            continue
        if end is not None and end < day:
            kept[position] = dict(therapy)
            continue
        key = _drug(therapy)
        running.setdefault(key if key is not None else position, []).append((position, therapy))
    for group in running.values():
        group.sort(key=lambda item: (item[1]["start"], item[1]["status"] == "active", item[0]))
        for (position, therapy), (_, following) in itertools.pairwise(group):
            ended = dt.date.fromisoformat(following["start"]) - dt.timedelta(days=1)
            if ended >= dt.date.fromisoformat(therapy["start"]):
                status = "stopped" if therapy["status"] == "active" else therapy["status"]
                kept[position] = dict(therapy) | {"status": status, "end": ended.isoformat()}
        position, runner = group[-1]
        kept[position] = {k: v for k, v in runner.items() if k not in ("end", "stop_reason")} | {"status": "active"}
    out["therapies"] = [kept[position] for position in sorted(kept)]
    agents = {t["agent"] for t in out["therapies"]}
    out["toxicities"] = [
        _attributed(t, agents)
        for t in wire.get("toxicities", ())
        if t.get("date") and dt.date.fromisoformat(t["date"]) <= day
    ]
    return out


def _attributed(toxicity: dict[str, Any], agents: set[str]) -> dict[str, Any]:
    """The toxicity attributed only to agents the day's record gives; no list when none is left."""
    if "attributed_to" not in toxicity:
        return dict(toxicity)
    kept = [a for a in toxicity["attributed_to"] if a in agents]
    return {k: v for k, v in toxicity.items() if k != "attributed_to"} | ({"attributed_to": kept} if kept else {})

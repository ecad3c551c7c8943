"""An independent reading of "the record on day d", on the wire form (the oracle of the timeline properties).

It works on JSON dicts, not on the model, so that a mistake in
:mod:`lmtx.course.record` is not repeated here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

_SINGLE_ROUTE = {
    "osimertinib": "oral",
    "gefitinib": "oral",
    "erlotinib": "oral",
    "afatinib": "oral",
    "dacomitinib": "oral",
    "carboplatin": "intravenous",
    "cisplatin": "intravenous",
    "radiotherapy": "external_beam",
}


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def record_dates(wire: dict[str, Any]) -> list[dt.date]:
    """Every distinct date the course has a step for (before adding as_of)."""
    found: set[dt.date] = set()
    for key in ("neuro_exams", "csf_cytology", "mri"):
        found.update(dt.date.fromisoformat(r["date"]) for r in wire.get(key, ()))
    for therapy in wire.get("therapies", ()):
        if therapy["status"] != "planned":
            found.update(d for d in (_day(therapy.get("start")), _day(therapy.get("end"))) if d)
    ps = wire.get("performance_status")
    if ps and ps.get("date"):
        found.add(dt.date.fromisoformat(ps["date"]))
    found.update(dt.date.fromisoformat(t["date"]) for t in wire.get("toxicities", ()) if t.get("date"))
    return sorted(found)


def wire_on(wire: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The wire record as known on ``day`` (a day before the last step)."""
    out = {k: v for k, v in wire.items() if k not in ("neuro_exams", "csf_cytology", "mri", "therapies", "toxicities")}
    for key in ("neuro_exams", "csf_cytology", "mri"):
        out[key] = [r for r in wire.get(key, ()) if dt.date.fromisoformat(r["date"]) <= day]
    ps = wire.get("performance_status")
    if ps is not None and not (ps.get("date") and dt.date.fromisoformat(ps["date"]) <= day):
        del out["performance_status"]
    out["toxicities"] = [
        t for t in wire.get("toxicities", ()) if t.get("date") and dt.date.fromisoformat(t["date"]) <= day
    ]
    therapies = []
    for therapy in wire.get("therapies", ()):
        start, end = _day(therapy.get("start")), _day(therapy.get("end"))
        if therapy["status"] == "planned" or start is None or start > day:
            continue
        if end is not None and end <= day:
            therapies.append(dict(therapy))
        else:
            therapies.append(
                {k: v for k, v in therapy.items() if k != "end"} | {"status": "active", "_was": therapy["status"]}
            )
    # Two running regimens of one agent and route: the one the record keeps active, else the later start, runs.
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for therapy in therapies:
        if "_was" in therapy and therapy["agent"] != "other":
            key = (therapy["agent"], therapy.get("route", _SINGLE_ROUTE.get(therapy["agent"])))
            groups.setdefault(key, []).append(therapy)
    for group in groups.values():
        runner = max(group, key=lambda t: (t["_was"] == "active", t["start"]))
        for therapy in group:
            if therapy is not runner:
                therapy["status"] = therapy["_was"]
    out["therapies"] = [{k: v for k, v in t.items() if k != "_was"} for t in therapies]
    return out

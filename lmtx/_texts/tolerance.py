"""Words of dose modification for toxicity (rules in :mod:`lmtx.rules.tolerance`).

``osimertinib-tolerated`` names the dose given now, each dose stopped for
toxicity and not given again (dose, date, reason, the toxicities linked to
it) and leaves re-escalation to the treating team
(docs/interpretation.md#tolerable-dose). ``it-pemetrexed`` names, beside the
stage's words, what holds the injection: a latest course stopped, or an
event since it began that needs counts or the meninges to recover; with
``add`` it names an earlier course stopped for toxicity and a recorded event
that would hold it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lmtx._facts import Fact
from lmtx._facts.links import CYTOPENIAS, holds_injection, intrathecal_events
from lmtx._facts.tolerance import LOWEST_LABEL_DOSE_MG
from lmtx._texts._osimertinib import (
    ILD,
    counts_words,
    dose_words,
    osimertinib_label,
    other_tkis_words,
    plans_words,
    recent_cytopenias,
    regimen_kind,
    standing_stops_words,
    tolerance_of,
    toxicity_words,
)
from lmtx._texts._shared import (
    REASONS,
    Context,
    and_,
    iso,
    linked_words,
    of,
    ordered,
    radiotherapy_words,
    therapy_words,
)
from lmtx._texts.response import stage_words
from lmtx.drugs import Agent, Route, daily_dose, effective_route, mg
from lmtx.model import StopReason, Therapy, TherapyStatus, Toxicity

__all__ = ["WORDS", "cited"]

_ESTABLISHED = ("confirmed", "probable")


def _lm(context: Context) -> bool:
    return any(f["status"] in _ESTABLISHED for f in of(context.derived, "lm"))


def _tolerated(context: Context) -> dict[str, str]:
    """The words of ``osimertinib-tolerated``: the dose given, the stops, plans, other TKIs, what decides."""
    patient, tolerance = context.patient, tolerance_of(context)
    action = str(context.fact["action"])
    lm = _lm(context)
    advised = 160.0 if lm else 80.0
    standing = tolerance.standing
    linked_terms = {patient.toxicities[x].term.value for i in standing for x in tolerance.linked.get(i, ())}
    severe_stop = [
        patient.toxicities[x] for i in standing for x in tolerance.linked.get(i, ()) if patient.toxicities[x].grade >= 4
    ]
    values = {
        "stops": standing_stops_words(patient, tolerance),
        "plans": plans_words(context, None),
        "others": other_tkis_words(patient),
        "stage": _stage(context),
        "ild": "",
        "toxicity": "",
        "radiotherapy": "",
    }
    if action == "continue":
        values.update(_continue(context, advised))
        return values
    limit = tolerance.limit or advised
    values["limit"] = f"{mg(limit)} mg"
    values["up_to"] = f"{mg(min(limit, advised))} mg a day"
    values["document_dose"] = (
        "for leptomeningeal disease the document's dose is 160 mg a day"
        if lm
        else "without LM the standard dose is 80 mg a day"
    )
    values["review"] = _review_reasons(context, severe_stop)
    if "other" in linked_terms or (action == "review" and severe_stop):
        values["ild"] = ILD
    values["radiotherapy"] = _radiotherapy(context)
    return values


def _continue(context: Context, advised: float) -> dict[str, str]:
    patient, tolerance = context.patient, tolerance_of(context)
    dose, interval = float(context.fact["dose"]), int(context.fact["interval"])
    active = [
        i for i, t in enumerate(patient.therapies) if t.agent is Agent.OSIMERTINIB and t.status is TherapyStatus.ACTIVE
    ]
    values = {
        "given": dose_words(dose, interval),
        "given_since": "osimertinib " + dose_words(dose, interval),
        "target": f"{mg(advised)} mg a day",
    }
    if not active:
        return values
    index = active[0]
    values["given_since"] = therapy_words(patient.therapies[index])
    if interval != 1:  # the dose is per administration; say the daily dose too
        values["given_since"] += f" ({mg(daily_dose(patient.therapies[index]))} mg a day)"
    linked = [patient.toxicities[x] for x in tolerance.linked.get(index, ())]
    if linked:
        named = and_([toxicity_words(x) for x in _ordered(linked)])
        raise_to = f"{mg(advised)} mg a day" if daily_dose(patient.therapies[index]) < advised else "a higher dose"
        pronoun = "it has" if len(linked) == 1 else "they have"
        values["toxicity"] = (
            f" Linked to the dose given now: {named}; raising it to {raise_to} waits until {pronoun} resolved."
        )
        if any(x.grade >= 4 for x in linked):
            values["ild"] = ILD
    return values


def _ordered(toxicities: Sequence[Toxicity]) -> list[Toxicity]:
    return sorted(toxicities, key=lambda x: (-x.grade, x.term.value, x.date or dt.date.max))


def _review_reasons(context: Context, severe: Sequence[Toxicity]) -> str:
    """Why giving osimertinib again is a specialist's decision, and the age of the latest stop."""
    patient, tolerance = context.patient, tolerance_of(context)
    reasons: list[str] = []
    if tolerance.limit is not None and tolerance.limit <= LOWEST_LABEL_DOSE_MG:
        reasons.append(
            f"the dose stopped, {mg(tolerance.limit)} mg a day, is at or below 40 mg, the label's only reduced dose"
        )
    if severe:
        reasons.append("a grade 4 or 5 event is linked to the stop")
    ended = [patient.therapies[i] for i in tolerance.standing if patient.therapies[i].end is not None]
    latest = max((t.end for t in ended if t.end is not None), default=None)
    age = ""
    if latest is not None and context.as_of is not None:
        days = (context.as_of - latest).days
        age = f"The latest stop, on {latest.isoformat()}, was {days} day{'s' if days != 1 else ''} ago."
        if tolerance.overdue:
            reasons.append("no osimertinib was given since, beyond the 21 days the label allows for a withhold")
    said = f" {and_(reasons)[:1].upper()}{and_(reasons)[1:]}." if reasons else ""
    return f"{age}{said}".strip()


def _stage(context: Context) -> str:
    """With LM, the regimen the later steps judge; for a withhold, that the held regimen keeps its stage."""
    kind = regimen_kind(context)
    regimens = of(context.derived, "osimertinib_regimen")
    if not regimens or kind == "160":
        return ""
    label = osimertinib_label(context)
    start = iso(regimens[0]["start"])
    if kind == "held":
        return (
            f" Osimertinib is withheld, for at most the 21 days the label allows: the response is still judged on "
            f"{label}, from {start}."
        )
    return (
        f" For leptomeningeal disease the document prefers 160 mg a day; the response is judged on {label}, from "
        f"{start}."
    )


def _radiotherapy(context: Context) -> str:
    words = radiotherapy_words(context.patient)
    if not words:
        return ""
    return (
        f" {words[:1].upper()}{words[1:]}: with osimertinib withheld for toxicity, radiotherapy is not to stand in for "
        "it; the document found osimertinib better than radiotherapy for EGFR-mutant disease."
    )


def _intrathecal(context: Context) -> dict[str, str]:
    """``it-pemetrexed``: the stage's words, and what holds (or would hold) an intrathecal injection."""
    values = stage_words(context)
    stage = str(context.fact["stage"])
    values["counts"] = counts_words(context.patient, context.as_of)
    values["holding"] = _holding_before_add(context) if stage not in {"hold", "combination"} else ""
    values["anemia"] = _anemia(context)
    if stage == "hold":
        values["held_because"] = _held_because(context)
        phases = {str(f["value"]) for f in of(context.derived, "phase")}
        if "combination" in phases:
            values["stage_now"] = (
                f"The latest assessments show no progression on {values.get('regimen', '')}, judged from "
                f"{values.get('regimen_start', '')}; intrathecal pemetrexed is on hold."
            )
        else:
            values["stage_now"] = (
                f"Platinum chemotherapy given on {values['osimertinib']}: {values['platinum']}. Intrathecal "
                "pemetrexed is on hold."
            )
    return values


def _latest_courses(context: Context) -> list[Fact]:
    return sorted(of(context.derived, "intrathecal_latest"), key=lambda f: sorted((k, str(v)) for k, v in f.items()))


def _holding_toxicities(context: Context, since: int | None) -> list[Toxicity]:
    """The recorded toxicities that hold an injection, dated on or after ``since`` (an ordinal; None: any date)."""
    patient = context.patient
    events = intrathecal_events(patient.therapies, tolerance_of(context).links)
    found = []
    for index, toxicity in enumerate(patient.toxicities):
        day = toxicity.date or context.as_of
        if not holds_injection(toxicity, index in events):
            continue
        if since is None or (day is not None and day.toordinal() >= since):
            found.append(toxicity)
    return _ordered(found)


def _held_because(context: Context) -> str:
    """A latest course stopped (with its reason, or none), or the events since it began that hold it."""
    courses = _latest_courses(context)
    held = [c for c in courses if c["course"] == "held"]
    if held:
        said = []
        for course in held:
            ended = f"{course['status']} on {iso(course['end'])}" if course["end"] != -1 else str(course["status"])
            reason = REASONS[str(course["reason"])] if course["reason"] else "with no reason recorded"
            said.append(f"begun on {iso(course['start'])}, was {ended} {reason}")
        events = _holding_toxicities(context, min(int(c["start"]) for c in held))
        since = f" Recorded since it began: {and_([toxicity_words(x) for x in events])}." if events else ""
        return f"The latest intrathecal pemetrexed course, {and_(said)}.{since}"
    start = min(int(c["start"]) for c in courses) if courses else None
    events = _holding_toxicities(context, start)
    patient = context.patient
    links = tolerance_of(context).links
    named = []
    for toxicity in events:
        index = patient.toxicities.index(toxicity)
        words = toxicity_words(toxicity)
        if toxicity.term.value in ("aseptic_meningitis", "other"):
            agents = sorted(
                {
                    linked_words(_fact_of(patient.therapies[link.therapy]), patient)
                    for link in links
                    if link.toxicity == index and effective_route(patient.therapies[link.therapy]) is Route.INTRATHECAL
                }
            )
            words += f", linked to {and_(agents)}"
        named.append(words)
    since = f" on {iso(start)}" if start is not None else ""
    needs = []
    if any(x.term.value in CYTOPENIAS for x in events):
        needs.append("an intrathecal injection needs adequate blood counts")
    if any(x.term.value not in CYTOPENIAS for x in events):
        needs.append("the event must have resolved before the next injection")
    need = and_(needs)
    return f"Since the latest intrathecal course began{since}: {and_(named)}. {need[:1].upper()}{need[1:]}."


def _fact_of(therapy: Therapy) -> Fact:
    """The fields :func:`~lmtx._texts._shared.linked_words` reads, from a therapy of the record."""
    return {
        "agent": therapy.agent.value,
        "route": (route.value if (route := effective_route(therapy)) else ""),
        "dose": therapy.dose_mg or 0.0,
        "status": therapy.status.value,
        "start": therapy.start.toordinal() if therapy.start else -1,
        "end": therapy.end.toordinal() if therapy.end else -1,
    }


def _anemia(context: Context) -> str:
    """A grade 3 or more anaemia since the latest course began: named, but it does not hold the injection."""
    courses = _latest_courses(context)
    if not courses:
        return ""
    start = min(int(c["start"]) for c in courses)
    anemia = [
        x
        for x in context.patient.toxicities
        if x.term.value == "anemia" and x.grade >= 3 and ((x.date or context.as_of or dt.date.max).toordinal() >= start)
    ]
    if not anemia:
        return ""
    named = and_([toxicity_words(x) for x in _ordered(anemia)])
    return f" Also recorded since the latest course began: {named}, which does not hold the injection by itself."


def _holding_before_add(context: Context) -> str:
    """Before ``add``: an earlier intrathecal pemetrexed stopped for toxicity, and recorded events that hold one."""
    patient = context.patient
    stopped = [
        t
        for t in ordered(patient)
        if t.agent is Agent.PEMETREXED
        and effective_route(t) is Route.INTRATHECAL
        and t.stop_reason is StopReason.TOXICITY
        and t.status is not TherapyStatus.PLANNED
    ]
    said = []
    if stopped:
        said.append(
            "earlier intrathecal pemetrexed was stopped for toxicity ("
            + "; ".join(
                f"{therapy_words(t)}, {t.status.value} on {t.end.isoformat() if t.end else 'a date not recorded'}"
                for t in stopped
            )
            + ")"
        )
    recent = recent_cytopenias(patient, context.as_of)  # named by the counts sentence
    events = [x for x in _holding_toxicities(context, None) if x not in recent]
    if events:
        said.append(f"recorded: {and_([toxicity_words(x) for x in events])}")
    if not said:
        return ""
    text = "; ".join(said)
    return (
        f" Before the injection: {text}. The blood counts, and any such event, must allow the injection, which the "
        "treating team decides."
    )


def cited(context: Context) -> tuple[str, ...]:
    """The statements an ``it-pemetrexed`` item cites: for a hold, S22 and S23 only when such an event decided it."""
    if context.fact["stage"] != "hold":
        return context.statements
    courses = _latest_courses(context)
    start = min(int(c["start"]) for c in courses) if courses else None
    terms = (
        {x.term.value for x in _holding_toxicities(context, start)} if context.rule.id.endswith("toxicity") else set()
    )
    wanted = (
        {"S25"} | ({"S22"} if terms & CYTOPENIAS else set()) | ({"S23"} if "aseptic_meningitis" in terms else set())
    )
    return tuple(s for s in context.statements if s in wanted)


WORDS = {"osimertinib-tolerated": _tolerated, "it-pemetrexed": _intrathecal}
"""The words of the codes this area's rules emit (``it-pemetrexed`` with the stage's words of every action)."""

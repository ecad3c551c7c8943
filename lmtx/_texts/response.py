"""Words of the response and escalation steps: the regimen judged, what failed on it, what was given on it.

The items of the document's later steps (``it-pemetrexed``,
``platinum-pemetrexed``, ``guideline-exhausted``; rules in
:mod:`lmtx.rules.response` and :mod:`lmtx.rules.progression`) name the
regimen being judged, the findings that decided, with their dates and the day
of the regimen (docs/interpretation.md#say-what-decided), the intrathecal and
platinum courses given on the 160 mg regimen, and what runs beside the
document's steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lmtx._facts import NO_DATE, Fact
from lmtx._facts.readings import age_if_stale
from lmtx._texts._osimertinib import osimertinib_parts
from lmtx._texts._shared import (
    REASONS,
    Context,
    agent_of_fact,
    and_,
    course_words,
    day_of,
    iso,
    of,
    ordered,
    therapy_words,
)
from lmtx.drugs import PLATINUM, Agent, Route, effective_route, mg
from lmtx.model import Patient, Therapy, TherapyStatus

__all__ = ["WORDS", "stage_words"]

_REGIMENS = {
    "osimertinib": "{osimertinib}{changes}",
    "combination": "{osimertinib}{changes}{comma}with intrathecal pemetrexed",
    "platinum": "platinum chemotherapy with {osimertinib}{changes}",
    "platinum-without-intrathecal": "platinum chemotherapy with {osimertinib}{changes}",
}
_FINDINGS = {
    "neuro": "neurological exam {finding}",
    "cytology": "CSF cytology {finding}",
    "mri": "MRI {finding}",
}
_SYMPTOMS = {"new": "with new symptoms", "persistent": "with persistent symptoms", "worsened": "worse"}


def _findings(
    derived: Sequence[Fact], patient: Patient, parts: tuple[str, str], as_of: dt.date | None
) -> dict[str, str]:
    """The regimen judged and its failing findings with their dates and days; a stale one with its age.

    A deciding finding more than 90 days old still decides (docs/interpretation.md#response), but
    the words give its age, the later assessments of the kinds that did not decide, and ask for a
    current one of its kind (docs/interpretation.md#texts). An intrathecal course the team stopped
    for progression is named as their verdict (docs/interpretation.md#combination).
    """
    regimens = of(derived, "regimen")
    if not regimens:
        return {}
    regimen = regimens[0]
    head, changes = parts
    label = _REGIMENS[regimen["name"]].format(osimertinib=head, changes=changes, comma=", " if changes else " ")
    failing = sorted(
        (v for v in of(derived, "verdict") if v["regimen"] == regimen["name"] and v["failing"]),
        key=lambda v: (v["date"], v["kind"]),
    )
    words = []
    stale: list[Fact] = []
    for verdict in failing:
        finding = str(verdict["finding"])
        shown = _SYMPTOMS.get(finding, finding.replace("_", " ")) if verdict["kind"] == "neuro" else finding
        what = _FINDINGS[verdict["kind"]].format(finding=shown)
        age = age_if_stale(dt.date.fromordinal(verdict["date"]), as_of)
        if age is not None:
            stale.append(verdict)
        aged = f", {age} days before the evaluation date" if age is not None else ""
        words.append(f"{what} on {day_of(verdict['date'], regimen['start'], label)}{aged}")
    latest = of(derived, "intrathecal_latest")
    if regimen["name"] == "combination" and any(c["course"] == "progressed" for c in latest):
        # The treating team's verdict (docs/interpretation.md#combination): every course begun on the
        # latest course's day and stopped for progression.
        day = dt.date.fromordinal(int(latest[0]["start"]))
        for therapy in ordered(patient):
            if (
                therapy.agent is Agent.PEMETREXED
                and effective_route(therapy) is Route.INTRATHECAL
                and therapy.start == day
                and therapy.stop_reason is not None
                and therapy.stop_reason.value == "progression"
            ):
                when = (
                    f"on {day_of(therapy.end.toordinal(), regimen['start'], label)}"
                    if therapy.end
                    else "(stop date not recorded)"
                )
                words.append(f"intrathecal pemetrexed stopped for progression {when}")
    findings = "; ".join(words) or "no failing finding"
    if stale:
        findings += _current_wanted(stale, {str(v["kind"]) for v in failing}, patient)
    return {
        "regimen": label,
        "regimen_start": iso(regimen["start"]),
        "findings": findings,
    }


_KIND_NOUNS = {"neuro": "neurological exam", "cytology": "CSF cytology", "mri": "MRI"}
_LATER_EXAM = {
    "none": "found no symptoms",
    "improved": "found the symptoms improved",
    "resolved": "found the symptoms resolved",
    "new": "found new symptoms",
    "persistent": "found persistent symptoms",
    "worsened": "found the symptoms worse",
}
_LATER_MRI = {
    "complete_response": "shows a complete response",
    "partial_response": "shows a partial response",
    "stable": "is read as stable",
    "progression": "shows progression",
    "baseline": "is read as a baseline",
    "not_evaluable": "is not evaluable",
}


def _current_wanted(stale: Sequence[Fact], deciding: set[str], patient: Patient) -> str:
    """`` — a later MRI, on 2026-03-28, shows a complete response; a current CSF cytology is needed``."""
    since = dt.date.fromordinal(min(int(v["date"]) for v in stale))
    later: list[tuple[dt.date, str]] = []
    exams = [e for e in patient.neuro_exams if e.date > since]
    if "neuro" not in deciding and exams:
        exam = max(exams, key=lambda e: e.date)
        later.append(
            (exam.date, f"a later neurological exam, on {exam.date.isoformat()}, {_LATER_EXAM[exam.symptoms.value]}")
        )
    samples = [c for c in patient.csf_cytology if c.date > since]
    if "cytology" not in deciding and samples:
        sample = max(samples, key=lambda c: c.date)
        later.append((sample.date, f"a later CSF cytology, on {sample.date.isoformat()}, is {sample.result.value}"))
    scans = [m for m in patient.mri if m.date > since]
    if "mri" not in deciding and scans:
        scan = max(scans, key=lambda m: m.date)
        read = _LATER_MRI[scan.response.value] if scan.response is not None else "has no response read"
        later.append((scan.date, f"a later MRI, on {scan.date.isoformat()}, {read}"))
    kinds = and_(list(dict.fromkeys(_KIND_NOUNS[str(v["kind"])] for v in stale)))
    wanted = f"a current {kinds} {'is' if len(stale) == 1 else 'are'} needed to judge the response"
    return " — " + "; ".join([*(words for _, words in sorted(later)), wanted])


def _therapy(fact: Fact | None, regimen_start: int | None, osimertinib: str = "osimertinib 160 mg") -> str:
    if fact is None:
        return "none"
    since = f"begun on {iso(fact['start'])}"
    if regimen_start is not None and fact["start"] >= regimen_start:
        since += f" (day {fact['start'] - regimen_start + 1} of {osimertinib})"
    status = str(fact["status"])
    if status == "active":
        return f"{agent_of_fact(fact)} {since}, still given"
    ended = f" on {iso(fact['end'])}" if fact["end"] != NO_DATE else ""
    reason = f" {REASONS[str(fact['reason'])]}" if fact.get("reason") else ""
    return f"{agent_of_fact(fact)} {since}, {status}{ended}{reason}"


def _history(derived: Sequence[Fact], patient: Patient, osimertinib: str) -> dict[str, str]:
    """The latest intrathecal course, and every platinum course begun on the osimertinib run.

    The platinum stage is judged from its first course; when that course was replaced (carboplatin
    by cisplatin, say), naming only the latest would hide the day the stage is judged from.
    """
    regimens = of(derived, "osimertinib_regimen")
    start = regimens[0]["start"] if regimens else None
    since = regimens[0]["run_date"] if regimens else None
    latest = sorted(of(derived, "intrathecal_latest"), key=lambda f: sorted((k, str(v)) for k, v in f.items()))
    course = latest[0] if latest else None
    courses = [
        t
        for t in ordered(patient)
        if t.agent in PLATINUM
        and t.status is not TherapyStatus.PLANNED
        and t.start is not None
        and since is not None
        and t.start.toordinal() >= since
    ]
    platinum = "; ".join(_therapy(_course_fact(t), start, osimertinib) for t in courses) or _therapy(None, start)
    return {"course": _therapy(course, start, osimertinib), "platinum": platinum}


def _course_fact(therapy: Therapy) -> Fact:
    """The fields :func:`_therapy` reads, from a therapy of the record."""
    assert therapy.start is not None
    return {
        "agent": therapy.agent.value,
        "route": therapy.route.value if therapy.route else "",
        "dose": 0.0,
        "status": therapy.status.value,
        "start": therapy.start.toordinal(),
        "end": therapy.end.toordinal() if therapy.end else NO_DATE,
        "reason": "",
    }


def _beside_the_steps(derived: Sequence[Fact], patient: Patient, parts: tuple[str, str]) -> dict[str, str]:
    """What runs beside the document's steps: earlier chemotherapy, other intrathecal agents.

    ``regimen`` is refined for osimertinib alone: it is "alone" only when no other systemic
    drug is active (docs/interpretation.md#texts).
    """
    osimertinib = "".join(parts)
    regimens = of(derived, "osimertinib_regimen")
    start = dt.date.fromordinal(regimens[0]["run_date"]) if regimens else None
    the_regimen = "the 160 mg regimen" if not regimens or regimens[0]["kind"] == "160" else "the osimertinib regimen"
    active = [t for t in ordered(patient) if t.status is TherapyStatus.ACTIVE]
    beside = [t for t in active if t.agent not in (Agent.OSIMERTINIB, Agent.RADIOTHERAPY)]
    extra: dict[str, str] = {"the_regimen": the_regimen}
    judged = of(derived, "regimen")
    if judged and judged[0]["name"] == "osimertinib":
        head, changes = parts
        extra["regimen"] = osimertinib if beside else f"{head} alone{changes}"
    extra["alongside"] = ""
    if beside:
        listed = f" Also given now: {and_([therapy_words(t) for t in beside])}"
        if all(t.start is not None and start is not None and t.start < start for t in beside):
            subject = "it is" if len(beside) == 1 else "they are"
            extra["alongside"] = f"{listed}; begun before {the_regimen}, {subject} not a step of the document."
        else:
            extra["alongside"] = f"{listed}."
    earlier = [
        t
        for t in ordered(patient)
        if t.agent in PLATINUM
        and t.status is not TherapyStatus.PLANNED
        and start is not None
        and t.start is not None
        and t.start < start
    ]
    extra["earlier"] = extra["earlier_running"] = ""
    if earlier:
        words = [course_words(t) for t in sorted(earlier, key=lambda t: t.start or dt.date.min)]
        extra["earlier"] = (
            f" Platinum chemotherapy begun before {the_regimen}: {'; '.join(words)}. That was earlier "
            "chemotherapy, not the document's step after the combination."
        )
        if any(t.status is TherapyStatus.ACTIVE for t in earlier):
            running = [course_words(t) for t in earlier if t.status is TherapyStatus.ACTIVE]
            extra["earlier_running"] = "; ".join(running)
    other_intrathecal = [
        t for t in active if effective_route(t) is Route.INTRATHECAL and t.agent is not Agent.PEMETREXED
    ]
    extra["other_intrathecal"] = (
        f" Also given: {and_([therapy_words(t) for t in other_intrathecal])}, which is not the document's "
        "intrathecal step (intrathecal pemetrexed)."
        if other_intrathecal
        else ""
    )
    return extra


def stage_words(context: Context) -> dict[str, str]:
    """The regimen judged, its failing findings, its courses and what runs beside the steps.

    ``osimertinib`` is the osimertinib regimen as it is ("osimertinib 160 mg, reduced to 80 mg on
    2025-06-11"); ``osimertinib_now`` the dose given now, ``beside`` how the courses stand with it,
    and ``osimertinib_goes_on`` how osimertinib goes on beside the intrathecal step: at the
    highest dose tolerated, or withheld (docs/interpretation.md#tolerable-dose).
    """
    derived, patient = context.derived, context.patient
    parts = osimertinib_parts(context)
    osimertinib = "".join(parts)
    regimens = of(derived, "osimertinib_regimen")
    kind = str(regimens[0]["kind"]) if regimens else "160"
    if kind == "held":
        now, beside = "osimertinib when it is given again", "while osimertinib is withheld for toxicity"
        goes_on = "with osimertinib, which is withheld for toxicity now (see osimertinib-tolerated)"
    else:
        goes_on = "while osimertinib continues at the highest dose tolerated"
        dose = regimens[0]["dose"] if regimens else 160
        interval = regimens[0]["interval"] if regimens else 1
        given = f"osimertinib {mg(dose)} mg" + ("" if interval == 1 else f" every {interval} days")
        now, beside = given, f"together with {given}"
    return {
        **_findings(derived, patient, parts, context.as_of),
        **_history(derived, patient, osimertinib),
        **_beside_the_steps(derived, patient, parts),
        "osimertinib": osimertinib,
        "osimertinib_now": now,
        "beside": beside,
        "osimertinib_goes_on": goes_on,
    }


WORDS = {"it-pemetrexed": stage_words}
"""The words of the codes this area's rules emit (the later steps' codes are in :mod:`~lmtx._texts.progression`)."""

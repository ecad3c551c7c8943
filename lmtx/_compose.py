"""What decided an item, in words: the values the catalogue's text may use beyond a rule's parameters.

The rules decide; this module only describes. It reads the facts the rules
derived during one evaluation (and the record itself only for the date of
the performance status) (the regimen judged, the verdicts with their
findings, the intrathecal and platinum therapies given on the 160 mg
regimen, the ``watch``, ``reported`` and ``linked`` facts) and turns them
into phrases with dates and regimen days (docs/interpretation.md#dates): day
1 is the first day of the regimen being judged. Nothing here changes which
items a result holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lmtx._facts import NO_DATE, Fact, is_dose_change, latest_performance_status
from lmtx._validate import allowed_routes, drug_class, effective_route
from lmtx.dsl import Rule
from lmtx.model import (
    AGENT_CLASSES,
    Agent,
    DrugClass,
    Patient,
    PerformanceStatus,
    PsScale,
    Route,
    Therapy,
    TherapyStatus,
)
from lmtx.result import ADVERSE_EFFECT_TERMS
from lmtx.rules.prognosis import KPS_TO_ECOG

__all__ = ["ItemText", "compose"]

ItemText = tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]
"""Extra text values, the statements to cite, and the adverse-effect terms."""

_REGIMENS = {
    "osimertinib": "osimertinib 160 mg",
    "combination": "osimertinib 160 mg with intrathecal pemetrexed",
    "platinum": "platinum chemotherapy with osimertinib 160 mg",
    "platinum-without-intrathecal": "platinum chemotherapy with osimertinib 160 mg",
}
_FINDINGS = {
    "neuro": "neurological exam {finding}",
    "cytology": "CSF cytology {finding}",
    "mri": "MRI {finding}",
}
_SYMPTOMS = {"new": "with new symptoms", "persistent": "with persistent symptoms", "worsened": "worse"}
_EFFECTS = {
    # effect: (words, statement, toxicity terms)
    "rash": ("skin rash", "S21", ("rash",)),
    "myelosuppression": ("myelosuppression", "S22", ("leukopenia", "neutropenia", "thrombocytopenia", "anemia")),
    "aseptic-meningitis": ("aseptic meningitis", "S23", ("aseptic_meningitis",)),
    "fatigue": ("fatigue", "S24", ("fatigue",)),
}
_EFFECT_ORDER = tuple(_EFFECTS)
_TERMS = {"aseptic_meningitis": "aseptic meningitis", "other": "other adverse event"}
_AGENTS = {"radiotherapy": "radiotherapy", "other": "another agent"}


def _iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def _and(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _mg(dose: float) -> str:
    return f"{int(dose)}" if float(dose).is_integer() else f"{dose:g}"


def _schedule(dose: float, interval: int) -> str:
    """A dose with its schedule: ``80 mg a day``, ``1500 mg every 7 days``."""
    return f"{_mg(dose)} mg " + ("a day" if interval == 1 else f"every {interval} days")


_REASONS = {
    "toxicity": "for toxicity",
    "progression": "for progression",
    "course-completed": "as its course was completed",
    "dose-change": "for a change of dose",
    "other": "for a reason recorded as other",
}


def _agent(fact: Mapping[str, Any]) -> str:
    agent = str(fact["agent"])
    name = _AGENTS.get(agent, agent)
    if agent == "pemetrexed" and fact.get("route"):
        name = f"{fact['route']} pemetrexed"
    dose = fact.get("dose") or 0.0
    if dose and agent == "osimertinib":
        return f"{name} {_mg(dose)} mg"
    return name


def _of(derived: Iterable[Fact], kind: str) -> list[Fact]:
    return [f for f in derived if f["t"] == kind]


def _ordered(patient: Patient) -> list[Therapy]:
    """The record's therapies in a canonical order, so that texts never depend on the input's order."""

    def key(therapy: Therapy) -> tuple[Any, ...]:
        return (
            therapy.start or dt.date.max,
            therapy.agent.value,
            therapy.name or "",
            therapy.route.value if therapy.route else "",
            therapy.dose_mg or 0.0,
            therapy.interval_days or 0,
            therapy.status.value,
            therapy.end or dt.date.max,
            therapy.drug_class.value if therapy.drug_class else "",
            therapy.stop_reason.value if therapy.stop_reason else "",
        )

    return sorted(patient.therapies, key=key)


def _day_of(date: int, start: int, regimen: str) -> str:
    return f"{_iso(date)}, day {date - start + 1} of {regimen}"


def _findings(derived: Sequence[Fact]) -> dict[str, str]:
    regimens = _of(derived, "regimen")
    if not regimens:
        return {}
    regimen = regimens[0]
    label = _REGIMENS[regimen["name"]]
    failing = sorted(
        (v for v in _of(derived, "verdict") if v["regimen"] == regimen["name"] and v["failing"]),
        key=lambda v: (v["date"], v["kind"]),
    )
    words = []
    for verdict in failing:
        finding = str(verdict["finding"])
        shown = _SYMPTOMS.get(finding, finding.replace("_", " ")) if verdict["kind"] == "neuro" else finding
        what = _FINDINGS[verdict["kind"]].format(finding=shown)
        words.append(f"{what} on {_day_of(verdict['date'], regimen['start'], label)}")
    return {
        "regimen": label,
        "regimen_start": _iso(regimen["start"]),
        "findings": "; ".join(words) or "no failing finding",
    }


def _therapy(fact: Fact | None, regimen_start: int | None) -> str:
    if fact is None:
        return "none"
    since = f"begun on {_iso(fact['start'])}"
    if regimen_start is not None and fact["start"] >= regimen_start:
        since += f" (day {fact['start'] - regimen_start + 1} of osimertinib 160 mg)"
    status = str(fact["status"])
    if status == "active":
        return f"{_agent(fact)} {since}, still given"
    ended = f" on {_iso(fact['end'])}" if fact["end"] != NO_DATE else ""
    return f"{_agent(fact)} {since}, {status}{ended}"


def _history(derived: Sequence[Fact], patient: Patient) -> dict[str, str]:
    """The latest intrathecal course, and every platinum course begun on the 160 mg regimen.

    The platinum stage is judged from its first course; when that course was replaced (carboplatin
    by cisplatin, say), naming only the latest would hide the day the stage is judged from.
    """
    regimens = _of(derived, "high_dose_regimen")
    start = regimens[0]["start"] if regimens else None
    course = next(iter(_of(derived, "intrathecal_latest")), None)
    courses = [
        t
        for t in _ordered(patient)
        if t.agent in (Agent.CARBOPLATIN, Agent.CISPLATIN)
        and t.status is not TherapyStatus.PLANNED
        and t.start is not None
        and start is not None
        and t.start.toordinal() >= start
    ]
    platinum = "; ".join(_therapy(_course_fact(t), start) for t in courses) or _therapy(None, start)
    return {"course": _therapy(course, start), "platinum": platinum}


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
    }


def _beside_the_steps(derived: Sequence[Fact], patient: Patient) -> dict[str, str]:
    """What runs beside the document's steps: earlier chemotherapy, other intrathecal agents.

    ``regimen`` is refined for osimertinib alone: it is "alone" only when no other systemic
    drug is active (docs/interpretation.md#texts).
    """
    regimens = _of(derived, "high_dose_regimen")
    start = dt.date.fromordinal(regimens[0]["start"]) if regimens else None
    active = [t for t in _ordered(patient) if t.status is TherapyStatus.ACTIVE]
    beside = [t for t in active if t.agent not in (Agent.OSIMERTINIB, Agent.RADIOTHERAPY)]
    extra: dict[str, str] = {}
    judged = _of(derived, "regimen")
    if judged and judged[0]["name"] == "osimertinib":
        extra["regimen"] = "osimertinib 160 mg" if beside else "osimertinib 160 mg alone"
    extra["alongside"] = ""
    if beside:
        listed = f" Also given now: {_and([_therapy_words(t) for t in beside])}"
        if all(t.start is not None and start is not None and t.start < start for t in beside):
            subject = "it is" if len(beside) == 1 else "they are"
            extra["alongside"] = f"{listed}; begun before the 160 mg regimen, {subject} not a step of the document."
        else:
            extra["alongside"] = f"{listed}."
    earlier = [
        t
        for t in _ordered(patient)
        if t.agent in (Agent.CARBOPLATIN, Agent.CISPLATIN)
        and t.status is not TherapyStatus.PLANNED
        and start is not None
        and t.start is not None
        and t.start < start
    ]
    extra["earlier"] = extra["earlier_running"] = ""
    if earlier:
        words = [_course_words(t) for t in sorted(earlier, key=lambda t: t.start or dt.date.min)]
        extra["earlier"] = (
            f" Platinum chemotherapy begun before the 160 mg regimen: {'; '.join(words)}. That was earlier "
            "chemotherapy, not the document's step after the combination."
        )
        if any(t.status is TherapyStatus.ACTIVE for t in earlier):
            running = [_course_words(t) for t in earlier if t.status is TherapyStatus.ACTIVE]
            extra["earlier_running"] = "; ".join(running)
    other_intrathecal = [
        t for t in active if effective_route(t) is Route.INTRATHECAL and t.agent is not Agent.PEMETREXED
    ]
    extra["other_intrathecal"] = (
        f" Also given: {_and([_therapy_words(t) for t in other_intrathecal])}, which is not the document's "
        "intrathecal step (intrathecal pemetrexed)."
        if other_intrathecal
        else ""
    )
    return extra


def _course_words(therapy: Therapy) -> str:
    """A course with its dates: ``carboplatin, begun on 2025-06-01 and completed on 2025-09-01``."""
    begun = f"begun on {therapy.start.isoformat()}" if therapy.start else "not yet begun"
    if therapy.status is TherapyStatus.ACTIVE:
        return f"{_drug_words(therapy)}, {begun} and still given"
    ended = f" on {therapy.end.isoformat()}" if therapy.end else ""
    return f"{_drug_words(therapy)}, {begun} and {therapy.status.value}{ended}"


def _grades(reported: Iterable[Fact], terms: Iterable[str] | None = None) -> list[str]:
    """``grade N term`` for each term (at its highest grade), highest grade first."""
    wanted = set(terms) if terms is not None else None
    highest: dict[str, int] = {}
    for fact in reported:
        if wanted is None or fact["term"] in wanted:
            highest[fact["term"]] = max(highest.get(fact["term"], 0), int(fact["grade"]))
    ordered = sorted(highest.items(), key=lambda item: (-item[1], item[0]))
    return [f"grade {grade} {_TERMS.get(term, term)}" for term, grade in ordered]


def _alert_terms(rule: Rule) -> tuple[str, ...]:
    """The toxicity terms a toxicity alert's rule matches (its first condition's ``term`` test)."""
    for test in rule.when[0].tests:
        if test.field == "term" and isinstance(test.value, tuple):
            return tuple(str(v) for v in test.value)
    return ()


def _adverse_effects(
    derived: Sequence[Fact], patient: Patient
) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
    watch = _of(derived, "watch")
    effects = [e for e in _EFFECT_ORDER if any(w["effect"] == e for w in watch)]
    groups: dict[str, dict[str, list[str]]] = {"active": {}, "recent": {}, "advised": {}}
    for fact in watch:
        if fact["basis"] in ("active", "recent"):
            name = _linked_words(fact, patient)
            groups[str(fact["basis"])].setdefault(name, []).append(str(fact["effect"]))
        else:
            groups["advised"].setdefault(str(fact["agent"]), []).append(str(fact["effect"]))

    def listed(sources: dict[str, list[str]]) -> str:
        parts = []
        for name in sorted(sources):
            named = [_EFFECTS[e][0] for e in _EFFECT_ORDER if e in sources[name]]
            parts.append(f"{name}: {_and(named) if named else 'none of the adverse effects the document names'}")
        return "; ".join(parts)

    heads = {"active": "Given now", "recent": "Ended in the last six weeks", "advised": "Advised"}
    sentences = [f"{heads[basis]}: {listed(sources)}." for basis, sources in groups.items() if sources]
    terms = {t for e in effects for t in _EFFECTS[e][2]}
    return (
        {"term": _and([_EFFECTS[e][0] for e in effects]), "sources": " ".join(sentences)},
        tuple(_EFFECTS[e][1] for e in effects),
        tuple(t for t in ADVERSE_EFFECT_TERMS if t in terms),
    )


def _therapy_of(fact: Mapping[str, Any], patient: Patient) -> Therapy | None:
    """The record's therapy a derived fact describes (by agent, route, status and dates)."""
    for therapy in _ordered(patient):
        route = effective_route(therapy)
        if (
            therapy.agent.value == fact["agent"]
            and (route.value if route else "") == fact["route"]
            and therapy.status.value == fact["status"]
            and (therapy.start.toordinal() if therapy.start else NO_DATE) == fact["start"]
            and (therapy.end.toordinal() if therapy.end else NO_DATE) == fact["end"]
        ):
            return therapy
    return None


def _linked_words(fact: Mapping[str, Any], patient: Patient) -> str:
    """A therapy named with its status and dates: ``intrathecal pemetrexed 50 mg, stopped on 2025-10-14``."""
    therapy = _therapy_of(fact, patient)
    name = _drug_words(therapy) if therapy is not None else _agent(fact)
    status = str(fact["status"])
    if status == "active":
        when = f"given since {_iso(fact['start'])}" if fact["start"] != NO_DATE else "given"
    elif status == "planned":
        when = "planned"
    else:
        when = f"{status} on {_iso(fact['end'])}" if fact["end"] != NO_DATE else status
    return f"{name}, {when}"


def _linked_agents(linked: Sequence[Fact], patient: Patient) -> list[str]:
    """The linked therapies, chemotherapy first and osimertinib last, each named once."""
    chemotherapy = {agent.value for agent, cls in AGENT_CLASSES.items() if cls is DrugClass.CHEMOTHERAPY}
    unique = {int(f["therapy"]): f for f in linked}
    ordered = sorted(
        unique.values(),
        key=lambda f: (
            0 if f["agent"] in chemotherapy else 2 if f["agent"] == "osimertinib" else 1,
            str(f["agent"]),
            int(f["start"]),
        ),
    )
    return [_linked_words(f, patient) for f in ordered]


_NO_AGENT = "No agent this reading links to it was given around it (from six weeks before it to its day)"


def _toxicity_text(rule: Rule, derived: Sequence[Fact], patient: Patient) -> dict[str, str]:
    terms = _alert_terms(rule)
    linked = [f for f in _of(derived, "linked") if f["term"] in terms]
    agents = {str(f["agent"]) for f in linked}
    attributed = [f for f in linked if f["basis"] == "attributed"]
    by_reading = [f for f in linked if f["basis"] != "attributed"]
    if attributed and by_reading:
        # Some reports are attributed, others are not: say which agents come from whom.
        said = (
            f"Attributed by the treating team: {'; '.join(_linked_agents(attributed, patient))}. "
            f"Given around its other reports, as this reading links them: "
            f"{'; '.join(_linked_agents(by_reading, patient))}."
        )
    elif linked:
        basis = " (as the treating team attributes it)" if attributed else ""
        said = f"Agents linked to it{basis}: {'; '.join(_linked_agents(linked, patient))}."
    else:
        said = f"{_NO_AGENT}."
    if agents == {"osimertinib"}:
        cause = ": the document names it the most common adverse effect of osimertinib"
    elif len(agents) > 2:
        cause = f", with {len(agents)} agents linked to it (named in the detail)"
    elif agents:
        cause = f", with {_and(sorted(agents))}"
    else:
        cause = ""
    return {"term": _and(_grades(_of(derived, "reported"), terms)), "agents": said, "cause": cause}


_OSIMERTINIB_CODES = frozenset({"osimertinib-160", "osimertinib-80"})


def _dose_modification(derived: Sequence[Fact], patient: Patient) -> dict[str, str]:
    severe = _grades(f for f in _of(derived, "reported") if f["grade"] >= 3)
    linked = [f for f in _of(derived, "linked") if f["grade"] >= 3]
    named = _linked_agents(linked, patient)
    if named:
        said = f"Agents linked to it: {'; '.join(named)}."
    else:
        # The alert needs osimertinib in use: recommended, or else given (the alert also fires
        # for a patient outside the document's scope, where nothing is recommended).
        recommended = any(f["code"] in _OSIMERTINIB_CODES for f in _of(derived, "recommendation"))
        said = f"{_NO_AGENT}; osimertinib is " + ("recommended." if recommended else "given.")
    return {"severe": _and(severe).capitalize() if severe else "", "agents": said}


def compose(fact: Fact, rule: Rule, statements: tuple[str, ...], derived: Sequence[Fact], patient: Patient) -> ItemText:
    """The extra text values of one item, the statements it cites, and its adverse-effect terms.

    Args:
        fact: The emitted item fact (code and the rule's parameters).
        rule: The rule that emitted it.
        statements: The code's statements its rule encodes (docs/interpretation.md#provenance).
        derived: Every fact derived in this evaluation.
        patient: The validated record (read only for dates the facts do not carry).
    """
    code = fact["code"]
    extra: dict[str, str] = {}
    effects: tuple[str, ...] = ()
    if code in ("it-pemetrexed", "platinum-pemetrexed", "guideline-exhausted"):
        extra = {**_findings(derived), **_history(derived, patient), **_beside_the_steps(derived, patient)}
    elif code == "monitor-adverse-effects":
        extra, cited, effects = _adverse_effects(derived, patient)
        statements = tuple(s for s in statements if s in cited)
    elif code.startswith("toxicity-"):
        extra = _toxicity_text(rule, derived, patient)
    elif code == "dose-modification":
        extra = _dose_modification(derived, patient)
    elif code in _OSIMERTINIB_CODES and fact["action"] in ("start", "switch"):
        extra = _current_tkis(patient)
    elif code == "prior-osimertinib-stopped":
        extra = _prior_stops(patient)
    elif code == "performance-status-prognostic":
        extra = _performance_status_note(patient)
    elif code in _TRIGGERS:
        extra = {"trigger": _TRIGGERS[code](derived, patient)}
    elif code == "lm-workup":
        extra = _workup(derived)
    elif code == "prefer-intrathecal":
        latest = latest_performance_status(patient)
        extra = {"ps": _ps_dated(latest) if latest is not None else "not recorded"}
    elif code == "performance-status-missing":
        extra = {"missing": _performance_status_missing(fact)}
    return extra, statements, effects


def _prior_stops(patient: Patient) -> dict[str, str]:
    """Every real stop of osimertinib (a change of dose is none), oldest first, and what to ask of them.

    The alert's rule fires on the latest stop; an earlier one, a stop for toxicity say, matters as
    much before osimertinib is given again, so the detail names them all.
    """
    stops = [
        t
        for t in _ordered(patient)
        if t.agent is Agent.OSIMERTINIB
        and t.status is TherapyStatus.STOPPED
        and not is_dose_change(t, patient.therapies)
    ]
    words = []
    for therapy in stops:
        assert therapy.start is not None  # a stopped therapy has a start (validated)
        end = therapy.end.isoformat() if therapy.end else "a date not recorded"
        reason = f" ({_REASONS[therapy.stop_reason.value]})" if therapy.stop_reason else ""
        words.append(f"{_drug_words(therapy)}, begun on {therapy.start.isoformat()}, was stopped on {end}{reason}")
    unexplained = [t for t in stops if t.stop_reason is None]
    if not unexplained:
        ask = "weigh the recorded reason" + ("s" if len(stops) > 1 else "")
    elif len(stops) == 1:
        ask = "learn the reason for the stop"
    else:
        ask = "learn why it was stopped on " + _and(
            [t.end.isoformat() if t.end else "the date not recorded" for t in unexplained]
        )
    text = "; ".join(words)
    return {"stops": text[:1].upper() + text[1:], "ask": ask}


def _drug_words(therapy: Therapy) -> str:
    """A drug as a clinician names it: ``intravenous pemetrexed 500 mg every 21 days``, ``'XY-101' (oral)``."""
    agent = therapy.agent
    route = effective_route(therapy)
    if agent is Agent.OTHER:
        name = f"'{therapy.name}'" if therapy.name else "an unnamed drug"
        if route is not None:
            name += f" ({route.value})"
    else:
        name = agent.value
        if len(allowed_routes(agent)) > 1 and route is not None:
            name = f"{route.value} {name}"
        if therapy.name and therapy.name.casefold() not in agent.value and agent.value not in therapy.name.casefold():
            name += f" ('{therapy.name}')"
    # An absent interval is the agent's usual schedule: daily only for the oral EGFR TKIs.
    daily = therapy.interval_days == 1 or (therapy.interval_days is None and drug_class(therapy) is DrugClass.EGFR_TKI)
    if therapy.dose_mg is not None:
        name += f" {_mg(therapy.dose_mg)} mg"
    if daily and therapy.dose_mg is not None:
        name += " a day"
    elif therapy.interval_days not in (None, 1):
        name += f" every {therapy.interval_days} days"
    return name


def _therapy_words(therapy: Therapy) -> str:
    """A therapy with its start: ``erlotinib 1500 mg every 7 days since 2026-01-04``."""
    return f"{_drug_words(therapy)} since {therapy.start.isoformat()}" if therapy.start else _drug_words(therapy)


def _current_tkis(patient: Patient) -> dict[str, str]:
    """The EGFR TKIs a switch leaves, and the active drugs of unknown class a start cannot judge."""
    active = [t for t in _ordered(patient) if t.status is TherapyStatus.ACTIVE]
    tkis = [t for t in active if t.agent is not Agent.OSIMERTINIB and drug_class(t) is DrugClass.EGFR_TKI]
    unknown = [t for t in active if t.agent is Agent.OTHER and t.drug_class is None]
    unclassified = ""
    if unknown:
        unclassified = (
            f" Also active: {_and([_therapy_words(t) for t in unknown])}, whose drug class the record does not "
            "give; lmtx cannot tell whether it is an EGFR TKI. If it is, the advice is a switch to osimertinib "
            "instead of adding it."
        )
    return {
        "tkis": "; ".join(_therapy_words(t) for t in tkis),
        "working": _working(tkis, patient),
        "unclassified": unclassified,
    }


def _working(tkis: Sequence[Therapy], patient: Patient) -> str:
    """When the latest assessments since the current TKI began are all good, say so with their dates."""
    starts = [t.start for t in tkis if t.start is not None]
    if not starts:
        return ""
    since = max(starts)
    good: list[str] = []
    exams = [e for e in patient.neuro_exams if e.date > since]
    if exams:
        exam = max(exams, key=lambda e: e.date)
        if exam.symptoms.value in ("new", "persistent", "worsened"):
            return ""
        words = {"none": "without symptoms", "improved": "improved", "resolved": "with symptoms resolved"}
        good.append(f"neurological exam {words[exam.symptoms.value]} on {exam.date.isoformat()}")
    samples = [c for c in patient.csf_cytology if c.date > since]
    if samples:
        sample = max(samples, key=lambda c: c.date)
        if sample.result.value == "positive":
            return ""
        good.append(f"CSF cytology {sample.result.value} on {sample.date.isoformat()}")
    scans = [m for m in patient.mri if m.date > since]
    if scans:
        scan = max(scans, key=lambda m: m.date)
        if scan.response is not None and scan.response.value == "progression":
            return ""
        if scan.response is not None:
            good.append(f"MRI {scan.response.value.replace('_', ' ')} on {scan.date.isoformat()}")
    if not good:
        return ""
    names = _and([t.agent.value if t.agent is not Agent.OTHER else _drug_words(t) for t in tkis])
    return f" The latest assessments on {names} are good ({_and(good)}): the clinician weighs the switch."


def _workup_gap(derived: Sequence[Fact]) -> Fact:
    (gap,) = _of(derived, "workup_gap")  # the item needs one (docs/interpretation.md#lm-status)
    return gap


def _workup(derived: Sequence[Fact]) -> dict[str, str]:
    """The onset the workup counts from, what was done since, and any earlier negative workup."""
    gap = _workup_gap(derived)
    onset = int(gap["onset"])
    done = [
        f"{name} on {_iso(f['date'])}"
        for kind, name in (("first_mri", "MRI"), ("first_cytology", "CSF cytology"))
        for f in _of(derived, kind)
        if f["onset"] == onset
    ]
    earlier = []
    for complete in sorted(_of(derived, "workup_complete"), key=lambda f: int(f["onset"])):
        if int(complete["onset"]) >= onset:
            continue
        tests = [
            f"{name} on {_iso(f['date'])}"
            for kind, name in (("first_mri", "MRI"), ("first_cytology", "CSF cytology"))
            for f in _of(derived, kind)
            if f["onset"] == complete["onset"]
        ]
        earlier.append(
            f" An earlier workup, for symptoms from {_iso(complete['onset'])}, was complete and showed no LM "
            f"({_and(tests)}); the new or worse symptoms of {_iso(onset)} raise the question again."
        )
    return {
        "since": f"The symptoms counted from {_iso(onset)}",
        "done": _and(done),
        "earlier": "".join(earlier),
    }


def _delayed_diagnosis(derived: Sequence[Fact], patient: Patient) -> str:
    gaps = _of(derived, "workup_gap")
    if not gaps:
        return "Neurological symptoms without a complete workup."
    missing = {
        "mri-and-csf-cytology": "neither an MRI of the neuraxis nor a CSF cytology",
        "mri": "no MRI of the neuraxis",
        "csf-cytology": "no CSF cytology",
    }[str(gaps[0]["missing"])]
    latest = max(patient.neuro_exams, key=lambda e: e.date)
    return (
        f"Symptoms since {_iso(gaps[0]['onset'])} (latest exam {latest.date.isoformat()}: "
        f"{latest.symptoms.value}), and {missing} since then."
    )


def _cns_penetration(derived: Sequence[Fact], patient: Patient) -> str:
    active = [t for t in _ordered(patient) if t.status is TherapyStatus.ACTIVE and drug_class(t) is DrugClass.EGFR_TKI]
    given = _and([_therapy_words(t) for t in active])
    return f"The EGFR TKI given now: {given}; for LM the document prefers osimertinib 160 mg a day."


def _radiotherapy(derived: Sequence[Fact], patient: Patient) -> str:
    courses = [
        t
        for t in _ordered(patient)
        if t.agent is Agent.RADIOTHERAPY and t.status in (TherapyStatus.PLANNED, TherapyStatus.ACTIVE)
    ]
    words = [
        f"radiotherapy given since {t.start.isoformat()}"
        if t.status is TherapyStatus.ACTIVE and t.start is not None
        else "radiotherapy planned"
        for t in courses
    ]
    return f"{_and(words).capitalize()}, and no osimertinib is given."


def _systemic_disease(derived: Sequence[Fact], patient: Patient) -> str:
    if patient.systemic_disease.value == "unknown":
        return "The record holds no assessment of the disease outside the CNS."
    when = f" on {patient.systemic_disease_date.isoformat()}" if patient.systemic_disease_date else ""
    return f"The disease outside the CNS was assessed as progressing{when}."


def _established(derived: Sequence[Fact], patient: Patient) -> str:
    positive = sorted(c.date for c in patient.csf_cytology if c.result.value == "positive")
    enhancing = sorted(m.date for m in patient.mri if m.leptomeningeal_enhancement)
    if positive:
        basis = f"confirmed by a positive CSF cytology on {positive[0].isoformat()}"
    else:
        basis = f"probable from leptomeningeal enhancement on MRI on {enhancing[0].isoformat()}"
    return f"LM is {basis}. The figure is the document's, for patients before targeted therapy."


def _csf_flow(derived: Sequence[Fact], patient: Patient) -> str:
    when = f" on {patient.csf_flow_date.isoformat()}" if patient.csf_flow_date else " (date not recorded)"
    return f"A CSF flow study showed interrupted flow{when}."


_TRIGGERS = {
    "delayed-diagnosis": _delayed_diagnosis,
    "cns-penetration": _cns_penetration,
    "radiotherapy-overreliance": _radiotherapy,
    "systemic-disease": _systemic_disease,
    "median-survival": _established,
    "csf-flow-interrupted": _csf_flow,
}
"""What triggered each alert or note whose text names no finding of its own (docs/interpretation.md#texts)."""


PS_AT_DIAGNOSIS_DAYS = 30
"""How far from the LM diagnosis a performance status may lie to be the one at diagnosis."""


def _ecog_of(ps: PerformanceStatus) -> int:
    if ps.scale is PsScale.ECOG:
        return ps.score
    return next(ecog for low, high, ecog in KPS_TO_ECOG if low <= ps.score <= high)


def _ps_words(ps: PerformanceStatus) -> str:
    return f"ECOG {ps.score}" if ps.scale is PsScale.ECOG else f"KPS {ps.score} (ECOG {_ecog_of(ps)})"


def _ps_dated(ps: PerformanceStatus) -> str:
    when = f"recorded on {ps.date.isoformat()}" if ps.date is not None else "date not recorded"
    return f"{_ps_words(ps)}, {when}"


def _lm_diagnosis(patient: Patient) -> dt.date | None:
    """The earlier of the first positive CSF cytology and the first MRI with leptomeningeal enhancement."""
    found = [c.date for c in patient.csf_cytology if c.result.value == "positive"]
    found += [m.date for m in patient.mri if m.leptomeningeal_enhancement]
    return min(found, default=None)


def performance_status_at_diagnosis(patient: Patient) -> PerformanceStatus | None:
    """The PS at LM diagnosis (docs/interpretation.md#policy): a single one, or from a history."""
    assessments = patient.performance_statuses
    if len(assessments) == 1:
        return assessments[0]
    diagnosis = _lm_diagnosis(patient)
    if diagnosis is None:
        return None
    window = dt.timedelta(days=PS_AT_DIAGNOSIS_DAYS)
    before = [ps for ps in assessments if ps.date is not None and diagnosis - window <= ps.date <= diagnosis]
    if before:
        return max(before, key=lambda ps: ps.date or dt.date.min)
    after = [ps for ps in assessments if ps.date is not None and diagnosis < ps.date <= diagnosis + window]
    return min(after, key=lambda ps: ps.date or dt.date.max) if after else None


def _performance_status_note(patient: Patient) -> dict[str, str]:
    latest = latest_performance_status(patient)
    assert latest is not None  # the note needs a performance status
    at_diagnosis = performance_status_at_diagnosis(patient)
    if len(patient.performance_statuses) == 1:
        return {"ps": _ps_words(latest), "detail": f"{_ps_dated(latest)}."}
    diagnosis = _lm_diagnosis(patient)
    on = f" ({diagnosis.isoformat()})" if diagnosis is not None else ""
    if at_diagnosis is None:
        return {
            "ps": f"{_ps_words(latest)}, the latest; none recorded at LM diagnosis",
            "detail": f"No performance status was recorded within {PS_AT_DIAGNOSIS_DAYS} days of the LM "
            f"diagnosis{on}; the latest is {_ps_dated(latest)}.",
        }
    if at_diagnosis == latest:
        return {
            "ps": f"{_ps_words(latest)} at LM diagnosis",
            "detail": f"At LM diagnosis{on}: {_ps_dated(latest)}; it is also the latest assessment.",
        }
    return {
        "ps": f"{_ps_words(at_diagnosis)} at LM diagnosis; latest {_ps_words(latest)}",
        "detail": f"At LM diagnosis{on}: {_ps_dated(at_diagnosis)}. Latest: {_ps_dated(latest)}.",
    }


def _performance_status_missing(fact: Fact) -> str:
    if "date" not in fact:
        return (
            "No performance status is recorded. The document names it as the main prognostic factor, and at "
            "progression on the combination it decides whether intrathecal therapy is preferred."
        )
    words = f"ECOG {fact['score']}" if fact["scale"] == "ecog" else f"KPS {fact['score']}"
    return (
        f"The latest performance status, {words}, was recorded on {_iso(fact['date'])}, {fact['age']} days before "
        "the evaluation date: more than 90 days old, it cannot decide whether intrathecal therapy is preferred at "
        "this progression. Record a current one."
    )

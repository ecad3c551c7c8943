"""Words about osimertinib as the record gives it: the regimen as it is, its toxicity stops, plans, other TKIs.

Shared by the words of the initial treatment, the later stages and the
highest tolerable dose. The readings (which stops stand, which pieces make a
regimen) are made in :mod:`lmtx._facts.tolerance`; this module only says them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lmtx._facts import RESUME_DAYS, read_tolerance
from lmtx._facts.links import CYTOPENIAS
from lmtx._facts.tolerance import Tolerance, canonical
from lmtx._texts._shared import REASONS, Context, and_, of, ordered, therapy_words
from lmtx.drugs import (
    Agent,
    DrugClass,
    above_standard_dose,
    daily_dose,
    drug_class,
    drug_words,
    mg,
    standard_dose_words,
)
from lmtx.model import Patient, StopReason, Therapy, TherapyStatus, Toxicity

__all__ = [
    "ILD",
    "TERMS",
    "above_standard_words",
    "counts_words",
    "current_osimertinib",
    "dose_words",
    "linked_toxicities",
    "osimertinib_label",
    "osimertinib_parts",
    "other_tkis_words",
    "plans_words",
    "recent_cytopenias",
    "reduced_to",
    "regimen_kind",
    "standing_stops_words",
    "stop_words",
    "tolerance_of",
    "toxicity_words",
]

ILD = " The osimertinib label calls for stopping it for good after confirmed interstitial lung disease or pneumonitis."
"""The interstitial lung disease sentence (docs/interpretation.md#tolerable-dose)."""

TERMS = {"aseptic_meningitis": "aseptic meningitis", "other": "other adverse event"}
"""Toxicity terms as a sentence says them."""


def tolerance_of(context: Context) -> Tolerance:
    """The tolerance readings of the item's record."""
    return read_tolerance(context.patient, context.as_of)


def toxicity_words(toxicity: Toxicity) -> str:
    """``grade 3 rash on 2025-06-08``."""
    when = f"on {toxicity.date.isoformat()}" if toxicity.date else "(undated)"
    return f"grade {toxicity.grade} {TERMS.get(toxicity.term.value, toxicity.term.value)} {when}"


def dose_words(dose: float, interval: int) -> str:
    """``80 mg a day``, ``160 mg every 2 days``."""
    return f"{mg(dose)} mg " + ("a day" if interval == 1 else f"every {interval} days")


def stop_words(index: int, patient: Patient, tolerance: Tolerance) -> str:
    """A toxicity stop: ``osimertinib 160 mg a day, stopped on 2025-06-10 (for toxicity: grade 3 rash on ...)``."""
    therapy = patient.therapies[index]
    ended = f"{therapy.status.value} on {therapy.end.isoformat()}" if therapy.end else "stop date not recorded"
    lower = reduced_to(index, patient)
    if lower is not None and lower.start is not None:
        ended = f"reduced to {mg(daily_dose(lower))} mg a day on {lower.start.isoformat()}"
    reason = REASONS[therapy.stop_reason.value] if therapy.stop_reason else "no reason recorded"
    linked = and_([toxicity_words(x) for x in linked_toxicities(index, patient, tolerance)])
    if linked and therapy.stop_reason is StopReason.TOXICITY:
        said = f"{reason}: {linked}"
    else:
        # A reduction or stop recorded for another reason, or none, reads as one for toxicity when a
        # toxicity is linked to it (docs/interpretation.md#tolerable-dose): both are said.
        said = f"{reason}; linked to it: {linked}" if linked else reason
    return f"{drug_words(therapy)}, {ended} ({said})"


def reduced_to(index: int, patient: Patient) -> Therapy | None:
    """The lower dose of osimertinib that followed a stop within 7 days (a reduction), if any."""
    stopped = patient.therapies[index]
    if stopped.end is None or stopped.start is None:
        return None
    by = stopped.end + dt.timedelta(days=RESUME_DAYS)
    following = [
        t
        for j, t in enumerate(patient.therapies)
        if j != index
        and t.agent is Agent.OSIMERTINIB
        and t.status is not TherapyStatus.PLANNED
        and t.start is not None
        and stopped.start < t.start <= by
        and daily_dose(t) < daily_dose(stopped)
    ]
    return min(following, key=lambda t: (t.start or dt.date.max, canonical(t))) if following else None


def linked_toxicities(index: int, patient: Patient, tolerance: Tolerance) -> list[Toxicity]:
    """The toxicities linked to an osimertinib therapy, highest grade first (never in the record's order)."""
    return sorted((patient.toxicities[x] for x in tolerance.linked.get(index, ())), key=_toxicity_order)


def standing_stops_words(patient: Patient, tolerance: Tolerance) -> str:
    """`` Stopped for toxicity and not given again at that dose: ...``, or nothing without a standing stop."""
    if not tolerance.standing:
        return ""
    stops = "; ".join(stop_words(i, patient, tolerance) for i in _by_start(tolerance.standing, patient))
    return f" Stopped or reduced for toxicity, and not given again at that dose: {stops}."


def _by_start(indices: Sequence[int], patient: Patient) -> list[int]:
    return sorted(indices, key=lambda i: (patient.therapies[i].start or dt.date.max, canonical(patient.therapies[i])))


def regimen_kind(context: Context) -> str:
    """``160``, ``primary`` or ``held``: the osimertinib regimen the later stages build on (``""`` without one)."""
    regimens = of(context.derived, "osimertinib_regimen")
    return str(regimens[0]["kind"]) if regimens else ""


def current_osimertinib(context: Context) -> int | None:
    """The index of the osimertinib the later stages build on: the active one, or the one withheld."""
    kind = regimen_kind(context)
    if kind == "held":
        return tolerance_of(context).held
    active = [
        i
        for i, t in enumerate(context.patient.therapies)
        if t.agent is Agent.OSIMERTINIB and t.status is TherapyStatus.ACTIVE
    ]
    return active[0] if active else None


def osimertinib_label(context: Context) -> str:
    """The osimertinib regimen as it is: ``osimertinib 160 mg, reduced to 80 mg on 2025-06-11``."""
    head, changes = osimertinib_parts(context)
    return head + changes


def osimertinib_parts(context: Context) -> tuple[str, str]:
    """The run's first dose (``osimertinib 160 mg``) and what changed since (``, reduced to 80 mg on ...``).

    The run is every osimertinib linked to the current one, whatever its dose (the later stages read
    it): each change of dose along its pieces, and a withhold. Without a regimen (no established LM
    on osimertinib): ``osimertinib 160 mg`` and nothing.
    """
    index = current_osimertinib(context)
    kind = regimen_kind(context)
    if index is None or not kind:
        return "osimertinib 160 mg", ""
    therapies = context.patient.therapies
    pieces = [therapies[i] for i in tolerance_of(context).runs.get(index, (index,))]
    first = pieces[0]
    changes = ""
    previous = daily_dose(first)
    for piece in pieces[1:]:
        dose = daily_dose(piece)
        if dose != previous and piece.start is not None:
            verb = "reduced" if dose < previous else "raised"
            changes += f", {verb} to {_dose(piece)} on {piece.start.isoformat()}"
        previous = dose
    if kind == "held":
        held = therapies[index]
        # The end is the last day given: the withhold begins the day after.
        changes += f", last given on {held.end.isoformat()} and withheld since" if held.end else ", withheld"
    return f"osimertinib {_dose(first)}", changes


def _dose(therapy: Therapy) -> str:
    interval = therapy.interval_days or 1
    return f"{mg(therapy.dose_mg or 0.0)} mg" + ("" if interval == 1 else f" every {interval} days")


def plans_words(context: Context, advised_mg: float | None) -> str:
    """The planned EGFR TKIs, read against the advice (docs/interpretation.md#initial).

    A planned osimertinib is ``as planned`` when it is the advised dose a day; otherwise the
    sentence gives the document's dose (or, under a tolerance limit, whether the plan reaches it).
    Another planned TKI is the plan the advice replaces, or a second plan beside a matching one.
    """
    planned = [t for t in ordered(context.patient) if t.status is TherapyStatus.PLANNED]
    osimertinib = [t for t in planned if t.agent is Agent.OSIMERTINIB]
    others = [t for t in planned if t.agent is not Agent.OSIMERTINIB and drug_class(t) is DrugClass.EGFR_TKI]
    sentences: list[str] = []
    matching = [t for t in osimertinib if advised_mg is not None and _daily_once(t) == advised_mg]
    limit = tolerance_of(context).limit
    for plan in osimertinib:
        named = _planned(plan)
        if plan in matching:
            sentences.append(f"Osimertinib is planned as advised: {named}.")
        elif advised_mg is None and limit is not None:
            where = "at or above" if daily_dose(plan) >= limit else "below"
            sentences.append(f"Planned: {named}, {where} the dose stopped for toxicity ({mg(limit)} mg a day).")
        elif advised_mg is not None:
            wanted = (
                "for LM the document prefers 160 mg" if advised_mg == 160 else "without LM the standard dose is 80 mg"
            )
            sentences.append(f"Planned: {named}; {wanted} once daily.")
        else:
            sentences.append(f"Planned: {named}.")
    if others:
        listed = and_([f"{_planned(t)} ({standard_dose_words(t)})" for t in others])
        if matching or advised_mg is None:
            sentences.append(f"Also planned: {listed}.")
        else:
            sentences.append(f"This advice stands instead of the planned {listed}.")
    return "".join(f" {s}" for s in sentences)


def _daily_once(therapy: Therapy) -> float | None:
    return therapy.dose_mg if (therapy.interval_days or 1) == 1 else None


def _planned(therapy: Therapy) -> str:
    start = f" from {therapy.start.isoformat()}" if therapy.start else ""
    return f"{drug_words(therapy)}{start}"


def other_tkis_words(patient: Patient, *, active_only: bool = False) -> str:
    """The EGFR TKIs other than osimertinib given now, each with its dose against its standard dose."""
    given = [
        t
        for t in ordered(patient)
        if t.status is TherapyStatus.ACTIVE and t.agent is not Agent.OSIMERTINIB and drug_class(t) is DrugClass.EGFR_TKI
    ]
    if not given:
        return ""
    listed = "; ".join(f"{therapy_words(t)} ({standard_dose_words(t)})" for t in given)
    osimertinib = any(t.status is TherapyStatus.ACTIVE and t.agent is Agent.OSIMERTINIB for t in patient.therapies)
    return f" Another EGFR TKI is given{' as well' if osimertinib else ''}: {listed}."


def above_standard_words(patient: Patient, lm: bool) -> str:
    """A switch away from a TKI given above its standard dose: say so; the clinician weighs the switch."""
    above = [
        t
        for t in ordered(patient)
        if t.status is TherapyStatus.ACTIVE and t.agent is not Agent.OSIMERTINIB and above_standard_dose(t)
    ]
    if not above:
        return ""
    listed = and_([f"{therapy_words(t)} is {standard_dose_words(t)}" for t in above])
    why = (
        "for LM the document's primary treatment is osimertinib 160 mg a day"
        if lm
        else "the document prefers osimertinib for CNS disease"
    )
    return f" {listed[:1].upper()}{listed[1:]}; {why}: the clinician weighs the switch."


def counts_words(patient: Patient, as_of: dt.date | None) -> str:
    """A grade 3 or more cytopenia in the last six weeks (or undated): counts must recover first."""
    recent = recent_cytopenias(patient, as_of)
    if not recent:
        return ""
    named = and_([toxicity_words(x) for x in recent])
    return (
        f" Recorded in the last six weeks: {named}; blood counts must recover before chemotherapy or an "
        "intrathecal injection."
    )


def recent_cytopenias(patient: Patient, as_of: dt.date | None) -> list[Toxicity]:
    """The grade 3 or more neutropenias, leukopenias and thrombocytopenias of the last six weeks (or undated)."""
    recent = [
        x
        for x in patient.toxicities
        if x.grade >= 3
        and x.term.value in CYTOPENIAS
        and (x.date is None or (as_of is not None and (as_of - x.date).days <= 42))
    ]
    return sorted(recent, key=_toxicity_order)


def _toxicity_order(toxicity: Toxicity) -> tuple[int, str, dt.date]:
    return (-toxicity.grade, toxicity.term.value, toxicity.date or dt.date.max)

"""Dosage and timing: the route, the dose in mg and the interval between doses of a medication use.

Each reads the ``Dosage`` elements of one MedicationRequest or
MedicationStatement. Osimertinib doses are per day (dose per administration
times the schedule); other agents' are per administration, in mg, or a tablet
count times the one strength the drug's name gives (see
docs/input-format.md). The schedule (``timing.repeat``) gives the interval
between doses; a route or dose lmtx cannot read unambiguously is reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

from fhir.resources.R4B.dosage import Dosage

from lmtx._validate import MAX_INTERVAL_DAYS
from lmtx.drugs import allowed_routes
from lmtx.fhir._codes import SNOMED, V3_TIMING, codings, has_word, quantity_mg, text_of
from lmtx.fhir._report import Entry, Findings
from lmtx.model import Agent, Route

MIN_DOSE_MG = 0.01
"""Smallest dose read: below it a FHIR dose is a data error, not a dose of these drugs."""
MAX_DOSE_MG = 100_000.0
"""Largest dose read (100 g per administration or day)."""

_ROUTES = {
    (SNOMED, "26643006"): Route.ORAL,
    (SNOMED, "47625008"): Route.INTRAVENOUS,
    (SNOMED, "72607000"): Route.INTRATHECAL,
}

_ROUTE_WORDS = {
    Route.INTRATHECAL: ("intrathecal", "intrathecally", "it"),
    Route.INTRAVENOUS: ("intravenous", "intravenously", "iv"),
    Route.ORAL: ("oral", "orally", "po", "by mouth"),
}

_DOSE_NEEDED = frozenset({Agent.OSIMERTINIB})
"""Agents read only with a dose in mg: osimertinib, the one drug whose dose the rules read. Every other
drug is read without ``dose_mg`` when its dose is not in mg (a platinum course dosed per m² is kept)."""

_TIMING_CODES = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}

_DAYS_PER_UNIT = {"h": Fraction(1, 24), "d": Fraction(1), "wk": Fraction(7)}
"""Timing period units that are a fixed number of days (months and years are not)."""


def read_route(
    found: Findings, entry: Entry, agent: Agent, dosages: Sequence[Dosage], field: str
) -> tuple[bool, Route | None]:
    """The route the dosages give (``None`` when they give none); ``(False, None)`` when unusable."""
    routes: set[Route] = set()
    for dosage in dosages:
        coded = {_ROUTES[pair] for pair in codings(dosage.route) if pair in _ROUTES}
        if not coded:
            text = text_of(dosage.route) or (dosage.text or "").lower()
            coded = {route for route, words in _ROUTE_WORDS.items() if has_word(text, words)}
        routes |= coded
    if len(routes) > 1:
        found.issue(entry, "unmapped", f"several routes ({', '.join(sorted(routes))})", field)
        return False, None
    route = routes.pop() if routes else None
    allowed = allowed_routes(agent)
    if agent is Agent.OTHER or route in allowed:
        return True, route
    if len(allowed) > 1:
        found.issue(entry, "unmapped", f"{agent} without an {' or '.join(sorted(allowed))} route", field)
        return False, None
    if route is not None:
        (only,) = allowed
        kind = "an oral" if only is Route.ORAL else "an intravenous"
        found.issue(entry, "unmapped", f"{agent} by route {route}; lmtx knows it as {kind} drug", field)
        return False, None
    return True, route


def only_route(agent: Agent) -> Route | None:
    """The one route lmtx knows an agent by, or ``None`` when it has several (pemetrexed, `other`, ...)."""
    allowed = allowed_routes(agent)
    return next(iter(allowed)) if len(allowed) == 1 else None


def read_dose(
    found: Findings, entry: Entry, agent: Agent, dosages: Sequence[Dosage], *, display: str, field: str
) -> tuple[bool, float | None]:
    """The dose in mg (``None`` when there is none lmtx reads); ``(False, None)`` when the therapy is unusable."""
    doses: list[float] = []
    for dosage in dosages:
        per_dose = _per_dose_mg(dosage, display)
        if per_dose is None:
            continue
        if agent is Agent.OSIMERTINIB:
            per_day = _per_day(dosage)
            if per_day is None:
                found.issue(entry, "ambiguous", "osimertinib dose without a daily schedule read as once daily", field)
                per_day = 1.0
            doses.append(per_dose * per_day)
        else:
            doses.append(per_dose)
    if not doses:
        if agent not in _DOSE_NEEDED:
            if any(d.doseAndRate for d in dosages):
                found.issue(entry, "ambiguous", f"{agent} dose not in mg (not converted): read without dose_mg", field)
            return True, None
        unit = "a daily dose" if agent is Agent.OSIMERTINIB else "a dose per administration"
        found.issue(entry, "unmapped", f"{agent} without {unit} in mg (lmtx needs dose_mg)", field)
        return False, None
    if len(set(doses)) > 1:
        found.issue(
            entry, "ambiguous", f"several doses ({', '.join(f'{d:g}' for d in doses)} mg); the first is used", field
        )
    if not MIN_DOSE_MG <= doses[0] <= MAX_DOSE_MG:
        found.issue(
            entry,
            "unmapped",
            f"dose {doses[0]:g} mg is not a plausible dose (lmtx reads {MIN_DOSE_MG:g}-{MAX_DOSE_MG:g} mg)",
            field,
        )
        return False, None
    return True, doses[0]


def _per_dose_mg(dosage: Dosage, display: str) -> float | None:
    for dose_and_rate in dosage.doseAndRate or []:
        quantity = dose_and_rate.doseQuantity
        mg = quantity_mg(quantity)
        if mg is not None:
            return mg
        unit = ((quantity.code or quantity.unit or "") if quantity else "").strip().lower()
        if quantity is not None and quantity.value is not None and unit in ("{tbl}", "tablet", "tablets", "tab"):
            strengths = set(re.findall(r"(\d+(?:\.\d+)?)\s*mg\b", display))
            if len(strengths) == 1:
                return float(quantity.value) * float(strengths.pop())
    return None


def _per_day(dosage: Dosage) -> float | None:
    timing = dosage.timing
    if timing is None:
        return None
    repeat = timing.repeat
    if repeat is not None and (repeat.frequency is not None or repeat.period is not None):
        frequency = float(repeat.frequency or 1)
        period = float(repeat.period or 1)
        unit = repeat.periodUnit or "d"
        per_unit = {"d": 1.0, "h": 24.0}.get(unit)
        if per_unit is None or period <= 0:
            return None
        return frequency * per_unit / period
    for system, code in codings(timing.code):
        if system == V3_TIMING and code in _TIMING_CODES:
            return float(_TIMING_CODES[code])
    return None


def interval_days(found: Findings, entry: Entry, dosages: Sequence[Dosage], field: str) -> int | None:
    """Days between doses from ``timing.repeat`` (frequency per period): an interval of 2-365 whole days.

    Daily or more often gives ``None`` (the format's default schedule; the
    daily dose of osimertinib already counts the doses). A schedule that is
    not a whole number of days apart, a range (``frequencyMax``,
    ``periodMax``) or a period in months or years is not converted and is
    reported; several different schedules: the first is used, reported.
    """
    intervals: list[int] = []
    for dosage in dosages:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is None or (repeat.frequency is None and repeat.period is None):
            continue
        unit = repeat.periodUnit or "d"
        period = Fraction(str(repeat.period)) if repeat.period is not None else Fraction(1)
        frequency = Fraction(repeat.frequency or 1)
        if repeat.frequencyMax is not None or repeat.periodMax is not None:
            found.issue(entry, "ambiguous", "a dosing schedule given as a range: interval_days left out", field)
            continue
        if unit in ("s", "min") or period <= 0:
            continue
        if unit not in _DAYS_PER_UNIT:
            found.issue(
                entry,
                "ambiguous",
                f"a dosing period in '{unit}' is not a fixed number of days: interval_days left out",
                field,
            )
            continue
        interval = period * _DAYS_PER_UNIT[unit] / frequency
        if interval <= 1:
            continue
        if interval.denominator != 1 or interval > MAX_INTERVAL_DAYS:
            found.issue(
                entry,
                "ambiguous",
                f"a dose every {float(interval):.3g} days is not a whole number of days from 1 to "
                f"{MAX_INTERVAL_DAYS}: interval_days left out",
                field,
            )
            continue
        intervals.append(int(interval))
    if len(set(intervals)) > 1:
        shown = ", ".join(str(i) for i in intervals)
        found.issue(entry, "ambiguous", f"several dosing intervals ({shown} days); the first is used", field)
    return intervals[0] if intervals else None

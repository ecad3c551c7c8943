"""The course as readable text: what happened each day, what changed in the advice, the concordance.

Used by ``lmtx timeline`` (and by the plots for their labels): one row per
step with its date, phase and what changed since the step before, then one
row per concordance entry, then a footer that explains every mark the
report uses (a clinician reads it without the manual).
"""

from __future__ import annotations

import datetime as dt
import textwrap

from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.replay import Step, Timeline
from lmtx.model import Patient, Therapy, TherapyStatus, Toxicity

__all__ = ["FOOTER", "advised_through", "changes", "events_on", "render", "therapy_label"]

_ONE_DAY = dt.timedelta(days=1)

FOOTER: dict[str, tuple[str, str]] = {
    "advice": ("+code action", "advice that is new or changed that day (+osimertinib-160 start, say)"),
    "ended": ("-code", "advice that ended that day"),
    "alert": ("!code severity", "an alert that is new or changed that day; -!code: an alert that ended"),
    "undated": ("(undated)", "an item without a date: it counts only on the last day"),
    "joined": (
        "a > b",
        "one decision reached through successive advice (switch > start: the TKI was stopped and none given)",
    ),
    "basis": (
        "*",
        "advised while the patient was in scope only through brain metastases without a date (LM not "
        "established): the audit counts it apart and leaves it out of its lags",
    ),
    "indicated": (
        "INDICATED",
        "the days the advice stood: from the first day it was given to the day before the advice changed, "
        "or to the last day of the report while it still stands",
    ),
    "status": (
        "STATUS",
        "followed: carried out (LAG: days from the advice to the start); open: still advised and not "
        "carried out; lapsed: the advice changed before it was carried out; not-indicated: started while "
        "LM was established and no advice asked for it",
    ),
}
"""The footer of the text report: each mark it may use and what it means (only the marks used are listed)."""


def therapy_label(therapy: Therapy) -> str:
    """A therapy in a few words, e.g. ``osimertinib 160 mg oral``.

    Args:
        therapy: The therapy.

    Returns:
        The agent, dose and route.
    """
    parts = [therapy.name if therapy.agent.value == "other" and therapy.name else str(therapy.agent)]
    if therapy.dose_mg is not None:
        parts.append(f"{therapy.dose_mg:g} mg")
    if therapy.interval_days not in (None, 1):
        parts.append(f"every {therapy.interval_days} days")
    if therapy.route is not None:
        parts.append(str(therapy.route).replace("_", " "))
    return " ".join(parts)


def events_on(patient: Patient, day: dt.date | None, *, last: bool = False) -> list[str]:
    """What the record shows happening on ``day``.

    Args:
        patient: The whole record.
        day: The day (``None`` for a record without dates).
        last: Whether this is the last step, where planned therapies and undated items enter.

    Returns:
        Short descriptions, in the order of the record's fields.
    """
    events: list[str] = []
    for ps in patient.performance_statuses:
        if ps.date == day or (last and ps.date is None):
            undated = " (undated)" if ps.date is None else ""
            events.append(f"performance status {ps.scale.upper()} {ps.score}{undated}")
    events += [
        text
        for date, text in (
            (patient.brain_metastases_date, "brain metastases found"),
            (patient.csf_flow_date, f"CSF flow study: {patient.csf_flow}"),
            (patient.systemic_disease_date, f"systemic disease {patient.systemic_disease}"),
        )
        if date is not None and date == day
    ]
    events += [f"neuro exam: symptoms {e.symptoms}" for e in patient.neuro_exams if e.date == day]
    events += [f"CSF cytology {c.result}" for c in patient.csf_cytology if c.date == day]
    for mri in patient.mri:
        if mri.date == day:
            seen = "leptomeningeal enhancement" if mri.leptomeningeal_enhancement else "no leptomeningeal enhancement"
            events.append(f"MRI: {seen}" + (f", {mri.response.replace('_', ' ')}" if mri.response else ""))
    for therapy in patient.therapies:
        if therapy.status is TherapyStatus.PLANNED:
            if last:
                events.append(f"{therapy_label(therapy)} planned")
            continue
        if therapy.start == day:
            events.append(f"{therapy_label(therapy)} started")
        if therapy.end is not None and day is not None and therapy.end + _ONE_DAY == day:
            why = f", {therapy.stop_reason}" if therapy.stop_reason is not None else ""
            events.append(f"{therapy_label(therapy)} {therapy.status} (last day {therapy.end.isoformat()}{why})")
    events += [_toxicity(t) for t in patient.toxicities if t.date == day]
    if last:
        events += [f"{_toxicity(t)} (undated)" for t in patient.toxicities if t.date is None]
    return events


def _toxicity(toxicity: Toxicity) -> str:
    text = f"{toxicity.term.replace('_', ' ')} grade {toxicity.grade}"
    if toxicity.attributed_to:
        text += " (attributed to " + ", ".join(str(a) for a in toxicity.attributed_to) + ")"
    return text


def changes(before: Step | None, step: Step) -> list[str]:
    """How the advice of ``step`` differs from the step before.

    Args:
        before: The previous step, or ``None`` for the first.
        step: The step.

    Returns:
        ``+code action`` for a recommendation that is new or changed, ``-code`` for one that ended,
        ``!code severity`` for an alert that is new or changed, ``-!code`` for one that ended.
    """
    old_recs = {} if before is None else before.recommendations
    old_alerts = {} if before is None else before.alerts
    found = [f"+{c} {a}" for c, a in step.recommendations.items() if old_recs.get(c) != a]
    found += [f"-{c}" for c in old_recs if c not in step.recommendations]
    found += [f"!{c} {s}" for c, s in step.alerts.items() if old_alerts.get(c) != s]
    found += [f"-!{c}" for c in old_alerts if c not in step.alerts]
    return found


def _state(step: Step) -> str:
    if not step.applicable:
        return f"not applicable (LM {step.lm_status})"
    return f"{step.phase} (LM {step.lm_status})"


def advised_through(course: Timeline, day: dt.date) -> dt.date:
    """The last day the advice of the step of ``day`` stood: the day before the next step, or ``as_of``.

    Advice given on a step holds until the next step (the next day something in the record
    happened), whose advice may differ.

    Args:
        course: The timeline.
        day: The date of one of its steps.

    Returns:
        The day before the first step after ``day``; ``as_of`` (or ``day``) when there is none.
    """
    following = next((s.date for s in course.steps if s.date is not None and s.date > day), None)
    if following is not None:
        return following - _ONE_DAY
    return course.as_of or day


def _entry_row(course: Timeline, entry: ConcordanceEntry) -> list[str]:
    def day(value: dt.date | None) -> str:
        return "-" if value is None else value.isoformat()

    span = "-"
    if entry.indicated_from is not None and entry.indicated_until is not None:
        span = f"{day(entry.indicated_from)} .. {day(advised_through(course, entry.indicated_until))}"
    if entry.undated_basis:
        span += " *"
    lag = "-" if entry.lag_days is None else f"{entry.lag_days} d"
    action = " > ".join(entry.actions) if len(entry.actions) > 1 else entry.action or "-"
    return [entry.code, action, span, day(entry.acted_on), lag, entry.status]


def _table(rows: list[list[str]], width: int) -> list[str]:
    """Columns padded to their widest cell; the last column's paragraphs (lines) wrap to ``width``."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    indent = sum(widths) + 2 * len(widths)
    lines = []
    for row in rows:
        head = "".join(f"{cell:<{w}}  " for cell, w in zip(row, widths, strict=False))
        wrapped = [
            line
            for paragraph in row[-1].split("\n")
            for line in textwrap.wrap(paragraph, max(20, width - indent), break_on_hyphens=False)
        ] or [""]
        lines.append((head + wrapped[0]).rstrip())
        lines += [" " * indent + more for more in wrapped[1:]]
    return lines


def render(course: Timeline, width: int = 100) -> str:
    """The timeline as a readable report: the steps, then the concordance.

    Args:
        course: The timeline.
        width: Text width; the last column wraps to it.

    Returns:
        The report.
    """
    as_of = "-" if course.as_of is None else course.as_of.isoformat()
    lines = [f"Course of {course.patient_id or '(no id)'} up to {as_of}: {len(course.steps)} steps", ""]
    rows = [["DATE", "STATE", "WHAT HAPPENED / WHAT CHANGED"]]
    previous: Step | None = None
    for position, step in enumerate(course.steps):
        last = position == len(course.steps) - 1
        happened = events_on(course.patient, step.date, last=last)
        changed = changes(previous, step)
        what = "\n".join(
            part for part in ("; ".join(happened), "advice: " + ", ".join(changed) if changed else "") if part
        )
        rows.append(["-" if step.date is None else step.date.isoformat(), _state(step), what or "(no change)"])
        previous = step
    lines += _table(rows, width)
    lines += ["", "Concordance with the document:"]
    if course.concordance:
        header = ["CODE", "ACTION", "INDICATED", "ACTED ON", "LAG", "STATUS"]
        lines += _table([header, *(_entry_row(course, e) for e in course.concordance)], width)
    else:
        lines.append("(no treatment recommendation asked for a new therapy, and no start went unasked)")
    lines += ["", *_footer(course, "\n".join(lines), width)]
    return "\n".join(lines)


def _footer(course: Timeline, report: str, width: int) -> list[str]:
    """The explanation of every mark the report uses, wrapped to ``width``."""
    used = ["advice", "ended", "alert"]
    used += ["undated"] if "(undated)" in report else []
    used += ["joined"] if any(len(e.actions) > 1 for e in course.concordance) else []
    used += ["basis"] if any(e.undated_basis for e in course.concordance) else []
    used += ["indicated"] if any(e.indicated_from is not None for e in course.concordance) else []
    used += ["status"] if course.concordance else []
    lines = ["How to read this report:"]
    indent = 2 + max(len(FOOTER[key][0]) for key in used) + 2
    for key in used:
        mark, meaning = FOOTER[key]
        wrapped = textwrap.wrap(meaning, max(30, width - indent), break_on_hyphens=False)
        lines.append(f"  {mark:<{indent - 4}}  {wrapped[0]}")
        lines += [" " * indent + more for more in wrapped[1:]]
    return lines

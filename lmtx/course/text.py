"""The course as readable text: what happened each day, what changed in the advice, the concordance.

Used by ``lmtx timeline`` (and by the plots for their labels): one row per
step with its date, phase and what changed since the step before, then one
row per concordance entry.
"""

from __future__ import annotations

import datetime as dt
import textwrap

from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.replay import Step, Timeline
from lmtx.model import Patient, Therapy, TherapyStatus

__all__ = ["changes", "events_on", "render", "therapy_label"]


def therapy_label(therapy: Therapy) -> str:
    """A therapy in a few words, e.g. ``osimertinib 160 mg oral``.

    Args:
        therapy: The therapy.

    Returns:
        The agent, dose and route.
    """
    parts = [str(therapy.agent)]
    if therapy.dose_mg is not None:
        parts.append(f"{therapy.dose_mg:g} mg")
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
    ps = patient.performance_status
    if ps is not None and (ps.date == day or (last and ps.date is None)):
        events.append(f"performance status {ps.scale.upper()} {ps.score}")
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
        if therapy.end == day:
            events.append(f"{therapy_label(therapy)} {therapy.status}")
    events += [f"{t.term.replace('_', ' ')} grade {t.grade}" for t in patient.toxicities if t.date == day]
    if last:
        events += [
            f"{t.term.replace('_', ' ')} grade {t.grade} (undated)" for t in patient.toxicities if t.date is None
        ]
    return events


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


def _entry_row(entry: ConcordanceEntry) -> list[str]:
    def day(value: dt.date | None) -> str:
        return "-" if value is None else value.isoformat()

    span = "-" if entry.indicated_from is None else f"{day(entry.indicated_from)} .. {day(entry.indicated_until)}"
    lag = "-" if entry.lag_days is None else f"{entry.lag_days} d"
    return [entry.code, entry.action or "-", span, day(entry.acted_on), lag, entry.status]


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
        lines += _table([header, *(_entry_row(e) for e in course.concordance)], width)
    else:
        lines.append("(no treatment recommendation asked for a new therapy, and no start went unasked)")
    return "\n".join(lines)

"""The lanes of a course picture: concordance episodes, therapies, assessments, toxicities, performance status.

Each function draws one kind of lane in one panel, gives every mark its id
(``episode-N``, ``therapy-N``, ``assessment-KIND-N``, ``toxicity-N``,
``ps-N``), keeps its labels for placement and records in the drawing which
marks it used, so that the legend explains exactly those. The styles of the
marks are here, beside the code that uses them; the legend reads them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.plot._canvas import STATUS_COLOURS, x
from lmtx.course.plot._labels import label
from lmtx.course.plot._layout import Drawing, Window
from lmtx.course.replay import Timeline
from lmtx.model import CytologyResult, PerformanceStatus, PsScale, StopReason, Symptoms, Therapy, TherapyStatus
from lmtx.rules.prognosis import KPS_TO_ECOG

if TYPE_CHECKING:
    from matplotlib.axes import Axes

TOXICITY_COLOURS = {1: "#facc15", 2: "#f97316", 3: "#dc2626", 4: "#7f1d1d", 5: "#111827"}
"""The fill of a toxicity's square, by CTCAE grade."""

PS_COLOURS = {0: "#15803d", 1: "#15803d", 2: "#d97706", 3: "#b91c1c", 4: "#7f1d1d"}
"""The fill of a performance-status triangle, by ECOG grade."""

FINDING_STYLE = {True: ("o", "#b91c1c"), False: ("o", "#ffffff"), None: ("D", "#9ca3af")}
"""Marker and fill of an assessment: abnormal, normal, equivocal."""

FINDING_WORDS = {
    True: "abnormal: enhancement, positive cytology, symptoms",
    False: "normal: no enhancement, negative cytology, no symptoms",
    None: "equivocal cytology",
}
"""What each assessment marker means, in the legend."""


def _ended(course: Timeline, entry: ConcordanceEntry, end: dt.date) -> dt.date:
    """Where an episode's bar stops when nothing carried it out: the next step after its last one, or the end."""
    last = entry.indicated_until
    if last is None:
        return end
    return next((s.date for s in course.steps if s.date is not None and s.date > last), end)


def episode(axes: Axes, drawing: Drawing, window: Window, entry: ConcordanceEntry, *, y: int, gid: str) -> None:
    """One concordance entry: a bar from the advice to its end, or a cross at a start no advice asked for."""
    colour = STATUS_COLOURS[entry.status]
    ended = _ended(drawing.course, entry, drawing.end)
    if entry.indicated_from is None or entry.indicated_until is None:
        if entry.acted_on is None or not window.holds(entry.acted_on):
            return
        (mark,) = axes.plot([x(entry.acted_on)], [y], marker="X", ms=9, color=colour, lw=0, zorder=4)
        mark.set_gid(drawing.gid(gid))
        drawing.marks.setdefault("not-indicated", mark)
        label(drawing, axes, "not indicated", (entry.acted_on, y), 7, color=colour)
        return
    # A followed episode runs to the start that carried it out; an open one to the end of the picture;
    # a lapsed one until the step at which the advice changed.
    until = entry.acted_on or (window.last if entry.status == "open" else ended)
    if until < window.first or entry.indicated_from >= window.last:
        return
    (line,) = axes.plot(
        [x(entry.indicated_from), x(until)], [y, y], color=colour, lw=5, alpha=0.7, zorder=4, solid_capstyle="butt"
    )
    line.set_gid(drawing.gid(gid))
    drawing.marks.setdefault(entry.status, line)
    if entry.acted_on is not None and window.holds(entry.acted_on):
        (tick,) = axes.plot([x(entry.acted_on)], [y], marker="|", ms=14, mew=2, color=colour, zorder=5)
        drawing.marks.setdefault("acted", tick)
    if window.holds(entry.indicated_from):
        text = f"{entry.status}, lag {entry.lag_days} d" if entry.lag_days is not None else entry.status
        short = f"{entry.lag_days} d" if entry.lag_days is not None else entry.status
        if entry.undated_basis:
            text += " (undated basis)"
            short += "*"
        label(drawing, axes, text, (entry.indicated_from, y), 7, short, color=colour, ha="left")


def therapies(axes: Axes, drawing: Drawing, window: Window, given: list[Therapy], y: int) -> None:
    """One bar per therapy, from its start to its last day, one lane each from ``y`` down."""
    for index, therapy in enumerate(given):
        assert therapy.start is not None
        stop = (therapy.end + dt.timedelta(days=1)) if therapy.end is not None else window.last
        if stop > window.first and therapy.start < window.last:
            width = max((stop - therapy.start).days, 1)
            (bar,) = axes.barh(y, width, left=x(therapy.start), height=0.5, color="#4b5563", alpha=0.85, zorder=3)
            bar.set_gid(drawing.gid(f"therapy-{index}"))
            # A change of dose is not a stop: only a regimen stopped for another reason is hatched.
            if therapy.status is TherapyStatus.STOPPED and therapy.stop_reason is not StopReason.DOSE_CHANGE:
                bar.set_hatch("///")
                bar.set_edgecolor("#f9fafb")
                drawing.marks.setdefault("stopped", bar)
            else:
                drawing.marks.setdefault("therapy", bar)
        y -= 1


def assessments(axes: Axes, drawing: Drawing, window: Window, y: int) -> None:
    """MRI, CSF cytology and neurological exams, one lane each from ``y`` down, labelled with what they found."""
    patient = drawing.course.patient
    series: list[tuple[str, int, list[tuple[dt.date, bool | None, str]]]] = [
        ("mri", y, [(m.date, m.leptomeningeal_enhancement, (m.response or "").replace("_", " ")) for m in patient.mri]),
        ("csf", y - 1, [(c.date, _cytology(c.result), "") for c in patient.csf_cytology]),
        ("neuro", y - 2, [(e.date, _symptomatic(e.symptoms), str(e.symptoms)) for e in patient.neuro_exams]),
    ]
    for kind, row, points in series:
        for index, (day, abnormal, text) in enumerate(points):
            if not window.holds(day):
                continue
            marker, fill = FINDING_STYLE[abnormal]
            (mark,) = axes.plot([x(day)], [row], marker=marker, ms=8, mfc=fill, mec="#111827", lw=0, zorder=5)
            mark.set_gid(f"assessment-{kind}-{index}")
            drawing.marks.setdefault(f"finding-{abnormal}", mark)
            if text and text != "baseline":
                label(drawing, axes, text, (day, row), -12)


def toxicities(axes: Axes, drawing: Drawing, window: Window, row: int) -> None:
    """Each toxicity as a square in its grade's colour, labelled with its term and grade."""
    patient, course = drawing.course.patient, drawing.course
    for index, toxicity in enumerate(patient.toxicities):
        day = toxicity.date or course.as_of
        if day is None or not window.holds(day):
            continue
        colour = TOXICITY_COLOURS[toxicity.grade]
        (mark,) = axes.plot([x(day)], [row], marker="s", ms=8, mfc=colour, mec="#111827", lw=0, zorder=5)
        mark.set_gid(f"toxicity-{index}")
        drawing.marks.setdefault(f"grade-{min(toxicity.grade, 4)}", mark)
        undated = " (undated)" if toxicity.date is None else ""
        label(drawing, axes, f"{toxicity.term.replace('_', ' ')} G{toxicity.grade}{undated}", (day, row), -12)


def performance(axes: Axes, drawing: Drawing, window: Window, row: int) -> None:
    """Each performance-status assessment as a triangle coloured by its ECOG grade."""
    course = drawing.course
    for index, ps in enumerate(course.patient.performance_statuses):
        day = ps.date or course.as_of
        if day is None or not window.holds(day):
            continue
        ecog = _ecog(ps)
        (mark,) = axes.plot([x(day)], [row], marker="^", ms=8, mfc=PS_COLOURS[ecog], mec="#111827", lw=0, zorder=5)
        mark.set_gid(f"ps-{index}")
        drawing.marks.setdefault(f"ps-{min(ecog, 3) if ecog > 1 else 1}", mark)
        undated = " (undated)" if ps.date is None else ""
        label(drawing, axes, f"{ps.scale.upper()} {ps.score}{undated}", (day, row), -12)


def empty_lanes(axes: Axes, drawing: Drawing, window: Window, y: int) -> None:
    """Say so in the toxicity and PS lanes when the record holds none (an empty lane is no finding)."""
    course = drawing.course
    if window.compressed:
        return
    for row, items, what in (
        (y, course.patient.toxicities, "no toxicity recorded"),
        (y - 1, course.patient.performance_statuses, "no performance status recorded"),
    ):
        if not items:
            axes.annotate(
                what,
                (0.01, row),
                xycoords=("axes fraction", "data"),
                fontsize=7,
                color="#6b7280",
                va="center",
                style="italic",
            )


def _ecog(ps: PerformanceStatus) -> int:
    """The ECOG grade of an assessment (Karnofsky mapped as the rules map it)."""
    if ps.scale is PsScale.ECOG:
        return ps.score
    return next(ecog for low, high, ecog in KPS_TO_ECOG if low <= ps.score <= high)


def _cytology(result: CytologyResult) -> bool | None:
    return None if result is CytologyResult.EQUIVOCAL else result is CytologyResult.POSITIVE


def _symptomatic(symptoms: Symptoms) -> bool:
    return symptoms in (Symptoms.NEW, Symptoms.PERSISTENT, Symptoms.WORSENED)

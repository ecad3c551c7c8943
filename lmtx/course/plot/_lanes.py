"""The lanes of a course picture: advice (episodes, holds), assessments, critical alerts, toxicities, PS.

Each function draws one kind of lane in one panel, gives every mark its id
(``episode-N``, ``hold-N``, ``assessment-KIND-N``, ``alert-N``,
``toxicity-N``, ``ps-N``), keeps its labels for placement and records in the
drawing which marks it used, so that the legend explains exactly those.
Marks of one lane on one day are set apart across the lane (:func:`dodge`),
so that none hides another. The styles of the marks are here, beside the
code that uses them; the legend reads them. The therapies' lanes are in
``_therapies``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.plot._canvas import STATUS_COLOURS, x
from lmtx.course.plot._labels import label
from lmtx.course.plot._layout import SYMPTOMATIC, Drawing, Window
from lmtx.course.replay import Timeline
from lmtx.course.text import advised_through
from lmtx.model import CytologyResult, PerformanceStatus, PsScale, Symptoms
from lmtx.rules.prognosis import KPS_TO_ECOG

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

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

HOLD_COLOUR = "#475569"
"""The colour of advice to hold (maintenance advice: no episode, no status)."""

ALERT_STYLE: dict[str, Any] = {"marker": "$!$", "mfc": "#b91c1c", "mec": "#b91c1c", "mew": 0.6}
"""A critical alert: a red exclamation mark on the day it first appears (no other mark is red and unframed)."""

MARKER_SIZE = 8
"""Points; marks of one lane on one day shrink to stay apart (:func:`dodge`)."""


@attrs.frozen
class Place:
    """Where a mark sits across its lane: its offset from the middle (rows), its size (points), its rank that day."""

    offset: float = 0.0
    size: float = MARKER_SIZE
    rank: int = 0

    @property
    def shared(self) -> bool:
        """Whether other marks of the lane share its day."""
        return self.offset != 0.0 or self.rank > 0


def dodge(days: Sequence[dt.date | None]) -> list[Place]:
    """Where each mark of one lane sits, so that marks on one day never hide another.

    Args:
        days: The day of each mark, in the lane's order (``None``: not drawn).

    Returns:
        For each mark, its place: one mark of a day sits in the middle at full size; several spread
        over most of the lane's height, top to bottom in the lane's order, smaller when they are many.
    """
    counts = Counter(days)
    seen: Counter[dt.date | None] = Counter()
    placed = []
    for day in days:
        count, rank = counts[day], seen[day]
        seen[day] += 1
        if count == 1:
            placed.append(Place())
            continue
        # Over a bit more than half the lane: the lanes beside it stay apart from this one.
        spacing = 0.56 / (count - 1)
        # A row is at least 0.36 inch (26 points): ``spacing`` rows leave a point or more between marks.
        placed.append(Place(0.28 - rank * spacing, min(MARKER_SIZE, 26 * spacing - 1.5), rank))
    return placed


def mark_label(
    drawing: Drawing,
    axes: Axes,
    text: str,
    at: tuple[dt.date, float],
    place: Place,
    *shorter: str,
    beside: bool = False,
) -> None:
    """A mark's label: under a mark alone on its day; beside one of several (or when ``beside``), at its height.

    Beside a mark the label keeps its height (moved up or down it would name a neighbour); marks of
    one day take turns, right then left, so that labels on one side are two marks apart.
    """
    day, y = at
    if not (beside or place.shared):
        label(drawing, axes, text, (day, y + place.offset), -12, *shorter)
    elif place.rank % 2 == 0:
        label(drawing, axes, text, (day, y + place.offset), -3, *shorter, dx=7, ha="left", steady=True)
    else:
        label(drawing, axes, text, (day, y + place.offset), -3, *shorter, dx=-7, ha="right", steady=True)


def episode(axes: Axes, drawing: Drawing, window: Window, entry: ConcordanceEntry, *, y: int, gid: str) -> None:
    """One concordance entry: a bar from the advice to its end, or a cross at a start no advice asked for."""
    colour = STATUS_COLOURS[entry.status]
    if entry.indicated_from is None or entry.indicated_until is None:
        if entry.acted_on is None or not window.holds(entry.acted_on):
            return
        (mark,) = axes.plot([x(entry.acted_on)], [y], marker="X", ms=9, color=colour, lw=0, zorder=4)
        mark.set_gid(drawing.gid(gid))
        drawing.marks.setdefault("not-indicated", mark)
        label(drawing, axes, "not indicated", (entry.acted_on, y), 7, color=colour)
        return
    # A followed episode runs to the start that carried it out; an open or lapsed one through the last day
    # it stood (the day before the step at which the advice changed; as_of while open).
    until = entry.acted_on or advised_through(drawing.course, entry.indicated_until) + dt.timedelta(days=1)
    if until < window.first or entry.indicated_from >= window.last:
        return
    (line,) = axes.plot(
        [x(entry.indicated_from), x(until)], [y, y], color=colour, lw=5, alpha=0.7, zorder=4, solid_capstyle="butt"
    )
    line.set_gid(drawing.gid(gid))
    drawing.marks.setdefault(entry.status, line)
    if entry.acted_on is not None and window.holds(entry.acted_on):
        (tick,) = axes.plot([x(entry.acted_on)], [y], marker="|", ms=14, mew=2, color=colour, zorder=5)
        tick.set_gid(drawing.gid(f"acted-{gid}"))
        drawing.marks.setdefault("acted", tick)
    if window.holds(entry.indicated_from):
        text = f"{entry.status}, lag {entry.lag_days} d" if entry.lag_days is not None else entry.status
        short = f"{entry.lag_days} d" if entry.lag_days is not None else entry.status
        if entry.undated_basis:
            text += " (undated basis)"
            short += "*"
        label(drawing, axes, text, (entry.indicated_from, y), 7, short, color=colour, ha="left")


def holds(axes: Axes, drawing: Drawing, window: Window, codes: list[str], y: int) -> None:
    """Advice to hold, one lane per code from ``y`` down: a dashed bar over the days each hold stood."""
    course = drawing.course
    count = 0
    for code in codes:
        runs: list[tuple[dt.date, dt.date]] = []
        for step in course.steps:
            if step.date is None:
                continue
            if step.recommendations.get(code) != "hold":
                continue
            if runs and runs[-1][1] == _previous_step(course, step.date):
                runs[-1] = (runs[-1][0], step.date)
            else:
                runs.append((step.date, step.date))
        for first, last in runs:
            count += 1
            until = advised_through(course, last) + dt.timedelta(days=1)
            if until <= window.first or first >= window.last:
                continue
            (bar,) = axes.plot(
                [x(first), x(min(until, window.last))],
                [y, y],
                color=HOLD_COLOUR,
                lw=5,
                ls=(0, (2, 1)),
                zorder=4,
                solid_capstyle="butt",
                dash_capstyle="butt",
            )
            bar.set_gid(drawing.gid(f"hold-{count - 1}"))
            drawing.marks.setdefault("hold", bar)
        y -= 1


def _previous_step(course: Timeline, day: dt.date) -> dt.date | None:
    return max((s.date for s in course.steps if s.date is not None and s.date < day), default=None)


def assessments(axes: Axes, drawing: Drawing, window: Window, y: int) -> None:
    """MRI, CSF cytology and neurological exams, one lane each from ``y`` down, labelled with what they found."""
    patient = drawing.course.patient
    series: list[tuple[str, int, list[tuple[dt.date, bool | None, str]]]] = [
        ("mri", y, [(m.date, m.leptomeningeal_enhancement, (m.response or "").replace("_", " ")) for m in patient.mri]),
        ("csf", y - 1, [(c.date, _cytology(c.result), "") for c in patient.csf_cytology]),
        ("neuro", y - 2, [(e.date, _symptomatic(e.symptoms), str(e.symptoms)) for e in patient.neuro_exams]),
    ]
    for kind, row, points in series:
        places = dodge([day for day, _, _ in points])
        for index, ((day, abnormal, text), place) in enumerate(zip(points, places, strict=True)):
            if not window.holds(day):
                continue
            marker, fill = FINDING_STYLE[abnormal]
            mark = _mark(axes, day, row, place, marker=marker, mfc=fill, mec="#111827")
            mark.set_gid(f"assessment-{kind}-{index}")
            drawing.marks.setdefault(f"finding-{abnormal}", mark)
            if text and text != "baseline":
                mark_label(drawing, axes, text, (day, row), place)


def alerts(axes: Axes, drawing: Drawing, window: Window, row: int) -> None:
    """Each critical alert on the day it first appears (again after a day without it), labelled with its code."""
    onsets = critical_onsets(drawing.course)
    for index, ((day, code), place) in enumerate(zip(onsets, dodge([d for d, _ in onsets]), strict=True)):
        if not window.holds(day):
            continue
        mark = _mark(axes, day, row, attrs.evolve(place, size=place.size + 3), **ALERT_STYLE)
        mark.set_gid(f"alert-{index}")
        drawing.marks.setdefault("critical", mark)
        mark_label(drawing, axes, code, (day, row), place, beside=True)  # under it, it would name a toxicity


def critical_onsets(course: Timeline) -> list[tuple[dt.date, str]]:
    """(day, code) of each critical alert on the first step it is critical, after a step where it was not."""
    onsets: list[tuple[dt.date, str]] = []
    before: dict[str, str] = {}
    for step in course.steps:
        if step.date is None:
            continue
        now = step.alerts
        onsets += [(step.date, code) for code, severity in now.items() if severity == "critical" != before.get(code)]
        before = now
    return onsets


def toxicities(axes: Axes, drawing: Drawing, window: Window, row: int) -> None:
    """Each toxicity as a square in its grade's colour, labelled with its term and grade."""
    patient, course = drawing.course.patient, drawing.course
    days = [toxicity.date or course.as_of for toxicity in patient.toxicities]
    for index, (toxicity, day, place) in enumerate(zip(patient.toxicities, days, dodge(days), strict=True)):
        if day is None or not window.holds(day):
            continue
        mark = _mark(axes, day, row, place, marker="s", mfc=TOXICITY_COLOURS[toxicity.grade], mec="#111827")
        mark.set_gid(f"toxicity-{index}")
        drawing.marks.setdefault(f"grade-{min(toxicity.grade, 4)}", mark)
        undated = " (undated)" if toxicity.date is None else ""
        term = toxicity.term.replace("_", " ")
        text = f"{term} G{toxicity.grade}{undated}"
        mark_label(drawing, axes, text, (day, row), place, f"{term} G{toxicity.grade}", f"G{toxicity.grade}")


def performance(axes: Axes, drawing: Drawing, window: Window, row: int) -> None:
    """Each performance-status assessment as a triangle coloured by its ECOG grade."""
    course = drawing.course
    assessed = course.patient.performance_statuses
    days = [ps.date or course.as_of for ps in assessed]
    for index, (ps, day, place) in enumerate(zip(assessed, days, dodge(days), strict=True)):
        if day is None or not window.holds(day):
            continue
        ecog = _ecog(ps)
        mark = _mark(axes, day, row, place, marker="^", mfc=PS_COLOURS[ecog], mec="#111827")
        mark.set_gid(f"ps-{index}")
        drawing.marks.setdefault(f"ps-{min(ecog, 3) if ecog > 1 else 1}", mark)
        undated = " (undated)" if ps.date is None else ""
        mark_label(drawing, axes, f"{ps.scale.upper()} {ps.score}{undated}", (day, row), place)


def _mark(axes: Axes, day: dt.date, row: int, place: Place, **style: Any) -> Line2D:
    """One mark at its place in its lane; drawn whole even where it sits on the edge of the panel (as_of)."""
    (mark,) = axes.plot([x(day)], [row + place.offset], ms=place.size, lw=0, zorder=5, clip_on=False, **style)
    return mark


def empty_lanes(axes: Axes, drawing: Drawing, window: Window, toxicity_row: int, ps_row: int) -> None:
    """Say so in the toxicity and PS lanes when the record holds none (an empty lane is no finding)."""
    course = drawing.course
    if window.compressed:
        return
    for row, items, what in (
        (toxicity_row, course.patient.toxicities, "no toxicity recorded"),
        (ps_row, course.patient.performance_statuses, "no performance status recorded"),
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
    return symptoms in SYMPTOMATIC

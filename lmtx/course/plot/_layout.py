"""The frame of a course picture: its panels, its time axis, the phase bands behind the lanes.

A course is drawn on one time axis, or on a broken one: the earlier
history compressed in a narrow panel of its own, the current LM story in the
wide one (:func:`windows`). The axis ends at ``as_of``, marked by a labelled
line (:func:`as_of_line`). :class:`Drawing` holds what the picture has drawn
so far, for the legend and the labels.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs

from lmtx.course.plot._canvas import PHASE_COLOURS, x
from lmtx.course.replay import Timeline
from lmtx.model import Symptoms

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.text import Annotation

COMPRESS_BEFORE_DAYS = 180
"""History before the current LM story longer than this (and longer than the story) is drawn compressed.

The story begins at the first exam of the latest run of symptoms or at the LM diagnosis, whichever is earlier.
"""

ESTABLISHED = ("confirmed", "probable")
"""LM statuses that establish LM."""

SYMPTOMATIC = (Symptoms.NEW, Symptoms.PERSISTENT, Symptoms.WORSENED)
"""Exam findings that are symptoms (a run of them is unbroken until an exam without)."""


@attrs.frozen
class Window:
    """One panel of the time axis: the days it shows, and whether it is the compressed earlier history."""

    first: dt.date
    last: dt.date
    compressed: bool = False

    def holds(self, day: dt.date) -> bool:
        """Whether ``day`` falls in the panel."""
        return self.first <= day < self.last


@attrs.frozen
class Story:
    """Where the current LM story begins: its first day, and what happened on it."""

    first: dt.date
    what: str


def story(course: Timeline) -> Story | None:
    """The first exam of the latest run of symptoms or the LM diagnosis, whichever is earlier; ``None`` without LM.

    The diagnosis is the first step with LM established (its first MRI with enhancement or positive
    cytology). A run of symptoms is unbroken until an exam without symptoms; the latest run's first
    exam may precede the diagnosis by months, and belongs to the story all the same.
    """
    diagnosis = next((s.date for s in course.steps if s.date is not None and s.lm_status in ESTABLISHED), None)
    if diagnosis is None:
        return None
    onset: dt.date | None = None
    running = False
    for exam in sorted(course.patient.neuro_exams, key=lambda e: e.date):
        if exam.symptoms in SYMPTOMATIC and not running:
            onset = exam.date
        running = exam.symptoms in SYMPTOMATIC
    if onset is not None and onset < diagnosis:
        return Story(onset, "the first symptoms")
    return Story(diagnosis, "the LM diagnosis")


def windows(course: Timeline, start: dt.date, end: dt.date) -> list[Window]:
    """The panels: one, or the earlier history compressed beside the current LM story.

    The time axis ends at ``end`` (the day after ``as_of``: the end of the last day). The break falls a
    little before the story begins, so that the compressed panel never holds any of it.
    """
    begins = story(course)
    pad = dt.timedelta(days=max(2, round((end - start).days * 0.03)))
    if begins is None:
        return [Window(start - pad, end)]
    before, after = (begins.first - start).days, (end - begins.first).days
    if before <= COMPRESS_BEFORE_DAYS or before <= after:
        return [Window(start - pad, end)]
    lead = dt.timedelta(days=max(7, round(after * 0.06)))
    split = begins.first - lead
    return [Window(start - pad, split, compressed=True), Window(split, end)]


@attrs.define
class Drawing:
    """What one course picture holds: its rows, its labels (placed last) and the marks its legend explains."""

    course: Timeline
    rows: list[str]
    end: dt.date
    lanes: dict[str, int] = attrs.Factory(dict)
    labels: list[Annotation] = attrs.Factory(list)
    marks: dict[str, Any] = attrs.Factory(dict)
    phases: dict[str | None, Any] = attrs.Factory(dict)
    gids: set[str] = attrs.Factory(set)
    shorter: dict[int, list[str]] = attrs.Factory(dict)
    steady: set[int] = attrs.Factory(set)

    def lane(self, name: str) -> int:
        """The y of a named lane (``mri``, ``csf``, ``neuro``, ``alerts``, ``toxicity``, ``ps``)."""
        return self.lanes[name]

    def gid(self, name: str) -> str:
        """``name`` where a part first shows, ``name-cont`` where it goes on across the break of the time axis."""
        if name in self.gids:
            return f"{name}-cont"
        self.gids.add(name)
        return name


def bands(course: Timeline) -> list[tuple[str | None, dt.date, dt.date]]:
    """Runs of consecutive steps in one phase: (phase, first day, day after the run)."""
    dated = [s for s in course.steps if s.date is not None]
    runs: list[tuple[str | None, dt.date, dt.date]] = []
    for position, step in enumerate(dated):
        assert step.date is not None
        following = dated[position + 1].date if position + 1 < len(dated) else None
        until = following or step.date + dt.timedelta(days=1)
        if runs and runs[-1][0] == step.phase:
            runs[-1] = (step.phase, runs[-1][1], until)
        else:
            runs.append((step.phase, step.date, until))
    return runs


def phase_bands(axes: Axes, drawing: Drawing, window: Window) -> None:
    """The phases as coloured bands behind the lanes of one panel."""
    runs = bands(drawing.course)
    for index, (phase, first, until) in enumerate(runs):
        if until <= window.first or first >= window.last:
            continue
        # The last phase runs to the as-of line, the end of the last day (whose label has its colour).
        right = min(until, window.last)
        band = axes.axvspan(x(first), x(right), color=PHASE_COLOURS.get(phase, "#eeeeee"), alpha=0.8, zorder=0, lw=0)
        band.set_gid(drawing.gid(f"phase-band-{index}"))
        drawing.phases.setdefault(phase, band)


def axis(axes: Axes, drawing: Drawing, window: Window) -> None:
    """The panel's limits, date ticks and titles; the compressed panel is hatched and marked as such."""
    rows = drawing.rows
    axes.set_ylim(-0.7, len(rows) - 0.05)  # room above the top row for its label
    axes.set_xlim(x(window.first), x(window.last))
    axes.grid(axis="x", color="#9ca3af", lw=0.4, alpha=0.6)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415 - loaded with matplotlib

    locator = AutoDateLocator(minticks=2, maxticks=3 if window.compressed else 9)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.tick_params(axis="x", labelsize=8)
    if window.compressed:
        axes.set_title(
            f"earlier history, compressed\n{window.first.isoformat()} to {window.last.isoformat()}",
            loc="left",
            fontsize=8,
            color="#374151",
        )
        axes.spines["right"].set_linestyle((0, (4, 3)))
        for edge in (1.0,):
            axes.plot(
                [edge - 0.02, edge + 0.02], [-0.02, 0.02], transform=axes.transAxes, color="#111827", clip_on=False
            )
            axes.plot(
                [edge - 0.02, edge + 0.02], [0.98, 1.02], transform=axes.transAxes, color="#111827", clip_on=False
            )
        compressed = axes.axvspan(x(window.first), x(window.last), facecolor="none", hatch="..", ec="#d1d5db", lw=0)
        compressed.set_gid("compressed-history")
        drawing.marks["compressed"] = compressed
    else:
        spec = axes.get_subplotspec()
        begins = story(drawing.course)
        if spec is not None and spec.colspan.start > 0 and begins is not None:
            title = f"from {begins.what} on ({begins.first.isoformat()})"
            axes.set_title(title, loc="left", fontsize=8, color="#374151")
            axes.tick_params(axis="y", left=False)
    spec = axes.get_subplotspec()
    if spec is None or spec.colspan.start == 0:
        axes.set_yticks(range(len(rows)), list(reversed(rows)), fontsize=8)


def as_of_line(axes: Axes, drawing: Drawing) -> None:
    """The end of the time axis: a line at the end of ``as_of``, labelled with the day on the current phase's colour.

    Nothing is drawn after it but the planned therapies, marked at it. The label's colour keeps the
    current phase in view when it began on the last day (its band is then one day wide).
    """
    course = drawing.course
    if course.as_of is None:
        return
    axes.spines["right"].set_visible(False)  # the line is the end of the axis
    line = axes.axvline(x(drawing.end), color="#111827", lw=1.2, ls=(0, (4, 2)), zorder=6)
    line.set_gid("as-of")
    drawing.marks["as-of"] = line
    now = course.steps[-1]
    text = axes.annotate(
        f"as of {course.as_of.isoformat()}",
        (x(drawing.end), 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-2, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.2", "fc": PHASE_COLOURS.get(now.phase, "#eeeeee"), "ec": "#111827", "lw": 0.8},
    )
    text.set_gid("as-of-label")

"""Pictures of a course and of a cohort audit, drawn with matplotlib: ``pip install 'lmtx[plot]'``.

:func:`plot_timeline` draws one patient's course (:func:`timeline_figure`):
the phases as coloured bands over time, the therapies as bars, the
assessments as markers, a toxicity lane and a performance-status lane, the
concordance episodes with their lag, and a legend for every mark; a long
history before the LM diagnosis is compressed in a panel of its own.
:func:`plot_audit` draws a cohort's concordance per recommendation and the
distribution of the lags. Both write SVG or PNG through matplotlib's
non-interactive renderers (no display, no ``pyplot`` state), and label the
parts of the picture (``gid``) so that an SVG can be checked and styled:
``phase-band-N``, ``therapy-N``, ``assessment-KIND-N``, ``toxicity-N``,
``ps-N``, ``episode-N``, ``label-N``, ``compressed-history``,
``legend-phases``, ``legend-marks`` (a band or bar that goes on across the
break of the time axis has ``-cont`` there).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from lmtx.course.audit import AuditReport
from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.replay import Timeline
from lmtx.course.text import therapy_label
from lmtx.model import CytologyResult, PerformanceStatus, PsScale, StopReason, Symptoms, Therapy, TherapyStatus
from lmtx.rules.prognosis import KPS_TO_ECOG

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation, Text

__all__ = [
    "COMPRESS_BEFORE_DAYS",
    "FORMATS",
    "INSTALL",
    "PHASE_COLOURS",
    "PlottingUnavailable",
    "plot_audit",
    "plot_timeline",
    "timeline_figure",
]

INSTALL = "pip install 'lmtx[plot]'"
"""The command that installs what the plots need."""

FORMATS = ("svg", "png")
"""The picture formats, chosen by the file's suffix."""

PHASE_COLOURS = {
    "diagnostic-workup": "#fde68a",
    "cns-metastases-without-lm": "#e9d5ff",
    "initial": "#fecaca",
    "osimertinib-monotherapy": "#bbf7d0",
    "inadequate-response": "#fed7aa",
    "combination": "#bfdbfe",
    "progression-on-combination": "#fca5a5",
    "beyond-document": "#d1d5db",
    None: "#f3f4f6",
}
"""The colour of each phase's band (``None``: not applicable)."""

_STATUS_COLOURS = {"followed": "#15803d", "open": "#b45309", "lapsed": "#b91c1c", "not-indicated": "#6b21a8"}


class PlottingUnavailable(ImportError):  # noqa: N818 - reads as the condition it reports
    """matplotlib is not installed; the message names the command that installs it."""


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - an optional extra, loaded only to draw
    except ImportError as error:
        raise PlottingUnavailable(f"drawing needs matplotlib ({error}); install it with: {INSTALL}") from None
    return Figure(figsize=(width, height), layout="constrained")


def _x(day: dt.date) -> float:
    """A day as matplotlib's date number."""
    from matplotlib.dates import date2num  # noqa: PLC0415 - loaded with matplotlib

    return float(date2num(day))  # type: ignore[no-untyped-call]  # matplotlib leaves it unannotated


def _format(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ValueError(f"cannot tell the picture format of {path.name}: use a .svg or .png file name")
    return kind


def _save(figure: Figure, path: Path, kind: str) -> None:
    from matplotlib import rc_context  # noqa: PLC0415 - loaded with matplotlib

    # No creation date in the file (the same course gives the same picture), and text kept as text in SVG
    # (searchable, readable by screen readers) rather than drawn as outlines.
    metadata: dict[str, Any] = {"Date": None} if kind == "svg" else {"Software": "lmtx (matplotlib)"}
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "lmtx"}):
        figure.savefig(path, format=kind, metadata=metadata, dpi=110)


def _bands(course: Timeline) -> list[tuple[str | None, dt.date, dt.date]]:
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


COMPRESS_BEFORE_DAYS = 180
"""History before the LM diagnosis longer than this (and longer than the LM period) is drawn compressed."""

_ESTABLISHED = ("confirmed", "probable")
_TOXICITY_COLOURS = {1: "#facc15", 2: "#f97316", 3: "#dc2626", 4: "#7f1d1d", 5: "#111827"}
_PS_COLOURS = {0: "#15803d", 1: "#15803d", 2: "#d97706", 3: "#b91c1c", 4: "#7f1d1d"}
_STATUS_WORDS = {
    "followed": "advice followed (bar: advice to start)",
    "open": "advice open (not carried out)",
    "lapsed": "advice lapsed (changed before carried out)",
}


@attrs.frozen
class _Window:
    """One panel of the time axis: the days it shows, and whether it is the compressed earlier history."""

    first: dt.date
    last: dt.date
    compressed: bool = False

    def holds(self, day: dt.date) -> bool:
        return self.first <= day < self.last


def _windows(course: Timeline, start: dt.date, end: dt.date) -> list[_Window]:
    """The panels: one, or the earlier history compressed beside the course from the LM diagnosis on."""
    diagnosis = next((s.date for s in course.steps if s.date is not None and s.lm_status in _ESTABLISHED), None)
    pad = dt.timedelta(days=max(2, round((end - start).days * 0.03)))
    if diagnosis is None:
        return [_Window(start - pad, end + pad)]
    before, after = (diagnosis - start).days, (end - diagnosis).days
    if before <= COMPRESS_BEFORE_DAYS or before <= after:
        return [_Window(start - pad, end + pad)]
    lead = dt.timedelta(days=max(7, round(after * 0.06)))
    split = diagnosis - lead
    tail = dt.timedelta(days=max(2, round((end - split).days * 0.04)))
    return [_Window(start - pad, split, compressed=True), _Window(split, end + tail)]


def _ecog(ps: PerformanceStatus) -> int:
    """The ECOG grade of an assessment (Karnofsky mapped as the rules map it)."""
    if ps.scale is PsScale.ECOG:
        return ps.score
    return next(ecog for low, high, ecog in KPS_TO_ECOG if low <= ps.score <= high)


@attrs.define
class _Drawing:
    """What one course picture holds: its rows, its labels (placed last) and the marks its legend explains."""

    course: Timeline
    rows: list[str]
    end: dt.date
    labels: list[Annotation] = attrs.Factory(list)
    marks: dict[str, Any] = attrs.Factory(dict)
    phases: dict[str | None, Any] = attrs.Factory(dict)
    gids: set[str] = attrs.Factory(set)
    shorter: dict[int, list[str]] = attrs.Factory(dict)

    def gid(self, name: str) -> str:
        """``name`` where a part first shows, ``name-cont`` where it goes on across the break of the time axis."""
        if name in self.gids:
            return f"{name}-cont"
        self.gids.add(name)
        return name


def timeline_figure(course: Timeline) -> Figure:
    """The picture of a course, laid out and with its labels placed (what :func:`plot_timeline` saves).

    Rows, top to bottom: the concordance episodes, the therapies, MRI, CSF
    cytology, neurological exams, toxicities (term and CTCAE grade) and
    performance status; the phases are coloured bands behind them. A course
    whose history before the LM diagnosis is long (over
    :data:`COMPRESS_BEFORE_DAYS` days, and longer than the LM period) is shown
    on a broken time axis: the earlier history compressed in a narrow panel
    marked as such, the course from the LM diagnosis on in the wide one. The
    last phase's band reaches the right edge, so the current phase shows even
    when it began on the last day. Every mark is in the legend; no label
    overlaps another or leaves the picture.

    Args:
        course: The timeline.

    Returns:
        The figure (matplotlib, not attached to pyplot).

    Raises:
        PlottingUnavailable: matplotlib is not installed.
    """
    patient = course.patient
    therapies = [t for t in patient.therapies if t.status is not TherapyStatus.PLANNED and t.start is not None]
    episodes = list(course.concordance)
    rows = [f"{e.code} {' > '.join(e.actions) if len(e.actions) > 1 else e.action or ''}".strip() for e in episodes]
    rows = [row if e.action else f"{e.code} (not indicated)" for row, e in zip(rows, episodes, strict=True)]
    rows += [therapy_label(t) for t in therapies]
    rows += ["MRI", "CSF cytology", "Neuro exam", "Toxicity (CTCAE grade)", "Performance status"]
    last = course.as_of or dt.date.today()  # only a record without dates lacks as_of, and it draws no band
    end = last + dt.timedelta(days=1)
    start = min([s.date for s in course.steps if s.date] + [t.start for t in therapies if t.start] + [last])
    windows = _windows(course, start, end)
    figure = _figure(12, 2.6 + 0.36 * len(rows))
    if len(windows) == 1:
        panels = [figure.add_subplot()]
    else:
        panels = list(figure.subplots(1, 2, sharey=True, width_ratios=(1, 4), gridspec_kw={"wspace": 0.02}))
    drawing = _Drawing(course, rows, end)
    for axes, window in zip(panels, windows, strict=True):
        _draw_panel(axes, drawing, window, therapies, episodes)
    _legends(figure, drawing)
    as_of = "-" if course.as_of is None else course.as_of.isoformat()
    now = course.steps[-1]
    state = (now.phase or "not applicable") if now.date is not None else "not applicable"
    figure.suptitle(
        f"Course of {course.patient_id or '(no id)'} up to {as_of}. Now: {state} (LM {now.lm_status})",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    _place_labels(figure, drawing.labels, drawing.shorter)
    return figure


def plot_timeline(course: Timeline, path: str | Path) -> Path:
    """Draw a patient's course to an SVG or PNG file (the picture of :func:`timeline_figure`).

    Args:
        course: The timeline.
        path: The file to write; its suffix (``.svg`` or ``.png``) picks the format.

    Returns:
        The path written.

    Raises:
        PlottingUnavailable: matplotlib is not installed.
        ValueError: The suffix is neither ``.svg`` nor ``.png``.
    """
    target = Path(path)
    kind = _format(target)
    _save(timeline_figure(course), target, kind)
    return target


def _label(
    drawing: _Drawing, axes: Axes, text: str, at: tuple[dt.date, float], dy: float, *shorter: str, **style: Any
) -> None:
    """A label at a mark, kept for placement (it may move up or down its lane, never away from its mark).

    ``shorter`` are shorter wordings to try, in order, where the full one finds no free place.
    """
    style.setdefault("ha", "center")
    day, y = at
    label = axes.annotate(text, (_x(day), y), xytext=(0, dy), textcoords="offset points", fontsize=7, **style)
    label.set_gid(f"label-{len(drawing.labels)}")
    drawing.shorter[id(label)] = list(shorter)
    drawing.labels.append(label)


def _draw_panel(
    axes: Axes,
    drawing: _Drawing,
    window: _Window,
    therapies: list[Therapy],
    episodes: list[ConcordanceEntry],
) -> None:
    """Everything of the course that falls in one panel of the time axis."""
    course, rows = drawing.course, drawing.rows
    bands = _bands(course)
    for index, (phase, first, until) in enumerate(bands):
        if until <= window.first or first >= window.last:
            continue
        # The last phase runs to the edge of the picture: the current phase shows even if it began today.
        right = window.last if index == len(bands) - 1 else until
        band = axes.axvspan(_x(first), _x(right), color=PHASE_COLOURS.get(phase, "#eeeeee"), alpha=0.8, zorder=0, lw=0)
        band.set_gid(drawing.gid(f"phase-band-{index}"))
        drawing.phases.setdefault(phase, band)
    y = len(rows) - 1
    for index, entry in enumerate(episodes):
        _episode(axes, drawing, window, entry, y=y, gid=f"episode-{index}")
        y -= 1
    for index, therapy in enumerate(therapies):
        assert therapy.start is not None
        stop = (therapy.end + dt.timedelta(days=1)) if therapy.end is not None else window.last
        if stop > window.first and therapy.start < window.last:
            width = max((stop - therapy.start).days, 1)
            (bar,) = axes.barh(y, width, left=_x(therapy.start), height=0.5, color="#4b5563", alpha=0.85, zorder=3)
            bar.set_gid(drawing.gid(f"therapy-{index}"))
            # A change of dose is not a stop: only a regimen stopped for another reason is hatched.
            if therapy.status is TherapyStatus.STOPPED and therapy.stop_reason is not StopReason.DOSE_CHANGE:
                bar.set_hatch("///")
                bar.set_edgecolor("#f9fafb")
                drawing.marks.setdefault("stopped", bar)
            else:
                drawing.marks.setdefault("therapy", bar)
        y -= 1
    _assessments(axes, drawing, window, y)
    _toxicities(axes, drawing, window, y - 3)
    _performance(axes, drawing, window, y - 4)
    _empty_lanes(axes, drawing, window, y - 3)


def _empty_lanes(axes: Axes, drawing: _Drawing, window: _Window, y: int) -> None:
    """Say so in the toxicity and PS lanes when the record holds none (an empty lane is no finding)."""
    course = drawing.course
    if not window.compressed:
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
    _axis(axes, drawing, window)


def _axis(axes: Axes, drawing: _Drawing, window: _Window) -> None:
    """The panel's limits, date ticks and titles; the compressed panel is hatched and marked as such."""
    rows = drawing.rows
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.set_xlim(_x(window.first), _x(window.last))
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
        for x in (1.0,):
            axes.plot([x - 0.02, x + 0.02], [-0.02, 0.02], transform=axes.transAxes, color="#111827", clip_on=False)
            axes.plot([x - 0.02, x + 0.02], [0.98, 1.02], transform=axes.transAxes, color="#111827", clip_on=False)
        compressed = axes.axvspan(_x(window.first), _x(window.last), facecolor="none", hatch="..", ec="#d1d5db", lw=0)
        compressed.set_gid("compressed-history")
        drawing.marks["compressed"] = compressed
    else:
        spec = axes.get_subplotspec()
        if spec is not None and spec.colspan.start > 0:
            axes.set_title("from the LM diagnosis on", loc="left", fontsize=8, color="#374151")
            axes.tick_params(axis="y", left=False)
    spec = axes.get_subplotspec()
    if spec is None or spec.colspan.start == 0:
        axes.set_yticks(range(len(rows)), list(reversed(rows)), fontsize=8)


def _ended(course: Timeline, entry: ConcordanceEntry, end: dt.date) -> dt.date:
    """Where an episode's bar stops when nothing carried it out: the next step after its last one, or the end."""
    last = entry.indicated_until
    if last is None:
        return end
    return next((s.date for s in course.steps if s.date is not None and s.date > last), end)


def _episode(axes: Axes, drawing: _Drawing, window: _Window, entry: ConcordanceEntry, *, y: int, gid: str) -> None:
    colour = _STATUS_COLOURS[entry.status]
    ended = _ended(drawing.course, entry, drawing.end)
    if entry.indicated_from is None or entry.indicated_until is None:
        if entry.acted_on is None or not window.holds(entry.acted_on):
            return
        (mark,) = axes.plot([_x(entry.acted_on)], [y], marker="X", ms=9, color=colour, lw=0, zorder=4)
        mark.set_gid(drawing.gid(gid))
        drawing.marks.setdefault("not-indicated", mark)
        _label(drawing, axes, "not indicated", (entry.acted_on, y), 7, color=colour)
        return
    # A followed episode runs to the start that carried it out; an open one to the end of the picture;
    # a lapsed one until the step at which the advice changed.
    until = entry.acted_on or (window.last if entry.status == "open" else ended)
    if until < window.first or entry.indicated_from >= window.last:
        return
    (line,) = axes.plot(
        [_x(entry.indicated_from), _x(until)], [y, y], color=colour, lw=5, alpha=0.7, zorder=4, solid_capstyle="butt"
    )
    line.set_gid(drawing.gid(gid))
    drawing.marks.setdefault(entry.status, line)
    if entry.acted_on is not None and window.holds(entry.acted_on):
        (tick,) = axes.plot([_x(entry.acted_on)], [y], marker="|", ms=14, mew=2, color=colour, zorder=5)
        drawing.marks.setdefault("acted", tick)
    if window.holds(entry.indicated_from):
        label = f"{entry.status}, lag {entry.lag_days} d" if entry.lag_days is not None else entry.status
        short = f"{entry.lag_days} d" if entry.lag_days is not None else entry.status
        if entry.undated_basis:
            label += " (undated basis)"
            short += "*"
        _label(drawing, axes, label, (entry.indicated_from, y), 7, short, color=colour, ha="left")


_FINDING_STYLE = {True: ("o", "#b91c1c"), False: ("o", "#ffffff"), None: ("D", "#9ca3af")}
_FINDING_WORDS = {
    True: "abnormal: enhancement, positive cytology, symptoms",
    False: "normal: no enhancement, negative cytology, no symptoms",
    None: "equivocal cytology",
}


def _assessments(axes: Axes, drawing: _Drawing, window: _Window, y: int) -> None:
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
            marker, fill = _FINDING_STYLE[abnormal]
            (mark,) = axes.plot([_x(day)], [row], marker=marker, ms=8, mfc=fill, mec="#111827", lw=0, zorder=5)
            mark.set_gid(f"assessment-{kind}-{index}")
            drawing.marks.setdefault(f"finding-{abnormal}", mark)
            if text and text != "baseline":
                _label(drawing, axes, text, (day, row), -12)


def _toxicities(axes: Axes, drawing: _Drawing, window: _Window, row: int) -> None:
    patient, course = drawing.course.patient, drawing.course
    for index, toxicity in enumerate(patient.toxicities):
        day = toxicity.date or course.as_of
        if day is None or not window.holds(day):
            continue
        colour = _TOXICITY_COLOURS[toxicity.grade]
        (mark,) = axes.plot([_x(day)], [row], marker="s", ms=8, mfc=colour, mec="#111827", lw=0, zorder=5)
        mark.set_gid(f"toxicity-{index}")
        drawing.marks.setdefault(f"grade-{min(toxicity.grade, 4)}", mark)
        undated = " (undated)" if toxicity.date is None else ""
        _label(drawing, axes, f"{toxicity.term.replace('_', ' ')} G{toxicity.grade}{undated}", (day, row), -12)


def _performance(axes: Axes, drawing: _Drawing, window: _Window, row: int) -> None:
    course = drawing.course
    for index, ps in enumerate(course.patient.performance_statuses):
        day = ps.date or course.as_of
        if day is None or not window.holds(day):
            continue
        ecog = _ecog(ps)
        (mark,) = axes.plot([_x(day)], [row], marker="^", ms=8, mfc=_PS_COLOURS[ecog], mec="#111827", lw=0, zorder=5)
        mark.set_gid(f"ps-{index}")
        drawing.marks.setdefault(f"ps-{min(ecog, 3) if ecog > 1 else 1}", mark)
        undated = " (undated)" if ps.date is None else ""
        _label(drawing, axes, f"{ps.scale.upper()} {ps.score}{undated}", (day, row), -12)


def _legends(figure: Figure, drawing: _Drawing) -> None:
    """One legend for the phases, one for every other mark the picture uses."""
    from matplotlib.lines import Line2D  # noqa: PLC0415 - loaded with matplotlib
    from matplotlib.patches import Patch  # noqa: PLC0415

    phases = [p for p in PHASE_COLOURS if p in drawing.phases]
    phase_legend = figure.legend(
        [Patch(color=PHASE_COLOURS[p], alpha=0.8) for p in phases],
        [str(p or "not applicable") for p in phases],
        loc="outside right upper",
        title="phase (band)",
        fontsize=8,
        title_fontsize=9,
    )
    phase_legend.set_gid("legend-phases")
    words: list[tuple[str, Any]] = [
        ("therapy", Patch(color="#4b5563", alpha=0.85, label="therapy given (bar: start to last day)")),
        (
            "stopped",
            Patch(
                fc="#4b5563",
                alpha=0.85,
                hatch="///",
                ec="#f9fafb",
                label="therapy stopped (hatched; not for a dose change)",
            ),
        ),
        *(
            (status, Line2D([], [], color=_STATUS_COLOURS[status], lw=5, alpha=0.7, label=_STATUS_WORDS[status]))
            for status in ("followed", "open", "lapsed")
        ),
        (
            "acted",
            Line2D([], [], color="#374151", marker="|", ms=12, mew=2, lw=0, label="therapy started (advice acted on)"),
        ),
        (
            "not-indicated",
            Line2D(
                [], [], color=_STATUS_COLOURS["not-indicated"], marker="X", ms=8, lw=0, label="started, not indicated"
            ),
        ),
        *(
            (
                f"finding-{value}",
                Line2D(
                    [],
                    [],
                    marker=_FINDING_STYLE[value][0],
                    ms=7,
                    mfc=_FINDING_STYLE[value][1],
                    mec="#111827",
                    lw=0,
                    label=_FINDING_WORDS[value],
                ),
            )
            for value in (True, False, None)
        ),
        *(
            (
                f"grade-{grade}",
                Line2D(
                    [],
                    [],
                    marker="s",
                    ms=7,
                    mfc=_TOXICITY_COLOURS[grade],
                    mec="#111827",
                    lw=0,
                    label=f"toxicity CTCAE grade {grade}{'+' if grade == 4 else ''}",
                ),
            )
            for grade in (1, 2, 3, 4)
        ),
        *(
            (
                f"ps-{level}",
                Line2D(
                    [],
                    [],
                    marker="^",
                    ms=7,
                    mfc=_PS_COLOURS[level],
                    mec="#111827",
                    lw=0,
                    label={1: "PS ECOG 0-1", 2: "PS ECOG 2", 3: "PS ECOG 3-4"}[level],
                ),
            )
            for level in (1, 2, 3)
        ),
        ("compressed", Patch(fc="none", hatch="..", ec="#d1d5db", label="earlier history, time compressed")),
    ]
    used = [handle for key, handle in words if key in drawing.marks]
    if used:
        marks = figure.legend(
            handles=used,
            loc="outside lower center",
            ncols=3,
            fontsize=8,
            title="marks",
            title_fontsize=9,
            frameon=False,
        )
        marks.set_gid("legend-marks")


_MARKER_GIDS = ("assessment-", "toxicity-", "ps-")


def _place_labels(figure: Figure, labels: list[Annotation], shorter: dict[int, list[str]]) -> None:
    """Lay the figure out, then move each label up or down at its mark until it overlaps nothing and stays inside.

    A label that finds no free place is shortened to fit beside its neighbours: a mark is never left
    with text over another. The layout is frozen first, so the places found are the places saved.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - loaded with matplotlib
    from matplotlib.transforms import Bbox  # noqa: PLC0415

    FigureCanvasAgg(figure)
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas has one
    canvas = figure.bbox
    mine = {id(label) for label in labels}
    obstacles: list[Any] = [legend.get_window_extent(renderer) for legend in figure.legends]
    obstacles += [
        Bbox.from_extents(box.x0, box.y0, box.x1, box.y1)
        for box in _text_boxes(figure, renderer)
        if id(box.text) not in mine
    ]
    # The markers too: a label never covers a mark (its own or a neighbour's).
    obstacles += [
        mark.get_window_extent(renderer)
        for axes in figure.axes
        for mark in axes.get_lines()
        if (mark.get_gid() or "").startswith(_MARKER_GIDS)
    ]
    placed: list[Any] = []
    for label in sorted(labels, key=lambda t: (t.xy[0], -t.xy[1])):
        panel = label.axes.bbox if label.axes is not None else canvas
        area = Bbox.from_extents(panel.x0, canvas.y0, panel.x1, canvas.y1)
        base = label.xyann[1]
        options = [base, base + 8, base - 8, base + 16, base - 16] if base < 0 else [base, base + 8, base - 14]
        alignments = (
            ("center", "left", "right")
            if label.get_horizontalalignment() == "center"
            else (label.get_horizontalalignment(), "right")
        )
        wordings = [label.get_text(), *shorter.get(id(label), [])]
        if not any(
            _fits(
                label, wording, alignments, offsets=options, renderer=renderer, area=area, taken=[*obstacles, *placed]
            )
            for wording in wordings
        ):
            label.set_visible(False)
            continue
        placed.append(label.get_window_extent(renderer))


@attrs.frozen
class TextBox:
    """A text shown in a picture, with the box it covers in display units (pixels at the figure's dpi)."""

    text: Text
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Any) -> bool:
        """Whether the two boxes share more than an edge."""
        return bool(self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1)


def _text_boxes(figure: Figure, renderer: Any) -> list[TextBox]:
    from matplotlib.text import Text  # noqa: PLC0415 - loaded with matplotlib

    boxes = []
    for text in figure.findobj(match=Text):
        if not (isinstance(text, Text) and text.get_visible() and text.get_text().strip()):
            continue
        box = text.get_window_extent(renderer)
        boxes.append(TextBox(text, box.x0, box.y0, box.x1, box.y1))
    return boxes


def text_boxes(figure: Figure) -> list[TextBox]:
    """Every visible text of a laid-out figure with the box it covers: what tests check for overlaps and edges.

    Args:
        figure: A figure from :func:`timeline_figure`.

    Returns:
        The boxes, in the figure's own order.
    """
    return _text_boxes(figure, figure.canvas.get_renderer())  # type: ignore[attr-defined]  # Agg canvas


def _fits(
    label: Annotation,
    wording: str,
    alignments: tuple[str, ...],
    *,
    offsets: list[float],
    renderer: Any,
    area: Any,
    taken: list[Any],
) -> bool:
    """Try each alignment and vertical offset; keep the first where the label overlaps nothing and stays in ``area``."""
    label.set_text(wording)
    for ha in alignments:
        label.set_horizontalalignment(ha)  # type: ignore[arg-type]  # one of left, center, right
        for offset in offsets:
            label.xyann = (label.xyann[0], offset)
            box = label.get_window_extent(renderer)
            inside = box.x0 >= area.x0 and box.x1 <= area.x1 and box.y0 >= area.y0 and box.y1 <= area.y1
            if inside and not any(box.overlaps(other) for other in taken):
                return True
    return False


def _cytology(result: CytologyResult) -> bool | None:
    return None if result is CytologyResult.EQUIVOCAL else result is CytologyResult.POSITIVE


def _symptomatic(symptoms: Symptoms) -> bool:
    return symptoms in (Symptoms.NEW, Symptoms.PERSISTENT, Symptoms.WORSENED)


def plot_audit(report: AuditReport, path: str | Path) -> Path:
    """Draw a cohort's concordance per recommendation and its lag distribution to an SVG or PNG file.

    Args:
        report: The audit.
        path: The file to write; its suffix (``.svg`` or ``.png``) picks the format.

    Returns:
        The path written.

    Raises:
        PlottingUnavailable: matplotlib is not installed.
        ValueError: The suffix is neither ``.svg`` nor ``.png``.
    """
    target = Path(path)
    kind = _format(target)
    labels = [f"{r.code} {r.action}" for r in report.recommendations]
    labels += [f"{code} (not indicated)" for code in report.not_indicated]
    figure = _figure(12, 1.8 + 0.45 * max(len(labels), 1))
    counts_axes, lag_axes = figure.subplots(1, 2, width_ratios=(3, 2))
    positions = list(range(len(labels)))[::-1]
    left = [0] * len(labels)
    for status in ("followed", "open", "lapsed", "not-indicated"):
        values = [r.by_status.get(status, 0) for r in report.recommendations]
        values += [count if status == "not-indicated" else 0 for count in report.not_indicated.values()]
        bars = counts_axes.barh(positions, values, left=left, color=_STATUS_COLOURS[status], label=status)
        for position, bar in zip(positions, bars, strict=True):
            bar.set_gid(f"status-{status}-{len(labels) - 1 - position}")
        left = [a + b for a, b in zip(left, values, strict=True)]
    undated = [sum(r.undated_basis.values()) for r in report.recommendations] + [0] * len(report.not_indicated)
    if any(undated):
        bars = counts_axes.barh(
            positions,
            undated,
            left=left,
            color="#e5e7eb",
            hatch="..",
            ec="#6b7280",
            label="undated basis (not in lags)",
        )
        for position, bar in zip(positions, bars, strict=True):
            bar.set_gid(f"status-undated-basis-{len(labels) - 1 - position}")
    counts_axes.set_yticks(positions, labels)
    counts_axes.set_xlabel("episodes (starts, for not indicated)")
    counts_axes.legend(fontsize=8)
    counts_axes.set_title(
        f"Concordance of {report.audited} courses; failed records: {report.records - report.audited}", loc="left"
    )
    lagged = [r for r in report.recommendations if r.lag_days is not None]
    stats = [
        {
            "label": f"{r.code} {r.action}",
            "whislo": r.lag_days.min,
            "q1": r.lag_days.q1,
            "med": r.lag_days.median,
            "q3": r.lag_days.q3,
            "whishi": r.lag_days.max,
            "fliers": [],
        }
        for r in lagged
        if r.lag_days is not None
    ]
    if stats:
        lag_axes.bxp(stats, orientation="horizontal", showfliers=False)
    else:
        lag_axes.text(0.5, 0.5, "no followed episode", ha="center", va="center", transform=lag_axes.transAxes)
    lag_axes.set_xlabel("days; box: quartiles, line: median,\nwhiskers: min and max", fontsize=9)
    lag_axes.set_title("Lag of followed episodes\n(advice to start; dated basis)", loc="left", fontsize=11)
    _save(figure, target, kind)
    return target

"""The picture of one patient's course: its rows, its panels, and everything drawn in them.

:func:`timeline_figure` decides the rows and the panels, draws each panel
(the phase bands, then the lanes), ends the time axis at the as-of line,
adds the legends and the title, and places the labels last;
:func:`plot_timeline` saves it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.plot._canvas import new_figure, picture_format, save
from lmtx.course.plot._labels import place_labels
from lmtx.course.plot._lanes import (
    alerts,
    assessments,
    critical_onsets,
    empty_lanes,
    episode,
    holds,
    performance,
    toxicities,
)
from lmtx.course.plot._layout import Drawing, Window, as_of_line, axis, phase_bands, windows
from lmtx.course.plot._legend import legends
from lmtx.course.plot._therapies import TherapyLane, therapies, therapy_lanes
from lmtx.course.replay import Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def timeline_figure(course: Timeline) -> Figure:
    """The picture of a course, laid out and with its labels placed (what :func:`plot_timeline` saves).

    Rows, top to bottom: the concordance episodes, advice to hold, the
    therapies (osimertinib in one row, its changes of dose marked; planned
    therapies last), MRI, CSF cytology, neurological exams, critical alerts
    (when there are any), toxicities (term and CTCAE grade) and performance
    status; the phases are coloured bands behind them. The time axis ends at
    ``as_of``, at a labelled line; nothing is drawn after it but the marks of
    planned therapies at it. A course whose history before the current LM
    story is long (over :data:`COMPRESS_BEFORE_DAYS` days, and longer than the
    story) is shown on a broken time axis: the earlier history compressed in a
    narrow panel marked as such, the story (from the first exam of the latest
    run of symptoms or the LM diagnosis, whichever is earlier) in the wide one.
    Marks of one lane on one day are set apart; every mark is in the legend;
    no label overlaps another or leaves the picture.

    Args:
        course: The timeline.

    Returns:
        The figure (matplotlib, not attached to pyplot).

    Raises:
        PlottingUnavailable: matplotlib is not installed.
    """
    patient = course.patient
    lanes = therapy_lanes(patient)
    given = [r.therapy for lane in lanes for r in lane.regimens]
    episodes = list(course.concordance)
    held = [code for code in _codes(course) if any(s.recommendations.get(code) == "hold" for s in course.steps)]
    rows = [f"{e.code} {' > '.join(e.actions) if len(e.actions) > 1 else e.action or ''}".strip() for e in episodes]
    rows = [row if e.action else f"{e.code} (not indicated)" for row, e in zip(rows, episodes, strict=True)]
    rows += [f"{code} hold (advice)" for code in held]
    rows += [lane.label for lane in lanes]
    named = ["mri", "csf", "neuro", *(["alerts"] if critical_onsets(course) else []), "toxicity", "ps"]
    rows += [_LANE_NAMES[name] for name in named]
    last = course.as_of or dt.date.today()  # only a record without dates lacks as_of, and it draws no band
    end = last + dt.timedelta(days=1)
    start = min([s.date for s in course.steps if s.date] + [t.start for t in given if t.start] + [last])
    panes = windows(course, start, end)
    figure = new_figure(12, 2.6 + 0.36 * len(rows))
    if len(panes) == 1:
        panels = [figure.add_subplot()]
    else:
        panels = list(figure.subplots(1, 2, sharey=True, width_ratios=(1, 4), gridspec_kw={"wspace": 0.02}))
    drawing = Drawing(course, rows, end, lanes={name: len(named) - 1 - i for i, name in enumerate(named)})
    for axes, window in zip(panels, panes, strict=True):
        _draw_panel(axes, drawing, window, episodes=episodes, held=held, lanes=lanes)
    as_of_line(panels[-1], drawing)
    legends(figure, drawing)
    as_of = "-" if course.as_of is None else course.as_of.isoformat()
    now = course.steps[-1]
    state = (now.phase or "not applicable") if now.date is not None else "not applicable"
    figure.suptitle(
        f"Course of {course.patient_id or '(no id)'} up to {as_of}. Now: {state} (LM {now.lm_status})",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    place_labels(figure, drawing)
    return figure


_LANE_NAMES = {
    "mri": "MRI",
    "csf": "CSF cytology",
    "neuro": "Neuro exam",
    "alerts": "Critical alert",
    "toxicity": "Toxicity (CTCAE grade)",
    "ps": "Performance status",
}


def _codes(course: Timeline) -> list[str]:
    """Every recommendation code of the course, in the order of first appearance."""
    return list(dict.fromkeys(code for step in course.steps for code in step.recommendations))


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
    kind = picture_format(target)
    save(timeline_figure(course), target, kind)
    return target


def _draw_panel(
    axes: Axes,
    drawing: Drawing,
    window: Window,
    *,
    episodes: list[ConcordanceEntry],
    held: list[str],
    lanes: list[TherapyLane],
) -> None:
    """Everything of the course that falls in one panel of the time axis."""
    phase_bands(axes, drawing, window)
    y = len(drawing.rows) - 1
    for index, entry in enumerate(episodes):
        episode(axes, drawing, window, entry, y=y, gid=f"episode-{index}")
        y -= 1
    holds(axes, drawing, window, held, y)
    therapies(axes, drawing, window, lanes, y - len(held))
    assessments(axes, drawing, window, drawing.lane("mri"))
    if "alerts" in drawing.lanes:
        alerts(axes, drawing, window, drawing.lane("alerts"))
    toxicities(axes, drawing, window, drawing.lane("toxicity"))
    performance(axes, drawing, window, drawing.lane("ps"))
    empty_lanes(axes, drawing, window, drawing.lane("toxicity"), drawing.lane("ps"))
    axis(axes, drawing, window)

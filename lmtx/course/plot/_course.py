"""The picture of one patient's course: its rows, its panels, and everything drawn in them.

:func:`timeline_figure` decides the rows and the panels, draws each panel
(the phase bands, then the lanes), adds the legends and the title, and
places the labels last; :func:`plot_timeline` saves it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.plot import _lanes as lanes
from lmtx.course.plot._canvas import new_figure, picture_format, save
from lmtx.course.plot._labels import place_labels
from lmtx.course.plot._layout import Drawing, Window, axis, phase_bands, windows
from lmtx.course.plot._legend import legends
from lmtx.course.replay import Timeline
from lmtx.course.text import therapy_label
from lmtx.model import Therapy, TherapyStatus

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    panes = windows(course, start, end)
    figure = new_figure(12, 2.6 + 0.36 * len(rows))
    if len(panes) == 1:
        panels = [figure.add_subplot()]
    else:
        panels = list(figure.subplots(1, 2, sharey=True, width_ratios=(1, 4), gridspec_kw={"wspace": 0.02}))
    drawing = Drawing(course, rows, end)
    for axes, window in zip(panels, panes, strict=True):
        _draw_panel(axes, drawing, window, therapies, episodes)
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
    place_labels(figure, drawing.labels, drawing.shorter)
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
    kind = picture_format(target)
    save(timeline_figure(course), target, kind)
    return target


def _draw_panel(
    axes: Axes,
    drawing: Drawing,
    window: Window,
    therapies: list[Therapy],
    episodes: list[ConcordanceEntry],
) -> None:
    """Everything of the course that falls in one panel of the time axis."""
    phase_bands(axes, drawing, window)
    y = len(drawing.rows) - 1
    for index, entry in enumerate(episodes):
        lanes.episode(axes, drawing, window, entry, y=y, gid=f"episode-{index}")
        y -= 1
    lanes.therapies(axes, drawing, window, therapies, y)
    y -= len(therapies)
    lanes.assessments(axes, drawing, window, y)
    lanes.toxicities(axes, drawing, window, y - 3)
    lanes.performance(axes, drawing, window, y - 4)
    lanes.empty_lanes(axes, drawing, window, y - 3)
    axis(axes, drawing, window)

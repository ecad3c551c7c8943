"""The labels of a course picture: kept while the marks are drawn, placed once the picture is laid out.

A label sits at its mark. After the layout is frozen each may move up or
down its lane (unless it stands beside one of several marks of a day),
change its alignment, or take a shorter wording, until it overlaps no other
text (keeping a space's width from it), no legend and no marker, and stays
inside its panel; a label that finds no place is hidden, its mark staying.
:func:`text_boxes` gives the places found, for the tests.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs

from lmtx.course.plot._canvas import x
from lmtx.course.plot._layout import Drawing

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation, Text

MARKER_GIDS = ("assessment-", "toxicity-", "ps-", "alert-", "planned-", "dose-change-", "acted-")
"""The ids of the markers a label must never cover."""

_GAP = 6
"""Pixels kept free beside a label (about a space: closer, two labels read as one)."""


def label(
    drawing: Drawing,
    axes: Axes,
    text: str,
    at: tuple[dt.date, float],
    dy: float,
    *shorter: str,
    dx: float = 0,
    steady: bool = False,
    **style: Any,
) -> None:
    """A label at a mark, kept for placement (it may move up or down its lane, never away from its mark).

    ``shorter`` are shorter wordings to try, in order, where the full one finds no free place; ``dx``
    keeps the label that many points beside its mark (left when negative); a ``steady`` label keeps its
    height (beside one of several marks of a day, moved up or down it would name a neighbour).
    """
    style.setdefault("ha", "center")
    day, y = at
    annotation = axes.annotate(text, (x(day), y), xytext=(dx, dy), textcoords="offset points", fontsize=7, **style)
    annotation.set_gid(f"label-{len(drawing.labels)}")
    drawing.shorter[id(annotation)] = list(shorter)
    if steady:
        drawing.steady.add(id(annotation))
    drawing.labels.append(annotation)


def place_labels(figure: Figure, drawing: Drawing) -> None:
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
    labels, shorter = drawing.labels, drawing.shorter
    mine = {id(label) for label in labels}
    texts: list[Any] = [
        Bbox.from_extents(box.x0, box.y0, box.x1, box.y1)
        for box in _text_boxes(figure, renderer)
        if id(box.text) not in mine
    ]
    # The legends and the markers too: a label never covers a mark (its own or a neighbour's).
    marks: list[Any] = [legend.get_window_extent(renderer) for legend in figure.legends]
    marks += [
        mark.get_window_extent(renderer)
        for axes in figure.axes
        for mark in axes.get_lines()
        if (mark.get_gid() or "").startswith(MARKER_GIDS)
    ]
    for label in sorted(labels, key=lambda t: (t.xy[0], -t.xy[1])):
        area = label.axes.bbox if label.axes is not None else canvas  # a label stays in its mark's panel
        base = label.xyann[1]
        options = [base, base + 8, base - 8, base + 16, base - 16] if base < 0 else [base, base + 8, base - 14]
        if id(label) in drawing.steady:
            options = [base]
        alignments = (
            ("center", "left", "right")
            if label.get_horizontalalignment() == "center"
            else (label.get_horizontalalignment(), "right")
        )
        wordings = [label.get_text(), *shorter.get(id(label), [])]
        obstacles = _Obstacles(texts, marks)
        if not any(
            _fits(label, wording, alignments, offsets=options, renderer=renderer, area=area, taken=obstacles)
            for wording in wordings
        ):
            label.set_visible(False)
            continue
        texts.append(label.get_window_extent(renderer))


@attrs.frozen
class _Obstacles:
    """What a label must not cover: texts (kept :data:`_GAP` pixels apart side by side) and marks."""

    texts: list[Any]
    marks: list[Any]

    def hit(self, box: Any) -> bool:
        """Whether a label's box comes too near a text or covers a mark."""
        from matplotlib.transforms import Bbox  # noqa: PLC0415 - loaded with matplotlib

        spaced = Bbox.from_extents(box.x0 - _GAP, box.y0, box.x1 + _GAP, box.y1)
        return any(spaced.overlaps(other) for other in self.texts) or any(box.overlaps(m) for m in self.marks)


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
    taken: _Obstacles,
) -> bool:
    """Try each alignment and vertical offset; keep the first where the label overlaps nothing and stays in ``area``."""
    label.set_text(wording)
    beside = abs(label.xyann[0])
    for ha in alignments:
        label.set_horizontalalignment(ha)  # type: ignore[arg-type]  # one of left, center, right
        # A label kept beside its mark goes to the mark's other side when it changes its alignment.
        dx = {"left": beside, "right": -beside}.get(ha, 0.0)
        for offset in offsets:
            label.xyann = (dx, offset)
            box = label.get_window_extent(renderer)
            inside = box.x0 >= area.x0 and box.x1 <= area.x1 and box.y0 >= area.y0 and box.y1 <= area.y1
            if inside and not taken.hit(box):
                return True
    return False

"""Where the pictures meet matplotlib: the optional import, the file formats, dates on the axis, saving.

matplotlib is an optional extra; it is imported here, when a picture is
drawn, and a missing install becomes :class:`PlottingUnavailable` with the
command that installs it. The colours shared by the course picture and the
audit chart live here too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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

STATUS_COLOURS = {"followed": "#15803d", "open": "#b45309", "lapsed": "#b91c1c", "not-indicated": "#6b21a8"}
"""The colour of each concordance status, in the course picture and the audit chart."""


class PlottingUnavailable(ImportError):  # noqa: N818 - reads as the condition it reports
    """matplotlib is not installed; the message names the command that installs it."""


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of ``width`` by ``height`` inches, laid out by matplotlib's constrained layout."""
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - an optional extra, loaded only to draw
    except ImportError as error:
        raise PlottingUnavailable(f"drawing needs matplotlib ({error}); install it with: {INSTALL}") from None
    return Figure(figsize=(width, height), layout="constrained")


def x(day: dt.date) -> float:
    """A day as matplotlib's date number."""
    from matplotlib.dates import date2num  # noqa: PLC0415 - loaded with matplotlib

    return float(date2num(day))  # type: ignore[no-untyped-call]  # matplotlib leaves it unannotated


def picture_format(path: Path) -> str:
    """The format of the picture a file name asks for, one of :data:`FORMATS`."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ValueError(f"cannot tell the picture format of {path.name}: use a .svg or .png file name")
    return kind


def save(figure: Figure, path: Path, kind: str) -> None:
    """Write the figure; the same picture gives the same bytes."""
    from matplotlib import rc_context  # noqa: PLC0415 - loaded with matplotlib

    # No creation date in the file (the same course gives the same picture), and text kept as text in SVG
    # (searchable, readable by screen readers) rather than drawn as outlines.
    metadata: dict[str, Any] = {"Date": None} if kind == "svg" else {"Software": "lmtx (matplotlib)"}
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "lmtx"}):
        figure.savefig(path, format=kind, metadata=metadata, dpi=110)

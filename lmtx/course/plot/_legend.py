"""The legends of a course picture: one for the phases, one for every other mark the picture uses.

The lanes record which marks they drew (:attr:`Drawing.marks`); only those
are explained, each with the style the lane gave it. Signs written in the
rows' labels and the marks' labels (``a > b``, ``→``, ``*``) are explained
there too, when the picture uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lmtx.course.plot._canvas import PHASE_COLOURS, STATUS_COLOURS
from lmtx.course.plot._lanes import (
    ALERT_STYLE,
    FINDING_STYLE,
    FINDING_WORDS,
    HOLD_COLOUR,
    PS_COLOURS,
    TOXICITY_COLOURS,
)
from lmtx.course.plot._layout import Drawing
from lmtx.course.plot._therapies import BAR_COLOUR, CHANGE_WITHIN_DAYS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_STATUS_WORDS = {
    "followed": "advice followed (bar: advice to start)",
    "open": "advice open (not carried out)",
    "lapsed": "advice lapsed (changed before carried out)",
}


def legends(figure: Figure, drawing: Drawing) -> None:
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

    def mark(marker: str, face: str, words: str, **style: Any) -> Line2D:
        """A legend entry for a marker, framed in the lanes' dark edge unless ``style`` says otherwise."""
        return Line2D(
            [], [], marker=marker, ms=7, mfc=face, mec=style.pop("mec", "#111827"), lw=0, label=words, **style
        )

    def line(colour: str, words: str, **style: Any) -> Line2D:
        """A legend entry for a bar or line drawn as a thick stroke."""
        return Line2D([], [], color=colour, lw=style.pop("lw", 5), label=words, **style)

    grades = {grade: f"toxicity CTCAE grade {grade}{'+' if grade == 4 else ''}" for grade in (1, 2, 3, 4)}
    levels = {1: "PS ECOG 0-1", 2: "PS ECOG 2", 3: "PS ECOG 3-4"}
    words: list[tuple[str, Any]] = [
        ("as-of", line("#111827", "as of: the last day shown (end of the axis)", lw=1.2, ls=(0, (4, 2)))),
        ("therapy", Patch(color=BAR_COLOUR, alpha=0.85, label="therapy given (bar: start to last day)")),
        (
            "stopped",
            Patch(
                fc=BAR_COLOUR,
                alpha=0.85,
                hatch="///",
                ec="#f9fafb",
                label="therapy stopped (hatched; label: the reason)",
            ),
        ),
        (
            "dose-change",
            mark(
                "D", "#ffffff", f"osimertinib dose changed within {CHANGE_WITHIN_DAYS} days (a → b: the doses in order)"
            ),
        ),
        ("planned", mark(">", "#ffffff", "therapy planned (marked at the as-of line)", mew=1.2)),
        *((status, line(STATUS_COLOURS[status], _STATUS_WORDS[status], alpha=0.7)) for status in _STATUS_WORDS),
        ("acted", line("#374151", "therapy started (advice acted on)", lw=0, marker="|", ms=12, mew=2)),
        ("hold", line(HOLD_COLOUR, "advice to hold (maintenance advice, no episode)", ls=(0, (2, 1)))),
        ("joined", line("#111827", "a > b: one decision through successive advice", lw=0, marker="$>$")),
        (
            "undated-basis",
            line("#111827", "* or (undated basis): advised on brain metastases without a date", lw=0, marker="$*$"),
        ),
        ("not-indicated", line(STATUS_COLOURS["not-indicated"], "started, not indicated", lw=0, marker="X", ms=8)),
        *((f"finding-{value}", mark(*FINDING_STYLE[value], FINDING_WORDS[value])) for value in (True, False, None)),
        *((f"grade-{grade}", mark("s", TOXICITY_COLOURS[grade], words)) for grade, words in grades.items()),
        *((f"ps-{level}", mark("^", PS_COLOURS[level], words)) for level, words in levels.items()),
        ("critical", Line2D([], [], lw=0, ms=10, label="critical alert, on the day it first appears", **ALERT_STYLE)),
        ("compressed", Patch(fc="none", hatch="..", ec="#d1d5db", label="earlier history, time compressed")),
    ]
    entries = drawing.course.concordance
    if any(len(e.actions) > 1 for e in entries):
        drawing.marks["joined"] = True
    if any(e.undated_basis for e in entries):
        drawing.marks["undated-basis"] = True
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

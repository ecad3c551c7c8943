"""The legends of a course picture: one for the phases, one for every other mark the picture uses.

The lanes record which marks they drew (:attr:`Drawing.marks`); only those
are explained, each with the style the lane gave it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lmtx.course.plot._canvas import PHASE_COLOURS, STATUS_COLOURS
from lmtx.course.plot._lanes import FINDING_STYLE, FINDING_WORDS, PS_COLOURS, TOXICITY_COLOURS
from lmtx.course.plot._layout import Drawing

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
            (status, Line2D([], [], color=STATUS_COLOURS[status], lw=5, alpha=0.7, label=_STATUS_WORDS[status]))
            for status in ("followed", "open", "lapsed")
        ),
        (
            "acted",
            Line2D([], [], color="#374151", marker="|", ms=12, mew=2, lw=0, label="therapy started (advice acted on)"),
        ),
        (
            "not-indicated",
            Line2D(
                [], [], color=STATUS_COLOURS["not-indicated"], marker="X", ms=8, lw=0, label="started, not indicated"
            ),
        ),
        *(
            (
                f"finding-{value}",
                Line2D(
                    [],
                    [],
                    marker=FINDING_STYLE[value][0],
                    ms=7,
                    mfc=FINDING_STYLE[value][1],
                    mec="#111827",
                    lw=0,
                    label=FINDING_WORDS[value],
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
                    mfc=TOXICITY_COLOURS[grade],
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
                    mfc=PS_COLOURS[level],
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

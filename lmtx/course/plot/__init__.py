"""Pictures of a course and of a cohort audit, drawn with matplotlib: ``pip install 'lmtx[plot]'``.

:func:`plot_timeline` draws one patient's course (:func:`timeline_figure`):
the phases as coloured bands over time up to the as-of line, the therapies
as bars (osimertinib's changes of dose marked, stops labelled with their
reason, plans marked at the as-of line), the assessments as markers, critical
alerts, a toxicity lane and a performance-status lane, the concordance
episodes with their lag, advice to hold, and a legend for every mark; a long
history before the current LM story is compressed in a panel of its own.
:func:`plot_audit` draws a cohort's concordance per recommendation and the
distribution of the lags. Both write SVG or PNG through matplotlib's
non-interactive renderers (no display, no ``pyplot`` state), and label the
parts of the picture (``gid``) so that an SVG can be checked and styled:
``phase-band-N``, ``therapy-N``, ``dose-change-N``, ``planned-N``,
``assessment-KIND-N``, ``alert-N``, ``toxicity-N``, ``ps-N``, ``episode-N``
(and ``acted-episode-N``, the start that carried it out), ``hold-N``,
``label-N``, ``as-of`` and ``as-of-label``, ``compressed-history``,
``legend-phases``, ``legend-marks`` (a band or bar that goes on across the
break of the time axis has ``-cont`` there).

The package's modules follow what they draw: ``_canvas`` (matplotlib, file
formats, saving), ``_layout`` (panels, time axis, phase bands, the as-of
line), ``_lanes`` (advice, assessments, alerts, toxicities, performance
status), ``_therapies`` (bars, changes of dose, stops, plans), ``_legend``,
``_labels`` (placing the labels once the picture is laid out), ``_course``
(the course picture) and ``_audit`` (the audit chart). Every public name is
importable from ``lmtx.course.plot``.
"""

from __future__ import annotations

from lmtx.course.plot._audit import plot_audit
from lmtx.course.plot._canvas import FORMATS, INSTALL, PHASE_COLOURS, PlottingUnavailable
from lmtx.course.plot._course import plot_timeline, timeline_figure
from lmtx.course.plot._labels import TextBox as TextBox  # for the tests: the boxes of a laid-out figure
from lmtx.course.plot._labels import text_boxes as text_boxes
from lmtx.course.plot._layout import COMPRESS_BEFORE_DAYS

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

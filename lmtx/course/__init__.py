"""The course of a patient: timeline, concordance with the document, and cohort audit.

:func:`timeline` replays one record day by day through :func:`lmtx.evaluate`
and compares the advice with the therapies the record shows; the audit
(:mod:`lmtx.course.audit`) sums that comparison over a cohort. Readings and
wire format: the "Patient course and audit" page (docs/course.md).
"""

from lmtx.course.concordance import ConcordanceEntry
from lmtx.course.replay import Step, Timeline, timeline

__all__ = ["ConcordanceEntry", "Step", "Timeline", "timeline"]

"""Words of progression on the combination and beyond the document (rules in :mod:`lmtx.rules.progression`).

``platinum-pemetrexed`` and ``guideline-exhausted`` name the regimen judged
and what failed on it, as the response step does
(:func:`lmtx._texts.response.stage_words`), and a recent severe cytopenia;
``prefer-intrathecal`` states the latest performance status that decided it,
says that the document names no intrathecal agent, and names the intrathecal
pemetrexed the disease progressed on.
"""

from __future__ import annotations

from lmtx._facts.readings import latest_performance_status
from lmtx._texts._osimertinib import counts_words
from lmtx._texts._shared import Context, and_, iso, of
from lmtx._texts.prognosis import ps_dated
from lmtx._texts.response import stage_words

__all__ = ["WORDS", "with_counts"]


def with_counts(context: Context) -> dict[str, str]:
    """The stage's words, and a grade 3 or more cytopenia of the last six weeks (docs/interpretation.md#combination)."""
    return {**stage_words(context), "counts": counts_words(context.patient, context.as_of)}


def _prefer_intrathecal(context: Context) -> dict[str, str]:
    latest = latest_performance_status(context.patient)
    courses = sorted(of(context.derived, "intrathecal_given"), key=lambda f: int(f["start"]))
    progressed_on = ""
    if courses:
        named = and_(
            [
                f"begun on {iso(f['start'])}" + (f" and {f['status']} on {iso(f['end'])}" if f["end"] != -1 else "")
                for f in courses
            ]
        )
        progressed_on = f" Intrathecal pemetrexed was given on the regimen ({named}), and the disease progressed on it."
    return {
        "ps": ps_dated(latest) if latest is not None else "not recorded",
        "progressed_on": progressed_on,
        "counts": counts_words(context.patient, context.as_of),
    }


WORDS = {
    "it-pemetrexed": stage_words,
    "platinum-pemetrexed": with_counts,
    "guideline-exhausted": with_counts,
    "prefer-intrathecal": _prefer_intrathecal,
}
"""The words of the codes this area's rules emit."""

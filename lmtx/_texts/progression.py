"""Words of progression on the combination and beyond the document (rules in :mod:`lmtx.rules.progression`).

``platinum-pemetrexed`` and ``guideline-exhausted`` name the regimen judged
and what failed on it, as the response step does
(:func:`lmtx._texts.response.stage_words`); ``prefer-intrathecal`` states the
latest performance status that decided it.
"""

from __future__ import annotations

from lmtx._facts.readings import latest_performance_status
from lmtx._texts._shared import Context
from lmtx._texts.prognosis import ps_dated
from lmtx._texts.response import stage_words

__all__ = ["WORDS"]


def _prefer_intrathecal(context: Context) -> dict[str, str]:
    latest = latest_performance_status(context.patient)
    return {"ps": ps_dated(latest) if latest is not None else "not recorded"}


WORDS = {
    "it-pemetrexed": stage_words,
    "platinum-pemetrexed": stage_words,
    "guideline-exhausted": stage_words,
    "prefer-intrathecal": _prefer_intrathecal,
}
"""The words of the codes this area's rules emit."""

"""Vocabulary shared by the rule modules: value sets and recurring tests.

The base facts asserted for every evaluation (see :mod:`lmtx._facts`):

- ``patient``: histology, egfr, brain_metastases, csf_flow, systemic_disease
- ``policy``: poor_ps_ecog
- ``ps``: scale, score
- ``neuro_exam``: date, symptoms, seq, prev
- ``cytology``: date, result
- ``mri``: date, enhancement, response
- ``therapy``: agent, route, dose_mg, interval (days between doses, 1 when
  not recorded), once_daily_mg (``dose_mg`` when given once a day, else 0),
  cls (drug class, ``""`` when unknown or for radiotherapy), status, start,
  end, reason (stop reason), above_standard (an EGFR TKI above its standard
  dose), and the readings of lmtx._facts.tolerance for osimertinib:
  chain_start (the start of a 160 mg regimen recorded in pieces, else
  ``start``), primary_start (the start of the regimen below the tolerance
  limit ending in it), run_date (the day later stages are read from),
  stop_kind (``standing``, ``dose-change`` or ``real`` for a stop),
  linked_grade (the highest grade of a toxicity linked to it); course (an
  intrathecal pemetrexed course: ``continuing``, ``held``, ``progressed``), seq
- ``toxicity``: term, grade, day, holds_intrathecal (holds an intrathecal
  injection), seq
- ``link``: a toxicity (its seq) linked to a therapy (its seq), basis
  (``attributed`` or ``reading``), with the names of both
- ``tolerance`` (only with a standing toxicity stop): limit (the lowest dose
  a day stopped for toxicity), review, withhold, held (the seq of the stop
  held)

Dates are ordinal day numbers (``-1`` where there is none); ``seq``
numbers the records of one kind in date order (ties broken by content) and
``prev`` is the ``seq`` of the record before, so "the first", "the previous"
and "the latest" are questions the engine answers by joins and negations.
"""

from __future__ import annotations

from lmtx import drugs
from lmtx.dsl import Test, eq, ge, lt, ne, one_of
from lmtx.model import NSCLC_HISTOLOGIES

NSCLC = tuple(sorted(NSCLC_HISTOLOGIES))
PLATINUM = tuple(sorted(agent.value for agent in drugs.PLATINUM))
ESTABLISHED = ("confirmed", "probable")
SYMPTOMATIC = ("new", "persistent", "worsened")
"""Neurological findings that keep LM in question (see docs/interpretation.md#lm-status)."""
NEW_OR_WORSE = ("new", "worsened")
"""Findings that re-open the question of LM after a negative workup (docs/interpretation.md#lm-status)."""
GIVEN_STATUSES = ("active", "completed", "stopped")
"""Statuses of a therapy that was actually given (not only planned)."""

ACTIVE: Test = eq("status", "active")
GIVEN: Test = one_of("status", GIVEN_STATUSES)
NO_END: Test = eq("end", -1)
"""The therapy has no end date (``-1``, see :mod:`lmtx._facts`)."""
OSIMERTINIB: Test = eq("agent", "osimertinib")
HIGH_DOSE_MG = 160
"""The osimertinib dose, once a day, of the document's high-dose regimen (S04)."""
STANDARD_DOSE_MG = 80
"""Osimertinib's standard dose a day (S03), advised for CNS metastases without LM."""
HIGH_DOSE: Test = ge("once_daily_mg", HIGH_DOSE_MG)
"""Osimertinib 160 mg or more once a day: the *160 mg regimen* (docs/interpretation.md#initial)."""
BELOW_HIGH_DOSE: Test = lt("once_daily_mg", HIGH_DOSE_MG)
"""Any other osimertinib: a lower dose, or a dose not given once a day."""
ANY_EGFR_TKI: Test = eq("cls", "egfr-tki")
"""Every EGFR TKI: the listed ones and ``other`` of class ``egfr-tki``."""
OTHER_EGFR_TKI: tuple[Test, ...] = (eq("cls", "egfr-tki"), ne("agent", "osimertinib"))
OSIMERTINIB_CODES = ("osimertinib-160", "osimertinib-80", "osimertinib-tolerated")
"""Every recommendation that advises osimertinib (its adverse effects are watched; it counts as recommended)."""
INTRATHECAL_PEMETREXED: tuple[Test, ...] = (eq("agent", "pemetrexed"), eq("route", "intrathecal"))
ANY_PLATINUM: Test = one_of("agent", PLATINUM)


def in_words(values: tuple[str, ...], last: str = "or") -> str:
    """Values as a rule description says them: ``anemia, leukopenia or neutropenia`` (no codes)."""
    words = [value.replace("_", " ").replace("-", " ") for value in values]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"

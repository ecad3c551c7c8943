"""Dose modification for toxicity (S25; see docs/interpretation.md#tolerable-dose and #combination).

S25: dose modifications may be needed for toxicity, but the highest tolerable
dose of osimertinib matters for CNS control. What the record shows about
tolerance is read once per record (lmtx._facts.tolerance): the toxicity
stops of osimertinib, whether each still stands, the *tolerance limit* (the
lowest dose a day stopped for toxicity that was never given again), the
regimen below it, a withhold, and whether giving osimertinib again is a
specialist's review. These rules decide the items from those readings:

- where the dose the document would advise (160 mg a day with established
  LM, 80 mg without) is at or above the limit, ``osimertinib-tolerated``
  takes the place of the osimertinib item: ``continue`` for the dose given
  now (the *primary regimen*, whose response the later stages judge),
  ``resume`` or ``review`` while none is given; a withhold of at most 21
  days keeps the held regimen's stage;
- an osimertinib below 160 mg with a severe toxicity linked to it in the last
  six weeks is not raised: ``osimertinib-tolerated`` ``continue``;
- an intrathecal course stopped for toxicity (or another reason, or none), or
  an event that needs counts or the meninges to recover, holds intrathecal
  pemetrexed: ``it-pemetrexed`` ``hold``.
"""

from __future__ import annotations

from lmtx.dsl import Condition, Rule, Test, eq, ge, le, match, no, one_of, recommend, ref
from lmtx.rules._common import (
    ACTIVE,
    BELOW_HIGH_DOSE,
    ESTABLISHED,
    HIGH_DOSE_MG,
    OSIMERTINIB,
    STANDARD_DOSE_MG,
)
from lmtx.rules._run import regimen_fact
from lmtx.rules.response import LATER_PHASES

SECTION = "Dose modification for toxicity"

_LM = (match("applicable", "applicable"), match("lm", "lm", one_of("status", ESTABLISHED)))
_BELOW_LM_DOSE = le("limit", HIGH_DOSE_MG)
"""The tolerance limit is at or below the dose the document advises for LM: the section applies."""
_BELOW_CNS_DOSE = le("limit", STANDARD_DOSE_MG)
"""The tolerance limit is at or below the standard dose advised without LM: the section applies."""
_CONTINUE = ("S25", "S02", "S08")
_AGAIN = ("S25", "S02")

REGIMEN_RULES: tuple[Rule, ...] = (
    Rule(
        id="primary-regimen-below-tolerance-limit",
        section=SECTION,
        description=(
            "Established LM, osimertinib given below a dose once stopped for toxicity and never given again: that "
            "dose is the regimen later stages build on."
        ),
        statements=("S25", "S08"),
        when=(
            *_LM,
            match("tolerance", "tolerance", _BELOW_LM_DOSE),
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE),
        ),
        then=(regimen_fact("primary", "primary_start"),),
    ),
    Rule(
        id="primary-regimen-current-toxicity",
        section=SECTION,
        description=(
            "Established LM, osimertinib given below 160 mg with a severe adverse event linked to it in the last six "
            "weeks: the dose given is the regimen later stages build on, not raised now."
        ),
        statements=("S25", "S08"),
        when=(*_LM, match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, BELOW_HIGH_DOSE, ge("linked_grade", 3))),
        then=(regimen_fact("primary", "primary_start"),),
    ),
    Rule(
        id="held-regimen",
        section=SECTION,
        description=(
            "Established LM, osimertinib withheld for toxicity for at most 21 days (the label's limit), none "
            "given now: the held regimen keeps its stage."
        ),
        statements=("S25", "S08"),
        when=(
            *_LM,
            match("tolerance", "tolerance", _BELOW_LM_DOSE, eq("withhold", True)),
            match("osimertinib", "therapy", eq("seq", ref("tolerance", "held")), OSIMERTINIB),
        ),
        then=(regimen_fact("held", "primary_start"),),
    ),
)


def _again(rule_id: str, description: str, first: tuple[Condition, ...], limit: Test | None, review: bool) -> Rule:
    """``resume`` (or ``review``) osimertinib after a toxicity stop, where ``first`` holds and the limit passes."""
    tests = (limit, eq("review", review)) if limit is not None else (eq("review", review),)
    return Rule(
        id=rule_id,
        section=SECTION,
        description=description,
        statements=_AGAIN,
        when=(*first, match("reading", "tolerance", *tests)),
        then=(recommend("osimertinib-tolerated", "review" if review else "resume"),),
    )


_LATER = match("phase", "phase", one_of("value", LATER_PHASES))
_HELD = match("regimen", "osimertinib_regimen", eq("kind", "held"))
_WITHOUT_LM = (match("phase", "phase", eq("value", "cns-metastases-without-lm")), no("therapy", OSIMERTINIB, ACTIVE))

RECOMMENDATION_RULES: tuple[Rule, ...] = (
    Rule(
        id="continue-osimertinib-tolerated",
        section=SECTION,
        description=(
            "Established LM on osimertinib below the dose the document advises, at the highest dose tolerated: "
            "continue it; raising it again is the treating team's decision."
        ),
        statements=_CONTINUE,
        when=(_LATER, match("regimen", "osimertinib_regimen", eq("kind", "primary"))),
        then=(
            recommend(
                "osimertinib-tolerated", "continue", dose=ref("regimen", "dose"), interval=ref("regimen", "interval")
            ),
        ),
    ),
    _again(
        "resume-osimertinib-held",
        "Osimertinib withheld for toxicity within the label's 21 days: giving it again, at most at the dose "
        "stopped, is the treating team's decision.",
        (_LATER, _HELD),
        None,
        review=False,
    ),
    _again(
        "review-osimertinib-held",
        "Osimertinib withheld after a grade 4 or 5 event, or from 40 mg: whether it is given again is a "
        "specialist's decision.",
        (_LATER, _HELD),
        None,
        review=True,
    ),
    _again(
        "initial-resume-osimertinib",
        "Established LM, osimertinib stopped for toxicity and none given now: giving it again, at most at the dose "
        "stopped, is the treating team's decision.",
        (match("phase", "phase", eq("value", "initial")),),
        _BELOW_LM_DOSE,
        review=False,
    ),
    _again(
        "initial-review-osimertinib",
        "Established LM, osimertinib stopped for toxicity after a grade 4 or 5 event, from 40 mg, or more than 21 "
        "days ago with none given since: whether it is given again is a specialist's decision.",
        (match("phase", "phase", eq("value", "initial")),),
        _BELOW_LM_DOSE,
        review=True,
    ),
    Rule(
        id="cns-continue-osimertinib-tolerated",
        section=SECTION,
        description=(
            "CNS metastases without LM on osimertinib below a dose once stopped for toxicity, at or below the "
            "standard 80 mg: continue the dose tolerated."
        ),
        statements=_AGAIN,
        when=(
            match("phase", "phase", eq("value", "cns-metastases-without-lm")),
            match("tolerance", "tolerance", _BELOW_CNS_DOSE),
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE),
        ),
        then=(
            recommend(
                "osimertinib-tolerated",
                "continue",
                dose=ref("osimertinib", "dose_mg"),
                interval=ref("osimertinib", "interval"),
            ),
        ),
    ),
    _again(
        "cns-resume-osimertinib",
        "CNS metastases without LM, osimertinib stopped for toxicity at or below 80 mg and none given now: giving it "
        "again is the treating team's decision.",
        _WITHOUT_LM,
        _BELOW_CNS_DOSE,
        review=False,
    ),
    _again(
        "cns-review-osimertinib",
        "CNS metastases without LM, osimertinib stopped for toxicity after a grade 4 or 5 event, from 40 mg, or "
        "more than 21 days ago with none given since: whether it is given again is a specialist's decision.",
        _WITHOUT_LM,
        _BELOW_CNS_DOSE,
        review=True,
    ),
)

_HOLD_PHASES = match("phase", "phase", one_of("value", ("combination", "beyond-document")))

HOLD_RULES: tuple[Rule, ...] = (
    Rule(
        id="hold-intrathecal-pemetrexed-course-stopped",
        section=SECTION,
        description=(
            "The latest intrathecal course was stopped for toxicity, a change of dose or another reason, or with "
            "no reason recorded: intrathecal pemetrexed is on hold; the next administration is the team's decision."
        ),
        statements=("S25",),
        when=(match("course", "intrathecal_latest", eq("course", "held")), _HOLD_PHASES),
        then=(recommend("it-pemetrexed", "hold", stage="hold"),),
    ),
    Rule(
        id="hold-intrathecal-pemetrexed-toxicity",
        section=SECTION,
        description=(
            "Since the latest intrathecal course began, a grade 3 or more cytopenia, or aseptic meningitis or "
            "another event linked to an intrathecal therapy: intrathecal pemetrexed is on hold."
        ),
        statements=("S25", "S22", "S23"),
        when=(
            match("course", "intrathecal_latest", eq("course", "continuing")),
            match("toxicity", "toxicity", eq("holds_intrathecal", True), ge("day", ref("course", "start"))),
            _HOLD_PHASES,
        ),
        then=(recommend("it-pemetrexed", "hold", stage="hold"),),
    ),
)

RULES: tuple[Rule, ...] = REGIMEN_RULES + RECOMMENDATION_RULES + HOLD_RULES

"""Avoiding common pitfalls (S26-S29; see docs/interpretation.md#scope, #lm-status, #radiotherapy, #across-phases).

Delayed diagnosis applies to any NSCLC (S26): suspected LM brings the workup
and an alert even when the EGFR algorithm itself does not apply. Inadequate
CNS penetration (S27) is raised beside the initial treatment's advice
(lmtx.rules.initial).
"""

from __future__ import annotations

from lmtx.dsl import Rule, alert, derive, eq, gt, match, no, one_of, recommend, ref
from lmtx.rules._common import ACTIVE, ESTABLISHED, OSIMERTINIB

SECTION = "Pitfalls"

_PLANNED_OR_ACTIVE = one_of("status", ("active", "planned"))
_NO_OSIMERTINIB = (no("therapy", OSIMERTINIB, ACTIVE), no("therapy", OSIMERTINIB, eq("status", "planned")))
"""No osimertinib given or planned: radiotherapy with osimertinib is not reliance on radiotherapy (S28).

While ``osimertinib-tolerated`` ``resume`` or ``review`` is advised (osimertinib withheld for
toxicity), the alert does not fire either: that item names the radiotherapy."""


RULES: tuple[Rule, ...] = (
    Rule(
        id="radiotherapy-in-use",
        section=SECTION,
        description="Radiotherapy is planned or under way (one course is enough).",
        statements=("S28",),
        when=(
            match("radiotherapy", "therapy", eq("agent", "radiotherapy"), _PLANNED_OR_ACTIVE),
            no("therapy", eq("agent", "radiotherapy"), _PLANNED_OR_ACTIVE, gt("seq", ref("radiotherapy", "seq"))),
        ),
        then=(derive("radiotherapy_in_use"),),
    ),
    Rule(
        id="phase-diagnostic-workup",
        section=SECTION,
        description="Suspected LM in an eligible patient: the workup comes first.",
        statements=("S26",),
        when=(match("applicable", "applicable"), match("lm", "lm", eq("status", "suspected"))),
        then=(derive("phase", value="diagnostic-workup"),),
    ),
    Rule(
        id="lm-workup",
        section=SECTION,
        description="Suspected LM in NSCLC: get the tests the workup still asks for (neuraxis MRI, CSF cytology, "
        "a repeat or second cytology).",
        statements=("S26",),
        when=(match("nsclc", "nsclc"), match("gap", "workup_gap")),
        then=(recommend("lm-workup", "perform", missing=ref("gap", "missing")),),
    ),
    Rule(
        id="delayed-diagnosis-egfr-mutant",
        section=SECTION,
        description="Suspected LM in EGFR-mutant NSCLC, which favours CNS spread: do not delay the diagnosis.",
        statements=("S26",),
        when=(
            match("nsclc", "nsclc"),
            match("lm", "lm", eq("status", "suspected")),
            match("mutant", "egfr_mutant"),
        ),
        then=(alert("delayed-diagnosis", "warning"),),
    ),
    Rule(
        id="delayed-diagnosis-nsclc",
        section=SECTION,
        description="Suspected LM in NSCLC without a known EGFR mutation: consider LM all the same.",
        statements=("S26",),
        when=(
            match("nsclc", "nsclc"),
            match("lm", "lm", eq("status", "suspected")),
            match("patient", "patient", one_of("egfr", ("unknown", "wild_type"))),
        ),
        then=(alert("delayed-diagnosis", "info"),),
    ),
    Rule(
        id="radiotherapy-overreliance",
        section=SECTION,
        description=(
            "Radiotherapy planned or under way while no osimertinib is given or planned, and osimertinib is to be "
            "started or switched to."
        ),
        statements=("S28",),
        when=(
            match("radiotherapy", "radiotherapy_in_use"),
            *_NO_OSIMERTINIB,
            match(
                "advised",
                "recommendation",
                one_of("code", ("osimertinib-160", "osimertinib-80")),
                one_of("action", ("start", "switch")),
            ),
        ),
        then=(alert("radiotherapy-overreliance", "warning"),),
    ),
    Rule(
        id="radiotherapy-overreliance-during-workup",
        section=SECTION,
        description=(
            "Radiotherapy planned or under way while LM is being worked up and no osimertinib is given or planned."
        ),
        statements=("S28",),
        when=(
            match("radiotherapy", "radiotherapy_in_use"),
            *_NO_OSIMERTINIB,
            match("phase", "phase", eq("value", "diagnostic-workup")),
        ),
        then=(alert("radiotherapy-overreliance", "warning"),),
    ),
    Rule(
        id="systemic-disease",
        section=SECTION,
        description="Established LM with progressive or unassessed systemic disease: do not neglect it.",
        statements=("S29",),
        when=(
            match("applicable", "applicable"),
            match("lm", "lm", one_of("status", ESTABLISHED)),
            match("patient", "patient", one_of("systemic_disease", ("progressive", "unknown"))),
        ),
        then=(alert("systemic-disease", "warning", systemic=ref("patient", "systemic_disease")),),
    ),
)

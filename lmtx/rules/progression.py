"""Progression (S09, S10; see docs/interpretation.md#combination): what follows failure of the combination.

Progression on osimertinib with intrathecal pemetrexed (MRI progression,
worse symptoms, or the latest course stopped for progression) leads to
platinum-based chemotherapy (preferably with pemetrexed), and with poor
performance status to a preference for intrathecal therapy. Platinum
chemotherapy given on the osimertinib run is the document's last step; on
progression there, the intrathecal step is offered when it was never used
on that run, and otherwise the document is exhausted.
"""

from __future__ import annotations

from lmtx.dsl import Rule, alert, derive, eq, match, no, one_of, recommend, ref
from lmtx.rules._common import ACTIVE, ANY_PLATINUM

SECTION = "Progression"

RULES: tuple[Rule, ...] = (
    Rule(
        id="phase-progression-on-combination",
        section=SECTION,
        description="MRI progression or worsening symptoms since the combination began.",
        statements=("S09",),
        when=(
            match("regimen", "regimen", eq("name", "combination")),
            match("verdict", "verdict", eq("regimen", "combination"), eq("failing", True)),
        ),
        then=(derive("phase", value="progression-on-combination"),),
    ),
    Rule(
        id="phase-progression-on-combination-course-stopped",
        section=SECTION,
        description=(
            "The latest intrathecal course on the combination was stopped for progression: the treating team "
            "has judged that the disease progressed."
        ),
        statements=("S09",),
        when=(
            match("regimen", "regimen", eq("name", "combination")),
            match("course", "intrathecal_latest", eq("course", "progressed")),
        ),
        then=(derive("phase", value="progression-on-combination"),),
    ),
    Rule(
        id="consider-platinum-pemetrexed",
        section=SECTION,
        description=(
            "Progression on the combination, no platinum running: consider platinum-based chemotherapy, "
            "preferably with pemetrexed."
        ),
        statements=("S09",),
        when=(
            match("phase", "phase", eq("value", "progression-on-combination")),
            no("therapy", ANY_PLATINUM, ACTIVE),
        ),
        then=(recommend("platinum-pemetrexed", "consider"),),
    ),
    Rule(
        id="guideline-exhausted-platinum-running",
        section=SECTION,
        description=(
            "Progression on the combination while platinum begun before the osimertinib run still runs: the "
            "document's last step is already given."
        ),
        statements=("S09",),
        when=(
            match("phase", "phase", eq("value", "progression-on-combination")),
            match("platinum", "therapy", ANY_PLATINUM, ACTIVE),
        ),
        # One alert whatever the number of platinum agents running: its detail names them all.
        then=(alert("guideline-exhausted", "warning", stage="earlier-platinum"),),
    ),
    Rule(
        id="prefer-intrathecal-poor-ps",
        section=SECTION,
        description="Progression with poor performance status: intrathecal treatment may be easier to tolerate.",
        statements=("S10",),
        when=(
            match("phase", "phase", eq("value", "progression-on-combination")),
            match("poor_ps", "poor_ps"),
        ),
        then=(recommend("prefer-intrathecal", "consider", threshold=ref("poor_ps", "threshold")),),
    ),
    Rule(
        id="phase-beyond-document",
        section=SECTION,
        description="Platinum chemotherapy begun on the osimertinib run: the document's last step.",
        statements=("S09",),
        when=(match("regimen", "regimen", one_of("name", ("platinum", "platinum-without-intrathecal"))),),
        then=(derive("phase", value="beyond-document"),),
    ),
    Rule(
        id="guideline-exhausted",
        section=SECTION,
        description="Progression on platinum after intrathecal pemetrexed: the document's steps are used up.",
        statements=("S09",),
        when=(
            match("regimen", "regimen", eq("name", "platinum")),
            match("verdict", "verdict", eq("regimen", "platinum"), eq("failing", True)),
        ),
        then=(alert("guideline-exhausted", "warning", stage="platinum"),),
    ),
    Rule(
        id="add-intrathecal-pemetrexed-after-platinum",
        section=SECTION,
        description=(
            "Inadequate response on platinum chemotherapy, no intrathecal pemetrexed given on the osimertinib run: "
            "add it."
        ),
        statements=("S07", "S01", "S09"),
        when=(
            match("regimen", "regimen", eq("name", "platinum-without-intrathecal")),
            match("verdict", "verdict", eq("regimen", "platinum-without-intrathecal"), eq("failing", True)),
        ),
        then=(recommend("it-pemetrexed", "add", stage="platinum-without-intrathecal"),),
    ),
)

"""Progression (S09, S10; see docs/interpretation.md#combination): what follows failure of the combination.

Progression on osimertinib 160 mg with intrathecal pemetrexed leads to
platinum-based chemotherapy (preferably with pemetrexed), and with poor
performance status to a preference for intrathecal therapy. Platinum
chemotherapy given on the 160 mg regimen is the document's last step; on
progression there, the intrathecal step is offered when it was never used
on that regimen, and otherwise the document is exhausted.
"""

from __future__ import annotations

from lmtx.dsl import Rule, alert, derive, eq, match, recommend, ref
from lmtx.rules._common import INTRATHECAL_PEMETREXED
from lmtx.rules.response import none_given_on_regimen

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
        id="consider-platinum-pemetrexed",
        section=SECTION,
        description="Progression on the combination: consider platinum-based chemotherapy, preferably with pemetrexed.",
        statements=("S09",),
        when=(match("phase", "phase", eq("value", "progression-on-combination")),),
        then=(recommend("platinum-pemetrexed", "consider"),),
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
        description="Platinum chemotherapy was given on osimertinib 160 mg: the document has no later step.",
        statements=("S09",),
        when=(match("regimen", "regimen", eq("name", "platinum")),),
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
            match("course", "intrathecal_latest"),
        ),
        then=(alert("guideline-exhausted", "warning"),),
    ),
    Rule(
        id="add-intrathecal-pemetrexed-after-platinum",
        section=SECTION,
        description="Progression on platinum chemotherapy, no intrathecal pemetrexed given on 160 mg: add it.",
        statements=("S07", "S01", "S09"),
        when=(
            match("on_160", "high_dose_regimen"),
            *none_given_on_regimen(INTRATHECAL_PEMETREXED, ref("on_160", "start")),
            match("regimen", "regimen", eq("name", "platinum")),
            match("verdict", "verdict", eq("regimen", "platinum"), eq("failing", True)),
        ),
        then=(recommend("it-pemetrexed", "add", stage="platinum-without-intrathecal"),),
    ),
)

"""Progression (S09, S10; SPEC §4.5): what follows failure of the combination.

Progression on osimertinib 160 mg with intrathecal pemetrexed leads to
platinum-based chemotherapy (preferably with pemetrexed), and with poor
performance status to a preference for intrathecal therapy. Platinum
chemotherapy under way is the document's last step.
"""

from __future__ import annotations

from lmtx.dsl import Rule, alert, derive, eq, match, recommend

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
        then=(recommend("prefer-intrathecal", "consider"),),
    ),
    Rule(
        id="phase-beyond-document",
        section=SECTION,
        description="Platinum chemotherapy is under way with osimertinib: the document has no later step.",
        statements=("S09",),
        when=(match("regimen", "regimen", eq("name", "platinum")),),
        then=(derive("phase", value="beyond-document"),),
    ),
    Rule(
        id="guideline-exhausted",
        section=SECTION,
        description="Progression on platinum chemotherapy: the document's last step has failed.",
        statements=("S09",),
        when=(
            match("regimen", "regimen", eq("name", "platinum")),
            match("verdict", "verdict", eq("regimen", "platinum"), eq("failing", True)),
        ),
        then=(alert("guideline-exhausted", "warning"),),
    ),
)

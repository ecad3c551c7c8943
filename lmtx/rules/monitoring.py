"""Monitoring and response assessment (S14-S17, S21-S24; SPEC §4.8).

Established LM is followed with neurological exams, MRI and CSF cytology,
judged by the modified RANO-LM criteria, and with a watch on the adverse
effects of the regimen the phase stands for (the ``profile`` parameter).
"""

from __future__ import annotations

from lmtx.dsl import Rule, eq, match, no, one_of, recommend
from lmtx.rules._common import ACTIVE, ESTABLISHED, INTRATHECAL_PEMETREXED

SECTION = "Monitoring"

RULES: tuple[Rule, ...] = (
    Rule(
        id="monitor-established-lm",
        section=SECTION,
        description="Established LM: follow it with neurological exams, MRI and CSF cytology, read by RANO-LM.",
        statements=("S14", "S15", "S16", "S17"),
        when=(
            match("applicable", "applicable"),
            match("lm", "lm", one_of("status", ESTABLISHED)),
        ),
        then=(
            recommend("monitor-neuro-exam", "perform"),
            recommend("monitor-mri", "perform"),
            recommend("monitor-csf-cytology", "perform"),
            recommend("assess-rano-lm", "perform"),
        ),
    ),
    Rule(
        id="monitor-adverse-effects-osimertinib",
        section=SECTION,
        description="On or starting osimertinib alone: watch for skin rash and fatigue.",
        statements=("S21", "S24"),
        when=(match("phase", "phase", one_of("value", ("initial", "osimertinib-monotherapy"))),),
        then=(recommend("monitor-adverse-effects", "perform", profile="osimertinib"),),
    ),
    Rule(
        id="monitor-adverse-effects-intrathecal",
        section=SECTION,
        description="Osimertinib with intrathecal pemetrexed: also watch for myelosuppression and aseptic meningitis.",
        statements=("S21", "S22", "S23", "S24"),
        when=(
            match(
                "phase",
                "phase",
                one_of("value", ("inadequate-response", "combination", "progression-on-combination")),
            ),
        ),
        then=(recommend("monitor-adverse-effects", "perform", profile="osimertinib-intrathecal"),),
    ),
    Rule(
        id="monitor-adverse-effects-chemotherapy-intrathecal",
        section=SECTION,
        description="Platinum chemotherapy while intrathecal pemetrexed goes on: watch for all four adverse effects.",
        statements=("S21", "S22", "S23", "S24"),
        when=(
            match("phase", "phase", eq("value", "beyond-document")),
            match("pemetrexed", "therapy", *INTRATHECAL_PEMETREXED, ACTIVE),
        ),
        then=(recommend("monitor-adverse-effects", "perform", profile="osimertinib-intrathecal"),),
    ),
    Rule(
        id="monitor-adverse-effects-chemotherapy",
        section=SECTION,
        description="Platinum chemotherapy with osimertinib: watch for skin rash, myelosuppression and fatigue.",
        statements=("S21", "S22", "S24"),
        when=(
            match("phase", "phase", eq("value", "beyond-document")),
            no("therapy", *INTRATHECAL_PEMETREXED, ACTIVE),
        ),
        then=(recommend("monitor-adverse-effects", "perform", profile="osimertinib-chemotherapy"),),
    ),
)

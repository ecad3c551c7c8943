"""Prognosis and performance status (S10, S18-S20; see docs/interpretation.md#policy and #across-phases).

KPS is mapped to ECOG by the common table (100-90 -> 0, 80-70 -> 1,
60-50 -> 2, 40-30 -> 3, 20-10 -> 4); performance status is poor from the
policy's ECOG threshold on (default 3).
"""

from __future__ import annotations

from lmtx.dsl import Rule, alert, derive, eq, ge, gt, le, match, no, one_of, prognosis, ref
from lmtx.rules._common import ESTABLISHED

SECTION = "Prognosis"

KPS_TO_ECOG: tuple[tuple[int, int, int], ...] = (
    (90, 100, 0),
    (70, 80, 1),
    (50, 60, 2),
    (30, 40, 3),
    (10, 20, 4),
)
"""(lowest KPS, highest KPS, ECOG) bands."""

STALE_PS_DAYS = 90
"""A performance status older than this (days before the evaluation date) no longer decides (S10)."""

_ESTABLISHED_LM = (
    match("applicable", "applicable"),
    match("lm", "lm", one_of("status", ESTABLISHED)),
)

PERFORMANCE_STATUS_RULES: tuple[Rule, ...] = (
    Rule(
        id="ps-ecog",
        section=SECTION,
        description="Performance status given on the ECOG scale.",
        statements=("S19", "S10"),
        when=(match("ps", "ps", eq("scale", "ecog")),),
        then=(derive("ecog", score=ref("ps", "score")),),
    ),
    *(
        Rule(
            id=f"ps-kps-{low}-{high}",
            section=SECTION,
            description=f"KPS {low}-{high} corresponds to ECOG {ecog}.",
            statements=("S19", "S10"),
            when=(match("ps", "ps", eq("scale", "kps"), ge("score", low), le("score", high)),),
            then=(derive("ecog", score=ecog),),
        )
        for low, high, ecog in KPS_TO_ECOG
    ),
    Rule(
        id="poor-performance-status",
        section=SECTION,
        description=(
            f"ECOG at or above the threshold for poor performance status (3 unless set otherwise), assessed no "
            f"more than {STALE_PS_DAYS} days ago or undated: performance status is poor."
        ),
        statements=("S10",),
        when=(
            match("policy", "policy"),
            match("ecog", "ecog", ge("score", ref("policy", "poor_ps_ecog"))),
            match("ps", "ps", le("age", STALE_PS_DAYS)),
        ),
        then=(derive("poor_ps", ecog=ref("ecog", "score"), threshold=ref("policy", "poor_ps_ecog")),),
    ),
)

RULES: tuple[Rule, ...] = (
    *PERFORMANCE_STATUS_RULES,
    Rule(
        id="prognosis-median-survival",
        section=SECTION,
        description="Established LM: median survival is about 3-6 months without targeted therapy.",
        statements=("S18",),
        when=_ESTABLISHED_LM,
        then=(prognosis("median-survival"),),
    ),
    Rule(
        id="prognosis-performance-status",
        section=SECTION,
        description="Established LM: state the patient's performance status, the strongest prognostic factor.",
        statements=("S19",),
        when=(*_ESTABLISHED_LM, match("ps", "ps"), match("ecog", "ecog")),
        then=(
            prognosis(
                "performance-status-prognostic",
                scale=ref("ps", "scale"),
                score=ref("ps", "score"),
                ecog=ref("ecog", "score"),
            ),
        ),
    ),
    Rule(
        id="performance-status-missing",
        section=SECTION,
        description=(
            "Established LM without a performance status: the prognosis and the choice at progression need one."
        ),
        statements=("S19", "S10"),
        when=(_ESTABLISHED_LM[0], no("ps"), _ESTABLISHED_LM[1]),
        then=(alert("performance-status-missing", "warning"),),
    ),
    Rule(
        id="performance-status-stale",
        section=SECTION,
        description=(
            f"Progression on the combination, and the latest performance status is more than {STALE_PS_DAYS} "
            "days old: it cannot decide the choice at progression (S10); a current one is missing."
        ),
        statements=("S10",),
        when=(
            match("ps", "ps", gt("age", STALE_PS_DAYS)),
            match("phase", "phase", eq("value", "progression-on-combination")),
        ),
        then=(
            alert(
                "performance-status-missing",
                "warning",
                scale=ref("ps", "scale"),
                score=ref("ps", "score"),
                date=ref("ps", "date"),
                age=ref("ps", "age"),
            ),
        ),
    ),
    Rule(
        id="prognosis-csf-flow-interrupted",
        section=SECTION,
        description="Established LM with interrupted CSF flow: a worse outlook.",
        statements=("S20",),
        when=(*_ESTABLISHED_LM, match("patient", "patient", eq("csf_flow", "interrupted"))),
        then=(prognosis("csf-flow-interrupted"),),
    ),
)

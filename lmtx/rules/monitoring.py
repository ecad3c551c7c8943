"""Monitoring and response assessment (S14-S17, S21-S24; see docs/interpretation.md#across-phases).

Established LM is followed with neurological exams, MRI and CSF cytology,
judged by the modified RANO-LM criteria, and with a watch on adverse effects:
those of every agent the patient receives (active) and of the regimen
recommended. Each ``watch`` fact links one adverse effect to one agent; the
``monitor-adverse-effects`` item names their union.
"""

from __future__ import annotations

from lmtx.dsl import Derive, Rule, Test, derive, eq, match, one_of, recommend, ref
from lmtx.rules._common import ACTIVE, ESTABLISHED, INTRATHECAL_PEMETREXED, OSIMERTINIB, PLATINUM

SECTION = "Monitoring"

ADVERSE_EFFECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # effect: (statement, the toxicity terms of the input that name it)
    "rash": ("S21", ("rash",)),
    "myelosuppression": ("S22", ("leukopenia", "neutropenia", "thrombocytopenia", "anemia")),
    "aseptic-meningitis": ("S23", ("aseptic_meningitis",)),
    "fatigue": ("S24", ("fatigue",)),
}
"""The adverse effects the document asks to watch, with their statement and toxicity terms."""

# What each agent brings to watch for. The document ties rash to osimertinib (S21) and
# aseptic meningitis to intrathecal chemotherapy (S23); myelosuppression is read as the
# effect of pemetrexed and platinum chemotherapy, fatigue as one of osimertinib's.
_OSIMERTINIB_EFFECTS = ("rash", "fatigue")
_INTRATHECAL_EFFECTS = ("myelosuppression", "aseptic-meningitis")
_CHEMOTHERAPY_EFFECTS = ("myelosuppression",)

_WATCHING = match("watch_list", "recommendation", eq("code", "monitor-adverse-effects"))


def _watch_rule(
    rule_id: str,
    description: str,
    effects: tuple[str, ...],
    source: Test | tuple[Test, ...],
    *,
    active: bool,
    agent: str | None,
    extra: tuple[Test, ...] = (),
) -> Rule:
    tests = source if isinstance(source, tuple) else (source,)
    consequences: tuple[Derive, ...]
    if active:
        condition = match("given", "therapy", *tests, ACTIVE, *extra)
        consequences = tuple(
            derive(
                "watch",
                effect=e,
                agent=ref("given", "agent"),
                route=ref("given", "route"),
                basis="active",
                start=ref("given", "start"),
                dose=ref("given", "dose_mg"),
            )
            for e in effects
        )
    else:
        condition = match("advised", "recommendation", *tests)
        consequences = tuple(
            derive("watch", effect=e, agent=agent or "", route="", basis=ref("advised", "code"), start=-1, dose=0.0)
            for e in effects
        )
    return Rule(
        id=rule_id,
        section=SECTION,
        description=description,
        statements=tuple(ADVERSE_EFFECTS[e][0] for e in effects),
        when=(_WATCHING, condition),
        then=consequences,
    )


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
        id="monitor-adverse-effects",
        section=SECTION,
        description="Established LM under treatment: watch for the adverse effects of what is given and advised.",
        statements=("S21", "S22", "S23", "S24"),
        when=(
            match("applicable", "applicable"),
            match("lm", "lm", one_of("status", ESTABLISHED)),
        ),
        then=(recommend("monitor-adverse-effects", "perform"),),
    ),
    _watch_rule(
        "watch-osimertinib-given",
        "Osimertinib is given: watch for skin rash and fatigue.",
        _OSIMERTINIB_EFFECTS, OSIMERTINIB, active=True, agent=None,
    ),
    _watch_rule(
        "watch-osimertinib-advised",
        "Osimertinib is recommended: watch for skin rash and fatigue.",
        _OSIMERTINIB_EFFECTS, one_of("code", ("osimertinib-160", "osimertinib-80")), active=False, agent="osimertinib",
    ),
    _watch_rule(
        "watch-intrathecal-given",
        "Intrathecal pemetrexed is given: watch for myelosuppression and aseptic meningitis.",
        _INTRATHECAL_EFFECTS, INTRATHECAL_PEMETREXED, active=True, agent=None,
    ),
    _watch_rule(
        "watch-intrathecal-advised",
        "Intrathecal treatment is recommended: watch for myelosuppression and aseptic meningitis.",
        _INTRATHECAL_EFFECTS, one_of("code", ("it-pemetrexed", "prefer-intrathecal")), active=False,
        agent="intrathecal pemetrexed",
    ),
    _watch_rule(
        "watch-systemic-chemotherapy-given",
        "Intravenous pemetrexed or platinum chemotherapy is given: watch for myelosuppression.",
        _CHEMOTHERAPY_EFFECTS, one_of("agent", ("pemetrexed", *PLATINUM)), active=True, agent=None,
        extra=(one_of("route", ("intravenous", "")),),
    ),
    _watch_rule(
        "watch-systemic-chemotherapy-advised",
        "Platinum chemotherapy is recommended: watch for myelosuppression.",
        _CHEMOTHERAPY_EFFECTS, eq("code", "platinum-pemetrexed"), active=False,
        agent="platinum-based chemotherapy",
    ),
)  # fmt: skip

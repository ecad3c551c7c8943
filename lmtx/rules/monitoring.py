"""Monitoring and response assessment (S14-S17, S21-S24; see docs/interpretation.md#across-phases).

Established LM is followed with neurological exams, MRI and CSF cytology,
judged by the modified RANO-LM criteria, and with a watch on adverse effects:
those of every therapy the patient receives (active) or received in the last
six weeks, and of every treatment recommended. Each ``watch`` fact links one adverse effect to one agent; the
``monitor-adverse-effects`` item names their union.
"""

from __future__ import annotations

from lmtx.dsl import Rule, Test, Value, derive, eq, ge, match, ne, one_of, recommend, ref
from lmtx.rules._common import ACTIVE, ANY_EGFR_TKI, ESTABLISHED, OSIMERTINIB_CODES, in_words

SECTION = "Monitoring"

ADVERSE_EFFECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # effect: (statement, the toxicity terms of the input that name it)
    "rash": ("S21", ("rash",)),
    "myelosuppression": ("S22", ("leukopenia", "neutropenia", "thrombocytopenia", "anemia")),
    "aseptic-meningitis": ("S23", ("aseptic_meningitis",)),
    "fatigue": ("S24", ("fatigue",)),
}
"""The adverse effects the document asks to watch, with their statement and toxicity terms."""

# What each therapy brings to watch for (docs/interpretation.md#toxicity). The document ties rash
# to osimertinib (S21) and aseptic meningitis to intrathecal chemotherapy (S23); rash is read as a
# class effect of the EGFR TKIs (and of amivantamab), myelosuppression as the effect of chemotherapy,
# fatigue as one of the EGFR TKIs'. Bevacizumab, radiotherapy and drugs of another or no class carry
# none of the document's effects: they are named, with no effect.
_TKI_EFFECTS = ("rash", "fatigue")
_INTRATHECAL_EFFECTS = ("myelosuppression", "aseptic-meningitis")
_CHEMOTHERAPY_EFFECTS = ("myelosuppression",)

_NOT_INTRATHECAL = ne("route", "intrathecal")
WATCHED_SOURCES: tuple[tuple[str, str, tuple[str, ...], tuple[Test, ...]], ...] = (
    ("egfr-tki", "An EGFR TKI", _TKI_EFFECTS, (ANY_EGFR_TKI,)),
    ("amivantamab", "Amivantamab", ("rash",), (eq("agent", "amivantamab"),)),
    (
        "systemic-chemotherapy",
        "Systemic chemotherapy",
        _CHEMOTHERAPY_EFFECTS,
        (eq("cls", "chemotherapy"), _NOT_INTRATHECAL),
    ),
    (
        "intrathecal-chemotherapy",
        "Intrathecal chemotherapy",
        _INTRATHECAL_EFFECTS,
        (eq("cls", "chemotherapy"), eq("route", "intrathecal")),
    ),
    (
        "intrathecal-other",
        "Another intrathecal agent",
        ("aseptic-meningitis",),
        (ne("cls", "chemotherapy"), eq("route", "intrathecal")),
    ),
    (
        "no-listed-effect",
        "Bevacizumab, radiotherapy or a drug of another or no class",
        (),
        (one_of("cls", ("antibody", "other", "")), ne("agent", "amivantamab"), _NOT_INTRATHECAL),
    ),
)
"""(name, what, effects, therapy tests) of the therapies whose adverse effects are watched."""

_WATCHING = match("watch_list", "recommendation", eq("code", "monitor-adverse-effects"))


def _watched(basis: Value) -> dict[str, Value]:
    return {
        "agent": ref("given", "agent"),
        "route": ref("given", "route"),
        "basis": basis,
        "status": ref("given", "status"),
        "start": ref("given", "start"),
        "end": ref("given", "end"),
        "dose": ref("given", "dose_mg"),
        "interval": ref("given", "interval"),
        "therapy": ref("given", "seq"),
    }


def _given_rules(name: str, what: str, effects: tuple[str, ...], tests: tuple[Test, ...]) -> tuple[Rule, ...]:
    statements = tuple(ADVERSE_EFFECTS[e][0] for e in effects) or ("S21", "S22", "S23", "S24")
    watched = in_words(effects, "and") if effects else "none of the document's adverse effects"
    return (
        Rule(
            id=f"watch-{name}-given",
            section=SECTION,
            description=f"{what} is given: watch for {watched}.",
            statements=statements,
            when=(_WATCHING, match("given", "therapy", *tests, ACTIVE)),
            then=tuple(derive("watch", effect=e, **_watched("active")) for e in effects or ("",)),
        ),
        Rule(
            id=f"watch-{name}-recent",
            section=SECTION,
            description=f"{what} ended in the last 6 weeks: still watch for {watched}.",
            statements=statements,
            when=(
                _WATCHING,
                match("patient", "patient"),
                match(
                    "given",
                    "therapy",
                    *tests,
                    one_of("status", ("completed", "stopped")),
                    ge("end", ref("patient", "recent_from")),
                ),
            ),
            then=tuple(derive("watch", effect=e, **_watched("recent")) for e in effects or ("",)),
        ),
    )


def _advised_rule(rule_id: str, description: str, effects: tuple[str, ...], codes: tuple[str, ...], agent: str) -> Rule:
    return Rule(
        id=rule_id,
        section=SECTION,
        description=description,
        statements=tuple(ADVERSE_EFFECTS[e][0] for e in effects),
        when=(_WATCHING, match("advised", "recommendation", one_of("code", codes))),
        then=tuple(
            derive(
                "watch",
                effect=e,
                agent=agent,
                route="",
                basis=ref("advised", "action"),
                status="",
                start=-1,
                end=-1,
                dose=0.0,
                interval=1,
                therapy=-1,
            )
            for e in effects
        ),
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
    *(rule for row in WATCHED_SOURCES for rule in _given_rules(*row)),
    _advised_rule(
        "watch-osimertinib-advised",
        "Osimertinib is recommended: watch for skin rash and fatigue.",
        _TKI_EFFECTS, OSIMERTINIB_CODES, "osimertinib",
    ),
    _advised_rule(
        "watch-intrathecal-advised",
        "Intrathecal pemetrexed is recommended or on hold: watch for myelosuppression and aseptic meningitis.",
        _INTRATHECAL_EFFECTS, ("it-pemetrexed",), "intrathecal pemetrexed",
    ),
    _advised_rule(
        "watch-intrathecal-therapy-preferred",
        "Intrathecal therapy may be preferred: watch for myelosuppression and aseptic meningitis.",
        _INTRATHECAL_EFFECTS, ("prefer-intrathecal",), "intrathecal therapy",
    ),
    _advised_rule(
        "watch-systemic-chemotherapy-advised",
        "Platinum chemotherapy is recommended: watch for myelosuppression.",
        _CHEMOTHERAPY_EFFECTS, ("platinum-pemetrexed",), "platinum-based chemotherapy",
    ),
)  # fmt: skip

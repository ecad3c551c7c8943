"""Response and escalation (S01, S07, S08, S14-S16; SPEC §4.4 and §4.5).

First the regimen being judged is identified: osimertinib 160 mg alone, the
combination with intrathecal pemetrexed, or platinum chemotherapy on top.
Then each assessment kind gets a verdict against that regimen: only the
latest assessment counts, and only if dated on or after the regimen began.
Which findings count as failing depends on the regimen (the table
``FAILING``). The phase follows from the regimen and the verdicts.
"""

from __future__ import annotations

from lmtx.dsl import (
    Derive,
    Match,
    Rule,
    Test,
    derive,
    eq,
    ge,
    gt,
    lt,
    match,
    no,
    none_of,
    one_of,
    recommend,
    ref,
)
from lmtx.rules._common import (
    ACTIVE,
    ANY_PLATINUM,
    ESTABLISHED,
    HIGH_DOSE,
    INTRATHECAL_PEMETREXED,
    OSIMERTINIB,
    PLATINUM,
    SYMPTOMATIC,
)

SECTION = "Response and escalation"

_ESTABLISHED_ON_HIGH_DOSE = (
    match("lm", "lm", one_of("status", ESTABLISHED)),
    match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, HIGH_DOSE),
)
_APPLICABLE = match("applicable", "applicable")
_NO_PLATINUM = no("therapy", ANY_PLATINUM, ACTIVE)

REGIMEN_RULES: tuple[Rule, ...] = (
    Rule(
        id="regimen-osimertinib-alone",
        section=SECTION,
        description="Established LM on osimertinib 160 mg alone: judge its response from its start.",
        statements=("S01", "S06"),
        when=(
            _APPLICABLE,
            no("therapy", *INTRATHECAL_PEMETREXED, ACTIVE),
            _NO_PLATINUM,
            *_ESTABLISHED_ON_HIGH_DOSE,
        ),
        then=(derive("regimen", name="osimertinib", start=ref("osimertinib", "start")),),
    ),
    Rule(
        id="regimen-combination",
        section=SECTION,
        description="Osimertinib 160 mg with intrathecal pemetrexed added: judge from the pemetrexed start.",
        statements=("S07", "S08"),
        when=(
            _APPLICABLE,
            _NO_PLATINUM,
            *_ESTABLISHED_ON_HIGH_DOSE,
            match(
                "pemetrexed",
                "therapy",
                *INTRATHECAL_PEMETREXED,
                ACTIVE,
                ge("start", ref("osimertinib", "start")),
            ),
        ),
        then=(derive("regimen", name="combination", start=ref("pemetrexed", "start")),),
    ),
    Rule(
        id="regimen-combination-osimertinib-later",
        section=SECTION,
        description="Intrathecal pemetrexed began first: judge the combination from the osimertinib 160 mg start.",
        statements=("S07", "S08"),
        when=(
            _APPLICABLE,
            _NO_PLATINUM,
            *_ESTABLISHED_ON_HIGH_DOSE,
            match(
                "pemetrexed",
                "therapy",
                *INTRATHECAL_PEMETREXED,
                ACTIVE,
                lt("start", ref("osimertinib", "start")),
            ),
        ),
        then=(derive("regimen", name="combination", start=ref("osimertinib", "start")),),
    ),
    Rule(
        id="platinum-in-use",
        section=SECTION,
        description="Platinum chemotherapy is being given (one agent is enough).",
        statements=("S09",),
        when=(
            match("platinum", "therapy", one_of("agent", PLATINUM), ACTIVE),
            no("therapy", ANY_PLATINUM, ACTIVE, gt("seq", ref("platinum", "seq"))),
        ),
        then=(derive("platinum_in_use", start=ref("platinum", "start")),),
    ),
    Rule(
        id="regimen-platinum",
        section=SECTION,
        description="Platinum chemotherapy with osimertinib 160 mg, the document's last step: judge from its start.",
        statements=("S09",),
        when=(_APPLICABLE, *_ESTABLISHED_ON_HIGH_DOSE, match("platinum", "platinum_in_use")),
        then=(derive("regimen", name="platinum", start=ref("platinum", "start")),),
    ),
)

# What counts as failing, per regimen and assessment kind (SPEC §4.4, §4.5).
# S07 defines an inadequate response to osimertinib alone; on the combination
# and later, "disease progression" is MRI progression or worsening symptoms.
FAILING: dict[str, dict[str, tuple[Test, Test]]] = {
    "osimertinib": {
        "neuro": (one_of("symptoms", SYMPTOMATIC), none_of("symptoms", SYMPTOMATIC)),
        "cytology": (eq("result", "positive"), none_of("result", ("positive",))),
        "mri": (eq("response", "progression"), none_of("response", ("progression",))),
    },
    "combination": {
        "neuro": (eq("symptoms", "worsened"), none_of("symptoms", ("worsened",))),
        "mri": (eq("response", "progression"), none_of("response", ("progression",))),
    },
    "platinum": {
        "neuro": (eq("symptoms", "worsened"), none_of("symptoms", ("worsened",))),
        "mri": (eq("response", "progression"), none_of("response", ("progression",))),
    },
}
"""regimen -> assessment kind -> (failing test, its complement) on the latest finding."""

_KINDS = {
    # kind: (latest fact, base fact, statement, plain name)
    "neuro": ("latest_neuro", "neuro_exam", "S14", "neurological exam"),
    "cytology": ("latest_cytology", "cytology", "S16", "CSF cytology"),
    "mri": ("latest_mri", "mri", "S15", "MRI"),
}
_REGIMEN_STATEMENTS = {"osimertinib": ("S07", "S01"), "combination": ("S09",), "platinum": ("S09",)}


def _verdict_rules(regimen: str, kind: str, failing: Test, holding: Test) -> tuple[Rule, ...]:
    latest, base, kind_statement, name = _KINDS[kind]
    statements = (*_REGIMEN_STATEMENTS[regimen], kind_statement, "S17")
    judged = match("regimen", "regimen", eq("name", regimen))
    since_start = ge("date", ref("regimen", "start"))

    def verdict(is_failing: bool) -> tuple[Derive]:
        return (derive("verdict", regimen=regimen, kind=kind, failing=is_failing),)

    prefix = f"response-{regimen}-{kind}"
    return (
        Rule(
            id=f"{prefix}-failing",
            section=SECTION,
            description=f"The latest {name} since the {regimen} regimen began shows failure ({failing}).",
            statements=statements,
            when=(judged, match("latest", latest, since_start, failing)),
            then=verdict(True),
        ),
        Rule(
            id=f"{prefix}-holding",
            section=SECTION,
            description=f"The latest {name} since the {regimen} regimen began shows no failure.",
            statements=statements,
            when=(judged, match("latest", latest, since_start, holding)),
            then=verdict(False),
        ),
        Rule(
            id=f"{prefix}-not-yet-assessed",
            section=SECTION,
            description=f"No {name} since the {regimen} regimen began: nothing counts against it yet.",
            statements=statements,
            when=(judged, match("latest", latest, lt("date", ref("regimen", "start")))),
            then=verdict(False),
        ),
        Rule(
            id=f"{prefix}-never-assessed",
            section=SECTION,
            description=f"No {name} recorded at all: nothing counts against the {regimen} regimen yet.",
            statements=statements,
            when=(judged, no(base)),
            then=verdict(False),
        ),
    )


VERDICT_RULES: tuple[Rule, ...] = tuple(
    rule
    for regimen, kinds in FAILING.items()
    for kind, (failing, holding) in kinds.items()
    for rule in _verdict_rules(regimen, kind, failing, holding)
)


def _holding(regimen: str, kind: str) -> Match:
    return match(f"{kind}_verdict", "verdict", eq("regimen", regimen), eq("kind", kind), eq("failing", False))


PHASE_RULES: tuple[Rule, ...] = (
    Rule(
        id="phase-osimertinib-monotherapy",
        section=SECTION,
        description="On osimertinib 160 mg alone with no failing assessment since it began: keep going.",
        statements=("S01", "S08"),
        when=(
            match("regimen", "regimen", eq("name", "osimertinib")),
            _holding("osimertinib", "neuro"),
            _holding("osimertinib", "cytology"),
            _holding("osimertinib", "mri"),
        ),
        then=(derive("phase", value="osimertinib-monotherapy"),),
    ),
    Rule(
        id="phase-inadequate-response",
        section=SECTION,
        description="On osimertinib alone: symptoms persist or worsen, CSF holds tumour cells, or MRI progresses.",
        statements=("S07", "S01"),
        when=(
            match("regimen", "regimen", eq("name", "osimertinib")),
            match("verdict", "verdict", eq("regimen", "osimertinib"), eq("failing", True)),
        ),
        then=(derive("phase", value="inadequate-response"),),
    ),
    Rule(
        id="phase-combination",
        section=SECTION,
        description="On osimertinib 160 mg with intrathecal pemetrexed and no progression since: continue both.",
        statements=("S07", "S08"),
        when=(
            match("regimen", "regimen", eq("name", "combination")),
            _holding("combination", "neuro"),
            _holding("combination", "mri"),
        ),
        then=(derive("phase", value="combination"),),
    ),
)

RECOMMENDATION_RULES: tuple[Rule, ...] = (
    Rule(
        id="continue-osimertinib-160",
        section=SECTION,
        description="From osimertinib 160 mg onwards, keep it at the highest tolerable dose at every step.",
        statements=("S08", "S25", "S01"),
        when=(
            match(
                "phase",
                "phase",
                one_of(
                    "value",
                    (
                        "osimertinib-monotherapy",
                        "inadequate-response",
                        "combination",
                        "progression-on-combination",
                        "beyond-document",
                    ),
                ),
            ),
        ),
        then=(recommend("osimertinib-160", "continue"),),
    ),
    Rule(
        id="add-intrathecal-pemetrexed",
        section=SECTION,
        description="Inadequate response to osimertinib alone: add intrathecal pemetrexed 30-50 mg.",
        statements=("S07", "S01"),
        when=(match("phase", "phase", eq("value", "inadequate-response")),),
        then=(recommend("it-pemetrexed", "add"),),
    ),
    Rule(
        id="continue-intrathecal-pemetrexed",
        section=SECTION,
        description="The combination holds: continue intrathecal pemetrexed with osimertinib.",
        statements=("S07", "S08"),
        when=(match("phase", "phase", eq("value", "combination")),),
        then=(recommend("it-pemetrexed", "continue"),),
    ),
)

RULES: tuple[Rule, ...] = REGIMEN_RULES + VERDICT_RULES + PHASE_RULES + RECOMMENDATION_RULES

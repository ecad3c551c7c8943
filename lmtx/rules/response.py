"""Response and escalation (S01, S07, S08, S14-S16; see docs/interpretation.md#response).

First the regimen being judged is identified from the treatment history on
the osimertinib regimen the later stages build on (docs/interpretation.md#combination):
the active 160 mg regimen, or a regimen below a dose stopped for toxicity or
withheld after one (lmtx.rules.tolerance). A therapy is *given on the
osimertinib run* (every osimertinib linked to the current one, whatever its
dose) when it was active, completed or stopped and did not end before the
run date (docs/interpretation.md#tolerable-dose). Platinum begun on the run
is the platinum stage; otherwise intrathecal pemetrexed given on it is the
combination stage; otherwise osimertinib runs alone. Each stage is judged
from the later of the regimen's start and the earliest start of the therapy
that defines it.

Then each assessment kind gets a verdict against that regimen: only the
latest assessment counts, and only if dated strictly after the regimen began
(a finding of the first day is its baseline). Which findings count as
failing depends on the regimen (the table ``FAILING``). The phase follows
from the regimen and the verdicts.
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
    le,
    match,
    ne,
    no,
    none_of,
    one_of,
    recommend,
    ref,
)
from lmtx.rules._common import (
    ACTIVE,
    ESTABLISHED,
    HIGH_DOSE,
    INTRATHECAL_PEMETREXED,
    OSIMERTINIB,
    SYMPTOMATIC,
    in_words,
)
from lmtx.rules._run import STAGE_THERAPIES, history_rules, no_platinum_since, none_given_on_regimen, regimen_fact

SECTION = "Response and escalation"

_APPLICABLE = match("applicable", "applicable")

LATER_PHASES = (
    "osimertinib-monotherapy",
    "inadequate-response",
    "combination",
    "progression-on-combination",
    "beyond-document",
)
"""The phases of established LM on an osimertinib regimen: the later stages of docs/interpretation.md#combination."""


REGIMEN_RULES: tuple[Rule, ...] = (
    Rule(
        id="high-dose-regimen",
        section=SECTION,
        description=(
            "Established LM on osimertinib 160 mg daily, counted from its first day (a hold and resumption "
            "continue it): the later steps build on it."
        ),
        statements=("S01", "S04", "S08"),
        when=(
            _APPLICABLE,
            match("lm", "lm", one_of("status", ESTABLISHED)),
            match("osimertinib", "therapy", OSIMERTINIB, ACTIVE, HIGH_DOSE),
        ),
        then=(regimen_fact("160", "chain_start"),),
    ),
    *(rule for row in STAGE_THERAPIES for rule in history_rules(*row, section=SECTION)),
    Rule(
        id="regimen-osimertinib-alone",
        section=SECTION,
        description=(
            "No intrathecal pemetrexed or platinum given on the osimertinib run: judge the regimen from its start."
        ),
        statements=("S01", "S06"),
        when=(
            match("on", "osimertinib_regimen"),
            *none_given_on_regimen(INTRATHECAL_PEMETREXED, ref("on", "run_date")),
            no_platinum_since(ref("on", "run_date")),
        ),
        then=(derive("regimen", name="osimertinib", start=ref("on", "start")),),
    ),
    Rule(
        id="regimen-combination",
        section=SECTION,
        description=(
            "Intrathecal pemetrexed given on the osimertinib run, no platinum begun on it: judge the combination."
        ),
        statements=("S07", "S08"),
        when=(
            match("on", "osimertinib_regimen"),
            no_platinum_since(ref("on", "run_date")),
            match("first", "intrathecal_first"),
        ),
        then=(derive("regimen", name="combination", start=ref("first", "judged_from")),),
    ),
    Rule(
        id="regimen-platinum",
        section=SECTION,
        description=(
            "Platinum chemotherapy begun on the osimertinib run after intrathecal pemetrexed was given on it, "
            "the document's last step: judge it for progression."
        ),
        statements=("S09",),
        when=(match("first", "platinum_first"), match("intrathecal", "intrathecal_first")),
        then=(derive("regimen", name="platinum", start=ref("first", "judged_from")),),
    ),
    Rule(
        id="regimen-platinum-without-intrathecal",
        section=SECTION,
        description=(
            "Platinum chemotherapy begun on the osimertinib run, no intrathecal pemetrexed given on it: the "
            "document's intrathecal step is unused, so judge it by the inadequate-response test."
        ),
        statements=("S07", "S09"),
        when=(
            match("on", "osimertinib_regimen"),
            *none_given_on_regimen(INTRATHECAL_PEMETREXED, ref("on", "run_date")),
            match("first", "platinum_first"),
        ),
        then=(derive("regimen", name="platinum-without-intrathecal", start=ref("first", "judged_from")),),
    ),
)

# What counts as failing, per regimen and assessment kind (docs/interpretation.md#response).
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
    # The intrathecal step is still unused: an inadequate response calls for it, as on osimertinib alone.
    "platinum-without-intrathecal": {
        "neuro": (one_of("symptoms", SYMPTOMATIC), none_of("symptoms", SYMPTOMATIC)),
        "cytology": (eq("result", "positive"), none_of("result", ("positive",))),
        "mri": (eq("response", "progression"), none_of("response", ("progression",))),
    },
}
"""regimen -> assessment kind -> (failing test, its complement) on the latest finding."""

_KINDS = {
    # kind: (latest fact, base fact, statement, plain name, field holding the finding)
    "neuro": ("latest_neuro", "neuro_exam", "S14", "neurological exam", "symptoms"),
    "cytology": ("latest_cytology", "cytology", "S16", "CSF cytology", "result"),
    "mri": ("latest_mri", "mri", "S15", "MRI", "response"),
}
# How descriptions say a regimen and a finding (docs/interpretation.md#texts: no test syntax).
_REGIMEN_WORDS = {
    "osimertinib": "osimertinib 160 mg",
    "combination": "intrathecal pemetrexed with osimertinib 160 mg",
    "platinum": "platinum chemotherapy after intrathecal pemetrexed",
    "platinum-without-intrathecal": "platinum chemotherapy without intrathecal pemetrexed",
}
_FINDING_WORDS = {
    # kind: (a failing finding, a finding that does not fail), each filled with the failing values
    "neuro": ("finds {} symptoms", "finds no {} symptoms"),
    "cytology": ("is {}", "is not {}"),
    "mri": ("shows {}", "shows no {}"),
}


def _finding_words(kind: str, failing: Test, *, fails: bool) -> str:
    values = failing.value if isinstance(failing.value, tuple) else (str(failing.value),)
    return _FINDING_WORDS[kind][0 if fails else 1].format(in_words(tuple(map(str, values))))


_REGIMEN_STATEMENTS = {
    "osimertinib": ("S07", "S01"),
    "combination": ("S09",),
    "platinum": ("S09",),
    "platinum-without-intrathecal": ("S07", "S09"),
}


def _verdict_rules(regimen: str, kind: str, failing: Test, holding: Test) -> tuple[Rule, ...]:
    latest, base, kind_statement, name, finding = _KINDS[kind]
    statements = (*_REGIMEN_STATEMENTS[regimen], kind_statement, "S17")
    judged = match("regimen", "regimen", eq("name", regimen))
    # Strictly after: a finding of the regimen's first day is its baseline, never its response.
    since_start = gt("date", ref("regimen", "start"))

    def verdict(is_failing: bool, assessed: bool = True) -> tuple[Derive]:
        found = {"date": ref("latest", "date"), "finding": ref("latest", finding)} if assessed else {}
        return (derive("verdict", regimen=regimen, kind=kind, failing=is_failing, **found),)

    prefix = f"response-{regimen}-{kind}"
    said = _REGIMEN_WORDS[regimen]
    return (
        Rule(
            id=f"{prefix}-failing",
            section=SECTION,
            description=(
                f"The latest {name}, after the first day of {said}, "
                f"{_finding_words(kind, failing, fails=True)}: this counts against the regimen."
            ),
            statements=statements,
            when=(judged, match("latest", latest, since_start, failing)),
            then=verdict(True),
        ),
        Rule(
            id=f"{prefix}-holding",
            section=SECTION,
            description=(
                f"The latest {name}, after the first day of {said}, "
                f"{_finding_words(kind, failing, fails=False)}: nothing counts against the regimen."
            ),
            statements=statements,
            when=(judged, match("latest", latest, since_start, holding)),
            then=verdict(False),
        ),
        Rule(
            id=f"{prefix}-not-yet-assessed",
            section=SECTION,
            description=(
                f"No {name} after the first day of {said} (one on that day is its baseline): "
                "nothing counts against it yet."
            ),
            statements=statements,
            when=(judged, match("latest", latest, le("date", ref("regimen", "start")))),
            then=verdict(False),
        ),
        Rule(
            id=f"{prefix}-never-assessed",
            section=SECTION,
            description=f"No {name} recorded at all: nothing counts against {said} yet.",
            statements=statements,
            when=(judged, no(base)),
            then=verdict(False, assessed=False),
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
        description="On osimertinib before the later steps, no failing assessment since it began: keep going.",
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
        description=(
            "On osimertinib before the later steps: symptoms persist or worsen, CSF holds tumour cells, or MRI "
            "progresses."
        ),
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
        description=(
            "Intrathecal pemetrexed given on the osimertinib run, no progression since it began and its latest "
            "course not stopped for progression: the combination stage."
        ),
        statements=("S07", "S08"),
        when=(
            match("regimen", "regimen", eq("name", "combination")),
            _holding("combination", "neuro"),
            _holding("combination", "mri"),
            match("course", "intrathecal_latest", ne("course", "progressed")),
        ),
        then=(derive("phase", value="combination"),),
    ),
)

_THE_COMBINATION = match("phase", "phase", eq("value", "combination"))

RECOMMENDATION_RULES: tuple[Rule, ...] = (
    Rule(
        id="continue-osimertinib-160",
        section=SECTION,
        description="From osimertinib 160 mg onwards, keep it at the highest tolerable dose at every later step.",
        statements=("S08", "S25"),
        when=(
            match("phase", "phase", one_of("value", LATER_PHASES)),
            match("regimen", "osimertinib_regimen", eq("kind", "160")),
        ),
        then=(recommend("osimertinib-160", "continue"),),
    ),
    Rule(
        id="add-intrathecal-pemetrexed",
        section=SECTION,
        description="Inadequate response to osimertinib before the later steps: add intrathecal pemetrexed 30-50 mg.",
        statements=("S07", "S01"),
        when=(match("phase", "phase", eq("value", "inadequate-response")),),
        then=(recommend("it-pemetrexed", "add", stage="inadequate-response"),),
    ),
    Rule(
        id="continue-intrathecal-pemetrexed",
        section=SECTION,
        description=(
            "The combination holds, its latest intrathecal course was neither stopped nor held, and no event that "
            "holds an injection came since that course began: continue the courses."
        ),
        statements=("S07", "S08"),
        when=(
            match("course", "intrathecal_latest", eq("course", "continuing")),
            no("toxicity", eq("holds_intrathecal", True), ge("day", ref("course", "start"))),
            _THE_COMBINATION,
        ),
        then=(recommend("it-pemetrexed", "continue", stage="combination"),),
    ),
)

RULES: tuple[Rule, ...] = REGIMEN_RULES + VERDICT_RULES + PHASE_RULES + RECOMMENDATION_RULES

"""The safety pack (``lmtx-safety``): nine cautions the document does not give, each with public sources.

Off by default; ``Policy(safety_pack=True)`` turns it on (docs/safety-pack.md).
Its rules read the record's facts (:mod:`lmtx._facts`), the facts the
document's rules derived (``applicable``, ``lm``, ``nsclc``,
``cns_involvement``, ``poor_ps``) and the document's own items
(``recommendation`` and ``alert`` facts, by code and action), plus one fact
of its own, ``egfr_variants`` (which EGFR variants the record lists). They
run after the document's rules, on the facts those left, and add alerts
only: the document's readings are the same with the pack on or off.

The cautions are in the order a result lists them (after the document's
alerts). Every text says what triggered it and that it is a caution of the
pack; the sources are cited by title and year, in lmtx's words. A caution
names what its sources say and no more: it is not a guideline, and the pack
is not a complete list of what could go wrong.
"""

from __future__ import annotations

from lmtx.catalogue import Text
from lmtx.dsl import Condition, Derive, Emit, Rule, alert, derive, eq, ge, match, no, one_of, ref
from lmtx.packs import Caution
from lmtx.packs.sources import (
    AMIVANTAMAB_LABEL,
    DOCUMENT_REFERENCE_2,
    DOCUMENT_REFERENCE_4,
    FERRELL_2017,
    LINDEMAN_2018,
    NCT03101579,
    NCT05289908,
    OSIMERTINIB_LABEL,
    PAN_2019,
    PEMETREXED_LABEL,
    RANO_LM_2017,
    SUNVOZERTINIB_LABEL,
)
from lmtx.rules._common import ACTIVE, ESTABLISHED
from lmtx.rules.toxicity import MYELOSUPPRESSION

__all__ = ["CAUTIONS", "ID", "RULES", "VERSION"]

ID = "lmtx-safety"
"""The pack's id, as results list it in ``knowledge_base.packs``."""
VERSION = "1.0.0"
"""The pack's own version: it changes when a caution, a text or a source does (its digest changes too)."""

SECTION = "Safety pack"

# --- texts ---------------------------------------------------------------------------------------

PACK_NOTE = "A caution of lmtx's safety pack, not of the document; its sources are listed with it."
"""The last sentence of every detail."""

# --- the vocabulary of the triggers --------------------------------------------------------------

IT_PEMETREXED = eq("code", "it-pemetrexed")
_IT_GIVEN_OR_ADVISED = ("add", "continue")
_IT_ADVICE = match("advice", "recommendation", IT_PEMETREXED, one_of("action", _IT_GIVEN_OR_ADVISED))
_RECENT_CYTOPENIA = (
    one_of("term", MYELOSUPPRESSION),
    ge("grade", 3),
    ge("day", ref("patient", "recent_from")),
)
"""A grade 3+ anemia, leukopenia, neutropenia or thrombocytopenia dated from 42 days before the evaluation date
to that day; an undated one counts (its ``day`` is the evaluation date, :mod:`lmtx._facts`)."""


def _rule(rule_id: str, description: str, *when: Condition, then: tuple[Derive | Emit, ...]) -> Rule:
    """A rule of the pack: its id starts with ``safety-``, and it encodes none of the document's statements."""
    return Rule(id=f"safety-{rule_id}", section=SECTION, description=description, statements=(), when=when, then=then)


IT_PREMEDICATION = Caution(
    code="it-premedication",
    severity="info",
    trigger="Intrathecal pemetrexed is advised: `it-pemetrexed` with action `add` or `continue`.",
    texts={
        "": Text(
            "Safety-pack caution: the intrathecal pemetrexed trials gave folic acid, vitamin B12 and dexamethasone; "
            "the document names none.",
            "{advice} The trials of intrathecal pemetrexed gave folic acid and vitamin B12 before treatment and "
            "dexamethasone with each administration, and the pemetrexed label asks for folic acid and vitamin B12 "
            f"premedication; the document names no premedication. The treating team decides which premedication "
            f"to give. {PACK_NOTE}",
        )
    },
    sources=(NCT05289908, NCT03101579, PEMETREXED_LABEL),
    rules=(
        _rule(
            "it-premedication",
            "Intrathecal pemetrexed advised (add or continue): the premedication its trials gave.",
            _IT_ADVICE,
            then=(alert("it-premedication", "info"),),
        ),
    ),
)

_CHECK_COUNTS = (
    "Check blood counts before each administration: the intrathecal pemetrexed trials required minimum counts "
    "(platelets of at least 60,000 to 100,000 per microlitre, depending on the trial) and delayed doses for "
    "cytopenias, as did the series of the document's reference 4."
)
_BLOOD_COUNTS_ADVICE = match("advice", "recommendation", IT_PEMETREXED, one_of("action", ("add", "continue", "hold")))

IT_BLOOD_COUNTS = Caution(
    code="it-blood-counts",
    severity="`info`; `warning` with a recent severe cytopenia",
    trigger=(
        "Intrathecal pemetrexed is advised or on hold: `it-pemetrexed` with action `add`, `continue` or `hold`. "
        "It is a `warning` when a grade 3 or higher anemia, leukopenia, neutropenia or thrombocytopenia is dated "
        "from 42 days before the evaluation date to that day, or is undated; `info` otherwise."
    ),
    variant="severity",
    texts={
        "info": Text(
            "Safety-pack caution: check blood counts before each intrathecal pemetrexed dose; its trials set "
            "minimum counts.",
            f"{{advice}}{{cytopenias}} {_CHECK_COUNTS} {PACK_NOTE}",
        ),
        "warning": Text(
            "Safety-pack caution: a grade 3+ cytopenia within 42 days; check blood counts before intrathecal "
            "pemetrexed.",
            f"{{advice}}{{cytopenias}} {_CHECK_COUNTS} The treating team decides whether and when the next dose is "
            f"given. {PACK_NOTE}",
        ),
    },
    sources=(NCT03101579, NCT05289908, DOCUMENT_REFERENCE_4),
    rules=(
        _rule(
            "it-blood-counts-recent-cytopenia",
            "Intrathecal pemetrexed advised or on hold, and a grade 3+ cytopenia within the last 42 days (or "
            "undated): check the counts, a warning.",
            match("patient", "patient"),
            match("toxicity", "toxicity", *_RECENT_CYTOPENIA),
            _BLOOD_COUNTS_ADVICE,
            then=(
                derive(
                    "recent_cytopenia",
                    term=ref("toxicity", "term"),
                    grade=ref("toxicity", "grade"),
                    day=ref("toxicity", "day"),
                ),
                alert("it-blood-counts", "warning"),
            ),
        ),
        _rule(
            "it-blood-counts",
            "Intrathecal pemetrexed advised or on hold, no grade 3+ cytopenia within the last 42 days: check the "
            "counts before each dose.",
            match("patient", "patient"),
            no("toxicity", *_RECENT_CYTOPENIA),
            _BLOOD_COUNTS_ADVICE,
            then=(alert("it-blood-counts", "info"),),
        ),
    ),
)

_FLOW_RULES = tuple(
    _rule(
        f"it-csf-flow-{flow}",
        f"Intrathecal therapy advised with the CSF flow {flow}{' (no flow study)' if flow == 'unknown' else ''}.",
        match("patient", "patient", eq("csf_flow", flow)),
        match("advice", "intrathecal_advice"),
        then=(alert("it-csf-flow", severity, flow=ref("patient", "csf_flow")),),
    )
    for flow, severity in (("unknown", "info"), ("interrupted", "warning"))
)

IT_CSF_FLOW = Caution(
    code="it-csf-flow",
    severity="`info` when the flow is `unknown`; `warning` when `interrupted`",
    trigger=(
        "Intrathecal therapy is advised (`it-pemetrexed` with action `add` or `continue`, or `prefer-intrathecal`) "
        "and `csf_flow` is `unknown` or `interrupted`; nothing when it is `normal`."
    ),
    variant="flow",
    texts={
        "unknown": Text(
            "Safety-pack caution: no CSF flow study recorded; RANO-LM asks for one before intra-CSF therapy.",
            "{advice} CSF flow: {flow}. RANO-LM recommends a CSF flow study before intra-CSF therapy, and the "
            f"intrathecal pemetrexed trials excluded patients whose CSF flow was obstructed. {PACK_NOTE}",
        ),
        "interrupted": Text(
            "Safety-pack caution: CSF flow interrupted; the intrathecal pemetrexed trials excluded CSF flow "
            "obstruction.",
            "{advice} CSF flow: {flow}. RANO-LM recommends a CSF flow study before intra-CSF therapy, and the "
            "intrathecal pemetrexed trials excluded patients whose CSF flow was obstructed. The treating team "
            f"decides whether intrathecal therapy is given. {PACK_NOTE}",
        ),
    },
    sources=(RANO_LM_2017, NCT05289908),
    rules=(
        _rule(
            "intrathecal-advice-pemetrexed",
            "Intrathecal pemetrexed advised (add or continue): intrathecal therapy is advised.",
            _IT_ADVICE,
            then=(derive("intrathecal_advice", code=ref("advice", "code"), action=ref("advice", "action")),),
        ),
        _rule(
            "intrathecal-advice-preferred",
            "Intrathecal therapy preferred at poor performance status: intrathecal therapy is advised.",
            match("advice", "recommendation", eq("code", "prefer-intrathecal")),
            then=(derive("intrathecal_advice", code=ref("advice", "code"), action=ref("advice", "action")),),
        ),
        *_FLOW_RULES,
    ),
)

IT_DOSE_TRIALS = Caution(
    code="it-dose-trials",
    severity="info",
    trigger="Intrathecal pemetrexed is to be added: `it-pemetrexed` with action `add`.",
    texts={
        "": Text(
            "Safety-pack caution: intrathecal pemetrexed 30-50 mg is above the maximum tolerated doses of its "
            "dose-finding trials.",
            "{advice} The document's 30-50 mg per administration is above the maximum tolerated doses that the "
            "dose-finding trials set: 10 mg in refractory LM (NCT03101579, Pan et al. 2019) and 15 mg with folic "
            "acid and vitamin B12 (NCT05289908). Other series used 30 mg (on days 1 and 8 every 3 weeks) and 50 "
            f"mg. The treating team decides the dose. {PACK_NOTE}",
        )
    },
    sources=(NCT03101579, PAN_2019, NCT05289908, DOCUMENT_REFERENCE_2, DOCUMENT_REFERENCE_4),
    rules=(
        _rule(
            "it-dose-trials",
            "Intrathecal pemetrexed to be added: its dose is above the dose-finding trials' maximum tolerated doses.",
            match("advice", "recommendation", IT_PEMETREXED, eq("action", "add")),
            then=(alert("it-dose-trials", "info"),),
        ),
    ),
)


def _pemetrexed_use(route: str, basis: str, description: str, condition: Condition) -> Rule:
    given = basis == "given"
    return _rule(
        f"pemetrexed-{route}-{basis}",
        description,
        condition,
        then=(
            derive(
                "pemetrexed_use",
                route=route,
                basis=basis,
                code="" if given else ref("advice", "code"),
                action="" if given else ref("advice", "action"),
                start=ref("therapy", "start") if given else -1,
            ),
        ),
    )


IV_IT_PEMETREXED = Caution(
    code="iv-it-pemetrexed",
    severity="warning",
    trigger=(
        "Intravenous pemetrexed is active (or advised, as `platinum-pemetrexed`) while intrathecal pemetrexed is "
        "active or advised (`it-pemetrexed` with action `add` or `continue`), whether or not the document's "
        "algorithm applies."
    ),
    texts={
        "": Text(
            "Safety-pack caution: pemetrexed both intravenous and intrathecal; the document does not address the "
            "two routes together.",
            "{routes} The document does not address giving pemetrexed by both routes together; myelosuppression is "
            f"pemetrexed's dose-limiting toxicity (pemetrexed label). {PACK_NOTE}",
        )
    },
    sources=(PEMETREXED_LABEL,),
    rules=(
        _pemetrexed_use(
            "intravenous",
            "given",
            "Intravenous pemetrexed is active.",
            match("therapy", "therapy", eq("agent", "pemetrexed"), eq("route", "intravenous"), ACTIVE),
        ),
        _pemetrexed_use(
            "intravenous",
            "advised",
            "Platinum-based chemotherapy, preferably with pemetrexed, is advised.",
            match("advice", "recommendation", eq("code", "platinum-pemetrexed")),
        ),
        _pemetrexed_use(
            "intrathecal",
            "given",
            "Intrathecal pemetrexed is active.",
            match("therapy", "therapy", eq("agent", "pemetrexed"), eq("route", "intrathecal"), ACTIVE),
        ),
        _pemetrexed_use("intrathecal", "advised", "Intrathecal pemetrexed is advised (add or continue).", _IT_ADVICE),
        _rule(
            "iv-it-pemetrexed",
            "Pemetrexed by both routes, given or advised: the document does not address the two together.",
            match("intravenous", "pemetrexed_use", eq("route", "intravenous")),
            match("intrathecal", "pemetrexed_use", eq("route", "intrathecal")),
            then=(alert("iv-it-pemetrexed", "warning"),),
        ),
    ),
)

OSIMERTINIB_LABEL_WARNINGS = Caution(
    code="osimertinib-label-warnings",
    severity="info",
    trigger=(
        "Osimertinib is advised to be started, switched to, raised or resumed: `osimertinib-160` or "
        "`osimertinib-80` with action `start`, `switch` or `increase`, or `osimertinib-tolerated` with action "
        "`resume`."
    ),
    texts={
        "": Text(
            "Safety-pack caution: osimertinib's label warns of pneumonitis, QTc prolongation, cardiomyopathy and "
            "keratitis.",
            "{advice} The Warnings and Precautions of osimertinib's label include interstitial lung disease or "
            "pneumonitis (osimertinib is stopped if it is confirmed), QTc interval prolongation (ECG and "
            "electrolytes in patients at risk), cardiomyopathy (cardiac function in patients at risk) and "
            f"keratitis. {PACK_NOTE}",
        )
    },
    sources=(OSIMERTINIB_LABEL,),
    rules=(
        _rule(
            "osimertinib-label-warnings",
            "Osimertinib advised to be started, switched to or raised.",
            match(
                "advice",
                "recommendation",
                one_of("code", ("osimertinib-160", "osimertinib-80")),
                one_of("action", ("start", "switch", "increase")),
            ),
            then=(alert("osimertinib-label-warnings", "info"),),
        ),
        _rule(
            "osimertinib-label-warnings-resume",
            "Osimertinib advised to be resumed after a toxicity stop.",
            match("advice", "recommendation", eq("code", "osimertinib-tolerated"), eq("action", "resume")),
            then=(alert("osimertinib-label-warnings", "info"),),
        ),
    ),
)

EXON20_INSERTION = Caution(
    code="exon20-insertion",
    severity="warning",
    trigger=(
        "The document's algorithm applies and `egfr.variants` holds `exon20_insertion` and neither "
        "`exon19_deletion` nor `L858R`."
    ),
    texts={
        "": Text(
            "Safety-pack caution: EGFR exon 20 insertion; these are generally insensitive to approved EGFR TKIs, "
            "osimertinib included.",
            "{variants} EGFR exon 20 insertions are generally insensitive to the approved EGFR TKIs, osimertinib "
            "included. The approved options for them are other agents: amivantamab with carboplatin and "
            "pemetrexed first line; amivantamab or sunvozertinib after platinum chemotherapy. lmtx applies the "
            f"document's algorithm to every EGFR-mutant record. {PACK_NOTE}",
        )
    },
    sources=(AMIVANTAMAB_LABEL, SUNVOZERTINIB_LABEL),
    rules=(
        _rule(
            "exon20-insertion",
            "An applicable patient whose only common-looking EGFR variant is an exon 20 insertion.",
            match("applicable", "applicable"),
            match(
                "variants",
                "egfr_variants",
                eq("exon20_insertion", True),
                eq("exon19_deletion", False),
                eq("l858r", False),
            ),
            then=(alert("exon20-insertion", "warning"),),
        ),
    ),
)

_TEST_EGFR = (
    "{finding} Test EGFR, on tissue or plasma: the document's algorithm, and the targeted treatments it names, "
    "need a known EGFR status."
)
_EGFR_TESTING_COMMON = Text(
    "Safety-pack caution: EGFR status unknown with CNS involvement; test EGFR (tissue or plasma), the algorithm needs "
    "it.",
    f"{_TEST_EGFR} {PACK_NOTE}",
)
_EGFR_TESTING_SELECTED = Text(
    _EGFR_TESTING_COMMON.summary,
    f"{_TEST_EGFR} For {{histology_words}} the molecular testing guideline recommends EGFR testing in selected "
    "cases (small or mixed samples, never or light smokers); with CNS involvement, whether to test is the "
    f"treating team's question. {PACK_NOTE}",
)

EGFR_TESTING = Caution(
    code="egfr-testing",
    severity="info",
    trigger=(
        "NSCLC (`histology` `adenocarcinoma`, `squamous`, `large_cell` or `nsclc_nos`) with EGFR status `unknown` "
        "and LM established or suspected, or brain metastases: the patient is then not applicable "
        "(`egfr-status-unknown`)."
    ),
    variant="histology",
    texts={
        "adenocarcinoma": _EGFR_TESTING_COMMON,
        "nsclc_nos": _EGFR_TESTING_COMMON,
        "squamous": _EGFR_TESTING_SELECTED,
        "large_cell": _EGFR_TESTING_SELECTED,
    },
    sources=(LINDEMAN_2018,),
    rules=(
        _rule(
            "egfr-testing",
            "NSCLC with CNS involvement and an unknown EGFR status: test EGFR.",
            match("nsclc", "nsclc"),
            match("patient", "patient", eq("egfr", "unknown")),
            match("cns", "cns_involvement"),
            then=(alert("egfr-testing", "info", histology=ref("patient", "histology")),),
        ),
    ),
)

PALLIATIVE_CARE = Caution(
    code="palliative-care",
    severity="info",
    trigger=(
        "An applicable patient with `guideline-exhausted`, or with LM established and the latest performance "
        "status poor by the policy (a performance status more than 90 days old counts as missing)."
    ),
    texts={
        "": Text(
            "Safety-pack caution: offer palliative care alongside treatment ({why}).",
            "{trigger} Offer palliative care alongside cancer treatment, as the ASCO guideline on palliative care "
            f"in standard oncology care recommends. {PACK_NOTE}",
        )
    },
    sources=(FERRELL_2017,),
    rules=(
        _rule(
            "palliative-care-exhausted",
            "An applicable patient past the document's last step.",
            match("applicable", "applicable"),
            match("exhausted", "alert", eq("code", "guideline-exhausted")),
            then=(alert("palliative-care", "info"),),
        ),
        _rule(
            "palliative-care-poor-ps",
            "An applicable patient with established LM and a poor, current performance status.",
            match("applicable", "applicable"),
            match("lm", "lm", one_of("status", ESTABLISHED)),
            match("poor_ps", "poor_ps"),
            then=(alert("palliative-care", "info"),),
        ),
    ),
)

CAUTIONS: tuple[Caution, ...] = (
    IT_PREMEDICATION,
    IT_BLOOD_COUNTS,
    IT_CSF_FLOW,
    IT_DOSE_TRIALS,
    IV_IT_PEMETREXED,
    OSIMERTINIB_LABEL_WARNINGS,
    EXON20_INSERTION,
    EGFR_TESTING,
    PALLIATIVE_CARE,
)
"""Every caution, in the order a result lists them (after the document's alerts)."""

RULES: tuple[Rule, ...] = tuple(rule for caution in CAUTIONS for rule in caution.rules)
"""Every rule of the pack, caution by caution."""

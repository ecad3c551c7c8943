"""Clinical text, in one place: what each output code says, and on what it rests.

Every recommendation, alert and prognosis code of docs/output-format.md has
one entry here: its kind, the statement ids its rules may cite (primary
first; an item cites those of them its own rule encodes, see
docs/interpretation.md#provenance), the evidence statements attached to it,
the dose for drug recommendations, and its text. Text varies only by a named
*variant* (the recommendation's action, or one of the parameters a rule
emits) and may use those parameters, plus the values lmtx composes from the
facts that decided the item (docs/output-format.md lists them):
``findings``, ``regimen``, ``regimen_start``, ``course``, ``platinum``,
``sources``, ``severe``, ``agents``, ``date``, ``stop``, ``start`` and
``dose``; for toxicity alerts and ``monitor-adverse-effects``, ``term``
holds every term or effect named. All text is written in lmtx's own words;
rules never carry text of their own.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import attrs

from lmtx.result import Dose
from lmtx.statements import statement

__all__ = ["CATALOGUE", "ENTRY_DOSE", "GIVEN_DOSE", "Entry", "Text", "entry", "references_of"]


GIVEN_DOSE = "given"
"""A variant's dose is the one given now: the item's ``dose`` (mg per administration) and ``interval``."""
ENTRY_DOSE = "entry"
"""A variant's dose is its entry's."""


@attrs.frozen
class Text:
    """The text of one variant; ``statements``, ``dose`` and ``evidence`` override the entry's when set.

    ``dose`` is a :class:`~lmtx.result.Dose`, ``None`` (no dose), :data:`ENTRY_DOSE` (the entry's)
    or :data:`GIVEN_DOSE` (the dose given now, from the item's parameters).
    """

    summary: str
    detail: str = ""
    statements: tuple[str, ...] | None = None
    dose: Dose | str | None = ENTRY_DOSE
    evidence: tuple[str, ...] | None = None


@attrs.frozen
class Entry:
    """Catalogue entry of one output code.

    Attributes:
        code: The output code.
        output: ``recommendation``, ``alert`` or ``prognosis``.
        kind: For recommendations: ``treatment``, ``workup`` or ``monitoring``.
        statements: Statement ids encoded, primary first.
        evidence: Evidence statement ids attached (recommendations only).
        dose: The dose, for drug recommendations.
        variant: What selects the text: ``action``, ``severity`` or a parameter name.
        texts: Text by variant value (``""`` when there is no variant).
    """

    code: str
    output: str
    statements: tuple[str, ...]
    texts: Mapping[str, Text]
    kind: str | None = None
    evidence: tuple[str, ...] = ()
    dose: Dose | None = None
    variant: str | None = None

    def text(self, variant: str = "") -> Text:
        """The text for one variant value."""
        return self.texts[variant]

    def statements_for(self, variant: str = "") -> tuple[str, ...]:
        """The statements cited by one variant."""
        return self.texts[variant].statements or self.statements

    def evidence_for(self, variant: str = "") -> tuple[str, ...]:
        """The evidence statements attached to one variant (a hold attaches none)."""
        evidence = self.texts[variant].evidence
        return self.evidence if evidence is None else evidence

    def dose_for(self, variant: str, params: Mapping[str, object]) -> Dose | None:
        """The dose of one variant.

        Args:
            variant: The variant value (the action, severity or parameter that selects the text).
            params: The item's parameters: for :data:`GIVEN_DOSE`, its ``dose`` (mg per
                administration) and ``interval`` (days between doses) give the dose.
        """
        dose = self.texts[variant].dose
        if dose == ENTRY_DOSE:
            return self.dose
        if dose == GIVEN_DOSE:
            mg = params.get("dose")
            interval = params.get("interval") or 1
            if not isinstance(mg, int | float) or not isinstance(interval, int):
                return None
            amount = int(mg) if float(mg).is_integer() else mg
            return Dose(route="oral", mg=amount, frequency="once daily" if interval == 1 else f"every {interval} days")
        return dose if isinstance(dose, Dose) else None


@functools.cache
def references_of(statement_ids: tuple[str, ...]) -> tuple[int, ...]:
    """The document's reference numbers behind some statements, ascending.

    Args:
        statement_ids: Statement ids (``S01`` ... ``S30``).
    """
    return tuple(sorted({n for sid in statement_ids for n in statement(sid).references}))


_OSI_160 = Dose(route="oral", mg=160, frequency="once daily")
_OSI_80 = Dose(route="oral", mg=80, frequency="once daily")
_OSI_AGAIN = Dose(route="oral", frequency="once daily")
"""Osimertinib given again after a toxicity stop: no dose, which is the treating team's decision."""
_IT_PEM = Dose(
    route="intrathecal",
    mg_min=30,
    mg_max=50,
    frequency="courses every 2-3 months, 2-3 administrations per course",
)

_WHY_160 = (
    "For established leptomeningeal disease the document prefers osimertinib at the raised dose of "
    "160 mg a day as the primary treatment; the BLOOM study found this dose active in cytology-proven LM."
)
_TOLERATED = (
    "The document asks to keep osimertinib at the highest dose the patient tolerates, for CNS control; raising the "
    "dose again, towards the {target} it advises, once the toxicity has resolved is the treating team's decision."
)
_KEEP_HIGHEST = (
    "Keep osimertinib at the highest dose the patient tolerates: CNS control depends on it, even when "
    "toxicity calls for dose changes."
)

_ENTRIES: tuple[Entry, ...] = (
    # --- treatment -----------------------------------------------------------------
    Entry(
        "osimertinib-160", "recommendation", ("S06", "S01", "S04", "S02", "S08", "S25"),
        kind="treatment", evidence=("S05",), dose=_OSI_160, variant="action",
        texts={
            "start": Text(
                "Start osimertinib 160 mg once daily as primary treatment of the leptomeningeal metastases.",
                f"LM is established and no EGFR TKI is active.{{unclassified}}{{plans}}{{stops}} {_WHY_160}",
            ),
            "increase": Text(
                "Raise osimertinib to 160 mg once daily: the current dose is below the one preferred for LM.",
                "LM is established while osimertinib runs below 160 mg a day ({given}).{others}{plans}{stops} "
                f"Standard doses may not reach sufficient CSF levels. {_WHY_160}",
            ),
            "switch": Text(
                "Switch from the current EGFR TKI to osimertinib 160 mg once daily for the leptomeningeal disease.",
                "LM is established on an EGFR TKI other than osimertinib ({tkis}).{working}{above}{plans}{stops} "
                f"Osimertinib is the preferred agent for CNS disease. {_WHY_160}",
            ),
            "continue": Text(
                "Continue osimertinib 160 mg once daily, at the highest tolerable dose, for CNS control.",
                f"Osimertinib 160 mg a day stays the backbone of treatment at every later step. {_KEEP_HIGHEST}",
            ),
        },
    ),
    Entry(
        "osimertinib-80", "recommendation", ("S02", "S03"),
        kind="treatment", dose=_OSI_80, variant="action",
        texts={
            "start": Text(
                "Start osimertinib 80 mg once daily for CNS metastases without leptomeningeal disease.",
                "There are brain metastases but no established or suspected LM, and no EGFR TKI is active."
                "{unclassified}{plans}{stops} Osimertinib is the preferred agent for CNS disease; 80 mg a day is its "
                "standard dose.",
            ),
            "switch": Text(
                "Switch from the current EGFR TKI to osimertinib 80 mg once daily for the CNS metastases.",
                "There are brain metastases without LM on an EGFR TKI other than osimertinib ({tkis}).{working}"
                "{above}{plans}{stops} Osimertinib is the preferred agent for CNS disease; 80 mg a day is its standard "
                "dose.",
            ),
            "continue": Text(
                "Continue osimertinib at the standard 80 mg daily dose for CNS metastases without LM.",
                "There are brain metastases without LM, already treated with osimertinib below 160 mg a day "
                "({given}).{plans}{stops} 80 mg a day is the standard dose outside leptomeningeal disease.",
            ),
        },
    ),
    Entry(
        "osimertinib-tolerated", "recommendation", ("S25", "S02", "S08"),
        kind="treatment", dose=_OSI_AGAIN, variant="action",
        texts={
            "continue": Text(
                "Continue osimertinib {given}: the highest dose tolerated so far; a higher dose is the treating "
                "team's decision.",
                "Osimertinib given now: {given_since}.{stops}{toxicity} "
                f"{_TOLERATED}{{stage}}{{plans}}{{others}}{{ild}}",
                dose=GIVEN_DOSE,
            ),
            "resume": Text(
                "Osimertinib is withheld after a toxicity stop: giving it again, at most at {limit} a day, is the "
                "treating team's decision.",
                "No osimertinib is given now.{stops} Whether and when osimertinib is given again, at up to {up_to} "
                "once the toxicity has resolved, is the treating team's decision; the document asks for the highest "
                "dose the patient tolerates, for CNS control.{stage}{ild}{plans}{others}{radiotherapy}",
            ),
            "review": Text(
                "Osimertinib was stopped for toxicity: whether it is given again is a specialist's decision.",
                "No osimertinib is given now.{stops} {review} Whether osimertinib is given again is a specialist's "
                "decision; {document_dose}.{stage}{ild}{plans}{others}{radiotherapy}",
            ),
        },
    ),
    Entry(
        "it-pemetrexed", "recommendation", ("S07", "S08", "S01"),
        kind="treatment", evidence=("S11", "S12", "S13"), dose=_IT_PEM, variant="stage",
        texts={
            "inadequate-response": Text(
                "Add intrathecal pemetrexed 30-50 mg (2-3 doses per course, a course every 2-3 months) to osimertinib.",
                "The response to {regimen}, begun on {regimen_start}, is inadequate: {findings}.{alongside}"
                "{other_intrathecal}{holding}{counts} "
                "The document adds intrathecal pemetrexed {osimertinib_goes_on}; a case report and a small series "
                "support it.",
            ),
            "platinum-without-intrathecal": Text(
                "Add intrathecal pemetrexed 30-50 mg to {osimertinib_now}: the document's intrathecal step is still "
                "unused.",
                "The response to {regimen}, judged from {regimen_start}, is inadequate ({findings}), and no "
                "intrathecal pemetrexed was given while {osimertinib} ran. Platinum given: {platinum}."
                "{other_intrathecal}{holding}{counts} The intrathecal step of the document comes before platinum; a "
                "case report and a small series support it.",
            ),
            "combination": Text(
                "Continue intrathecal pemetrexed courses {beside}.",
                "The combination of intrathecal pemetrexed with {osimertinib}, judged from {regimen_start}, shows no "
                "progression on the latest assessments. Latest course: {course}.{anemia} Courses are repeated every "
                "2-3 months {osimertinib_goes_on}.",
            ),
            "hold": Text(
                "Intrathecal pemetrexed on hold: whether, when and at what dose the next administration is given is "
                "the team's decision.",
                "{held_because}{anemia} {stage_now} Whether, when and at what dose the next administration of "
                "intrathecal pemetrexed is given is the treating team's decision.",
                statements=("S25", "S22", "S23"),
                dose=None,
                evidence=(),
            ),
        },
    ),
    Entry(
        "platinum-pemetrexed", "recommendation", ("S09",),
        kind="treatment", variant="action",
        texts={
            "consider": Text(
                "Consider platinum-based chemotherapy, preferably a pemetrexed-containing regimen.",
                "The disease progressed despite {regimen}, judged from {regimen_start}: {findings}. "
                "Latest intrathecal course: {course}.{earlier}{counts}",
            ),
        },
    ),
    Entry(
        "prefer-intrathecal", "recommendation", ("S10",),
        kind="treatment", variant="action",
        texts={
            "consider": Text(
                "Poor performance status: intrathecal treatment may be easier to tolerate than systemic chemotherapy.",
                "The latest performance status, {ps}, is at or beyond the policy's threshold for poor: "
                "ECOG {threshold} or worse (KPS mapped to ECOG). The document speaks of intrathecal therapy and "
                "names no agent.{progressed_on}{counts}",
            ),
        },
    ),
    # --- workup --------------------------------------------------------------------
    Entry(
        "lm-workup", "recommendation", ("S26",),
        kind="workup", variant="missing",
        texts={
            "mri-and-csf-cytology": Text(
                "Work up suspected LM: a neuraxis MRI and a CSF cytology are both still needed.",
                "New, persistent or worsening neurological symptoms in NSCLC call for a search for LM. "
                "{since}: neither an MRI of the neuraxis nor a CSF cytology has been done since.{stale}{earlier}",
            ),
            "mri": Text(
                "Work up suspected LM: a neuraxis MRI since the symptoms began is still needed.",
                "New, persistent or worsening neurological symptoms in NSCLC call for a search for LM. "
                "{since}: CSF cytology has been done since ({done}); an MRI of the neuraxis has not.{stale}{earlier}",
            ),
            "csf-cytology": Text(
                "Work up suspected LM: a CSF cytology since the symptoms began is still needed.",
                "New, persistent or worsening neurological symptoms in NSCLC call for a search for LM. "
                "{since}: an MRI of the neuraxis has been done since ({done}); CSF cytology has not.{stale}{earlier}",
            ),
            "mri-and-repeat-csf-cytology": Text(
                "Work up suspected LM: a neuraxis MRI and a repeat CSF cytology are needed (the one since the "
                "symptoms began was equivocal).",
                "New, persistent or worsening neurological symptoms in NSCLC call for a search for LM. "
                "{since}: no MRI of the neuraxis since, and the only CSF cytology since, on {equivocal}, was "
                "equivocal, which does not settle the question. Both an MRI and a repeat CSF cytology are "
                "needed.{stale}{earlier}",
            ),
            "repeat-csf-cytology": Text(
                "Work up suspected LM: the only CSF cytology since the symptoms began was equivocal; repeat it.",
                "New, persistent or worsening neurological symptoms in NSCLC call for a search for LM. "
                "{since}: {done}. An equivocal cytology does not settle the question: the CSF cytology is to "
                "be repeated.{stale}{earlier}",
            ),
            "second-csf-cytology": Text(
                "Work up suspected LM: symptoms persist after one negative CSF cytology; a second cytology is "
                "needed.",
                "Neurological symptoms since {onset} persist{latest} after a workup that found no LM: {done}. "
                "No brain metastases are "
                "recorded to explain them. A single negative CSF cytology can miss LM; repeating it once lowers "
                "that risk (Glantz et al., Cancer 1998): a second CSF cytology is needed.{earlier}",
            ),
        },
    ),
    # --- monitoring ----------------------------------------------------------------
    Entry(
        "monitor-neuro-exam", "recommendation", ("S14",), kind="monitoring", variant="action",
        texts={"perform": Text("Repeat standardized neurological examinations to follow the symptoms.")},
    ),
    Entry(
        "monitor-mri", "recommendation", ("S15",), kind="monitoring", variant="action",
        texts={"perform": Text("Repeat neuraxis MRI to judge the radiographic response.")},
    ),
    Entry(
        "monitor-csf-cytology", "recommendation", ("S16",), kind="monitoring", variant="action",
        texts={"perform": Text("Repeat CSF cytology to look for tumour cells.")},
    ),
    Entry(
        "assess-rano-lm", "recommendation", ("S17",), kind="monitoring", variant="action",
        texts={
            "perform": Text(
                "Judge the response with the modified RANO-LM criteria (neurological exam, CSF cytology, MRI).",
            )
        },
    ),
    Entry(
        "monitor-adverse-effects", "recommendation", ("S21", "S22", "S23", "S24"),
        kind="monitoring", variant="action",
        texts={
            "perform": Text(
                "Watch for {term}: the adverse effects of what is given and advised.",
                "{sources} {document_names}",
            ),
        },
    ),
    # --- alerts --------------------------------------------------------------------
    Entry(
        "delayed-diagnosis", "alert", ("S26",), variant="severity",
        texts={
            "warning": Text(
                "Neurological symptoms in EGFR-mutant NSCLC: suspect LM and complete the workup without delay.",
                "{trigger}",
            ),
            "info": Text("Neurological symptoms in NSCLC: consider LM and complete the workup.", "{trigger}"),
        },
    ),
    Entry(
        "cns-penetration", "alert", ("S27",),
        texts={
            "": Text(
                "Standard EGFR TKI doses may not reach useful CSF levels; LM often needs a higher dose.",
                "{trigger}",
            )
        },
    ),
    Entry(
        "radiotherapy-overreliance", "alert", ("S28",),
        texts={
            "": Text(
                "Radiotherapy without osimertinib: radiotherapy eases symptoms, but osimertinib has done better here.",
                "{trigger}",
            )
        },
    ),
    Entry(
        "systemic-disease", "alert", ("S29",), variant="systemic",
        texts={
            "progressive": Text(
                "Systemic disease is progressing: about 70% of LM patients have this; treat it too.", "{trigger}"
            ),
            "unknown": Text(
                "Systemic disease status unknown: about 70% of LM patients have progressing disease.", "{trigger}"
            ),
        },
    ),
    Entry(
        "toxicity-skin-rash", "alert", ("S21",),
        texts={"": Text("Skin rash, CTCAE grade {grade}{now}{cause}.", "{agents}")},
    ),
    Entry(
        "toxicity-myelosuppression", "alert", ("S22",),
        texts={"": Text("Myelosuppression ({term}){now}.", "{agents}")},
    ),
    Entry(
        "toxicity-aseptic-meningitis", "alert", ("S23",),
        texts={
            "": Text(
                "Aseptic meningitis, CTCAE grade {grade}{now}: frequent with intrathecal chemotherapy, the document "
                "says.",
                "{agents}",
            )
        },
    ),
    Entry(
        "toxicity-fatigue", "alert", ("S24",),
        texts={"": Text("Fatigue, CTCAE grade {grade}{now}.", "{agents}")},
    ),
    Entry(
        "dose-modification", "alert", ("S25",),
        texts={
            "": Text(
                "{linked_to}: dose changes may be needed; {keep}.",
                "{severe}. {agents} {keep_detail}",
            )
        },
    ),
    Entry(
        "prior-osimertinib-stopped", "alert", ("S25",), variant="advised",
        texts={
            **dict.fromkeys(
                ("start", "switch", "resume", "review"),
                Text(
                    "Osimertinib was stopped before: check why before it is given again.",
                    "{stops}. Dose changes may be needed for toxicity, but the highest tolerable dose matters for "
                    "CNS control: {ask} before restarting.",
                ),
            ),
            "increase": Text(
                "Osimertinib was stopped or reduced before: learn why before the dose is raised.",
                "{stops}. Dose changes may be needed for toxicity, but the highest tolerable dose matters for "
                "CNS control: {ask} before increasing.",
            ),
        },
    ),
    Entry(
        "performance-status-missing", "alert", ("S19", "S10"),
        texts={
            "": Text(
                "No current performance status: it is the main prognostic factor and guides therapy choice.",
                "{missing}",
            )
        },
    ),
    Entry(
        "guideline-exhausted", "alert", ("S09",), variant="stage",
        texts={
            "platinum": Text(
                "Progression on platinum-based chemotherapy: the document offers no further step.",
                "The disease progressed on {regimen}, judged from {regimen_start}: {findings}. Both later steps "
                "were given while {osimertinib} ran: intrathecal pemetrexed ({course}) and platinum "
                "chemotherapy ({platinum}).{counts}",
            ),
            "earlier-platinum": Text(
                "Progression on the combination while platinum chemotherapy runs: the document offers no further step.",
                "The disease progressed despite {regimen}, judged from {regimen_start}: {findings}. The document's "
                "next step, platinum-based chemotherapy, has been given since before {the_regimen}: "
                "{earlier_running}. Latest intrathecal course: {course}.{counts}",
            ),
        },
    ),
    # --- prognosis -----------------------------------------------------------------
    Entry(
        "median-survival", "prognosis", ("S18",),
        texts={
            "": Text("Median survival with LM from NSCLC is about 3-6 months without targeted therapy.", "{trigger}")
        },
    ),
    Entry(
        "performance-status-prognostic", "prognosis", ("S19",),
        texts={
            "": Text(
                "Performance status {ps}: performance status is the strongest prognostic factor.",
                "{detail}",
            ),
        },
    ),
    Entry(
        "csf-flow-interrupted", "prognosis", ("S20",),
        texts={"": Text("Interrupted CSF flow: worse outlook (median survival about 4 vs 6 months).", "{trigger}")},
    ),
)  # fmt: skip

CATALOGUE: Mapping[str, Entry] = {e.code: e for e in _ENTRIES}
"""Every output code, in the documented order of the result's lists."""


def entry(code: str) -> Entry:
    """The catalogue entry of ``code``.

    Args:
        code: A recommendation, alert or prognosis code.

    Raises:
        KeyError: For a code that is not in docs/output-format.md.
    """
    return CATALOGUE[code]

"""Conditions: the lung cancer's histology, brain metastases and leptomeningeal metastases.

A Condition is read by SNOMED CT or ICD-10-CM code, or by its text; the mCODE
histology-morphology extension refines "NSCLC". Refuted and entered-in-error
diagnoses are ignored; unconfirmed ones and metastases no longer current are
reported. Brain metastases are dated by the condition's onset (or the day it
was recorded). See the mapping table in docs/fhir.md.
"""

from __future__ import annotations

import datetime as dt
import re

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition

from lmtx.fhir._codes import ICD10CM, SNOMED, codings, day_of, first_code, has_code, text_of
from lmtx.fhir._report import Dated, Entry, Findings
from lmtx.model import Histology

_SCT_NSCLC = "254637007"
_SCT_LUNG_ADENOCARCINOMA = "254626006"
_SCT_BRAIN_METASTASIS = "94225005"
_ICD_BRAIN_METASTASIS = "C7931"
_ICD_LM = "C7932"
_HISTOLOGY_EXTENSION_SUFFIX = "mcode-histology-morphology-behavior"

_CONDITION_CURRENT = frozenset({"active", "recurrence", "relapse"})


def read_condition(found: Findings, entry: Entry, condition: Condition) -> None:
    """Read a Condition: a histology (or a lung cancer without one), brain or leptomeningeal metastases."""
    code = condition.code
    text = text_of(code)
    histology, lung = histology_of(code, text)
    for extension in condition.extension or []:
        if (extension.url or "").endswith(_HISTOLOGY_EXTENSION_SUFFIX) and histology is Histology.NSCLC_NOS:
            histology = _morphology(text_of(extension.valueCodeableConcept)) or histology
    brain, brain_by_text, lm = metastasis_kinds(code, text)
    if histology is None and not lung and not (brain or brain_by_text or lm):
        found.ignore(entry, "condition code not in lmtx's mapping table")
        return
    field = "histology" if histology is not None or lung else "brain_metastases" if not lm else None
    verification = first_code(condition.verificationStatus)
    if verification in ("refuted", "entered-in-error"):
        found.ignore(entry, f"verification status {verification}")
        return
    if verification in ("unconfirmed", "provisional", "differential"):
        found.issue(entry, "unmapped", f"diagnosis not confirmed (verification status {verification})", field)
        return
    if histology is not None:
        found.histologies.append((histology, entry.reference))
    elif lung:
        found.lung_cancer_without_histology.append(entry.reference)
    if brain or brain_by_text or lm:
        clinical = first_code(condition.clinicalStatus)
        if clinical is not None and clinical not in _CONDITION_CURRENT:
            what = "leptomeningeal" if lm else "brain"
            found.issue(
                entry,
                "unmapped",
                f"{what} metastases recorded with clinical status {clinical}: lmtx reads current disease only",
                "brain_metastases" if not lm else None,
            )
            return
    if brain or brain_by_text:
        found.brain_metastases.append(entry.reference)
        found.brain_metastases_dates += [Dated(d, None, entry.reference) for d in [_onset_day(condition)] if d]
        if brain_by_text:
            found.issue(
                entry,
                "ambiguous",
                "brain metastases recognised by the condition's text, not its code",
                "brain_metastases",
            )
    if lm:
        found.lm_conditions.append(entry)


def _onset_day(condition: Condition) -> dt.date | None:
    """The day a condition began: ``onsetDateTime``, ``onsetPeriod.start``, else ``recordedDate``."""
    onset = condition.onsetPeriod.start if condition.onsetPeriod is not None else condition.onsetDateTime
    return day_of(onset) or day_of(condition.recordedDate)


def metastasis_kinds(code: CodeableConcept | None, text: str) -> tuple[bool, bool, bool]:
    """Whether a condition names brain metastases (by code, by text only) and leptomeningeal metastases."""
    brain = has_code(code, SNOMED, [_SCT_BRAIN_METASTASIS]) or has_code(code, ICD10CM, [_ICD_BRAIN_METASTASIS])
    brain_by_text = not brain and bool(
        re.search(r"brain metast|metastas[ie]s? (?:to|of|in) (?:the )?brain|neoplasm of brain|cerebral metast", text)
    )
    lm = has_code(code, ICD10CM, [_ICD_LM]) or bool(
        re.search(
            r"leptomening|meningeal carcinomatosis|carcinomatous meningitis|neoplasm of (?:cerebral )?meninges", text
        )
    )
    return brain, brain_by_text, lm


def histology_of(code: CodeableConcept | None, text: str) -> tuple[Histology | None, bool]:  # noqa: PLR0911 - a decision table, read top to bottom
    """The histology a condition code names, and whether it is a lung cancer at all."""
    if has_code(code, SNOMED, [_SCT_LUNG_ADENOCARCINOMA]):
        return Histology.ADENOCARCINOMA, True
    lung_icd = any(s == ICD10CM and c.startswith("C34") for s, c in codings(code))
    nsclc = has_code(code, SNOMED, [_SCT_NSCLC]) or bool(re.search(r"non[- ]?small[- ]cell|\bnsclc\b", text))
    cancer_of_lung = bool(re.search(r"\blung\b|bronch", text)) and bool(
        re.search(r"cancer|carcinoma|neoplasm|tumou?r|malignan", text)
    )
    if not (lung_icd or nsclc or cancer_of_lung):
        return None, False
    if not (lung_icd or nsclc) and re.search(r"metasta|secondary", text):
        # "Secondary malignant neoplasm of lung" is a metastasis to the lung, not a lung cancer.
        return None, False
    small_cell = [m.group(1) for m in re.finditer(r"(non[- ]?)?small[- ]cell", text)]
    if any(prefix is None for prefix in small_cell) or re.search(r"\bsclc\b", text):
        return Histology.SCLC, True
    morphology = _morphology(text)
    if morphology is not None:
        return morphology, True
    if nsclc:
        return Histology.NSCLC_NOS, True
    return None, True


def _morphology(text: str) -> Histology | None:
    if "adenocarcinoma" in text:
        return Histology.ADENOCARCINOMA
    if "squamous" in text:
        return Histology.SQUAMOUS
    if re.search(r"large[- ]cell", text):
        return Histology.LARGE_CELL
    return None

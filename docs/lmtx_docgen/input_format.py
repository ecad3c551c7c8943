"""The input format page (``input-format.md``): every field of the patient record and every value set.

The meaning of each field is written once, in the Attributes section of its
model class; the meaning of each value is written here, and checked against
the package's enumerations both ways.
"""

from __future__ import annotations

from lmtx._docstrings import field_docs
from lmtx.drugs import STANDARD_DAILY_DOSE, mg
from lmtx.model import Patient

from .common import cell, check_same, code
from .fields import enums_of, fields_tables, walk

INPUT_TITLES: dict[str, tuple[str, str]] = {
    # class name: (title, anchor)
    "Patient": ("The patient record (top level)", "patient"),
    "Egfr": ("`egfr`", "egfr"),
    "PerformanceStatus": ("`performance_status`", "performance_status"),
    "NeuroExam": ("`neuro_exams[]`: one neurological examination", "neuro_exams"),
    "CsfCytology": ("`csf_cytology[]`: one CSF cytology", "csf_cytology"),
    "MriAssessment": ("`mri[]`: one neuraxis MRI", "mri"),
    "Therapy": ("`therapies[]`: one regimen", "therapies"),
    "Toxicity": ("`toxicities[]`: one adverse event", "toxicities"),
}

# The meaning of each input field is written once, in the Attributes section of its model class
# (lmtx/model.py): the API reference, the JSON Schema and the table of this page all read it there.


VALUE_MEANINGS: dict[str, dict[str, str]] = {
    "Histology": {
        "adenocarcinoma": "Adenocarcinoma (NSCLC).",
        "squamous": "Squamous cell carcinoma (NSCLC).",
        "large_cell": "Large cell carcinoma (NSCLC).",
        "nsclc_nos": "NSCLC, not otherwise specified.",
        "sclc": "Small cell lung cancer: outside the document.",
        "other": "Any other histology: outside the document.",
    },
    "EgfrStatus": {
        "mutant": "An EGFR mutation was found.",
        "wild_type": "Tested; no EGFR mutation.",
        "unknown": "Not tested, or no result yet.",
    },
    "EgfrVariant": {
        "exon19_deletion": "Exon 19 deletion.",
        "L858R": "Exon 21 L858R substitution.",
        "T790M": "T790M resistance mutation.",
        "exon20_insertion": "Exon 20 insertion.",
        "uncommon": "Any other EGFR variant.",
    },
    "PsScale": {
        "ecog": "ECOG performance status, 0-4.",
        "kps": "Karnofsky performance status, 10-100 in steps of 10.",
    },
    "Symptoms": {
        "none": "No neurological symptoms.",
        "new": "Symptoms that were not there before.",
        "persistent": "Symptoms that continue.",
        "improved": "Symptoms that are better.",
        "resolved": "Symptoms that have gone.",
        "worsened": "Symptoms that are worse.",
    },
    "CytologyResult": {
        "positive": "Tumour cells found in the CSF.",
        "negative": "No tumour cells found.",
        "equivocal": "Inconclusive. Counts as a cytology done, never as tumour cells found.",
    },
    "MriResponse": {
        "baseline": "The reference study that later ones are compared with.",
        "complete_response": "Complete radiographic response.",
        "partial_response": "Partial radiographic response.",
        "stable": "Stable disease.",
        "progression": "Radiographic progression.",
        "not_evaluable": "The response could not be judged.",
    },
    "CsfFlow": {
        "normal": "Flow study normal.",
        "interrupted": "Flow study shows interrupted CSF flow.",
        "unknown": "No flow study, or no result.",
    },
    "SystemicDisease": {
        "controlled": "Extracranial disease under control.",
        "progressive": "Extracranial disease progressing.",
        "unknown": "Not assessed, or not known.",
    },
    "Agent": {
        "osimertinib": "Osimertinib, third-generation EGFR TKI (the one drug that needs `dose_mg`).",
        "gefitinib": "Gefitinib, EGFR TKI.",
        "erlotinib": "Erlotinib, EGFR TKI.",
        "afatinib": "Afatinib, EGFR TKI.",
        "dacomitinib": "Dacomitinib, EGFR TKI.",
        "icotinib": "Icotinib, EGFR TKI.",
        "lazertinib": "Lazertinib, third-generation EGFR TKI.",
        "aumolertinib": "Aumolertinib (almonertinib), third-generation EGFR TKI.",
        "furmonertinib": "Furmonertinib (alflutinib), third-generation EGFR TKI.",
        "befotertinib": "Befotertinib, third-generation EGFR TKI.",
        "sunvozertinib": "Sunvozertinib, EGFR TKI.",
        "pemetrexed": "Pemetrexed, intrathecal or intravenous.",
        "carboplatin": "Carboplatin (platinum chemotherapy).",
        "cisplatin": "Cisplatin (platinum chemotherapy).",
        "docetaxel": "Docetaxel, chemotherapy (intravenous).",
        "paclitaxel": "Paclitaxel, chemotherapy (intravenous).",
        "gemcitabine": "Gemcitabine, chemotherapy (intravenous).",
        "temozolomide": "Temozolomide, chemotherapy (oral).",
        "methotrexate": "Methotrexate, chemotherapy, intrathecal or intravenous.",
        "cytarabine": "Cytarabine, chemotherapy, intrathecal or intravenous.",
        "thiotepa": "Thiotepa, chemotherapy, intrathecal or intravenous.",
        "bevacizumab": "Bevacizumab, antibody (intravenous).",
        "amivantamab": "Amivantamab, antibody (intravenous).",
        "radiotherapy": "Radiotherapy of any target.",
        "other": "Any other drug: give its `drug_class` when known, and its `name`.",
    },
    "DrugClass": {
        "egfr-tki": "An EGFR tyrosine kinase inhibitor: any but osimertinib is *another EGFR TKI*.",
        "chemotherapy": "Cytotoxic chemotherapy.",
        "antibody": "A therapeutic antibody.",
        "other": "Some other class of drug.",
    },
    "StopReason": {
        "toxicity": "Ended for an adverse effect.",
        "progression": "Ended because the disease progressed.",
        "dose-change": "Ended to go on at another dose (another regimen of the same drug follows).",
        "course-completed": "The planned course was given.",
        "other": "Any other reason.",
    },
    "Route": {
        "oral": "By mouth.",
        "intravenous": "Into a vein.",
        "intrathecal": "Into the CSF.",
        "external_beam": "External-beam radiotherapy.",
    },
    "TherapyStatus": {
        "planned": "Decided but not begun; `start` is optional and may lie in the future.",
        "active": "Being given on the evaluation date.",
        "completed": "Finished as planned.",
        "stopped": "Ended early.",
    },
    "ToxicityTerm": {
        "rash": "Skin rash.",
        "leukopenia": "Low white cell count.",
        "neutropenia": "Low neutrophil count.",
        "thrombocytopenia": "Low platelet count.",
        "anemia": "Low haemoglobin.",
        "aseptic_meningitis": "Aseptic (chemical) meningitis, as reported; not itself a CTCAE term.",
        "fatigue": "Fatigue.",
        "other": "Any other adverse event: no alert of its own, but grade 3 or more still counts as severe.",
    },
}


def input_fields() -> str:
    """Every field of the input wire format, from the attrs classes of :mod:`lmtx.model`."""
    meanings = {cls.__name__: field_docs(cls) for cls in walk(Patient)}
    return fields_tables(Patient, INPUT_TITLES, meanings, show_default=True)


def input_values() -> str:
    """Every value set (enumeration) of the input, with the meaning of each value."""
    enums = enums_of(walk(Patient))
    check_same("value sets of the input", VALUE_MEANINGS, [e.__name__ for e in enums])
    parts: list[str] = []
    for enum_cls in enums:
        meanings = VALUE_MEANINGS[enum_cls.__name__]
        check_same(f"values of {enum_cls.__name__}", meanings, [m.value for m in enum_cls])
        doc = (enum_cls.__doc__ or "").strip().splitlines()[0]
        parts.append(f"### {enum_cls.__name__} {{ #value-{enum_cls.__name__.lower()} }}\n")
        parts.append(f"{doc}\n")
        parts.append("| value | meaning |\n|---|---|")
        parts.extend(f"| {code(m.value)} | {cell(meanings[m.value])} |" for m in enum_cls)
        parts.append("")
    return "\n".join(parts)


def standard_doses_table() -> str:
    """Each EGFR TKI's standard daily dose with its source, from :data:`lmtx.drugs.STANDARD_DAILY_DOSE`."""
    rows = ["| agent | standard daily dose | source |", "|---|---|---|"]
    for agent, standard in STANDARD_DAILY_DOSE.items():
        dose = f"{mg(standard.daily_mg)} mg"
        if standard.administrations > 1:
            dose += f" ({mg(standard.daily_mg / standard.administrations)} mg {standard.administrations} times a day)"
        rows.append(f"| {code(agent.value)} | {cell(dose)} | {cell(standard.source)} |")
    return "\n".join(rows) + "\n"

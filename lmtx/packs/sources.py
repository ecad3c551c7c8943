"""The public sources the safety pack cites (:mod:`lmtx.packs.safety`), each by title and year.

Drug labels, trial registry entries and published guidelines, named in
lmtx's words with a stable address where there is one; the texts of the
cautions never copy them. A label is cited as the US prescribing
information with the year of its first approval: read its current version.
The document's own references are cited by their number, as the document
cites them (its reference list is not part of it).
"""

from __future__ import annotations

from lmtx.result import Source

__all__ = [
    "AMIVANTAMAB_LABEL",
    "DOCUMENT_REFERENCE_2",
    "DOCUMENT_REFERENCE_4",
    "FERRELL_2017",
    "LINDEMAN_2018",
    "NCT03101579",
    "NCT05289908",
    "OSIMERTINIB_LABEL",
    "PAN_2019",
    "PEMETREXED_LABEL",
    "RANO_LM_2017",
    "SUNVOZERTINIB_LABEL",
]

_DAILYMED = "https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query="

NCT05289908 = Source(
    "ClinicalTrials.gov NCT05289908, Intrathecal Pemetrexed for Leptomeningeal Metastasis: a phase I/II trial "
    "of intrathecal pemetrexed with folic acid and vitamin B12 (registered 2022)",
    "https://clinicaltrials.gov/study/NCT05289908",
)
"""A trial registry entry; cited by ``it-premedication``, ``it-blood-counts``, ``it-csf-flow``, ``it-dose-trials``."""
NCT03101579 = Source(
    "ClinicalTrials.gov NCT03101579, Intrathecal Pemetrexed for Recurrent Leptomeningeal Metastases From "
    "Non-small Cell Lung Cancer: a phase I pilot trial (registered 2017)",
    "https://clinicaltrials.gov/study/NCT03101579",
)
"""A trial registry entry; cited by ``it-premedication``, ``it-blood-counts``, ``it-dose-trials``."""
PAN_2019 = Source(
    "Pan et al., A Pilot Phase 1 Study of Intrathecal Pemetrexed for Refractory Leptomeningeal Metastases From "
    "Non-small-cell Lung Cancer, Frontiers in Oncology 2019 (the results of NCT03101579)",
    "https://doi.org/10.3389/fonc.2019.00838",
)
"""A trial's publication; cited by ``it-dose-trials``."""
PEMETREXED_LABEL = Source(
    "Pemetrexed (ALIMTA) US prescribing information: folic acid and vitamin B12 premedication, myelosuppression "
    "(first approved 2004; read the current version)",
    _DAILYMED + "pemetrexed",
)
"""A drug label; cited by ``it-premedication``, ``iv-it-pemetrexed``."""
RANO_LM_2017 = Source(
    "Chamberlain et al., Leptomeningeal metastases: a RANO proposal for response criteria, Neuro-Oncology 2017",
    "https://doi.org/10.1093/neuonc/now183",
)
"""A published consensus proposal; cited by ``it-csf-flow``."""
OSIMERTINIB_LABEL = Source(
    "Osimertinib (TAGRISSO) US prescribing information, Warnings and Precautions (first approved 2015; read the "
    "current version)",
    _DAILYMED + "osimertinib",
)
"""A drug label; cited by ``osimertinib-label-warnings``."""
AMIVANTAMAB_LABEL = Source(
    "Amivantamab (RYBREVANT) US prescribing information (first approved 2021; read the current version)",
    _DAILYMED + "amivantamab",
)
"""A drug label; cited by ``exon20-insertion``."""
SUNVOZERTINIB_LABEL = Source(
    "Sunvozertinib (ZEGFROVY) US prescribing information (first approved 2025; read the current version)",
    _DAILYMED + "sunvozertinib",
)
"""A drug label; cited by ``exon20-insertion``."""
LINDEMAN_2018 = Source(
    "Lindeman et al., Updated Molecular Testing Guideline for the Selection of Lung Cancer Patients for Treatment "
    "With Targeted Tyrosine Kinase Inhibitors (CAP/IASLC/AMP), Archives of Pathology & Laboratory Medicine 2018",
    "https://doi.org/10.5858/arpa.2017-0388-CP",
)
"""A published guideline; cited by ``egfr-testing``."""
FERRELL_2017 = Source(
    "Ferrell et al., Integration of Palliative Care Into Standard Oncology Care: American Society of Clinical "
    "Oncology Clinical Practice Guideline Update, Journal of Clinical Oncology 2017",
    "https://doi.org/10.1200/JCO.2016.70.1474",
)
"""A published guideline; cited by ``palliative-care``."""
DOCUMENT_REFERENCE_2 = Source(
    "The document's reference 2, behind its intrathecal pemetrexed dose (statements S07 and S11: a case report of "
    "intrathecal pemetrexed with double-dose osimertinib); the document cites it by number only"
)
"""One of the document's own references; cited by ``it-dose-trials``."""
DOCUMENT_REFERENCE_4 = Source(
    "The document's reference 4 (statement S13: a retrospective series of 16 NSCLC patients given intrathecal "
    "pemetrexed, whose doses were delayed for cytopenias); the document cites it by number only"
)
"""One of the document's own references; cited by ``it-blood-counts``, ``it-dose-trials``."""

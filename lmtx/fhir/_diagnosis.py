"""The diagnosis in the record: one histology chosen, EGFR results merged, LM diagnoses checked.

Several NSCLC histologies read as NSCLC not otherwise specified, any other
conflict as none (the record needs one); a mutant EGFR result wins over a
wild-type one, reported, and the variants of every mutant result are merged.
A Condition diagnosing leptomeningeal metastases is reported unless a positive
CSF cytology says so in a field lmtx reads (an MRI with leptomeningeal
enhancement makes it probable LM, reported as such).
"""

from __future__ import annotations

from lmtx.fhir._input import split_ref
from lmtx.fhir._report import NO_LUNG_CANCER, Dated, Findings, MappingIssue
from lmtx.model import CytologyResult, Egfr, EgfrStatus, EgfrVariant, Histology


def choose_histology(found: Findings, sources: dict[str, tuple[str, ...]]) -> Histology | None:
    """The one histology of the record, or ``None`` (reported) when there is none or they conflict."""
    histologies = {h for h, _ in found.histologies}
    specific = histologies - {Histology.NSCLC_NOS}
    nsclc = {Histology.ADENOCARCINOMA, Histology.SQUAMOUS, Histology.LARGE_CELL, Histology.NSCLC_NOS}
    if not histologies:
        where = ", ".join(found.lung_cancer_without_histology)
        reason = (
            f"lung cancer ({where}) without a histology lmtx can read; the patient record needs one"
            if where
            else NO_LUNG_CANCER
        )
        found.issues.append(MappingIssue("Patient", found.patient_id, "unmapped", reason, "histology"))
        return None
    refs = tuple(ref for _, ref in found.histologies)
    sources["histology"] = refs
    if len(specific) <= 1:
        return specific.pop() if specific else Histology.NSCLC_NOS
    if specific <= nsclc:
        found.issues.append(
            MappingIssue(
                "Patient",
                found.patient_id,
                "ambiguous",
                f"several NSCLC histologies ({', '.join(sorted(specific))}); read as NSCLC not otherwise specified",
                "histology",
            )
        )
        return Histology.NSCLC_NOS
    found.issues.append(
        MappingIssue(
            "Patient",
            found.patient_id,
            "unmapped",
            f"conflicting histologies ({', '.join(sorted(histologies))} in {', '.join(refs)})",
            "histology",
        )
    )
    return None


def choose_egfr(found: Findings, sources: dict[str, tuple[str, ...]]) -> Egfr:
    """The EGFR status of the record: mutant with every variant found, if any result says so."""
    mutant = [d for d in found.egfr_results if d.value[0] is EgfrStatus.MUTANT]
    wild = [d for d in found.egfr_results if d.value[0] is EgfrStatus.WILD_TYPE]
    if mutant:
        sources["egfr"] = tuple(d.source for d in mutant)
        for item in wild:
            found.issues.append(
                MappingIssue(
                    *split_ref(item.source),
                    "ambiguous",
                    "EGFR reported not mutated here, mutated elsewhere: read as mutant",
                    "egfr",
                )
            )
        variants = set().union(*(d.value[1] for d in mutant))
        order = list(EgfrVariant)
        return Egfr(EgfrStatus.MUTANT, tuple(sorted(variants, key=order.index)))
    if wild:
        sources["egfr"] = tuple(d.source for d in wild)
        return Egfr(EgfrStatus.WILD_TYPE)
    return Egfr()


def check_lm_conditions(found: Findings, cytology: list[Dated], mri: list[Dated]) -> None:
    """Report each LM diagnosis (a Condition) lacking a positive cytology: probable LM by MRI, or not used."""
    if not found.lm_conditions:
        return
    positive = [c for c in cytology if c.value.result is CytologyResult.POSITIVE]
    enhancing = [m for m in mri if m.value.leptomeningeal_enhancement]
    for entry in found.lm_conditions:
        if positive:
            continue
        if enhancing:
            found.issue(
                entry,
                "ambiguous",
                "leptomeningeal metastases diagnosed without positive CSF cytology: "
                f"lmtx reads probable LM from the MRI enhancement ({enhancing[-1].source})",
            )
        else:
            found.issue(
                entry,
                "unmapped",
                "leptomeningeal metastases diagnosed, but the record has neither a "
                "positive CSF cytology nor an MRI with leptomeningeal enhancement: lmtx has no field for "
                "the diagnosis itself; record the cytology or MRI finding",
            )

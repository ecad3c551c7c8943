"""lmtx's own index of the document's statements (S01-S30).

The numbering follows ``guideline/statements.json``; the gists are lmtx's
paraphrases, not the document's text. ``role`` says how the statement is
used: ``encode`` (a rule acts on it and cites it), ``evidence`` (attached to
the recommendation it supports) or ``summary`` (restates others).
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["DOCUMENT", "STATEMENTS", "Statement", "statement"]

Role = Literal["encode", "evidence", "summary"]


@attrs.frozen
class Statement:
    """One numbered statement of the document.

    Attributes:
        id: ``S01`` ... ``S30``.
        section: The document section it stands in.
        role: ``encode``, ``evidence`` or ``summary``.
        gist: What it says, in lmtx's words.
        references: The document's reference numbers it cites (1-6).
    """

    id: str
    section: str
    role: Role
    gist: str
    references: tuple[int, ...]


DOCUMENT = {
    "title": "Treatment of leptomeningeal metastases in EGFR-mutant NSCLC with osimertinib and pemetrexed",
    "last_updated": "2025-09-29",
}
"""The document lmtx encodes."""

_FIRST_LINE = "First-Line Approach / Osimertinib as Primary Treatment"
_ALGORITHM = "Treatment Algorithm"
_EVIDENCE = "Evidence for Combination Approach"
_MONITORING = "Monitoring and Response Assessment"
_PROGNOSIS = "Important Considerations / Prognostic Factors"
_TOXICITY = "Toxicity Management"
_PITFALLS = "Avoiding Common Pitfalls"

STATEMENTS: tuple[Statement, ...] = (
    Statement("S01", "Summary", "encode",
              "LM in EGFR-mutant NSCLC is treated first with osimertinib 160 mg a day; intrathecal "
              "pemetrexed is added when osimertinib alone does not work well enough.", (1,)),
    Statement("S02", _FIRST_LINE, "encode",
              "Osimertinib is the agent of choice for EGFR-mutant NSCLC that has spread to the CNS, "
              "leptomeninges included.", (1,)),
    Statement("S03", _FIRST_LINE, "encode",
              "The usual osimertinib dose, for patients not yet treated with an EGFR TKI, is 80 mg a day.", ()),
    Statement("S04", _FIRST_LINE, "encode",
              "Once LM is established, 160 mg a day is the preferred osimertinib dose.", (1,)),
    Statement("S05", _FIRST_LINE, "evidence",
              "The BLOOM study found osimertinib 160 mg active against cytology-proven LM.", (1,)),
    Statement("S06", _ALGORITHM, "encode", "Treatment starts with osimertinib 160 mg a day.", ()),
    Statement("S07", _ALGORITHM, "encode",
              "When the response is inadequate (neurological symptoms persist or tumour cells remain in "
              "the CSF), add intrathecal pemetrexed 30-50 mg: courses every 2-3 months, each of 2-3 "
              "administrations.", (2,)),
    Statement("S08", _ALGORITHM, "encode", "High-dose osimertinib goes on alongside.", ()),
    Statement("S09", _ALGORITHM, "encode",
              "If the disease progresses on the combination, consider platinum-based chemotherapy, "
              "preferably a pemetrexed-containing regimen.", (1,)),
    Statement("S10", _ALGORITHM, "encode",
              "Patients in poor general condition (poor performance status) may tolerate intrathecal "
              "treatment better than systemic chemotherapy.", (3,)),
    Statement("S11", _EVIDENCE, "evidence",
              "In a case report, three courses of intrathecal pemetrexed with double-dose osimertinib "
              "cleared CSF tumour cells and much improved neurological symptoms.", (2,)),
    Statement("S12", _EVIDENCE, "evidence",
              "That patient lived 28 months from the LM diagnosis.", (2,)),
    Statement("S13", _EVIDENCE, "evidence",
              "In a retrospective series of 16 NSCLC patients with LM, intrathecal pemetrexed had "
              "tolerable toxicity.", (4,)),
    Statement("S14", _MONITORING, "encode",
              "Examine the patient neurologically at regular intervals to follow the symptoms.", ()),
    Statement("S15", _MONITORING, "encode", "Use MRI to judge the radiographic response.", ()),
    Statement("S16", _MONITORING, "encode", "Use CSF cytology to look for tumour cells.", ()),
    Statement("S17", _MONITORING, "encode",
              "Judge the response by the modified RANO leptomeningeal (RANO-LM) criteria.", (5,)),
    Statement("S18", _PROGNOSIS, "encode",
              "Without targeted therapy, median survival with LM from NSCLC is about 3-6 months.", (1,)),
    Statement("S19", _PROGNOSIS, "encode",
              "Performance status at diagnosis is the strongest prognostic factor.", (1,)),
    Statement("S20", _PROGNOSIS, "encode",
              "Interrupted CSF flow carries a worse outlook (median survival 4 against 6 months).", (6,)),
    Statement("S21", _TOXICITY, "encode",
              "Watch for skin rash, the most common adverse effect of osimertinib.", ()),
    Statement("S22", _TOXICITY, "encode",
              "Watch for myelosuppression (low white cells, low platelets).", ()),
    Statement("S23", _TOXICITY, "encode",
              "Watch for aseptic meningitis, frequent with intrathecal chemotherapy.", ()),
    Statement("S24", _TOXICITY, "encode", "Watch for fatigue.", ()),
    Statement("S25", _TOXICITY, "encode",
              "Toxicity may call for dose changes, but osimertinib should stay at the highest dose the "
              "patient tolerates, for the sake of CNS control.", (2,)),
    Statement("S26", _PITFALLS, "encode",
              "New neurological symptoms in anyone with NSCLC should raise the question of LM, all the "
              "more with an EGFR mutation, which favours spread to the CNS.", (1,)),
    Statement("S27", _PITFALLS, "encode",
              "Standard TKI doses may not reach useful CSF levels; LM often needs higher doses.", (1,)),
    Statement("S28", _PITFALLS, "encode",
              "Radiotherapy helps with symptoms, but targeted therapy with osimertinib has done better in "
              "EGFR-mutant disease.", (1,)),
    Statement("S29", _PITFALLS, "encode",
              "About 70% of patients with LM also have progressing systemic disease: do not neglect it.", (1,)),
    Statement("S30", "Conclusion", "summary",
              "Restates S01: osimertinib 160 mg a day is the cornerstone, with intrathecal pemetrexed added "
              "after an inadequate response.", ()),
)  # fmt: skip
"""Every statement of the document, in order."""

_BY_ID = {s.id: s for s in STATEMENTS}


def statement(statement_id: str) -> Statement:
    """Look a statement up by id.

    Args:
        statement_id: ``S01`` ... ``S30``.

    Raises:
        KeyError: For an id that is not S01-S30.
    """
    return _BY_ID[statement_id]

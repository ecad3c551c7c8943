"""lmtx: the treatment of leptomeningeal metastases in EGFR-mutant NSCLC, as rules.

Patient record in, explained recommendations out::

    import lmtx

    result = lmtx.evaluate({"histology": "adenocarcinoma", "egfr": {"status": "mutant"},
                            "csf_cytology": [{"date": "2026-02-01", "result": "positive"}]})
    for item in result.recommendations:
        print(item.code, item.action, item.summary)

Everything public is re-exported here; modules whose names start with an
underscore are private.
"""

from lmtx.__about__ import __version__
from lmtx._evaluate import PatientInput, evaluate, parse_patient
from lmtx.batch import Evaluated, Failed, Outcome, evaluate_many
from lmtx.cache import ResultCache
from lmtx.errors import EvaluationError, InvalidPatient, LmtxError, Problem
from lmtx.explain import Explanation, WhyNot, explanation, why_not
from lmtx.knowledge import KnowledgeBase, RuleInfo, knowledge_base
from lmtx.model import (
    Agent,
    CsfCytology,
    CsfFlow,
    CytologyResult,
    Egfr,
    EgfrStatus,
    EgfrVariant,
    Histology,
    MriAssessment,
    MriResponse,
    NeuroExam,
    Patient,
    PerformanceStatus,
    PsScale,
    Route,
    Symptoms,
    SystemicDisease,
    Therapy,
    TherapyStatus,
    Toxicity,
    ToxicityTerm,
)
from lmtx.policy import DEFAULT_POLICY, Policy
from lmtx.result import (
    Alert,
    Dose,
    KnowledgeBaseInfo,
    PrognosisNote,
    Recommendation,
    Result,
    TraceEntry,
)
from lmtx.schema import patient_schema

__all__ = [
    "DEFAULT_POLICY",
    "Agent",
    "Alert",
    "CsfCytology",
    "CsfFlow",
    "CytologyResult",
    "Dose",
    "Egfr",
    "EgfrStatus",
    "EgfrVariant",
    "Evaluated",
    "EvaluationError",
    "Explanation",
    "Failed",
    "Histology",
    "InvalidPatient",
    "KnowledgeBase",
    "KnowledgeBaseInfo",
    "LmtxError",
    "MriAssessment",
    "MriResponse",
    "NeuroExam",
    "Outcome",
    "Patient",
    "PatientInput",
    "PerformanceStatus",
    "Policy",
    "Problem",
    "PrognosisNote",
    "PsScale",
    "Recommendation",
    "Result",
    "ResultCache",
    "Route",
    "RuleInfo",
    "Symptoms",
    "SystemicDisease",
    "Therapy",
    "TherapyStatus",
    "Toxicity",
    "ToxicityTerm",
    "TraceEntry",
    "WhyNot",
    "__version__",
    "evaluate",
    "evaluate_many",
    "explanation",
    "knowledge_base",
    "parse_patient",
    "patient_schema",
    "why_not",
]

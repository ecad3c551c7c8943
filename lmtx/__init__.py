"""lmtx: the treatment of leptomeningeal metastases in EGFR-mutant NSCLC, as rules.

Everything public is re-exported here; modules whose names start with an
underscore are private.

Examples:
    Patient record in, explained recommendations out:

    >>> import lmtx
    >>> result = lmtx.evaluate({"histology": "adenocarcinoma", "egfr": {"status": "mutant"},
    ...                         "csf_cytology": [{"date": "2026-02-01", "result": "positive"}]})
    >>> result.lm_status, result.phase
    ('confirmed', 'initial')
    >>> [(item.code, item.action) for item in result.recommendations][:2]
    [('osimertinib-160', 'start'), ('monitor-neuro-exam', 'perform')]
"""

import os as _os
import sys as _sys
from typing import TYPE_CHECKING, Any

from lmtx.__about__ import __version__
from lmtx.errors import EngineUnavailable

try:
    from lmtx._evaluate import PatientInput, evaluate, parse_patient
except EngineUnavailable as _unavailable:
    # The command line (the console script, ``python -m lmtx``) imports this package before its
    # own error handling exists: say what is wrong and how to fix it, without two tracebacks.
    _program = _sys.argv[0] if _sys.argv else ""
    if _program == "-m" or _os.path.basename(_program) in ("lmtx", "lmtx.exe"):
        _sys.stderr.write(f"{_unavailable}\n")
        raise SystemExit(1) from None
    raise

from lmtx.cache import ResultCache
from lmtx.errors import EvaluationError, InvalidPatient, LmtxError, Problem
from lmtx.knowledge import KnowledgeBase, RuleInfo, SafetyPack, knowledge_base, safety_pack
from lmtx.model import (
    AGENT_CLASSES,
    Agent,
    CsfCytology,
    CsfFlow,
    CytologyResult,
    DrugClass,
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
    StopReason,
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
    PackInfo,
    PrognosisNote,
    Recommendation,
    Result,
    Source,
    TraceEntry,
)

if TYPE_CHECKING:
    from lmtx.batch import Evaluated, Failed, Outcome, evaluate_many
    from lmtx.course import Timeline, timeline
    from lmtx.course.audit import AuditReport, audit
    from lmtx.explain import Explanation, WhyNot, explanation, why_not
    from lmtx.pool import EvaluationPool
    from lmtx.schema import patient_schema

# Batch, explanations and the schema are loaded on first use: most embedders only
# evaluate, and ``import lmtx`` should stay cheap (CLI start-up, worker processes).
_LAZY = {
    "Evaluated": "lmtx.batch",
    "Failed": "lmtx.batch",
    "Outcome": "lmtx.batch",
    "evaluate_many": "lmtx.batch",
    "EvaluationPool": "lmtx.pool",
    "Explanation": "lmtx.explain",
    "WhyNot": "lmtx.explain",
    "explanation": "lmtx.explain",
    "why_not": "lmtx.explain",
    "patient_schema": "lmtx.schema",
    "Timeline": "lmtx.course",
    "timeline": "lmtx.course",
    "AuditReport": "lmtx.course.audit",
    "audit": "lmtx.course.audit",
}


def __getattr__(name: str) -> Any:
    """Load the lazily exported names (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lmtx' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only needed on first use of a lazy name

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AGENT_CLASSES",
    "DEFAULT_POLICY",
    "Agent",
    "Alert",
    "AuditReport",
    "CsfCytology",
    "CsfFlow",
    "CytologyResult",
    "Dose",
    "DrugClass",
    "Egfr",
    "EgfrStatus",
    "EgfrVariant",
    "EngineUnavailable",
    "Evaluated",
    "EvaluationError",
    "EvaluationPool",
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
    "PackInfo",
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
    "SafetyPack",
    "Source",
    "StopReason",
    "Symptoms",
    "SystemicDisease",
    "Therapy",
    "TherapyStatus",
    "Timeline",
    "Toxicity",
    "ToxicityTerm",
    "TraceEntry",
    "WhyNot",
    "__version__",
    "audit",
    "evaluate",
    "evaluate_many",
    "explanation",
    "knowledge_base",
    "parse_patient",
    "patient_schema",
    "safety_pack",
    "timeline",
    "why_not",
]

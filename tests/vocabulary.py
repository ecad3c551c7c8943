"""The vocabulary docs/output-format.md documents, written once for every test.

Written from the contract, not read from lmtx: a code, action, phase or reason
that lmtx emits and this module does not list is a finding. Tuples keep the
contract's order (the mutation check numbers its mutants by it).
"""

from __future__ import annotations

LM_STATUSES = ("confirmed", "probable", "suspected", "absent")
PHASES = (
    "diagnostic-workup",
    "cns-metastases-without-lm",
    "initial",
    "osimertinib-monotherapy",
    "inadequate-response",
    "combination",
    "progression-on-combination",
    "beyond-document",
)
REASONS = ("not-nsclc", "egfr-wild-type", "egfr-status-unknown", "no-cns-involvement")
"""Not-applicable reasons, in the order a result lists them."""

RECOMMENDATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    # code: (kind, actions)
    "osimertinib-160": ("treatment", ("start", "increase", "switch", "continue")),
    "osimertinib-80": ("treatment", ("start", "switch", "continue")),
    "osimertinib-tolerated": ("treatment", ("continue", "resume", "review")),
    "it-pemetrexed": ("treatment", ("add", "continue", "hold")),
    "platinum-pemetrexed": ("treatment", ("consider",)),
    "prefer-intrathecal": ("treatment", ("consider",)),
    "lm-workup": ("workup", ("perform",)),
    "monitor-neuro-exam": ("monitoring", ("perform",)),
    "monitor-mri": ("monitoring", ("perform",)),
    "monitor-csf-cytology": ("monitoring", ("perform",)),
    "assess-rano-lm": ("monitoring", ("perform",)),
    "monitor-adverse-effects": ("monitoring", ("perform",)),
}
ACTIONS = {code: actions for code, (_, actions) in RECOMMENDATIONS.items() if len(actions) > 1}
"""The recommendation codes that come with a choice of action, and the choice."""

MONITORING_SET = frozenset(code for code, (kind, _) in RECOMMENDATIONS.items() if kind == "monitoring")
ALERTS = (
    "delayed-diagnosis",
    "cns-penetration",
    "radiotherapy-overreliance",
    "systemic-disease",
    "toxicity-skin-rash",
    "toxicity-myelosuppression",
    "toxicity-aseptic-meningitis",
    "toxicity-fatigue",
    "dose-modification",
    "prior-osimertinib-stopped",
    "performance-status-missing",
    "guideline-exhausted",
)
SEVERITIES = ("info", "warning", "critical")
PROGNOSIS = ("median-survival", "performance-status-prognostic", "csf-flow-interrupted")
ADVERSE_EFFECT_TERMS = (
    "rash",
    "leukopenia",
    "neutropenia",
    "thrombocytopenia",
    "anemia",
    "aseptic_meningitis",
    "fatigue",
)
"""The structured adverse-effect list's codes (the input's toxicity terms), in list order."""

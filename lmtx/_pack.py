"""The safety pack's part of an evaluation: its own run on the engine, after the document's, and its alerts.

The pack (:mod:`lmtx.packs.safety`) is compiled onto a durable-rules ruleset
of its own (a run in which none of its rules fires is sound: the engine's
session cleanup was patched for it, vendor patch 0008). When
``Policy(safety_pack=True)``, :func:`run_pack` asserts in one batch the
record's base facts, the pack's ``egfr_variants`` fact and
every fact the document's run derived (its items included), and runs the
pack's rules to quiescence. The document's run is never touched: with the
pack on, its items, trace and digest are what they are with it off, and the
pack's alerts (:func:`pack_alerts`) come after the document's, in the
pack's order, each with ``origin: "safety-pack"`` and its sources.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from lmtx._engine import CompiledRules, Run
from lmtx._facts import BASE_FACT_ORDER, DESCENDING, Fact
from lmtx._texts._shared import Context
from lmtx._texts.safety import WORDS
from lmtx.errors import EvaluationError
from lmtx.knowledge import safety_pack
from lmtx.model import EgfrVariant, Patient
from lmtx.policy import Policy
from lmtx.result import Alert, PackInfo

__all__ = ["pack_alerts", "pack_infos", "run_pack"]

_compiled_lock = threading.Lock()
_compiled_pack: CompiledRules | None = None


def _engine() -> CompiledRules:
    global _compiled_pack  # noqa: PLW0603 - one compiled pack per process, as for the document's rules
    if _compiled_pack is None:
        with _compiled_lock:
            if _compiled_pack is None:
                pack = safety_pack()
                name = f"{pack.id}-{pack.digest.removeprefix('sha256:')[:16]}"
                # Every base fact comes before the derived ones in the pack's batch, so a negation of a
                # base fact is sound whatever the first condition matches (lmtx._engine.check_negations).
                rules = [info.rule for info in pack.rules]
                _compiled_pack = CompiledRules(name, rules, BASE_FACT_ORDER, DESCENDING)
    return _compiled_pack


def pack_infos(policy: Policy) -> tuple[PackInfo, ...]:
    """The packs a policy turns on, as a result's ``knowledge_base.packs`` lists them (empty by default)."""
    return (safety_pack().info,) if policy.safety_pack else ()


def _variants_fact(patient: Patient) -> Fact:
    """Which EGFR variants the record lists: the one fact of the pack's own."""
    variants = set(patient.egfr.variants)
    return {
        "t": "egfr_variants",
        "exon20_insertion": EgfrVariant.EXON20_INSERTION in variants,
        "exon19_deletion": EgfrVariant.EXON19_DELETION in variants,
        "l858r": EgfrVariant.L858R in variants,
    }


def run_pack(patient: Patient, base: Sequence[Fact], run: Run) -> Run:
    """Run the pack's rules on what the document's run knew: its base facts and everything it derived.

    Args:
        patient: The validated record.
        base: The base facts of the evaluation, in assertion order.
        run: The document's run (left unchanged).

    Returns:
        The pack's run: its facts (those given, then the pack's), firings and derived facts.

    Raises:
        EvaluationError: When the engine or a rule of the pack fails.
    """
    return _engine().run([*base, _variants_fact(patient), *run.derived])


def pack_alerts(patient: Patient, pack: Run) -> tuple[Alert, ...]:
    """The pack's alerts of one run, in the pack's order, each with its texts and sources.

    Raises:
        EvaluationError: When two rules of the pack emitted different alerts of one code (a defect).
    """
    emitted_by = {id(fact): firing.rule for firing in pack.firings for fact in firing.emitted}
    found: dict[str, tuple[Fact, str]] = {}
    for fact in pack.derived:
        if fact["t"] != "alert":
            continue
        if fact["code"] in found:
            raise EvaluationError(f"two different {fact['code']} items: {found[fact['code']][0]} and {fact}")
        found[fact["code"]] = (fact, emitted_by[id(fact)])
    kb = safety_pack()
    alerts = []
    for caution in kb.cautions:
        if caution.code not in found:
            continue
        fact, rule_id = found[caution.code]
        text = caution.text(str(fact[caution.variant]) if caution.variant else "")
        rule = kb.rule(rule_id).rule
        words = WORDS[caution.code](Context(fact, rule, (), pack.facts, patient))
        params = {**{k: v for k, v in fact.items() if k not in ("t", "code")}, **words}
        alerts.append(
            Alert(
                code=caution.code,
                severity=fact["severity"],
                summary=text.summary.format_map(params),
                statements=(),
                references=(),
                rule=rule_id,
                detail=text.detail.format_map(params),
                origin="safety-pack",
                sources=caution.sources,
            )
        )
    return tuple(alerts)

"""Knowledge bases of cautions that an embedder turns on beside the document's rules.

The document is encoded as it is written (:mod:`lmtx.rules`); where it is
silent on something a clinician giving its treatments must not miss, a
*pack* adds cautions, each citing a public source (a drug label, a trial
registry entry, a published guideline). A pack is data on the same engine as
the document (:mod:`lmtx.dsl`): rules keyed on the record's facts and on the
document's own output codes, and, for each caution, its trigger in words,
its texts and its sources. It emits alerts only, never changes an item of
the document's, and has its own id, version and digest
(:func:`lmtx.knowledge.safety_pack`).

lmtx ships one pack, the safety pack (:mod:`lmtx.packs.safety`, id
``lmtx-safety``), off by default: ``Policy(safety_pack=True)``, ``lmtx
evaluate --safety-pack``, or the CDS Hooks service's ``safety_pack`` key
turn it on. The docs' "Safety pack" page lists every caution with its
trigger, texts, sources and rules.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from lmtx.catalogue import Text
from lmtx.dsl import Rule
from lmtx.result import Source

__all__ = ["Caution"]


@attrs.frozen
class Caution:
    """One caution of a pack: the alert code, when it fires, what it says, and on what it rests.

    Attributes:
        code: The alert code (each code appears once in a result).
        severity: The severity in words (``info``, ``warning``, or which when it varies).
        trigger: When it fires, in plain words (the docs show it).
        texts: The summary and detail templates by variant value (``""`` when
            there is no variant); words in braces are filled in from what
            triggered the caution (:mod:`lmtx._texts.safety`).
        sources: The public sources it cites, at least one.
        rules: Its rules, on the same engine as the document's: those that emit
            it, and those that derive the facts they match (which its texts name).
        variant: What selects the text: ``severity`` or a parameter the rules
            emit; ``None`` for one text.
    """

    code: str
    severity: str
    trigger: str
    texts: Mapping[str, Text]
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...]
    variant: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.sources:
            raise ValueError(f"{self.code}: a caution cites at least one source")
        if not any(self.code in rule.codes for rule in self.rules):
            raise ValueError(f"{self.code}: no rule of the caution emits it")
        if any(set(rule.codes) - {self.code} for rule in self.rules):
            raise ValueError(f"{self.code}: a rule of the caution emits another code")

    def text(self, variant: str = "") -> Text:
        """The text of one variant value.

        Args:
            variant: The value of :attr:`variant` in the emitted alert; ``""`` without a variant.
        """
        return self.texts[variant]

"""What every generated page shares: the repository's paths, Markdown helpers, links and the checks.

A generated page links to rules, output codes and statements on their own
pages with the helpers here, and checks its meanings against the package with
:func:`check_same`, raising :class:`DocsError` where they disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lmtx.dsl import Emit
from lmtx.knowledge import KnowledgeBase, RuleInfo

REPO_ROOT = Path(__file__).resolve().parents[2]

# Pages that generated text links to (paths relative to the docs directory).
INPUT_PAGE = "input-format.md"
OUTPUT_PAGE = "output-format.md"
RULES_PAGE = "rules.md"
STATEMENTS_PAGE = "statements.md"


class DocsError(Exception):
    """The docs and the package disagree; the message says where."""


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text: object) -> str:
    """Inline code."""
    return f"`{text}`"


def rule_anchor(rule_id: str) -> str:
    """The anchor of a rule on the rules page."""
    return f"rule-{rule_id}"


def code_anchor(output_code: str) -> str:
    """The anchor of an output code on the output page."""
    return f"code-{output_code}"


def statement_anchor(statement_id: str) -> str:
    """The anchor of a statement on the statement index."""
    return statement_id.lower()


def rule_link(rule_id: str, page: str = RULES_PAGE) -> str:
    """A link to a rule."""
    return f"[{code(rule_id)}]({page}#{rule_anchor(rule_id)})"


def code_link(output_code: str, page: str = OUTPUT_PAGE) -> str:
    """A link to an output code."""
    return f"[{code(output_code)}]({page}#{code_anchor(output_code)})"


def statement_link(statement_id: str, page: str = STATEMENTS_PAGE) -> str:
    """A link to a statement."""
    return f"[{statement_id}]({page}#{statement_anchor(statement_id)})"


def joined(items: Iterable[str], empty: str = "—") -> str:
    """Items separated by commas, or ``empty``."""
    items = list(items)
    return ", ".join(items) if items else empty


def check_same(what: str, documented: Iterable[object], actual: Iterable[object]) -> None:
    """Fail unless the docs explain exactly what the package has (``documented`` and ``actual`` as sets)."""
    documented_set, actual_set = set(documented), set(actual)
    missing = sorted(map(str, actual_set - documented_set))
    stale = sorted(map(str, documented_set - actual_set))
    if missing or stale:
        raise DocsError(
            f"{what}: the docs do not explain {missing or 'nothing'}; "
            f"they explain {stale or 'nothing'} that lmtx no longer has. Update docs/lmtx_docgen/."
        )


def emitting(kb: KnowledgeBase, output_code: str) -> list[tuple[RuleInfo, Emit]]:
    """Every rule that emits ``output_code``, with the consequence that emits it, in rule order."""
    return [(info, c) for info in kb.rules for c in info.rule.then if isinstance(c, Emit) and c.code == output_code]

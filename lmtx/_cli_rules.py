"""``lmtx rules``: the rule catalogue of the document, or of the safety pack, as text or JSON (docs/cli.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from lmtx._cli_io import EXIT_OK, Commands, add_command, write
from lmtx.catalogue import CATALOGUE
from lmtx.knowledge import RuleInfo, knowledge_base, safety_pack

__all__ = ["rules_command"]


def _rule_code(text: str) -> str:
    """``rules --code``: an output code of the document, or the code of a safety-pack caution."""
    cautions = [c.code for c in safety_pack().cautions]
    if text not in CATALOGUE and text not in cautions:
        raise argparse.ArgumentTypeError(
            f"unknown code {text!r}; the codes are: {', '.join(CATALOGUE)}; "
            f"and those of the safety pack: {', '.join(cautions)}"
        )
    return text


def _rules(args: argparse.Namespace) -> int:
    if args.safety_pack or (args.code is not None and args.code not in CATALOGUE):
        return _pack_rules(args)
    kb = knowledge_base()
    rules = [r for r in kb.rules if args.code is None or args.code in r.codes]
    if args.format == "json":
        write(json.dumps(kb.to_dict()["rules"] if args.code is None else [_rule_row(r) for r in rules], indent=2))
        return EXIT_OK
    rows = [("RULE", "STATEMENTS", "CODES")]
    rows += [(r.id, " ".join(r.statements), _codes_cell(r)) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{rule:<{widths[0]}}  {statements:<{widths[1]}}  {codes}".rstrip() for rule, statements, codes in rows]
    lines.append(f"\n{len(rules)} rules; knowledge base {kb.id} {kb.version} {kb.digest}")
    write("\n".join(lines))
    return EXIT_OK


def _pack_rules(args: argparse.Namespace) -> int:
    """``lmtx rules --safety-pack``: the pack's rules, apart from the document's, each caution with its sources."""
    pack = safety_pack()
    cautions = [c for c in pack.cautions if args.code is None or c.code == args.code]
    if args.format == "json":
        data = pack.to_dict()
        if args.code is not None:
            wanted = {r.id for c in cautions for r in c.rules}
            data["rules"] = [r for r in data["rules"] if r["id"] in wanted]
            data["cautions"] = [c for c in data["cautions"] if c["code"] == args.code]
        write(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    lines = []
    for caution in cautions:
        lines.append(f"{caution.code} ({caution.severity.replace('`', '')}): {caution.trigger.replace('`', '')}")
        lines += [f"  rule {rule.id}: {rule.description}" for rule in caution.rules]
        lines += [
            f"  source: {source.citation}" + (f" <{source.url}>" if source.url else "") for source in caution.sources
        ]
        lines.append("")
    count = sum(len(c.rules) for c in cautions)
    lines.append(
        f"{count} rules of the safety pack {pack.id} {pack.version} {pack.digest}; off by default "
        "(--safety-pack on evaluate, explain, batch, timeline and audit)"
    )
    write("\n".join(lines))
    return EXIT_OK


def _codes_cell(rule: RuleInfo) -> str:
    if rule.codes:
        return ", ".join(rule.codes)
    return f"(derives {', '.join(rule.derives)})" if rule.derives else "-"


def _rule_row(rule: RuleInfo) -> dict[str, Any]:
    return {"id": rule.id, "statements": list(rule.statements), "codes": list(rule.codes)}


def rules_command(commands: Commands, _: Sequence[argparse.ArgumentParser]) -> None:
    rules = add_command(
        commands,
        "rules",
        "Print the rule catalogue: each rule's id, statements and output codes.",
        ["lmtx rules", "lmtx rules --code it-pemetrexed --format json", "lmtx rules --safety-pack"],
        details=(
            "The document's rules; with --safety-pack (or the --code of one of its cautions), the rules of the "
            "safety pack instead, each caution with its trigger and its public sources."
        ),
    )
    rules.add_argument("--code", type=_rule_code, help="only the rules that can emit this output code")
    rules.add_argument(
        "--safety-pack", action="store_true", help="the safety pack's rules and sources, apart from the document's"
    )
    rules.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    rules.set_defaults(handler=_rules)

"""Build-time generation of the documentation parts that restate lmtx's own data.

The input fields and their value sets, the output fields and codes, the rule
catalogue, the statement index and the API index are rendered here from the
lmtx package itself (the attrs classes of :mod:`lmtx.model` and
:mod:`lmtx.result`, :data:`lmtx.catalogue.CATALOGUE` and
:func:`lmtx.knowledge_base`), so the site cannot drift from the code.
Hand-written pages pull a generated part in with a marker line
``<!-- lmtx:NAME -->`` that ``docs/hooks.py`` replaces at build time
(:func:`expand`; :data:`GENERATORS` names every marker).

The meanings written for people (what a field or a phase *means*) live in
the module of their page. Each generator checks them against the package both
ways and raises :class:`DocsError` when the package has something the docs do
not explain, or the docs explain something the package no longer has: the
strict build then fails instead of publishing a gap.

One module a page: ``input_format``, ``output_format``, ``rules``,
``statements``, ``interpretation`` (the policy and KPS tables), ``api`` (the
API reference's index and ``lmtx`` page) and ``changelog``; ``examples`` (the
shipped example and the output of every runnable example), ``fields`` (the
field tables of the wire format) and ``common`` (links, Markdown, checks)
serve several pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .api import api_index, api_lmtx_page
from .changelog import changelog
from .common import DocsError
from .examples import example_patient, example_result, run_examples
from .input_format import input_fields, input_values, standard_doses_table
from .interpretation import kps_table, policy_table
from .output_format import (
    kind_action_severity_tables,
    lm_status_codes,
    output_codes,
    output_fields,
    phase_codes,
    reason_codes,
)
from .rules import rule_catalogue
from .safety_pack import GENERATORS as SAFETY_PACK_GENERATORS
from .statements import statement_index

__all__ = ["GENERATORS", "MARKER", "DocsError", "expand"]

GENERATORS: dict[str, Callable[[], str]] = {
    "input-fields": input_fields,
    "input-values": input_values,
    "example-patient": example_patient,
    "example-result": example_result,
    "output-fields": output_fields,
    "lm-status-codes": lm_status_codes,
    "phase-codes": phase_codes,
    "reason-codes": reason_codes,
    "kinds-actions-severities": kind_action_severity_tables,
    "output-codes": output_codes,
    "rule-catalogue": rule_catalogue,
    "statement-index": statement_index,
    "policy-table": policy_table,
    "kps-table": kps_table,
    "standard-doses": standard_doses_table,
    "api-index": api_index,
    "api-lmtx": api_lmtx_page,
    "changelog": changelog,
    **SAFETY_PACK_GENERATORS,
}
"""Marker name -> generator of the Markdown that replaces ``<!-- lmtx:NAME -->``."""

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- lmtx:(?P<name>[a-z-]+) -->$", re.MULTILINE)


def expand(markdown: str, page: str) -> str:
    """Replace every marker of a page by its generated Markdown, and run its examples.

    Raises:
        DocsError: For an unknown marker, or when a generator finds a gap.
    """

    def replace(found: re.Match[str]) -> str:
        name = found["name"]
        if name == "output":
            return found[0]  # handled by run_examples
        if name not in GENERATORS:
            raise DocsError(f"{page}: unknown marker <!-- lmtx:{name} -->")
        indent = found["indent"]
        return "\n".join(indent + line if line else line for line in GENERATORS[name]().splitlines())

    return run_examples(MARKER.sub(replace, markdown), page)

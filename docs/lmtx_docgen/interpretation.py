"""The tables of the interpretation page (``interpretation.md``): the policy settings and the KPS bands."""

from __future__ import annotations

import attrs

import lmtx

from .common import cell, check_same, code


def policy_table() -> str:
    """The policy settings with their defaults, from :class:`lmtx.Policy`."""
    documented = {
        "poor_ps_ecog": (
            "ECOG score from which performance status counts as poor (S10). Allowed 1-4.",
            "The document gives no cut-off, and LM studies draw the line at ECOG 2 or at ECOG 3. "
            "lmtx takes the higher one: ECOG 3 or worse is poor.",
        )
    }
    fields = attrs.fields(lmtx.Policy)
    check_same("policy fields", documented, [f.name for f in fields])
    rows = ["| setting | default | meaning | why this default |", "|---|---|---|---|"]
    for field in fields:
        meaning, why = documented[field.name]
        rows.append(f"| {code(field.name)} | {code(field.default)} | {cell(meaning)} | {cell(why)} |")
    return "\n".join(rows) + "\n"


def kps_table() -> str:
    """The Karnofsky-to-ECOG bands the rules use."""
    from lmtx.rules.prognosis import KPS_TO_ECOG  # noqa: PLC0415 - the rule module holds the table

    rows = ["| Karnofsky (KPS) | ECOG |", "|---|---|"]
    rows += [f"| {high}-{low} | {ecog} |" for low, high, ecog in KPS_TO_ECOG]
    return "\n".join(rows) + "\n"

"""How an evaluation reads what the document leaves open, as one validated value.

The thresholds the document leaves open (see docs/interpretation.md#policy),
and whether the opt-in safety pack (docs/safety-pack.md) adds its cautions.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from lmtx.errors import InvalidPatient, Problem

__all__ = ["DEFAULT_POLICY", "Policy", "coerce_policy"]


@attrs.frozen
class Policy:
    """Evaluation policy.

    Attributes:
        poor_ps_ecog: ECOG score from which performance status counts as poor
            (used by S10, "patients with poor performance status"). The
            document gives no cut-off and LM studies use ECOG >= 2 or >= 3;
            lmtx defaults to 3. KPS scores are mapped to ECOG first
            (100-90 -> 0, 80-70 -> 1, 60-50 -> 2, 40-30 -> 3, 20-10 -> 4).
            Allowed: 1-4.
        safety_pack: Add the cautions of the safety pack (``lmtx-safety``,
            docs/safety-pack.md): alerts with public sources on what the
            document does not say. Off by default; the document's readings
            are the same either way.
    """

    poor_ps_ecog: int = 3
    safety_pack: bool = False

    def to_dict(self) -> dict[str, int | bool]:
        """The policy as a JSON-compatible mapping."""
        return {"poor_ps_ecog": self.poor_ps_ecog, "safety_pack": self.safety_pack}


DEFAULT_POLICY = Policy()
"""The policy used when ``evaluate`` is given none."""

_FIELDS = frozenset(attrs.fields_dict(Policy))


def coerce_policy(policy: Policy | Mapping[str, object] | None) -> Policy:
    """Validate a policy given as :class:`Policy`, a mapping or ``None``.

    Raises:
        InvalidPatient: With paths ``policy`` / ``policy.<field>``.
    """
    if policy is None:
        return DEFAULT_POLICY
    if isinstance(policy, Policy):
        raw: Mapping[str, object] = policy.to_dict()
    elif isinstance(policy, Mapping):
        raw = policy
    else:
        raise InvalidPatient([Problem("policy", f"must be a Policy or an object, got {type(policy).__name__}")])
    problems = [Problem(f"policy.{key}", "unknown field") for key in raw if key not in _FIELDS]
    value = raw.get("poor_ps_ecog", DEFAULT_POLICY.poor_ps_ecog)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem("policy.poor_ps_ecog", f"must be a whole number 1-4, got {value!r}"))
    elif not 1 <= value <= 4:
        problems.append(Problem("policy.poor_ps_ecog", f"must be 1-4, got {value}"))
    pack = raw.get("safety_pack", DEFAULT_POLICY.safety_pack)
    if not isinstance(pack, bool):
        problems.append(Problem("policy.safety_pack", f"must be true or false, got {pack!r}"))
    if problems:
        raise InvalidPatient(problems)
    assert isinstance(value, int)
    assert isinstance(pack, bool)
    return Policy(poor_ps_ecog=value, safety_pack=pack)

"""Clinical scenarios kept as data: tests/scenarios/*.json.

Each file holds a patient, the evaluation date, an optional policy, the
readings of docs/interpretation.md it exercises, the complete expected outcome (applicability with
reasons, LM status, phase, and the exact sets of recommendation codes with
actions, alert codes with severities and prognosis codes) and ``fires``: every
rule firing of the trace, sorted, so that a scenario also pins how the
outcome was reached (a rule that fires twice, or a verdict reached by another
rule, changes it).

The ``expect`` part is written and checked by hand. After a deliberate change
to the rules, re-pin the firings and review the diff::

    python -m tests.scenarios --pin-fires
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def load_scenarios() -> dict[str, dict[str, Any]]:
    """Every scenario by name (the file stem)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(SCENARIO_DIR.glob("*.json"))}


def fired_rules(patient: dict[str, Any], as_of: str | None, policy: dict[str, int] | None = None) -> list[str]:
    """Every rule that fired for the patient, once per firing, sorted."""
    import lmtx

    return sorted(entry.rule for entry in lmtx.evaluate(patient, as_of=as_of, policy=policy).trace)


def pin_fires() -> int:
    """Write the current firings into every scenario file; return how many files changed."""
    changed = 0
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        scenario = json.loads(path.read_text())
        fires = fired_rules(scenario["patient"], scenario["as_of"], scenario.get("policy"))
        if scenario.get("fires") != fires:
            scenario["fires"] = fires
            path.write_text(json.dumps(scenario, indent=2, ensure_ascii=False) + "\n")
            changed += 1
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["--pin-fires"]:
        sys.exit("usage: python -m tests.scenarios --pin-fires")
    print(f"{pin_fires()} scenario files changed")

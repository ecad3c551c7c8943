"""Clinical scenarios kept as data: tests/scenarios/*.json.

Each file holds a patient, the evaluation date, an optional policy, the SPEC
§4 readings it exercises, the complete expected outcome (applicability with
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


def fired(scenario: dict[str, Any]) -> list[str]:
    """Every rule firing of the scenario's evaluation, once per firing, sorted."""
    import lmtx

    result = lmtx.evaluate(scenario["patient"], as_of=scenario["as_of"], policy=scenario.get("policy"))
    return sorted(entry.rule for entry in result.trace)


def pin_fires() -> int:
    """Write the current firings into every scenario file; return how many files changed."""
    changed = 0
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        scenario = json.loads(path.read_text())
        fires = fired(scenario)
        if scenario.get("fires") != fires:
            scenario["fires"] = fires
            path.write_text(json.dumps(scenario, indent=2, ensure_ascii=False) + "\n")
            changed += 1
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["--pin-fires"]:
        sys.exit("usage: python -m tests.scenarios --pin-fires")
    print(f"{pin_fires()} scenario files changed")

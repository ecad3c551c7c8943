"""Clinical scenarios kept as data: tests/scenarios/*.json.

Each file holds a patient, the evaluation date, an optional policy, the SPEC
§4 readings it exercises and the complete expected outcome: applicability
with reasons, LM status, phase, and the exact sets of recommendation codes
(with actions), alert codes (with severities) and prognosis codes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def load_scenarios() -> dict[str, dict[str, Any]]:
    """Every scenario by name (the file stem)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(SCENARIO_DIR.glob("*.json"))}

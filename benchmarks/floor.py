"""The engine floor: lmtx's compiled rules run through durable-rules' own Python host, nothing else.

This is the one place outside ``lmtx._engine`` that uses durable-rules' API: it
measures what the engine itself costs, so that lmtx's own layers can be
measured against it. lmtx vendors durable-rules' native engine only, not its
Python host (``durable.*``): the floor is measured where that host is
installed (``pip install durable-rules==2.0.28``, which builds on Python 3.11
and 3.12 only) and reported as not available elsewhere. The host then runs on
the engine it was installed with, not on lmtx's patched one.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

from lmtx._engine import _consequences, compile_conditions
from lmtx.knowledge import knowledge_base

warnings.filterwarnings("ignore", message=r"datetime\.datetime\.utcfromtimestamp", category=DeprecationWarning)

try:
    from durable import engine
except ImportError:
    AVAILABLE = False
else:
    AVAILABLE = True

_names = itertools.count()


if AVAILABLE:

    class _Host(engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            """No dispatcher thread: actions run in the caller's assert call."""


class EngineFloor:
    """The shipped rules on a bare durable-rules host; actions only assert consequences."""

    def __init__(self) -> None:
        definition: dict[str, Any] = {}
        for info in knowledge_base().rules:
            definition[info.id] = {"all": compile_conditions(info.rule), "run": self._action(info.rule)}
        definition["sink"] = {"all": [{"a": {"$ex": {"t": 1}}}, {"b": {"t": "__never__"}}], "run": lambda c: None}
        self.name = f"floor-{next(_names)}"
        self.host = _Host({self.name: definition})
        self.seen: set[tuple[tuple[str, Any], ...]] = set()

    def _action(self, rule: Any) -> Any:
        def action(c: Any) -> None:
            for fact in _consequences(rule, c._m):
                key = tuple(sorted(fact.items()))
                if key not in self.seen:
                    self.seen.add(key)
                    c.assert_fact(fact)

        return action

    def run(self, facts: list[dict[str, Any]]) -> None:
        """Assert one patient's base facts, run to quiescence, delete the state."""
        self.seen = set()
        self.host.assert_facts(self.name, [{**f, "sid": "floor"} for f in facts])
        self.host.delete_state(self.name, "floor")

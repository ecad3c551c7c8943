"""Shared test configuration: hypothesis profiles and scenario loading."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

# "ci" keeps the whole suite well under ten minutes on two cores; "thorough"
# runs at least 10,000 examples per property:
#   HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py
# "mutation" is what tests/mutation.py runs against each mutant of the rule base:
# few examples, the same ones every run (derandomized, no example database), no
# shrinking (a failure is all it needs to know).
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "mutation",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

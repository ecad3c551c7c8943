"""Shared test configuration: hypothesis profiles and scenario loading."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# "ci" keeps the whole suite well under ten minutes on two cores; "thorough"
# runs at least 10,000 examples per property:
#   HYPOTHESIS_PROFILE=thorough python -m pytest tests
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

"""Shared test configuration: hypothesis profiles, and the documentation site built once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

ROOT = Path(__file__).resolve().parent.parent

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


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built as Read the Docs builds it (``.readthedocs.yaml``: strict).

    ``docs/readthedocs_build.py`` reads the configuration and runs its
    ``mkdocs build --strict`` in this environment; the docs tests and the
    browser check read the one site it builds.
    """
    directory = tmp_path_factory.mktemp("site")
    completed = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "readthedocs_build.py"), "--output", str(directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, f"the strict site build failed:\n{completed.stdout}\n{completed.stderr}"
    return directory

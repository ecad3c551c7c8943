"""Installation: the engine's import failure is an lmtx error that names its cause and its fix.

Each case runs a fresh interpreter in which the engine's extension module,
``lmtx._durable_rules``, fails to import the way it can in the field (never
built; built for another Python), and reads what ``import lmtx`` tells the
user. The last tests check that the README's set-up commands and CI build
the engine the one plain way.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lmtx.errors import ENGINE_FIX, FREE_THREADED_FIX, EngineUnavailable

ROOT = Path(__file__).resolve().parent.parent

_BLOCK = textwrap.dedent(
    """
    import sys

    class _Broken:
        def find_spec(self, name, path=None, target=None):
            if name == "lmtx._durable_rules":
                raise ImportError({message!r})
            return None

    {install}
    try:
        import lmtx
    except ImportError as error:
        print(type(error).__module__ + "." + type(error).__qualname__)
        print(error)
        print("cause:", type(error.__cause__).__name__)
    else:
        print("imported")
    """
)


def _import_lmtx_with(message: str, install: str) -> list[str]:
    code = _BLOCK.format(message=message, install=install)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("message", "install", "says"),
    [
        ("", "sys.modules['lmtx._durable_rules'] = None", "is not built in this Python"),
        (
            "/venv/lib/lmtx/_durable_rules.so: undefined symbol: PyObject_Vectorcall",
            "sys.meta_path.insert(0, _Broken())",
            "failed to import",
        ),
    ],
    ids=["not-built", "built-for-another-python"],
)
def test_a_missing_engine_is_explained_with_its_fix(message: str, install: str, says: str) -> None:
    lines = _import_lmtx_with(message, install)
    assert lines[0] == "lmtx.errors.EngineUnavailable", lines
    text = "\n".join(lines[1:])
    assert says in text
    assert f"To fix it, run: {ENGINE_FIX}" in text
    assert lines[-1] == "cause: ImportError" or lines[-1] == "cause: ModuleNotFoundError"
    if message:
        assert message in text  # the original error is quoted, nothing hidden


def test_a_free_threaded_python_is_told_it_is_unsupported_and_why() -> None:
    error = EngineUnavailable.from_import_error(ImportError("no wheel"), (3, 13), free_threaded=True)
    assert "free-threaded build, which lmtx does not support" in error.cause
    assert "declares no free-threading support" in error.cause
    assert error.fix == FREE_THREADED_FIX
    assert str(error).endswith(f"To fix it, run: {FREE_THREADED_FIX}")


_HIDE_ENGINE = """
import sys


class _NotBuilt:
    def find_spec(self, name, path=None, target=None):
        if name == "lmtx._durable_rules":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotBuilt())
"""


@pytest.mark.parametrize("command", [["lmtx"], [sys.executable, "-m", "lmtx"]], ids=["console-script", "python-m"])
def test_the_command_line_says_what_is_wrong_without_a_traceback(tmp_path: Path, command: list[str]) -> None:
    # The engine's module cannot be found, as in a source tree that pip never built (a
    # sitecustomize on PYTHONPATH hides it from every interpreter started here).
    (tmp_path / "sitecustomize.py").write_text(_HIDE_ENGINE)
    program = [str(Path(sys.executable).parent / "lmtx")] if command == ["lmtx"] else command
    example = ROOT / "lmtx" / "examples" / "inadequate-response.json"
    done = subprocess.run(
        [*program, "evaluate", str(example)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("lmtx cannot load its rule engine: the extension module lmtx._durable_rules is not")
    assert done.stderr.endswith(f"To fix it, run: {ENGINE_FIX}\n")


def test_the_engine_imports_here() -> None:
    """The suite's own environment was installed by the documented command and has a working engine."""
    assert _import_lmtx_with("unused", "")[0] == "imported"


GCC14_CFLAGS = "-Werror=implicit-function-declaration -Werror=incompatible-pointer-types -Werror=int-conversion"
"""The errors GCC 14 makes of warnings by default; CI builds with them on any compiler."""


def test_readme_and_ci_build_the_engine_with_plain_commands() -> None:
    """The README's two commands carry no flags, define or cache option; .ci/run runs the second verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv .venv && ")]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/lmtx evaluate "
        "lmtx/examples/inadequate-response.json",
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest",
    ]
    for command in commands:
        assert not re.search(r"\b[A-Z_]+=", command), command  # no environment variable
        assert "--no-cache-dir" not in command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'export CFLAGS="{GCC14_CFLAGS}"' in ci
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest" in ci
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'CFLAGS = "{GCC14_CFLAGS}"' in pyproject  # cibuildwheel builds the release wheels alike


def test_no_preprocessor_flags_are_needed_anywhere() -> None:
    """The old build's preprocessor define is history: only the changelog may name its variable."""
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "grep", "-l", "CPP" + "FLAGS"], capture_output=True, text=True, check=False
    )
    if tracked.returncode > 1:  # not a git checkout (an sdist): nothing to check here
        pytest.skip("not a git checkout")
    assert tracked.stdout.split() in ([], ["CHANGELOG.md"])


def test_nothing_points_outside_the_repository() -> None:
    """A user's clone is the world: no file names the team's shared folder or its contract file."""
    forbidden = ["../" + "shared", "SPEC" + ".md", "SPEC" + " §"]
    places = [ROOT / name for name in ("README.md", "pyproject.toml", "mkdocs.yml", ".ci/run")]
    for folder in ("lmtx", "tests", "docs", "benchmarks"):
        places += [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    offenders = []
    for path in places:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary files carry no references
            continue
        offenders += [f"{path.relative_to(ROOT)}: {word}" for word in forbidden if word in text]
    assert offenders == []

"""Installation: the engine's import failure is an lmtx error that names its cause and its fix.

Each case runs a fresh interpreter in which durable-rules' native module fails
to import the way it does in the field (not installed; built on Python 3.13+
without the define), and reads what ``import lmtx`` tells the user.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lmtx.errors import ENGINE_CPPFLAGS, ENGINE_FIX

_BLOCK = textwrap.dedent(
    """
    import sys

    class _Broken:
        def find_spec(self, name, path=None, target=None):
            if name == "durable_rules_engine":
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
        (
            "/venv/lib/durable_rules_engine.so: undefined symbol: PyEval_CallObject",
            "sys.meta_path.insert(0, _Broken())",
            "compiled without the define",
        ),
        ("", "sys.modules['durable_rules_engine'] = None", "durable-rules is not installed"),
        ("libstdc++.so.6: cannot open shared object file", "sys.meta_path.insert(0, _Broken())", "failed to import"),
    ],
    ids=["built-without-define", "not-installed", "other-import-failure"],
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


@pytest.mark.parametrize("command", [["lmtx"], [sys.executable, "-m", "lmtx"]], ids=["console-script", "python-m"])
def test_the_command_line_says_what_is_wrong_without_a_traceback(tmp_path: Path, command: list[str]) -> None:
    # A module that shadows the engine and fails as a build without the Python 3.13 define does.
    (tmp_path / "durable_rules_engine.py").write_text(
        'raise ImportError("/venv/lib/durable_rules_engine.so: undefined symbol: PyEval_CallObject")\n'
    )
    program = [str(Path(sys.executable).parent / "lmtx")] if command == ["lmtx"] else command
    example = ROOT / "lmtx" / "examples" / "inadequate-response.json"
    done = subprocess.run(
        [*program, "evaluate", str(example)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("lmtx cannot load its rule engine: durable-rules 2.0.28 was compiled without")
    assert done.stderr.endswith(f"To fix it, run: {ENGINE_FIX}\n")


def test_the_engine_imports_here() -> None:
    """The suite's own environment was installed by the documented command and has a working engine."""
    assert _import_lmtx_with("unused", "")[0] == "imported"


ROOT = Path(__file__).resolve().parent.parent


def test_readme_ci_and_the_error_build_the_engine_alike() -> None:
    """The README's two commands, .ci/run and EngineUnavailable's fix all build with the same flags, uncached."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv .venv && ")]
    assert len(commands) == 2, commands
    for command in commands:
        assert f'CPPFLAGS="{ENGINE_CPPFLAGS}" .venv/bin/pip install -q --no-cache-dir ' in command
    assert commands[1].endswith("-e '.[test]' && .venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'ENGINE_CPPFLAGS="{ENGINE_CPPFLAGS}"' in ci
    assert """CPPFLAGS="$ENGINE_CPPFLAGS" python -m pip install -q --no-cache-dir -e '.[test]'""" in ci
    assert f'CPPFLAGS="{ENGINE_CPPFLAGS}"' in ENGINE_FIX
    assert "--no-cache-dir" in ENGINE_FIX


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

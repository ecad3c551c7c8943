"""Installation: the engine's import failure is an lmtx error that names its cause and its fix.

Each case runs a fresh interpreter in which the engine's extension module,
``lmtx._durable_rules``, fails to import the way it can in the field (never
built; built for another Python), and reads what ``import lmtx`` tells the
user. The last tests check that the README's set-up commands and CI build
the engine the one plain way.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path
from typing import Any

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


def _setup_py() -> Any:
    """setup.py as a module (its ``setup()`` call runs only as a script)."""
    spec = importlib.util.spec_from_file_location("lmtx_setup_py", ROOT / "setup.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PYTHONS_FLAGS = ["-Wsign-compare", "-DNDEBUG", "-g", "-fwrapv", "-O3", "-Wall"]


def test_cflags_add_to_pythons_own_compile_flags() -> None:
    """Recent setuptools compiles with CFLAGS in place of Python's flags; setup.py puts them back first."""
    with_pythons_flags = _setup_py().with_pythons_flags
    replaced = ["gcc", "-Werror=int-conversion", "-fPIC"]  # what setuptools 84 leaves with CFLAGS set
    assert with_pythons_flags(replaced, PYTHONS_FLAGS) == ["gcc", *PYTHONS_FLAGS, "-Werror=int-conversion", "-fPIC"]
    kept = ["gcc", *PYTHONS_FLAGS, "-Werror=int-conversion", "-fPIC"]  # older setuptools: after them
    assert with_pythons_flags(kept, PYTHONS_FLAGS) == kept
    assert with_pythons_flags(["gcc", "-fPIC"], []) == ["gcc", "-fPIC"]


_BUILD_FILES = ("setup.py", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in")


@pytest.mark.slow
def test_a_verbose_build_with_cflags_keeps_pythons_flags(tmp_path: Path) -> None:
    """The real build, as pip runs it (isolated, the current setuptools), with CI's CFLAGS: every compile line."""
    pythons = sysconfig.get_config_var("CFLAGS") or ""
    if not {"-g", "-fwrapv", "-Wall"} <= set(pythons.split()):
        pytest.skip(f"this Python was not built with -g -fwrapv -Wall (its CFLAGS: {pythons!r})")
    source = tmp_path / "source"
    for name in _BUILD_FILES:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "vendor", source / "vendor")
    shutil.copytree(ROOT / "lmtx", source / "lmtx", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-cache-dir", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "CFLAGS": GCC14_CFLAGS},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = done.stdout + done.stderr  # pip passes the build's own output on in either
    compiles = [line.split() for line in output.splitlines() if " -c vendor/durable_rules/" in line]
    assert len(compiles) == 6, output[-6000:]
    for words in compiles:
        assert {"-g", "-fwrapv", "-Wall", *GCC14_CFLAGS.split(), "-O2", "-DNDEBUG"} <= set(words), words
        # Python's flags, then CFLAGS, then setup.py's own (the last -O wins).
        assert words.index("-fwrapv") < words.index(GCC14_CFLAGS.split(maxsplit=1)[0]) < words.index("-O2"), words


def test_the_release_recipe_repairs_wheels_and_checks_their_tags() -> None:
    """A wheel built on Linux is tagged linux_x86_64 (PyPI refuses it): the recipe repairs it and checks the tags."""
    page = (ROOT / "docs" / "installation.md").read_text(encoding="utf-8")
    release = page[page.index("## Wheels and releases") : page.index("## When the engine cannot be imported")]
    blocks = re.findall(r"```sh\n(.*?)```", release, re.DOTALL)
    recipe = blocks[0]
    assert "auditwheel repair dist/lmtx-*-linux_x86_64.whl -w wheelhouse" in recipe
    assert (
        recipe.index("auditwheel repair")
        < recipe.index("wheel_tags.py wheelhouse/*.whl")
        < recipe.index("twine upload")
    )
    uploads = [block for block in blocks if "twine upload" in block]
    assert len(uploads) == 2
    for block in uploads:  # every upload: the tags checked first, and never the unrepaired wheel of dist/
        assert block.index("python benchmarks/wheel_tags.py wheelhouse/*.whl") < block.index("twine upload")
        upload = next(line for line in block.splitlines() if line.startswith("twine upload"))
        assert upload.split("#")[0].split() == ["twine", "upload", "dist/*.tar.gz", "wheelhouse/*.whl"]


def _wheel(path: Path, *tags: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("lmtx-0.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\n" + "".join(f"Tag: {t}\n" for t in tags))
    return path


def test_the_tag_check_refuses_a_plain_linux_wheel(tmp_path: Path) -> None:
    script = ROOT / "benchmarks" / "wheel_tags.py"
    plain = _wheel(tmp_path / "lmtx-0.0.0-cp311-cp311-linux_x86_64.whl", "cp311-cp311-linux_x86_64")
    repaired = _wheel(
        tmp_path / "lmtx-0.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "cp311-cp311-manylinux_2_17_x86_64",
        "cp311-cp311-manylinux2014_x86_64",
    )
    mac = _wheel(tmp_path / "lmtx-0.0.0-cp311-cp311-macosx_11_0_arm64.whl", "cp311-cp311-macosx_11_0_arm64")

    def check(*wheels: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *map(str, wheels)], capture_output=True, text=True, check=False, timeout=60
        )

    assert check(repaired, mac).returncode == 0
    refused = check(repaired, plain)
    assert refused.returncode == 1
    assert "lmtx-0.0.0-cp311-cp311-linux_x86_64.whl: cp311-cp311-linux_x86_64: NOT FOR RELEASE" in refused.stdout

"""Every Python and shell example of the documentation runs, and shows what it prints.

The pages are README.md and every Markdown page under docs/ (whatever they hold
when the suite runs, so a page's new example is covered the day it is written).
The API pages' examples are docstrings: their ``>>>`` examples run as doctests.

How a page's examples run:

- In a sandbox: a fresh copy of the repository (its tracked and untracked,
  not ignored, files) made a git repository with one commit, so that examples
  written "from a clone" run as written. ``.venv`` and ``.venv-docs`` there are
  the environment running the tests, whose ``bin`` comes first on ``PATH``
  (``python``, ``lmtx``, ``mkdocs``, ``mike``).
- ```` ```sh ```` blocks run with ``bash -euo pipefail``, each must succeed.
  Setup comments in sh run the same way.
- ```` ```console ```` blocks: each ``$ `` line is a command; the lines after it,
  up to the next command, are what it prints (stdout and stderr), compared
  where shown, with ``...`` standing for any text. A command that shows
  nothing must succeed. Each runs with plain ``bash -c``, as a reader types it
  (``lmtx ... | head`` ends with the exit status of ``head``).
- ```` ```python ```` blocks of a page run in order as one script (later blocks
  see what earlier ones defined), after the shell blocks. Those followed by
  ``<!-- lmtx:output -->`` show output that the site build itself produced by
  running them.

Markers, HTML comments that the site does not show, on the line just before a block:

- ``<!-- lmtx:no-run REASON -->``: the block does not run here; the reason is
  required (for example: it installs from the package index, or it serves
  until stopped).
- ``<!-- lmtx:setup sh`` or ``<!-- lmtx:setup python``, then code, then ``-->``
  on a line of its own: runs before the next blocks of the page in that
  language, for stand-ins the example takes for granted (a file it reads, a
  function of "your code"). It may stand anywhere on the page.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest

import lmtx

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
RUN_LANGUAGES = {"python", "sh", "bash", "shell", "console"}
COMMAND_TIMEOUT = 600

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
NO_RUN = re.compile(r"^[ \t]*<!-- lmtx:no-run(?P<reason>[^\n]*?)-->[ \t]*$")
SETUP = re.compile(r"^<!-- lmtx:setup (?P<lang>sh|python)[ \t]*\n(?P<body>.*?)^-->[ \t]*$", re.MULTILINE | re.DOTALL)
OUTPUT = re.compile(r"\A[ \t]*\n?[ \t]*<!-- lmtx:output -->")
MARKERS = re.compile(r"<!-- lmtx:(?P<name>[a-z-]+)")
KNOWN_MARKERS = {"no-run", "setup", "output"}


@attrs.frozen
class Block:
    """One fenced block of a page (or a setup comment), at its line."""

    page: str
    line: int
    lang: str
    body: str
    skip_reason: str | None = None
    generated_output: bool = False
    setup: bool = False

    def __str__(self) -> str:
        return f"{self.page}:{self.line} ({self.lang})"


def _relative(page: Path, root: Path = ROOT) -> str:
    return str(page.relative_to(root))


def blocks(page: Path, root: Path = ROOT) -> list[Block]:
    """The page's runnable blocks and setup comments, in page order."""
    text = page.read_text(encoding="utf-8")
    found: list[tuple[int, Block]] = []
    for match in FENCE.finditer(text):
        lang = match["lang"].lower()
        if lang not in RUN_LANGUAGES:
            continue
        line = text.count("\n", 0, match.start()) + 1
        previous = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NO_RUN.match(previous)
        found.append(
            (
                match.start(),
                Block(
                    _relative(page, root),
                    line,
                    lang,
                    textwrap.dedent(match["body"]),
                    skip_reason=marker["reason"].strip() if marker else None,
                    generated_output=bool(OUTPUT.match(text[match.end() :])),
                ),
            )
        )
    for match in SETUP.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append((match.start(), Block(_relative(page, root), line, match["lang"], match["body"], setup=True)))
    return [block for _, block in sorted(found, key=lambda pair: pair[0])]


def _pages_with_examples() -> list[Path]:
    return [page for page in PAGES if any(not b.setup for b in blocks(page))]


# --------------------------------------------------------------------------- the conventions


def test_the_pages_hold_examples() -> None:
    """The runner finds the examples (a regex that matched nothing would pass every page)."""
    every = [b for page in PAGES for b in blocks(page) if not b.setup]
    assert len(every) >= 40
    assert {b.lang for b in every} >= {"python", "sh", "console"}
    assert sum(not b.skip_reason for b in every) >= 30


def test_every_skipped_block_says_why() -> None:
    """``<!-- lmtx:no-run -->`` needs a reason; and a marker must be spelt right and stand before a block."""
    problems = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        found = blocks(page)
        skipped = sum(1 for b in found if b.skip_reason is not None)
        problems += [f"{b}: no-run without a reason" for b in found if b.skip_reason == ""]
        markers = re.findall(r"^[ \t]*<!-- lmtx:no-run", text, re.MULTILINE)
        if len(markers) != skipped:
            problems.append(f"{_relative(page)}: a no-run marker that is not right before a block")
        problems += [
            f"{_relative(page)}: unknown marker lmtx:{m['name']}"
            for m in MARKERS.finditer(text)
            if m["name"] not in KNOWN_MARKERS and not _is_generator_marker(m["name"])
        ]
    assert problems == []


def _is_generator_marker(name: str) -> bool:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import lmtx_docgen
    finally:
        sys.path.remove(str(ROOT / "docs"))
    return name in lmtx_docgen.GENERATORS


def test_a_reason_is_required(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- lmtx:no-run -->\n```sh\nfalse\n```\n\n<!-- lmtx:no-run installs -->\n```sh\nx\n```\n")
    assert [b.skip_reason for b in blocks(page, tmp_path)] == ["", "installs"]


# --------------------------------------------------------------------------- the sandbox


def _repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode == 0:
        return [name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]
    skip = {".git", "site", ".venv", ".venv-docs", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.parts)]


@pytest.fixture(scope="module")
def clone_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files, once; each page gets a copy of it."""
    template = tmp_path_factory.mktemp("clone")
    for name in _repository_files():
        target = template / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return template


def _environment(home: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "COLUMNS": "80",
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "GIT_AUTHOR_NAME": "docs example",
        "GIT_AUTHOR_EMAIL": "docs@example.invalid",
        "GIT_COMMITTER_NAME": "docs example",
        "GIT_COMMITTER_EMAIL": "docs@example.invalid",
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


@pytest.fixture
def sandbox(clone_template: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh clone of the repository to run one page's examples in, and their environment."""
    clone = tmp_path / "lmtx"
    shutil.copytree(clone_template, clone, symlinks=True)
    environment = _environment(tmp_path)
    (tmp_path / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "clone"]):
        subprocess.run(command, cwd=clone, env=environment, check=True, capture_output=True)
    for name in (".venv", ".venv-docs"):
        (clone / name).symlink_to(sys.prefix, target_is_directory=True)
    return clone, environment


# --------------------------------------------------------------------------- running


def _shell(command: str, cwd: Path, environment: dict[str, str], *, strict: bool) -> subprocess.CompletedProcess[str]:
    """Run shell text: a sh block stops at its first failing command, a console command runs as typed."""
    return subprocess.run(
        ["bash", *(["-euo", "pipefail"] if strict else []), "-c", command],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def console_steps(body: str) -> list[tuple[str, list[str]]]:
    """The commands of a console block, each with the lines it is shown to print."""
    steps: list[tuple[str, list[str]]] = []
    lines = body.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.startswith("$ "):
            if steps:
                steps[-1][1].append(line)
                continue
            raise AssertionError(f"console block: text before the first command: {line!r}")
        command = line[2:]
        while command.endswith("\\") and index < len(lines):
            command = command[:-1] + "\n" + lines[index]
            index += 1
        steps.append((command, []))
    return steps


def shown_matches(shown: list[str], printed: str) -> bool:
    """Whether the output matches the lines shown, ``...`` standing for any text (lines included)."""
    expected = "\n".join(line.rstrip() for line in shown).strip("\n")
    actual = "\n".join(line.rstrip() for line in printed.splitlines()).strip("\n")
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def _run_shell_block(block: Block, clone: Path, environment: dict[str, str]) -> list[str]:
    if block.lang != "console":
        done = _shell(block.body, clone, environment, strict=True)
        return [] if done.returncode == 0 else [f"{block}: exit {done.returncode}\n{block.body}\n{done.stdout}"]
    problems = []
    for command, shown in console_steps(block.body):
        done = _shell(command, clone, environment, strict=False)
        if any(line.strip() for line in shown):
            if not shown_matches(shown, done.stdout):
                problems.append(f"{block}: $ {command}\nshown:\n" + "\n".join(shown) + f"\nprinted:\n{done.stdout}")
        elif done.returncode != 0:
            problems.append(f"{block}: $ {command}: exit {done.returncode}\n{done.stdout}")
    return problems


def _run_python(python: list[Block], clone: Path, environment: dict[str, str]) -> list[str]:
    script, starts = [], []
    for block in python:
        starts.append((len(script) + 1, block))
        script += [f"# --- {block}", *block.body.splitlines(), ""]
    path = clone / "docs_examples_of_the_page.py"
    path.write_text("\n".join(script), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path)],
        cwd=clone,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if done.returncode == 0:
        return []
    lines = [int(n) for n in re.findall(rf'File "{re.escape(str(path))}", line (\d+)', done.stderr)]
    failing = next((b for start, b in reversed(starts) if lines and start <= lines[-1]), None)
    return [f"{failing or python[0].page}: the Python example failed\n{done.stderr[-3000:]}"]


@pytest.mark.parametrize("page", _pages_with_examples(), ids=_relative)
def test_the_examples_of_the_page_run(page: Path, sandbox: tuple[Path, dict[str, str]]) -> None:
    clone, environment = sandbox
    found = blocks(page)
    runnable = [b for b in found if b.skip_reason is None]
    problems: list[str] = []
    for block in runnable:
        if block.lang != "python":
            problems += _run_shell_block(block, clone, environment)
    python = [b for b in runnable if b.lang == "python"]
    if any(not b.setup for b in python):
        problems += _run_python(python, clone, environment)
    assert not problems, "\n\n".join(problems)


# --------------------------------------------------------------------------- the runner itself


def test_console_output_is_compared_with_ellipses() -> None:
    steps = console_steps("$ lmtx x \\\n  --y\nfirst line\nsecond ...\n$ true\n")
    assert steps == [("lmtx x \n  --y", ["first line", "second ..."]), ("true", [])]
    assert shown_matches(["first line", "second ..."], "first line\nsecond and more\n")
    assert not shown_matches(["first line", "second ..."], "first line\nthird\n")
    assert not shown_matches(["only"], "only\nand more")


def test_a_failing_example_fails_its_page(tmp_path: Path, clone_template: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ echo one\ntwo\n```\n\n```sh\nfalse\n```\n\n"
        "<!-- lmtx:setup python\nname = 'x'\n-->\n\n```python\nprint(name)\nraise SystemExit(3)\n```\n"
    )
    found = blocks(page, tmp_path)
    assert [(b.lang, b.setup) for b in found] == [
        ("console", False),
        ("sh", False),
        ("python", True),
        ("python", False),
    ]
    environment = _environment(tmp_path)
    problems = _run_shell_block(found[0], tmp_path, environment) + _run_shell_block(found[1], tmp_path, environment)
    problems += _run_python(found[2:], tmp_path, environment)
    assert len(problems) == 3, problems
    assert "printed:\none" in problems[0]
    assert "exit 1" in problems[1]
    assert "the Python example failed" in problems[2]


# --------------------------------------------------------------------------- docstrings (the API pages)


def _lmtx_modules() -> list[str]:
    names = ["lmtx"]
    for info in pkgutil.walk_packages(lmtx.__path__, "lmtx."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def test_the_docstring_examples_of_the_api_pages_run() -> None:
    """Every ``>>>`` example in lmtx's docstrings (the API pages render them) runs and prints what it shows."""
    attempted = 0
    failures = []
    for name in _lmtx_modules():
        module = importlib.import_module(name)
        finder = doctest.DocTestFinder(exclude_empty=True)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        for test in finder.find(module, name, module=module):
            result = runner.run(test, out=failures.append)
            attempted += result.attempted
    assert attempted >= 10
    assert not failures, "\n".join(failures)

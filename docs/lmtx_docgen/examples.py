"""The examples the pages show: the shipped example record and its result, and every runnable example's output."""

from __future__ import annotations

import contextlib
import io
import re

import lmtx

from .common import REPO_ROOT, DocsError

EXAMPLE_PATIENT = REPO_ROOT / "lmtx" / "examples" / "inadequate-response.json"


def example_patient() -> str:
    """The shipped example record, verbatim."""
    text = EXAMPLE_PATIENT.read_text(encoding="utf-8").strip()
    lmtx.parse_patient(text)  # the example must stay valid
    return f'```json title="lmtx/examples/{EXAMPLE_PATIENT.name}"\n{text}\n```\n'


def example_result() -> str:
    """The result of evaluating the shipped example, as lmtx prints it today."""
    result = lmtx.evaluate(EXAMPLE_PATIENT.read_text(encoding="utf-8"))
    return f'```json title="lmtx evaluate lmtx/examples/{EXAMPLE_PATIENT.name}"\n{result.to_json(indent=2)}\n```\n'


_RUNNABLE = re.compile(
    r"(?P<block>^```python\n(?P<code>(?:(?!^```).)*?)^```)[ \t]*\n<!-- lmtx:output -->",
    re.DOTALL | re.MULTILINE,
)


def run_examples(markdown: str, page: str) -> str:
    """Run each Python block followed by ``<!-- lmtx:output -->`` and show what it printed.

    The code runs in a fresh namespace with the repository root as working
    directory, so the output shown is the output lmtx gives today.

    Raises:
        DocsError: When an example fails.
    """

    def run(found: re.Match[str]) -> str:
        out = io.StringIO()
        try:
            with contextlib.chdir(REPO_ROOT), contextlib.redirect_stdout(out):
                exec(compile(found["code"], f"<{page} example>", "exec"), {"__name__": "__docs__"})  # noqa: S102
        except Exception as error:
            raise DocsError(f"{page}: an example failed: {error!r}") from error
        return f"{found['block']}\n\nprints:\n\n```text\n{out.getvalue().rstrip()}\n```"

    return _RUNNABLE.sub(run, markdown)

"""The exceptions lmtx raises: invalid input, and internal evaluation failures."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = ["EngineUnavailable", "EvaluationError", "InvalidPatient", "LmtxError", "Problem"]


@attrs.frozen
class Problem:
    """One thing wrong with an input, located by its JSON path.

    Attributes:
        path: Where the problem is, e.g. ``therapies[1].dose_mg``; ``$`` is the
            whole payload; ``as_of`` and ``policy.*`` name the call's arguments.
        message: What is wrong, e.g. ``must be > 0, got -80``.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class LmtxError(Exception):
    """Base class of every exception lmtx raises on purpose."""


class InvalidPatient(LmtxError, ValueError):  # noqa: N818 - the name is part of the public API
    """The patient record (or ``as_of``/``policy``) is invalid.

    Raised before any inference runs, so no partial result ever exists. The
    message lists every problem found, one per line, each with its JSON path.

    Attributes:
        problems: The problems, in a stable order (by path, then message).
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        unique = sorted(set(problems), key=lambda p: (_path_key(p.path), p.message))
        if not unique:
            raise ValueError("InvalidPatient needs at least one problem")
        self.problems = tuple(unique)
        count = len(self.problems)
        header = f"invalid patient record ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))

    def to_dict(self) -> dict[str, object]:
        """The error as a JSON-compatible object: ``{"error": ..., "problems": [...]}``."""
        return {
            "error": "invalid-patient",
            "problems": [{"path": p.path, "message": p.message} for p in self.problems],
        }


class EvaluationError(LmtxError, RuntimeError):
    """Inference failed for a valid record: a defect in lmtx, never in the input.

    The failing call gets this error; the engine session is cleaned up, so the
    next call is unaffected. Please report it with the input that caused it.
    """


ENGINE_CPPFLAGS = "-DPyEval_CallObject=PyObject_CallObject -O2 -DNDEBUG"
"""The preprocessor flags durable-rules 2.0.28 is built with (see docs/installation.md).

The define lets it build and import on Python 3.13 and later (a no-op before);
``-O2 -DNDEBUG`` restores the optimisation its build script drops.
"""

ENGINE_FIX = (
    f'pip uninstall -y durable-rules && CPPFLAGS="{ENGINE_CPPFLAGS}" pip install --no-cache-dir durable-rules==2.0.28'
)
"""The command that rebuilds the engine so that it imports on every supported Python."""


class EngineUnavailable(LmtxError, ImportError):  # noqa: N818 - it says what is wrong, not that it is an error
    """durable-rules' native engine cannot be imported, so lmtx cannot evaluate.

    Raised by ``import lmtx``. The message names the cause and the command that
    fixes it (see the installation page, docs/installation.md). The original
    ``ImportError`` is chained as ``__cause__``.

    Attributes:
        cause: What went wrong, in a sentence.
        fix: The shell command that repairs the installation.
    """

    cause: str
    fix: str

    def __init__(self, cause: str, fix: str = ENGINE_FIX) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(
            f"lmtx cannot load its rule engine: {cause}\nTo fix it, run: {fix}", name="durable_rules_engine"
        )

    @classmethod
    def from_import_error(cls, error: ImportError, python: tuple[int, int]) -> EngineUnavailable:
        """Explain why importing durable-rules' native module failed.

        Args:
            error: The ``ImportError`` raised by ``import durable_rules_engine``.
            python: The running Python's ``(major, minor)`` version.

        Returns:
            The error to raise, with its cause in words.
        """
        text = str(error)
        version = f"{python[0]}.{python[1]}"
        if "PyEval_CallObject" in text:
            cause = (
                f"durable-rules 2.0.28 was compiled without the define Python {version} needs "
                f"(PyEval_CallObject was removed in Python 3.13; the import failed with: {text})"
            )
        elif isinstance(error, ModuleNotFoundError):
            cause = f"durable-rules is not installed in this Python {version} environment ({text})"
        else:
            cause = f"durable-rules' native module failed to import on Python {version}: {text}"
        return cls(cause)


def _path_key(path: str) -> tuple[object, ...]:
    """Sort key that orders ``x[2]`` before ``x[10]``."""
    key: list[object] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        key.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(key)

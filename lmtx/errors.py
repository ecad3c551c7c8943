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


ENGINE_FIX = "python -m pip install --force-reinstall --no-deps ."
"""The command, run in lmtx's source tree, that builds the engine again (a C compiler is needed).

A wheel of lmtx for the platform carries the engine built and needs no compiler.
"""

FREE_THREADED_FIX = "use a CPython build with the GIL (e.g. python3.13, not python3.13t)"
"""What to do on a free-threaded CPython, which lmtx does not support."""


class EngineUnavailable(LmtxError, ImportError):  # noqa: N818 - it says what is wrong, not that it is an error
    """lmtx's rule engine (the extension module ``lmtx._durable_rules``) cannot be imported.

    Raised by ``import lmtx``. The message names the cause and what fixes it
    (see the installation page, docs/installation.md). The original
    ``ImportError`` is chained as ``__cause__``.

    Attributes:
        cause: What went wrong, in a sentence.
        fix: The shell command (or the step) that repairs the installation.
    """

    cause: str
    fix: str

    def __init__(self, cause: str, fix: str = ENGINE_FIX) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(
            f"lmtx cannot load its rule engine: {cause}\nTo fix it, run: {fix}", name="lmtx._durable_rules"
        )

    @classmethod
    def from_import_error(
        cls, error: ImportError, python: tuple[int, int], *, free_threaded: bool = False
    ) -> EngineUnavailable:
        """Explain why importing the engine's extension module failed.

        Args:
            error: The ``ImportError`` raised by ``from lmtx import _durable_rules``.
            python: The running Python's ``(major, minor)`` version.
            free_threaded: Whether the running Python is a free-threaded build.

        Returns:
            The error to raise, with its cause in words.
        """
        text = str(error)
        version = f"{python[0]}.{python[1]}"
        if free_threaded:
            return cls(
                f"Python {version} here is a free-threaded build, which lmtx does not support: its engine, "
                f"durable-rules' C code, keeps shared state without locks and declares no free-threading "
                f"support (the import failed with: {text})",
                FREE_THREADED_FIX,
            )
        if isinstance(error, ModuleNotFoundError):
            cause = (
                f"the extension module lmtx._durable_rules is not built in this Python {version} environment: "
                f"lmtx was imported from a source tree that pip did not build, or was installed from files "
                f"for another platform ({text})"
            )
        else:
            cause = (
                f"the extension module lmtx._durable_rules failed to import on Python {version}; it was "
                f"probably built for another Python or platform: {text}"
            )
        return cls(cause)


def _path_key(path: str) -> tuple[object, ...]:
    """Sort key that orders ``x[2]`` before ``x[10]``."""
    key: list[object] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        key.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(key)

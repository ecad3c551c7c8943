"""The exceptions lmtx raises: invalid input, and internal evaluation failures."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = ["EvaluationError", "InvalidPatient", "LmtxError", "Problem"]


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


class InvalidPatient(LmtxError, ValueError):  # noqa: N818 - the name is part of the SPEC's API
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


def _path_key(path: str) -> tuple[object, ...]:
    """Sort key that orders ``x[2]`` before ``x[10]``."""
    key: list[object] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        key.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(key)

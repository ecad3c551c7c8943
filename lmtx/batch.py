"""Many patients at once: streaming, order-preserving evaluation, in-process or across processes.

:func:`evaluate_many` takes any iterable of patients and yields one
:data:`Outcome` per patient, in input order, as soon as it is ready: an
:class:`Evaluated` holding the :class:`~lmtx.result.Result`, or a
:class:`Failed` holding the error as data. One bad record never stops a
batch, and no record is ever dropped.

Parallelism uses processes, not threads: durable-rules never releases the
GIL, so threads give no speed-up. The processes are those of an
:class:`~lmtx.pool.EvaluationPool`: one the caller keeps open and reuses
across calls (``pool=``), or one started for the call and stopped when its
generator ends (``workers=``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, Literal, NoReturn, TypeAlias, TypeVar

import attrs

from lmtx import _codec, _workers
from lmtx._evaluate import PatientInput, evaluate
from lmtx.errors import EvaluationError, InvalidPatient, LmtxError, Problem
from lmtx.model import Patient
from lmtx.policy import Policy, coerce_policy
from lmtx.result import Result

__all__ = [
    "ErrorKind",
    "Evaluated",
    "Failed",
    "Outcome",
    "check_arguments",
    "evaluate_many",
    "evaluate_one",
    "lost_outcome",
    "ordered_map",
]

ErrorKind: TypeAlias = Literal["invalid-patient", "internal-error"]
"""Why a record has no result: the input's fault, or lmtx's."""


@attrs.frozen
class Evaluated:
    """A record that was evaluated.

    Attributes:
        index: The record's position in the input (0-based).
        result: Its result.
    """

    index: int
    result: Result

    @property
    def ok(self) -> Literal[True]:
        """Always ``True``: there is a result."""
        return True

    @property
    def patient_id(self) -> str | None:
        """The record's ``id``, if it has one."""
        return self.result.patient_id

    def unwrap(self) -> Result:
        """The result."""
        return self.result

    def to_dict(self) -> dict[str, Any]:
        """The result in the wire format (see docs/output-format.md), exactly as :meth:`Result.to_dict` gives it."""
        return self.result.to_dict()


@attrs.frozen
class Failed:
    """A record that has no result, with the reason as data.

    Attributes:
        index: The record's position in the input (0-based).
        error: ``invalid-patient`` (the record, ``as_of`` or ``policy`` is
            invalid; see ``problems``) or ``internal-error`` (a defect in lmtx,
            or a worker process that died; see ``message``).
        message: A one-line description.
        problems: For ``invalid-patient``: every problem with its JSON path.
        patient_id: The record's ``id`` when it could be read, else ``None``.
    """

    index: int
    error: ErrorKind
    message: str
    problems: tuple[Problem, ...] = ()
    patient_id: str | None = None

    @property
    def ok(self) -> Literal[False]:
        """Always ``False``: there is no result."""
        return False

    def exception(self) -> LmtxError:
        """The exception :func:`lmtx.evaluate` raises (or would have raised) for this record."""
        if self.error == "invalid-patient" and self.problems:
            return InvalidPatient(self.problems)
        return EvaluationError(self.message)

    def unwrap(self) -> NoReturn:
        """Raise :meth:`exception`.

        Raises:
            InvalidPatient: For an invalid record.
            EvaluationError: For an internal error.
        """
        raise self.exception()

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-compatible object.

        ``{"error", "index", "patient_id", "message", "problems": [{"path", "message"}]}``
        """
        return {
            "error": self.error,
            "index": self.index,
            "patient_id": self.patient_id,
            "message": self.message,
            "problems": [{"path": p.path, "message": p.message} for p in self.problems],
        }


Outcome: TypeAlias = Evaluated | Failed
"""One record's outcome: ``isinstance(outcome, Evaluated)`` or ``match outcome: case Evaluated(result=r)``."""


def evaluate_many(
    patients: Iterable[PatientInput],
    workers: int | None = None,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
    *,
    chunksize: int | None = None,
    pool: _workers.WorkerPool | None = None,
) -> Generator[Outcome, None, None]:
    """Evaluate many patients, yielding one outcome per patient, in input order.

    The input is read lazily (any iterable, a generator or a file of lines
    included) and outcomes are yielded as soon as they are ready; with
    workers, a bounded number of records is read ahead, so memory stays flat
    however long the input. Every record yields exactly one outcome: a
    record that is invalid, or whose evaluation fails, becomes a
    :class:`Failed` value and the batch goes on.

    Args:
        patients: The records, each in any form :func:`lmtx.evaluate` takes.
            With ``workers`` > 1 they must be picklable (mappings of JSON
            values, JSON text and :class:`~lmtx.model.Patient` objects are).
        workers: ``None`` or ``1``: evaluate in this process. ``N`` > 1: in
            ``N`` worker processes started for this call: forked with the
            rule base compiled where that is safe (Linux, a process running
            one thread), else started afresh, each compiling it once.
        as_of: The evaluation date for every record; default: each record's
            latest date.
        policy: The thresholds the document leaves open, for every record.
        chunksize: Records sent to a worker at a time (default: 4 at first, doubling up to 128).
        pool: An open :class:`~lmtx.pool.EvaluationPool` to evaluate in,
            instead of starting worker processes for this call: for a program
            that runs many batches. Give ``pool`` or ``workers`` (above 1), not both.

    Returns:
        A generator of :data:`Outcome`; ``outcome.index`` is the record's
        position in ``patients``. Closing it early (``close()``, or dropping
        it) stops reading the input and the work on it: the workers started
        for the call stop; a ``pool`` given stays open.

    Raises:
        InvalidPatient: Immediately, when ``as_of`` or ``policy`` is invalid
            (a problem with the call, not with a record).
        ValueError: When ``workers`` or ``chunksize`` is not a positive
            integer, when both ``workers`` (above 1) and ``pool`` are given, or when
            ``pool`` is closed.

    Examples:
        >>> import lmtx
        >>> outcomes = list(lmtx.evaluate_many([{"histology": "sclc"}, {"histology": "lung"}]))
        >>> [outcome.ok for outcome in outcomes]
        [True, False]
        >>> outcomes[1].error, outcomes[1].problems[0].path
        ('invalid-patient', 'histology')
    """
    count = _positive("workers", workers)
    size = _positive("chunksize", chunksize)
    if pool is not None and count not in (None, 1):
        raise ValueError("give workers or pool, not both: a pool has its own workers")
    date, checked = check_arguments(as_of, policy)
    task = functools.partial(evaluate_one, as_of=date, policy=checked)
    return ordered_map(task, lost_outcome, patients, count, size, pool=pool)


def check_arguments(
    as_of: dt.date | str | None, policy: Policy | Mapping[str, object] | None
) -> tuple[dt.date | None, Policy]:
    """Validate the batch-wide ``as_of`` and ``policy`` once, before any record.

    Args:
        as_of: The evaluation date (a date, an ISO string) or ``None``.
        policy: A :class:`~lmtx.policy.Policy`, a mapping of its fields, or ``None``.

    Returns:
        The date (or ``None``) and the policy.

    Raises:
        InvalidPatient: With paths ``as_of`` and ``policy.*``.
    """
    problems: list[Problem] = []
    date: dt.date | None = None
    if as_of is not None:
        try:
            date = _codec.parse_date(as_of)
        except _codec.WireError as error:
            problems.append(Problem("as_of", str(error)))
    try:
        checked = coerce_policy(policy)
    except InvalidPatient as error:
        problems.extend(error.problems)
        checked = Policy()
    if problems:
        raise InvalidPatient(problems)
    return date, checked


def evaluate_one(index: int, patient: PatientInput, as_of: dt.date | None, policy: Policy) -> Outcome:
    """Evaluate one record and capture any error as a :class:`Failed` value.

    The building block of :func:`evaluate_many` (and of the Dask integration):
    it never raises for a bad record.

    Args:
        index: The record's position, copied into the outcome.
        patient: The record, in any form :func:`lmtx.evaluate` takes.
        as_of: The evaluation date, or ``None`` for the record's latest date.
        policy: The policy.

    Returns:
        :class:`Evaluated` or :class:`Failed`.
    """
    try:
        return Evaluated(index, evaluate(patient, as_of=as_of, policy=policy))
    except InvalidPatient as error:
        header = str(error).split("\n", 1)[0]
        return Failed(index, "invalid-patient", header, error.problems, _patient_id(patient))
    except Exception as error:  # noqa: BLE001 - one record's failure must never end the batch
        return Failed(index, "internal-error", _describe(error), (), _patient_id(patient))


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _patient_id(patient: object) -> str | None:
    """The ``id`` of a record, if one can be read from it; never raises."""
    try:
        if isinstance(patient, Patient):
            return patient.id
        if isinstance(patient, str | bytes | bytearray):
            patient = json.loads(patient)
        if isinstance(patient, Mapping):
            value = patient.get("id")
            if isinstance(value, str):
                value.encode("utf-8")  # an id that is not valid text (a lone surrogate) is not echoed
                return value
            return None
    except Exception:  # noqa: BLE001 - the id is a courtesy; an unreadable record simply has none
        return None
    return None


def _positive(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    return value


# --- processes -------------------------------------------------------------------------

T = TypeVar("T")
Chunk = list[tuple[int, PatientInput]]


def lost_outcome(index: int, patient: PatientInput, message: str) -> Outcome:
    """The outcome of a record that could not be evaluated in a worker process.

    Args:
        index: The record's position.
        patient: The record.
        message: What happened (the worker died, the record cannot be pickled).

    Returns:
        A :class:`Failed` of kind ``internal-error``.
    """
    return Failed(index, "internal-error", message, (), _patient_id(patient))


def ordered_map(
    task: Callable[[int, PatientInput], T],
    lost: Callable[[int, PatientInput, str], T],
    records: Iterable[PatientInput],
    workers: int | None,
    chunksize: int | None = None,
    *,
    pool: _workers.WorkerPool | None = None,
) -> Generator[T, None, None]:
    """Apply ``task(index, record)`` to every record, in this process or in workers, in input order.

    The engine of :func:`evaluate_many`, for callers that want something else
    than an :data:`Outcome` computed in the worker (the command line has each
    worker render its JSON line, so that the parent only writes).
    With ``pool``, the same as ``pool.map(task, lost, records, chunksize)``.

    Args:
        task: A picklable function (module level, or a :func:`functools.partial`
            of one) that never raises for a bad record.
        lost: Builds the value for a record whose task could not run in a
            worker (the worker died, or the record cannot be pickled), from the
            record's index, the record and a message. Runs in this process.
        records: The records, read lazily.
        workers: ``None`` or ``1`` for this process, else the number of worker
            processes to start for this call (ignored when ``pool`` is given).
        chunksize: Records sent to a worker at a time (default: 4 at first, doubling up to 128).
        pool: An open :class:`~lmtx.pool.EvaluationPool` to run in.

    Returns:
        A generator of the task's values, one per record, in input order.

    Raises:
        ValueError: When ``pool`` is closed.
    """
    if pool is not None:
        return pool.map(task, lost, records, chunksize)
    if workers is None or workers == 1:
        return (task(index, record) for index, record in enumerate(records))
    return _in_own_pool(task, lost, records, workers, chunksize)


OUTCOME_CLASSES: tuple[type, ...] = (Evaluated, Failed)
"""The outcome classes, which travel back from worker processes in compact form."""


def _in_own_pool(
    task: Callable[[int, PatientInput], T],
    lost: Callable[[int, PatientInput, str], T],
    records: Iterable[PatientInput],
    workers: int,
    chunksize: int | None,
) -> Generator[T, None, None]:
    """Workers started on the first ``next()`` (not before: an unused generator starts no process), stopped at the end.

    The same workers as an :class:`~lmtx.pool.EvaluationPool`'s, started here
    directly: :mod:`lmtx.pool` imports this module, not the other way round.
    """
    executors = _workers.Executors(workers, OUTCOME_CLASSES)
    try:
        yield from _workers.run(executors, task, lost, records, chunksize)
    finally:
        executors.close()

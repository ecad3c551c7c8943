"""Many patients at once: streaming, order-preserving evaluation, in-process or across processes.

:func:`evaluate_many` takes any iterable of patients and yields one
:data:`Outcome` per patient, in input order, as soon as it is ready: an
:class:`Evaluated` holding the :class:`~lmtx.result.Result`, or a
:class:`Failed` holding the error as data. One bad record never stops a
batch, and no record is ever dropped.

Parallelism uses processes, not threads: durable-rules never releases the
GIL, so threads give no speed-up. Worker processes are started with the
``forkserver`` method where the platform has it, ``spawn`` otherwise, never
``fork``: the parent may already hold durable-rules state in C (compiled
rulesets, sessions), and a forked child would inherit a copy of it made at an
arbitrary moment. Every worker compiles the rule base once, when it starts.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import functools
import itertools
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, Literal, NoReturn, TypeAlias, TypeVar

import attrs

from lmtx import _codec
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

_IN_FLIGHT_PER_WORKER = 4
"""Chunks queued per worker: enough to keep workers busy, few enough to bound memory."""
_MAX_CHUNKSIZE = 32


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
            ``N`` worker processes (``forkserver`` or ``spawn``, never ``fork``).
        as_of: The evaluation date for every record; default: each record's
            latest date.
        policy: The thresholds the document leaves open, for every record.
        chunksize: Records sent to a worker at a time (default: up to 32).

    Returns:
        A generator of :data:`Outcome`; ``outcome.index`` is the record's
        position in ``patients``. Closing it early (``close()``, or dropping
        it) stops the workers.

    Raises:
        InvalidPatient: Immediately, when ``as_of`` or ``policy`` is invalid
            (a problem with the call, not with a record).
        ValueError: When ``workers`` or ``chunksize`` is not a positive integer.
    """
    count = _positive("workers", workers)
    size = _positive("chunksize", chunksize)
    date, checked = check_arguments(as_of, policy)
    task = functools.partial(evaluate_one, as_of=date, policy=checked)
    return ordered_map(task, lost_outcome, patients, count, size)


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
) -> Generator[T, None, None]:
    """Apply ``task(index, record)`` to every record, in this process or in workers, in input order.

    The engine of :func:`evaluate_many`, for callers that want something else
    than an :data:`Outcome` computed in the worker (the command line has each
    worker render its JSON line, so that the parent only writes).

    Args:
        task: A picklable function (module level, or a :func:`functools.partial`
            of one) that never raises for a bad record.
        lost: Builds the value for a record whose task could not run in a
            worker (the worker died, or the record cannot be pickled), from the
            record's index, the record and a message. Runs in this process.
        records: The records, read lazily.
        workers: ``None`` or ``1`` for this process, else the number of worker processes.
        chunksize: Records sent to a worker at a time (default: up to 32).

    Returns:
        A generator of the task's values, one per record, in input order.
    """
    if workers is None or workers == 1:
        return (task(index, record) for index, record in enumerate(records))
    return _in_processes(task, lost, records, workers, chunksize)


def _context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where available (a clean process, fast to fork from), else ``spawn``."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _warm_up() -> None:
    """Compile the rule base in a new worker before its first record."""
    evaluate({"histology": "adenocarcinoma"})


def _run_chunk(task: Callable[[int, PatientInput], T], chunk: Chunk) -> list[T]:
    return [task(index, patient) for index, patient in chunk]


def _probe() -> bool:
    """A trivial task: a pool that cannot run it cannot run anything."""
    return True


class _Pool:
    """A process pool that is replaced when a worker dies.

    A record can kill its worker (a crash in the C engine, say): the pool is
    replaced and the batch goes on. ``generation`` counts replacements, so
    that the futures of a dead pool, which all fail at once, replace it only
    once. A new pool must first run a trivial task: when even that fails
    (workers that cannot start), the batch stops with :class:`EvaluationError`
    instead of replacing pools forever.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.generation = 0
        self.executor = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(), initializer=_warm_up)

    def submit(self, task: Callable[[int, PatientInput], T], chunk: Chunk) -> tuple[int, cf.Future[list[T]]]:
        try:
            return self.generation, self.executor.submit(_run_chunk, task, chunk)
        except BrokenProcessPool as error:
            self.replace(self.generation, error)
            return self.generation, self.executor.submit(_run_chunk, task, chunk)

    def replace(self, generation: int, error: BaseException) -> None:
        """Replace the pool of ``generation``, unless that was done already.

        Raises:
            EvaluationError: When a new pool cannot run a trivial task.
        """
        if generation != self.generation:
            return
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._start()
        self.generation += 1
        try:
            self.executor.submit(_probe).result()
        except Exception as probe_error:
            raise EvaluationError(
                f"worker processes cannot start ({_describe(probe_error)}; first failure: {_describe(error)}). "
                "When lmtx runs from a script, guard the script's entry point with "
                "`if __name__ == '__main__':` (see the multiprocessing documentation)."
            ) from probe_error

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _in_processes(
    task: Callable[[int, PatientInput], T],
    lost: Callable[[int, PatientInput, str], T],
    records: Iterable[PatientInput],
    workers: int,
    chunksize: int | None,
) -> Generator[T, None, None]:
    runner = _Runner(_Pool(workers), task, lost)
    try:
        yield from runner.run(records, workers * _IN_FLIGHT_PER_WORKER, chunksize or _MAX_CHUNKSIZE)
    finally:
        runner.pool.close()


def _chunks(items: Iterator[tuple[int, PatientInput]], size: int) -> Iterator[Chunk]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


class _Runner(Generic[T]):
    """Feeds chunks of records to a pool, a bounded number at a time, and yields their values in order."""

    def __init__(
        self, pool: _Pool, task: Callable[[int, PatientInput], T], lost: Callable[[int, PatientInput, str], T]
    ) -> None:
        self.pool = pool
        self.task = task
        self.lost = lost

    def run(self, records: Iterable[PatientInput], limit: int, chunksize: int) -> Iterator[T]:
        pending: deque[tuple[Chunk, int, cf.Future[list[T]]]] = deque()
        for chunk in _chunks(enumerate(records), chunksize):
            pending.append((chunk, *self.pool.submit(self.task, chunk)))
            if len(pending) >= limit:
                yield from self.collect(*pending.popleft())
        while pending:
            yield from self.collect(*pending.popleft())

    def collect(self, chunk: Chunk, generation: int, future: cf.Future[list[T]]) -> Iterator[T]:
        """The values of one chunk; when the chunk as a whole failed, retry its records one by one."""
        try:
            values = future.result()
        except BrokenProcessPool as error:
            self.pool.replace(generation, error)
        except Exception:  # noqa: BLE001, S110 - e.g. a record that cannot be pickled; isolated below
            pass
        else:
            yield from values
            return
        for index, record in chunk:
            yield self.alone(index, record)

    def alone(self, index: int, record: PatientInput) -> T:
        """One record in a chunk of its own, so that whatever failed is pinned to it alone."""
        generation, future = self.pool.submit(self.task, [(index, record)])
        try:
            (value,) = future.result()
        except BrokenProcessPool as error:
            self.pool.replace(generation, error)
            return self.lost(index, record, f"the worker process evaluating it died ({_describe(error)})")
        except Exception as error:  # noqa: BLE001 - reported as this record's value
            return self.lost(index, record, f"cannot evaluate it in a worker process ({_describe(error)})")
        return value

"""Worker processes that outlive one call: :class:`EvaluationPool`.

A pool starts its worker processes once; each imports lmtx and compiles the
rule base once, when it starts. Every batch run through the pool then only
pays for its records: chunks of records go out, chunks of outcomes come back.
::

    with lmtx.EvaluationPool(workers=2) as pool:
        for outcome in pool.evaluate_many(records, as_of="2026-03-01"):
            ...
        report = lmtx.audit(cohort, pool=pool)

Worker processes are started with the ``forkserver`` method where the
platform has it, ``spawn`` otherwise, never ``fork``: the parent may already
hold durable-rules state in C (compiled rulesets, sessions), and a forked
child would inherit a copy of it made at an arbitrary moment.

Durable-rules never releases the GIL, so processes are the only way to use
more than one core, and the parent process, which feeds the workers and
receives their outcomes, shares the cores with them: whatever it spends per
record is taken from the workers. So records travel in chunks (small at
first, for a quick first outcome, then up to 128 records, so that the
per-chunk cost of the process machinery fades), and outcomes travel in a
compact form: each frozen attrs object of a result as its class and a tuple
of its field values, rebuilt field by field without attrs' per-object state
dictionaries (measured: 45 % less CPU to pickle in the worker, 20 % less to
unpickle in the parent; see docs/benchmarks.md#workers).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import itertools
import multiprocessing
import multiprocessing.reduction
import operator
import os
import types
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Generic, TypeAlias, TypeVar

import attrs

from lmtx import result as _result
from lmtx._evaluate import PatientInput, evaluate
from lmtx.batch import Evaluated, Failed, Outcome, evaluate_many
from lmtx.errors import EvaluationError, Problem
from lmtx.policy import Policy

__all__ = ["EvaluationPool"]

T = TypeVar("T")
Chunk = list[tuple[int, PatientInput]]

_IN_FLIGHT_PER_WORKER = 4
"""Chunks queued per worker: enough to keep workers busy, few enough to bound memory."""
_FIRST_CHUNKSIZE = 4
"""The first chunk's size; each next chunk doubles, up to :data:`_MAX_CHUNKSIZE`."""
_MAX_CHUNKSIZE = 128


class EvaluationPool:
    """Worker processes that evaluate batches, started once and reused by every call.

    Use it as a context manager (or call :meth:`close`): leaving the block
    stops the workers. Any number of batches may run through one pool, one
    after the other or interleaved; each yields its outcomes in its own input
    order, with errors as values, exactly as :func:`lmtx.evaluate_many` does.

    A worker that dies (a crash in the C engine, say) is replaced and the
    batch goes on: the records it held are retried one by one, and only the
    record that kills its worker becomes a :class:`~lmtx.batch.Failed` value.
    A record that cannot be pickled fails alone in the same way.

    Attributes:
        workers: The number of worker processes.
    """

    def __init__(self, workers: int | None = None) -> None:
        """Start the worker processes and wait until each has compiled the rule base.

        Args:
            workers: The number of worker processes; default: the number of CPUs.

        Raises:
            ValueError: When ``workers`` is not a positive integer.
            EvaluationError: When the worker processes cannot start (for a
                script, guard its entry point with ``if __name__ == '__main__':``).
        """
        if workers is None:
            workers = os.cpu_count() or 1
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
        self.workers = workers
        self._executors = _Executors(workers)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._executors.closed

    def evaluate_many(
        self,
        patients: Iterable[PatientInput],
        as_of: dt.date | str | None = None,
        policy: Policy | Mapping[str, object] | None = None,
        *,
        chunksize: int | None = None,
    ) -> Generator[Outcome, None, None]:
        """Evaluate many patients in this pool's workers, one outcome per patient, in input order.

        The same as ``lmtx.evaluate_many(patients, as_of=..., policy=..., pool=self)``.

        Args:
            patients: The records, each in any form :func:`lmtx.evaluate` takes;
                they must be picklable (mappings of JSON values, JSON text and
                :class:`~lmtx.model.Patient` objects are). Read lazily.
            as_of: The evaluation date for every record; default: each record's latest date.
            policy: The thresholds the document leaves open, for every record.
            chunksize: Records sent to a worker at a time (default: 4 at first,
                doubling up to 128).

        Returns:
            A generator of :data:`~lmtx.batch.Outcome`. Closing it early stops
            reading the input and cancels the chunks not yet started; the pool
            stays open.

        Raises:
            InvalidPatient: Immediately, when ``as_of`` or ``policy`` is invalid.
            ValueError: When ``chunksize`` is not a positive integer, or the pool is closed.
        """
        return evaluate_many(patients, as_of=as_of, policy=policy, chunksize=chunksize, pool=self)

    def map(
        self,
        task: Callable[[int, PatientInput], T],
        lost: Callable[[int, PatientInput, str], T],
        records: Iterable[PatientInput],
        chunksize: int | None = None,
    ) -> Generator[T, None, None]:
        """Apply ``task(index, record)`` to every record in the workers, yielding the values in input order.

        The engine of :meth:`evaluate_many`, for callers that want something
        else computed in the worker (``lmtx batch`` has each worker render its
        JSON line; :func:`lmtx.audit` builds each course there).

        Args:
            task: A picklable function (module level, or a :func:`functools.partial`
                of one) that never raises for a bad record.
            lost: Builds the value of a record whose task could not run in a
                worker (the worker died, or the record cannot be pickled), from
                the record's index, the record and a message. Runs in this process.
            records: The records, read lazily; a bounded number is read ahead.
            chunksize: Records sent to a worker at a time (default: 4 at first,
                doubling up to 128).

        Returns:
            A generator of the task's values, one per record, in input order.

        Raises:
            ValueError: When the pool is closed.
        """
        if self._executors.closed:
            raise ValueError("the evaluation pool is closed")
        runner = _Runner(self._executors, task, lost)
        sizes = itertools.repeat(chunksize) if chunksize else _growing(_FIRST_CHUNKSIZE, _MAX_CHUNKSIZE)
        return runner.run(records, self.workers * _IN_FLIGHT_PER_WORKER, sizes)

    def close(self) -> None:
        """Stop the worker processes (waiting for the chunks they are evaluating). Idempotent."""
        self._executors.close()

    def __enter__(self) -> EvaluationPool:
        """The pool itself."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Close the pool."""
        self.close()

    def __repr__(self) -> str:
        return f"EvaluationPool(workers={self.workers}{', closed' if self.closed else ''})"


def _context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where available (a clean process, fast to fork from), else ``spawn``."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _warm_up() -> None:
    """Compile the rule base in a new worker before its first record; send outcomes in compact form."""
    for cls in _compact_classes():
        multiprocessing.reduction.ForkingPickler.register(cls, _compact)
    evaluate({"histology": "adenocarcinoma"})


# --- compact outcomes ---------------------------------------------------------------------
#
# attrs pickles a frozen slotted object as a dictionary of its fields, set back one by
# one through a Python-level ``__setstate__``. A worker instead sends the class and a
# tuple of the field values, and the parent sets each slot through its descriptor: the
# same object, with less work on both sides of the pipe. Only classes whose every field
# is a plain slot qualify; anything else is pickled as usual.


def _compact_classes() -> list[type]:
    """The outcome classes that travel in compact form: those of a result, an outcome and a problem."""
    candidates = [Evaluated, Failed, Problem, *(c for c in vars(_result).values() if isinstance(c, type))]
    modules = {"lmtx.result", "lmtx.batch", "lmtx.errors"}
    return [c for c in candidates if c.__module__ in modules and _layout(c) is not None]


Layout: TypeAlias = tuple[Callable[[Any], tuple[Any, ...]], tuple[Callable[[Any, Any], None], ...]]
_LAYOUTS: dict[type, Layout | None] = {}


def _layout(cls: type) -> Layout | None:
    """How to read an attrs class's fields as a tuple, and the setters of their slots; ``None`` if not all slots."""
    if cls not in _LAYOUTS:
        _LAYOUTS[cls] = None
        if attrs.has(cls) and not any("cached_hash" in name for name in getattr(cls, "__slots__", ())):
            names = tuple(field.name for field in attrs.fields(cls))
            descriptors = [vars(cls).get(name) for name in names]
            if names and all(isinstance(d, types.MemberDescriptorType) for d in descriptors):
                read = operator.attrgetter(*names) if len(names) > 1 else _single(names[0])
                _LAYOUTS[cls] = read, tuple(d.__set__ for d in descriptors)  # type: ignore[union-attr]
    return _LAYOUTS[cls]


def _single(name: str) -> Callable[[Any], tuple[Any, ...]]:
    get = operator.attrgetter(name)
    return lambda obj: (get(obj),)


def _compact(obj: Any) -> tuple[Callable[[type, tuple[Any, ...]], Any], tuple[type, tuple[Any, ...]]]:
    """Reduce an attrs object to its class and field values (in a worker)."""
    cls = type(obj)
    return _rebuild, (cls, _LAYOUTS[cls][0](obj))  # type: ignore[index]


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    """Rebuild an object reduced by :func:`_compact` (in the parent), as attrs' own unpickling would."""
    layout = _LAYOUTS.get(cls) or _layout(cls)
    if layout is None or len(layout[1]) != len(values):  # not the worker's layout: use the constructor
        return cls(*values)
    obj: Any = _new(cls)
    for setter, value in zip(layout[1], values):  # noqa: B905 - lengths checked above
        setter(obj, value)
    return obj


_new = object.__new__


def _run_chunk(task: Callable[[int, PatientInput], T], chunk: Chunk) -> list[T]:
    return [task(index, patient) for index, patient in chunk]


def _probe() -> bool:
    """A trivial task: a pool that cannot run it cannot run anything."""
    return True


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _Executors:
    """A process pool that is replaced when a worker dies.

    A record can kill its worker: the executor is replaced and the batches go
    on. ``generation`` counts replacements, so that the futures of a dead
    executor, which all fail at once, replace it only once. A new executor
    must first run a trivial task on every worker: when even that fails
    (workers that cannot start), :class:`EvaluationError` is raised instead of
    replacing executors forever.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.generation = 0
        self.closed = False
        self.executor = self._start(None)

    def _start(self, first: BaseException | None) -> cf.ProcessPoolExecutor:
        executor = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(), initializer=_warm_up)
        try:
            for probe in [executor.submit(_probe) for _ in range(self.workers)]:
                probe.result()
        except Exception as error:
            executor.shutdown(wait=False, cancel_futures=True)
            cause = f"; first failure: {_describe(first)}" if first is not None else ""
            raise EvaluationError(
                f"worker processes cannot start ({_describe(error)}{cause}). "
                "When lmtx runs from a script, guard the script's entry point with "
                "`if __name__ == '__main__':` (see the multiprocessing documentation)."
            ) from error
        return executor

    def submit(self, task: Callable[[int, PatientInput], T], chunk: Chunk) -> tuple[int, cf.Future[list[T]]]:
        if self.closed:
            raise ValueError("the evaluation pool is closed")
        try:
            return self.generation, self.executor.submit(_run_chunk, task, chunk)
        except BrokenProcessPool as error:
            self.replace(self.generation, error)
            return self.generation, self.executor.submit(_run_chunk, task, chunk)

    def replace(self, generation: int, error: BaseException) -> None:
        """Replace the executor of ``generation``, unless that was done already.

        Raises:
            EvaluationError: When a new executor cannot run a trivial task.
        """
        if generation != self.generation or self.closed:
            return
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._start(error)
        self.generation += 1

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.executor.shutdown(wait=True, cancel_futures=True)


def _growing(first: int, most: int) -> Iterator[int]:
    """``first``, twice that, and so on up to ``most``, then ``most`` for ever."""
    size = first
    while True:
        yield size
        size = min(size * 2, most)


def _chunks(items: Iterator[tuple[int, PatientInput]], sizes: Iterator[int]) -> Iterator[Chunk]:
    for size in sizes:
        chunk = list(itertools.islice(items, size))
        if not chunk:
            return
        yield chunk


class _Runner(Generic[T]):
    """Feeds chunks of records to the executor, a bounded number at a time, and yields their values in order."""

    def __init__(
        self,
        executors: _Executors,
        task: Callable[[int, PatientInput], T],
        lost: Callable[[int, PatientInput, str], T],
    ) -> None:
        self.executors = executors
        self.task = task
        self.lost = lost

    def run(self, records: Iterable[PatientInput], limit: int, sizes: Iterator[int]) -> Generator[T, None, None]:
        pending: deque[tuple[Chunk, int, cf.Future[list[T]]]] = deque()
        try:
            for chunk in _chunks(enumerate(records), sizes):
                pending.append((chunk, *self.executors.submit(self.task, chunk)))
                if len(pending) >= limit:
                    yield from self.collect(*pending.popleft())
            while pending:
                yield from self.collect(*pending.popleft())
        finally:
            for _, _, future in pending:  # closed early: what has not started is not run
                future.cancel()

    def collect(self, chunk: Chunk, generation: int, future: cf.Future[list[T]]) -> Iterator[T]:
        """The values of one chunk; when the chunk as a whole failed, retry its records one by one."""
        try:
            values = future.result()
        except BrokenProcessPool as error:
            self.executors.replace(generation, error)
        except Exception:  # noqa: BLE001, S110 - e.g. a record that cannot be pickled; isolated below
            pass
        else:
            yield from values
            return
        for index, record in chunk:
            yield self.alone(index, record)

    def alone(self, index: int, record: PatientInput) -> T:
        """One record in a chunk of its own, so that whatever failed is pinned to it alone."""
        generation, future = self.executors.submit(self.task, [(index, record)])
        try:
            (value,) = future.result()
        except BrokenProcessPool as error:
            self.executors.replace(generation, error)
            return self.lost(index, record, f"the worker process evaluating it died ({_describe(error)})")
        except Exception as error:  # noqa: BLE001 - reported as this record's value
            return self.lost(index, record, f"cannot evaluate it in a worker process ({_describe(error)})")
        return value

"""The worker processes behind :mod:`lmtx.batch` and :mod:`lmtx.pool` (private).

Both public modules run records in worker processes through this one: the
process pool that is replaced when a worker dies (:class:`Executors`), the
chunked, order-preserving feeding of records (:func:`run`), the compact
form in which outcomes travel back, and what a batch needs of a pool
(:class:`WorkerPool`). It imports neither public module, so the two depend
on each other in one direction only, type hints included: :mod:`lmtx.pool`
builds on :mod:`lmtx.batch` (its ``evaluate_many`` is the batch function run
in the pool), and :mod:`lmtx.batch` starts the workers of a ``workers=``
call here.

Starting workers is made cheap (:func:`_context`). On Linux, when the parent
runs a single thread, workers are forked from it after it has compiled the
rule base: no other thread can be inside an evaluation (holding an engine
session or a lock) at that moment, so each child inherits the compiled rules
between two calls and starts at once. Otherwise (threads in the parent, or
another platform) they are forked from a ``forkserver`` that has imported
lmtx, or spawned where there is none; each then compiles the rule base
before its first record.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.reduction
import operator
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import attrs

from lmtx import result as _result
from lmtx._evaluate import PatientInput, evaluate
from lmtx.errors import EvaluationError, Problem

T = TypeVar("T")
Chunk = list[tuple[int, PatientInput]]

_IN_FLIGHT_PER_WORKER = 4
"""Chunks queued per worker: enough to keep workers busy, few enough to bound memory."""
_FIRST_CHUNKSIZE = 4
"""The first chunk's size; each next chunk doubles, up to :data:`_MAX_CHUNKSIZE`."""
_MAX_CHUNKSIZE = 128


_WARM_UP = {"histology": "adenocarcinoma"}
_PRELOAD = ("lmtx.batch", "lmtx.pool")
"""What a forkserver imports before it forks workers: all that a worker runs."""


def _context() -> multiprocessing.context.BaseContext:
    """How workers start: forked from this process where that is safe, else from a forkserver, else spawned.

    ``fork`` on Linux when this process runs one thread (counted by the
    kernel, so threads of C libraries count too): nothing can be half-way
    through an evaluation, so the children get the rule base compiled here,
    between two calls. (Measured on a loaded 2-core machine: a 2-worker pool
    ready in 0.16 s, against 1.3 s when each worker imported lmtx itself.)
    Otherwise ``forkserver``, whose server imports lmtx once and forks each
    worker from there, or ``spawn`` where the platform has neither.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and _single_threaded():
        evaluate(_WARM_UP)  # compiles the rule base here, for every child to inherit
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        # Only read when the server starts; the modules the program asked for are kept.
        server = getattr(multiprocessing.forkserver, "_forkserver", None)
        asked = list(getattr(server, "_preload_modules", None) or ["__main__"])
        context.set_forkserver_preload([*asked, *(name for name in _PRELOAD if name not in asked)])
        return context
    return multiprocessing.get_context("spawn")


def _single_threaded() -> bool:
    """Whether this process runs one thread, waiting a moment for threads just joined to leave the kernel."""
    if threading.active_count() != 1:
        return False
    for _ in range(20):
        if _threads() == 1:
            return True
        time.sleep(0.005)
    return False


def _threads() -> int:
    """The threads of this process, as the kernel counts them (Linux); 0 when unknown."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:")), 0)


def _warm_up(outcome_classes: tuple[type, ...]) -> None:
    """Compile the rule base in a new worker (unless it was forked with it); send outcomes in compact form."""
    for cls in compact_classes(outcome_classes):
        multiprocessing.reduction.ForkingPickler.register(cls, _compact)
    evaluate(_WARM_UP)


# --- compact outcomes ---------------------------------------------------------------------
#
# attrs pickles a frozen slotted object as a dictionary of its fields, set back one by
# one through a Python-level ``__setstate__``. A worker instead sends the class and a
# tuple of the field values, and the parent sets each slot through its descriptor: the
# same object, with less work on both sides of the pipe. Only classes whose every field
# is a plain slot qualify; anything else is pickled as usual.


def compact_classes(outcome_classes: Iterable[type] = ()) -> list[type]:
    """The classes that travel in compact form: those of a result and a problem, and ``outcome_classes``."""
    candidates = [*outcome_classes, Problem, *(c for c in vars(_result).values() if isinstance(c, type))]
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


class Executors:
    """A process pool that is replaced when a worker dies.

    A record can kill its worker: the executor is replaced and the batches go
    on. ``generation`` counts replacements, so that the futures of a dead
    executor, which all fail at once, replace it only once. A new executor
    must first run a trivial task on every worker: when even that fails
    (workers that cannot start), :class:`EvaluationError` is raised instead of
    replacing executors forever.
    """

    def __init__(self, workers: int, outcome_classes: tuple[type, ...] = ()) -> None:
        self.workers = workers
        self.outcome_classes = outcome_classes
        self.generation = 0
        self.closed = False
        self.executor = self._start(None)

    def _executor(self, workers: int) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=_context(), initializer=_warm_up, initargs=(self.outcome_classes,)
        )

    def _start(self, first: BaseException | None) -> cf.ProcessPoolExecutor:
        executor = self._executor(self.workers)
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

    def isolated(self, task: Callable[[int, PatientInput], T], chunk: Chunk) -> list[T]:
        """Run ``chunk`` in a new single-worker process of its own, which nothing else shares.

        A worker that dies while other chunks run beside it may have been
        killed by any of them; in a process of its own, a death is the
        chunk's doing.

        Raises:
            BrokenProcessPool: When the chunk killed the worker.
        """
        if self.closed:
            raise ValueError("the evaluation pool is closed")
        executor = self._executor(1)
        try:
            return executor.submit(_run_chunk, task, chunk).result()
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.executor.shutdown(wait=True, cancel_futures=True)


class WorkerPool(Protocol):
    """Worker processes that a batch can run in: what :func:`lmtx.batch.evaluate_many` needs of a pool.

    :class:`lmtx.pool.EvaluationPool` is one. A protocol, so that
    :mod:`lmtx.batch` names no class of :mod:`lmtx.pool`, which imports it.
    """

    def map(
        self,
        task: Callable[[int, PatientInput], T],
        lost: Callable[[int, PatientInput, str], T],
        records: Iterable[PatientInput],
        chunksize: int | None = None,
    ) -> Generator[T, None, None]:
        """Apply ``task(index, record)`` to every record in the workers, yielding the values in input order."""
        ...


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
        executors: Executors,
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
        """One record in a chunk of its own, so that whatever failed is pinned to it alone.

        The chunk runs in the shared pool first. If the pool breaks meanwhile,
        another chunk running beside it may have been the killer, so the record
        is run again in a process of its own, and only a death there is blamed
        on it.
        """
        chunk = [(index, record)]
        generation, future = self.executors.submit(self.task, chunk)
        try:
            (value,) = future.result()
        except BrokenProcessPool as error:
            self.executors.replace(generation, error)
        except Exception as error:  # noqa: BLE001 - reported as this record's value
            return self.lost(index, record, f"cannot evaluate it in a worker process ({_describe(error)})")
        else:
            return value
        try:
            (value,) = self.executors.isolated(self.task, chunk)
        except BrokenProcessPool as error:
            return self.lost(index, record, f"the worker process evaluating it died ({_describe(error)})")
        except Exception as error:  # noqa: BLE001 - reported as this record's value
            return self.lost(index, record, f"cannot evaluate it in a worker process ({_describe(error)})")
        return value


def run(
    executors: Executors,
    task: Callable[[int, PatientInput], T],
    lost: Callable[[int, PatientInput, str], T],
    records: Iterable[PatientInput],
    chunksize: int | None,
) -> Generator[T, None, None]:
    """Apply ``task(index, record)`` to every record in the workers of ``executors``, values in input order.

    Raises:
        ValueError: When the executors are closed.
    """
    if executors.closed:
        raise ValueError("the evaluation pool is closed")
    runner = _Runner(executors, task, lost)
    sizes = itertools.repeat(chunksize) if chunksize else _growing(_FIRST_CHUNKSIZE, _MAX_CHUNKSIZE)
    return runner.run(records, executors.workers * _IN_FLIGHT_PER_WORKER, sizes)

"""Worker processes that outlive one call: :class:`EvaluationPool`.

A pool starts its worker processes once; each imports lmtx and compiles the
rule base once, when it starts. Every batch run through the pool then only
pays for its records: chunks of records go out, chunks of outcomes come back.

On Linux, a process that runs one thread forks its workers after compiling
the rule base, so they start at once with the rules compiled; elsewhere (a
process with threads, another platform) workers are forked from a
``forkserver`` that has imported lmtx, or spawned, and compile the rule base
when they start.

This module builds on :mod:`lmtx.batch` (a pool's :meth:`EvaluationPool.evaluate_many`
is :func:`lmtx.batch.evaluate_many` run in the pool); :mod:`lmtx.batch` does
not import it, not even for a type hint.

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

Examples:
    Two batches through one pool, its workers started once (``lmtx.audit(cohort,
    pool=pool)`` runs a cohort audit in them too):

    >>> import lmtx
    >>> with lmtx.EvaluationPool(workers=2) as pool:
    ...     first = [outcome.ok for outcome in pool.evaluate_many([{"histology": "sclc"}, {"histology": "lung"}])]
    ...     second = [outcome.index for outcome in pool.evaluate_many([{"histology": "sclc"}] * 3)]
    >>> first, second
    ([True, False], [0, 1, 2])
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Generator, Iterable, Mapping
from types import TracebackType
from typing import TypeVar

from lmtx._evaluate import PatientInput
from lmtx._workers import Executors, run
from lmtx.batch import OUTCOME_CLASSES, Outcome, evaluate_many
from lmtx.policy import Policy

__all__ = ["EvaluationPool"]

T = TypeVar("T")


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
        self._executors = Executors(workers, OUTCOME_CLASSES)

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
        return run(self._executors, task, lost, records, chunksize)

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

"""Evaluate a population with Dask, beyond one machine: ``pip install 'lmtx[dask]'``.

A Dask bag of patient records becomes a bag of :data:`lmtx.batch.Outcome`
values: :class:`~lmtx.batch.Evaluated` with the result, or
:class:`~lmtx.batch.Failed` with the error as data, so that one bad record
never fails a computation. ``outcome.index`` is the record's position in the
whole bag, and the outcomes are exactly those of :func:`lmtx.evaluate_many`
on the same records:

    import dask.bag as db
    from dask.distributed import Client, LocalCluster
    from lmtx.integrations.dask import evaluate_bag

    with LocalCluster(processes=True, threads_per_worker=1) as cluster, Client(cluster):
        records = db.read_text("patients-*.jsonl").map(str.strip)
        outcomes = evaluate_bag(records, as_of="2026-03-01").compute()

Prefer worker *processes* with one thread each: durable-rules holds the GIL,
so threads in one worker add no speed. Each worker process compiles the rule
base once, on its first record. Records travel between processes, so they
must be picklable (JSON text, mappings of JSON values and
:class:`~lmtx.model.Patient` objects are). ``as_of`` and ``policy`` are
checked once, when the graph is built.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

try:
    import dask.bag
    from dask.delayed import delayed
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError("lmtx.integrations.dask needs the 'dask' extra: pip install 'lmtx[dask]'") from _error

from lmtx._evaluate import PatientInput
from lmtx.batch import Outcome, check_arguments, evaluate_one
from lmtx.policy import Policy

__all__ = ["evaluate_bag", "evaluate_population", "per_partition"]

_bags: Any = dask.bag  # dask.bag has no type hints: one Any-typed handle instead of an ignore per call


def _evaluate_partition(
    records: Sequence[PatientInput], offset: int, as_of: dt.date | None, policy: Policy
) -> list[Outcome]:
    return [evaluate_one(offset + position, record, as_of, policy) for position, record in enumerate(records)]


def per_partition(patients: dask.bag.Bag, function: Callable[..., Any], *args: Any) -> list[Any]:
    """``function(partition, offset, *args)``, delayed, for every partition of a bag, in order.

    ``offset`` is the position of the partition's first record in the whole
    bag, so that record indices count across partitions.

    Args:
        patients: The bag of records.
        function: Takes the partition's records, its offset and ``args``.
        *args: Passed on to every call.

    Returns:
        One ``dask.delayed`` value per partition.
    """
    task = delayed(function, pure=True)
    add, length = delayed(operator.add, pure=True), delayed(len, pure=True)
    bag: Any = patients
    offset: Any = 0
    values = []
    for partition in bag.to_delayed():
        values.append(task(partition, offset, *args))
        # The next partition starts where this one ends: a chain of cheap additions.
        offset = add(offset, length(partition))
    return values


def evaluate_bag(
    patients: dask.bag.Bag,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
) -> dask.bag.Bag:
    """Evaluate every record of a Dask bag, lazily.

    Args:
        patients: A bag of records, each in any form :func:`lmtx.evaluate` takes.
        as_of: The evaluation date for every record; default: each record's latest date.
        policy: The thresholds the document leaves open, for every record.

    Returns:
        A bag with one :data:`~lmtx.batch.Outcome` per record, partitioned
        like ``patients``, in the same order; ``outcome.index`` is the
        record's position in the whole bag. Nothing runs until it is computed.

    Raises:
        InvalidPatient: When ``as_of`` or ``policy`` is invalid.

    Examples:
        >>> import dask.bag as db
        >>> records = db.from_sequence([{"histology": "sclc"}, {"histology": "lung"}, "{}"], npartitions=2)
        >>> outcomes = evaluate_bag(records).compute(scheduler="synchronous")
        >>> [(outcome.index, outcome.ok) for outcome in outcomes]
        [(0, True), (1, False), (2, False)]
    """
    date, checked = check_arguments(as_of, policy)
    evaluated = per_partition(patients, _evaluate_partition, date, checked)
    result: dask.bag.Bag = _bags.from_delayed(evaluated)
    return result


def evaluate_population(
    patients: Iterable[PatientInput],
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
    *,
    npartitions: int | None = None,
    scheduler: str | None = None,
) -> list[Outcome]:
    """Evaluate a population with Dask and collect the outcomes, in input order.

    Uses the active Dask scheduler (a ``distributed.Client`` if one is set
    up), or ``scheduler`` when given (``"processes"``, ``"sync"``, ...).

    Args:
        patients: The records, each in any form :func:`lmtx.evaluate` takes.
        as_of: The evaluation date for every record.
        policy: The thresholds the document leaves open.
        npartitions: How many pieces to split the population into (default: Dask's choice).
        scheduler: A Dask scheduler name, or ``None`` for the active one.

    Returns:
        One :data:`~lmtx.batch.Outcome` per record, equal to
        ``list(lmtx.evaluate_many(patients, ...))``.

    Raises:
        InvalidPatient: When ``as_of`` or ``policy`` is invalid.
    """
    records = list(patients)
    if not records:
        check_arguments(as_of, policy)
        return []
    bag = _bags.from_sequence(records, npartitions=npartitions)
    evaluated: Any = evaluate_bag(bag, as_of, policy)
    outcomes: list[Outcome] = evaluated.compute(scheduler=scheduler)
    return outcomes

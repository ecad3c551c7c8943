"""A cohort audit on Dask, beyond one machine: ``pip install 'lmtx[dask]'``.

Each partition of a Dask bag of records is audited where it lies, into a
:class:`~lmtx.course.audit.Tally`; the tallies are merged into one
:class:`~lmtx.course.audit.AuditReport`, with the same numbers as
:func:`lmtx.audit` on the same records (record indices count across the
whole bag):

    import dask.bag as db
    from lmtx.course.dask import audit_bag

    records = db.read_text("cohort-*.jsonl").map(str.strip)
    report = audit_bag(records).compute()

As for evaluation (:mod:`lmtx.integrations.dask`), prefer worker processes
with one thread each: durable-rules holds the GIL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

try:
    import dask.bag
    from dask.delayed import delayed
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError("lmtx.course.dask needs the 'dask' extra: pip install 'lmtx[dask]'") from _error

from lmtx._evaluate import PatientInput
from lmtx.batch import check_arguments
from lmtx.course.audit import AuditReport, Tally, audit_one
from lmtx.integrations.dask import per_partition
from lmtx.policy import Policy

__all__ = ["audit_bag", "audit_population"]

_bags: Any = dask.bag  # dask.bag has no type hints: one Any-typed handle


def _tally_partition(records: Sequence[PatientInput], offset: int, as_of: dt.date | None, policy: Policy) -> Tally:
    tally = Tally()
    for position, record in enumerate(records):
        tally.add(audit_one(offset + position, record, as_of, policy))
    return tally


def _report(tallies: Sequence[Tally], policy: Policy) -> AuditReport:
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total.report(policy)


def audit_bag(
    patients: dask.bag.Bag,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
) -> Any:
    """Audit every record of a Dask bag, lazily.

    Args:
        patients: A bag of records, each in any form :func:`lmtx.evaluate` takes.
        as_of: The last day for every record; default: each record's latest date.
        policy: The thresholds the document leaves open, for every record.

    Returns:
        A ``dask.delayed`` object; ``.compute()`` gives the :class:`~lmtx.course.audit.AuditReport`.

    Raises:
        InvalidPatient: When ``as_of`` or ``policy`` is invalid.
    """
    date, checked = check_arguments(as_of, policy)
    tallies = per_partition(patients, _tally_partition, date, checked)
    return delayed(_report, pure=True)(tallies, checked)


def audit_population(
    patients: Iterable[PatientInput],
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
    *,
    npartitions: int | None = None,
    scheduler: str | None = None,
) -> AuditReport:
    """Audit a cohort with Dask and return the report.

    Uses the active Dask scheduler (a ``distributed.Client`` if one is set
    up), or ``scheduler`` when given (``"processes"``, ``"sync"``, ...).

    Args:
        patients: The records, each in any form :func:`lmtx.evaluate` takes.
        as_of: The last day for every record.
        policy: The thresholds the document leaves open.
        npartitions: How many pieces to split the cohort into (default: Dask's choice).
        scheduler: A Dask scheduler name, or ``None`` for the active one.

    Returns:
        The report, equal to ``lmtx.audit(patients, ...)``.

    Raises:
        InvalidPatient: When ``as_of`` or ``policy`` is invalid.
    """
    records = list(patients)
    if not records:
        _, checked = check_arguments(as_of, policy)
        return Tally().report(checked)
    bag = _bags.from_sequence(records, npartitions=npartitions)
    report: AuditReport = audit_bag(bag, as_of, policy).compute(scheduler=scheduler)
    return report

"""A cohort audit: the concordance of many courses, summed per recommendation.

:func:`audit` builds the timeline of every record (in this process or in
worker processes, like :func:`lmtx.evaluate_many`) and counts, for each
recommendation code and action, the episodes by status and the lag from
indication to the start of the therapy, and the starts no recommendation
asked for. Episodes that opened while the patient was applicable only through
brain metastases without a date are counted apart (``undated_basis``) and
left out of the lags: an undated fact taken as known since the first event of
the record makes lags of years that no clinician took. Invalid records are counted and listed, never dropped: every
record is either audited or a failure. :class:`Tally` is the mergeable
accumulator behind it, which the Dask integration (:mod:`lmtx.course.dask`)
sums across partitions to the same numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from lmtx._evaluate import PatientInput
from lmtx.batch import Failed, check_arguments, evaluate_one, lost_outcome, ordered_map
from lmtx.catalogue import CATALOGUE
from lmtx.course.concordance import STATUSES, ConcordanceEntry
from lmtx.course.replay import timeline
from lmtx.errors import InvalidPatient
from lmtx.knowledge import knowledge_base, safety_pack
from lmtx.policy import Policy

if TYPE_CHECKING:
    from lmtx.pool import EvaluationPool

__all__ = ["AuditReport", "Audited", "LagSummary", "RecommendationAudit", "Tally", "audit", "audit_one", "quantile"]

_ACTION_ORDER = ("start", "increase", "switch", "add", "consider")

_EPISODE_STATUSES = tuple(s for s in STATUSES if s != "not-indicated")


@attrs.frozen
class Audited:
    """One record's concordance, as the audit needs it (small enough to travel between processes).

    Attributes:
        index: The record's position in the input (0-based).
        patient_id: The record's ``id``.
        entries: Its concordance entries.
    """

    index: int
    patient_id: str | None
    entries: tuple[ConcordanceEntry, ...]


def audit_one(index: int, patient: PatientInput, as_of: dt.date | None, policy: Policy) -> Audited | Failed:
    """The concordance of one record, or its failure as a value (never raises for a bad record).

    Args:
        index: The record's position.
        patient: The record, in any form :func:`lmtx.evaluate` takes.
        as_of: The last day, or ``None`` for the record's latest date.
        policy: The policy.

    Returns:
        :class:`Audited`, or :class:`~lmtx.batch.Failed` exactly as :func:`lmtx.evaluate_many` reports it.
    """
    try:
        course = timeline(patient, as_of=as_of, policy=policy)
    except InvalidPatient:
        # Report it exactly as a batch does; evaluate() rejects every record the timeline rejects.
        failed = evaluate_one(index, patient, as_of, policy)
        if isinstance(failed, Failed):
            return failed
        return _lost(index, patient, "the timeline rejected a record that evaluate() accepts (a defect in lmtx)")
    except Exception as error:  # noqa: BLE001 - one record's failure must never end the audit
        return _lost(index, patient, f"building the timeline failed: {type(error).__name__}: {error}")
    return Audited(index, course.patient_id, course.concordance)


def quantile(counts: Mapping[int, int], q: float) -> float:
    """The ``q``-quantile of a distribution given as value -> count, by linear interpolation.

    The interpolation between the two nearest ranks is the common default
    (numpy's ``linear``, Hyndman and Fan type 7).

    Args:
        counts: How often each value occurs; at least one value.
        q: The quantile, 0 to 1.

    Returns:
        The quantile.
    """
    values = sorted(counts.items())
    total = sum(count for _, count in values)
    position = q * (total - 1)
    below, fraction = int(position), position - int(position)

    def at(rank: int) -> int:
        seen = 0
        for value, count in values:
            seen += count
            if rank < seen:
                return value
        return values[-1][0]  # pragma: no cover - rank < total always

    low = at(below)
    return low + (at(below + 1) - low) * fraction if fraction else float(low)


@attrs.frozen
class LagSummary:
    """The lag from indication to action of the followed episodes, in days.

    Attributes:
        n: How many followed episodes.
        min: Shortest lag.
        q1: First quartile.
        median: Median.
        q3: Third quartile.
        max: Longest lag.
        distribution: Every lag with how many episodes had it, in increasing lag.
    """

    n: int
    min: int
    q1: float
    median: float
    q3: float
    max: int
    distribution: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, counts: Mapping[int, int]) -> LagSummary | None:
        """The summary of a distribution; ``None`` when it is empty.

        Args:
            counts: Each lag in days with how many episodes had it.

        Returns:
            The summary, or ``None``.
        """
        if not counts:
            return None
        ordered = tuple(sorted(counts.items()))
        return cls(
            n=sum(counts.values()),
            min=ordered[0][0],
            q1=quantile(counts, 0.25),
            median=quantile(counts, 0.5),
            q3=quantile(counts, 0.75),
            max=ordered[-1][0],
            distribution=ordered,
        )


@attrs.frozen
class RecommendationAudit:
    """The episodes of one recommendation code and action across the cohort.

    Attributes:
        code: The recommendation code.
        action: The episode action.
        by_status: Episodes on a dated basis by status (``followed``, ``open``, ``lapsed``), every status present.
        lag_days: The lag of the followed episodes on a dated basis; ``None`` when none was followed.
        undated_basis: Episodes that opened while the patient was applicable only through undated brain
            metastases, by status (every status present), counted apart from ``by_status`` and left out of
            ``lag_days``.
    """

    code: str
    action: str
    by_status: dict[str, int]
    lag_days: LagSummary | None
    undated_basis: dict[str, int] = attrs.Factory(dict)

    @property
    def episodes(self) -> int:
        """Every episode, whatever its status and basis."""
        return sum(self.by_status.values()) + sum(self.undated_basis.values())


@attrs.define
class Tally:
    """The mergeable running sums of an audit (add outcomes, merge tallies, then :meth:`report`)."""

    records: int = 0
    audited: int = 0
    episodes: dict[tuple[str, str], Counter[str]] = attrs.Factory(dict)
    undated: dict[tuple[str, str], Counter[str]] = attrs.Factory(dict)
    lags: dict[tuple[str, str], Counter[int]] = attrs.Factory(dict)
    not_indicated: Counter[str] = attrs.Factory(Counter)
    failures: list[Failed] = attrs.Factory(list)

    def add(self, outcome: Audited | Failed) -> None:
        """Count one record's outcome.

        Args:
            outcome: The record's concordance, or its failure.
        """
        self.records += 1
        if isinstance(outcome, Failed):
            self.failures.append(outcome)
            return
        self.audited += 1
        for entry in outcome.entries:
            if entry.status == "not-indicated" or entry.action is None:
                self.not_indicated[entry.code] += 1
                continue
            key = (entry.code, entry.action)
            if entry.undated_basis:
                self.undated.setdefault(key, Counter())[entry.status] += 1
                continue
            self.episodes.setdefault(key, Counter())[entry.status] += 1
            if entry.lag_days is not None:
                self.lags.setdefault(key, Counter())[entry.lag_days] += 1

    def merge(self, other: Tally) -> Tally:
        """Add another tally's sums to this one.

        Args:
            other: The tally to add (left unchanged).

        Returns:
            This tally.
        """
        self.records += other.records
        self.audited += other.audited
        for key, counts in other.episodes.items():
            self.episodes.setdefault(key, Counter()).update(counts)
        for key, counts in other.undated.items():
            self.undated.setdefault(key, Counter()).update(counts)
        for key, lags in other.lags.items():
            self.lags.setdefault(key, Counter()).update(lags)
        self.not_indicated.update(other.not_indicated)
        self.failures.extend(other.failures)
        return self

    def report(self, policy: Policy | None = None) -> AuditReport:
        """The report of everything counted so far.

        Args:
            policy: The policy the records were evaluated with; the report echoes the packs it
                turned on (the counts are the same with the safety pack on or off: it adds alerts only).
        """
        order = {code: i for i, code in enumerate(CATALOGUE)}
        keys = sorted(
            set(self.episodes) | set(self.undated), key=lambda k: (order.get(k[0], len(order)), _action_rank(k[1]), k)
        )
        kb = knowledge_base()
        return AuditReport(
            records=self.records,
            audited=self.audited,
            failures=tuple(sorted(self.failures, key=lambda f: f.index)),
            recommendations=tuple(
                RecommendationAudit(
                    code,
                    action,
                    {s: self.episodes.get((code, action), Counter())[s] for s in _EPISODE_STATUSES},
                    LagSummary.of(self.lags.get((code, action), Counter())),
                    {s: self.undated.get((code, action), Counter())[s] for s in _EPISODE_STATUSES},
                )
                for code, action in keys
            ),
            not_indicated=dict(sorted(self.not_indicated.items(), key=lambda i: order.get(i[0], len(order)))),
            knowledge_base={
                "id": kb.id,
                "version": kb.version,
                "digest": kb.digest,
                "packs": [attrs.asdict(safety_pack().info)] if policy is not None and policy.safety_pack else [],
            },
        )


def _action_rank(action: str) -> int:
    return _ACTION_ORDER.index(action) if action in _ACTION_ORDER else len(_ACTION_ORDER)


@attrs.frozen
class AuditReport:
    """The concordance of a cohort with the document.

    Attributes:
        records: Every record read (``audited`` + failures).
        audited: Records whose course was built.
        failures: Every record without a course, in input order, with the reason.
        recommendations: Per code and action (catalogue order), the episodes by status and their lag.
        not_indicated: Starts that no recommendation asked for, per code they would have carried out.
        knowledge_base: The knowledge base that judged the cohort (id, version, digest, and the
            packs that were on).
    """

    records: int
    audited: int
    failures: tuple[Failed, ...]
    recommendations: tuple[RecommendationAudit, ...]
    not_indicated: dict[str, int]
    knowledge_base: dict[str, Any]

    @property
    def undated_basis_episodes(self) -> int:
        """Episodes, across every recommendation, that rest on undated brain metastases (counted apart)."""
        return sum(sum(r.undated_basis.values()) for r in self.recommendations)

    @property
    def invalid(self) -> int:
        """Records that are invalid input."""
        return sum(1 for f in self.failures if f.error == "invalid-patient")

    @property
    def internal_errors(self) -> int:
        """Records that met a defect in lmtx."""
        return sum(1 for f in self.failures if f.error == "internal-error")

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-compatible object (the shape is on the "Patient course and audit" page)."""
        return {
            "records": self.records,
            "audited": self.audited,
            "invalid": self.invalid,
            "internal_errors": self.internal_errors,
            "knowledge_base": dict(self.knowledge_base),
            "recommendations": [
                {
                    "code": r.code,
                    "action": r.action,
                    "episodes": r.episodes,
                    "by_status": dict(r.by_status),
                    "lag_days": None if r.lag_days is None else _lag_dict(r.lag_days),
                    "undated_basis": dict(r.undated_basis),
                }
                for r in self.recommendations
            ],
            "not_indicated": dict(self.not_indicated),
            "failures": [f.to_dict() for f in self.failures],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The report as JSON text.

        Args:
            indent: Indentation for pretty printing; ``None`` for one line.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _lag_dict(lag: LagSummary) -> dict[str, Any]:
    return {
        "n": lag.n,
        "min": lag.min,
        "q1": lag.q1,
        "median": lag.median,
        "q3": lag.q3,
        "max": lag.max,
        "distribution": [list(pair) for pair in lag.distribution],
    }


def audit(
    patients: Iterable[PatientInput],
    workers: int | None = None,
    as_of: dt.date | str | None = None,
    policy: Policy | Mapping[str, object] | None = None,
    *,
    chunksize: int | None = None,
    on_record: Callable[[Audited | Failed], None] | None = None,
    pool: EvaluationPool | None = None,
) -> AuditReport:
    """Audit a cohort: the concordance of every record's course, summed per recommendation.

    Args:
        patients: The records, each in any form :func:`lmtx.evaluate` takes, read lazily.
        workers: ``None`` or ``1``: in this process; ``N`` > 1: in ``N`` worker processes,
            as :func:`lmtx.evaluate_many` runs them.
        as_of: The last day for every record; default: each record's latest date.
        policy: The thresholds the document leaves open, for every record.
        chunksize: Records sent to a worker at a time.
        on_record: Called with each record's outcome as it is counted (a progress bar, say).
        pool: An open :class:`~lmtx.pool.EvaluationPool` to build the courses in,
            instead of starting worker processes for this call. Give ``pool``
            or ``workers``, not both.

    Returns:
        The report; ``records`` counts every record, ``failures`` lists every one without a course.

    Raises:
        InvalidPatient: Immediately, when ``as_of`` or ``policy`` is invalid.
        ValueError: When both ``workers`` (above 1) and ``pool`` are given, or ``pool`` is closed.
    """
    if pool is not None and workers not in (None, 1):
        raise ValueError("give workers or pool, not both: a pool has its own workers")
    date, checked = check_arguments(as_of, policy)
    task = functools.partial(audit_one, as_of=date, policy=checked)
    tally = Tally()
    for outcome in ordered_map(task, _lost, patients, workers, chunksize, pool=pool):
        tally.add(outcome)
        if on_record is not None:
            on_record(outcome)
    return tally.report(checked)


def _lost(index: int, patient: PatientInput, message: str) -> Audited | Failed:
    failed = lost_outcome(index, patient, message)
    assert isinstance(failed, Failed)
    return failed

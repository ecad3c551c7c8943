"""The feedback log: CDS Hooks feedback (accepted / overridden cards) appended to a SQLite file.

Append-only: rows are inserted, never updated or deleted, so the log survives
restarts and can be read by any SQLite client. Each row keeps the service, the
card's uuid, the outcome, the accepted suggestions, the override reason, the
client's timestamp, the time the service received it (UTC) and the feedback
item as sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

__all__ = ["FeedbackEntry", "FeedbackStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    service_id TEXT NOT NULL,
    card_uuid TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_timestamp TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    override_reason TEXT,
    raw TEXT NOT NULL
)
"""


@attrs.frozen
class FeedbackEntry:
    """One stored feedback item.

    Attributes:
        id: Row number, in arrival order.
        received_at: When the service stored it (ISO 8601, UTC).
        service_id: The CDS service it was posted to.
        card_uuid: The card's ``uuid``.
        outcome: ``accepted`` or ``overridden``.
        outcome_timestamp: The client's ``outcomeTimestamp``.
        accepted_suggestions: The ids of the accepted suggestions.
        override_reason: The override reason object, when given.
        raw: The feedback item exactly as posted.
    """

    id: int
    received_at: str
    service_id: str
    card_uuid: str
    outcome: str
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...]
    override_reason: Mapping[str, Any] | None
    raw: Mapping[str, Any]


class FeedbackStore:
    """A SQLite feedback log; safe to use from several threads (one connection per call).

    Args:
        path: The SQLite file; created, with its table, when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            with connection:  # commits, or rolls back on error
                yield connection
        finally:
            connection.close()

    def append(self, service_id: str, items: Sequence[Mapping[str, Any]]) -> int:
        """Store validated feedback items (CDS Hooks ``feedback`` array entries).

        Args:
            service_id: The service the feedback was posted to.
            items: The feedback items.

        Returns:
            How many items were stored.
        """
        received = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        rows = [
            (
                received,
                service_id,
                item["card"],
                item["outcome"],
                item["outcomeTimestamp"],
                json.dumps([s["id"] for s in item.get("acceptedSuggestions") or []]),
                json.dumps(item["overrideReason"], sort_keys=True) if "overrideReason" in item else None,
                json.dumps(item, sort_keys=True, ensure_ascii=False),
            )
            for item in items
        ]
        with self._connect() as connection:
            connection.executemany(
                "INSERT INTO feedback (received_at, service_id, card_uuid, outcome, outcome_timestamp, "
                "accepted_suggestions, override_reason, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def entries(self) -> list[FeedbackEntry]:
        """Every stored item, in arrival order."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, received_at, service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions, "
                "override_reason, raw FROM feedback ORDER BY id"
            ).fetchall()
        return [
            FeedbackEntry(
                id=row[0],
                received_at=row[1],
                service_id=row[2],
                card_uuid=row[3],
                outcome=row[4],
                outcome_timestamp=row[5],
                accepted_suggestions=tuple(json.loads(row[6])),
                override_reason=json.loads(row[7]) if row[7] is not None else None,
                raw=json.loads(row[8]),
            )
            for row in rows
        ]

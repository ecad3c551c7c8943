"""An opt-in, bounded cache of evaluation results for repeated views of one record.

EHRs re-evaluate the same patient on every chart view. A :class:`ResultCache`
passed to :func:`lmtx.evaluate` returns the earlier result when the *validated*
record, the evaluation date, the policy and the knowledge base are all the
same: the key is a SHA-256 of the canonical JSON of the record (keys sorted,
lists in a canonical order, so a permuted record hits too), the resolved
``as_of``, the policy and the knowledge-base digest. A changed record, date,
policy or rule base therefore never gets a stale or foreign result. Input is
validated on every call, hit or miss, so invalid input still raises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from lmtx import _codec
from lmtx.model import Patient
from lmtx.policy import Policy
from lmtx.result import Result

__all__ = ["ResultCache"]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


class ResultCache:
    """A thread-safe LRU cache of :class:`~lmtx.result.Result` objects.

    Args:
        maxsize: How many results to keep (least recently used go first).

    Raises:
        ValueError: When ``maxsize`` is not a positive whole number.

    Example:
        >>> import lmtx
        >>> cache = lmtx.ResultCache(maxsize=256)
        >>> first = lmtx.evaluate({"histology": "sclc"}, cache=cache)
        >>> lmtx.evaluate({"histology": "sclc"}, cache=cache) is first
        True
    """

    def __init__(self, maxsize: int = 1024) -> None:
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"maxsize must be a positive whole number, got {maxsize!r}")
        self.maxsize = maxsize
        self._results: OrderedDict[str, Result] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(patient: Patient, as_of: dt.date | None, policy: Policy, digest: str) -> str:
        """The cache key of one evaluation (see the module docstring).

        Args:
            patient: The validated record.
            as_of: The resolved evaluation date.
            policy: The evaluation policy.
            digest: The knowledge base's digest.
        """
        payload = {
            "patient": _canonical(_codec.unstructure_patient(patient)),
            "as_of": as_of.isoformat() if as_of else None,
            "policy": policy.to_dict(),
            "knowledge_base": digest,
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> Result | None:
        """The cached result for ``key``, if any (counts a hit or a miss)."""
        with self._lock:
            result = self._results.get(key)
            if result is None:
                self.misses += 1
                return None
            self._results.move_to_end(key)
            self.hits += 1
            return result

    def put(self, key: str, result: Result) -> None:
        """Keep ``result`` under ``key``, evicting the least recently used beyond ``maxsize``."""
        with self._lock:
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self.maxsize:
                self._results.popitem(last=False)

    def clear(self) -> None:
        """Forget every result and reset the counters."""
        with self._lock:
            self._results.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._results)

"""Call counters for ``GET /_admin/counters``: calls per operation, 429s and 5xx served, per subscription,
rows answered (Resource Graph queries, by operation),
and a timeline (calls per real second since the last reset, by subscription and throttling bucket, with the
429s of each second) that benchmarks plot against ARM's limits."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any


class Counters:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.server_errors: Counter[str] = Counter()
        self.by_subscription: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.by_correlation: Counter[str] = Counter()  # calls per x-ms-correlation-request-id the caller sent
        self.rows: Counter[str] = Counter()  # rows answered by operation (Resource Graph pages)
        self.timeline: Counter[tuple[int, str, str]] = Counter()  # (second, subscription, bucket or "429")
        self.started = now()

    def record(self, operation_id: str, subscription: str | None, status: int, bucket: str = "") -> None:
        self.calls[operation_id] += 1
        sub = (subscription or "-").lower()
        per_sub = self.by_subscription[sub]
        per_sub["calls"] += 1
        per_sub[f"calls:{operation_id}"] += 1
        second = int(self._now() - self.started)
        self.timeline[(second, sub, bucket or "other")] += 1
        if status == 429:
            self.throttled[operation_id] += 1
            per_sub["throttled"] += 1
            self.timeline[(second, sub, "429")] += 1
        elif status >= 500:
            self.server_errors[operation_id] += 1
            per_sub["server_errors"] += 1

    def correlated(self, correlation_id: str) -> None:
        self.by_correlation[correlation_id] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "total_calls": sum(self.calls.values()),
            "throttled": dict(self.throttled),
            "total_throttled": sum(self.throttled.values()),
            "server_errors": dict(self.server_errors),
            "total_server_errors": sum(self.server_errors.values()),
            "subscriptions": {k: dict(v) for k, v in self.by_subscription.items()},
            "correlations": dict(self.by_correlation),
            "rows": dict(self.rows),
            "timeline": [
                {"second": second, "subscription": sub, "bucket": bucket, "count": count}
                for (second, sub, bucket), count in sorted(self.timeline.items())
            ],
        }

    def clear(self) -> None:
        self.calls.clear()
        self.throttled.clear()
        self.server_errors.clear()
        self.by_subscription.clear()
        self.by_correlation.clear()
        self.rows.clear()
        self.timeline.clear()
        self.started = self._now()

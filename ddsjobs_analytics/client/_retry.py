"""Retry policy (exponential backoff with full jitter, ``Retry-After``) and the client-side rate limiter."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = ["RateLimiter", "RetryPolicy", "parse_retry_after"]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait per ``Retry-After`` (delta-seconds or HTTP date); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before retry ``attempt`` (0-based).

    Full jitter (uniform in ``[0, min(cap, base·2^attempt)]``) spreads concurrent clients apart after a
    shared throttle; a server's ``Retry-After`` wins when present (capped by ``retry_after_cap``).
    ``scale`` multiplies every wait and ``sleep`` replaces ``asyncio.sleep`` — both exist so tests run fast.
    """

    base: float = 0.5
    cap: float = 30.0
    retry_after_cap: float = 300.0
    scale: float = 1.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            wait = min(retry_after, self.retry_after_cap)
        else:
            wait = self.rng.uniform(0.0, min(self.cap, self.base * 2.0**attempt))
        return wait * self.scale


class RateLimiter:
    """At most ``rate`` request starts in any one-second window, shared by every concurrent request.

    Starts are spaced evenly ``1/rate`` apart (a leaky bucket without burst), plus a ``guard`` fraction so
    that scheduling jitter between client and server cannot let ``rate + 1`` requests land in one second.
    Slots are reserved under a thread lock, so one limiter may serve several event loops.
    """

    def __init__(
        self, rate: float, *, guard: float = 0.05, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate_limit must be a positive number of requests per second, got {rate!r}")
        self.rate = float(rate)
        self.interval = (1.0 + guard) / self.rate
        self._clock = clock
        self._next_slot = float("-inf")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g}/s)"

    def reserve(self) -> float:
        """Reserve the next start slot; the seconds to wait until it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        return slot - now

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

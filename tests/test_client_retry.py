"""Retry delays (full jitter, Retry-After) and the client-side rate limiter."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timezone

import pytest

from ddsjobs_analytics.client import RateLimiter, RetryPolicy
from ddsjobs_analytics.client._retry import parse_retry_after


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 11, 29, 6, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("Sun, 29 Nov 2026 06:00:07 GMT", now) == 7.0
    assert parse_retry_after("Sun, 29 Nov 2026 05:59:00 GMT", now) == 0.0  # in the past: go now
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None


def test_full_jitter_draws_uniformly_below_the_capped_exponential():
    policy = RetryPolicy(base=0.5, cap=30.0, rng=random.Random(7))
    mirror = random.Random(7)
    for attempt in range(10):
        ceiling = min(30.0, 0.5 * 2**attempt)
        assert policy.delay(attempt) == mirror.uniform(0.0, ceiling)


def test_retry_after_wins_capped_and_everything_scales():
    policy = RetryPolicy(retry_after_cap=60.0, scale=0.01)
    assert policy.delay(0, retry_after=2.0) == pytest.approx(0.02)
    assert policy.delay(3, retry_after=600.0) == pytest.approx(0.6)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_spaces_starts_and_never_admits_rate_plus_one_per_second():
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock)
    starts = []
    for _ in range(100):  # 100 callers arrive at once; each starts when its reserved slot comes
        starts.append(clock.now + limiter.reserve())
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(1.05 / 20)
    # Sliding one-second windows starting at every start: never more than 20 starts.
    assert max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts) == 20


def test_rate_limiter_idle_time_is_not_banked_as_a_burst():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert limiter.reserve() == 0.0
    clock.now += 60.0  # a long pause
    waits = [limiter.reserve() for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.105, 0.21])


def test_rate_limiter_rejects_nonsense():
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)

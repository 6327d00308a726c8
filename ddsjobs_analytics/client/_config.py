"""The client's settings in one frozen object, like httpx's ``_config`` (``Timeout``, ``Limits``).

``TaskCenter``, ``AsyncTaskCenter``, ``from_env`` and ``fetch_many``'s sibling clients all build or share one
``ClientSettings``; nothing else spells the options out again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._retry import RateLimiter, RetryPolicy

__all__ = ["ClientSettings"]

MB = 1024 * 1024


@dataclass(frozen=True)
class ClientSettings:
    """How the client talks to the task center (everything but where and who).

    ``timeout``: seconds per network operation (connect, each read); ``deadline``: seconds for a whole
    request, headers and body (default ``3 × timeout``), so a server trickling bytes cannot hold a call;
    ``max_response_bytes``: a larger body is aborted while streaming (``ProtocolError``);
    ``max_retry_after``: a longer ``Retry-After`` is not waited for (``ThrottledError`` with the server's
    value); ``max_retries``, ``retry``: what is retried and the backoff; ``max_concurrency``: requests in
    flight; ``rate_limit``: request starts per second (a number or a shared ``RateLimiter``);
    ``max_pages``: ListTasks pages per 30-day window before the listing is refused as endless;
    ``progress``: a tqdm bar on long calls; ``transport``: replaces the network (tests).
    """

    timeout: float = 30.0
    deadline: float | None = None
    max_response_bytes: int = 32 * MB
    max_retry_after: float = 60.0
    max_retries: int = 5
    max_concurrency: int = 8
    rate_limit: RateLimiter | float | None = None
    max_pages: int = 20_000
    progress: bool = True
    transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        _positive("timeout", self.timeout)
        if self.deadline is None:
            object.__setattr__(self, "deadline", 3.0 * self.timeout)
        _positive("deadline", self.deadline)
        _positive("max_response_bytes", self.max_response_bytes)
        if not self.max_retry_after >= 0:
            raise ValueError(f"max_retry_after must be 0 or more, got {self.max_retry_after!r}")
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries!r}")
        if not isinstance(self.max_concurrency, int) or self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {self.max_concurrency!r}")
        if not isinstance(self.max_pages, int) or self.max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {self.max_pages!r}")
        if isinstance(self.rate_limit, (int, float)) and not isinstance(self.rate_limit, bool):
            object.__setattr__(self, "rate_limit", RateLimiter(self.rate_limit))
        if self.retry is None:
            object.__setattr__(self, "retry", RetryPolicy())

    @property
    def request_deadline(self) -> float:
        """``deadline`` as a number (``__post_init__`` filled it in)."""
        assert self.deadline is not None
        return self.deadline

    @property
    def limiter(self) -> RateLimiter | None:
        assert not isinstance(self.rate_limit, (int, float))
        return self.rate_limit

    def replace(self, **changes: Any) -> ClientSettings:
        """A copy with ``changes`` (a ``deadline`` left at its default follows a new ``timeout``)."""
        if "timeout" in changes and "deadline" not in changes and self.deadline == 3.0 * self.timeout:
            changes["deadline"] = None
        return dataclasses.replace(self, **changes)


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def settings_fields() -> frozenset[str]:
    """The keyword arguments a client accepts as settings."""
    return frozenset(f.name for f in dataclasses.fields(ClientSettings))

"""Batches: many requests with at most ``limit`` in flight, and the jobs of a batch with its failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ._errors import AuthError, TaskCenterError

__all__ = ["JobBatch", "map_bounded"]

T = TypeVar("T")
R = TypeVar("R")


class JobBatch(list[dict[str, Any]]):
    """The jobs a batch returned, in request order, and ``failures``: job id → the error it raised."""

    def __init__(
        self, jobs: Sequence[dict[str, Any]] = (), failures: dict[str, TaskCenterError] | None = None
    ) -> None:
        super().__init__(jobs)
        self.failures: dict[str, TaskCenterError] = failures or {}

    def __repr__(self) -> str:
        return f"JobBatch({len(self)} jobs, {len(self.failures)} failures)"

    def summary(self) -> str:
        """One line naming the failed ids by error class (for warnings and logs)."""
        by_kind: dict[str, list[str]] = {}
        for job_id, error in self.failures.items():
            by_kind.setdefault(type(error).__name__, []).append(job_id)
        parts = [
            f"{kind} for {len(ids)} ({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''})"
            for kind, ids in by_kind.items()
        ]
        return f"{len(self.failures)} of {len(self) + len(self.failures)} job ids failed: " + "; ".join(parts)


async def map_bounded(
    func: Callable[[T], Awaitable[R]], items: Sequence[T], limit: int
) -> list[R | TaskCenterError]:
    """``func`` over ``items`` with at most ``limit`` running, in order; a TaskCenterError is kept as the
    item's result, except AuthError (every other item would fail the same way), which cancels the rest."""
    results: list[R | TaskCenterError | None] = [None] * len(items)
    queue = iter(enumerate(items))

    async def worker() -> None:
        for index, item in queue:
            try:
                results[index] = await func(item)
            except AuthError:
                raise
            except TaskCenterError as error:
                results[index] = error

    tasks = [asyncio.ensure_future(worker()) for _ in range(max(1, min(limit, len(items))))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return results  # type: ignore[return-value]  # every slot was filled by a worker

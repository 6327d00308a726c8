"""Connection pools: ``max_concurrency`` connections over a few small cookieless httpx clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

__all__ = ["ShardedClients"]


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _CookielessClient(httpx.AsyncClient):
    """The task center sets no cookies; skipping httpx's cookie jar saves a good share of the per-request CPU
    (it builds a ``urllib`` request for every response), which matters at hundreds of requests a second."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, value: object) -> None:
        return None


_CONNECTIONS_PER_SHARD = 4


class ShardedClients:
    """``max_concurrency`` connections split over several small httpx clients.

    httpcore's pool rescans every connection (a socket poll each) whenever a request starts or ends, which
    costs more CPU than the request itself at 16 connections; pools of four keep that scan short. Each
    request goes to the least busy shard, so with at most ``max_concurrency`` requests in flight (the
    core's semaphore) a shard always has a free connection.
    """

    def __init__(self, concurrency: int, **client_options: Any) -> None:
        sizes = [_CONNECTIONS_PER_SHARD] * (concurrency // _CONNECTIONS_PER_SHARD)
        if concurrency % _CONNECTIONS_PER_SHARD:
            sizes.append(concurrency % _CONNECTIONS_PER_SHARD)
        # One TLS context for all shards: building one reads the CA bundle (tens of milliseconds).
        client_options.setdefault("verify", httpx.create_ssl_context())
        self._clients = [
            _CookielessClient(
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size), **client_options
            )
            for size in sizes
        ]
        self._capacity = sizes
        self._busy = [0] * len(sizes)

    @asynccontextmanager
    async def stream(self, url: httpx.URL) -> AsyncIterator[httpx.Response]:
        """GET ``url`` on the least busy shard; the body is read by the caller (within its limits)."""
        shard = min(range(len(self._clients)), key=lambda i: self._busy[i] / self._capacity[i])
        self._busy[shard] += 1
        try:
            async with self._clients[shard].stream("GET", url) as response:
                yield response
        finally:
            self._busy[shard] -= 1

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients))

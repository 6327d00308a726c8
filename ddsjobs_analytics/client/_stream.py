"""Every response body read within a cap, decompressed in bounded steps.

httpx decompresses a whole network chunk at once (a 64 KiB chunk of a gzip bomb is 64 MiB of text) and reads
bodies whole where it reads them itself (an auth flow's responses, IAM's token reply included). So the
client's httpx clients get a response hook that swaps each response's stream for one that does the decoding
itself, at most ``_PIECE`` bytes per step, and stops with :class:`BodyTooLarge` once the decoded body passes
the cap; the response then carries no ``Content-Encoding`` for httpx to undo again. Only ``gzip`` and
``deflate`` are asked for (``Accept-Encoding``) or accepted.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

import httpx

from ._errors import ProtocolError

__all__ = ["ACCEPT_ENCODING", "BodyTooLarge", "cap_response", "capping_hook"]

ACCEPT_ENCODING = "gzip, deflate"
_PIECE = 256 * 1024  # decoded bytes produced per decompression step
_GZIP = zlib.MAX_WBITS | 16
_ENCODINGS = {"": None, "identity": None, "gzip": _GZIP, "x-gzip": _GZIP, "deflate": zlib.MAX_WBITS}


class BodyTooLarge(Exception):
    """A body passed its cap while being read (turned into a ProtocolError by the caller)."""

    def __init__(self, size: int, where: str = "") -> None:
        super().__init__(size)
        self.size = size
        self.where = where


class _Inflater:
    """zlib decoding in steps of at most ``_PIECE`` output bytes (``deflate`` with or without its header)."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._z = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._z.eof:
            try:
                out = self._z.decompress(data, _PIECE)
            except zlib.error as error:
                if not self._started and self._wbits == zlib.MAX_WBITS:  # a raw deflate stream
                    self._wbits, self._z = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise httpx.DecodingError(f"the body is not valid compressed data ({error})") from None
            self._started = True
            if out:
                yield out
            data = self._z.unconsumed_tail


def _decoded(chunks: Iterable[bytes], wbits: int | None, cap: int, where: str) -> Iterator[bytes]:
    inflater = _Inflater(wbits) if wbits is not None else None
    size = 0
    for chunk in chunks:
        for piece in inflater.feed(chunk) if inflater else (chunk,):
            size += len(piece)
            if size > cap:
                raise BodyTooLarge(size, where)
            yield piece


class _CappedAsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, wbits: int | None, cap: int, where: str) -> None:
        self._inner, self._wbits, self._cap, self._where = inner, wbits, cap, where

    async def __aiter__(self) -> AsyncIterator[bytes]:
        inflater = _Inflater(self._wbits) if self._wbits is not None else None
        size = 0
        async for chunk in self._inner:
            for piece in inflater.feed(chunk) if inflater else (chunk,):
                size += len(piece)
                if size > self._cap:
                    raise BodyTooLarge(size, self._where)
                yield piece

    async def aclose(self) -> None:
        await self._inner.aclose()


class _CappedSyncStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, wbits: int | None, cap: int, where: str) -> None:
        self._inner, self._wbits, self._cap, self._where = inner, wbits, cap, where

    def __iter__(self) -> Iterator[bytes]:
        yield from _decoded(self._inner, self._wbits, self._cap, self._where)

    def close(self) -> None:
        self._inner.close()


def cap_response(response: httpx.Response, cap: int) -> None:
    """Make ``response`` decode its own body within ``cap`` bytes (idempotent; before anything reads it).

    A declared ``Content-Length`` over the cap raises BodyTooLarge at once; an encoding other than gzip or
    deflate is a ProtocolError.
    """
    if isinstance(response.stream, (_CappedAsyncStream, _CappedSyncStream)):
        return
    where = f"{response.request.method} {response.request.url}"
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge(int(declared), where)
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in _ENCODINGS:
        raise ProtocolError(
            f"{where} -> HTTP {response.status_code} with Content-Encoding {encoding[:40]!r}, which was not "
            f"asked for (only {ACCEPT_ENCODING})",
            status=response.status_code,
            method=response.request.method,
            url=str(response.request.url),
        )
    wbits = _ENCODINGS[encoding]
    if isinstance(response.stream, httpx.AsyncByteStream):
        response.stream = _CappedAsyncStream(response.stream, wbits, cap, where)
    elif isinstance(response.stream, httpx.SyncByteStream):
        response.stream = _CappedSyncStream(response.stream, wbits, cap, where)
    else:  # pragma: no cover - httpx always sets one of the two
        return
    if "Content-Encoding" in response.headers:
        del response.headers["Content-Encoding"]  # decoded here; httpx must not decode again


def capping_hook(cap: int) -> Callable[[httpx.Response], Awaitable[None]]:
    """An ``event_hooks["response"]`` entry applying :func:`cap_response` to every response."""

    async def hook(response: httpx.Response) -> None:
        cap_response(response, cap)

    return hook

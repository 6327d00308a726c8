"""What the simulated service receives and sends, independent of sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["Reply", "Request", "RequestRecord"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query_string: str
    header: Callable[[str], str | None]
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)


@dataclass
class Reply:
    """What to send: a JSON reply (or ``raw`` bytes), or ``drop`` (close without answering), after
    ``delay_s``; ``trickle`` ("body"/"headers"), ``endless``, ``huge``, a ``reason`` phrase of its own,
    ``chunks`` sent chunked without the last chunk, and a body ``cut_at`` a byte count are misbehaviours."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay_s: float = 0.0
    raw: bytes | None = None
    content_type: str = "application/json;charset=UTF-8"
    trickle: str | None = None
    endless: bool = False
    huge: bool = False
    reason: str | None = None
    chunks: list[bytes] | None = None
    cut_at: int | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        text = json.dumps(self.body, ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only its \u escape can travel
            return json.dumps(self.body).encode("ascii")


@dataclass(frozen=True)
class RequestRecord:
    """One served request, for assertions: no header, so no secret, is kept."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int | None
    fault: str | None = None

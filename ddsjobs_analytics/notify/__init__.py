"""Chat notifications: one backend per module (Slack, Feishu/Lark, DingTalk, WeCom, a generic JSON webhook)
on a small base (:mod:`._base`) that declares each platform's limits, cuts long messages, retries and redacts.

Importing this package is cheap (no httpx): the backends are imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._kinds import KINDS

if TYPE_CHECKING:
    from ._base import DeliveryError, Notifier
    from ._message import Message

__all__ = ["KINDS", "DeliveryError", "Message", "Notifier", "notifier_class"]

_LAZY = {"DeliveryError": "_base", "Notifier": "_base", "Message": "_message"}


def notifier_class(kind: str) -> type[Notifier]:
    """The backend class of ``kind`` (one of ``KINDS``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notifier kind {kind!r}; expected one of {', '.join(KINDS)}")
    module, _, name = KINDS[kind].partition(":")
    cls: type[Notifier] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return cls


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

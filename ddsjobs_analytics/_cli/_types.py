"""Argument types of the ``ddsjobs`` parser: times and ages, paths, and checks that import lazily.

Each turns a bad value into ``argparse.ArgumentTypeError``, i.e. a two-line usage error (exit 2), never a
traceback: ``--since 99999999999d`` overflows and says so. Standard library only (``--help`` stays cheap).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["parse_since"]


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``"30d"``, ``"12h"``, ``"90m"``, ``"2w"`` or an ISO date/time → the UTC start of the window."""
    from ddsjobs_analytics._core._time import parse_moment

    try:
        return parse_moment(value, now=now, what="--since").to_pydatetime()
    except OverflowError as exc:  # 99999999999d: out of range, not a traceback
        raise argparse.ArgumentTypeError(f"{value!r} is out of range") from exc
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _moment(option: str) -> Callable[[str], str]:
    """An argparse type that checks a time or age now, and keeps the text: ages are resolved against the
    source's own clock (the sample's end for the sample)."""

    def check(value: str) -> str:
        try:
            parse_since(value)
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(str(exc).replace("--since", option)) from None
        return value

    return check


def _path(value: str) -> Path:
    """A path option: ``~`` expanded (a quoted ``'~/rep'`` reaches us unexpanded)."""
    return Path(value).expanduser()


def _checked(module: str, function: str) -> Callable[[str], Any]:
    """An argparse type that calls ``module.function`` when the option is given, so ``--help`` imports
    nothing heavy; its ValueError becomes a usage error (exit 2)."""

    def check(value: str) -> Any:
        import importlib

        try:
            return getattr(importlib.import_module(f"ddsjobs_analytics.{module}"), function)(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return check

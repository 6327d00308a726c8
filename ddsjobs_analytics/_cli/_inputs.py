"""Options of the commands that read job files (``report``, ``check``), kept apart from the parser module."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_assume_tz"]


def add_assume_tz(parser: argparse.ArgumentParser) -> None:
    """``--assume-tz TZ``: the zone of input times written without a UTC offset (see ``jobs_frame``)."""
    parser.add_argument(
        "--assume-tz",
        type=_zone,
        default=None,
        metavar="TZ",
        help="zone of input times written without a UTC offset and without a utc_offset column (a CSV "
        "re-saved by Excel), e.g. Asia/Shanghai or +08:00; without it such input is refused",
    )


def _zone(value: str) -> Any:
    """The zone, resolved only when the option is given (``--help`` imports nothing heavy)."""
    from .._core._calendar import resolve_tz

    try:
        return resolve_tz(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None

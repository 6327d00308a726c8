"""The fingerprint of a message: its digits and hex ids as zeros (the key of the tokenising caches)."""

from __future__ import annotations

import re

__all__ = ["fingerprint"]

# Digits 1-9 as 1, and 0 kept: "0x1f" is a hex literal, "1x1f" is not.
_ONES = str.maketrans("23456789", "11111111")
_HEX_ZEROS = str.maketrans("123456789abcdefABCDEF", "0" * 21)
_HEX_RUN = re.compile(r"[0-9A-Fa-f][0-9A-Fa-f-]{4,}[0-9A-Fa-f]")


def _zero_hex(match: re.Match[str]) -> str:
    run = match.group(0)
    return run.translate(_HEX_ZEROS) if _DIGIT.search(run) else run


_DIGIT = re.compile(r"\d")


def fingerprint(message: str) -> str:
    """``message`` with every digit 1-9 as 1, and every run of 6+ hex digits and hyphens holding a digit as
    zeros.

    Messages with one fingerprint differ only in numbers and ids; they are tokenised once, through the
    smallest of them. This is what keeps the cost per distinct message low when almost every message is
    distinct (each carries its own ids).
    """
    if not _DIGIT.search(message):
        return message
    return _HEX_RUN.sub(_zero_hex, message).translate(_ONES)

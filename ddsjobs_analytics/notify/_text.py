"""Plain-text and markdown pieces the backends share (no HTTP here)."""

from __future__ import annotations

from collections.abc import Sequence

from ._message import Message

__all__ = ["bullet_list", "markdown_body", "more_note", "plain_body"]


def more_note(more: int) -> str:
    return f"… and {more} more" if more else ""


def bullet_list(findings: Sequence[str], more: int) -> str:
    """``- finding`` lines, then ``… and N more`` when the list was cut."""
    lines = [f"- {line}" for line in findings]
    if more:
        lines.append(more_note(more))
    return "\n".join(lines)


def markdown_body(message: Message, findings: Sequence[str], more: int, *, heading: str = "###") -> str:
    """Title as a heading, the context, the findings as a list, the report link."""
    parts = [f"{heading} {message.title}", message.context]
    if findings or more:
        parts.append(bullet_list(findings, more))
    if message.link:
        parts.append(f"[Open the report]({message.link})")
    return "\n\n".join(part for part in parts if part)


def plain_body(message: Message, findings: Sequence[str], more: int) -> str:
    parts = [message.title, message.context, bullet_list(findings, more)]
    if message.link:
        parts.append(f"Report: {message.link}")
    return "\n\n".join(part for part in parts if part)

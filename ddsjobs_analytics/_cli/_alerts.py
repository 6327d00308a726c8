"""What ``check`` takes from the configuration: its rules, its time zone and where to send the verdict.

One message per run, sent after the verdict is printed, only when something is flagged (exit 1) or when
``--notify-always`` asks for a digest. A delivery failure is reported on stderr and never changes the exit
code: the verdict is the data's, not the chat's.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._console import terminal_safe

if TYPE_CHECKING:
    from ..config import Config, NotifyConfig
    from ..notify import Message

__all__ = ["OnCall", "check_message", "on_call"]

EXIT_REGRESSION = 1


@dataclass
class OnCall:
    """The configuration's part in one ``check`` run; ``collect`` is ``run_check``'s ``on_result``."""

    config: Config
    destinations: tuple[NotifyConfig, ...] = ()
    always: bool = False
    sources: str = "the data read"
    payload: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def rules(self) -> tuple[Any, ...]:
        return self.config.rules

    def collect(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def deliver(self, code: int, *, verbosity: int = 0) -> list[str]:
        """Post one message to each destination when flagged (or always); returns the names delivered to.
        Never raises: each failure is one line on stderr."""
        if self.payload is None or not self.destinations or (code != EXIT_REGRESSION and not self.always):
            return []
        from ..notify import notifier_class

        message = check_message(self.payload, self.config, sources=self.sources)
        delivered = []
        for entry in self.destinations:
            try:
                secret = entry.secret.reveal() if entry.secret is not None else None
                notifier = notifier_class(entry.kind)(
                    entry.url.reveal(), secret=secret, msg_type=entry.msg_type
                )
                with notifier:
                    notifier.send(message)
                delivered.append(entry.name)
            except Exception as exc:  # any failure: reported, never the exit code
                text = terminal_safe(f"{type(exc).__name__}: {exc}", one_line=True)
                print(f"ddsjobs check: notify {entry.name} ({entry.kind}) failed: {text}", file=sys.stderr)
        if delivered and verbosity >= 1:
            print(f"ddsjobs check: notified {', '.join(delivered)}", file=sys.stderr)
        return delivered


def on_call(args: argparse.Namespace) -> OnCall:
    """Read the configuration and pick the destinations: ``--notify NAME`` (repeatable), else every
    ``[[notify]]`` entry of the file."""
    from ._config import config_for

    config = config_for(args)
    names = getattr(args, "notify", None) or []
    destinations = tuple(config.destination(name) for name in names) if names else config.notify
    always = bool(getattr(args, "notify_always", False))
    return OnCall(config, destinations, always=always, sources=_sources(args, config))


def _sources(args: argparse.Namespace, config: Config) -> str:
    """What the verdict covers, for the message: the files, the archive, or the targets."""
    if getattr(args, "inputs", None):
        return "files " + ", ".join(path.name for path in args.inputs)
    if getattr(args, "archive", None) is not None:
        return f"archive {args.archive}"
    targets = list(getattr(args, "target", None) or []) or [target.label for target in config.targets]
    if not targets and getattr(args, "region", None):
        targets = [f"{args.region}:{getattr(args, 'project_id', None) or '?'}"]
    return "targets " + ", ".join(targets) if targets else "the data read"


def check_message(payload: dict[str, Any], config: Config, *, sources: str = "the data read") -> Message:
    """The chat message of a ``check`` payload: the targets and period, the findings, the report link."""
    from ..notify import Message

    flagged = payload["exit_code"] == EXIT_REGRESSION
    count = len(payload["findings"])
    title = (
        f"ddsjobs check: {count} finding{'s' if count != 1 else ''}"
        if flagged
        else "ddsjobs check: all clear"
    )
    current, baseline = payload["current"], payload["baseline"]
    context = (
        f"Checked {sources}. Current {current['start']} → {current['end']}, "
        f"baseline from {baseline['start']}."
    )
    return Message(
        title=title,
        context=context,
        findings=tuple(payload["findings"]),
        link=config.report_url,
        flagged=flagged,
        payload=payload,
    )

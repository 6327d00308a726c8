"""``ddsjobs config check``: read the configuration file and print what it resolved (secrets as set/unset)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ._console import terminal_safe

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["config_for", "describe_config", "run_config"]

EXIT_OK, EXIT_USAGE = 0, 2


def config_for(args: argparse.Namespace) -> Config:
    """The configuration a command uses: ``--config``, ``$DDSJOBS_CONFIG`` or ./ddsjobs.toml; the empty
    configuration when none exists."""
    from ..config import Config, find_config, load_config

    path = find_config(getattr(args, "config", None))
    return Config() if path is None else load_config(path)


def _limit(name: str, value: float) -> str:
    from .._core._format import format_duration

    if name == "max_failure_rate":
        return f"{name} {value:.2%}"
    if name in ("max_p50", "max_p95"):
        return f"{name} {format_duration(value)} ({value:g} s)"
    return f"{name} {value}"


def describe_config(config: Config) -> str:
    """The resolved configuration, one fact per line; secrets appear as ``env:NAME set/unset`` only."""
    lines = [f"config: {config.path or '(none found; defaults)'}", f"tz: {config.tz or 'UTC (default)'}"]
    if config.report_url:
        lines.append(f"report_url: {config.report_url}")
    lines.append(f"targets ({len(config.targets)}):")
    lines += [f"  {target.label}" for target in config.targets]
    lines.append(f"rules ({len(config.rules)}):")
    for rule in config.rules:
        limits = ", ".join(_limit(name, value) for name, value in rule.limits.items())
        gate = f", min_jobs {rule.min_jobs}" if rule.min_jobs is not None else ""
        lines.append(f"  {rule.label}: {limits}{gate}")
    lines.append(f"notify ({len(config.notify)}):")
    for entry in config.notify:
        parts = [f"  {entry.name}: {entry.kind}", f"url {entry.url}"]
        if entry.secret is not None:
            parts.append(f"secret {entry.secret}")
        if entry.msg_type:
            parts.append(f"msg_type {entry.msg_type}")
        lines.append(", ".join(parts))
    return "\n".join(lines)


def run_config(args: argparse.Namespace) -> int:
    """Exit 0 when the file is valid (unset secrets are listed, not errors), 2 when invalid or missing."""
    from ..config import ConfigError, find_config, load_config

    try:
        path = find_config(args.config)
        if path is None:
            raise ConfigError(
                "no configuration file: pass --config, set $DDSJOBS_CONFIG or create ./ddsjobs.toml"
            )
        text = describe_config(load_config(path))
    except ConfigError as exc:
        print(f"ddsjobs config: {terminal_safe(str(exc), one_line=True)}", file=sys.stderr)
        return EXIT_USAGE
    if args.verbosity >= 0:
        print(terminal_safe(text))
    return EXIT_OK

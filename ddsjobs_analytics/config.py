"""``ddsjobs.toml`` → a frozen :class:`Config`: targets, time zone, absolute rules and notify destinations.

The only TOML reader of the package. The file is found explicitly (``--config``), through ``DDSJOBS_CONFIG``,
or as ``./ddsjobs.toml``. Secrets never live in it: any string may read ``env:NAME`` to take the variable
``NAME``, and webhook ``url`` and ``secret`` must. An unknown key or a wrong type is a :class:`ConfigError`
naming the file, the line and the key. Environment variables are read once, here, at the edge.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._rules._rule import RULE_KEYS, Rule
from .notify._kinds import KINDS, MSG_TYPES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "Config",
    "ConfigError",
    "NotifyConfig",
    "Secret",
    "Target",
    "find_config",
    "load_config",
]

DEFAULT_CONFIG_NAME = "ddsjobs.toml"
CONFIG_ENV = "DDSJOBS_CONFIG"
ENV_PREFIX = "env:"

_TOP_KEYS = ("tz", "report_url", "targets", "rules", "notify")
_TARGET_KEYS = ("region", "project_id")
_NOTIFY_KEYS = ("name", "kind", "url", "secret", "msg_type")
_SECRET_KEYS = ("url", "secret")  # must be env:NAME
_DURATION_KEYS = ("max_p50", "max_p95")


class ConfigError(ValueError):
    """A configuration file that cannot be used: ``file:line: key: problem``."""


@dataclass(frozen=True)
class Secret:
    """A value taken from the environment variable ``env`` when the file was loaded; never shown."""

    env: str
    value: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_set(self) -> bool:
        return bool(self.value)

    def reveal(self) -> str:
        """The value, for the one place that sends it; an unset variable is an error naming it."""
        if not self.value:
            raise ConfigError(f"environment variable {self.env} is not set")
        return self.value

    def __repr__(self) -> str:
        return f"Secret(env:{self.env}, {'set' if self.is_set else 'unset'})"

    __str__ = __repr__


@dataclass(frozen=True)
class Target:
    """One task-center target: a region and a project."""

    region: str
    project_id: str

    @property
    def label(self) -> str:
        return f"{self.region}:{self.project_id}"

    @classmethod
    def parse(cls, text: str) -> Target:
        """``REGION:PROJECT`` (the ``--target`` option)."""
        region, sep, project = text.partition(":")
        if not sep or not region.strip() or not project.strip():
            raise ValueError(f"--target takes REGION:PROJECT, e.g. cn-north-4:0123abcd; got {text!r}")
        return cls(region.strip(), project.strip())


@dataclass(frozen=True)
class NotifyConfig:
    """One chat destination: ``kind`` is one of slack, feishu, dingtalk, wecom, webhook."""

    name: str
    kind: str
    url: Secret
    secret: Secret | None = None
    msg_type: str | None = None


@dataclass(frozen=True)
class Config:
    """What a configuration file resolved to; ``path`` is None for the empty default."""

    path: Path | None = None
    tz: str | None = None
    report_url: str | None = None
    targets: tuple[Target, ...] = ()
    rules: tuple[Rule, ...] = ()
    notify: tuple[NotifyConfig, ...] = ()

    def destination(self, name: str) -> NotifyConfig:
        """The notify entry called ``name``; unknown → ConfigError listing the known ones."""
        for entry in self.notify:
            if entry.name == name:
                return entry
        known = ", ".join(entry.name for entry in self.notify) or "none"
        raise ConfigError(
            f"no notify destination named {name!r} in {self.path or 'the configuration'} (known: {known})"
        )


def find_config(
    explicit: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path | None:
    """The file to read: ``explicit`` (``--config``), else ``$DDSJOBS_CONFIG``, else ``./ddsjobs.toml`` if it
    exists, else None. A file named explicitly or by the variable must exist."""
    environ = os.environ if environ is None else environ
    for given, how in ((explicit, "--config"), (environ.get(CONFIG_ENV) or None, f"${CONFIG_ENV}")):
        if given is not None:
            path = Path(given)
            if not path.is_file():
                raise ConfigError(f"{path}: no such configuration file (from {how})")
            return path
    default = (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
    return default if default.is_file() else None


def load_config(path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and check ``path``; ``env:NAME`` values are taken from ``environ`` (default: the process's)."""
    path = Path(path)
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _Reader(path, text, environ).config(data)


class _Reader:
    """Builds a Config from parsed TOML; every problem names the file, the line and the key."""

    def __init__(self, path: Path, text: str, environ: Mapping[str, str]) -> None:
        self.path, self.lines, self.environ = path, text.splitlines(), environ

    # --- errors, located by scanning the text -------------------------------------------------------
    def fail(self, key: str, problem: str, section: str | None = None, index: int = 0) -> ConfigError:
        where = f"{section}[{index}].{key}" if section else key
        return ConfigError(f"{self.path}:{self.line_of(key, section, index)}: {where}: {problem}")

    def line_of(self, key: str, section: str | None, index: int) -> int:
        """The line of ``key`` in the ``index``-th ``[[section]]`` (top level when None); else the table's
        header line; else 1."""
        key_pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        header = re.compile(r"^\s*\[")
        start, seen = 0, -1
        if section is not None:
            table = re.compile(rf"^\s*\[\[\s*{re.escape(section)}\s*\]\]")
            for number, line in enumerate(self.lines):
                if table.match(line):
                    seen += 1
                    if seen == index:
                        start = number
                        break
            else:
                return 1
        for number in range(start + (section is not None), len(self.lines)):
            line = self.lines[number]
            if header.match(line):
                break
            if key_pattern.match(line):
                return number + 1
        return start + 1

    # --- values -----------------------------------------------------------------------------------
    def string(self, table: Mapping[str, Any], key: str, section: str | None, index: int) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {type(value).__name__}", section, index)
        if value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :]
            if name not in self.environ or not self.environ[name]:
                raise self.fail(key, f"environment variable {name} is not set", section, index)
            return self.environ[name]
        return value

    def secret(self, table: Mapping[str, Any], key: str, section: str, index: int) -> Secret | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.startswith(ENV_PREFIX) or len(value) <= len(ENV_PREFIX):
            raise self.fail(
                key,
                "secrets never live in the file: write env:NAME and set the variable NAME",
                section,
                index,
            )
        name = value[len(ENV_PREFIX) :]
        return Secret(name, self.environ.get(name) or None)

    def unknown(
        self, table: Mapping[str, Any], allowed: tuple[str, ...], section: str | None, index: int
    ) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(key, f"unknown key (allowed: {', '.join(allowed)})", section, index)

    def tables(self, data: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
        value = data.get(section, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(section, f"expected [[{section}]] tables", None, 0)
        return value

    # --- sections ---------------------------------------------------------------------------------
    def config(self, data: Mapping[str, Any]) -> Config:
        self.unknown(data, _TOP_KEYS, None, 0)
        tz = self.string(data, "tz", None, 0)
        if tz is not None:
            from ._core._calendar import resolve_tz

            try:
                resolve_tz(tz)
            except ValueError as exc:
                raise self.fail("tz", str(exc)) from None
        return Config(
            path=self.path,
            tz=tz,
            report_url=self.string(data, "report_url", None, 0),
            targets=tuple(self.target(table, i) for i, table in enumerate(self.tables(data, "targets"))),
            rules=tuple(self.rule(table, i) for i, table in enumerate(self.tables(data, "rules"))),
            notify=self.destinations(self.tables(data, "notify")),
        )

    def target(self, table: Mapping[str, Any], index: int) -> Target:
        self.unknown(table, _TARGET_KEYS, "targets", index)
        values = {key: self.string(table, key, "targets", index) for key in _TARGET_KEYS}
        for key, value in values.items():
            if not value:
                raise self.fail(key, "required", "targets", index)
        return Target(str(values["region"]), str(values["project_id"]))

    def rule(self, table: Mapping[str, Any], index: int) -> Rule:
        self.unknown(table, RULE_KEYS, "rules", index)
        values = dict(table)
        for key in _DURATION_KEYS:
            if isinstance(values.get(key), str):
                from ._core._time import parse_age

                age = parse_age(values[key])
                if age is None:
                    raise self.fail(
                        key, f"expected seconds or an age like '1h', got {values[key]!r}", "rules", index
                    )
                values[key] = age.total_seconds()
        if isinstance(values.get("max_failure_rate"), int) and not isinstance(
            values["max_failure_rate"], bool
        ):
            values["max_failure_rate"] = float(values["max_failure_rate"])
        try:
            return Rule(**values)
        except (TypeError, ValueError) as exc:
            key = next((k for k in table if k in str(exc)), "rules")
            raise self.fail(key, str(exc), "rules", index) from None

    def destinations(self, tables: list[Mapping[str, Any]]) -> tuple[NotifyConfig, ...]:
        found: list[NotifyConfig] = []
        for index, table in enumerate(tables):
            self.unknown(table, _NOTIFY_KEYS, "notify", index)
            name, kind = (self.string(table, key, "notify", index) for key in ("name", "kind"))
            if not name:
                raise self.fail("name", "required", "notify", index)
            if any(entry.name == name for entry in found):
                raise self.fail("name", f"{name!r} is used twice", "notify", index)
            if kind not in KINDS:
                raise self.fail("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}", "notify", index)
            url = self.secret(table, "url", "notify", index)
            if url is None:
                raise self.fail("url", "required (env:NAME)", "notify", index)
            msg_type = self.string(table, "msg_type", "notify", index)
            if msg_type is not None and msg_type not in MSG_TYPES[kind]:
                allowed = ", ".join(MSG_TYPES[kind])
                raise self.fail("msg_type", f"{kind} takes {allowed}, not {msg_type!r}", "notify", index)
            found.append(
                NotifyConfig(name, kind, url, self.secret(table, "secret", "notify", index), msg_type)
            )
        return tuple(found)

"""An inter-process writer lock for the archive: a lock file created with ``O_CREAT | O_EXCL``.

The file records pid, host and start time so a refused writer can say who holds the archive. A lock left
behind by a process that died on *this* host is detected (its pid is gone) and taken over; a lock from
another host is never broken automatically, because its pid cannot be checked from here.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from ._errors import ArchiveLockedError

__all__ = ["ArchiveLock"]

log = logging.getLogger("ddsjobs_analytics.archive")

# A lock file that is still empty or unparsable after this long was left by a writer that died
# between creating it and writing its details.
_UNREADABLE_STALE_AFTER_S = 60.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _read_holder(path: Path) -> dict[str, object] | None:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _describe(holder: dict[str, object] | None) -> str:
    if holder is None:
        return "an unknown writer (the lock file is unreadable)"
    return f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('since')}"


def _is_stale(path: Path, holder: dict[str, object] | None) -> bool:
    if holder is None:
        try:
            age_s = datetime.now().timestamp() - path.stat().st_mtime
        except FileNotFoundError:
            return True
        return age_s > _UNREADABLE_STALE_AFTER_S
    pid = holder.get("pid")
    return holder.get("host") == socket.gethostname() and isinstance(pid, int) and not _pid_alive(pid)


class ArchiveLock:
    """Re-entrant (per thread) writer lock on ``<archive>/.lock``; raises :class:`ArchiveLockedError`."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".lock"
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._token = ""

    def acquire(self) -> None:
        with self._mutex:
            me = threading.get_ident()
            if self._depth and self._owner == me:
                self._depth += 1
                return
            if self._depth:
                raise ArchiveLockedError(
                    f"archive {self.path.parent} is locked by another thread of this process "
                    f"(pid {os.getpid()})",
                    lock_path=self.path,
                    holder=_read_holder(self.path),
                )
            self._token = self._create()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._mutex:
            if not self._depth or self._owner != threading.get_ident():
                raise RuntimeError("ArchiveLock.release() by a thread that does not hold it")
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            holder = _read_holder(self.path)
            if holder is not None and holder.get("token") == self._token:
                self.path.unlink(missing_ok=True)

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _create(self) -> str:
        token = uuid.uuid4().hex
        details = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "token": token,
        }
        # Written in full under a temp name, then linked into place: `.lock` never exists half-written, and
        # a failed write (a full disk) leaves no lock behind.
        temp = self.path.with_name(f".lock.{token}.tmp")
        try:
            # O_EXCL | O_NOFOLLOW: never through a symbolic link planted under the temp's name.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(temp, flags, 0o666), "w", encoding="utf-8") as handle:
                json.dump(details, handle)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise OSError(
                exc.errno, f"cannot write the archive lock {temp}: {exc.strerror or exc}", str(temp)
            ) from exc
        try:
            return self._link(temp, token)
        finally:
            temp.unlink(missing_ok=True)

    def _link(self, temp: Path, token: str) -> str:
        for _ in range(3):
            try:
                os.link(temp, self.path)
            except FileExistsError:
                holder = _read_holder(self.path)
                if _is_stale(self.path, holder):
                    log.warning(
                        "archive %s: taking over the stale lock of %s (that process is gone)",
                        self.path.parent,
                        _describe(holder),
                    )
                    self._break_stale(holder)
                    continue
                raise ArchiveLockedError(
                    f"archive {self.path.parent} is locked by {_describe(holder)}; another sync is running "
                    f"(if it is not, delete {self.path})",
                    lock_path=self.path,
                    holder=holder,
                ) from None
            return token
        raise ArchiveLockedError(
            f"archive {self.path.parent}: could not take the lock (it keeps changing hands)",
            lock_path=self.path,
            holder=_read_holder(self.path),
        )

    def _break_stale(self, holder: dict[str, object] | None) -> None:
        # Rename first so that two processes breaking the same stale lock cannot both delete a fresh one.
        aside = self.path.with_name(f".lock.stale-{uuid.uuid4().hex}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        if _read_holder(aside) != holder:
            # Someone took the lock between our read and the rename: put theirs back.
            os.rename(aside, self.path)
            return
        aside.unlink(missing_ok=True)

"""A report folder that holds one whole run, and never touches what the tool did not write.

A run writes every file into a fresh staging folder inside ``--out`` (``.ddsjobs-staging-*``, made by
``mkdtemp``, so nothing can be planted in it), then, under a lock on the folder, moves them in:

- a name already in the folder may be replaced only when it is a plain file that the folder's manifest,
  ``.ddsjobs-report.json``, lists with the same size and SHA-256 (a file the tool wrote and nobody changed);
  anything else there (the user's file, a symlink, a folder, an edited report) is a :class:`ReportFolderError`
  naming it, and nothing is changed;
- files of the previous run that this run does not write are deleted under the same rule: plain files
  directly inside the folder, listed with their hash, opened with ``O_NOFOLLOW``, deleted by name relative to
  the folder's descriptor (never through a directory or a symlink);
- the manifest is replaced last (``rename``, the commit). Ctrl-C while moving is held until the move is
  done; an interruption while writing leaves the previous run as it was, byte for byte.

Concurrent runs into one folder queue on an exclusive ``flock`` of the folder itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import tempfile
import threading
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "MANIFEST",
    "STAGING_PREFIX",
    "ForeignFilesWarning",
    "ReportFolder",
    "ReportFolderError",
    "file_digest",
]

MANIFEST = ".ddsjobs-report.json"
STAGING_PREFIX = ".ddsjobs-staging-"
_FORMAT = 2  # the manifest lists {name: {"size", "sha256"}}; format 1 listed bare names
_MAX_MANIFEST = 4 << 20  # bytes: a manifest is a few hundred bytes; more is not ours
_SHOWN = 5  # foreign files named in the warning


class ForeignFilesWarning(UserWarning):
    """The report folder holds files the tool did not write; they were left alone."""


class ReportFolderError(ValueError):
    """The report would replace something the tool did not write (or the folder is unusable)."""


def file_digest(handle: Any) -> str:
    """SHA-256 (hex) of an open binary file, read in blocks."""
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _plain_name(name: object) -> bool:
    """A name the manifest may list: one plain entry directly inside the folder, not one of ours."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(char in name for char in "/\\\0")
        and not name.startswith(".ddsjobs-")
    )


def _entry(value: object) -> tuple[int, str] | None:
    if isinstance(value, dict):
        size, digest = value.get("size"), value.get("sha256")
        if isinstance(size, int) and isinstance(digest, str) and len(digest) == 64:
            return size, digest.lower()
    return None


class ReportFolder:
    """``with ReportFolder(out) as folder:`` write into ``folder.staging``, then ``folder.commit(names)``.

    Leaving the block without a commit (an error, Ctrl-C) removes the staging folder: ``out`` is as before.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out).expanduser()
        self.staging = self.out  # set on entry
        self._fd = -1
        self._owned: dict[str, set[tuple[int, str]]] = {}

    # -------------------------------------------------------------------------------------- enter / exit

    def __enter__(self) -> ReportFolder:
        if self.out.exists() and not self.out.is_dir():
            raise ReportFolderError(f"{self.out}: exists and is not a folder")
        self.out.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.out, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # another run into this folder finishes first
            self._check_manifest_entry()
            self._owned = self._read_manifest()
            self._remove_leftovers()
            self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))
        except BaseException:
            os.close(self._fd)
            self._fd = -1
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.staging != self.out:
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            os.close(self._fd)  # closing drops the lock
            self._fd = -1

    def _remove_leftovers(self) -> None:
        """Staging folders of a run that was killed. ``rmtree`` walks by descriptor where the platform
        allows (``avoids_symlink_attacks``): a symlink inside is removed, never followed."""
        if not shutil.rmtree.avoids_symlink_attacks:
            return
        for name in os.listdir(self._fd):
            if name.startswith(STAGING_PREFIX):
                with contextlib.suppress(OSError):
                    if stat.S_ISDIR(os.lstat(name, dir_fd=self._fd).st_mode):
                        shutil.rmtree(self.out / name)  # refuses a symlink swapped in meanwhile

    # ------------------------------------------------------------------------------------------ manifest

    def _check_manifest_entry(self) -> None:
        """The manifest's name must be free, a plain file or a symlink: a rename can replace those (a symlink
        as an entry, never its target); anything else there (a folder) would stop the commit halfway."""
        try:
            mode = os.lstat(MANIFEST, dir_fd=self._fd).st_mode
        except FileNotFoundError:
            return
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            raise ReportFolderError(
                f"{self.out / MANIFEST}: not a file; move it away or choose another --out"
            )

    def _read_manifest(self) -> dict[str, set[tuple[int, str]]]:
        """Name → the (size, sha256) the tool wrote under that name; empty when missing or unusable."""
        try:
            fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self._fd)
        except FileNotFoundError:
            return {}
        except OSError as exc:  # a symlink (ELOOP) or worse: nothing in it can be trusted
            warnings.warn(f"{self.out / MANIFEST}: not a plain file ({exc.strerror}); ignored", stacklevel=4)
            return {}
        try:
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise ValueError("not a plain file")
                raw = handle.read(_MAX_MANIFEST + 1)
            if len(raw) > _MAX_MANIFEST:
                raise ValueError("too large")
            document = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            warnings.warn(f"{self.out / MANIFEST}: unreadable ({exc}); ignored", stacklevel=4)
            return {}
        owned: dict[str, set[tuple[int, str]]] = {}
        if isinstance(document, dict) and isinstance(document.get("files"), dict):
            for key in ("files", "previous"):
                listed = document.get(key)
                for name, value in listed.items() if isinstance(listed, dict) else []:
                    entry = _entry(value)
                    if _plain_name(name) and entry is not None:
                        owned.setdefault(name, set()).add(entry)
        return owned

    def _write_manifest(
        self, files: dict[str, tuple[int, str]], previous: dict[str, tuple[int, str]]
    ) -> None:
        document: dict[str, Any] = {
            "tool": "ddsjobs",
            "format": _FORMAT,
            "files": {
                name: {"size": size, "sha256": digest} for name, (size, digest) in sorted(files.items())
            },
        }
        if previous:  # a move in progress: the old run's files are still ours
            document["previous"] = {
                name: {"size": size, "sha256": digest} for name, (size, digest) in sorted(previous.items())
            }
        temporary = self.staging / MANIFEST
        with open(temporary, "x", encoding="utf-8") as handle:  # the fresh staging folder: nothing planted
            handle.write(json.dumps(document, indent=1) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, MANIFEST, dst_dir_fd=self._fd)  # replaces the entry itself, never a target

    # ------------------------------------------------------------------------------------------- checks

    def _ours(self, name: str) -> tuple[int, str] | bool | None:
        """The (size, sha256) when ``name`` is a plain file the manifest lists with this content; False:
        something else is there; None: nothing is."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self._fd)
        except FileNotFoundError:
            try:
                os.lstat(name, dir_fd=self._fd)
            except FileNotFoundError:
                return None
            return False
        except OSError:  # a symlink, a socket, unreadable: not ours to replace
            return False
        try:
            info = os.fstat(fd)
            known = self._owned.get(name, set())
            if not stat.S_ISREG(info.st_mode) or info.st_size not in {size for size, _ in known}:
                return False  # a folder, a FIFO, another size: not what we wrote
            with os.fdopen(os.dup(fd), "rb") as handle:
                entry = (info.st_size, file_digest(handle))
        finally:
            os.close(fd)
        return entry if entry in known else False

    # ------------------------------------------------------------------------------------------- commit

    def commit(self, names: Iterable[str]) -> list[str]:
        """Move the staged files ``names`` into the folder, delete the previous run's other files; returns
        the names deleted. Raises :class:`ReportFolderError` (nothing changed) on a name the tool may not
        replace."""
        names = sorted(set(names))
        bad = [name for name in names if not _plain_name(name)]
        if bad:
            raise ValueError(f"not plain file names: {bad}")
        states = {name: self._ours(name) for name in sorted(set(names) | set(self._owned))}
        clashes = [name for name in names if states[name] is False]
        if clashes:
            shown = ", ".join(str(self.out / name) for name in clashes)
            raise ReportFolderError(
                f"{shown}: already there and not written by ddsjobs (or changed since); nothing was "
                "replaced. Move it away or choose another --out"
            )
        previous: dict[str, tuple[int, str]] = {}  # what is ours in the folder now
        kept = []
        for name in sorted(self._owned):
            state = states[name]
            if isinstance(state, tuple):
                previous[name] = state
            elif state is False and name not in names:
                kept.append(name)
        stale = sorted(set(previous) - set(names))
        files = {}
        for name in names:
            with open(self.staging / name, "rb") as handle:
                files[name] = (os.fstat(handle.fileno()).st_size, file_digest(handle))
        with _held_interrupt():
            self._write_manifest(files, previous)  # a kill now: old and new files both listed as ours
            for name in names:
                os.rename(self.staging / name, name, dst_dir_fd=self._fd)
            for name in stale:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name, dir_fd=self._fd)
            self._write_manifest(files, {})  # the commit
        self._owned = {name: {entry} for name, entry in files.items()}
        self._warn_foreign(set(names), kept)
        return stale

    def _warn_foreign(self, names: set[str], kept: list[str]) -> None:
        foreign = sorted(
            name
            for name in os.listdir(self._fd)
            if name not in names and name != MANIFEST and not name.startswith(".ddsjobs-")
        )
        if foreign:
            shown = ", ".join(foreign[:_SHOWN]) + (
                f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
            )
            changed = f" ({len(kept)} of them written by ddsjobs, then changed)" if kept else ""
            warnings.warn(
                f"{self.out}: {len(foreign)} file{'s' if len(foreign) > 1 else ''} not written by ddsjobs "
                f"left alone{changed}: {shown}",
                ForeignFilesWarning,
                stacklevel=3,
            )


@contextlib.contextmanager
def _held_interrupt() -> Iterator[None]:
    """Ctrl-C (SIGINT) waits until the block is done, then interrupts (main thread only; elsewhere the
    block runs as is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt

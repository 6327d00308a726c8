"""A report folder that holds exactly one run: what an earlier run wrote and this one did not is removed.

The folder keeps a small manifest, ``.ddsjobs-report.json``, listing the files the tool wrote. On the
next run, files listed there and not written again (the PNGs of a ``--no-charts`` run, the ``report.html``
of a run without ``--html``) are deleted; files the tool never wrote are left alone, with one warning.
Only plain files inside the folder are ever deleted, whatever the manifest says.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = ["MANIFEST", "ForeignFilesWarning", "owned_run"]

MANIFEST = ".ddsjobs-report.json"
_SHOWN = 5  # foreign files named in the warning

T = TypeVar("T")


class ForeignFilesWarning(UserWarning):
    """The report folder holds files the tool did not write; they were left alone."""


def _previous(out: Path) -> set[str]:
    """Names the manifest lists; only plain relative names inside the folder count."""
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, AttributeError) as exc:
        warnings.warn(
            f"{out / MANIFEST}: unreadable ({exc}); nothing from an earlier run removed", stacklevel=3
        )
        return set()
    owned = set()
    for name in listed if isinstance(listed, list) else []:
        if isinstance(name, str) and name and not Path(name).is_absolute() and ".." not in Path(name).parts:
            owned.add(Path(name).as_posix())
    return owned


def _write_manifest(out: Path, files: Iterable[str]) -> None:
    temporary = out / f"{MANIFEST}.tmp"
    text = json.dumps({"tool": "ddsjobs", "files": sorted(files)}, indent=1)
    temporary.write_text(text + "\n", encoding="utf-8")
    os.replace(temporary, out / MANIFEST)


def _relative(out: Path, paths: Iterable[Path]) -> set[str]:
    root = out.resolve()
    return {Path(path).resolve().relative_to(root).as_posix() for path in paths}


def owned_run(
    out: Path, write: Callable[[], T], written: Callable[[T], Iterable[Path]]
) -> tuple[T, list[str]]:
    """Run ``write`` (which writes into ``out``), then make ``out`` hold that run only.

    ``written(result)`` lists the files the run wrote. Returns the result and the names removed.
    """
    out.mkdir(parents=True, exist_ok=True)
    previous = _previous(out)
    result = write()
    current = _relative(out, written(result))
    stale = sorted(previous - current)
    _write_manifest(out, current | set(stale))  # a crash now leaves the stale files listed, not orphaned
    removed = []
    for name in stale:
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(name)
            for parent in Path(name).parents[:-1]:  # folders of ours that the removal emptied
                if any((out / parent).iterdir()):
                    break
                (out / parent).rmdir()
    _write_manifest(out, current)
    top = {name.split("/", 1)[0] for name in current}
    foreign = sorted(
        entry.name
        for entry in out.iterdir()
        if entry.name not in top and entry.name != MANIFEST and not entry.name.startswith(f"{MANIFEST}.")
    )
    if foreign:
        shown = ", ".join(foreign[:_SHOWN]) + (
            f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
        )
        warnings.warn(
            f"{out}: {len(foreign)} file{'s' if len(foreign) > 1 else ''} not written by ddsjobs "
            f"left alone: {shown}",
            ForeignFilesWarning,
            stacklevel=2,
        )
    return result, removed

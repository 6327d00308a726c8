"""Where jobs come from: the task center, a job archive, saved files or the bundled sample, in one call.

:func:`load_jobs` is what the notebooks and the ``ddsjobs report`` command use. It is part of the public
surface rather than of the frame package because it knows every origin: the client, the archive and the
simulator's sample are imported inside it, only when asked for, so the analysis core never imports them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ._core._calendar import TzLike
from ._core._memory import release_memory
from ._core._time import Moment, parse_moment
from ._frame._sources import PathInput, read_files, within

__all__ = ["SOURCES", "load_instances", "load_jobs"]

SOURCES = ("auto", "api", "archive", "sample")


def _resolve(source: object, archive: PathInput | None) -> str:
    if source is None or source == "auto":
        if os.environ.get("HUAWEICLOUD_SDK_AK"):
            return "api"
        return "archive" if archive else "sample"
    if isinstance(source, str) and source in SOURCES:
        return source
    return "files"


def load_jobs(
    source: str | PathInput | Sequence[PathInput] | None = None,
    *,
    since: Moment | None = None,
    until: Moment | None = None,
    archive: PathInput | None = None,
    region: str | None = None,
    project_id: str | None = None,
    assume_tz: TzLike = None,
) -> pd.DataFrame:
    """A jobs frame from wherever the jobs are; ``df.attrs["source"]`` says where they came from.

    ``source``: ``"api"`` (the task center; credentials, region and project from the environment as in
    :meth:`TaskCenter.from_env`, ``region``/``project_id`` override them), ``"archive"`` (the job archive
    at ``archive``, default ``$DDSJOBS_ARCHIVE``), ``"sample"`` (the bundled sample), a file or a list of
    files (see :func:`read_jobs_file`), or ``None``/``"auto"``: the API when ``HUAWEICLOUD_SDK_AK`` is set,
    else the archive when one is given, else the sample.

    ``since``/``until``: jobs created in ``[since, until)``, as datetimes, ISO strings (naive = UTC) or
    ages like ``"30d"``. Ages count back from now, and for the sample from its own end (2026-11-01).
    Without ``since`` the API returns its default 30 days and every other source everything.
    ``region``/``project_id`` also filter the archive, the files and the sample.

    Files: one row per ``job_id`` across all of them (a finished record over Running, then the latest
    ``observed_at``, then the later file; counted in ``df.attrs["quality"]`` and a ``DataQualityWarning``),
    ordered by ``created`` then ``job_id``. A time without a UTC offset is read in its row's ``utc_offset``,
    else in ``assume_tz``; with neither the file is refused (``NaiveTimeError``).
    """
    archive = archive or os.environ.get("DDSJOBS_ARCHIVE") or None
    kind = _resolve(source, archive)
    now = None
    if kind == "api":
        from .client import TaskCenter

        overrides: dict[str, Any] = {
            name: value for name, value in (("region", region), ("project_id", project_id)) if value
        }
        with TaskCenter.from_env(**overrides) as center:
            start = None if since is None else parse_moment(since, what="since")
            end = None if until is None else parse_moment(until, what="until")
            frame = center.fetch(start, end)
        label = f"api {center.region or ''}/{center.project_id}".rstrip("/")
    elif kind == "archive":
        if archive is None:
            raise ValueError("load_jobs: source='archive' needs archive= or $DDSJOBS_ARCHIVE")
        from .archive import JobArchive

        frame = JobArchive(archive).load(since, until, region=region)
        label = f"archive {archive}"
    elif kind == "sample":
        from .simulator._sample import SAMPLE_END, load_sample

        frame, now, label = load_sample(), SAMPLE_END, "sample"
    else:
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)  # type: ignore[arg-type]
        if not paths:
            raise ValueError("load_jobs: no files given")
        frame = read_files(paths, assume_tz=assume_tz)
        label = ", ".join(str(path) for path in paths)
    if kind != "api":
        frame = within(frame, since, until, now=now)
        for column, wanted in (("region", region), ("project_id", project_id)):
            if wanted is not None and column in frame.columns:
                frame = frame[(frame[column] == wanted).fillna(False).astype(bool)]
    quality = frame.attrs.get("quality")
    frame = frame.reset_index(drop=True)
    frame.attrs["source"] = label
    if quality is not None:
        frame.attrs["quality"] = quality
    release_memory()  # what reading freed, before the analysis and the charts add their own peaks
    return frame


def load_instances(
    source: Any = None,
    *,
    region: str | None = None,
    project_id: str | None = None,
) -> pd.DataFrame:
    """The instances frame of the same origins as :func:`load_jobs`, for ``with_instances``.

    ``"api"``: ListInstances now (:meth:`TaskCenter.instances`); ``"sample"``: the bundled sample's
    inventory; a file or a list of files: JSON/JSON Lines of ListInstances records (e.g. the
    ``*.instances.jsonl`` of ``ddsjobs fetch --instances``; several files make several snapshots);
    ``None``/``"auto"``: resolved like :func:`load_jobs`. The job archive keeps no inventory yet
    (ValueError).
    """
    from ._frame import instances_frame

    kind = _resolve(source, os.environ.get("DDSJOBS_ARCHIVE") or None)
    if kind == "api":
        from .client import TaskCenter

        overrides: dict[str, Any] = {
            name: value for name, value in (("region", region), ("project_id", project_id)) if value
        }
        with TaskCenter.from_env(**overrides) as center:
            return center.instances()
    if kind == "archive":
        raise ValueError("load_instances: the job archive keeps no inventory yet; use 'api' or a file")
    if kind == "sample":
        from .simulator._sample_inventory import load_sample_instances

        frame = load_sample_instances()
    else:
        files: list[Any] = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        if not files:
            raise ValueError("load_instances: no files given")
        frame = pd.concat([instances_frame(os.fspath(path)) for path in files], ignore_index=True)
    for column, wanted in (("region", region), ("project_id", project_id)):
        if wanted is not None:
            frame = frame[(frame[column] == wanted).fillna(False).astype(bool)].reset_index(drop=True)
    return frame

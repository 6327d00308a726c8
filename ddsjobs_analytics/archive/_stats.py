"""What an upsert or a sync changed, in numbers a person can read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["SyncStats"]

_NAMED = 5  # ids spelled out per list in the summary


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _some(ids: list[str]) -> str:
    shown = ", ".join(ids[:_NAMED])
    return shown + (f", … (+{len(ids) - _NAMED:,})" if len(ids) > _NAMED else "")


@dataclass
class SyncStats:
    """Counts of one :meth:`JobArchive.upsert` or :func:`sync`.

    ``new``/``updated``/``unchanged`` count the distinct jobs of the batch; ``still_running`` how many of
    them are not terminal after the merge. The sync-only fields: ``listed`` (records ListTasks returned),
    ``window`` (the listed ``[start, end)``), ``refetched`` (Running jobs asked for by id), ``lost`` (ids
    still Running in the archive that the service no longer knows), ``refetch_failed`` (id → error),
    ``holes_refetched`` (windows ``repair`` recorded as lost that this sync listed again: start, end, jobs
    lost) and ``holes_left`` (such windows still open, e.g. beyond the service's horizon).
    """

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    still_running: int = 0
    partitions_written: int = 0
    target: str | None = None
    listed: int | None = None
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None
    refetched: int = 0
    lost: list[str] = field(default_factory=list)
    refetch_failed: Mapping[str, str] = field(default_factory=dict)
    holes_refetched: list[tuple[pd.Timestamp, pd.Timestamp, int | None]] = field(default_factory=list)
    holes_left: int = 0

    @property
    def changed(self) -> int:
        return self.new + self.updated

    def __str__(self) -> str:
        lines = []
        if self.listed is not None:
            where = f"{self.target}: " if self.target else ""
            span = ""
            if self.window is not None:
                start, end = (moment.strftime("%Y-%m-%d %H:%M") for moment in self.window)
                span = f" created {start} → {end} UTC"
            lines.append(f"{where}listed {_plural(self.listed, 'job')}{span}")
            if self.refetched:
                lines.append(f"re-fetched {_plural(self.refetched, 'Running job')} by id")
            for low, high, jobs in self.holes_refetched:
                lost = "jobs" if jobs is None else _plural(jobs, "job")
                lines.append(
                    f"listed again the window {low:%Y-%m-%d %H:%M} → {high:%Y-%m-%d %H:%M} UTC "
                    f"where a repair lost {lost}"
                )
            if self.holes_left:
                lines.append(
                    f"{_plural(self.holes_left, 'window')} of lost jobs remain "
                    "(`ddsjobs archive verify` lists them)"
                )
        lines.append(
            f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.still_running:,} still running; {_plural(self.partitions_written, 'partition')} written"
        )
        if self.lost:
            lines.append(
                f"{_plural(len(self.lost), 'job')} lost (Running in the archive, unknown to the service): "
                + _some(self.lost)
            )
        if self.refetch_failed:
            failed = [f"{job_id} ({reason})" for job_id, reason in self.refetch_failed.items()]
            lines.append(f"{_plural(len(failed), 'job')} could not be re-fetched: " + _some(failed))
        return "\n".join(lines)

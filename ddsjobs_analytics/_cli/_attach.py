"""``--instances FILE`` of ``report`` and ``check``: the jobs joined with an inventory before analysis."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["attach_instances", "with_fleet_inventory"]


def attach_instances(
    df: pd.DataFrame,
    args: argparse.Namespace,
    *,
    client: Callable[[argparse.Namespace], Any] | None = None,
    targets: list[Any] | None = None,
) -> pd.DataFrame:
    """``df`` joined with ``--instances FILE`` (as of each job's time; a ``*.scheduled.jsonl`` beside it
    feeds the scheduled changes); or, when the jobs came from the API (``client`` given, the CLI's client
    factory), with the live inventory unless ``--no-instances``; when they came from ``targets``, with the
    live inventory of each (``_target_inventory``) unless ``--no-instances``; or, reading an archive that
    stored an inventory, with its history. ``args.scheduled_frame`` is set for the report when scheduled
    jobs are known."""
    from .._frame import instances_frame, scheduled_frame, with_instances

    path = getattr(args, "instances", None)
    if path is not None:
        beside = Path(path).with_name(Path(path).name.replace(".instances.", ".scheduled."))
        if beside != Path(path) and beside.is_file():
            args.scheduled_frame = scheduled_frame(beside)
        return with_instances(df, instances_frame(path))
    if targets and not getattr(args, "no_instances", False):
        from ._target_inventory import with_targets_inventory

        return with_targets_inventory(df, args, targets)
    if client is not None and not getattr(args, "no_instances", True):
        with client(args) as center:
            args.scheduled_frame = center.scheduled_jobs()
            return with_instances(df, center.instances())
    archive = getattr(args, "archive", None)
    if archive is not None:
        from ..archive._inventory import InstanceHistory

        history = InstanceHistory(archive)
        snapshots = history.snapshots()
        if len(snapshots):
            args.scheduled_frame = history.scheduled()
            return with_instances(df, snapshots)
    return df


def with_fleet_inventory(df: pd.DataFrame, centers: list[Any], args: argparse.Namespace) -> pd.DataFrame:
    """``df`` joined with the inventory of every client in ``centers`` (the demo's regions); their
    scheduled jobs go to ``args.scheduled_frame`` for the report."""
    import pandas as pd

    from .._frame import with_instances

    frames = [center.scheduled_jobs() for center in centers]
    args.scheduled_frame = pd.concat(frames, ignore_index=True) if frames else None
    return with_instances(df, centers[0].instances_many(centers))

"""The live inventory of every ``--target`` (or the file's ``[[targets]]``), for ``report`` and ``check``.

Each target's instances and scheduled jobs are listed concurrently, one client per target (the same
fan-out as the targets' jobs in :mod:`._targets`), stamped with the target's region and project, and
joined to the jobs as of each job's time. A target whose inventory cannot be read is named on stderr
(``target … inventory failed: …``) and in ``attrs["failed_targets"]`` as ``LABEL (inventory)``, so the
command exits *partial*; its jobs keep NA instance columns and are counted in their own warning ("the
inventory could not be read"), not as jobs of deleted instances. ``--no-instances`` skips it all.
"""

from __future__ import annotations

import argparse
import asyncio
import warnings
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..config import Target

__all__ = ["with_targets_inventory"]


def with_targets_inventory(df: pd.DataFrame, args: argparse.Namespace, targets: list[Target]) -> pd.DataFrame:
    """``df`` joined with the live inventory of ``targets``; ``args.scheduled_frame`` gets their scheduled
    jobs. Targets whose jobs failed are not asked again; an inventory that fails is reported by target and
    never fatal (when none answers, the jobs go on without instance columns)."""
    import pandas as pd

    from .._frame import instances_frame, scheduled_frame
    from ..client import AsyncTaskCenter
    from ._targets import client_options, report_failures

    async def one(target: Target) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with AsyncTaskCenter.from_env(**client_options(args, target)) as center:
            instances = await center.list_instances()
            scheduled = await center.list_scheduled_jobs()
        where = {"region": target.region, "project_id": target.project_id}
        return [{**record, **where} for record in instances], scheduled

    async def every() -> list[Any]:
        return await asyncio.gather(*(one(target) for target in targets), return_exceptions=True)

    failed = sorted(df.attrs.get("failed_targets") or [])
    targets = [target for target in targets if target.label not in failed]
    observed = datetime.now(timezone.utc)
    results = asyncio.run(every()) if targets else []
    failures = {t.label: r for t, r in zip(targets, results, strict=True) if isinstance(r, BaseException)}
    report_failures(args, failures, what="inventory")
    failed += [f"{label} (inventory)" for label in sorted(failures)]
    if len(failures) == len(targets):
        out = df.copy(deep=False)
        out.attrs["failed_targets"] = failed
        return out
    answered = [result for result in results if not isinstance(result, BaseException)]
    instances = instances_frame([r for records, _ in answered for r in records], observed_at=observed)
    args.scheduled_frame = pd.concat(
        [scheduled_frame(schedules) for _, schedules in answered], ignore_index=True
    )
    out = _join(df, instances, [t for t in targets if t.label in failures])
    out.attrs["failed_targets"] = failed
    return out


def _join(df: pd.DataFrame, instances: pd.DataFrame, lost: list[Target]) -> pd.DataFrame:
    """``with_instances``, but the jobs of targets whose inventory could not be read are counted as such,
    not as jobs of deleted instances (the join's own warning counts both)."""
    import numpy as np

    from .._frame import DataQualityWarning, with_instances

    if not lost:
        return with_instances(df, instances)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = with_instances(df, instances)
    for caught_warning in caught:
        message = caught_warning.message
        if (
            isinstance(message, DataQualityWarning)
            and "instance missing from the inventory" in message.counts
        ):
            continue
        warnings.warn_explicit(
            message, caught_warning.category, caught_warning.filename, caught_warning.lineno
        )
    unread = np.zeros(len(out), dtype=bool)
    regions, projects = out["region"].astype("string"), out["project_id"].astype("string")
    for target in lost:
        unread |= ((regions == target.region) & (projects == target.project_id)).fillna(False).to_numpy(bool)
    missing = ~out["instance_known"].to_numpy(bool) & ~unread
    ids = out.loc[missing, "instance_id"]
    out.attrs["unknown_instances"] = {"jobs": int(missing.sum()), "instances": int(ids.nunique(dropna=True))}
    if missing.any():
        examples = ", ".join(map(str, ids.dropna().astype(str).unique()[:3]))
        jobs, instance_count = int(missing.sum()), ids.nunique(dropna=True)
        text = (
            f"{jobs} job(s) of {instance_count} instance(s) missing from the inventory (deleted?), e.g. "
            f"{examples}; their instance columns are NA and group as NA in by="
        )
        counts = {"instance missing from the inventory": jobs}
        warnings.warn(DataQualityWarning(text, counts), stacklevel=3)
    if unread.any():
        labels = ", ".join(target.label for target in lost)
        jobs = int(unread.sum())
        text = f"{jobs} job(s) of {labels} have no instance columns: the inventory could not be read"
        warnings.warn(DataQualityWarning(text, {"inventory not read": jobs}), stacklevel=3)
    return out

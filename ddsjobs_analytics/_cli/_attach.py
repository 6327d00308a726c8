"""``--instances FILE`` of ``report`` and ``check``: the jobs joined with an inventory before analysis."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["attach_instances", "with_fleet_inventory"]


def attach_instances(
    df: pd.DataFrame, args: argparse.Namespace, *, client: Callable[[argparse.Namespace], Any] | None = None
) -> pd.DataFrame:
    """``df`` joined with ``--instances FILE`` (as of each job's time); or, when the jobs came from the API
    (``client`` given, the CLI's client factory), with the live inventory unless ``--no-instances``."""
    from .._frame import instances_frame, with_instances

    path = getattr(args, "instances", None)
    if path is not None:
        return with_instances(df, instances_frame(path))
    if client is not None and not getattr(args, "no_instances", True):
        with client(args) as center:
            return with_instances(df, center.instances())
    return df


def with_fleet_inventory(df: pd.DataFrame, centers: list[Any]) -> pd.DataFrame:
    """``df`` joined with the inventory of every client in ``centers`` (the demo's regions)."""
    from .._frame import with_instances

    return with_instances(df, centers[0].instances_many(centers))

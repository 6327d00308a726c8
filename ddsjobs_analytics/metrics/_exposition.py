"""Write the metrics: text for stdout, a ``.prom`` file for node_exporter (atomic rename), a Pushgateway."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from prometheus_client.exposition import generate_latest, push_to_gateway, write_to_textfile

from . import DEFAULT_PUSH_JOB, DEFAULT_TOP_JOB_TYPES
from ._collector import registry

__all__ = ["metrics_text", "push_metrics", "write_metrics"]

# The first bytes of every file this module writes: a file that does not start so is not overwritten.
OUR_HEADER = b"# HELP ddsjobs_"


def metrics_text(df: pd.DataFrame, *, top: int = DEFAULT_TOP_JOB_TYPES) -> str:
    """The Prometheus text exposition format (0.0.4) of ``df``'s metrics."""
    return generate_latest(registry(df, top=top)).decode("utf-8")


def write_metrics(
    df: pd.DataFrame, path: str | os.PathLike[str], *, top: int = DEFAULT_TOP_JOB_TYPES
) -> Path:
    """Write ``path`` atomically (a temporary file beside it, then a rename), so node_exporter never reads
    half a file. Refuses a symlink, and an existing file this tool did not write."""
    target = Path(path)
    if target.is_symlink():
        raise ValueError(f"{target} is a symlink; give the real path (never written through)")
    if target.exists():
        if not target.is_file():
            raise ValueError(f"{target} exists and is not a file")
        with target.open("rb") as existing:
            if existing.read(len(OUR_HEADER)) != OUR_HEADER:
                raise ValueError(f"{target} exists and was not written by ddsjobs metrics; not overwritten")
    write_to_textfile(str(target), registry(df, top=top))
    return target


def push_metrics(
    df: pd.DataFrame,
    gateway: str,
    *,
    job: str = DEFAULT_PUSH_JOB,
    top: int = DEFAULT_TOP_JOB_TYPES,
    timeout: float = 30.0,
) -> None:
    """PUT the metrics to a Pushgateway under ``job`` (replacing that job's previous group)."""
    push_to_gateway(gateway, job=job, registry=registry(df, top=top), timeout=timeout)

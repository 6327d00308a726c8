"""Failure reasons that are new in a period: templates seen in ``current`` and never in ``baseline``."""

from __future__ import annotations

import pandas as pd

from .._frame import require_columns
from .._reasons import fail_reason_groups, fail_reason_template
from ._periods import TzLike, Windows, _windows, period_masks, resolve_tz

__all__ = ["new_fail_reasons"]

_INSTANCE_IDS = 10  # distinct instance ids listed per template, most affected first


def new_fail_reasons(
    df: pd.DataFrame,
    *,
    current: Windows,
    baseline: Windows,
    tz: TzLike = None,
    templates: pd.Series | None = None,
) -> pd.DataFrame:
    """Failure-reason templates of jobs created in ``current`` that no job created in ``baseline`` had.

    Periods and ``tz`` as in :func:`compare_periods`. One row per new template, most frequent first, with
    the columns of :func:`fail_reason_groups` (``count``, ``instances``, ``job_types``, ``first_seen``,
    ``example``, ``sample_job_ids``…) plus ``instance_ids``: up to 10 distinct instance ids, most affected
    first. ``templates``: :func:`fail_reason_template` of ``df["fail_reason"]`` when already computed
    (same index); both periods are then read with the same templates, and nothing is templated again.
    """
    require_columns(df, ["created", "fail_reason", "instance_id"], func="new_fail_reasons")
    zone = resolve_tz(tz)
    in_current = period_masks(df["created"], _windows(current, zone, "new_fail_reasons: current"))
    in_baseline = period_masks(df["created"], _windows(baseline, zone, "new_fail_reasons: baseline"))
    if templates is not None and not templates.index.equals(df.index):
        raise ValueError(
            "new_fail_reasons: templates= must have the index of df (fail_reason_template's result)"
        )
    if templates is None:
        groups = fail_reason_groups(df.loc[in_current])
        seen = fail_reason_template(df.loc[in_baseline, "fail_reason"]).dropna().astype(str)
    else:
        groups = fail_reason_groups(df.loc[in_current], templates=templates.loc[in_current])
        seen = templates.loc[in_baseline].dropna().astype(str)
    new = groups.loc[~groups["template"].astype(str).isin(set(seen))].reset_index(drop=True)

    with_reason = in_current & df["fail_reason"].notna().to_numpy(dtype=bool)
    rows = df.loc[with_reason, ["fail_reason", "instance_id"]]
    row_templates = (
        fail_reason_template(rows["fail_reason"]) if templates is None else templates.loc[with_reason]
    ).astype(object)
    affected = (
        pd.DataFrame(
            {"template": row_templates.to_numpy(), "instance_id": rows["instance_id"].astype(object)}
        )
        .dropna()
        .value_counts(sort=True)
        .reset_index()
    )
    instance_ids = affected.groupby("template", sort=False)["instance_id"].agg(
        lambda ids: [str(i) for i in ids.head(_INSTANCE_IDS)]
    )
    listed = new["template"].astype(str).map(instance_ids)
    new["instance_ids"] = pd.Series(
        [ids if isinstance(ids, list) else [] for ids in listed], index=new.index, dtype=object
    )
    return new

"""The Fleet section's upkeep tables: instances with a patch available, and engine versions past the
provider's end of maintenance (EOM) or end of support (EOS).

Which instances: those with jobs in the report (like ``fleet_instances``), each as its newest inventory
snapshot among its jobs (the largest ``instance_observed_at``). When: the report's end, the newest
``observed_at`` of the jobs (when they were read; the newest ``created`` if none) — never the wall clock, so
a report of the same data says the same thing on any day. The lifecycle dates and their month rule are
declared once in :mod:`.._core._lifecycle`; a version it does not list is "unknown", never supported.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._core._lifecycle import PAST_EOM, PAST_EOS, UNKNOWN, lifecycle_of, support_status

__all__ = ["SUPPORT_CAPTIONS", "latest_instances", "report_end", "upkeep_tables"]

_SHOWN = ["instance_id", "instance_name", "engine_version", "whole_version"]
SUPPORT_CAPTIONS: dict[str, str] = {
    "fleet_patch_available": "Instances with a patch available (datastore.patch_available), newest inventory",
    "fleet_past_eos": "Instances whose engine version is past the provider's end of support (EOS) as of "
    "{as_of}",
    "fleet_past_eom": "Instances whose engine version is past the provider's end of maintenance (EOM) but "
    "not yet of support, as of {as_of}",
    "fleet_version_unknown": "Instances whose engine version the provider's lifecycle table does not list "
    "(support unknown, not assumed)",
}


def report_end(df: pd.DataFrame) -> pd.Timestamp | None:
    """The report's end: the newest ``observed_at`` (when the jobs were read), else the newest ``created``."""
    for column in ("observed_at", "created"):
        if column in df.columns and df[column].notna().any():
            return pd.Timestamp(df[column].max()).tz_convert("UTC")
    return None


def latest_instances(df: pd.DataFrame) -> pd.DataFrame:
    """One row per known instance of the joined jobs: its newest snapshot among them (text columns)."""
    known = df[df["instance_known"].astype(bool)]
    columns = [c for c in (*_SHOWN, "patch_available", "instance_observed_at") if c in known.columns]
    rows = known[columns].sort_values("instance_observed_at", kind="stable")
    rows = rows.drop_duplicates("instance_id", keep="last")
    text = {c: "string" for c in _SHOWN if c in rows.columns}
    return rows.astype(text).sort_values(["engine_version", "instance_name", "instance_id"], kind="stable")


def upkeep_tables(df: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """``fleet_patch_available``, ``fleet_past_eos``, ``fleet_past_eom`` and ``fleet_version_unknown``
    (frame, formats) for the jobs ``df`` joined with an inventory."""
    instances = latest_instances(df)
    at = report_end(df)
    shown = [c for c in _SHOWN if c in instances.columns]
    tables: dict[str, tuple[pd.DataFrame, dict[str, Any]]] = {}
    if "patch_available" in instances.columns:
        patch = instances["patch_available"].astype("boolean").fillna(False).astype(bool)
        tables["fleet_patch_available"] = (instances.loc[patch, shown].reset_index(drop=True), {})
    versions = instances["engine_version"].tolist()
    status = pd.Series(
        [UNKNOWN if at is None else support_status(v, at) for v in versions], index=instances.index
    )
    cycles = [lifecycle_of(v) for v in versions]
    dates = instances[shown].assign(
        eom=pd.Series([c.eom if c else None for c in cycles], index=instances.index, dtype=object),
        eos=pd.Series([c.eos if c else None for c in cycles], index=instances.index, dtype=object),
    )
    for column in ("eom", "eos"):
        dates[column] = pd.to_datetime(dates[column], utc=True).dt.strftime("%Y-%m").astype("string")
    tables["fleet_past_eos"] = (dates[status == PAST_EOS].reset_index(drop=True), {})
    tables["fleet_past_eom"] = (dates[status == PAST_EOM].reset_index(drop=True), {})
    tables["fleet_version_unknown"] = (instances.loc[status == UNKNOWN, shown].reset_index(drop=True), {})
    return tables

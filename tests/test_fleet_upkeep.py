"""Patch availability and engine versions past the provider's end of maintenance/support (issue 19 §5).

Counts are checked against the raw inventory records and a lifecycle table written out here by hand, on
fixed dates on both sides of each boundary (never the wall clock).
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from fleet_world import END, joined_fleet

import ddsjobs_analytics as dj
from ddsjobs_analytics._core._lifecycle import LIFECYCLE, LIFECYCLE_URL, support_status

UPKEEP = {"fleet_patch_available", "fleet_past_eos", "fleet_past_eom", "fleet_version_unknown"}
# From the provider's page, written out again (month → its first day, UTC): (EOM, EOS).
HAND = {"3.4": ("2023-06-01", "2025-06-01"), "4.0": ("2026-04-01", "2028-04-01"),
        "4.2": ("2027-04-01", "2029-04-01"), "4.4": ("2028-04-01", "2030-04-01")}  # fmt: skip


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_the_lifecycle_table_is_the_pages() -> None:
    assert LIFECYCLE_URL.endswith("bulletin-dds/dds_version_002.html")
    assert set(LIFECYCLE) == {*HAND, "5.0"}
    for version, (eom, eos) in HAND.items():
        assert (LIFECYCLE[version].eom, LIFECYCLE[version].eos) == (_utc(eom), _utc(eos))
    assert LIFECYCLE["5.0"].eom is None and LIFECYCLE["5.0"].eos is None


@pytest.mark.parametrize(
    ("version", "at", "expected"),
    [
        ("3.4", "2023-05-31 23:59:59", "supported"),
        ("3.4", "2023-06-01 00:00:00", "past end of maintenance"),
        ("3.4", "2025-05-31 23:59:59", "past end of maintenance"),
        ("3.4", "2025-06-01 00:00:00", "past end of support"),
        ("4.0", "2026-03-31 23:59:59", "supported"),
        ("4.0", "2026-04-01 00:00:00", "past end of maintenance"),
        ("4.0", "2028-04-01 00:00:00", "past end of support"),
        ("4.2", "2027-03-31 23:59:59", "supported"),
        ("4.2", "2029-04-01 00:00:00", "past end of support"),
        ("4.4", "2028-04-01 00:00:00", "past end of maintenance"),
        ("4.4", "2030-03-31 23:59:59", "past end of maintenance"),
        ("4.4", "2030-04-01 00:00:00", "past end of support"),
        ("5.0", "2099-01-01 00:00:00", "supported"),
        (" 4.0 ", "2026-04-01 00:00:00", "past end of maintenance"),
        ("3.2", "2020-01-01 00:00:00", "unknown"),
        ("4.0.27", "2030-01-01 00:00:00", "unknown"),
        (None, "2030-01-01 00:00:00", "unknown"),
        ("", "2030-01-01 00:00:00", "unknown"),
    ],
)
def test_support_status_on_both_sides_of_each_boundary(version, at, expected) -> None:
    assert support_status(version, _utc(at)) == expected


def test_patch_available_in_both_spellings_and_counted_when_bad() -> None:
    def record(i: int, patch: object) -> dict:
        datastore = {"type": "DDS-Community", "version": "4.0", "whole_version": "4.0.27"}
        if patch is not ...:
            datastore["patch_available"] = patch
        node = {"id": f"n{i}", "spec_code": "s", "availability_zone": "az1"}
        return {"id": f"i{i}", "mode": "Single", "datastore": datastore,
                "groups": [{"type": "single", "nodes": [node]}]}  # fmt: skip

    values = [True, False, "true", "false", 1, 0, ..., None, "", "maybe", 7]
    with pytest.warns(dj.DataQualityWarning) as caught:
        frame = dj.instances_frame([record(i, v) for i, v in enumerate(values)], observed_at=END)
    assert str(frame["patch_available"].dtype) == "boolean"
    got = [None if pd.isna(v) else bool(v) for v in frame["patch_available"]]
    assert got == [True, False, True, False, True, False, None, None, None, None, None]
    counts = caught[0].message.counts
    assert counts["patch_available not a boolean"] == 2  # "maybe" and 7; absent/null/"" are just unknown
    with pytest.raises(dj.RecordError, match="i9"):
        dj.instances_frame([record(9, "maybe")], errors="raise")


@pytest.fixture(scope="module")
def world():
    return joined_fleet()


def _with_jobs(records, instances) -> dict[str, dict]:
    """The inventory records of instances that have jobs (the report's instances)."""
    used = {r["instance_id"] for r in records}
    return {r["id"]: r for r in instances if r["id"] in used}


def test_upkeep_tables_equal_an_independent_count(world) -> None:
    records, instances, joined = world
    tables = dj.analyse(joined).tables()
    assert set(tables) >= UPKEEP
    mine = _with_jobs(records, instances)
    patch = {i for i, r in mine.items() if r["datastore"]["patch_available"] is True}
    got = tables["fleet_patch_available"].frame
    assert set(got["instance_id"].astype(str)) == patch and len(got) == len(patch) > 0
    assert list(got.columns) == ["instance_id", "instance_name", "engine_version", "whole_version"]
    row = got.iloc[0]
    assert row["whole_version"] == mine[row["instance_id"]]["datastore"]["whole_version"]
    at = pd.Timestamp(END)  # the jobs were read at END: the report's end, not today
    bounds = {i: HAND.get(r["datastore"]["version"]) for i, r in mine.items()}
    eos = {i for i, b in bounds.items() if b and at >= _utc(b[1])}
    eom = {i for i, b in bounds.items() if b and _utc(b[0]) <= at < _utc(b[1])}
    assert set(tables["fleet_past_eos"].frame["instance_id"].astype(str)) == eos and eos
    assert set(tables["fleet_past_eom"].frame["instance_id"].astype(str)) == eom and eom
    assert len(tables["fleet_past_eos"].frame) == len(eos) and len(tables["fleet_past_eom"].frame) == len(eom)
    assert set(tables["fleet_past_eos"].frame["eos"]) == {"2025-06"}
    assert tables["fleet_version_unknown"].frame.empty


def _tiny(observed: str, versions: list[str | None]) -> pd.DataFrame:
    """Jobs on instances of the given versions, read (jobs and inventory) at ``observed``."""
    jobs, instances = [], []
    for i, version in enumerate(versions):
        jobs.append({"job_id": f"j{i}", "name": "Create_MongoDB", "status": "Completed",
                     "created": "2026-01-01T00:00:00+0000", "ended": "2026-01-01T00:10:00+0000",
                     "instance": {"id": f"i{i}", "name": f"db{i}"}})  # fmt: skip
        datastore = {"version": version, "whole_version": None if version is None else f"{version}.1"}
        groups = [{"type": "single", "nodes": [{"availability_zone": "az1"}]}]
        instances.append({"id": f"i{i}", "name": f"db{i}", "mode": "Single", "datastore": datastore,
                          "groups": groups})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dj.DataQualityWarning)
        return dj.with_instances(
            dj.jobs_frame(jobs, observed_at=_utc(observed)),
            dj.instances_frame(instances, observed_at="2026-01-01"),
        )


@pytest.mark.parametrize(
    ("observed", "eom", "eos"),
    [("2026-03-31 23:59:59", set(), {"i0"}), ("2026-04-01 00:00:00", {"i1"}, {"i0"})],
)
def test_the_report_judges_at_its_end_not_the_wall_clock(observed, eom, eos) -> None:
    joined = _tiny(observed, ["3.4", "4.0", "5.0", "3.2", None])
    tables = dj.analyse(joined).tables()
    assert set(tables["fleet_past_eos"].frame["instance_id"].astype(str)) == eos
    assert set(tables["fleet_past_eom"].frame["instance_id"].astype(str)) == eom
    unknown = tables["fleet_version_unknown"].frame
    assert set(unknown["instance_id"].astype(str)) == {"i3", "i4"}  # never assumed supported


def test_the_report_lists_them_in_csv_html_and_excel(world, tmp_path) -> None:
    records, instances, joined = world
    paths = dj.write_report(joined, tmp_path, html=True, excel=True, charts=False)
    assert set(paths.tables) >= UPKEEP
    patch = pd.read_csv(paths.tables["fleet_patch_available"])
    expected = {i for i, r in _with_jobs(records, instances).items() if r["datastore"]["patch_available"]}
    assert set(patch["instance_id"]) == expected
    page = paths.html.read_text(encoding="utf-8")
    assert "Instances with a patch available" in page
    assert "past the provider&#x27;s end of support (EOS) as of 2026-11-01 00:00 UTC" in page
    sheets = pd.read_excel(paths.excel, sheet_name=None)
    assert set(sheets) >= UPKEEP
    assert set(sheets["fleet_past_eos"]["instance_id"]) == set(
        pd.read_csv(paths.tables["fleet_past_eos"])["instance_id"]
    )


def test_archive_fingerprints_of_records_without_the_field_are_unchanged() -> None:
    """An archive written before patch_available existed still verifies: the field joins a record's
    fingerprint only when set, and then a change of it opens a new interval."""
    import hashlib
    import json

    from ddsjobs_analytics.archive._inventory import _fingerprints

    base = {"id": "i1", "name": "db1", "mode": "Single", "datastore": {"version": "4.0"},
            "groups": [{"type": "single", "nodes": [{"availability_zone": "az1"}]}]}  # fmt: skip
    frame = dj.instances_frame([base], observed_at=END)
    # The fingerprint as the archive computed it before the column existed: every other attribute.
    before = [c for c in frame.columns if c not in ("observed_at", "patch_available")]
    (row,) = frame[before].itertuples(index=False)  # as the archive's code read it then
    values = [None if not isinstance(v, dict) and pd.isna(v) else v for v in row]
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    assert _fingerprints(frame) == [hashlib.sha256(text.encode("utf-8")).hexdigest()]
    flagged = [{**base, "datastore": {"version": "4.0", "patch_available": flag}} for flag in (True, False)]
    prints = [_fingerprints(dj.instances_frame([r], observed_at=END))[0] for r in flagged]
    assert len({*prints, *_fingerprints(frame)}) == 3

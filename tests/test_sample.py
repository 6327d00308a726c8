"""The seeded fleet model and the bundled sample."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from ddsjobs_analytics._core._names import JOB_NAMES, canonical_job_type
from ddsjobs_analytics.simulator._sample import (
    JOB_PROFILES,
    SAMPLE_END,
    generate_fleet,
    sample_records,
    v3_job_name,
)

API_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
V31_KEYS = [
    "id",
    "name",
    "instance_id",
    "instance_name",
    "status",
    "progress",
    "fail_reason",
    "created_at",
    "ended_at",
]
END = datetime(2026, 11, 1, tzinfo=timezone.utc)


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


@pytest.fixture(scope="module")
def fleet():
    return generate_fleet(jobs=3000, instances=40, days=60, end=END, seed=11)


@pytest.fixture(scope="module")
def records(fleet):
    return fleet.records()


def test_same_seed_same_history_other_seed_other_history():
    a = generate_fleet(jobs=300, instances=10, seed=4).records()
    b = generate_fleet(jobs=300, instances=10, seed=4).records()
    c = generate_fleet(jobs=300, instances=10, seed=5).records()
    assert a == b
    assert {r["id"] for r in a}.isdisjoint({r["id"] for r in c})


def test_v31_records_have_the_list_tasks_fields_and_formats(records, fleet):
    assert len(records) == len(fleet) == 3000
    for record in records:
        assert list(record) == V31_KEYS
        assert UUID4.fullmatch(record["id"])
        assert record["name"] in JOB_NAMES
        assert re.fullmatch(r"[0-9a-f]{32}in02", record["instance_id"])
        assert record["instance_name"].startswith("dds-")
        assert API_TIME.fullmatch(record["created_at"]) and API_TIME.fullmatch(record["ended_at"])
    assert len({r["instance_id"] for r in records}) == 40
    assert all(re.fullmatch(r"[0-9a-f]{32}", p) for p in fleet.project_ids.values())


def test_v3_records_use_the_show_job_detail_shape(fleet):
    flat = fleet.records(shape="v3.1")
    nested = fleet.records(shape="v3")
    for a, b in zip(flat, nested, strict=True):
        assert list(b) == ["id", "name", "status", "created", "ended", "progress", "instance", "fail_reason"]
        assert b["instance"] == {"id": a["instance_id"], "name": a["instance_name"]}
        assert (b["created"], b["ended"], b["status"]) == (a["created_at"], a["ended_at"], a["status"])
        assert b["name"] == v3_job_name(a["name"])
    with pytest.raises(ValueError, match="shape"):
        fleet.records(shape="v2")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("list_name", "detail_name"),
    [
        ("CreateMongoDB", "Create_MongoDB"),
        ("CreateMongoDBReplica", "Create_MongoDB_Replica"),
        ("RestoreMongoDB_Replica", "Restore_MongoDB_Replica"),
        ("RestoreMongoDB_Replica_PITR", "Restore_MongoDB_Replica_PITR"),
        ("EnlargeMongoDBVolume", "Enlarge_MongoDB_Volume"),
        ("MongodbSnapshotBackup", "MongodbSnapshotBackup"),
        ("RestartNode", "RestartNode"),
    ],
)
def test_v3_name_rule(list_name, detail_name):
    assert v3_job_name(list_name) == detail_name


def test_every_v3_name_maps_back_to_its_list_tasks_spelling():
    assert [canonical_job_type(v3_job_name(name)) for name in JOB_NAMES] == list(JOB_NAMES)


def test_newest_first(records):
    created = [parse(r["created_at"]) for r in records]
    assert all(a >= b for a, b in itertools.pairwise(created))


def test_terminal_and_running_records_follow_the_api_conventions(records):
    for record in records:
        created, ended = parse(record["created_at"]), parse(record["ended_at"])
        if record["status"] == "Running":
            assert re.fullmatch(r"\d{1,2}%", record["progress"])
            assert ended - created <= timedelta(seconds=10)
            assert record["fail_reason"] is None
        else:
            assert record["progress"] == ""
            assert ended >= created
            assert (record["fail_reason"] is not None) == (record["status"] == "Failed")
    assert Counter(r["status"] for r in records).keys() == {"Running", "Completed", "Failed"}


def test_records_at_an_earlier_moment_show_exactly_the_jobs_created_by_then(fleet, records):
    at = END - timedelta(days=20, hours=3)
    earlier = fleet.records(at)
    expected = {r["id"] for r in records if parse(r["created_at"]) <= at}
    assert {r["id"] for r in earlier} == expected
    # A job is Running at ``at`` exactly when it had been created but not yet ended.
    final = {r["id"]: r for r in records}
    for record in earlier:
        truth = final[record["id"]]
        if truth["status"] != "Running":
            still_running = parse(truth["ended_at"]) > at
            assert (record["status"] == "Running") == still_running
            if still_running:
                assert parse(record["ended_at"]) == min(
                    parse(record["created_at"]) + timedelta(seconds=10), at
                )


def test_utc_offsets_per_region_with_eu_summer_time(fleet):
    # EU summer time 2026 ends on Sunday 25 October at 01:00 UTC.
    switch = datetime(2026, 10, 25, 1, tzinfo=timezone.utc)
    for region in fleet.regions:
        for record in fleet.records(region=region):
            offset = record["created_at"][-5:]
            if region == "eu-west-101":
                assert offset == ("+0100" if parse(record["created_at"]) < switch else "+0000")
            else:
                assert offset == "+0800"


def test_region_and_project_filters(fleet, records):
    by_region = {r: fleet.records(region=r) for r in fleet.regions}
    assert sum(len(v) for v in by_region.values()) == len(records)
    for region, project_id in fleet.project_ids.items():
        assert fleet.records(project_id=project_id) == by_region[region]
    assert fleet.records(project_id="0" * 32) == []


def test_failure_reasons_have_variable_parts(records):
    reasons = [r["fail_reason"] for r in records if r["status"] == "Failed"]
    assert len(set(reasons)) >= 0.9 * len(reasons)
    assert any(re.search(r"\d+\.\d+\.\d+\.\d+:\d+", reason) for reason in reasons)


def test_incident_concentrates_one_reason_on_one_region_day(fleet):
    incident = fleet.incident
    region = incident["region"]
    same_reason = [
        r
        for r in fleet.records(region=region)
        if r["fail_reason"] and r["fail_reason"].startswith("Failed to access the storage backend")
    ]
    assert len(same_reason) == incident["jobs"] >= 10
    assert all(incident["start"] <= parse(r["created_at"]) < incident["end"] for r in same_reason)
    failures_per_day = Counter(
        (region, parse(r["created_at"]).astimezone(timezone.utc).date())
        for region in fleet.regions
        for r in fleet.records(region=region)
        if r["status"] == "Failed"
    )
    (worst, count), (_, runner_up) = failures_per_day.most_common(2)
    assert worst == (region, incident["start"].date())
    assert count >= 3 * runner_up


def test_stuck_jobs_are_running_far_beyond_their_type(fleet, records):
    by_id = {r["id"]: r for r in records}
    assert len(fleet.stuck_ids) == 3
    for job_id in fleet.stuck_ids:
        record = by_id[job_id]
        age = (END - parse(record["created_at"])).total_seconds()
        assert record["status"] == "Running"
        assert age >= 12 * 3600
        assert age > 5 * JOB_PROFILES[record["name"]].median_s


def test_durations_and_failure_rates_follow_the_profiles():
    big = generate_fleet(jobs=20000, instances=50, seed=2, incident=False, stuck=0)
    rows = big.records()
    backups = [r for r in rows if r["name"] == "MongodbSnapshotBackup" and r["status"] != "Running"]
    failed = sum(r["status"] == "Failed" for r in backups)
    p = JOB_PROFILES["MongodbSnapshotBackup"].fail_p
    # Binomial count within 4 standard deviations of n·p.
    assert abs(failed - len(backups) * p) <= 4 * math.sqrt(len(backups) * p * (1 - p))
    restarts = [
        (parse(r["ended_at"]) - parse(r["created_at"])).total_seconds()
        for r in rows
        if r["name"] == "RestartInstance" and r["status"] == "Completed"
    ]
    # Median of a lognormal is exp(mu): 120 s for RestartInstance.
    assert float(np.median(restarts)) == pytest.approx(JOB_PROFILES["RestartInstance"].median_s, rel=0.05)


def test_job_mix_is_realistic(records):
    counts = Counter(JOB_PROFILES[r["name"]].family for r in records)
    assert counts["backup"] > counts["create"] and counts["restart"] > counts["create"]
    assert counts["restore"] < counts["create"] + counts["scale"]


def test_spawn_adds_running_jobs_at_that_moment():
    fleet = generate_fleet(jobs=200, instances=5, seed=1, stuck=0)
    before = len(fleet)
    ids = fleet.spawn(4, END, region=fleet.regions[1])
    assert len(fleet) == before + 4
    newest = fleet.records()[:4]
    assert {r["id"] for r in newest} == set(ids)
    assert all(r["status"] == "Running" and r["progress"] == "0%" for r in newest)
    assert all(r in fleet.records(region=fleet.regions[1]) for r in newest)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_fleet(jobs=10, end=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="instances"):
        generate_fleet(jobs=10, instances=0)


def test_bundled_file_is_exactly_the_generators_output():
    path = Path(__file__).resolve().parents[1] / "data" / "sample_jobs.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = sample_records()
    assert len(expected) == 5000
    assert [json.loads(line) for line in lines] == expected
    regions = Counter(r["region"] for r in expected)
    assert set(regions) == {"cn-north-4", "ap-southeast-1", "eu-west-101"}
    assert len({r["instance_id"] for r in expected}) == 60
    assert {r["observed_at"] for r in expected} == {SAMPLE_END.isoformat()}
    assert all(len({r["project_id"] for r in expected if r["region"] == g}) == 1 for g in regions)

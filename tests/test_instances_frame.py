"""instances_frame, nodes_frame, scheduled_frame: both spellings, hand-checked values, bad input."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from ddsjobs_analytics._core._schema import check_frame
from ddsjobs_analytics._core._schema_inventory import INSTANCES, NODES, SCHEDULED
from ddsjobs_analytics._frame import (
    DataQualityWarning,
    RecordError,
    instances_frame,
    nodes_frame,
    scheduled_frame,
)

AT = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def node(az: str, spec: str, role: str = "Primary") -> dict:
    return {
        "id": f"n-{az}-{role}",
        "name": "n",
        "status": "normal",
        "role": role,
        "private_ip": "",
        "public_ip": "",
        "spec_code": spec,
        "availability_zone": az,
    }


# The documented example's spelling: port a number, ssl "1", no offset on created.
CLUSTER = {
    "id": "c1",
    "name": "orders",
    "status": "normal",
    "port": 8635,
    "mode": "Sharding",
    "region": "cn-north-4",
    "datastore": {
        "type": "DDS-Community",
        "version": "4.0",
        "patch_available": True,
        "whole_version": "4.0.27",
    },
    "engine": "wiredTiger",
    "created": "2019-01-17T07:05:52",
    "updated": "2019-01-18T00:00:00",
    "ssl": "1",
    "pay_mode": "0",
    "maintenance_window": "02:00-06:00",
    "enterprise_project_id": "0",
    "tags": [{"key": "env", "value": "prod"}],
    "groups": [
        {"type": "mongos", "nodes": [node("az2", "m.mongos", "master"), node("az1", "m.mongos", "master")]},
        {
            "type": "shard",
            "id": "s1",
            "name": "shard_1",
            "status": "normal",
            "volume": {"size": "100", "used": "10.5"},
            "nodes": [node("az1", "big"), node("az2", "big", "Secondary"), node("az3", "small", "Hidden")],
        },
        {
            "type": "shard",
            "id": "s2",
            "name": "shard_2",
            "status": "normal",
            "volume": {"size": "200", "used": "0.25"},
            "nodes": [node("az1", "big"), node("az2", "small", "Secondary"), node("az3", "big", "Hidden")],
        },
        {
            "type": "config",
            "id": "cf",
            "name": "config",
            "status": "normal",
            "volume": {"size": "20", "used": "1"},
            "nodes": [node("az1", "cfg"), node("az2", "cfg", "Secondary"), node("az3", "cfg", "Hidden")],
        },
    ],
}
# The SDK model's spelling: port a string, ssl an int.
REPLICA = {
    "id": "r1",
    "name": "users",
    "status": "abnormal",
    "port": "27017",
    "mode": "ReplicaSet",
    "region": "cn-north-4",
    "datastore": {"version": "4.4", "whole_version": "4.4.26"},
    "engine": "wiredTiger",
    "created": "2020-05-01T10:00:00",
    "updated": "2020-05-01T10:00:00",
    "ssl": 0,
    "tags": [],
    "groups": [
        {
            "type": "replica",
            "volume": {"size": "50", "used": "5"},
            "nodes": [node("az1", "rs"), node("az1", "rs", "Secondary"), node("az1", "rs", "Hidden")],
        }
    ],
}


def test_hand_checked_values_of_both_spellings() -> None:
    frame = instances_frame([CLUSTER, REPLICA], observed_at=AT, errors="raise")
    check_frame(frame, INSTANCES)
    c, r = frame.iloc[0], frame.iloc[1]
    assert c["spec_code"] == "big"  # shard nodes: big ×4, small ×2 (mongos and config are not data nodes)
    assert c["availability_zones"] == "az1,az2,az3"
    assert (c["node_count"], c["shard_count"]) == (11, 2)
    assert (c["volume_size_gb"], c["volume_used_gb"]) == (320.0, 11.75)
    assert (c["port"], c["ssl"], c["tags"]) == (8635, True, {"env": "prod"})
    assert c["created"] == pd.Timestamp("2019-01-17T07:05:52Z")  # no offset: UTC
    assert (r["port"], r["ssl"], r["shard_count"], r["spec_code"]) == (27017, False, 0, "rs")
    assert (r["engine_version"], r["availability_zones"], r["tags"]) == ("4.4", "az1", {})
    assert frame["observed_at"].eq(pd.Timestamp(AT)).all()


def test_reads_responses_and_files(tmp_path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"instances": [CLUSTER], "total_count": 1}))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in (CLUSTER, REPLICA)) + "\n")
    assert instances_frame(tmp_path / "a.json", observed_at=AT)["instance_id"].tolist() == ["c1"]
    assert instances_frame(str(tmp_path / "b.jsonl"), observed_at=AT)["instance_id"].tolist() == ["c1", "r1"]


def test_bad_input_is_counted_never_fatal() -> None:
    no_groups = {**copy.deepcopy(REPLICA), "id": "g0"}
    del no_groups["groups"]
    no_datastore = {**copy.deepcopy(REPLICA), "id": "d0"}
    del no_datastore["datastore"]
    odd_mode = {**copy.deepcopy(REPLICA), "id": "m0", "mode": "Cluster"}
    bad_volume = copy.deepcopy(REPLICA) | {"id": "v0"}
    bad_volume["groups"][0]["volume"]["size"] = "lots"
    with_offset = {**copy.deepcopy(REPLICA), "id": "o0", "created": "2020-05-01T18:00:00+0800"}
    records = [CLUSTER, no_groups, no_datastore, odd_mode, bad_volume, with_offset, CLUSTER]
    with pytest.warns(DataQualityWarning) as caught:
        frame = instances_frame(records, observed_at=AT)
    check_frame(frame, INSTANCES)
    assert frame["instance_id"].tolist() == ["c1", "g0", "d0", "m0", "v0", "o0"]  # the repeat kept once
    assert caught[0].message.counts == {
        "instance id repeated (first kept)": 1,
        "instance without groups": 1,
        "instance without datastore": 1,
        "unknown mode": 1,
        "volume size not a number": 1,
        "created has an offset (used as given)": 1,
    }
    row = frame.set_index("instance_id")
    assert row.loc["g0", "node_count"] == 0 and pd.isna(row.loc["g0", "spec_code"])
    assert pd.isna(row.loc["d0", "engine_version"]) and row.loc["m0", "mode"] == "Cluster"
    assert pd.isna(row.loc["v0", "volume_size_gb"]) and row.loc["v0", "volume_used_gb"] == 5.0
    assert row.loc["o0", "created"] == pd.Timestamp("2020-05-01T10:00:00Z")
    with pytest.raises(RecordError, match="instance g0: instance without groups"):
        instances_frame([no_groups], errors="raise")


def test_snapshots_keep_the_same_id_once_per_observation() -> None:
    first = {**CLUSTER, "observed_at": "2026-11-01T00:00:00+00:00"}
    second = {**CLUSTER, "observed_at": "2026-11-02T00:00:00+00:00"}
    frame = instances_frame([first, second], errors="raise")
    assert frame["observed_at"].tolist() == [
        pd.Timestamp("2026-11-01T00:00Z"),
        pd.Timestamp("2026-11-02T00:00Z"),
    ]


def test_nodes_frame_one_row_per_node() -> None:
    nodes = nodes_frame([CLUSTER, REPLICA])
    check_frame(nodes, NODES)
    assert len(nodes) == 11 + 3
    assert nodes["group_type"].value_counts().to_dict() == {
        "shard": 6,
        "config": 3,
        "replica": 3,
        "mongos": 2,
    }
    mongos = nodes[nodes["group_type"] == "mongos"]
    assert mongos["group_id"].isna().all() and (mongos["role"] == "master").all()
    assert nodes["private_ip"].isna().all()


SCHEDULE = {
    "job_id": "j1",
    "job_name": "RESIZE_FLAVOR",
    "job_status": "Completed",
    "instance_id": "c1",
    "instance_name": "orders",
    "instance_status": "normal",
    "create_time": "2026-11-18T20:00:00+0800",
    "start_time": "2026-11-19T02:00:00+0800",
    "end_time": "2026-11-19T02:20:00+0800",
}


def test_scheduled_frame_times_in_utc_and_empty_times() -> None:
    pending = {**SCHEDULE, "job_id": "j2", "job_status": "Pending", "end_time": ""}
    broken = {**SCHEDULE, "job_id": "j3", "create_time": "", "start_time": ""}
    with pytest.warns(DataQualityWarning) as caught:
        frame = scheduled_frame({"schedules": [SCHEDULE, pending, broken], "total_count": 3})
    check_frame(frame, SCHEDULED)
    assert caught[0].message.counts == {"create_time empty": 1, "start_time empty": 1}
    assert frame.loc[0, "created"] == pd.Timestamp("2026-11-18T12:00:00Z")
    assert frame.loc[0, "end"] - frame.loc[0, "start"] == pd.Timedelta(minutes=20)
    assert frame.loc[0, "utc_offset"] == 480 and pd.isna(frame.loc[2, "utc_offset"])
    assert pd.isna(frame.loc[1, "end"]) and pd.isna(frame.loc[2, "created"])
    assert frame["status"].tolist() == ["Completed", "Pending", "Completed"]

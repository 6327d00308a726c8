"""report/check --target fetch each target's live inventory; sync --no-instances skips it (issue 19 §6).

Against the simulator over loopback with two targets (two regions, one project each); the expected
versions come from the simulator's own inventory, not from the client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sim_env import point_env_at, target_options

from ddsjobs_analytics._cli._main import main
from ddsjobs_analytics.client._inventory import AsyncInventoryMethods
from ddsjobs_analytics.simulator import Simulator, running

REGIONS = ("cn-north-4", "ap-southeast-1")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with running(jobs=1200, seed=12, regions=REGIONS) as simulator:
        yield simulator


@pytest.fixture()
def env(sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Credentials and endpoint of the simulator; returns the --target options of both regions."""
    point_env_at(sim, monkeypatch, one_project=False)
    monkeypatch.chdir(tmp_path)
    return target_options(sim)


def window(sim: Simulator) -> list[str]:
    return ["--since", "20d", "--until", pd.Timestamp(sim.now).isoformat()]


def versions(sim: Simulator) -> dict[str, str]:
    """Every listed instance's version, from the simulator's inventory (both regions)."""
    inventory, now = sim.service.inventory, sim.service.now_s
    return {
        r["id"]: r["datastore"]["version"] for region in REGIONS for r in inventory.listed(now, region=region)
    }


def listings(sim: Simulator) -> list[str]:
    return [record.path for record in sim.service.log if record.path.endswith("/instances")]


def test_report_over_two_targets_joins_each_targets_inventory(sim, env, tmp_path) -> None:
    out = tmp_path / "report"
    before = len(listings(sim))
    assert main(["report", *env, *window(sim), "--out", str(out), "--no-charts", "-q"]) == 0
    jobs = pd.read_csv(out / "jobs.csv", dtype={"engine_version": "string"})
    expected = versions(sim)
    assert set(jobs["region"]) == set(REGIONS)
    got = {(i, v) for i, v in zip(jobs["instance_id"], jobs["engine_version"], strict=True) if pd.notna(v)}
    assert got == {(i, expected[i]) for i in set(jobs["instance_id"]) if i in expected}
    known = jobs["instance_known"].astype(bool)
    assert known.equals(jobs["instance_id"].isin(list(expected)))  # the deleted instances' jobs are not
    assert known.any() and (~known).any()
    assert set(pd.read_csv(out / "jobs.csv")["region"][known]) == set(REGIONS)
    project_paths = {f"/v3/{project}/instances" for project in sim.project_ids.values()}
    assert set(listings(sim)[before:]) == project_paths  # each target's own ListInstances
    assert (out / "fleet_by_version.csv").is_file() and (out / "scheduled_upcoming.csv").is_file()


def test_no_instances_skips_the_inventory(sim, env, tmp_path) -> None:
    out = tmp_path / "report"
    before = len(listings(sim))
    args = ["report", *env, *window(sim), "--no-instances", "--out", str(out), "--no-charts", "-q"]
    assert main(args) == 0
    assert "engine_version" not in pd.read_csv(out / "jobs.csv").columns
    assert len(listings(sim)) == before and not (out / "fleet_by_version.csv").exists()


def test_a_failing_targets_inventory_is_named_and_the_others_still_join(
    sim, env, tmp_path, monkeypatch, capsys
) -> None:
    first, second = REGIONS
    original = AsyncInventoryMethods.list_instances

    async def flaky(self, **filters):
        if self._core.project_id == sim.project_ids[second]:
            raise RuntimeError("inventory down")
        return await original(self, **filters)

    monkeypatch.setattr(AsyncInventoryMethods, "list_instances", flaky)
    out = tmp_path / "report"
    code = main(["report", *env, *window(sim), "--out", str(out), "--no-charts"])
    assert code == 3  # partial: the second target's inventory is missing
    label = f"{second}:{sim.project_ids[second]}"
    err = capsys.readouterr().err
    assert f"ddsjobs report: target {label} inventory failed: RuntimeError: inventory down" in err
    jobs = pd.read_csv(out / "jobs.csv")
    unread = int((jobs["region"] == second).sum())
    # Counted as unread, not as jobs of deleted instances: those are only the first target's unknown ones.
    assert f"{unread} job(s) of {label} have no instance columns: the inventory could not be read" in err
    gone = jobs[(jobs["region"] == first) & ~jobs["instance_known"].astype(bool)]
    deleted = gone["instance_id"].nunique()
    assert f"{len(gone)} job(s) of {deleted} instance(s) missing from the inventory (deleted?)" in err
    by_region = jobs.groupby("region")["instance_known"].any()
    assert bool(by_region[first]) and not bool(by_region[second])
    capsys.readouterr()
    code = main(["check", *env, *window(sim), "--by", "engine_version", "--format", "json", "--no-progress"])
    assert code == 4 and f"target {label} inventory failed" in capsys.readouterr().err  # check: partial is 4


def test_check_over_two_targets_groups_by_an_instance_column(sim, env, capsys) -> None:
    options = ["--since", "5d", "--baseline", "15d", "--until", pd.Timestamp(sim.now).isoformat()]
    code = main(["check", *env, *options, "--by", "engine_version", "--format", "json", "--no-progress"])
    assert code in (0, 1)
    result = json.loads(capsys.readouterr().out)
    rows = [
        row for rows in result.values() if isinstance(rows, list) for row in rows if isinstance(row, dict)
    ]
    groups = {row["engine_version"] for row in rows if "engine_version" in row}
    # Both targets' instances joined: every version of the fleet shows up as a group (deleted ones as null).
    assert set(versions(sim).values()) <= groups <= {*versions(sim).values(), None}


def test_sync_no_instances_stores_the_jobs_only(sim, env, tmp_path) -> None:
    bare, full = tmp_path / "bare", tmp_path / "full"
    assert main(["sync", *env, "--archive", str(bare), "--no-instances", "--no-progress", "-q"]) == 0
    assert not (bare / "_inventory" / "instances.parquet").exists()
    assert main(["sync", *env, "--archive", str(full), "--no-progress", "-q"]) == 0
    assert (full / "_inventory" / "instances.parquet").is_file()
    stored = pd.read_parquet(full / "_inventory" / "instances.parquet")
    assert set(stored["instance_id"]) == set(versions(sim))

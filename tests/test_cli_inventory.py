"""The inventory on the command line: fetch --instances, report/check --instances FILE, ddsjobs scheduled."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sim_env import point_env_at

from ddsjobs_analytics._cli import _main as cli


@pytest.fixture
def simulator_env(monkeypatch: pytest.MonkeyPatch):
    from ddsjobs_analytics.simulator import running

    with running(jobs=1500, instances=40, seed=3) as sim:
        point_env_at(sim, monkeypatch)
        yield sim


def listed_ids(sim) -> list[str]:
    return [r["id"] for r in sim.service.inventory.listed(sim.service.now_s, region=sim.region)]


def test_fetch_instances_writes_the_inventory_beside_the_jobs(simulator_env, tmp_path: Path, capsys) -> None:
    sim = simulator_env
    out = tmp_path / "jobs.parquet"
    assert cli.main(["fetch", "--since", "30d", "--out", str(out), "--instances", "--no-progress"]) == 0
    lines = (tmp_path / "jobs.instances.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == listed_ids(sim)
    assert {r["project_id"] for r in records} == {sim.project_id} and all(r["observed_at"] for r in records)
    scheduled = [json.loads(line) for line in (tmp_path / "jobs.scheduled.jsonl").read_text().splitlines()]
    assert scheduled and all("job_id" in r for r in scheduled)
    assert f"{len(records):,} instances written" in capsys.readouterr().out
    # Written again over its own file; never over a file it did not write, nor through a symlink.
    assert cli.main(["fetch", "--since", "1d", "--out", str(out), "--instances", "--no-progress"]) == 0
    (tmp_path / "jobs.instances.jsonl").write_text("my notes\n")
    assert cli.main(["fetch", "--since", "1d", "--out", str(out), "--instances", "--no-progress"]) == 1
    assert (tmp_path / "jobs.instances.jsonl").read_text() == "my notes\n"
    assert "not an inventory file" in capsys.readouterr().err
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("")
    (tmp_path / "jobs.instances.jsonl").unlink()
    (tmp_path / "jobs.instances.jsonl").symlink_to(target)
    assert cli.main(["fetch", "--since", "1d", "--out", str(out), "--instances", "--no-progress"]) == 1
    assert target.read_text() == ""


def test_report_and_check_take_the_inventory(simulator_env, tmp_path: Path, capsys) -> None:
    out = tmp_path / "jobs.parquet"
    assert cli.main(["fetch", "--since", "30d", "--out", str(out), "--instances", "--no-progress"]) == 0
    inventory = tmp_path / "jobs.instances.jsonl"
    report = tmp_path / "report"
    args = ["report", str(out), "--instances", str(inventory), "--out", str(report), "--no-charts"]
    assert cli.main(args) == 0
    jobs = pd.read_csv(report / "jobs.csv")
    assert {"engine_version", "mode", "availability_zones", "instance_known"} <= set(jobs.columns)
    # The scheduled jobs written beside the inventory feed the Fleet section's scheduled changes.
    upcoming = pd.read_csv(report / "scheduled_upcoming.csv")
    assert len(upcoming) and (report / "fleet_by_version.csv").is_file()
    capsys.readouterr()
    code = cli.main(
        ["check", str(out), "--instances", str(inventory), "--by", "engine_version", "--format", "json"]
    )
    assert code in (0, 1, 3)
    assert "engine_version" in capsys.readouterr().out


def test_check_from_the_api_fetches_the_inventory_unless_told_not_to(simulator_env, capsys) -> None:
    sim = simulator_env
    code = cli.main(["check", "--by", "mode", "--format", "json", "--no-progress"])
    assert code in (0, 1, 3)
    assert any(r.path.endswith("/instances") for r in sim.requests)
    before = len(sim.requests)
    code = cli.main(["check", "--format", "json", "--no-instances", "--no-progress"])
    assert code in (0, 1, 3)
    assert not any(r.path.endswith("/instances") for r in sim.requests[before:])


def test_scheduled_lists_the_pending_jobs_soonest_first(simulator_env, capsys) -> None:
    sim = simulator_env
    now = sim.service.now_s
    pending = sorted(
        (
            s
            for s in sim.service.inventory.scheduled
            if s.status(now) == "Pending" and s.create_s >= now - 30 * 86400
        ),
        key=lambda s: s.start_s,
    )
    assert pending
    assert cli.main(["scheduled", "--format", "json", "--no-progress"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["job_id"] for r in rows] == [s.job_id for s in pending]
    assert {r["status"] for r in rows} == {"Pending"}
    assert cli.main(["scheduled", "--tz", "Asia/Shanghai", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert f"{len(pending)} scheduled job(s), times in Asia/Shanghai" in text
    assert pending[0].job_id in text.splitlines()[1]
    assert cli.main(["scheduled", "--all", "--format", "json", "--no-progress"]) == 0
    assert len(json.loads(capsys.readouterr().out)) >= len(pending)


def test_the_demo_report_has_the_fleet_section(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo"
    assert (
        cli.main(["demo", "--out", str(out), "--jobs", "1500", "--days", "30", "--html", "--no-charts"]) == 0
    )
    by_version = pd.read_csv(out / "fleet_by_version.csv")
    assert {"3.4", "5.0"} <= set(by_version["engine_version"].astype(str))
    assert 'id="fleet"' in (out / "report.html").read_text(encoding="utf-8")


def test_report_from_an_archive_uses_its_inventory_history(simulator_env, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert cli.main(["sync", "--archive", str(archive), "--no-progress", "-q"]) == 0
    assert (archive / "_inventory" / "instances.parquet").is_file()
    report = tmp_path / "report"
    assert cli.main(["report", "--archive", str(archive), "--out", str(report), "--no-charts"]) == 0
    assert (report / "fleet_by_mode.csv").is_file() and (report / "scheduled_upcoming.csv").is_file()
    assert cli.main(["archive", "verify", "--archive", str(archive)]) == 0

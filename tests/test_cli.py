"""The ``ddsjobs`` command: argument parsing and the report/demo paths end to end (demo over loopback)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics import cli
from ddsjobs_analytics._sample import sample_records, write_jsonl

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
REPORT_FILES = {
    "jobs.csv",
    "duration_stats.csv",
    "failure_rates.csv",
    "fail_reasons.csv",
    "stuck_jobs.csv",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("90m", NOW - timedelta(minutes=90)),
        ("2w", NOW - timedelta(days=14)),
        ("1.5d", NOW - timedelta(hours=36)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=timezone.utc)),
        ("2026-11-01T08:00:00+08:00", datetime(2026, 11, 1, tzinfo=timezone.utc)),
    ],
)
def test_parse_since(text: str, expected: datetime):
    assert cli.parse_since(text, now=NOW) == expected


def test_parse_since_rejects_nonsense():
    with pytest.raises(argparse.ArgumentTypeError, match="--since"):
        cli.parse_since("soon", now=NOW)


def test_report_on_the_bundled_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "report"
    assert cli.main(["report", "--out", str(out), "--html"]) == 0
    written = {p.name for p in out.iterdir()}
    assert written >= REPORT_FILES
    assert "report.html" in written
    assert {"durations.png", "failure_rates.png", "fail_reasons.png", "timeline.png"} <= written
    jobs = pd.read_csv(out / "jobs.csv")
    assert len(jobs) == 5000
    console = capsys.readouterr().out
    assert "5,000" in console  # the summary counts every job of the sample


def test_report_from_a_jsonl_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    records = sample_records()[:300]
    source = tmp_path / "jobs.jsonl"
    write_jsonl(records, source)
    out = tmp_path / "r"
    assert cli.main(["report", str(source), "--out", str(out), "--no-charts"]) == 0
    assert {p.name for p in out.iterdir()} >= REPORT_FILES
    assert not list(out.glob("*.png"))
    assert len(pd.read_csv(out / "jobs.csv")) == 300


def test_a_bad_input_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    missing = tmp_path / "nope.jsonl"
    assert cli.main(["report", str(missing), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ddsjobs report:") and "nope.jsonl" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_demo_fetches_from_the_simulator_over_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--jobs", "1500", "--days", "30"]) == 0
    console = capsys.readouterr().out
    assert "Simulator listening on http://127.0.0.1:" in console
    jobs = pd.read_csv(out / "jobs.csv")
    assert len(jobs) > 0
    assert f"Fetched {len(jobs):,} jobs" in console
    assert {p.name for p in out.iterdir()} >= REPORT_FILES


@pytest.fixture
def simulator_env(monkeypatch: pytest.MonkeyPatch):
    """A simulator on loopback and the SDK's environment variables pointing at it, as a user sets them."""
    from ddsjobs_analytics.simulator import running

    with running(jobs=1200, seed=3) as sim:
        monkeypatch.setenv("HUAWEICLOUD_SDK_AK", sim.ak)
        monkeypatch.setenv("HUAWEICLOUD_SDK_SK", sim.sk)
        monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", sim.project_id)
        monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", sim.region)
        monkeypatch.setenv("DDSJOBS_ENDPOINT", sim.url)
        yield sim


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_fetch_writes_the_window(
    simulator_env, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
):
    sim = simulator_env
    out = tmp_path / f"jobs{suffix}"
    assert cli.main(["fetch", "--since", "30d", "--out", str(out), "--no-progress"]) == 0
    expected = {record["id"] for record in sim.truth(sim.now - timedelta(days=30), sim.now)}
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert set(frame["job_id"]) == expected
    assert f"{len(expected):,} jobs written" in capsys.readouterr().out
    if suffix == ".parquet":  # a fetched frame feeds straight back into the report
        assert cli.main(["report", str(out), "--out", str(tmp_path / "r"), "--no-charts"]) == 0


def test_fetch_refuses_an_unknown_output_type(
    simulator_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert cli.main(["fetch", "--out", str(tmp_path / "jobs.xlsx"), "--no-progress"]) == 1
    assert ".parquet or .csv" in capsys.readouterr().err


def test_sync_then_report_from_the_archive(simulator_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    sim = simulator_env
    archive = tmp_path / "archive"
    assert cli.main(["sync", "--archive", str(archive), "--no-progress"]) == 0
    first = capsys.readouterr().out
    assert "new" in first
    # New jobs arrive (created at the simulator's clock, a moment ago; a real sync lists up to the real now).
    spawned = set(sim.spawn(4))
    assert cli.main(["sync", "--archive", str(archive), "--no-progress"]) == 0
    assert "4 new" in capsys.readouterr().out
    out = tmp_path / "r"
    assert (
        cli.main(["report", "--archive", str(archive), "--since", "90d", "--out", str(out), "--no-charts"])
        == 0
    )
    jobs = pd.read_csv(out / "jobs.csv")
    truth = {record["id"] for record in sim.truth(sim.now - timedelta(days=30), sim.now)}
    assert spawned <= truth
    assert set(jobs["job_id"]) == truth
    assert jobs["job_id"].is_unique
    # The notebooks' loader: the same archive, and with credentials set, "auto" means the API.
    from_archive = dj.load_jobs("archive", archive=archive, since="90d")
    assert from_archive.attrs["source"] == f"archive {archive}" and set(from_archive["job_id"]) == truth
    from_api = dj.load_jobs(since="30d")
    assert from_api.attrs["source"].startswith("api ") and set(from_api["job_id"]) == truth


def test_sync_without_credentials_is_one_clear_line(monkeypatch, tmp_path: Path, capsys):
    for name in (
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "DDSJOBS_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["sync", "--archive", str(tmp_path / "a"), "--region", "ap-southeast-1"]) == 1
    err = capsys.readouterr().err
    assert "HUAWEICLOUD_SDK_AK" in err and "Traceback" not in err


def test_the_exports_printed_by_simulate_configure_from_env(serving):
    """``ddsjobs simulate`` prints ``export …`` lines: pasted into a shell, they are enough for from_env."""
    import re

    from ddsjobs_analytics.client import TaskCenter

    with serving(jobs=200, seed=5) as printed:
        environ = dict(re.findall(r"^export (\w+)=(\S+)$", printed, flags=re.MULTILINE))
        assert {"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_REGION"} <= set(environ)
        with TaskCenter.from_env(environ=environ, progress=False) as center:
            frame = center.fetch()
        assert len(frame) > 0
        assert set(frame["region"].astype(str)) == {environ["HUAWEICLOUD_SDK_REGION"]}


def test_a_bad_since_is_a_usage_error_before_any_work(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fetch", "--since", "soon", "--out", "jobs.parquet"])
    assert exit_info.value.code == 2
    assert "--since" in capsys.readouterr().err


def test_verbose_shows_the_traceback(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"nope\.jsonl"):
        cli.main(["-v", "report", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r")])

"""``ddsjobs check``: formats, exit codes and data sources (files, the simulator over HTTP, an archive)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._cli import _main as cli

sys.path.insert(0, str(Path(__file__).parent))
from compare_fleet import fleet


@pytest.fixture(scope="module")
def jobs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("check") / "jobs.parquet"
    fleet(0).to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def quiet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No injected change (type-00 still gets a new failure message in the last week)."""
    path = tmp_path_factory.mktemp("check") / "quiet.parquet"
    fleet(0, changes=()).to_parquet(path, index=False)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_lists_each_regression_and_exits_1(jobs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(jobs_file)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("ddsjobs check: current 2026-10-25 00:00 → 2026-11-01 00:00 +0000 vs baseline")
    regressions = [line for line in lines if line.startswith("REGRESSED")]
    assert {tuple(line.split()[1:3]) for line in regressions} == {
        ("job_type=type-00", "failure_rate"),
        ("job_type=type-01", "duration_p50"),
        ("job_type=type-01", "duration_p95"),
    }
    rate = next(line for line in regressions if "failure_rate" in line)
    assert " pp, 95% CI " in rate and "q=" in rate and "%" in rate
    assert any(line.startswith("NEW REASON") and "Backup storage unreachable" in line for line in lines)


def test_values_in_the_line_are_those_of_compare_periods(
    jobs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    df = pd.read_parquet(jobs_file)
    current, baseline = dj.default_periods(df)
    row = dj.compare_periods(df, current=current, baseline=baseline).set_index(["job_type", "metric"])
    row = row.loc[("type-00", "failure_rate")]
    _, out, _ = run([str(jobs_file), "--fail-on", "failure_rate"], capsys)
    line = next(line for line in out.splitlines() if line.startswith("REGRESSED"))
    assert f"{row['baseline']:.1%} → {row['current']:.1%}" in line
    assert (
        f"{row['change'] * 100:+.1f} pp, 95% CI {row['ci_low'] * 100:+.1f} … {row['ci_high'] * 100:+.1f} pp"
        in line
    )
    assert f"q={row['q_value']:.2g}" in line
    assert f"n={row['n_baseline']}/{row['n_current']}" in line
    assert sum(line.startswith("REGRESSED") for line in out.splitlines()) == 1  # --fail-on filters


def test_markdown_is_a_table(jobs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(jobs_file), "--format", "markdown"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("**ddsjobs check: 3 regressions**")
    assert "| group | metric | baseline → current | change | q | jobs |" in lines
    assert sum(line.startswith("| job_type=") for line in lines) == 3
    assert "New failure reasons:" in lines


def test_json_for_machines(jobs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(jobs_file), "--format", "json", "--tz", "+08:00"], capsys)
    payload = json.loads(out)
    assert code == payload["exit_code"] == 1
    assert payload["current"] == {"start": "2026-10-25T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}
    assert payload["summary"]["regressed"] == 3 and payload["summary"]["improved"] == 2
    assert {(r["job_type"], r["metric"]) for r in payload["regressions"]} >= {("type-00", "failure_rate")}
    assert len(payload["rows"]) == 36 and all(r["verdict"] for r in payload["rows"])
    assert payload["new_fail_reasons"][0]["count"] > 0


def test_no_regression_exits_0_unless_new_reasons_count(
    quiet_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([str(quiet_file), "--tz", "Asia/Shanghai"], capsys)
    assert code == 0
    assert "No regression." in out and "+0800" in out.splitlines()[0]
    code, out, _ = run([str(quiet_file), "--fail-on", "failure_rate,fail_reason"], capsys)
    assert code == 1 and "NEW REASON" in out


def test_insufficient_data_exits_3(jobs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(jobs_file), "--min-jobs", "100000"], capsys)
    assert code == 3
    assert "0 unchanged, 36 insufficient" in out
    code, _, _ = run([str(jobs_file), "--until", "2020-01-01"], capsys)  # no job in either period
    assert code == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "latency"], "--fail-on"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--format", "yaml"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(
    jobs_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", str(jobs_file), *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_runtime_errors_exit_2_not_1(
    jobs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([str(jobs_file), "--by", "nope"], capsys)
    assert code == 2 and "'nope'" in err and len(err.splitlines()) == 1
    bad = tmp_path / "jobs.txt"
    bad.write_text("x")
    code, _, err = run([str(bad)], capsys)
    assert code == 2 and "jobs.txt" in err


def test_check_from_the_task_center_and_from_an_archive(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ddsjobs_analytics.simulator import running

    with running(jobs=1500, seed=11) as sim:
        for name, value in {
            "HUAWEICLOUD_SDK_AK": sim.ak,
            "HUAWEICLOUD_SDK_SK": sim.sk,
            "HUAWEICLOUD_SDK_PROJECT_ID": sim.project_id,
            "HUAWEICLOUD_SDK_REGION": sim.region,
            "DDSJOBS_ENDPOINT": sim.url,
        }.items():
            monkeypatch.setenv(name, value)
        until = pd.Timestamp(sim.now).isoformat()
        options = [
            "--since",
            "5d",
            "--baseline",
            "20d",
            "--until",
            until,
            "--format",
            "json",
            "--min-jobs",
            "5",
        ]
        code, out, err = run([*options, "--no-progress"], capsys)
        assert code in (0, 1, 3), err
        from_api = json.loads(out)
        archive = tmp_path / "archive"
        assert cli.main(["sync", "--archive", str(archive), "--no-progress"]) == 0
        capsys.readouterr()
        code_archive, out, _ = run([*options, "--archive", str(archive)], capsys)
        truth = pd.DataFrame(sim.truth(sim.now - pd.Timedelta(days=30), sim.now))
    from_archive = json.loads(out)
    assert code_archive == code
    assert from_archive["rows"] == from_api["rows"]
    # Every decided job created in the current window is counted once.
    created = pd.to_datetime(truth["created_at"], utc=True, format="ISO8601")
    current = (created >= pd.Timestamp(from_api["current"]["start"])) & (created < pd.Timestamp(until))
    decided = current & truth["status"].isin(["Completed", "Failed"])
    rates = [r for r in from_api["rows"] if r["metric"] == "failure_rate"]
    assert sum(r["n_current"] for r in rates) == decided.sum() > 0

"""Several targets in one run and the --status/--job-type/--instance filters, against the simulator."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sim_env import point_env_at, target_options

import ddsjobs_analytics as dj
from ddsjobs_analytics._cli._main import main
from ddsjobs_analytics._cli._targets import list_tasks_filters
from ddsjobs_analytics.simulator import Simulator, running

sys.path.insert(0, str(Path(__file__).parent))
from chat_servers import chat_server

REGIONS = ("cn-north-4", "ap-southeast-1")
OK = {"code": 0, "msg": "success", "errcode": 0, "errmsg": "ok"}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with running(jobs=1500, seed=11, regions=REGIONS) as simulator:
        yield simulator


@pytest.fixture()
def env(sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Credentials and endpoint of the simulator; returns the --target options of both regions."""
    point_env_at(sim, monkeypatch, one_project=False)
    monkeypatch.chdir(tmp_path)
    return target_options(sim)


def window(sim: Simulator) -> list[str]:
    return ["--since", "20d", "--until", pd.Timestamp(sim.now).isoformat()]


def by_id(df: pd.DataFrame) -> pd.DataFrame:
    columns = ["job_id", "job_type", "status", "instance_id", "instance_name", "region", "project_id"]
    return df[columns].astype(str).sort_values("job_id").reset_index(drop=True)


def test_filter_jobs_equals_filtering_in_pandas() -> None:
    df = dj.load_sample()
    name = str(df["instance_name"].dropna().iloc[0])
    got = dj.filter_jobs(df, status=["Failed", "Run*"], job_type="Mongodb*", instance=[name[:-1] + "?"])
    status = df["status"].isin(["Failed", "Running"])
    kind = df["job_type"].astype(str).str.startswith("Mongodb")
    instance = df["instance_name"].astype(str).str.fullmatch(name[:-1] + ".") | (
        df["instance_id"] == name[:-1]
    )
    pd.testing.assert_frame_equal(got, df[status & kind & instance])
    assert len(got) > 0
    by_instance_id = dj.filter_jobs(df, instance=str(df["instance_id"].iloc[0]))
    assert (by_instance_id["instance_id"] == df["instance_id"].iloc[0]).all() and len(by_instance_id) > 0


def test_only_exact_single_values_go_to_list_tasks() -> None:
    def args(**values: list[str]) -> argparse.Namespace:
        return argparse.Namespace(**{"status": None, "job_type": None, "instance": None, **values})

    assert list_tasks_filters(args(status=["Failed"], job_type=["MongodbSnapshotBackup"])) == {
        "status": "Failed",
        "name": "MongodbSnapshotBackup",
    }
    assert list_tasks_filters(args(status=["Fail*"], job_type=["Mongodb*"], instance=["x"])) == {}
    assert list_tasks_filters(args(status=["Failed", "Running"], job_type=["NotAJobName"])) == {}


def test_two_targets_fetch_concurrently_and_filters_equal_pandas(
    sim: Simulator, env: list[str], tmp_path: Path
) -> None:
    everything, filtered, server_side = (tmp_path / f"{name}.parquet" for name in ("all", "some", "server"))
    assert main(["fetch", *env, *window(sim), "--out", str(everything), "-q"]) == 0
    df = pd.read_parquet(everything)
    assert set(zip(df["region"], df["project_id"], strict=True)) == set(sim.project_ids.items())
    instance = "dds-*-sh"  # the sharded clusters
    options = [
        "--status",
        "Failed",
        "--status",
        "Completed",
        "--job-type",
        "Mongodb*",
        "--instance",
        instance,
    ]
    assert main(["fetch", *env, *window(sim), *options, "--out", str(filtered), "-q"]) == 0
    expected = dj.filter_jobs(df, status=["Failed", "Completed"], job_type="Mongodb*", instance=instance)
    assert 0 < len(expected) < len(df)
    pd.testing.assert_frame_equal(by_id(pd.read_parquet(filtered)), by_id(expected))
    # One exact status and job name are filtered by ListTasks itself: the same frame.
    exact = ["--status", "Failed", "--job-type", "MongodbSnapshotBackup"]
    assert main(["fetch", *env, *window(sim), *exact, "--out", str(server_side), "-q"]) == 0
    expected = df[(df["status"] == "Failed") & (df["job_type"] == "MongodbSnapshotBackup")]
    assert len(expected) > 0
    pd.testing.assert_frame_equal(by_id(pd.read_parquet(server_side)), by_id(expected))


def test_a_failing_target_is_named_and_the_others_still_count(
    sim: Simulator, env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "partial.parquet"
    code = main(["fetch", *env, "--target", "cn-north-4:no-such-project", *window(sim), "--out", str(out)])
    assert code == 3
    err = capsys.readouterr().err
    assert "ddsjobs fetch: target cn-north-4:no-such-project failed: InvalidRequestError" in err
    assert set(pd.read_parquet(out)["region"]) == set(REGIONS)


def test_check_over_two_targets_from_the_file_posts_signed_messages(
    sim: Simulator,
    env: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's "done when": one check --config run over two targets, rules and two chats."""
    (first, first_project), (second, second_project) = sim.project_ids.items()
    monkeypatch.setenv("DDS_PROJECT_A", first_project)
    monkeypatch.setenv("DDS_PROJECT_B", second_project)
    monkeypatch.setenv("FEISHU_SECRET", "feishu-secret")
    monkeypatch.setenv("DING_SECRET", "SEC-ding-secret")

    def config(limit: float) -> str:
        path = tmp_path / "ddsjobs.toml"
        path.write_text(
            f'tz = "Asia/Shanghai"\n\n[[targets]]\nregion = "{first}"\nproject_id = "env:DDS_PROJECT_A"\n\n'
            f'[[targets]]\nregion = "{second}"\nproject_id = "env:DDS_PROJECT_B"\n\n'
            f'[[rules]]\njob_type = "*"\nmax_failure_rate = {limit}\n\n'
            '[[notify]]\nname = "feishu"\nkind = "feishu"\nurl = "env:FEISHU_URL"\n'
            'secret = "env:FEISHU_SECRET"\n\n'
            '[[notify]]\nname = "ding"\nkind = "dingtalk"\nurl = "env:DING_URL"\n'
            'secret = "env:DING_SECRET"\n',
            encoding="utf-8",
        )
        return str(path)

    until = pd.Timestamp(sim.now).isoformat()
    options = ["--since", "5d", "--baseline", "20d", "--until", until, "--min-jobs", "5", "--no-progress"]
    with chat_server((200, OK, {})) as feishu, chat_server((200, OK, {})) as ding:
        monkeypatch.setenv("FEISHU_URL", feishu.url)
        monkeypatch.setenv("DING_URL", ding.url)
        clean = main(["check", "--config", config(1.0), *options])
        assert clean == 0 and (feishu.received, ding.received) == ([], [])
        breached = main(["check", "--config", config(0.0), *options])
    out = capsys.readouterr().out
    assert breached == 1 and "BREACH  job_type=" in out and "+0800" in out.splitlines()[0]
    (card,) = [request.body for request in feishu.received]
    (markdown,) = ding.received
    key = f"{card['timestamp']}\nfeishu-secret".encode()
    assert card["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    context = card["card"]["elements"][0]["text"]["content"]
    assert f"{first}:{first_project}" in context and f"{second}:{second_project}" in context
    stamp = markdown.query["timestamp"][0]
    digest = hmac.new(b"SEC-ding-secret", f"{stamp}\nSEC-ding-secret".encode(), hashlib.sha256).digest()
    assert markdown.query["sign"] == [base64.b64encode(digest).decode()]
    assert markdown.body["msgtype"] == "markdown" and "BREACH" in markdown.body["markdown"]["text"]


def test_sync_two_targets_into_one_archive_then_report_and_metrics_filter(
    sim: Simulator, env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive"
    assert main(["sync", *env, "--archive", str(archive), "--no-progress", "-q"]) == 0
    df = dj.JobArchive(archive).load()
    assert set(df["region"]) == set(REGIONS)
    assert main(["metrics", "--archive", str(archive), "--status", "Failed", "--top", "100"]) == 0
    got = capsys.readouterr().out
    failed = df[df["status"] == "Failed"]
    from ddsjobs_analytics.metrics._exposition import metrics_text

    assert got == metrics_text(failed, top=100)
    out = tmp_path / "report"
    args = ["report", *env, *window(sim), "--job-type", "Mongodb*", "--out", str(out), "--no-charts", "-q"]
    assert main(args) == 0
    assert (out / "failure_rates.csv").exists()
    rates = pd.read_csv(out / "failure_rates.csv")
    assert rates["job_type"].str.startswith("Mongodb").all()


def test_partial_exit_codes_of_check_and_sync(
    sim: Simulator, env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = ["--target", "ap-southeast-1:no-such-project"]
    until = pd.Timestamp(sim.now).isoformat()
    options = ["--since", "5d", "--baseline", "20d", "--until", until, "--min-jobs", "5", "--no-progress"]
    assert main(["check", *env, *options]) == 0  # both targets answer: no regression
    capsys.readouterr()
    assert main(["check", *env, *bad, *options]) == 4  # no regression, but one target failed
    assert "target ap-southeast-1:no-such-project failed" in capsys.readouterr().err
    archive = tmp_path / "archive"
    assert main(["sync", *env, *bad, "--archive", str(archive), "--no-progress", "-q"]) == 3
    assert "ddsjobs sync: target ap-southeast-1:no-such-project failed" in capsys.readouterr().err
    assert set(dj.JobArchive(archive).load()["region"]) == set(REGIONS)

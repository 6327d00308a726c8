"""The ``ddsjobs`` command: argument parsing and the report/demo paths end to end (demo over loopback)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from sim_env import point_env_at

import ddsjobs_analytics as dj
from ddsjobs_analytics._cli import _main as cli
from ddsjobs_analytics._render._outdir import MANIFEST
from ddsjobs_analytics.simulator._sample import SAMPLE_END, sample_records, write_jsonl

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
        point_env_at(sim, monkeypatch)
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
    # A usage error (2), not a failure (1): the command line asks for something fetch does not write.
    assert cli.main(["fetch", "--out", str(tmp_path / "jobs.xlsx"), "--no-progress"]) == cli.EXIT_USAGE
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


@pytest.mark.parametrize("command", ["report", "fetch", "sync", "check", None])
def test_help_documents_every_exit_code(command: str | None, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"] if command else ["--help"])
    text = " ".join(capsys.readouterr().out.split())
    if command == "check":
        for code in ("0 no regression", "1 at least one regression", "2 usage error", "3 not enough data"):
            assert code in text
        assert "new failure reasons need a baseline" in text
    else:
        for code in ("0 ok", "1 failure", "2 usage error", "3 partial", "no job in the selection"):
            assert code in text
        assert "a file in --out that ddsjobs did not write" in text


def test_a_bad_since_is_a_usage_error_before_any_work(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fetch", "--since", "soon", "--out", "jobs.parquet"])
    assert exit_info.value.code == 2
    assert "--since" in capsys.readouterr().err


def test_double_verbose_shows_the_traceback_and_keeps_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    missing = tmp_path / "nope.jsonl"
    assert cli.main(["-vv", "report", str(missing), "--out", str(tmp_path / "r")]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "nope.jsonl" in err
    assert err.splitlines()[-1].startswith("ddsjobs report: FileNotFoundError:")


def test_single_verbose_is_still_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    missing = tmp_path / "nope.jsonl"
    assert cli.main(["-v", "report", str(missing), "--out", str(tmp_path / "r")]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("ddsjobs report: FileNotFoundError:")


# --------------------------------------------------------------------------------------- scripts and cron


def _jsonl(tmp_path: Path, records: list[dict], name: str = "jobs.jsonl") -> Path:
    path = tmp_path / name
    write_jsonl(records, path)
    return path


def test_the_report_folder_holds_exactly_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "r"
    assert cli.main(["report", "--since", "14d", "--out", str(out), "--html"]) == 0
    first = {p.name for p in out.iterdir()}
    assert {"report.html", "durations.png", MANIFEST} <= first
    (out / "notes.txt").write_text("mine", encoding="utf-8")  # the user's own file
    capsys.readouterr()
    assert cli.main(["report", "--since", "14d", "--out", str(out), "--no-charts"]) == 0
    captured = capsys.readouterr()
    left = {p.name for p in out.iterdir()}
    assert left == REPORT_FILES | {MANIFEST, "notes.txt"}  # the PNGs and report.html of run 1 are gone
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    warnings_printed = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert warnings_printed == [f"warning: {out}: 1 file not written by ddsjobs left alone: notes.txt"]
    assert captured.err.splitlines() == warnings_printed
    assert f"{len(first) - 1 - len(REPORT_FILES)} from an earlier run removed" in captured.out
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == REPORT_FILES


def test_a_folder_from_before_the_manifest_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "r"
    out.mkdir()
    (out / "report.html").write_text("<p>old</p>", encoding="utf-8")
    source = _jsonl(tmp_path, sample_records()[:100])
    assert cli.main(["report", str(source), "--out", str(out), "--no-charts"]) == 0
    assert (out / "report.html").read_text(encoding="utf-8") == "<p>old</p>"  # nothing proves it is ours
    assert "1 file not written by ddsjobs left alone: report.html" in capsys.readouterr().err
    # A run that writes report.html must not replace it: an error naming it, and nothing written.
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    assert cli.main(["report", str(source), "--out", str(out), "--no-charts", "--html"]) == cli.EXIT_USAGE
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert f"{out / 'report.html'}: already there and not written by ddsjobs" in capsys.readouterr().err


def test_garbage_input_is_one_error_line_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not":"a job"}', encoding="utf-8")
    out = tmp_path / "r"
    assert cli.main(["report", str(bad), "--out", str(out)]) == cli.EXIT_FAILURE
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"ddsjobs report: NoJobsError: {bad}: no DDS job found (1 record, none with a job id)"
    ]
    assert not out.exists()  # no all-NA report


def test_a_warning_is_one_clean_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    records = sample_records()[:50]
    records[7] = {**records[7], "created_at": "yesterday-ish"}
    source = _jsonl(tmp_path, records)
    assert cli.main(["report", str(source), "--out", str(tmp_path / "r"), "--no-charts"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("warning: ") and "created" in err[0]
    assert "warnings.warn" not in err[0] and ".py" not in err[0]  # no source line, no file of ours


def _created(record: dict) -> datetime:
    return datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%S%z")


def test_since_and_until_filter_files(tmp_path: Path):
    records = sample_records()
    source = _jsonl(tmp_path, records)
    out = tmp_path / "r"
    argv = ["report", str(source), "--since", "2026-10-20", "--until", "2026-10-27", "--out", str(out)]
    assert cli.main([*argv, "--no-charts", "-q"]) == 0
    lo, hi = datetime(2026, 10, 20, tzinfo=timezone.utc), datetime(2026, 10, 27, tzinfo=timezone.utc)
    expected = {record["id"] for record in records if lo <= _created(record) < hi}
    assert 0 < len(expected) < len(records)
    assert set(pd.read_csv(out / "jobs.csv")["job_id"]) == expected


def test_since_on_the_sample_counts_back_from_its_end(tmp_path: Path):
    out = tmp_path / "r"
    assert cli.main(["report", "--since", "7d", "--out", str(out), "--no-charts", "-q"]) == 0
    lo = SAMPLE_END - timedelta(days=7)
    expected = {record["id"] for record in sample_records() if _created(record) >= lo}
    assert expected and set(pd.read_csv(out / "jobs.csv")["job_id"]) == expected


def test_quiet_prints_nothing_and_verbose_works_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    source = _jsonl(tmp_path, sample_records()[:100])
    for argv in (["-q", "report"], ["report", "-q"], ["report", "--quiet"]):
        assert cli.main([*argv, str(source), "--out", str(tmp_path / "r"), "--no-charts"]) == 0
        assert capsys.readouterr() == ("", "")
    # -vv after the command: the traceback, as before it
    cli.main(["report", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r"), "-vv"])
    assert "Traceback" in capsys.readouterr().err


def test_verbose_and_quiet_together_are_a_usage_error(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["-v", "report", "-q"])
    assert exit_info.value.code == cli.EXIT_USAGE
    assert capsys.readouterr().err.splitlines()[-1] == "ddsjobs: error: -v and -q contradict each other"


def test_version(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"ddsjobs {dj.__version__}\n"


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["report", "x", "--bogus"], "usage: ddsjobs report [INPUT ...]"),
        (["fetch", "--since", "soon", "--out", "j.parquet"], "usage: ddsjobs fetch --out FILE"),
        (["sync"], "usage: ddsjobs sync --archive PATH"),
        (["frobnicate"], "usage: ddsjobs [-h]"),
        ([], "usage: ddsjobs [-h]"),
    ],
)
def test_usage_errors_are_two_lines(argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == cli.EXIT_USAGE
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and lines[0].startswith(usage) and " error: " in lines[1]


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._build_parser()
    return parser.parse_known_args(["report"])[0].commands


@pytest.mark.parametrize("name", ["demo", "report", "fetch", "sync", "simulate"])
def test_every_command_has_a_description_an_example_and_help_for_every_option(name: str):
    command = _subcommands()[name]
    help_text = command.format_help()
    assert command.description and "\n" not in command.description
    assert f"example:\n  ddsjobs {name} " in help_text and "exit codes: 0 ok" in help_text
    undocumented = [a.dest for a in command._actions if not a.help or a.help == argparse.SUPPRESS]
    assert undocumented == []


def test_top_level_help_shows_no_docstring(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "wires" not in text and "``" not in text and cli.__doc__.splitlines()[0] not in text
    for name in ("demo", "report", "fetch", "sync", "simulate"):
        assert f"    {name} " in text
    assert "3 partial" in text


HEAVY = ("pandas", "numpy", "matplotlib", "pyarrow", "httpx", "tqdm", "ddsjobs_analytics._frame")


@pytest.mark.parametrize(
    "argv", [["--help"], ["--version"], ["report", "--help"], ["fetch", "--help"], ["sync", "-h"]]
)
def test_help_and_version_import_nothing_heavy(argv: list[str]):
    code = (
        "import sys\nfrom ddsjobs_analytics._cli._main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.strip() == "[]"
    assert result.stdout.startswith(("usage: ddsjobs", "ddsjobs "))


def test_escape_sequences_in_fields_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    records = sample_records()[:300]
    evil = "Backup failed\x1b[2J\x1b]0;owned\x07 on \u202eevil\r"
    records = [{**r, "fail_reason": evil} if r["status"] == "Failed" else r for r in records]
    assert any(r["status"] == "Failed" for r in records)
    source = _jsonl(tmp_path, records, name="evil\x1b[31m.jsonl")
    assert cli.main(["report", str(source), "--out", str(tmp_path / "r"), "--no-charts"]) == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    # The summary's top reason is a template: the reasons tokeniser drops control characters already.
    assert "Backup failed" in printed
    assert not [ch for ch in printed if (ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) < 0xA0]
    assert "\u202e" not in printed
    # The error path too: a file name with an escape sequence in it.
    assert cli.main(["report", str(tmp_path / "gone\x1b[2J.jsonl")]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "gone\\x1b[2J.jsonl" in err and "\x1b" not in err


def test_fetch_by_id_with_an_unknown_id_is_partial(
    simulator_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    sim = simulator_env
    known = [record["id"] for record in sim.truth(sim.now - timedelta(days=2), sim.now)][:3]
    out = tmp_path / "jobs.parquet"
    argv = ["fetch", "--no-progress", "--out", str(out)] + [f"--job-id={i}" for i in [*known, "no-such-id"]]
    assert cli.main(argv) == cli.EXIT_PARTIAL
    assert set(pd.read_parquet(out)["job_id"]) == set(known)
    captured = capsys.readouterr()
    assert "no-such-id" in captured.err and captured.err.startswith("warning: ")
    assert cli.main(argv[:-1]) == cli.EXIT_OK


def test_every_retry_is_one_line_at_verbose(
    simulator_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    sim = simulator_env
    sim.inject("503", count=2)
    argv = ["fetch", "--since", "2d", "--out", str(tmp_path / "jobs.parquet"), "--no-progress"]
    assert cli.main([*argv, "-v"]) == 0
    retries = [line for line in capsys.readouterr().err.splitlines() if "retry" in line.lower()]
    assert len(retries) == 2, retries
    sim.inject("503", count=2)
    assert cli.main(argv) == 0  # without -v the retries stay quiet
    assert not [line for line in capsys.readouterr().err.splitlines() if "retry" in line.lower()]


@pytest.mark.slow
def test_demo_fetches_as_many_days_as_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """45 days come back although the real service's horizon is 30: the client splits the windows."""
    out = tmp_path / "demo"
    assert cli.main(["demo", "--days", "45", "--jobs", "1500", "--out", str(out), "--no-charts", "-q"]) == 0
    created = pd.to_datetime(pd.read_csv(out / "jobs.csv")["created"], utc=True)
    assert (created.max() - created.min()) > pd.Timedelta(days=44)
    assert capsys.readouterr().out == ""


def test_sync_with_jobs_it_could_not_refetch_is_partial(
    simulator_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from ddsjobs_analytics import archive as archive_package
    from ddsjobs_analytics.archive import SyncStats

    def sync_with_a_failure(center, archive, **options):
        return SyncStats(new=3, refetch_failed={"job-1": "ServerError: busy"})

    monkeypatch.setattr(archive_package, "sync", sync_with_a_failure)
    argv = ["sync", "--archive", str(tmp_path / "a"), "--no-progress"]
    assert cli.main(argv) == cli.EXIT_PARTIAL
    assert "job-1 (ServerError: busy)" in capsys.readouterr().out
    monkeypatch.setattr(archive_package, "sync", lambda center, archive, **options: SyncStats(new=3))
    assert cli.main(argv) == cli.EXIT_OK

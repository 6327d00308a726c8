"""``ddsjobs check --config``: the file's absolute rules join the regressions in every format and exit 1."""

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

BREACHED = '[[rules]]\njob_type = "type-09"\nmax_failure_rate = 0.05\nmin_jobs = 20\n'
LENIENT = '[[rules]]\njob_type = "type-0*"\nmax_failure_rate = 0.20\n'


@pytest.fixture(scope="module")
def quiet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No injected change: check alone finds no regression (exit 0)."""
    path = tmp_path_factory.mktemp("check_rules") / "quiet.parquet"
    fleet(0, changes=()).to_parquet(path, index=False)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "ddsjobs.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_breach_exits_1_in_every_format(
    quiet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(quiet_file)], capsys)[0] == 0  # no relative regression on this fleet
    path = config(tmp_path, BREACHED)
    df = pd.read_parquet(quiet_file)
    current, _ = dj.default_periods(df)
    expected = dj.check_rules(df, [dj.Rule("type-09", max_failure_rate=0.05, min_jobs=20)], window=current)
    (finding,) = expected.findings()
    code, out, _ = run([str(quiet_file), "--config", path], capsys)
    assert code == 1 and f"BREACH  {finding}" in out.splitlines()
    code, out, _ = run([str(quiet_file), "--config", path, "--format", "markdown"], capsys)
    assert code == 1 and "1 rule breach(es)" in out.splitlines()[0] and f"- {finding}" in out
    code, out, _ = run([str(quiet_file), "--config", path, "--format", "json"], capsys)
    payload = json.loads(out)
    assert code == payload["exit_code"] == 1
    (breach,) = payload["breaches"]
    row = expected.breaches.iloc[0]
    assert (breach["job_type"], breach["metric"]) == ("type-09", "failure_rate")
    assert breach["bound"] == pytest.approx(row["bound"]) and breach["n"] == row["n"]
    assert payload["findings"][0] == f"BREACH  {finding}"


def test_rules_within_their_limits_keep_exit_0(
    quiet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run([str(quiet_file), "--config", config(tmp_path, LENIENT)], capsys)
    assert code == 0 and "BREACH" not in out
    # Found in the working directory without --config, like DDSJOBS_CONFIG.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DDSJOBS_CONFIG", raising=False)
    (tmp_path / "ddsjobs.toml").write_text(BREACHED, encoding="utf-8")
    assert run([str(quiet_file)], capsys)[0] == 1


def test_the_file_tz_applies_unless_given(
    quiet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, 'tz = "Asia/Shanghai"\n')
    _, out, _ = run([str(quiet_file), "--config", path], capsys)
    assert "+0800" in out.splitlines()[0]
    _, out, _ = run([str(quiet_file), "--config", path, "--tz", "UTC"], capsys)
    assert "+0000" in out.splitlines()[0]


def test_a_bad_file_is_a_usage_error_not_a_regression(
    quiet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([str(quiet_file), "--config", config(tmp_path, "[[rules]]\nmax_jobs = 1\n")], capsys)
    assert code == 2 and "ddsjobs.toml:2: rules[0].max_jobs: unknown key" in err

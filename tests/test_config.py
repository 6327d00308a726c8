"""ddsjobs.toml: the documented interface loads to frozen objects; every problem names file, line and key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ddsjobs_analytics._cli._main import main
from ddsjobs_analytics._rules._rule import Rule
from ddsjobs_analytics.config import (
    CONFIG_ENV,
    Config,
    ConfigError,
    Secret,
    Target,
    find_config,
    load_config,
)

# The "Interfaces to keep exactly" example of issue #20, verbatim.
DOCUMENTED = """\
tz = "Asia/Shanghai"

[[targets]]
region = "cn-north-4"
project_id = "env:DDS_PROJECT_ID"

[[rules]]
job_type = "MongodbSnapshot*"      # glob on job_type
max_failure_rate = 0.05            # a share; breached when the Wilson lower bound is above it
min_jobs = 20

[[notify]]
name = "ops-feishu"
kind = "feishu"                    # slack | feishu | dingtalk | wecom | webhook
url = "env:OPS_FEISHU_URL"
secret = "env:OPS_FEISHU_SECRET"   # optional signing secret
"""
ENV = {"DDS_PROJECT_ID": "proj-0001", "OPS_FEISHU_URL": "http://127.0.0.1:9/hook/TOKEN-abc"}


def write(tmp_path: Path, text: str, name: str = "ddsjobs.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_file_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, DOCUMENTED), environ=ENV)
    assert config.tz == "Asia/Shanghai"
    assert config.targets == (Target("cn-north-4", "proj-0001"),)
    assert config.rules == (Rule(job_type="MongodbSnapshot*", max_failure_rate=0.05, min_jobs=20),)
    (feishu,) = config.notify
    assert (feishu.name, feishu.kind) == ("ops-feishu", "feishu")
    assert feishu.url.reveal() == ENV["OPS_FEISHU_URL"]
    assert feishu.secret == Secret("OPS_FEISHU_SECRET") and not feishu.secret.is_set
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.tz = "UTC"  # type: ignore[misc]


def test_secrets_never_show_in_repr(tmp_path: Path) -> None:
    env = {**ENV, "OPS_FEISHU_SECRET": "s3cr3t-value"}
    config = load_config(write(tmp_path, DOCUMENTED), environ=env)
    shown = repr(config) + str(config.notify[0])
    assert "TOKEN-abc" not in shown and "s3cr3t-value" not in shown
    assert "Secret(env:OPS_FEISHU_SECRET, set)" in shown


def test_an_unset_secret_fails_only_when_revealed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, DOCUMENTED), environ=ENV)
    assert config.notify[0].secret is not None
    with pytest.raises(ConfigError, match="OPS_FEISHU_SECRET is not set"):
        config.notify[0].secret.reveal()


@pytest.mark.parametrize(
    ("edit", "line", "key"),
    [
        (("min_jobs = 20", "min_jobs = 20\nmax_jobs = 3"), 11, "rules[0].max_jobs: unknown key"),
        (("min_jobs = 20", 'min_jobs = "20"'), 10, "rules[0].min_jobs: min_jobs is a whole number"),
        (
            ("max_failure_rate = 0.05 ", "max_failure_rate = 5 "),
            9,
            "rules[0].max_failure_rate: max_failure_rate",
        ),
        (('tz = "Asia/Shanghai"', 'tz = "Mars/Olympus"'), 1, "tz: unknown time zone"),
        (('tz = "Asia/Shanghai"', "tz = 8"), 1, "tz: expected a string, got int"),
        (('kind = "feishu" ', 'kind = "teams" '), 14, "notify[0].kind: expected one of"),
        (
            ('url = "env:OPS_FEISHU_URL"', 'url = "https://hooks.example/x"'),
            15,
            "notify[0].url: secrets never",
        ),
        (('region = "cn-north-4"', 'regoin = "cn-north-4"'), 4, "targets[0].regoin: unknown key"),
        (('project_id = "env:DDS_PROJECT_ID"', 'project_id = "env:NOPE"'), 5, "NOPE is not set"),
        (("[[rules]]", "colour = 1\n[[rules]]"), 7, "colour: unknown key"),
    ],
)
def test_problems_name_file_line_and_key(tmp_path: Path, edit: tuple[str, str], line: int, key: str) -> None:
    old, new = edit
    assert old in DOCUMENTED
    path = write(tmp_path, DOCUMENTED.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=ENV)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ") and key in message


def test_the_second_table_of_a_kind_is_located(tmp_path: Path) -> None:
    text = DOCUMENTED + '\n[[rules]]\njob_type = "Resize*"\nmax_p95 = "forever"\n'
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{path}:20: rules\[1\]\.max_p95: expected seconds"):
        load_config(path, environ=ENV)


def test_durations_take_seconds_or_ages(tmp_path: Path) -> None:
    text = '[[rules]]\njob_type = "Resize*"\nmax_p95 = "1h"\nmax_p50 = 600\n'
    (rule,) = load_config(write(tmp_path, text), environ={}).rules
    assert (rule.max_p95, rule.max_p50) == (3600.0, 600)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "tz = \n")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid TOML"):
        load_config(path)


def test_the_file_is_found_by_option_variable_or_working_directory(tmp_path: Path) -> None:
    explicit, by_env, here = (write(tmp_path, "", name) for name in ("a.toml", "b.toml", "ddsjobs.toml"))
    assert find_config(explicit, environ={CONFIG_ENV: str(by_env)}, cwd=tmp_path) == explicit
    assert find_config(None, environ={CONFIG_ENV: str(by_env)}, cwd=tmp_path) == by_env
    assert find_config(None, environ={}, cwd=tmp_path) == here
    assert find_config(None, environ={}, cwd=tmp_path / "nowhere") is None
    with pytest.raises(ConfigError, match="from --config"):
        find_config(tmp_path / "missing.toml", environ={})
    with pytest.raises(ConfigError, match=rf"from \${CONFIG_ENV}"):
        find_config(None, environ={CONFIG_ENV: str(tmp_path / "missing.toml")})
    assert load_config(here) == Config(path=here)


def test_targets_parse_from_the_command_line() -> None:
    assert Target.parse("cn-north-4:abc") == Target("cn-north-4", "abc")
    with pytest.raises(ValueError, match="REGION:PROJECT"):
        Target.parse("cn-north-4")


def test_config_check_prints_what_it_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {**ENV, "OPS_FEISHU_SECRET": "s3cr3t-value"}.items():
        monkeypatch.setenv(name, value)
    path = write(tmp_path, DOCUMENTED + '\n[[rules]]\njob_type = "Resize*"\nmax_p95 = "1h"\n')
    assert main(["config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"config: {path}" in out and "tz: Asia/Shanghai" in out
    assert "cn-north-4:proj-0001" in out
    assert "job_type=MongodbSnapshot*: max_failure_rate 5.00%, min_jobs 20" in out
    assert "job_type=Resize*: max_p95 1h (3600 s)" in out
    assert "url Secret(env:OPS_FEISHU_URL, set), secret Secret(env:OPS_FEISHU_SECRET, set)" in out
    assert "TOKEN-abc" not in out and "s3cr3t-value" not in out
    monkeypatch.delenv("OPS_FEISHU_SECRET")
    assert main(["config", "check", "--config", str(path)]) == 0
    assert "Secret(env:OPS_FEISHU_SECRET, unset)" in capsys.readouterr().out


def test_config_check_exits_2_on_a_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DDS_PROJECT_ID", "p")
    monkeypatch.setenv("OPS_FEISHU_URL", "u")
    path = write(tmp_path, DOCUMENTED.replace("min_jobs = 20", "min_jobs = 20\nmax_jobs = 3"))
    assert main(["config", "check", "--config", str(path)]) == 2
    assert f"{path}:11: rules[0].max_jobs: unknown key" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path / "..")
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    if not (Path.cwd() / "ddsjobs.toml").exists():
        assert main(["config", "check"]) == 2
        assert "no configuration file" in capsys.readouterr().err

"""``ddsjobs check`` posts one message per run to the configured chats, only when something is flagged;
a delivery failure is reported on stderr and never changes the exit code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys
from pathlib import Path

import pytest

from ddsjobs_analytics._cli import _main as cli
from ddsjobs_analytics.notify import _base

sys.path.insert(0, str(Path(__file__).parent))
from chat_servers import chat_server
from compare_fleet import fleet

OK = {"code": 0, "msg": "success", "errcode": 0, "errmsg": "ok"}
FEISHU_SECRET, DING_SECRET = "feishu-signing-secret", "SEC-dingtalk-secret"
RULE = '[[rules]]\njob_type = "type-09"\nmax_failure_rate = {limit}\nmin_jobs = 20\n'
REPORT_URL = 'report_url = "http://127.0.0.1/reports/today.html"\n'
DESTINATIONS = """
[[notify]]
name = "ops-feishu"
kind = "feishu"
url = "env:OPS_FEISHU_URL"
secret = "env:OPS_FEISHU_SECRET"

[[notify]]
name = "ops-dingtalk"
kind = "dingtalk"
url = "env:OPS_DING_URL"
secret = "env:OPS_DING_SECRET"
"""


@pytest.fixture(scope="module")
def quiet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("check_notify") / "quiet.parquet"
    fleet(0, changes=()).to_parquet(path, index=False)
    return path


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base, "_sleep", lambda seconds: None)


def write_config(tmp_path: Path, limit: float) -> str:
    path = tmp_path / "ddsjobs.toml"
    path.write_text(REPORT_URL + RULE.format(limit=limit) + DESTINATIONS, encoding="utf-8")
    return str(path)


def check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_breach_posts_one_signed_card_and_one_signed_markdown(
    quiet_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with chat_server((200, OK, {})) as feishu, chat_server((200, OK, {}), path="/robot/send") as ding:
        monkeypatch.setenv("OPS_FEISHU_URL", feishu.url)
        monkeypatch.setenv("OPS_FEISHU_SECRET", FEISHU_SECRET)
        monkeypatch.setenv("OPS_DING_URL", f"{ding.url}?access_token=TOKEN-ding")
        monkeypatch.setenv("OPS_DING_SECRET", DING_SECRET)
        code, out, err = check([str(quiet_file), "--config", write_config(tmp_path, 0.05)], capsys)
        assert code == 1 and err == ""
        (card,) = (request.body for request in feishu.received)
        (markdown,) = ding.received
        # A clean run (the limit is not breached) exits 0 and posts nothing.
        code, _, _ = check([str(quiet_file), "--config", write_config(tmp_path, 0.5)], capsys)
        assert code == 0 and len(feishu.received) == len(ding.received) == 1
    key = f"{card['timestamp']}\n{FEISHU_SECRET}".encode()
    assert card["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert card["msg_type"] == "interactive"
    breach = next(line for line in out.splitlines() if line.startswith("BREACH"))
    content = card["card"]["elements"][1]["text"]["content"]
    assert f"- {breach}" in content.splitlines()
    assert card["card"]["elements"][2]["actions"][0]["url"] == "http://127.0.0.1/reports/today.html"
    context = card["card"]["elements"][0]["text"]["content"]
    assert "Checked files quiet.parquet." in context and "2026-10-25" in context  # what and when
    stamp = markdown.query["timestamp"][0]
    digest = hmac.new(DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    assert markdown.query["sign"] == [base64.b64encode(digest).decode()]
    assert markdown.body["msgtype"] == "markdown" and f"- {breach}" in markdown.body["markdown"]["text"]


def test_notify_picks_destinations_and_always_sends_a_digest(
    quiet_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with chat_server((200, OK, {})) as feishu, chat_server((200, OK, {})) as ding:
        for name, value in {"OPS_FEISHU_URL": feishu.url, "OPS_DING_URL": ding.url}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("OPS_FEISHU_SECRET", FEISHU_SECRET)
        monkeypatch.setenv("OPS_DING_SECRET", DING_SECRET)
        path = write_config(tmp_path, 0.5)
        code, _, err = check(
            [str(quiet_file), "--config", path, "--notify", "ops-dingtalk", "--notify-always"], capsys
        )
    assert code == 0 and err == "" and len(feishu.received) == 0
    (digest,) = ding.received
    assert "sign" in digest.query
    assert digest.body["markdown"]["title"] == "ddsjobs check: all clear"


def test_a_delivery_failure_never_changes_the_exit_code(
    quiet_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with chat_server((500, {"msg": "down"}, {})) as feishu, chat_server((200, OK, {})) as ding:
        monkeypatch.setenv("OPS_FEISHU_URL", feishu.url)
        monkeypatch.setenv("OPS_DING_URL", ding.url)
        monkeypatch.setenv("OPS_FEISHU_SECRET", FEISHU_SECRET)
        monkeypatch.setenv("OPS_DING_SECRET", DING_SECRET)
        code, out, err = check([str(quiet_file), "--config", write_config(tmp_path, 0.05)], capsys)
    assert code == 1 and "BREACH" in out
    assert len(feishu.received) == 1 + _base.DEFAULT_RETRIES and len(ding.received) == 1
    assert err.startswith("ddsjobs check: notify ops-feishu (feishu) failed: DeliveryError: feishu: gave up")
    assert "TOKEN" not in err and FEISHU_SECRET not in err
    # An unknown --notify name is a usage error, as is any configuration problem.
    code, _, err = check([str(quiet_file), "--config", write_config(tmp_path, 0.05), "--notify", "x"], capsys)
    assert code == 2 and "no notify destination named 'x'" in err
    # A secret named in the file but unset: that destination fails by name, the others still get it.
    monkeypatch.delenv("OPS_FEISHU_SECRET")
    with chat_server((200, OK, {})) as feishu, chat_server((200, OK, {})) as ding:
        monkeypatch.setenv("OPS_FEISHU_URL", feishu.url)
        monkeypatch.setenv("OPS_DING_URL", ding.url)
        code, _, err = check([str(quiet_file), "--config", write_config(tmp_path, 0.05)], capsys)
    assert code == 1 and (len(feishu.received), len(ding.received)) == (0, 1)
    assert "notify ops-feishu (feishu) failed: ConfigError: environment variable OPS_FEISHU_SECRET" in err

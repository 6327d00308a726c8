"""Notifiers against local servers that play Slack, Feishu, DingTalk and WeCom: body shapes, signatures
computed here from each platform's documented algorithm, retries on 429/5xx, size cuts and redaction."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path

import httpx
import pytest

from ddsjobs_analytics.notify import DeliveryError, Message, notifier_class
from ddsjobs_analytics.notify._dingtalk import DingTalkNotifier
from ddsjobs_analytics.notify._feishu import FeishuNotifier
from ddsjobs_analytics.notify._slack import SlackNotifier
from ddsjobs_analytics.notify._webhook import WebhookNotifier
from ddsjobs_analytics.notify._wecom import WeComNotifier

sys.path.insert(0, str(Path(__file__).parent))
from chat_servers import chat_server

SECRET = "SEC-test-signing-secret"
MESSAGE = Message(
    title="ddsjobs check: 2 findings",
    context="Targets: cn-north-4:p1. Current 2026-10-25 → 2026-11-01.",
    findings=("BREACH  job_type=Backup: failure_rate 50.0% (CI low 29.9%) > max 5.0%, n=20", "REGRESSED  x"),
    link="http://127.0.0.1/report.html",
)
OK = {"code": 0, "msg": "success", "errcode": 0, "errmsg": "ok"}


def no_wait(waits: list[float]):  # type: ignore[no-untyped-def]
    return waits.append


def test_slack_posts_text_and_blocks() -> None:
    with chat_server((200, "ok", {})) as server, SlackNotifier(server.url) as slack:
        slack.send(MESSAGE)
    (request,) = server.received
    body = request.body
    assert body["text"].startswith("ddsjobs check: 2 findings")
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds == ["header", "section", "section", "section"]
    assert body["blocks"][0]["text"] == {"type": "plain_text", "text": MESSAGE.title}
    findings = body["blocks"][2]["text"]
    escaped = MESSAGE.findings[0].replace(">", "&gt;")  # Slack's mrkdwn escapes &, < and >
    assert findings["type"] == "mrkdwn" and findings["text"].splitlines()[0] == f"- {escaped}"
    assert body["blocks"][3]["text"]["text"] == "<http://127.0.0.1/report.html|Open the report>"


def test_feishu_card_with_the_documented_signature() -> None:
    with chat_server((200, OK, {})) as server, FeishuNotifier(server.url, secret=SECRET) as feishu:
        feishu.send(MESSAGE)
    (request,) = server.received
    body = request.body
    # Feishu's documented algorithm: key = timestamp + "\n" + secret, HMAC-SHA256 of b"", base64.
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": MESSAGE.title}
    assert card["header"]["template"] == "red"
    assert card["elements"][1]["text"]["tag"] == "lark_md"
    assert MESSAGE.findings[0] in card["elements"][1]["text"]["content"]
    assert card["elements"][2]["actions"][0]["url"] == MESSAGE.link


def test_feishu_text_without_a_secret_is_unsigned() -> None:
    with chat_server((200, OK, {})) as server, FeishuNotifier(server.url, msg_type="text") as feishu:
        feishu.send(MESSAGE)
    body = server.received[0].body
    assert set(body) == {"msg_type", "content"} and body["msg_type"] == "text"
    assert MESSAGE.title in body["content"]["text"] and MESSAGE.findings[1] in body["content"]["text"]


def test_dingtalk_markdown_with_the_documented_query_signature() -> None:
    with (
        chat_server((200, OK, {}), path="/robot/send") as server,
        DingTalkNotifier(f"{server.url}?access_token=TOKEN-abc", secret=SECRET) as dingtalk,
    ):
        dingtalk.send(MESSAGE)
    (request,) = server.received
    timestamp = request.query["timestamp"][0]
    assert len(timestamp) == 13  # milliseconds
    # DingTalk's documented algorithm: HMAC-SHA256 keyed by the secret over timestamp + "\n" + secret, base64,
    # URL-encoded (parse_qs has decoded it again).
    digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert request.query["sign"] == [base64.b64encode(digest).decode()]
    assert request.query["access_token"] == ["TOKEN-abc"]
    body = request.body
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == MESSAGE.title
    assert body["markdown"]["text"].startswith(f"#### {MESSAGE.title}")
    assert f"- {MESSAGE.findings[0]}" in body["markdown"]["text"]


def test_wecom_markdown_is_cut_to_4096_bytes_with_a_count() -> None:
    findings = tuple(f"REGRESSED  job_type=类型-{i:03d}  failure_rate 1.0% → 9.0%" for i in range(300))
    message = Message(title="ddsjobs check", context="ctx", findings=findings)
    with chat_server((200, OK, {})) as server, WeComNotifier(server.url) as wecom:
        wecom.send(message)
    content = server.received[0].body["markdown"]["content"]
    shown = content.count("- REGRESSED")
    assert 0 < shown < 300
    assert len(content.encode("utf-8")) <= 4096
    assert content.endswith(f"… and {300 - shown} more")
    # The cut keeps as many as fit: one more finding would not.
    one_more = Message(title="ddsjobs check", context="ctx", findings=findings[: shown + 1])
    assert (
        len(WeComNotifier.limited_text(wecom, wecom.render(one_more, one_more.findings, 0)).encode()) > 4096
    )


def test_slack_cuts_its_section_at_3000_characters() -> None:
    message = Message(title="t", findings=tuple("x" * 100 for _ in range(50)))
    body = SlackNotifier("http://127.0.0.1:9/h").fit(message)
    text = body["blocks"][2]["text"]["text"]
    assert len(text) <= 3000 and text.endswith("more") and text.count("- x") == 29


def test_retries_on_429_and_5xx_with_backoff() -> None:
    waits: list[float] = []
    answers = [(429, {}, {"Retry-After": "7"}), (503, {}, {}), (200, OK, {})]
    with chat_server(*answers) as server, WeComNotifier(server.url, sleep=waits.append) as wecom:
        wecom.send(MESSAGE)
    assert len(server.received) == 3
    assert waits == [7.0, 2.0]  # Retry-After, then the backoff doubled at the second attempt


def test_retries_on_a_platform_rate_limit_code_then_gives_up() -> None:
    waits: list[float] = []
    limited = (200, {"errcode": 130101, "errmsg": "send too fast"}, {})
    with (
        chat_server(limited) as server,
        DingTalkNotifier(server.url, sleep=waits.append, retries=2) as ding,
        pytest.raises(DeliveryError, match=r"gave up after 3 attempts.*130101"),
    ):
        ding.send(MESSAGE)
    assert len(server.received) == 3 and waits == [1.0, 2.0]


def test_a_refusal_is_not_retried_and_never_shows_the_url_or_secret() -> None:
    with chat_server((400, {"error": "bad hook /hook/TOKEN-secret-path"}, {})) as server:
        feishu = FeishuNotifier(server.url, secret=SECRET)
        with feishu, pytest.raises(DeliveryError) as info:
            feishu.send(MESSAGE)
    assert len(server.received) == 1
    shown = str(info.value) + repr(feishu)
    assert "TOKEN-secret-path" not in shown and SECRET not in shown
    assert "HTTP 400" in str(info.value) and "***" in str(info.value)
    assert repr(feishu).startswith("FeishuNotifier(url='http://127.0.0.1:") and "secret=***" in repr(feishu)


def test_a_lost_connection_is_retried_then_reported_redacted() -> None:
    with chat_server() as server:
        url = server.url  # the server is gone after this block: connections are refused
    waits: list[float] = []
    slack = SlackNotifier(url, sleep=waits.append, retries=1)
    with pytest.raises(DeliveryError, match="ConnectError") as info:
        slack.send(MESSAGE)
    assert waits == [1.0] and "TOKEN" not in str(info.value)


def test_the_http_client_log_never_shows_the_webhook(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level("DEBUG", logger="httpx"),
        chat_server((200, OK, {})) as server,
        WeComNotifier(f"{server.url}?key=TOKEN-query") as wecom,
    ):
        wecom.send(MESSAGE)
    assert "HTTP Request: POST" in caplog.text
    assert "TOKEN-secret-path" not in caplog.text and "TOKEN-query" not in caplog.text


def test_the_transport_hook_and_the_generic_webhook() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    payload = {"exit_code": 1, "findings": ["BREACH x"]}
    message = Message(title="t", findings=("BREACH x",), payload=payload)
    with WebhookNotifier("https://example.invalid/hook", transport=httpx.MockTransport(handler)) as hook:
        hook.send(message)
    assert json.loads(seen[0].content) == payload


def test_the_registry_and_bad_arguments() -> None:
    assert notifier_class("feishu") is FeishuNotifier and notifier_class("wecom") is WeComNotifier
    with pytest.raises(ValueError, match="unknown notifier kind"):
        notifier_class("teams")
    with pytest.raises(ValueError, match="msg_type"):
        FeishuNotifier("http://127.0.0.1/x", msg_type="card")
    with pytest.raises(ValueError, match="http"):
        SlackNotifier("ftp://127.0.0.1/x")

"""The notifier kinds by name, as a plain table (no httpx), so the configuration can check a ``kind``."""

from __future__ import annotations

__all__ = ["KINDS", "MSG_TYPES"]

# kind → "module:Class" under ddsjobs_analytics.notify, imported when a notifier is built.
KINDS: dict[str, str] = {
    "slack": "_slack:SlackNotifier",
    "feishu": "_feishu:FeishuNotifier",
    "dingtalk": "_dingtalk:DingTalkNotifier",
    "wecom": "_wecom:WeComNotifier",
    "webhook": "_webhook:WebhookNotifier",
}
# The message types a kind may be asked for (``msg_type`` in the file); the first is the default.
MSG_TYPES: dict[str, tuple[str, ...]] = {
    "slack": ("blocks",),
    "feishu": ("interactive", "text"),
    "dingtalk": ("markdown",),
    "wecom": ("markdown",),
    "webhook": ("json",),
}

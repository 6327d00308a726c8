"""Learned templates: unseen value shapes, order independence, unicode, extra rules, explain, drill-down."""

from __future__ import annotations

import random
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddsjobs_analytics import explain_template, jobs_frame, jobs_in_group
from ddsjobs_analytics._reasons import (
    PlaceholderRule,
    fail_reason_groups,
    fail_reason_template,
    grouping_accuracy,
    template_id,
)

rng = random.Random(11)
HEX = "0123456789abcdef"


def hexs(n: int) -> str:
    return "".join(rng.choice(HEX) for _ in range(n))


def templates_of(messages: list[str]) -> list[str]:
    return fail_reason_template(pd.Series(messages, dtype=object)).astype(str).tolist()


def assert_one_group_per_label(labelled: list[tuple[str, str]]) -> dict[str, str]:
    """Every true template is exactly one predicted group; returns label -> template."""
    messages, labels = [m for m, _ in labelled], [lab for _, lab in labelled]
    predicted = templates_of(messages)
    by_label: dict[str, set[str]] = {}
    for label, template in zip(labels, predicted, strict=True):
        by_label.setdefault(label, set()).add(template)
    split = {label: sorted(t) for label, t in by_label.items() if len(t) > 1}
    assert not split, f"split: {split}"
    assert grouping_accuracy(labels, predicted) == 1.0, "merged templates"
    return {label: next(iter(t)) for label, t in by_label.items()}


USERS = [
    "ops-admin",
    "li-na",
    "deploy_bot",
    "zhangwei",
    "wangfang",
    "admin01",
    "sre-oncall",
    "chen.jie",
    "u_2231",
]
HOSTS = [
    "48e6bc-0.dds.internal",
    "9f01aa-2.dds.internal",
    "node-7.cn-north-4.mongo.local",
    "db3.example.com",
    "c0ffee-1.dds.internal",
]
NAMESPACES = ["orders.sessions", "shop.carts", "crm.customers", "iot.events", "billing.ledger"]


def test_user_names_with_and_without_digits_are_one_group() -> None:
    labelled = [(f"Job cancelled by user {u}.", "cancel") for u in USERS]
    labelled += [(f"Login of user {u} refused from 10.1.{i}.7.", "login") for i, u in enumerate(USERS)]
    found = assert_one_group_per_label(labelled)
    assert found["cancel"] == "Job cancelled by user <*>."
    assert found["login"] == "Login of user <*> refused from <IP>."


def test_host_names_and_host_port_are_values() -> None:
    labelled = [(f"Host {h} is unreachable.", "down") for h in HOSTS]
    labelled += [(f"Connection to {h}:{27017 + i} refused.", "refused") for i, h in enumerate(HOSTS)]
    labelled += [(f"{h}:{5070 + i} open through proxy {h}:80 HTTPS", "proxy") for i, h in enumerate(HOSTS)]
    found = assert_one_group_per_label(labelled)
    assert found["down"] == "Host <HOST> is unreachable."
    assert found["refused"] == "Connection to <HOST> refused."


def test_namespaces_are_values() -> None:
    labelled = [(f"Namespace {ns} not found.", "ns") for ns in NAMESPACES]
    labelled += [(f"Index build on {ns} failed: key too large.", "index") for ns in NAMESPACES]
    found = assert_one_group_per_label(labelled)
    assert found["ns"] == "Namespace <NAMESPACE> not found."


def test_chinese_text_with_glued_ids() -> None:
    names = ["dds-prod-32", "dds-a1f3", "orders-7", "dds-test-1"]
    labelled = [(f"实例{rng.choice(names)}的节点{hexs(32)}no02状态异常", "abnormal") for _ in range(6)]
    labelled += [(f"实例{rng.choice(names)}的节点{hexs(32)}no02重启失败", "restart") for _ in range(6)]
    found = assert_one_group_per_label(labelled)
    assert found["abnormal"] == "<NAME>的节点<INSTANCE_ID>状态异常"
    assert found["restart"] == "<NAME>的节点<INSTANCE_ID>重启失败"


def test_blk_ids_and_uuids() -> None:
    labelled = [
        (
            f"Block blk_{rng.choice(['', '-'])}{rng.randint(10**15, 10**18)} is missing on 10.2.{i}.9:50010.",
            "blk",
        )
        for i in range(6)
    ]
    labelled += [
        (f"Volume {hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)} is busy.", "busy") for _ in range(5)
    ]
    found = assert_one_group_per_label(labelled)
    assert found["blk"] == "Block <NAME> is missing on <IP:PORT>."
    assert found["busy"] == "Volume <UUID> is busy."


def test_near_miss_templates_stay_apart() -> None:
    azs = ["cn-north-4a", "ap-southeast-1b", "eu-west-101c", "la-north-2a"]
    projects = ["cn-north-4_orders", "proj-7", "ap-southeast-1_billing", "iot-3"]
    labelled = [(f"Insufficient resources in AZ {a}", "resources") for a in azs]
    labelled += [(f"Insufficient quota in project {p}", "quota") for p in projects]
    found = assert_one_group_per_label(labelled)
    assert found == {
        "resources": "Insufficient resources in AZ <NAME>",
        "quota": "Insufficient quota in project <NAME>",
    }


def test_a_few_constant_words_split_many_words_are_variable() -> None:
    # Three states: each its own template. Nine user names at one position: one template with <*>.
    states = [
        f"Member 10.0.0.{i}:8635 is in state {s}."
        for i, s in enumerate(["RECOVERING", "ROLLBACK", "STARTUP2"] * 3)
    ]
    got = set(templates_of(states))
    assert got == {f"Member <IP:PORT> is in state {s}." for s in ("RECOVERING", "ROLLBACK", "STARTUP2")}
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"]
    assert set(templates_of([f"Account {n} is locked." for n in names])) == {"Account <*> is locked."}


MESSAGES = [
    *(f"Job cancelled by user {u}." for u in USERS),
    *(f"Host {h} is unreachable." for h in HOSTS),
    *(f"Member 10.0.0.{i}:8635 is in state {s}." for i, s in enumerate(["RECOVERING", "ROLLBACK", "DOWN"])),
    "Failed to upgrade the DB Agent.",
    "Insufficient resources in AZ cn-north-4a",
    "Insufficient quota in project proj-7",
]


@settings(max_examples=40, deadline=None)
@given(st.permutations(MESSAGES), st.lists(st.sampled_from(MESSAGES), max_size=10))
def test_order_and_repetition_do_not_change_templates(order: list[str], repeats: list[str]) -> None:
    reference = dict(zip(MESSAGES, templates_of(MESSAGES), strict=True))
    shuffled = order + repeats
    assert templates_of(shuffled) == [reference[m] for m in shuffled]


@pytest.mark.parametrize(
    "message",
    [
        "bad \ud800 surrogate 42",
        "lone low \udfff",
        "zero\u200bwidth\u200d space 7",
        "\ufeffBOM first",
        "x" * 10_000,
        ("word " * 2_000) + "12",
        "\u0000\u0001 control",
        "<<<>>> [[[ ]]] ((( )))",
        "\u202eright-to-left override",
        "表情😀 emoji 🚀 3",
    ],
)
def test_unicode_and_huge_messages_never_raise(message: str) -> None:
    result = fail_reason_template(pd.Series([message, message + " again", "Failed 3 times"], dtype=object))
    assert result.notna().all()
    for template in result.astype(str):
        template.encode("utf-8")  # no lone surrogate survives
        assert "\u200b" not in template


def test_zero_width_characters_do_not_split_a_template() -> None:
    assert len(set(templates_of(["Disk full on node 3", "Disk\u200b full on node 4"]))) == 1


def test_extra_rules_mask_user_values() -> None:
    tenant = PlaceholderRule("<TENANT>", re.compile(r"\btenant-[a-z]+\b"), "tenant names")
    messages = ["Quota exceeded for tenant-acme", "Quota exceeded for tenant-globex"]
    without = fail_reason_template(pd.Series(messages)).astype(str).tolist()
    assert len(set(without)) == 2  # two words only: a split, not a variable
    with_rule = fail_reason_template(pd.Series(messages), extra_rules=[tenant]).astype(str).tolist()
    assert with_rule == ["Quota exceeded for <TENANT>"] * 2
    with pytest.raises(TypeError, match="PlaceholderRule"):
        fail_reason_template(pd.Series(messages), extra_rules=["tenant-.*"])  # type: ignore[list-item]


def test_explain_template_names_rules_and_learned_positions() -> None:
    context = [f"Job cancelled by user {u} after 3{i}s." for i, u in enumerate(USERS)]
    table = explain_template(context[1], context)
    assert table.attrs["template"] == "Job cancelled by user <*> after <DURATION>."
    assert table["template"].tolist() == ["Job", "cancelled", "by", "user", "<*>", "after", "<DURATION>", "."]
    assert table["value"].tolist()[4:] == ["li-na", "after", "31s", "."]
    assert table["source"].iloc[6].startswith("rule <DURATION>:")
    # Six names are plain words; admin01, chen.jie (a namespace shape) and u_2231 are masked values, which
    # count as one more value: 7 distinct values over 7 distinct shapes.
    assert (
        table["source"].iloc[4] == "learned: 7 distinct words at this position across 7 shapes of this group"
    )
    assert (table["source"].iloc[:4] == "").all()
    # Same fingerprint as context[1] (digits differ only): the values shown are the message's own.
    twin = explain_template("Job cancelled by user li-na after 99s.", context)
    assert twin["value"].tolist()[4:7] == ["li-na", "after", "99s"]
    # A frame's column works as the context too (a Series has no truth value; it must not be tested as one).
    as_series = explain_template(context[1], pd.Series(context, dtype="string"))
    assert as_series.attrs["template"] == table.attrs["template"]
    alone = explain_template("Host 48e6bc-0.dds.internal is unreachable.")
    assert alone["value"].tolist()[1] == "48e6bc-0.dds.internal"
    assert alone["source"].tolist()[1].startswith("rule <HOST>:")


def _record(job_id: str, created: str, reason: str | None, status: str = "Failed") -> dict:
    return {
        "id": job_id,
        "name": "RestartInstance",
        "instance_id": "a" * 32 + "in02",
        "instance_name": "dds-a",
        "status": status,
        "progress": "",
        "fail_reason": reason,
        "created_at": created,
        "ended_at": created,
    }


def test_drill_down_returns_exactly_the_jobs_of_a_group() -> None:
    records = [
        _record(f"c{i}", f"2026-11-0{i + 1}T00:00:00+0000", f"Job cancelled by user {u}.")
        for i, u in enumerate(USERS[:6])
    ]
    records += [
        _record("h1", "2026-11-01T05:00:00+0000", "Host 48e6bc-0.dds.internal is unreachable."),
        _record("h2", "2026-11-02T05:00:00+0000", "Host db3.example.com is unreachable."),
        _record("ok", "2026-11-02T06:00:00+0000", None, status="Completed"),
    ]
    df = jobs_frame(records, observed_at="2026-11-09T00:00:00+0000")
    groups = fail_reason_groups(df)
    assert groups["template"].tolist() == ["Job cancelled by user <*>.", "Host <HOST> is unreachable."]
    assert groups["template_id"].tolist() == [template_id(t) for t in groups["template"]]
    cancelled = jobs_in_group(df, groups["template_id"].iloc[0])
    assert cancelled["job_id"].astype(str).tolist() == ["c5", "c4", "c3", "c2", "c1", "c0"]
    assert set(cancelled["reason_template"].astype(str)) == {"Job cancelled by user <*>."}
    hosts = jobs_in_group(df, groups["template_id"].iloc[1])
    assert hosts["job_id"].astype(str).tolist() == ["h2", "h1"]
    assert jobs_in_group(df, "000000000000").empty
    assert jobs_in_group(df.iloc[:0], groups["template_id"].iloc[0]).empty
    tagged = df.ddsjobs.with_templates()
    assert tagged["template_id"].isna().tolist() == [False] * 8 + [True]
    assert len(tagged) == len(df)

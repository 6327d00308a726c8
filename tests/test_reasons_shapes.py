"""Values of any shape (issue 18): one template per failure whatever the shape of its values, and no more.

Each rule kind has messages that must be one template and messages that must stay apart. The tokeniser is
fuzzed: no crash, deterministic, the island cache gives exactly the tokens of the plain tokeniser, and the
templates do not depend on the order of the messages.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddsjobs_analytics._reasons import (
    PlaceholderRule,
    explain_template,
    fail_reason_groups,
    fail_reason_template,
    pairwise_precision_recall,
)
from ddsjobs_analytics._reasons._islands import IslandTokeniser
from ddsjobs_analytics._reasons._learn import VALUE
from ddsjobs_analytics._reasons._rules import PLACEHOLDER_RULES, Token, clean, rule_set, tokenise


def templates_of(messages: list[str], **options: object) -> list[str]:
    return fail_reason_template(pd.Series(messages, dtype=object), **options).astype(str).tolist()  # type: ignore[arg-type]


def one_template(messages: list[str], **options: object) -> str:
    found = set(templates_of(messages, **options))
    assert len(found) == 1, found
    return found.pop()


ONE_TEMPLATE = {
    "IP or LOCAL(0) in one position": [
        "Connection to 10.0.3.7 timed out after 3 retries",
        "Connection to LOCAL(0) timed out after 5 retries",
        "Connection to 192.168.9.1:8635 timed out after 2 retries",
    ],
    "optional size in brackets": [
        "Transferred 1234 bytes (1.16 KB) to 10.0.0.1 in 3 s",
        "Transferred 88 bytes to 10.0.0.9 in 45 min",
        "Transferred 123456 bytes (120.56 KB) to 10.2.0.1 in 7h6m",
    ],
    "durations written 00:01, <1 sec, 01:02:03": [
        "Backup of instance dds-01 took 00:01, longer than the window",
        "Backup of instance dds-02 took <1 sec, longer than the window",
        "Backup of instance dds-03 took 01:02:03, longer than the window",
    ],
    "signs belong to numbers": [
        "Clock skew offset=-4131 on node, value -3",
        "Clock skew offset=17 on node, value 5",
        "Clock skew offset=+5 on node, value 12",
    ],
    "units after a space or glued": [
        "Disk space low: 12.5 GB free of 1.5 TB",
        "Disk space low: 640MB free of 236MB",
        "Disk space low: 88.65 GB free of 512 bytes",
    ],
    "duration units": [
        "Replication lag is 45 min on the secondary",
        "Replication lag is 7h6m on the secondary",
        "Replication lag is 900000ms on the secondary",
        "Replication lag is 3 h on the secondary",
    ],
    "host:port for any host with . - _ or a digit": [
        "Member dds-9c2e_shard_node_2:8636 is not reachable",
        "Member router-3:27017 is not reachable",
        "Member github.com:443 is not reachable",
    ],
    "MongoDB documents are one value": [
        "E11000 duplicate key error collection: shop.orders index: _id_ dup key: "
        "{ _id: ObjectId('5f1a2b3c4d5e6f7a8b9c0d1e') }",
        'E11000 duplicate key error collection: crm.users index: email_1 dup key: { email: "x@y.com" }',
        "E11000 duplicate key error collection: iot.events index: qty_1 dup key: { age: { $gt: 30 } }",
    ],
    "mixed-script names glued into CJK text": [
        "实例会员库-prod-02的磁盘使用率已达到91%",
        "实例dds-支付中心-3的磁盘使用率已达到85%",
        "实例dds-prod-32的磁盘使用率已达到99%",
    ],
    "user@database names, two are enough": [
        "Authentication failed for user li.ming@admin from 10.0.0.1",
        "Authentication failed for user root@admin from 10.0.0.2",
    ],
    "lower-case snake_case names among plain words": [
        "Could not find host matching read preference for set shard_a",
        "Could not find host matching read preference for set replica",
        "Could not find host matching read preference for set rs0",
    ],
    "words differing only in digits (the demo's AZ names)": [
        "Insufficient resources in AZ az1.",
        "Insufficient resources in AZ az2.",
        "Insufficient resources in AZ az3.",
    ],
    "a list of values of any length": [
        "BLOCK* ask 10.0.0.1:50010 to delete blk_-51400724 blk_-90165674 blk_-71683289",
        "BLOCK* ask 10.0.0.2:50010 to delete blk_-51400725",
    ],
}


@pytest.mark.parametrize("kind", sorted(ONE_TEMPLATE))
def test_values_of_any_shape_are_one_template(kind: str) -> None:
    one_template(ONE_TEMPLATE[kind])


def test_readable_placeholders() -> None:
    assert (
        one_template(ONE_TEMPLATE["units after a space or glued"]) == "Disk space low: <SIZE> free of <SIZE>"
    )
    assert (
        one_template(ONE_TEMPLATE["signs belong to numbers"])
        == "Clock skew offset=<NUM> on node, value <NUM>"
    )
    assert one_template(ONE_TEMPLATE["MongoDB documents are one value"]).endswith("dup key: <DOC>")
    assert templates_of(["NIC 5c:50:15:36:bc:03 down at 10:00:00"]) == ["NIC <ID> down at <TIME>"]
    assert templates_of(["Member node-3:27017 down"]) == ["Member <HOST:PORT> down"]


APART = {
    "different words in one position (2 words)": [
        "Instance spawned successfully.",
        "Instance destroyed successfully.",
    ],
    "different states (3 words)": [
        "Member is in state RECOVERING",
        "Member is in state ROLLBACK",
        "Member is in state STARTUP2",
    ],
    "a value span does not swallow words": [
        "Job cancelled by user li.ming@admin.",
        "Job cancelled by user li.ming@admin at 2026-11-02 10:00:00.",
    ],
    "same values, different verbs": [
        "Connection to 10.0.0.1:8635 refused",
        "Connection to LOCAL(0) reset",
    ],
    "key:value is no host:port": [
        "Container requested memory:8192 on node",
        "Container requested vCores:32 on node",
    ],
    "a literal among the values": [
        "Fan speeds ( 3552 3534 **** 3515 )",
        "Fan speeds ( 3552 3534 4245 3515 )",
    ],
    "method calls with empty brackets": ["clear()", "deleteHealthNotification()"],
    "upper-case constants are events, not names": [
        "Processing the event EventType: JOB_SETUP",
        "Processing the event EventType: TASK_ABORT",
    ],
    "interface names": [
        "node node-1 has detected a network connection via interface alt0",
        "node node-2 has detected a network connection via interface ee0",
    ],
}


@pytest.mark.parametrize("kind", sorted(APART))
def test_different_failures_stay_apart(kind: str) -> None:
    messages = APART[kind]
    assert len(set(templates_of(messages))) == len(messages)


def test_different_failures_stay_apart_among_others() -> None:
    # The near-miss pairs keep apart when they meet the one-template sets: no span merge across words.
    messages = [m for ms in (*ONE_TEMPLATE.values(), *APART.values()) for m in ms]
    templates = templates_of(messages)
    by_message = dict(zip(messages, templates, strict=True))
    for kind, ms in APART.items():
        assert len({by_message[m] for m in ms}) == len(ms), kind
    for kind, ms in ONE_TEMPLATE.items():
        assert len({by_message[m] for m in ms}) == 1, kind


USERS = ["ops-admin", "zhangwei", "li-na", "wangfang"]


def test_variable_positions_moves_the_trade_off() -> None:
    # The README's example: more than variable_positions (3) distinct words make <*>; three stay apart.
    four = [f"Job cancelled by user {u}." for u in USERS]
    assert one_template(four) == "Job cancelled by user <*>."
    assert len(set(templates_of(four[:3]))) == 3
    assert one_template(four[:3], variable_positions=2) == "Job cancelled by user <*>."
    assert len(set(templates_of(four, variable_positions=4))) == 4
    # Two words: only at 1 (every varying position is a variable).
    assert one_template(APART["different words in one position (2 words)"], variable_positions=1) == (
        "Instance <*> successfully."
    )


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3", None])
def test_variable_positions_is_checked(bad: object) -> None:
    with pytest.raises(ValueError, match="variable_positions"):
        fail_reason_template(pd.Series(["x"]), variable_positions=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="variable_positions"):
        explain_template("x", variable_positions=bad)  # type: ignore[arg-type]


def test_variable_positions_reaches_the_groups() -> None:
    df = pd.DataFrame(
        {
            "job_id": ["j1", "j2", "j3"],
            "job_type": ["CreateMongoDB"] * 3,
            "instance_id": ["i1", "i2", "i3"],
            "created": pd.to_datetime(["2026-11-01", "2026-11-02", "2026-11-03"], utc=True),
            "fail_reason": [f"Job cancelled by user {u}." for u in USERS[:3]],
        }
    )
    assert len(fail_reason_groups(df)) == 3
    assert fail_reason_groups(df, variable_positions=2)["template"].tolist() == ["Job cancelled by user <*>."]


def test_extra_rules_merge_a_word_position() -> None:
    roles = [
        f"Failed to grant role {r} to user {u}@admin" for r in ("read", "readWrite", "root") for u in "ab"
    ]
    assert len(set(templates_of(roles))) == 3
    rule = PlaceholderRule("<ROLE>", re.compile(r"\b(?:read|readWrite|root)\b"), "MongoDB built-in roles")
    assert one_template(roles, extra_rules=[rule]) == "Failed to grant role <ROLE> to user <*>"


# Fuzzing: text made of the characters the rules look at, so that they fire and overlap.
ALPHABET = "aAzZfF09 ._-:/@'\"{}()[]<>,;=+*#$%~|\n\t实例会员库的" + "xyzMonJulGBms"
texts = st.text(alphabet=ALPHABET, max_size=60)
RULES = rule_set(PLACEHOLDER_RULES)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_tokeniser_fuzz_deterministic_and_island_cache_exact(text: str) -> None:
    cleaned = clean(text)
    plain = tokenise(cleaned, RULES)
    assert tokenise(cleaned, RULES) == plain
    # A fresh cache and a cache warmed by other text give the plain tokeniser's tokens, up to which value
    # a masked token holds (an island is tokenised once per fingerprint, as whole messages are: "09" may
    # stand for "90", and "0x9" (<HEX>) for "9x0" (<ID>); learning sees both as a value).
    assert seen(IslandTokeniser(RULES, VALUE).tokens(cleaned)) == seen(plain)
    warmed = IslandTokeniser(RULES, VALUE)
    for other in (text[::-1], text.upper(), text.translate(DIGITS_SHIFTED)):
        warmed(clean(other))
    shape, _, digit_word = warmed(cleaned)
    assert seen(warmed.tokens(cleaned)) == seen(plain)
    assert shape == tuple(VALUE if t.mask else t.text for t in plain)
    assert digit_word == any(not t.mask and any(ch.isdigit() for ch in t.text) for t in plain)


DIGITS_SHIFTED = str.maketrans("0123456789", "1234567890")


def seen(tokens: list[Token]) -> list[tuple[str, bool]]:
    """What learning uses of tokens: a word's text or that it is a value, and the spacing."""
    return [(VALUE if t.mask else t.text, t.spaced) for t in tokens]


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_templates_fuzz_order_independent(messages: list[str], rnd: object) -> None:
    shuffled = list(messages)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = dict(zip(messages, templates_of(messages), strict=True))
    second = dict(zip(shuffled, templates_of(shuffled), strict=True))
    assert first == second


def test_pairwise_precision_recall_hand_computed() -> None:
    # truth {0,1} {2,3}; predicted {0,1,2} {3}: 3 predicted pairs of which 1 true -> precision 1/3;
    # 2 true pairs of which 1 predicted -> recall 1/2.
    assert pairwise_precision_recall(list("aabb"), list("xxxy")) == pytest.approx((1 / 3, 1 / 2))
    assert pairwise_precision_recall(list("aabb"), list("wxyz")) == (1.0, 0.0)  # all split: no merge
    assert pairwise_precision_recall(list("abcd"), list("xxxx")) == (0.0, 1.0)  # all merged: no split
    assert pairwise_precision_recall(list("abc"), list("xyz")) == (1.0, 1.0)  # no pair to judge
    with pytest.raises(ValueError, match="labels"):
        pairwise_precision_recall(["a", "b"], ["x"])


NODE_A, NODE_B = "3f2a9c1b8d7e4f60a1b2c3d4e5f60718no02", "77d1e0b3c5a94f2e8d6b1a0c9e8f7d6cno02"


def test_readme_examples_are_true() -> None:
    # The example block of README "Failure reasons: templates and groups", line by line.
    assert one_template(
        [f"Node {NODE_A} did not respond within 600s.", f"Node {NODE_B} did not respond within 5 min."]
    ) == ("Node <INSTANCE_ID> did not respond within <DURATION>.")
    users = [f"Job cancelled by user {u}." for u in USERS]
    assert one_template(users) == "Job cancelled by user <*>."
    assert len(set(templates_of(users[:3]))) == 3
    assert one_template(users[:3], variable_positions=2) == "Job cancelled by user <*>."
    assert one_template(
        [f"Authentication failed for user {u}." for u in ("li.ming@admin", "root@admin")]
    ) == ("Authentication failed for user <*>.")
    assert one_template([f"Insufficient resources in AZ az{i}." for i in (1, 2, 3)]) == (
        "Insufficient resources in AZ <*>."
    )
    assert templates_of(["Insufficient quota in project proj-7."]) == [
        "Insufficient quota in project <NAME>."
    ]
    assert one_template(["Disk space low: 12.5 GB free.", "Disk space low: 640MB free."]) == (
        "Disk space low: <SIZE> free."
    )
    assert one_template(["Connection to 10.0.3.7 timed out.", "Connection to LOCAL(0) timed out."]) == (
        "Connection to <*> timed out."
    )
    assert one_template(
        ["dup key: { _id: ObjectId('5f1a2b3c4d5e6f7a8b9c0d1e') }", 'dup key: { email: "x@y.com" }']
    ) == ("dup key: <DOC>")
    assert one_template(
        [f"实例dds-prod-32的节点{NODE_A}状态异常", f"实例会员库-prod-02的节点{NODE_B}状态异常"]
    ) == ("<NAME>的节点<INSTANCE_ID>状态异常")
    assert len(set(templates_of(["Instance spawned successfully.", "Instance destroyed successfully."]))) == 2


def test_templates_read_a_bounded_prefix_of_each_message() -> None:
    """Only the first TEMPLATE_CHARS characters are templated: bounded memory on 8 KiB reasons (#17 §12)."""
    import random
    import string
    import tracemalloc

    from ddsjobs_analytics._reasons._template import TEMPLATE_CHARS

    head = "Backup failed on node-1: " + "x" * TEMPLATE_CHARS
    same_head = fail_reason_template([head + " tail one", head + " tail two"])
    assert same_head[0] == same_head[1]  # they differ only past the cap
    differ_early = fail_reason_template(["Backup failed: disk full", "Restore failed: disk full"])
    assert differ_early[0] != differ_early[1]
    rng = random.Random(7)
    letters = string.ascii_letters + " "
    messages = ["".join(rng.choice(letters) for _ in range(8_192)) for _ in range(500)]
    tracemalloc.start()
    try:
        templates = fail_reason_template(messages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(set(templates)) == 500
    # Whole 8 KiB messages took ~14 bytes per character (55 MB here); the 2 KiB prefix takes a quarter.
    assert peak < 25_000_000, peak

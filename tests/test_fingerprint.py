"""``fingerprints`` (numpy over UTF-8 bytes) agrees with ``fingerprint`` (Python ``re``), message by
message."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddsjobs_analytics._reasons import _fingerprint
from ddsjobs_analytics._reasons._fingerprint import fingerprint, fingerprints

# Characters the rule reads, characters that end a run, and multi-byte and digit look-alikes.
ALPHABET = st.sampled_from([*"0123456789abcdefABCDEFgxz- _:./", "ü", "١", "٣", "é", "𝟙", "\ufffd"])
MESSAGE = st.text(ALPHABET, max_size=40)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(MESSAGE, max_size=12), chunk=st.sampled_from([1, 7, 64, 1 << 20]))
def test_fingerprints_agree_with_fingerprint(
    messages: list[str], chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_fingerprint, "_CHUNK_BYTES", chunk)  # messages are cut into chunks of this size
    assert fingerprints(messages) == [fingerprint(m) for m in messages]


def test_worked_examples() -> None:
    messages = [
        "550e8400-e29b-41d4-a716-446655440000 err 5",  # a UUID: hex digits zeroed, hyphens kept
        "--ab-12-",  # "ab-12" is 5 characters: not a run, its digits become 1
        "aaaaaa",  # a run without a digit stays
        "abcde1g23456",  # two runs split by "g"
        "ab12",
        "cd34ef",  # a run must not continue into the next message
        "",
    ]
    assert fingerprints(messages) == [
        "00000000-0000-0000-0000-000000000000 err 1",
        "--ab-11-",
        "aaaaaa",
        "000000g11111",
        "ab11",
        "000000",
        "",
    ]


def test_a_lone_surrogate_falls_back_to_one_by_one() -> None:
    assert fingerprints(["x\ud800 12", "deadbeef1"]) == ["x\ud800 11", "000000000"]

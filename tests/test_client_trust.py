"""Issue #17, the HTTP client's part: echoed secrets (#9), memory bombs over the network (#12), ``list_jobs``
without ``end`` (#14). Each test failed on the code before the fix, against the same simulator faults.

A secret "leaks" when any run of 8 of its characters appears in an exception (str, repr, args, attributes,
the whole chain and traceback text), in a log record of any logger at DEBUG (httpx and httpcore included),
or in what ``ddsjobs -v``/``-vv`` prints.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
import sys
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ddsjobs_analytics.client import (
    AkSkAuth,
    PasswordAuth,
    ProtocolError,
    RetryPolicy,
    TaskCenter,
    TaskCenterError,
    TokenAuth,
)
from ddsjobs_analytics.client._redact import scrub
from ddsjobs_analytics.simulator import Options, running
from ddsjobs_analytics.simulator._misbehave import bomb

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]
STS_TOKEN = "sts" + secrets.token_urlsafe(48)  # a temporary credential's security token
ECHOES = ("echo-code", "echo-200-code", "echo-request-id", "echo-reason", "echo-html", "echo-html-prefix")


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[Any]:
    with running(jobs=400, seed=17, history_days=10) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim: Any) -> Any:
    shared_sim.set(**vars(Options()))
    with shared_sim.service.lock:
        shared_sim.service._faults.clear()
    shared_sim.mark = len(shared_sim.requests)
    return shared_sim


def client(sim: Any, auth: Any, **options: Any) -> TaskCenter:
    options.setdefault("retry", RetryPolicy(sleep=_no_wait))
    return TaskCenter(endpoint=sim.url, project_id=sim.project_id, auth=auth, progress=False, **options)


def windows(secret: str, size: int = 8) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def leaked(texts: list[str], secret_values: list[str]) -> list[str]:
    """The 8-character runs of any secret found in any text (empty: nothing leaked)."""
    runs = set().union(*(windows(s) for s in secret_values if s))
    return sorted({run for text in texts for run in runs if run in text})


def exception_texts(error: BaseException, depth: int = 0) -> list[str]:
    """Everything an exception shows: str, repr, args, attributes (nested errors too), chain, traceback."""
    texts = [str(error), repr(error), *(repr(arg) for arg in error.args)]
    texts += traceback.format_exception(type(error), error, error.__traceback__)
    for value in vars(error).values():
        texts.append(repr(value))
        nested = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        for item in nested:
            if isinstance(item, BaseException) and depth < 3:
                texts += exception_texts(item, depth + 1)
    for linked in (error.__cause__, error.__context__):
        if linked is not None and depth < 3:
            texts += exception_texts(linked, depth + 1)
    return texts


class Everything(logging.Handler):
    """Every record of the loggers it is attached to, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """``all_logs()``: DEBUG records so far of every logger (through the root, as caplog sees them) and of
    httpx/httpcore and the package directly."""
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    names = ("httpcore", "httpx", "ddsjobs_analytics")
    for name in names:
        logging.getLogger(name).addHandler(handler)
    try:
        yield lambda: [*handler.lines, caplog.text]
    finally:
        for name in names:
            logging.getLogger(name).removeHandler(handler)


def _auth(kind: str, sim: Any) -> Any:
    if kind == "aksk-temporary":
        return AkSkAuth(sim.ak, sim.sk, security_token=STS_TOKEN)
    if kind == "token":
        return TokenAuth(sim.token)
    return PasswordAuth(sim.user, sim.password, sim.domain, project_id=sim.project_id, iam_endpoint=sim.url)


# --- #9: echoed secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ECHOES)
@pytest.mark.parametrize("kind", ["aksk-temporary", "token", "password-iam", "password"])
def test_secrets_echoed_by_the_server_never_leak(
    sim: Any, all_logs: Callable[[], list[str]], fault: str, kind: str
):
    """The fault hits the API call, or (``password-iam``) the IAM token request; twice, so the retry's -v
    line and the final error both see it."""
    auth = _auth(kind, sim)
    texts: list[str] = []
    with client(sim, auth, max_retries=1) as tc:
        job_id = sim.truth(sim.now - timedelta(days=3), sim.now)[0]["id"]
        if kind == "password":
            tc.get_job(job_id)  # logged in: the fault now hits the API call with the IAM token
        sim.inject(fault, 2)
        try:
            tc.get_job(job_id)
        except TaskCenterError as error:
            texts += exception_texts(error)
        issued = getattr(auth, "_token", None) or ""
    assert len(sim.requests) > sim.mark  # the fault was served
    # What this client holds (the simulator also echoes its own SK and password, which a token client
    # never had and so cannot recognise).
    held = {
        "aksk-temporary": [sim.ak, sim.sk, STS_TOKEN],
        "token": [sim.token],
    }.get(kind, [sim.password, issued])
    logs = all_logs()
    assert len(logs) > 5 and any("httpcore" in line for line in logs)  # DEBUG of every logger was caught
    bad = [t for t in texts + logs if leaked([t], held)]
    assert leaked(texts + logs, held) == [], bad[0][-1500:]


def test_a_prefix_of_a_token_at_the_end_of_an_excerpt_is_masked(sim: Any):
    with client(sim, TokenAuth(sim.token), max_retries=0) as tc, pytest.raises(ProtocolError) as caught:
        sim.inject("echo-html-prefix")
        tc.list_jobs(sim.now - timedelta(days=1), sim.now)
    assert "<hidden>" in str(caught.value) and sim.token[:8] not in str(caught.value)


def test_scrub_masks_every_run_of_eight_characters_and_spelling():
    secret = "Tok+en/abcdefghIJKLmnop=="
    for start in range(len(secret) - 7):
        for end in range(start + 8, len(secret) + 1):
            text = f"x {secret[start:end]} y"
            assert not leaked([scrub(text, (secret,))], [secret]), secret[start:end]
    quoted = ["Tok%2Ben%2Fabcdefgh", "tok+en/ABCDEFGH", "Tok+en\\/abcdefgh"]  # URL-, case-, JSON-escaped
    assert all("<hidden>" in scrub(text, (secret,)) for text in quoted)
    assert scrub("a Tok+en/ run of 7", (secret,)) == "a Tok+en/ run of 7"  # 7 characters are not a run


def test_the_cli_prints_no_secret_at_v_and_vv(sim: Any, tmp_path: Path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HUAWEICLOUD_SDK_AK": sim.ak,
        "HUAWEICLOUD_SDK_SK": sim.sk,
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": STS_TOKEN,
        "HUAWEICLOUD_SDK_PROJECT_ID": sim.project_id,
        "HUAWEICLOUD_SDK_REGION": sim.region,
        "DDSJOBS_ENDPOINT": sim.url,
    }
    printed, out = [], ["--out", str(tmp_path / "jobs.parquet"), "--no-progress"]
    for verbose, fault in (("-v", "echo-code"), ("-vv", "echo-reason"), ("-vv", "echo-html-prefix")):
        sim.inject(fault, 10)
        done = subprocess.run(
            [sys.executable, "-m", "ddsjobs_analytics", verbose, "fetch", "--since", "2d", *out],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        printed += [done.stdout, done.stderr]
    assert any("<hidden>" in text for text in printed)  # the echoes were printed, masked
    assert leaked(printed, [sim.ak, sim.sk, STS_TOKEN]) == []


# --- #12: memory bombs over the network -------------------------------------------------------------------


def _peak(call: Any) -> tuple[BaseException | None, int]:
    """Run ``call``; (what it raised, peak bytes traced meanwhile, all threads)."""
    tracemalloc.start()
    try:
        call()
    except Exception as error:
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return None, peak


@pytest.mark.parametrize("fault", ["gzip-bomb", "deflate-bomb"])
def test_a_compressed_bomb_of_jobs_is_read_within_the_cap(sim: Any, fault: str):
    size = 256 * MB
    bomb(size, gzip=fault == "gzip-bomb")  # built (and cached) before measuring
    sim.set(bomb_bytes=size)
    with client(sim, AkSkAuth(sim.ak, sim.sk), max_response_bytes=1 * MB, max_retries=0) as tc:
        sim.inject(fault)
        error, peak = _peak(lambda: tc.list_jobs(sim.now - timedelta(days=1), sim.now))
    assert isinstance(error, ProtocolError) and "max_response_bytes=1048576" in str(error)
    assert peak < 16 * MB, peak  # the cap, one decompression step, and buffers; not 256 MB


def test_a_gzip_bomb_from_iam_is_read_within_the_cap(sim: Any):
    size = 256 * MB
    bomb(size)
    sim.set(bomb_bytes=size)
    auth = PasswordAuth(sim.user, sim.password, sim.domain, project_id=sim.project_id, iam_endpoint=sim.url)
    with client(sim, auth, max_response_bytes=1 * MB, max_retries=0) as tc:
        sim.inject("gzip-bomb")  # the next request is the token request
        error, peak = _peak(lambda: tc.list_jobs(sim.now - timedelta(days=1), sim.now))
    assert isinstance(error, ProtocolError) and "/v3/auth/tokens" in str(error)
    assert sim.requests[sim.mark].path == "/v3/auth/tokens" and sim.requests[sim.mark].fault == "gzip-bomb"
    assert peak < 16 * MB, peak


def test_a_gzip_bomb_from_iam_is_capped_in_a_plain_httpx_client_too(sim: Any):
    size = 256 * MB
    bomb(size)
    sim.set(bomb_bytes=size)
    auth = PasswordAuth(sim.user, sim.password, sim.domain, project_id=sim.project_id, iam_endpoint=sim.url)
    sim.inject("gzip-bomb")
    with httpx.Client(auth=auth, timeout=30) as plain:
        url = f"{sim.url}/v3/{sim.project_id}/jobs?id=x"
        error, peak = _peak(lambda: plain.get(url))
    assert isinstance(error, ProtocolError) and "IAM" in str(error)
    assert peak < 40 * MB, peak  # within IAM_MAX_RESPONSE_BYTES (8 MiB) and its buffers


def test_a_total_count_no_page_limit_could_list_is_refused_at_the_first_page(sim: Any):
    sim.set(endless_pages=True, total_count=10**30)
    start, end = sim.now - timedelta(days=1), sim.now
    with client(sim, AkSkAuth(sim.ak, sim.sk), max_pages=50) as tc, pytest.raises(ProtocolError) as caught:
        tc.list_jobs(start, end)
    message = str(caught.value)
    assert "total_count=1000000000000000000000000000000" in message and "max_pages=50" in message
    assert start.strftime("%Y-%m-%dT%H:%M") in message  # names the window
    assert len(sim.requests) - sim.mark == 1


# --- #14: list_jobs without end ---------------------------------------------------------------------------


def test_list_jobs_without_end_lists_up_to_now(sim: Any):
    start = sim.now - timedelta(days=4)
    with client(sim, AkSkAuth(sim.ak, sim.sk)) as tc:
        jobs = tc.list_jobs(start)
    assert sorted(job["id"] for job in jobs) == sorted(job["id"] for job in sim.truth(start, sim.now))
    assert len(jobs) > 50


def test_secrets_quoted_in_job_fields_are_masked_before_the_frame(sim: Any, caplog: pytest.LogCaptureFixture):
    """Job records are data, but a report must not carry the client's credentials either: a reply holding a
    secret, or a run of 15+ characters of one, has every string masked (runs of 8+) before any use."""
    quoted = {"fail_reason": f"denied for {STS_TOKEN} / {sim.sk}", "instance_name": STS_TOKEN[5:20]}
    sim.set(record_override=quoted)
    start, end = sim.now - timedelta(days=2), sim.now
    with client(sim, AkSkAuth(sim.ak, sim.sk, security_token=STS_TOKEN)) as tc:
        frame = tc.fetch(start, end)
        job = tc.get_job(sim.truth(start, end)[0]["id"])
    assert len(frame) == len(sim.truth(start, end))
    shown = frame.to_csv() + repr(job)
    assert "<hidden>" in shown and leaked([shown], [sim.ak, sim.sk, STS_TOKEN]) == []
    assert "quoted the client's credentials; masked" in caplog.text

"""Hostile server: the client against a task center that lies, echoes secrets, bombs and breaks the wire.

Every case runs over a real loopback socket against the project's simulator (its misbehaviour faults and
options), and after every case the same invariants hold:

* the outcome is the one named: the exact listing (or job), or a typed ``TaskCenterError`` with a short
  message — never a partial or empty answer passed off as the truth;
* the client asked at most ``max_served`` requests (a redirect is never followed, a bad page not re-asked);
* no run of 8 characters of any credential the client holds appears in the error (str, repr, args,
  attributes, chain, traceback) or in any log record at DEBUG (httpx and httpcore included);
* for the memory bombs, the peak of traced memory (all threads) stays under ``peak_mb``.

Areas (the README table counts them): "secrets", "memory bombs (network)", "hostile server".
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import traceback
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from ddsjobs_analytics.client import (
    AkSkAuth,
    AuthError,
    PasswordAuth,
    ProtocolError,
    RetryPolicy,
    ServerError,
    TaskCenter,
    TaskCenterError,
    ThrottledError,
    TransportError,
)
from ddsjobs_analytics.simulator import Options, running
from ddsjobs_analytics.simulator._misbehave import bomb

MB = 1024 * 1024
STS_TOKEN = "sts" + secrets.token_urlsafe(40)
EXACT = "exact"  # the expected outcome: the simulator's truth, complete


@dataclass(frozen=True)
class Case:
    area: str
    faults: tuple[str, ...] = ()  # injected one per request, in order
    options: dict[str, Any] = field(default_factory=dict)  # simulator options
    settings: dict[str, Any] = field(default_factory=dict)  # client settings
    auth: str = "aksk"  # "aksk" (with a security token) or "password"
    call: str = "list"  # "list" (2 days, ~2 pages), "month" (30 days), or "get"
    expect: type[BaseException] | str = EXACT
    match: str = ""
    max_served: int = 10
    peak_mb: float | None = None


SECRETS = "secrets"
ONE_RETRY = {"max_retries": 1}  # the fault twice: the retry's log line and the final error both see it
BOMBS = "memory bombs (network)"
SERVER = "hostile server"

CASES: dict[str, Case] = {
    # --- a server echoing credentials --------------------------------------------------------------------
    "echo-in-error-code": Case(
        SECRETS, ("echo-code",) * 2, settings=ONE_RETRY, expect=ServerError, match="<hidden>"
    ),
    "echo-in-200-error-body": Case(SECRETS, ("echo-200-code",), expect=ServerError, match="<hidden>"),
    "echo-in-request-id": Case(SECRETS, ("echo-request-id",) * 2, settings=ONE_RETRY, expect=ServerError),
    "echo-in-reason-phrase": Case(SECRETS, ("echo-reason",) * 2, settings=ONE_RETRY, expect=ServerError),
    "echo-in-html-body": Case(SECRETS, ("echo-html",), expect=ProtocolError, match="<hidden>"),
    "echo-prefix-at-excerpt-end": Case(
        SECRETS, ("echo-html-prefix",), expect=ProtocolError, match="<hidden>"
    ),
    "echo-all-request-headers": Case(SECRETS, ("echo-headers",), expect=AuthError, match="<hidden>"),
    "iam-echoes-password-in-code": Case(
        SECRETS, ("echo-code",) * 2, settings=ONE_RETRY, auth="password", expect=ServerError, match="<hidden>"
    ),
    # IAM's token header is there, its body is an HTML page quoting the password: the token is used.
    "iam-echoes-password-in-html": Case(SECRETS, ("echo-html",), auth="password", max_served=4),
    "iam-echoes-in-reason-phrase": Case(
        SECRETS, ("echo-reason",) * 2, settings=ONE_RETRY, auth="password", expect=ServerError
    ),
    "token-quoted-in-job-fields": Case(
        SECRETS, (), {"record_override": {"fail_reason": f"denied for {STS_TOKEN}"}}, max_served=3
    ),
    # --- memory bombs over the network -------------------------------------------------------------------
    "gzip-bomb-of-jobs": Case(
        BOMBS,
        ("gzip-bomb",),
        {"bomb_bytes": 512 * MB},
        expect=ProtocolError,
        match="max_response_bytes",
        max_served=1,
        peak_mb=16,
    ),
    "deflate-bomb-of-jobs": Case(
        BOMBS,
        ("deflate-bomb",),
        {"bomb_bytes": 512 * MB},
        expect=ProtocolError,
        match="max_response_bytes",
        max_served=1,
        peak_mb=16,
    ),
    "gzip-bomb-from-iam": Case(
        BOMBS,
        ("gzip-bomb",),
        {"bomb_bytes": 512 * MB},
        auth="password",
        expect=ProtocolError,
        match="/v3/auth/tokens",
        max_served=1,
        peak_mb=16,
    ),
    "gzip-bomb-of-one-job": Case(
        BOMBS,
        ("gzip-bomb",),
        {"bomb_bytes": 512 * MB},
        call="get",
        expect=ProtocolError,
        max_served=1,
        peak_mb=16,
    ),
    "declared-huge-body": Case(
        BOMBS, ("huge-body",), expect=ProtocolError, match="at least 314572800", max_served=1, peak_mb=16
    ),
    "endless-chunked-body": Case(
        BOMBS,
        ("endless-chunked",),
        expect=ProtocolError,
        match="max_response_bytes",
        max_served=1,
        peak_mb=16,
    ),
    "endless-pages-total-count-1e30": Case(
        BOMBS,
        (),
        {"endless_pages": True, "total_count": 10**30},
        expect=ProtocolError,
        match="total_count=1000000000000000000000000000000",
        max_served=1,
    ),
    "endless-pages-no-total-count": Case(
        BOMBS,
        (),
        {"endless_pages": True, "total_count_omitted": True},
        {"max_pages": 30},
        expect=ProtocolError,
        match="max_pages=30",
        max_served=31,
    ),
    "endless-pages-honest-total": Case(
        BOMBS,
        (),
        {"endless_pages": True},
        expect=ProtocolError,
        match="first page's total_count",
        max_served=20,
    ),
    # --- lies about the listing --------------------------------------------------------------------------
    "total-count-far-too-low": Case(
        SERVER,
        (),
        {"total_count": 5},
        call="month",
        expect=ProtocolError,
        match="total_count is 5",
        max_served=12,
    ),
    "total-count-zero-with-full-pages": Case(
        SERVER,
        (),
        {"total_count": 0},
        call="month",
        expect=ProtocolError,
        match="total_count is 0",
        max_served=12,
    ),
    "total-count-too-high-but-listable": Case(SERVER, (), {"total_count": 10**6}, max_served=3),
    "pages-ignore-offset": Case(
        SERVER,
        (),
        {"ignore_offset": True},
        call="month",
        expect=ProtocolError,
        match="no progress",
        max_served=4,
    ),
    # --- broken JSON and wrong shapes ----------------------------------------------------------------------
    "json-truncated": Case(SERVER, ("json-truncated",), expect=ProtocolError, match="not JSON", max_served=1),
    "json-nan-total-count": Case(SERVER, ("json-nan",), expect=ProtocolError, match="not JSON", max_served=1),
    "json-5000-digit-total": Case(SERVER, ("json-huge-int",), expect=ProtocolError, max_served=1),
    "json-jobs-null": Case(SERVER, ("json-jobs-null",), expect=ProtocolError, match='"jobs"', max_served=1),
    "json-empty-array": Case(SERVER, ("200-empty-array",), expect=ProtocolError, max_served=1),
    "json-nested-100k-deep": Case(
        SERVER, ("200-deep-json",), expect=ProtocolError, match="nested too deeply"
    ),
    "invalid-utf8": Case(SERVER, ("invalid-utf8",), expect=ProtocolError, match="not JSON", max_served=1),
    "html-page-with-status-200": Case(SERVER, ("200-html",), expect=ProtocolError, match="Bad Gateway"),
    "json-labelled-text-plain": Case(SERVER, ("text-plain",), max_served=3),  # the body is right: accepted
    "content-encoding-never-asked-for": Case(
        SERVER, ("br-body",), expect=ProtocolError, match="Content-Encoding 'br'", max_served=1
    ),
    "gzip-that-is-not-gzip": Case(
        SERVER, ("gzip-corrupt",), expect=TransportError, match="DecodingError", max_served=1
    ),
    "raw-deflate-accepted": Case(SERVER, ("deflate-raw",), max_served=3),
    # --- the wire ----------------------------------------------------------------------------------------
    "redirect-to-another-host": Case(
        SERVER, ("redirect-external",), expect=ProtocolError, match="redirect to 203.0.113.9", max_served=1
    ),
    "redirect-loop": Case(
        SERVER, ("redirect-self",) * 5, expect=ProtocolError, match="not followed", max_served=1
    ),
    "iam-redirects-elsewhere": Case(
        SERVER,
        ("redirect-external",),
        auth="password",
        expect=AuthError,
        match="X-Subject-Token",
        max_served=1,
    ),
    "truncated-chunked-body-retried": Case(SERVER, ("truncated-chunked",), max_served=4),
    "truncated-chunked-body-no-retry": Case(
        SERVER, ("truncated-chunked",), settings={"max_retries": 0}, expect=TransportError, max_served=1
    ),
    "body-shorter-than-content-length": Case(
        SERVER, ("truncated-length",), settings={"max_retries": 0}, expect=TransportError, max_served=1
    ),
    "slow-loris-body": Case(
        SERVER,
        ("trickle-body",),
        {"trickle_s": 0.05},
        {"timeout": 1.0, "deadline": 1.5, "max_retries": 0},
        expect=TransportError,
        match="deadline",
        max_served=1,
    ),
    "slow-loris-headers": Case(
        SERVER,
        ("trickle-headers",),
        {"trickle_s": 0.05},
        {"timeout": 1.0, "deadline": 1.5, "max_retries": 0},
        expect=TransportError,
        match="deadline",
        max_served=1,
    ),
    "retry-after-a-week": Case(
        SERVER, ("retry-after-huge",), expect=ThrottledError, match="max_retry_after", max_served=1
    ),
}


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[Any]:
    with running(jobs=2500, seed=23, history_days=35) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim: Any) -> Any:
    shared_sim.set(**vars(Options()))
    with shared_sim.service.lock:
        shared_sim.service._faults.clear()
    return shared_sim


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(message)s").format(record))


def _texts(error: BaseException, depth: int = 0) -> list[str]:
    texts = [str(error), repr(error), *(repr(arg) for arg in error.args), *map(repr, vars(error).values())]
    texts += traceback.format_exception(type(error), error, error.__traceback__)
    for linked in (error.__cause__, error.__context__):
        if linked is not None and depth < 3:
            texts += _texts(linked, depth + 1)
    return texts


def _leaks(texts: list[str], held: list[str]) -> list[str]:
    runs = {s[i : i + 8] for s in held if s for i in range(len(s) - 7)}
    return sorted({run for text in texts for run in runs if run in text})


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_server(sim: Any, caplog: pytest.LogCaptureFixture, name: str):
    case = CASES[name]
    caplog.set_level(logging.DEBUG)
    records = _Records()
    for logger in ("httpx", "httpcore"):
        logging.getLogger(logger).addHandler(records)
    if case.auth == "password":
        auth: Any = PasswordAuth(
            sim.user, sim.password, sim.domain, project_id=sim.project_id, iam_endpoint=sim.url
        )
    else:
        auth = AkSkAuth(sim.ak, sim.sk, security_token=STS_TOKEN)
    days = 30 if case.call == "month" else 2
    start, end = sim.now - timedelta(days=days), sim.now
    truth = sim.truth(start, end)
    if "bomb_bytes" in case.options:
        bomb(case.options["bomb_bytes"], gzip="deflate-bomb" not in case.faults)  # built before measuring
    sim.set(**case.options)
    settings = {"retry": RetryPolicy(sleep=_no_wait), "max_response_bytes": 1 * MB, **case.settings}
    outcome: Any = None
    try:
        with TaskCenter(
            endpoint=sim.url, project_id=sim.project_id, auth=auth, progress=False, **settings
        ) as tc:
            for fault in case.faults:
                sim.inject(fault)
            mark = len(sim.requests)
            tracemalloc.start()
            try:
                outcome = tc.get_job(truth[0]["id"]) if case.call == "get" else tc.list_jobs(start, end)
            except TaskCenterError as error:
                outcome = error
            finally:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            served = len(sim.requests) - mark
    finally:
        for logger in ("httpx", "httpcore"):
            logging.getLogger(logger).removeHandler(records)

    if case.expect == EXACT:
        assert not isinstance(outcome, BaseException), outcome
        if case.call == "get":
            assert outcome["id"] == truth[0]["id"]
        else:
            assert sorted(job["id"] for job in outcome) == sorted(job["id"] for job in truth)
        texts = [repr(outcome)]  # the data too: job fields quoting a credential are masked
    else:
        assert isinstance(outcome, case.expect), outcome
        assert case.match in str(outcome)
        assert len(str(outcome)) < 2000
        texts = _texts(outcome)
    assert served <= case.max_served
    held = [sim.ak, sim.sk, STS_TOKEN] if case.auth == "aksk" else [sim.password, auth._token or ""]
    assert _leaks([*texts, *records.lines, caplog.text], held) == []
    if case.peak_mb is not None:
        assert peak < case.peak_mb * MB, f"peak {peak / MB:.1f} MB"


def test_the_hostile_cases_cover_every_area():
    counts = {area: sum(case.area == area for case in CASES.values()) for area in (SECRETS, BOMBS, SERVER)}
    assert counts[SECRETS] >= 11 and counts[BOMBS] >= 7 and counts[SERVER] >= 20, counts

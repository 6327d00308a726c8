"""The client against a misbehaving task-center simulator over real loopback sockets.

Status-200 error bodies and wrong shapes, JSON nested too deep, lone surrogates, trickled and endless
replies, absurd ``Retry-After``, endless paging, and a gateway echoing credentials back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Iterator
from datetime import timedelta

import pytest

from ddsjobs_analytics.client import (
    AkSkAuth,
    AuthError,
    ProtocolError,
    RetryPolicy,
    ServerError,
    TaskCenter,
    ThrottledError,
    TokenAuth,
    TransportError,
)
from ddsjobs_analytics.simulator import Options, running

MB = 1024 * 1024


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture(scope="module")
def shared_sim() -> Iterator:
    with running(jobs=1500, seed=5, history_days=40) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim):
    shared_sim.set(**vars(Options()))
    with shared_sim.service.lock:
        shared_sim.service._faults.clear()
    shared_sim.mark = len(shared_sim.requests)
    shared_sim._server.streamed_bytes = 0
    yield shared_sim


def _client(sim, auth=None, **options) -> TaskCenter:
    options.setdefault("retry", RetryPolicy(sleep=Sleeps()))
    return TaskCenter(
        endpoint=sim.url,
        project_id=sim.project_id,
        auth=auth or AkSkAuth(sim.ak, sim.sk),
        progress=False,
        **options,
    )


def _served(sim) -> int:
    return len(sim.requests) - sim.mark


def _window(sim):
    return sim.now - timedelta(days=3), sim.now


def _one_id(sim) -> str:
    return sim.truth(*_window(sim))[0]["id"]


# --- status 200 with a body that is not an answer -------------------------------------------------------


def test_a_200_system_busy_body_is_retried_then_the_listing_is_exact(sim):
    sim.inject("200-busy", 2)
    sleeps = Sleeps()
    with _client(sim, retry=RetryPolicy(sleep=sleeps)) as tc:
        jobs = tc.list_jobs(*_window(sim))
    assert sorted(job["id"] for job in jobs) == sorted(job["id"] for job in sim.truth(*_window(sim)))
    assert len(sleeps.waits) == 2


def test_a_200_system_busy_body_after_the_retries_is_a_server_error(sim):
    sim.inject("200-busy", 3)
    with _client(sim, max_retries=2) as tc, pytest.raises(ServerError) as caught:
        tc.get_job(_one_id(sim))
    assert caught.value.error_code == "DBS.200998" and caught.value.status == 200
    assert "after 3 attempts" in str(caught.value) and _served(sim) == 3


def test_a_200_error_body_that_is_not_busy_is_not_retried(sim):
    sim.inject("200-error")
    with _client(sim) as tc, pytest.raises(ServerError) as caught:
        tc.list_jobs(*_window(sim))
    assert caught.value.error_code == "DBS.280001" and not caught.value.retryable
    assert _served(sim) == 1


@pytest.mark.parametrize("fault", ["200-empty-array", "200-empty-object", "200-html", "200-deep-json"])
@pytest.mark.parametrize("call", ["list_jobs", "get_job", "fetch"])
def test_a_200_body_of_the_wrong_shape_is_a_protocol_error_never_no_jobs(sim, fault, call):
    sim.inject(fault)
    with _client(sim) as tc, pytest.raises(ProtocolError) as caught:
        if call == "get_job":
            tc.get_job(_one_id(sim))
        elif call == "list_jobs":
            tc.list_jobs(*_window(sim))
        else:
            tc.fetch(*_window(sim))
    message = str(caught.value)
    assert len(message) < 400 and _served(sim) == 1  # short, and not retried
    if fault == "200-html":
        assert "Bad Gateway" in message and "\n" not in message
    if fault == "200-deep-json":
        assert "nested too deeply" in message and caught.value.__suppress_context__


@pytest.mark.parametrize("field", ["fail_reason", "instance_name", "instance_id", "name", "created_at"])
def test_a_lone_surrogate_in_any_field_does_not_fail_the_batch(sim, field, caplog):
    sim.set(record_override={field: "x\ud800"})
    start, end = _window(sim)
    truth = sim.truth(start, end)
    with _client(sim) as tc, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a created_at of "x\ufffd" is a counted data problem
        frame = tc.fetch(start, end)
    assert len(frame) == len(truth)
    column = {"name": "job_name", "created_at": None}.get(field, field)
    if column:
        assert set(frame[column].astype(str)) == {"x\ufffd"}
    frame.to_json(date_format="iso")  # the text is valid everywhere downstream
    assert "lone UTF-16 surrogates" in caplog.text


def test_a_lone_surrogate_by_id(sim):
    sim.set(record_override={"fail_reason": "x\ud800"})
    with _client(sim) as tc:
        job = tc.get_job(_one_id(sim))
    assert job["fail_reason"] == "x\ufffd"


# --- deadlines and size caps ------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["trickle-body", "trickle-headers"])
def test_a_trickled_reply_ends_at_the_deadline(sim, fault):
    sim.set(trickle_s=0.05)  # each byte well within the read timeout, the whole reply far beyond
    sim.inject(fault)
    started = time.monotonic()
    job_id = _one_id(sim)
    with (
        _client(sim, timeout=1.0, deadline=1.5, max_retries=0) as tc,
        pytest.raises(TransportError) as caught,
    ):
        tc.get_job(job_id)
    assert "deadline of 1.5 s" in str(caught.value)
    assert time.monotonic() - started < 4.0


def test_the_deadline_defaults_to_three_timeouts():
    with TaskCenter(endpoint="http://127.0.0.1:9", project_id="p", auth=TokenAuth("t"), timeout=2) as tc:
        assert tc.settings.deadline == 6.0


def test_an_endless_chunked_body_is_not_read_beyond_the_cap(sim):
    sim.inject("endless-chunked")
    with _client(sim, max_response_bytes=1 * MB) as tc, pytest.raises(ProtocolError, match="max_response"):
        tc.list_jobs(*_window(sim))
    assert _served(sim) == 1
    assert sim._server.streamed_bytes < 1 * MB + 16 * MB  # what the socket buffers took, not 763 MB


def test_the_default_cap_is_32_mb(sim):
    sim.inject("endless-chunked")
    with _client(sim) as tc, pytest.raises(ProtocolError, match="max_response_bytes=33554432"):
        tc.list_jobs(*_window(sim))
    assert 32 * MB <= sim._server.streamed_bytes < 48 * MB


def test_a_declared_huge_body_is_refused_without_reading_it(sim):
    sim.inject("huge-body")
    with _client(sim) as tc, pytest.raises(ProtocolError, match="at least 314572800"):
        tc.get_job(_one_id(sim))
    assert sim._server.streamed_bytes < 32 * MB


def test_a_retry_after_beyond_the_maximum_is_not_waited_for(sim):
    sim.inject("retry-after-huge")
    sleeps = Sleeps()
    with _client(sim, retry=RetryPolicy(sleep=sleeps)) as tc, pytest.raises(ThrottledError) as caught:
        tc.get_job(_one_id(sim))
    assert caught.value.retry_after == 999999 and "max_retry_after=60 s" in str(caught.value)
    assert sleeps.waits == [] and _served(sim) == 1


def test_a_retry_after_within_the_maximum_is_honoured(sim):
    sim.set(retry_after=45)
    sim.inject("429-retry-after")
    sleeps = Sleeps()
    with _client(sim, retry=RetryPolicy(sleep=sleeps)) as tc:
        tc.get_job(_one_id(sim))
    assert sleeps.waits == [45.0]


def test_endless_pages_of_new_ids_stop_at_max_pages(sim):
    sim.set(endless_pages=True, total_count_omitted=True)
    with _client(sim, max_pages=5) as tc, pytest.raises(ProtocolError, match="max_pages=5"):
        tc.list_jobs(*_window(sim))
    assert _served(sim) == 6


def test_endless_pages_far_past_total_count_stop_before_max_pages(sim):
    sim.set(endless_pages=True)
    with _client(sim) as tc, pytest.raises(ProtocolError, match="total_count"):
        tc.list_jobs(*_window(sim))
    assert _served(sim) < 20


# --- a gateway echoing the request back -------------------------------------------------------------------


def test_credentials_echoed_by_the_server_never_reach_errors_or_logs(sim, caplog):
    caplog.set_level(logging.DEBUG)
    token = "temporary-sts-token-0123456789"
    texts = []
    for auth, secrets in (
        (AkSkAuth(sim.ak, sim.sk, security_token=token), (sim.ak, sim.sk, token)),
        (TokenAuth(sim.token), (sim.token,)),
    ):
        sim.inject("echo-headers")
        with _client(sim, auth=auth) as tc, pytest.raises(AuthError) as caught:
            tc.get_job(_one_id(sim))
        error = caught.value
        texts += [str(error), repr(error), error.error_msg or "", *(str(a) for a in error.args)]
        assert "<hidden>" in str(error) and "Host:" in str(error)  # the echo is shown, scrubbed
        for text in (*texts, caplog.text):
            assert all(secret not in text for secret in secrets)

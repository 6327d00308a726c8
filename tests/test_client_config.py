"""Client settings (one frozen object), lifecycle (closed clients refuse work), retry log lines, progress
callbacks and ``observed_at`` stamping, against the simulator over loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest

from ddsjobs_analytics.client import (
    AkSkAuth,
    AsyncTaskCenter,
    ClientSettings,
    RateLimiter,
    RetryPolicy,
    TaskCenter,
    TokenAuth,
)
from ddsjobs_analytics.simulator import running


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture(scope="module")
def sim() -> Iterator:
    with running(jobs=800, seed=3, history_days=40) as sim:
        yield sim


def _options(sim, **options):
    return {
        "endpoint": sim.url,
        "project_id": sim.project_id,
        "auth": AkSkAuth(sim.ak, sim.sk),
        "progress": False,
        "retry": RetryPolicy(sleep=_no_sleep),
        **options,
    }


def _loop_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "ddsjobs-client")


# --- settings ---------------------------------------------------------------------------------------------


def test_settings_are_one_frozen_object_with_documented_defaults():
    settings = ClientSettings()
    assert (settings.timeout, settings.deadline, settings.max_response_bytes) == (30.0, 90.0, 32 * 1024**2)
    assert (settings.max_retry_after, settings.max_retries, settings.max_concurrency) == (60.0, 5, 8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.timeout = 1  # type: ignore[misc]
    assert ClientSettings(timeout=4).deadline == 12.0
    assert settings.replace(timeout=2).deadline == 6.0
    assert settings.replace(deadline=5).replace(timeout=2).deadline == 5
    assert isinstance(ClientSettings(rate_limit=3).rate_limit, RateLimiter)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("timeout", 0, "timeout must be a positive number"),
        ("deadline", -1, "deadline must be a positive number"),
        ("max_response_bytes", 0, "max_response_bytes must be a positive number"),
        ("max_retry_after", -1, "max_retry_after must be 0 or more"),
        ("max_retries", -1, "max_retries must be 0 or more"),
        ("max_concurrency", 0, "max_concurrency must be at least 1"),
        ("max_pages", 0, "max_pages must be at least 1"),
    ],
)
def test_settings_refuse_nonsense(option, value, message):
    with pytest.raises(ValueError, match=message):
        ClientSettings(**{option: value})
    with pytest.raises(ValueError, match=message):
        TaskCenter(endpoint="http://127.0.0.1:9", project_id="p", auth=TokenAuth("t"), **{option: value})


def test_clients_and_from_env_share_the_settings_object(sim):
    tc = TaskCenter(**_options(sim, timeout=3, max_response_bytes=1000, max_retry_after=5, max_pages=7))
    assert tc.settings == ClientSettings(
        timeout=3,
        max_response_bytes=1000,
        max_retry_after=5,
        max_pages=7,
        progress=False,
        retry=tc.settings.retry,
    )
    assert tc._core.settings is tc.settings
    environ = {
        "HUAWEICLOUD_SDK_AK": sim.ak,
        "HUAWEICLOUD_SDK_SK": sim.sk,
        "HUAWEICLOUD_SDK_PROJECT_ID": sim.project_id,
        "DDSJOBS_ENDPOINT": sim.url,
    }
    from_env = AsyncTaskCenter.from_env(environ, deadline=4, max_retry_after=1)
    assert (from_env.settings.deadline, from_env.settings.max_retry_after) == (4, 1)
    tc.close()


# --- lifecycle --------------------------------------------------------------------------------------------


def _every_call(tc, sim) -> list:
    """Each public call of ``tc`` on some arguments, not yet made."""
    return [
        lambda: tc.list_jobs(sim.now - timedelta(days=1), sim.now),
        lambda: tc.get_job("x"),
        lambda: tc.get_jobs(["x"]),
        lambda: tc.fetch(),
        lambda: tc.fetch_many([(sim.region, sim.project_id)]),
    ]


def test_a_closed_client_refuses_work_and_starts_no_thread(sim):
    tc = TaskCenter(**_options(sim))
    with tc:
        assert tc.list_jobs(sim.now - timedelta(days=1), sim.now) is not None
    before = _loop_threads()
    for call in _every_call(tc, sim):
        with pytest.raises(RuntimeError, match="TaskCenter has been closed"):
            call()
    assert _loop_threads() == before and tc.is_closed and "closed" in repr(tc)
    with pytest.raises(RuntimeError, match="closed"):
        tc.__enter__()
    tc.close()  # still safe twice


def test_close_without_use_then_use(sim):
    tc = TaskCenter(**_options(sim))
    tc.close()
    with pytest.raises(RuntimeError, match="closed"):
        tc.get_job("x")


def test_a_closed_async_client_refuses_work(sim):
    async def main() -> None:
        async with AsyncTaskCenter(**_options(sim)) as tc:
            await tc.list_jobs(sim.now - timedelta(days=1), sim.now)
        for call in _every_call(tc, sim):
            with pytest.raises(RuntimeError, match="AsyncTaskCenter has been closed"):
                await call()
        other = AsyncTaskCenter(**_options(sim))
        async with AsyncTaskCenter(**_options(sim)) as open_client:
            await other.aclose()
            with pytest.raises(RuntimeError, match="closed"):
                await open_client.fetch_many([other])

    asyncio.run(main())


# --- retry visibility and progress ------------------------------------------------------------------------


def test_each_retry_is_one_info_line_with_attempt_reason_and_wait(sim, caplog):
    caplog.set_level(logging.INFO, logger="ddsjobs_analytics.client")
    sim.inject("500")
    sim.inject("429")
    with TaskCenter(**_options(sim, auth=AkSkAuth(sim.ak, sim.sk, security_token="sts-token-xyz"))) as tc:
        tc.get_job(sim.truth(sim.now - timedelta(days=3), sim.now)[0]["id"])
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(lines) == 2
    assert "attempt 1/6 failed (ServerError HTTP 500 DBS.280005); retrying in" in lines[0]
    assert "attempt 2/6 failed (ThrottledError HTTP 429 APIGW.0308); retrying in" in lines[1]
    assert all(line.endswith(" s") for line in lines)
    assert all(secret not in caplog.text for secret in (sim.ak, sim.sk, "sts-token-xyz"))


def test_on_progress_reports_jobs_read_and_ids_done(sim):
    start, end = sim.now - timedelta(days=10), sim.now
    listed: list[tuple[int, int | None]] = []
    with TaskCenter(**_options(sim)) as tc:
        jobs = tc.list_jobs(start, end, on_progress=lambda done, total: listed.append((done, total)))
        ids = [job["id"] for job in jobs[:7]]
        done: list[tuple[int, int | None]] = []
        tc.get_jobs(ids, on_progress=lambda n, total: done.append((n, total)))
        fetched: list[int] = []
        frame = tc.fetch(start, end, on_progress=lambda n, total: fetched.append(n))
    assert len(listed) == -(-len(jobs) // 100) + (len(jobs) % 100 == 0)  # one call per page
    assert listed[-1] == (len(jobs), None) and [n for n, _ in listed] == sorted(n for n, _ in listed)
    assert sorted(done) == [(n, 7) for n in range(1, 8)]
    assert fetched[-1] == len(frame) == len(jobs)


def test_fetch_stamps_observed_at_per_page_as_text_and_list_jobs_returns_clean_records(sim):
    start, end = sim.now - timedelta(days=10), sim.now
    before = pd.Timestamp.now(tz="UTC")
    with TaskCenter(**_options(sim)) as tc:
        frame = tc.fetch(start, end)
        records = tc.list_jobs(start, end)
    after = pd.Timestamp.now(tz="UTC")
    assert frame["observed_at"].between(before, after).all()
    assert frame["observed_at"].nunique() <= -(-len(frame) // 100)  # one moment per page at most
    assert all("observed_at" not in record for record in records)

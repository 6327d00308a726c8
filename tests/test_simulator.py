"""The task-center simulator over real loopback sockets, driven with plain httpx and our signer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
import pytest

from ddsjobs_analytics._core import _signing
from ddsjobs_analytics.simulator import FAULTS, running, serve
from ddsjobs_analytics.simulator._misbehave import MISBEHAVIOURS
from ddsjobs_analytics.simulator._service import Request, TaskCenterService

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
# One pooled client for the module: building a client per request costs more than the request.
HTTP = httpx.Client(timeout=10.0)


@pytest.fixture(scope="module", autouse=True)
def _close_http_client():
    yield
    HTTP.close()


def api_time(moment: datetime, offset_hours: int = 0) -> str:
    local = moment.astimezone(timezone(timedelta(hours=offset_hours)))
    return local.strftime("%Y-%m-%dT%H:%M:%S%z")


def signed_headers(sim, method, path, params, *, sk=None, date=None, extra=None):
    headers = {
        "Content-Type": "application/json",
        "Host": urlsplit(sim.url).netloc,
        "X-Sdk-Date": date or _signing.sdk_date(),
        "X-Project-Id": sim.project_id,
        **(extra or {}),
    }
    canonical, names = _signing.canonical_request(method, path, params, headers)
    signature = _signing.sign(sk or sim.sk, canonical, headers["X-Sdk-Date"])
    headers["Authorization"] = _signing.authorization_header(sim.ak, names, signature)
    return headers


def get(sim, path, params, *, timeout=10.0, **sign_options):
    """A signed GET, the query sent in canonical encoding (as the SDK does)."""
    headers = signed_headers(sim, "GET", path, params, **sign_options)
    query = _signing.canonical_query(params)
    return HTTP.get(f"{sim.url}{path}" + (f"?{query}" if query else ""), headers=headers, timeout=timeout)


def list_path(sim, project_id=None):
    return f"/v3.1/{project_id or sim.project_id}/jobs"


def detail_path(sim, project_id=None):
    return f"/v3/{project_id or sim.project_id}/jobs"


def window(sim, days=30, **extra):
    params = [("start_time", api_time(sim.now - timedelta(days=days))), ("end_time", api_time(sim.now))]
    return params + [(k, str(v)) for k, v in extra.items()]


def queryable_truth(sim, days=30):
    return sim.truth(sim.now - timedelta(days=days), sim.now)


@pytest.fixture
def sim():
    with running(jobs=600, instances=12, seed=5, now=NOW) as simulator:
        yield simulator


def page_all(sim, params, limit=100):
    records, offset = [], 0
    while True:
        response = get(sim, list_path(sim), [*params, ("offset", str(offset)), ("limit", str(limit))])
        assert response.status_code == 200, response.text
        page = response.json()["jobs"]
        records += page
        if len(page) < limit:
            return records
        offset += limit


# --- shapes -----------------------------------------------------------------------------------------


def test_list_tasks_pages_hold_exactly_the_truth_newest_first(sim):
    truth = queryable_truth(sim)
    assert len(truth) > 150
    first = get(sim, list_path(sim), window(sim))
    body = first.json()
    assert first.status_code == 200
    assert body["total_count"] == len(truth)
    assert len(body["jobs"]) == 100  # default limit
    assert list(body["jobs"][0]) == list(truth[0])  # the ListTasks fields, checked in test_sample
    assert page_all(sim, window(sim), limit=37) == truth


def test_list_tasks_filters(sim):
    truth = queryable_truth(sim)
    failed = get(sim, list_path(sim), window(sim, status="Failed")).json()
    assert failed["jobs"] == [r for r in truth if r["status"] == "Failed"]
    name = truth[0]["name"]
    named = get(sim, list_path(sim), window(sim, name=name)).json()
    assert named["jobs"] == [r for r in truth if r["name"] == name][:100]
    one = get(sim, list_path(sim), window(sim, id=truth[5]["id"])).json()
    assert one == {"total_count": 1, "jobs": [truth[5]]}


def test_list_tasks_window_filters_on_created_in_any_offset(sim):
    start, end = sim.now - timedelta(days=3), sim.now - timedelta(days=1)
    params = [("start_time", api_time(start, 8)), ("end_time", api_time(end, -5))]
    assert page_all(sim, params) == sim.truth(start, end)


def test_show_job_detail_returns_the_v3_shape(sim):
    truth = queryable_truth(sim)
    failed = next(r for r in truth if r["status"] == "Failed")
    response = get(sim, detail_path(sim), [("id", failed["id"])])
    assert response.status_code == 200
    job = response.json()["job"]
    assert job == {
        "id": failed["id"],
        "name": job["name"],
        "status": "Failed",
        "created": failed["created_at"],
        "ended": failed["ended_at"],
        "progress": "",
        "instance": {"id": failed["instance_id"], "name": failed["instance_name"]},
        "fail_reason": failed["fail_reason"],
    }
    assert job["name"].replace("_", "") == failed["name"].replace("_", "")


def test_only_the_last_month_is_queryable(sim):
    old = sim.truth(sim.now - timedelta(days=50), sim.now - timedelta(days=35))
    assert old
    response = get(sim, detail_path(sim), [("id", old[0]["id"])])
    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.280016")
    params = [
        ("start_time", api_time(sim.now - timedelta(days=31))),
        ("end_time", api_time(sim.now - timedelta(days=1))),
    ]
    records = page_all(sim, params)
    horizon = sim.now - timedelta(days=30)
    assert records == [r for r in sim.truth(horizon, sim.now - timedelta(days=1))]


def test_responses_carry_a_request_id(sim):
    ok = get(sim, list_path(sim), window(sim, limit=1))
    bad = get(sim, list_path(sim), window(sim, limit=0))
    ids = {ok.headers["X-Request-Id"], bad.headers["X-Request-Id"]}
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


# --- validation -------------------------------------------------------------------------------------


def _params(sim, **changes):
    base = {"start_time": api_time(sim.now - timedelta(days=2)), "end_time": api_time(sim.now)}
    base.update(changes)
    return [(k, v) for k, v in base.items() if v is not None]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"start_time": None}, "DBS.280067"),
        ({"start_time": "2026-11-18T12:00:00Z"}, "DBS.280409"),
        ({"start_time": "2026-11-18T12:00:00+08:00"}, "DBS.280409"),
        ({"start_time": "2026-11-18 12:00:00+0800"}, "DBS.280409"),
        ({"end_time": None}, "DBS.280416"),
        ({"end_time": "yesterday"}, "DBS.280416"),
        ({"end_time": "2026-11-18T12:00:00+0000", "start_time": "2026-11-18T12:00:00+0000"}, "DBS.280068"),
        ({"end_time": "2026-11-18T11:00:00+0000", "start_time": "2026-11-18T12:00:00+0000"}, "DBS.280068"),
        ({"start_time": "2026-10-19T12:00:00+0000", "end_time": "2026-11-18T12:00:01+0000"}, "DBS.280416"),
        ({"limit": "0"}, "DBS.280439"),
        ({"limit": "101"}, "DBS.280439"),
        ({"limit": "ten"}, "DBS.280439"),
        ({"offset": "-1"}, "DBS.280440"),
        ({"offset": "1.5"}, "DBS.280440"),
        ({"status": "Done"}, "DBS.280001"),
        ({"name": "Create_MongoDB"}, "DBS.280001"),
    ],
)
def test_list_tasks_validation_errors(sim, changes, code):
    response = get(sim, list_path(sim), _params(sim, **changes))
    body = response.json()
    assert response.status_code == 400
    assert body["error_code"] == code
    assert body["error_msg"]


def test_exactly_thirty_days_is_allowed(sim):
    params = _params(sim, start_time="2026-10-19T12:00:00+0000", end_time="2026-11-18T12:00:00+0000")
    assert get(sim, list_path(sim), params).status_code == 200


def test_project_id_mismatches(sim):
    other = "f" * 32
    response = get(sim, list_path(sim, other), window(sim))
    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.280408")
    response = get(sim, list_path(sim), window(sim), extra={"X-Project-Id": other})
    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.280408")


def test_show_job_detail_errors(sim):
    unknown = get(sim, detail_path(sim), [("id", "00000000-0000-4000-8000-000000000000")])
    assert (unknown.status_code, unknown.json()["error_code"]) == (400, "DBS.280016")
    missing = get(sim, detail_path(sim), [])
    assert (missing.status_code, missing.json()["error_code"]) == (400, "DBS.280001")
    nowhere = get(sim, f"/v2/{sim.project_id}/jobs", [])
    assert (nowhere.status_code, nowhere.json()["error_code"]) == (404, "APIGW.0101")


# --- authentication ---------------------------------------------------------------------------------


def test_signature_checks(sim):
    path, params = list_path(sim), window(sim, limit=1)
    assert get(sim, path, params).status_code == 200
    wrong_key = get(sim, path, params, sk="not-the-secret")
    assert (wrong_key.status_code, wrong_key.json()["error_code"]) == (401, "APIGW.0301")
    stale = _signing.sdk_date(datetime.now(timezone.utc) - timedelta(minutes=16))
    expired = get(sim, path, params, date=stale)
    assert (expired.status_code, expired.json()["error_code"]) == (401, "APIGW.0301")
    assert "expired" in expired.json()["error_msg"]
    recent = _signing.sdk_date(datetime.now(timezone.utc) - timedelta(minutes=10))
    assert get(sim, path, params, date=recent).status_code == 200
    headers = signed_headers(sim, "GET", path, params)
    tampered = HTTP.get(f"{sim.url}{path}?{_signing.canonical_query(window(sim, limit=2))}", headers=headers)
    assert (tampered.status_code, tampered.json()["error_code"]) == (401, "APIGW.0301")
    anonymous = HTTP.get(f"{sim.url}{path}?{_signing.canonical_query(params)}")
    assert (anonymous.status_code, anonymous.json()["error_code"]) == (401, "APIGW.0301")


def test_unencoded_plus_in_the_query_breaks_like_on_the_real_gateway(sim):
    # A literal "+" decodes to a space: the signature no longer matches what the client signed.
    params = window(sim, limit=1)
    headers = signed_headers(sim, "GET", list_path(sim), params)
    raw = "&".join(f"{k}={v}" for k, v in params)
    response = HTTP.get(f"{sim.url}{list_path(sim)}?{raw}", headers=headers)
    assert response.status_code == 401


def test_token_auth(sim):
    url = f"{sim.url}{list_path(sim)}?{_signing.canonical_query(window(sim, limit=1))}"
    assert HTTP.get(url, headers={"X-Auth-Token": sim.token}).status_code == 200
    bad = HTTP.get(url, headers={"X-Auth-Token": "MIInot-a-token"})
    assert (bad.status_code, bad.json()["error_code"]) == (401, "DBS.280056")


def _login(sim, password=None, project=None):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": sim.user,
                        "password": password or sim.password,
                        "domain": {"name": sim.domain},
                    }
                },
            },
            "scope": {"project": project or {"id": sim.project_id}},
        }
    }
    return HTTP.post(f"{sim.url}/v3/auth/tokens", json=body)


def test_iam_password_login_issues_a_24_hour_token(sim):
    response = _login(sim)
    assert response.status_code == 201
    token = response.headers["X-Subject-Token"]
    expires = datetime.strptime(response.json()["token"]["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert expires.replace(tzinfo=timezone.utc) == sim.now + timedelta(hours=24)
    assert _login(sim, project={"name": sim.region}).status_code == 201
    url = f"{sim.url}{list_path(sim)}?{_signing.canonical_query(window(sim, limit=1))}"
    assert HTTP.get(url, headers={"X-Auth-Token": token}).status_code == 200
    wrong = _login(sim, password="guess")
    assert wrong.status_code == 401 and "X-Subject-Token" not in wrong.headers
    sim.advance(24 * 3600)
    url = f"{sim.url}{list_path(sim)}?{_signing.canonical_query(window(sim, limit=1))}"
    expired = HTTP.get(url, headers={"X-Auth-Token": token})
    assert (expired.status_code, expired.json()["error_code"]) == (401, "DBS.280056")
    assert HTTP.get(url, headers={"X-Auth-Token": sim.token}).status_code == 200


def test_no_secret_in_repr_or_log(sim):
    _login(sim)
    get(sim, list_path(sim), window(sim, limit=1))
    text = repr(sim) + repr(sim.requests) + repr(sim.service.credentials)
    for secret in (sim.sk, sim.token, sim.password):
        assert secret not in text
    assert "Signature" not in repr(sim.requests)


# --- faults, throttling, options --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("429", 429, "APIGW.0308"),
        ("429-retry-after", 429, "APIGW.0308"),
        ("500", 500, "DBS.280005"),
        ("503", 503, None),
    ],
)
def test_injected_error_faults(sim, fault, status, code):
    sim.inject(fault, count=2)
    params = window(sim, limit=1)
    for _ in range(2):
        response = get(sim, list_path(sim), params)
        assert response.status_code == status
        assert response.json()["error_code"] == (code or response.json()["error_code"])
        assert ("Retry-After" in response.headers) == (fault == "429-retry-after")
    if status == 429:
        assert re.search(r"policy user over ratelimit,limit:\d+,time:1 second", response.json()["error_msg"])
    assert get(sim, list_path(sim), params).status_code == 200
    assert [r.fault for r in sim.requests] == [fault, fault, None]


def test_injected_drop_and_timeout(sim):
    params = window(sim, limit=1)
    sim.inject("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        get(sim, list_path(sim), params)
    sim.set(timeout_s=2.0)
    sim.inject("timeout")
    with pytest.raises(httpx.ReadTimeout):
        get(sim, list_path(sim), params, timeout=0.3)
    assert get(sim, list_path(sim), params).status_code == 200
    assert [r.status for r in sim.requests] == [None, None, 200]


def test_unknown_fault_and_option_are_refused(sim):
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject("teapot")
    with pytest.raises(TypeError, match="unknown simulator option"):
        sim.set(jitter=3)
    with pytest.raises(ValueError, match="error_rate"):
        sim.set(error_rate=2)
    assert set(FAULTS) == {"429", "429-retry-after", "500", "503", "drop", "timeout", *MISBEHAVIOURS}


def test_throttle_answers_429_beyond_the_rate(sim):
    sim.set(throttle=2, retry_after=1)
    statuses = []
    for _ in range(50):
        response = get(sim, list_path(sim), window(sim, limit=1))
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert "limit:2,time:1 second" in response.json()["error_msg"]
            assert response.headers["Retry-After"] == "1"
            break
    assert statuses[0] == 200 and statuses[-1] == 429


def test_random_errors_and_drops_are_seeded():
    def statuses(seed):
        out = []
        with running(jobs=50, instances=3, seed=seed, now=NOW, error_rate=0.5) as sim:
            for _ in range(12):
                out.append(get(sim, list_path(sim), window(sim, limit=1)).status_code)
        return out

    first = statuses(9)
    assert first == statuses(9)
    assert set(first) <= {200, 500, 503} and 200 in first and len(set(first)) > 1
    with (
        running(jobs=50, instances=3, seed=9, now=NOW, drop_rate=1.0) as sim,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        get(sim, list_path(sim), window(sim, limit=1))


def test_total_count_can_be_omitted(sim):
    sim.set(total_count_omitted=True)
    body = get(sim, list_path(sim), window(sim, limit=3)).json()
    assert list(body) == ["jobs"] and len(body["jobs"]) == 3


def test_latency_is_added_to_every_reply():
    service = TaskCenterService(jobs=10, instances=2, now=NOW, latency_ms=250)
    reply = service.handle(Request("GET", "/nowhere", "", {}.get))
    assert reply.status == 404 and reply.delay_s == pytest.approx(0.25)


# --- the clock and arriving work --------------------------------------------------------------------


def test_advancing_the_clock_finishes_running_jobs_and_brings_new_ones(sim):
    (job_id,) = sim.spawn(1)
    before = get(sim, detail_path(sim), [("id", job_id)]).json()["job"]
    assert before["status"] == "Running" and before["progress"] == "0%"
    index = sim.fleet.ids.index(job_id)
    count_before = len(sim.truth())
    sim.advance(int(sim.fleet.planned_s[index]))
    after = get(sim, detail_path(sim), [("id", job_id)]).json()["job"]
    assert after["status"] in ("Completed", "Failed") and after["progress"] == ""
    assert after["created"] == before["created"]
    sim.advance(86400)
    assert len(sim.truth()) > count_before
    assert sim.now == NOW + timedelta(seconds=int(sim.fleet.planned_s[index]) + 86400)
    with pytest.raises(ValueError):
        sim.advance(-1)


def test_date_header_tells_the_simulated_clock(sim):
    sim.advance(3 * 86400)
    response = get(sim, list_path(sim), window(sim, limit=1))
    assert response.headers["Date"] == "Mon, 23 Nov 2026 12:00:00 GMT"


def test_new_jobs_arriving_between_pages_shift_offsets(sim):
    sim.set(shift_during_paging=3)
    params = window(sim, limit=10)
    first = get(sim, list_path(sim), params).json()
    second = get(sim, list_path(sim), [*params, ("offset", "10")]).json()
    assert second["total_count"] == first["total_count"] + 3
    # The three newest arrivals pushed the last three records of page one onto page two.
    assert second["jobs"][:3] == first["jobs"][7:]


def test_same_seed_and_clock_serve_the_same_records():
    bodies = []
    for _ in range(2):
        with running(jobs=300, instances=6, seed=21, now=NOW) as sim:
            bodies.append(get(sim, list_path(sim), window(sim)).json())
            project = sim.project_id
    assert bodies[0] == bodies[1] and bodies[0]["total_count"] > 0
    with running(jobs=300, instances=6, seed=22, now=NOW) as other:
        assert other.project_id != project


def test_several_regions_are_told_apart_by_project_id():
    with running(jobs=300, instances=6, regions=("cn-north-4", "eu-west-101"), seed=3, now=NOW) as sim:
        eu = sim.project_ids["eu-west-101"]
        response = get(sim, list_path(sim, eu), window(sim), extra={"X-Project-Id": eu})
        assert response.status_code == 200
        assert (
            response.json()["jobs"] == sim.truth(sim.now - timedelta(days=30), sim.now, project_id=eu)[:100]
        )
        assert response.json()["jobs"][0]["created_at"][-5:] in ("+0000", "+0100")


def test_serve_prints_where_and_who_then_stops(serving):
    with serving(jobs=50, instances=3) as text:  # on leaving, serving() checks that serve has stopped
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text).group(1)
        ak = re.search(r"HUAWEICLOUD_SDK_AK=(\S+)", text).group(1)
        project_id = re.search(r"HUAWEICLOUD_SDK_PROJECT_ID=(\S+)", text).group(1)
        assert "HUAWEICLOUD_SDK_REGION_DDS_CN_NORTH_4=" + url in text
        assert ak and project_id
        token = re.search(r"# token: (\S+)", text).group(1)
        response = HTTP.get(
            f"{url}/v3/{project_id}/jobs", params={"id": "x"}, headers={"X-Auth-Token": token}
        )
        assert response.json()["error_code"] == "DBS.280016"


def test_serve_refuses_non_loopback_hosts():
    with pytest.raises(ValueError, match="loopback"):
        serve(8080, host="0.0.0.0")


def test_a_brand_new_job_is_not_yet_queryable_by_id(sim):
    sim.set(detail_lag_s=5)
    (job_id,) = sim.spawn(1)
    hidden = get(sim, detail_path(sim), [("id", job_id)])
    assert (hidden.status_code, hidden.json()["error_code"]) == (400, "DBS.280016")
    sim.advance(5)
    shown = get(sim, detail_path(sim), [("id", job_id)])
    assert shown.status_code == 200
    assert shown.json()["job"] == sim.truth(shape="v3")[0]


def test_a_ticking_clock_follows_real_time(monkeypatch):
    from ddsjobs_analytics.simulator import _service

    class FakeTime:
        now = 1000.0

        @classmethod
        def monotonic(cls) -> float:
            return cls.now

    monkeypatch.setattr(_service, "time", FakeTime)
    ticking = TaskCenterService(jobs=10, instances=2, now=NOW, tick=True)
    frozen = TaskCenterService(jobs=10, instances=2, now=NOW)
    FakeTime.now += 90.7
    ticking.advance(10)
    assert ticking.now == NOW + timedelta(seconds=100)
    assert frozen.now == NOW


def test_reset_restores_default_options_and_clears_faults(sim):
    sim.set(total_count_omitted=True, error_rate=1.0)
    sim.inject("drop", 3)
    sim.reset()
    body = get(sim, list_path(sim), window(sim, limit=1)).json()
    assert "total_count" in body and len(body["jobs"]) == 1


# --- misbehaviours ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        ("200-busy", 200, b'{"error_code": "DBS.200998"'),
        ("200-error", 200, b'{"error_code": "DBS.280001"'),
        ("200-empty-array", 200, b"[]"),
        ("200-empty-object", 200, b"{}"),
        ("200-html", 200, b"<!DOCTYPE html>"),
        ("200-deep-json", 200, b"[[[[[[[["),
        ("retry-after-huge", 429, b'{"error_code": "APIGW.0308"'),
    ],
)
def test_misbehaving_bodies_are_served_once(sim, fault, status, body):
    sim.inject(fault)
    first = get(sim, list_path(sim), window(sim))
    assert (first.status_code, first.content[: len(body)]) == (status, body)
    assert sim.requests[-1].fault == fault
    if fault == "retry-after-huge":
        assert first.headers["Retry-After"] == "999999"
    assert get(sim, list_path(sim), window(sim)).json()["jobs"]  # one-shot


def test_echo_headers_quotes_the_credentials_back(sim):
    sim.inject("echo-headers")
    response = get(sim, detail_path(sim), [("id", "x")])
    assert response.status_code == 401
    assert f"Access={sim.ak}" in response.json()["error_msg"]


def test_trickled_body_arrives_slowly_and_complete(sim):
    sim.set(trickle_s=0.001)
    sim.inject("trickle-body")
    job_id = queryable_truth(sim)[0]["id"]
    response = get(sim, detail_path(sim), [("id", job_id)])
    assert response.json()["job"]["id"] == job_id


def test_endless_chunked_body_streams_until_the_client_hangs_up(sim):
    sim.inject("endless-chunked")
    headers = signed_headers(sim, "GET", list_path(sim), window(sim))
    url = f"{sim.url}{list_path(sim)}?{_signing.canonical_query(window(sim))}"
    read = 0
    with httpx.Client(timeout=10) as client, client.stream("GET", url, headers=headers) as response:
        assert response.headers["Transfer-Encoding"] == "chunked"
        for chunk in response.iter_bytes():
            read += len(chunk)
            if read > 5 * 1024 * 1024:
                break
    assert read > 5 * 1024 * 1024


def test_endless_pages_and_record_override(sim):
    sim.set(endless_pages=True, record_override={"fail_reason": "x\ud800"})
    pages = [get(sim, list_path(sim), window(sim, offset=offset)) for offset in (0, 100_000)]
    ids = [{job["id"] for job in page.json()["jobs"]} for page in pages]
    assert all(len(page) == 100 for page in ids) and not ids[0] & ids[1]
    assert b"\\ud800" in pages[0].content
    assert {job["fail_reason"] for job in pages[0].json()["jobs"]} == {"x\ud800"}

"""``ddsjobs metrics``: the output parses with prometheus_client and equals the project's own statistics."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

import ddsjobs_analytics as dj
from ddsjobs_analytics._cli._main import main
from ddsjobs_analytics.metrics._collector import OTHER
from ddsjobs_analytics.metrics._exposition import metrics_text, push_metrics, write_metrics

BY = ["job_type", "region"]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return dj.load_sample()


def samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """metric name → {sorted labels: value}, read back with prometheus_client's own parser."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def key(job_type: str, region: str, **extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"job_type": job_type, "region": region, **extra}.items()))


def test_failure_rates_and_p95_equal_the_statistics_on_the_same_frame(sample: pd.DataFrame) -> None:
    parsed = samples(metrics_text(sample, top=1000))
    rates = dj.failure_rates(sample, by=BY)
    expected = {key(t, r): v for (t, r), v in rates["failure_rate"].dropna().items()}
    assert parsed["ddsjobs_failure_rate"] == pytest.approx(expected, rel=1e-12)
    stats = dj.duration_stats(sample, by=BY)
    for column, quantile in (("km_p95_s", "0.95"), ("km_p50_s", "0.5")):
        want = {key(t, r, quantile=quantile): v for (t, r), v in stats[column].dropna().items()}
        got = {k: v for k, v in parsed["ddsjobs_duration_seconds"].items() if dict(k)["quantile"] == quantile}
        assert got == pytest.approx(want, rel=1e-12) and len(want) > 5
    running = {key(t, r): float(v) for (t, r), v in rates["running"].items()}
    assert parsed["ddsjobs_running_jobs"] == running


def test_counts_stuck_and_last_success(sample: pd.DataFrame) -> None:
    parsed = samples(metrics_text(sample, top=1000))
    assert sum(parsed["ddsjobs_jobs_total"].values()) == len(sample)
    by_status = sample.groupby([*BY, "status"], observed=True).size()
    assert parsed["ddsjobs_jobs_total"] == {
        key(t, r, status=s): float(n) for (t, r, s), n in by_status.items()
    }
    stuck = dj.stuck_jobs(sample).groupby(BY, observed=True).size()
    assert {k: v for k, v in parsed["ddsjobs_stuck_jobs"].items() if v} == {
        key(t, r): float(n) for (t, r), n in stuck.items() if n
    }
    done = sample[sample["status"] == "Completed"].groupby(BY, observed=True)["ended"].max()
    assert parsed["ddsjobs_last_success_timestamp_seconds"] == {
        key(t, r): ended.timestamp() for (t, r), ended in done.items()
    }


def test_label_sets_are_bounded_by_pooling_the_rest_as_other(sample: pd.DataFrame) -> None:
    parsed = samples(metrics_text(sample, top=2))
    top_two = sample["job_type"].value_counts().index[:2].tolist()
    assert {dict(k)["job_type"] for k in parsed["ddsjobs_failure_rate"]} == {*top_two, OTHER}
    pooled = sample.assign(
        job_type=sample["job_type"].astype(str).where(sample["job_type"].isin(top_two), OTHER)
    )
    rates = dj.failure_rates(pooled, by=BY)["failure_rate"].dropna()
    assert parsed["ddsjobs_failure_rate"] == pytest.approx({key(t, r): v for (t, r), v in rates.items()})


def test_label_values_are_escaped(sample: pd.DataFrame) -> None:
    odd = 'Odd "quoted"\\type\nline'
    frame = sample.head(50).assign(job_type=odd)
    text = metrics_text(frame)
    assert '\\"quoted\\"' in text and "\\n" in text
    assert {dict(k)["job_type"] for k in samples(text)["ddsjobs_jobs_total"]} == {odd}


def test_the_file_is_written_atomically_and_only_over_our_own(sample: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "ddsjobs.prom"
    write_metrics(sample, path)
    first = path.read_text(encoding="utf-8")
    assert samples(first)["ddsjobs_failure_rate"] and list(tmp_path.iterdir()) == [path]
    write_metrics(sample.head(100), path)  # our own file: replaced
    assert path.read_text(encoding="utf-8") != first
    foreign = tmp_path / "other.prom"
    foreign.write_text("node_load1 0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not written by ddsjobs"):
        write_metrics(sample, foreign)
    assert foreign.read_text(encoding="utf-8") == "node_load1 0.5\n"
    link = tmp_path / "link.prom"
    link.symlink_to(path)
    with pytest.raises(ValueError, match="symlink"):
        write_metrics(sample, link)


@pytest.fixture()
def pushgateway() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A local stand-in for a Pushgateway on 127.0.0.1: records (method, path, body), answers 200."""
    received: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(("PUT", self.path, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_push_to_a_local_pushgateway(sample: pd.DataFrame, pushgateway: tuple[str, list]) -> None:  # type: ignore[type-arg]
    url, received = pushgateway
    push_metrics(sample, url, job="ddsjobs-test")
    ((method, path, body),) = received
    assert (method, path) == ("PUT", "/metrics/job/ddsjobs-test")
    assert samples(body.decode()) == samples(metrics_text(sample))


def test_the_command_writes_stdout_a_file_or_pushes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pushgateway: tuple[str, list],  # type: ignore[type-arg]
) -> None:
    jobs = tmp_path / "jobs.parquet"
    frame = dj.load_sample()
    frame.to_parquet(jobs, index=False)
    assert main(["metrics", str(jobs), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert samples(out) == samples(metrics_text(pd.read_parquet(jobs), top=3))
    assert main(["metrics", str(jobs), "--out", str(tmp_path / "m.prom"), "-q"]) == 0
    assert samples((tmp_path / "m.prom").read_text(encoding="utf-8")) == samples(
        metrics_text(pd.read_parquet(jobs))
    )
    url, received = pushgateway
    assert main(["metrics", str(jobs), "--push", url, "--job", "cron"]) == 0
    assert received[0][1] == "/metrics/job/cron"
    with pytest.raises(SystemExit) as info:  # one destination at a time: a usage error
        main(["metrics", str(jobs), "--out", "x.prom", "--push", url])
    assert info.value.code == 2 and "not allowed with argument --out" in capsys.readouterr().err

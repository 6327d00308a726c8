"""Fault injection for the archive: crashes at every file operation of a sync, real SIGKILLs, a full disk,
concurrent writers and readers during writes — each against the simulator over loopback.

After every case: the archive opens, nothing committed is lost or duplicated (its jobs are exactly those
before or after the interrupted sync), a globbing reader sees what ``load()`` sees, and a re-run converges
to the simulator's truth. Counts are printed (``-s``) and recorded in tests/README.md.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds
import pytest

from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics.archive import ArchiveLockedError, ArchiveNotFoundError, JobArchive, _files, sync
from ddsjobs_analytics.client import AkSkAuth, TaskCenter
from ddsjobs_analytics.simulator import running

COMPARED = ["job_id", "job_type", "status", "created", "ended", "duration_s", "progress", "fail_reason"]
_OPS = ("replace", "fsync", "unlink", "rmdir", "link", "rename")
TALLY: dict[str, int] = {"cases": 0, "crashes": 0, "recoveries": 0, "sigkills": 0, "disk_full": 0}


@dataclass
class World:
    """One simulator, an archive synced at ``t0``, and the truth after a sync at ``t1`` (30 h later)."""

    sim: Any
    root: Path
    base: Path
    t0: datetime
    t1: datetime
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)
    states: dict[str, dict[str, str]] = field(default_factory=dict)

    def center(self) -> TaskCenter:
        sim = self.sim
        auth = AkSkAuth(sim.ak, sim.sk)
        return TaskCenter(
            region=sim.region, project_id=sim.project_id, auth=auth, endpoint=sim.url, progress=False
        )

    def start(self, kind: str, path: Path) -> Path:
        """A fresh directory for a ``first`` sync, or a copy of the t0 archive for a ``later`` one."""
        if kind == "later":
            shutil.copytree(self.base, path)
        return path


def state(path: Path) -> dict[str, str]:
    """job_id → status of the archive at ``path`` (empty when nothing was ever committed)."""
    try:
        frame = JobArchive(path).load(columns=["job_id", "status"])
    except ArchiveNotFoundError:
        return {}
    ids = frame["job_id"].astype(str)
    assert ids.is_unique, f"{path}: duplicated jobs"
    return dict(zip(ids, frame["status"].astype(str), strict=True))


def assert_truth(path: Path, truth: pd.DataFrame) -> None:
    stored = JobArchive(path).load().sort_values("job_id").reset_index(drop=True)
    assert stored["job_id"].is_unique
    pd.testing.assert_frame_equal(
        stored[COMPARED], truth, check_categorical=False, check_index_type=False, check_dtype=False
    )


def assert_recovers(world: World, kind: str, path: Path) -> None:
    """The crash image at ``path`` opens, holds the jobs of before or after, globs agree; re-runs converge."""
    archive = JobArchive(path)  # opening finishes a committed transaction
    found = state(path)
    before = {} if kind == "first" else world.states["base"]
    assert found in (before, world.states[kind]), f"{path}: neither the state before nor after the sync"
    if archive.exists:
        assert ds.dataset(path, format="parquet", partitioning="hive").count_rows() == len(found)
        assert archive.verify().ok, str(archive.verify())
    with world.center() as center:
        sync(center, archive, now=world.t1)
    assert_truth(path, world.truth[kind])
    TALLY["recoveries"] += 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("faults")
    with running(jobs=150, seed=5, history_days=36, future_days=2) as sim:
        sim.spawn(12)
        sim.advance(60)
        sim.spawn(1)
        t0 = sim.now
        base = root / "base"
        world = World(sim, root, base, t0, t0)
        with world.center() as center:
            sync(center, JobArchive(base), now=t0)
        sim.advance(30 * 3600)  # running jobs end, new ones appear
        world.t1 = sim.now
        world.states["base"] = state(base)
        for kind, since in (("first", world.t1 - timedelta(days=30)), ("later", t0 - timedelta(days=30))):
            truth = jobs_frame(sim.truth(since, world.t1), observed_at=world.t1)
            world.truth[kind] = truth.sort_values("job_id").reset_index(drop=True)[COMPARED]
            reference = world.start(kind, root / f"reference-{kind}")
            with world.center() as center:
                sync(center, JobArchive(reference), now=world.t1)
            assert_truth(reference, world.truth[kind])
            world.states[kind] = state(reference)
        assert world.states["later"] != world.states["base"]
        yield world
    print(f"\narchive fault suite: {TALLY}")


# --------------------------------------------------------------------------------------------- crash points


@functools.cache
def _dead_pid() -> int:
    argv = [sys.executable, "-c", "import os; print(os.getpid())"]
    return int(subprocess.run(argv, capture_output=True, text=True).stdout)


def _as_if_dead(lock: Path) -> None:
    """The image's lock, as the crashed (now dead) writer left it: its pid no longer runs."""
    if lock.exists():
        lock.write_text(json.dumps({**json.loads(lock.read_text()), "pid": _dead_pid()}))


class Crash(OSError):
    """An injected crash (an OSError, as a failing disk would raise)."""


class Injector:
    """Counts the archive's file operations under ``root``; at number ``crash_at`` it copies the directory
    as it is at that instant (the disk image a power cut would leave) and raises :class:`Crash`."""

    def __init__(self, root: Path, crash_at: int | None = None, image: Path | None = None) -> None:
        self.root, self.crash_at, self.image = str(root), crash_at, image
        self.count, self.active, self.where = 0, True, ""

    def hit(self, op: str, args: tuple[Any, ...], before_crash: Callable[[], None] = lambda: None) -> None:
        if not self.active or (
            args and not isinstance(args[0], int) and not str(args[0]).startswith(self.root)
        ):
            return
        self.count += 1
        if self.count != self.crash_at:
            return
        self.active, self.where = False, f"{op} #{self.count} ({args[0] if args else ''})"
        before_crash()
        if self.image is not None:
            if Path(self.root).exists():
                shutil.copytree(self.root, self.image)
            else:
                self.image.mkdir()
            _as_if_dead(self.image / ".lock")
        TALLY["crashes"] += 1
        raise Crash(errno.EIO, f"injected crash at {self.where}")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in _OPS:
            real = getattr(os, name)

            def wrapper(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
                self.hit(_name, args)
                return _real(*args, **kwargs)

            monkeypatch.setattr(os, name, wrapper)
        real_write = _files._write_file

        def write(path: Path, payload: Any, **options: Any) -> None:
            def half() -> None:  # the crash lands mid-write: half the bytes are on disk
                with open(path, "wb") as handle:
                    handle.write(bytes(memoryview(payload))[: len(memoryview(payload)) // 2])

            self.hit("write", (path,), half)
            real_write(path, payload, **options)

        monkeypatch.setattr(_files, "_write_file", write)


def _operations(world: World, kind: str, monkeypatch: pytest.MonkeyPatch) -> int:
    path = world.start(kind, world.root / f"count-{kind}")
    counter = Injector(path)
    with monkeypatch.context() as patch, world.center() as center:
        counter.install(patch)
        sync(center, JobArchive(path), now=world.t1)
    return counter.count


@pytest.mark.parametrize("kind", ["first", "later"])
def test_a_crash_at_any_file_operation_loses_nothing_and_recovers(
    world: World, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash points before, during and after each part-file write, the manifest rename and the cleanup."""
    total = _operations(world, kind, monkeypatch)
    assert total >= 8
    for crash_at in range(1, total + 1):
        live = world.start(kind, world.root / f"{kind}-{crash_at}")
        image = world.root / f"{kind}-{crash_at}-image"
        injector = Injector(live, crash_at, image)
        with monkeypatch.context() as patch, world.center() as center:
            injector.install(patch)
            with pytest.raises(OSError, match="injected crash"):
                sync(center, JobArchive(live), now=world.t1)
        TALLY["cases"] += 1
        assert_recovers(world, kind, image)  # the disk as the crash left it
        assert state(live) in ({} if kind == "first" else world.states["base"], world.states[kind]), (
            injector.where
        )


# --------------------------------------------------------------------------------------------- real processes

_CHILD = """
import sys
from datetime import datetime
from ddsjobs_analytics.archive import JobArchive, sync
from ddsjobs_analytics.client import AkSkAuth, TaskCenter
url, ak, sk, region, project, path, now = sys.argv[1:]
with TaskCenter(region=region, project_id=project, auth=AkSkAuth(ak, sk), endpoint=url, progress=False) as c:
    print("ready", flush=True)
    sys.stdin.readline()
    sync(c, JobArchive(path), now=datetime.fromisoformat(now))
print("done", flush=True)
"""


def _child(world: World, path: Path, **options: Any) -> subprocess.Popen[str]:
    sim = world.sim
    argv = [sim.url, sim.ak, sim.sk, sim.region, sim.project_id, str(path), world.t1.isoformat()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **options,
    )


def _clean_sync_seconds(world: World, kind: str) -> float:
    path = world.start(kind, world.root / f"timed-{kind}")
    started = time.perf_counter()
    with world.center() as center:
        sync(center, JobArchive(path), now=world.t1)
    return time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["first", "later"])
def test_sigkill_at_random_moments(world: World, kind: str) -> None:
    draw = random.Random(f"sigkill-{kind}")
    span = 1.5 * _clean_sync_seconds(world, kind)
    paths = [world.start(kind, world.root / f"kill-{kind}-{n}") for n in range(4)]
    children = [_child(world, path) for path in paths]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(draw.uniform(0, span / len(children)))
        child.send_signal(signal.SIGKILL)
    for child, path in zip(children, paths, strict=True):
        child.wait(30)
        TALLY["cases"] += 1
        if child.returncode == -signal.SIGKILL:
            TALLY["sigkills"] += 1
        assert_recovers(world, kind, path)


@pytest.mark.slow
def test_a_full_disk_names_the_file_and_the_next_sync_completes(world: World) -> None:
    for limit in (2_000, 12_000, 40_000):
        path = world.root / f"full-{limit}"

        def cap(limit: int = limit) -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        child = _child(world, path, preexec_fn=cap)
        _, err = child.communicate("go\n", timeout=60)
        TALLY["cases"] += 1
        if child.returncode:
            TALLY["disk_full"] += 1
            assert "File too large" in err and str(path) in err, err[-600:]
        assert_recovers(world, "first", path)
    assert TALLY["disk_full"] >= 2


# --------------------------------------------------------------------------------------------- concurrency


def test_concurrent_writers_serialise_and_converge(world: World) -> None:
    path = world.root / "concurrent"
    outcomes: list[str] = []

    def writer() -> None:
        for _ in range(40):
            try:
                with world.center() as center:
                    sync(center, JobArchive(path), now=world.t1)
                outcomes.append("synced")
                return
            except ArchiveLockedError:
                outcomes.append("locked")
                time.sleep(0.05)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    TALLY["cases"] += 1
    assert outcomes.count("synced") == 3
    assert_truth(path, world.truth["first"])


def test_readers_during_writes_see_committed_states_only(world: World) -> None:
    path = world.start("later", world.root / "read-while-writing")
    allowed = [world.states["base"], world.states["later"]]
    stop, seen, errors = threading.Event(), [], []

    def reader() -> None:
        while not stop.is_set():
            try:
                found = state(path)
                assert found in allowed
                seen.append(len(found))
            except Exception as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        with world.center() as center:
            sync(center, JobArchive(path), now=world.t1)
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    TALLY["cases"] += 1
    assert not errors, errors
    assert len(seen) > 2
    assert_truth(path, world.truth["later"])

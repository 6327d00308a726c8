"""Hostile cases for the job archive (issue #17): damaged manifests, pending blocks that lie, symbolic
links, folders that are not archives, and ``kill -9`` during writes.

Every case checks the archive's promises: ``verify`` changes nothing (every entry's type, size, mtime, hash
and link target are compared before and after), a damaged archive is never built on and never loses a
job to a clean-up, nothing is written or deleted through a symbolic link, and ``verify``/``repair`` touch
only folders that carry the archive's marker. The count per area is in tests/README.md ("Hostile cases").
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_archive import T1, T2, THREE_MONTHS, record, upsert

from ddsjobs_analytics._cli._main import main
from ddsjobs_analytics.archive import ArchiveCorruptError, ArchiveError, JobArchive, _files

MANIFEST = "_archive.json"
IDS = sorted(r["id"] for r in THREE_MONTHS)


def tree(path: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``path`` (not following links): kind, size, mtime in ns, sha256 or link target."""
    found: dict[str, tuple[Any, ...]] = {}
    for directory, names, files in os.walk(path):
        for name in [*names, *files]:
            entry = Path(directory) / name
            info = os.lstat(entry)
            key = str(entry.relative_to(path))
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(entry))
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(entry.read_bytes()).hexdigest()
                found[key] = ("file", info.st_size, info.st_mtime_ns, digest)
            else:
                found[key] = (stat.S_IFMT(info.st_mode), info.st_mtime_ns)
    return found


def verify_cli(path: Path) -> tuple[int, str]:
    """``ddsjobs archive verify``, asserting that it changed nothing at all; returns (exit code, output)."""
    before = tree(path) if path.exists() else None
    outside = tree(path.parent)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["archive", "verify", "--archive", str(path)])
    assert (tree(path) if path.exists() else None) == before, "verify changed the archive"
    assert tree(path.parent) == outside, "verify changed something beside the archive"
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def archive(tmp_path: Path) -> JobArchive:
    archive = JobArchive(tmp_path / "archive")
    upsert(archive, THREE_MONTHS, T1)
    return archive


def manifest_of(archive: JobArchive) -> dict[str, Any]:
    return json.loads((archive.path / MANIFEST).read_text())


def ids_of(archive: JobArchive) -> list[str]:
    return sorted(JobArchive(archive.path).load()["job_id"].astype(str))


# ----------------------------------------------------------------------------------- 1. damaged manifests

_DEEP = 200_000
MANIFESTS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "random bytes": lambda m: random.Random(17).randbytes(4096),
    "json nested 200k deep (lists)": lambda m: b"[" * _DEEP + b"]" * _DEEP,
    "json nested 200k deep (objects)": lambda m: b'{"a":' * _DEEP + b"1" + b"}" * _DEEP,
    "empty file": lambda m: b"",
    "truncated": lambda m: json.dumps(m).encode()[:40],
    "NUL bytes": lambda m: b"\0" * 512,
    "UTF-16 with BOM": lambda m: json.dumps(m).encode("utf-16"),
    "a JSON list": lambda m: b"[1, 2, 3]",
    "a JSON string": lambda m: b'"schema_version"',
    "schema_version a string": lambda m: json.dumps({**m, "schema_version": "2"}).encode(),
    "schema_version true": lambda m: json.dumps({**m, "schema_version": True}).encode(),
    "schema_version 5000 digits": lambda m: (
        json.dumps(m).encode().replace(b'"schema_version": 2', b'"schema_version": ' + b"9" * 5000)
    ),
    "partitions a list": lambda m: json.dumps({**m, "partitions": [1]}).encode(),
    "a negative row count": lambda m: json.dumps(
        {**m, "partitions": {k: {**v, "rows": -1} for k, v in m["partitions"].items()}}
    ).encode(),
    "bytes a boolean": lambda m: json.dumps(
        {**m, "partitions": {k: {**v, "bytes": True} for k, v in m["partitions"].items()}}
    ).encode(),
    "syncs of numbers": lambda m: json.dumps({**m, "syncs": [1, 2]}).encode(),
    "pending.staged a number": lambda m: json.dumps({**m, "pending": {"tx": "0" * 12, "staged": 5}}).encode(),
    "pending.staged a string": lambda m: json.dumps(
        {**m, "pending": {"tx": "0" * 12, "staged": "abc"}}
    ).encode(),
    "pending without tx": lambda m: json.dumps({**m, "pending": {"staged": [], "superseded": []}}).encode(),
    "holes garbage": lambda m: json.dumps({**m, "holes": [{"jobs": "many"}]}).encode(),
    "a file name with ..": lambda m: json.dumps(
        {**m, "partitions": {k: {**v, "file": "../x.parquet"} for k, v in m["partitions"].items()}}
    ).encode(),
}


@pytest.mark.parametrize("damage", list(MANIFESTS))
def test_a_garbage_manifest_is_reported_by_verify_and_rebuilt_by_repair(
    archive: JobArchive, damage: str
) -> None:
    before = JobArchive(archive.path).load()
    (archive.path / MANIFEST).write_bytes(MANIFESTS[damage](manifest_of(archive)))
    code, out = verify_cli(archive.path)
    assert code == 1 and "manifest unreadable" in out, out
    with pytest.raises(ArchiveCorruptError, match="ddsjobs archive repair"):
        JobArchive(archive.path).load()
    assert repr(JobArchive(archive.path)).endswith("manifest unreadable)")
    files = tree(archive.path)
    with pytest.raises(ArchiveCorruptError):
        upsert(JobArchive(archive.path), [record("x")], T2)
    assert tree(archive.path) == files  # a writer builds on nothing it cannot read
    assert main(["archive", "repair", "--archive", str(archive.path)]) == 0
    after = JobArchive(archive.path).load()
    assert sorted(after["job_id"]) == sorted(before["job_id"])
    assert list((archive.path / "_quarantine").rglob(f"{MANIFEST}.quarantined"))  # kept, not deleted


# ------------------------------------------------------------------------- 2. pending blocks that lie


def _retire_month(m: dict[str, Any]) -> dict[str, Any]:
    """The review's reproduction: October's committed file listed as superseded, its entry gone."""
    name = m["partitions"].pop("2026-10")["file"]
    return {**m, "pending": {"tx": "0" * 12, "staged": [], "superseded": [name]}}


def _retire_current(m: dict[str, Any]) -> dict[str, Any]:
    name = m["partitions"]["2026-10"]["file"]
    return {**m, "pending": {"tx": "0" * 12, "staged": [], "superseded": [name]}}


def _stage_unlisted(m: dict[str, Any]) -> dict[str, Any]:
    name = m["partitions"]["2026-10"]["file"]
    return {
        **m,
        "pending": {
            "tx": "0" * 12,
            "staged": ["month=2026-10/part-000000000000-0.parquet"],
            "superseded": [name],
        },
    }


def _stage_other_transaction(m: dict[str, Any]) -> dict[str, Any]:
    """The staged name is another transaction's (committed) file: renaming or trusting it is wrong."""
    old = m["partitions"]["2026-09"]["file"]
    return {
        **m,
        "pending": {"tx": "1" * 12, "staged": [m["partitions"]["2026-10"]["file"]], "superseded": [old]},
    }


def _retired_digest_differs(m: dict[str, Any]) -> dict[str, Any]:
    entry = m["partitions"].pop("2026-10")
    retired = {entry["file"]: {"bytes": entry["bytes"], "sha256": "0" * 64}}
    return {**m, "pending": {"tx": "0" * 12, "staged": [], "superseded": [entry["file"]], "retired": retired}}


def _retire_with_true_digest(m: dict[str, Any]) -> dict[str, Any]:
    """Even with the file's true checksum recorded, its jobs are in no current partition: not deleted."""
    entry = m["partitions"].pop("2026-10")
    retired = {entry["file"]: {"bytes": entry["bytes"], "sha256": entry["sha256"]}}
    return {**m, "pending": {"tx": "0" * 12, "staged": [], "superseded": [entry["file"]], "retired": retired}}


def _swap_months(m: dict[str, Any]) -> dict[str, Any]:
    """September's entry now names a new staged file (missing), and the old one is retired."""
    old = m["partitions"]["2026-09"]
    new = {**old, "file": "month=2026-09/part-0000000000ab-0.parquet"}
    m["partitions"]["2026-09"] = new
    return {**m, "pending": {"tx": "0000000000ab", "staged": [new["file"]], "superseded": [old["file"]]}}


PENDING: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "a month retired, its entry gone": _retire_month,
    "a current file retired": _retire_current,
    "a staged file no partition lists": _stage_unlisted,
    "another transaction's file staged": _stage_other_transaction,
    "a retired file whose checksum differs": _retired_digest_differs,
    "a retired file with its true checksum": _retire_with_true_digest,
    "a staged file that does not exist": _swap_months,
}


@pytest.mark.parametrize("lie", list(PENDING))
def test_a_pending_block_that_lies_never_deletes_a_job(archive: JobArchive, lie: str) -> None:
    (archive.path / MANIFEST).write_text(json.dumps(PENDING[lie](manifest_of(archive))))
    parts = sorted(str(p) for p in archive.path.rglob("part-*.parquet"))
    code, out = verify_cli(archive.path)
    assert code == 1 and "unfinished" in out, out
    files = tree(archive.path)
    JobArchive(archive.path)  # opening must not finish it
    with pytest.raises(ArchiveCorruptError, match="repair"):
        upsert(JobArchive(archive.path), [record("x")], T2)
    assert tree(archive.path) == files
    assert sorted(str(p) for p in archive.path.rglob("part-*.parquet")) == parts
    assert main(["archive", "repair", "--archive", str(archive.path)]) in (0, 1)
    assert set(IDS) <= set(ids_of(archive))


def test_a_genuine_unfinished_transaction_is_reported_then_finished_on_open(
    archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ddsjobs_analytics.archive import _transaction

    real = _transaction.os.replace

    def killed(source: Any, target: Any) -> None:
        if str(source).endswith(".staged"):
            raise OSError("killed")
        real(source, target)

    with archive.locked(), pytest.raises(OSError, match="killed"):
        monkeypatch.setattr(_transaction.os, "replace", killed)
        upsert(archive, [record("oct-9", created="2026-10-09T00:00:00+0000")], T2)
    monkeypatch.undo()
    code, out = verify_cli(archive.path)
    assert code == 1 and "committed but unfinished" in out and "does not match" not in out
    assert JobArchive(archive.path).verify().ok  # opening finished it: its files are what it recorded
    assert ids_of(archive) == sorted([*IDS, "oct-9"])


# --------------------------------------------------------------------------------------- 3. symbolic links


def _outside(archive: JobArchive, name: str, data: bytes) -> Path:
    target = archive.path.parent / "outside" / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(data)
    return target


def _link_manifest(archive: JobArchive) -> Path:
    path = archive.path / MANIFEST
    target = _outside(archive, "manifest.json", path.read_bytes())
    path.unlink()
    path.symlink_to(target)
    return target


def _link_partition(archive: JobArchive) -> Path:
    path = archive.path / manifest_of(archive)["partitions"]["2026-10"]["file"]
    target = _outside(archive, "part.parquet", path.read_bytes())
    path.unlink()
    path.symlink_to(target)
    return target


def _link_month_folder(archive: JobArchive) -> Path:
    folder = archive.path / "month=2026-10"
    outside = archive.path.parent / "outside" / "month=2026-10"
    outside.parent.mkdir(exist_ok=True)
    folder.rename(outside)
    folder.symlink_to(outside, target_is_directory=True)
    (outside / ".part-0123456789ab-0.parquet.staged").write_bytes(b"the user's, named like a leftover")
    return outside


def _link_leftover(archive: JobArchive) -> Path:
    target = _outside(archive, "precious.txt", b"precious")
    (archive.path / "month=2026-10" / ".part-0123456789ab-0.parquet.staged").symlink_to(target)
    return target


def _link_manifest_temp(archive: JobArchive) -> Path:
    target = _outside(archive, "precious.txt", b"precious")
    (archive.path / f".{MANIFEST}.0123456789ab.tmp").symlink_to(target)
    return target


LINKS: dict[str, Callable[[JobArchive], Path]] = {
    "the manifest": _link_manifest,
    "a partition file": _link_partition,
    "a month folder": _link_month_folder,
    "a leftover-named file": _link_leftover,
    "the manifest's temp name": _link_manifest_temp,
}


@pytest.mark.parametrize("where", list(LINKS))
def test_nothing_is_written_or_deleted_through_a_symbolic_link(
    archive: JobArchive, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = LINKS[where](archive)
    outside = tree(archive.path.parent / "outside")
    verify_cli(archive.path)
    monkeypatch.setattr(_files.uuid, "uuid4", lambda: type("U", (), {"hex": "0123456789ab" + "0" * 20})())
    with contextlib.suppress(ArchiveError, OSError):
        upsert(JobArchive(archive.path), [record("oct-9", created="2026-10-09T00:00:00+0000")], T2)
    monkeypatch.undo()
    main(["archive", "repair", "--archive", str(archive.path)])
    assert tree(archive.path.parent / "outside") == outside, f"{target} was changed through a link"


@pytest.mark.parametrize("where", ["the manifest", "a partition file", "a month folder"])
def test_verify_reports_a_linked_manifest_partition_or_month(archive: JobArchive, where: str) -> None:
    LINKS[where](archive)
    code, out = verify_cli(archive.path)
    assert code == 1 and "symbolic link" in out, out


def test_a_fifo_in_place_of_a_partition_never_hangs_verify(archive: JobArchive) -> None:
    path = archive.path / manifest_of(archive)["partitions"]["2026-10"]["file"]
    path.unlink()
    os.mkfifo(path)
    code, out = verify_cli(archive.path)
    assert code == 1 and "2026-10" in out


def test_a_linked_quarantine_is_refused_and_nothing_moves_into_it(archive: JobArchive) -> None:
    outside = archive.path.parent / "elsewhere"
    outside.mkdir()
    (archive.path / "_quarantine").symlink_to(outside, target_is_directory=True)
    (archive.path / "month=2026-10" / "stray.csv").write_text("the user's")
    assert main(["archive", "repair", "--archive", str(archive.path)]) == 1
    assert list(outside.iterdir()) == []
    assert (archive.path / "month=2026-10" / "stray.csv").read_text() == "the user's"


# ----------------------------------------------------------------------------------- 4. not an archive


def _user_folder(path: Path) -> None:
    path.mkdir()
    (path / "notes.txt").write_text("mine")
    (path / "photos").mkdir()
    (path / "photos" / "a.jpg").write_bytes(b"\xff\xd8")


def _garbage_manifest_only(path: Path) -> None:
    path.mkdir()
    (path / MANIFEST).write_bytes(b"\x00\xff not json")
    (path / "month=2026-10").mkdir()
    (path / "month=2026-10" / "notes.txt").write_text("mine")


def _a_file(path: Path) -> None:
    path.write_text("a file, not a folder")


def _linked_marker(path: Path) -> None:
    path.mkdir()
    real = path.parent / "marker-elsewhere"
    real.write_text(json.dumps({"format": "ddsjobs_analytics job archive"}))
    (path / ".ddsjobs-archive").symlink_to(real)
    (path / "notes.txt").write_text("mine")


FOLDERS: dict[str, Callable[[Path], None]] = {
    "a mistyped path": lambda path: None,
    "an empty folder": lambda path: path.mkdir(),
    "a user's folder": _user_folder,
    "garbage named like a manifest, no marker": _garbage_manifest_only,
    "a file": _a_file,
    "a linked marker": _linked_marker,
}


@pytest.mark.parametrize("action", ["verify", "repair"])
@pytest.mark.parametrize("kind", list(FOLDERS))
def test_verify_and_repair_touch_only_a_folder_with_the_marker(
    tmp_path: Path, kind: str, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "target"
    FOLDERS[kind](path)
    before = tree(tmp_path)
    assert main(["archive", action, "--archive", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "not a job archive" in err and "nothing was changed" in err
    assert tree(tmp_path) == before


# --------------------------------------------------------------------------------------------- 5. kill -9

_WRITER = """
import sys
from ddsjobs_analytics.archive import JobArchive
path, batches = sys.argv[1], int(sys.argv[2])
archive = JobArchive(path)
print("ready", flush=True)
for batch in range(batches):
    records = [
        {"id": f"b{batch:03d}-{i:03d}", "name": "CreateMongoDB", "status": "Completed", "instance_id": "in01",
         "created_at": f"2026-{9 + i % 3:02d}-{1 + batch % 28:02d}T10:00:00+0800",
         "ended_at": f"2026-{9 + i % 3:02d}-{1 + batch % 28:02d}T11:00:00+0800"}
        for i in range(200)
    ]
    archive.upsert_records(records, observed_at="2026-11-20T00:00:00Z", region="r1", project_id="p1")
    print(f"committed {batch}", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_kill_9_during_writes_leaves_a_consistent_archive(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "archive"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), "40"], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    time.sleep(random.Random(seed).uniform(0.3, 2.5))
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=30)
    done = [int(line.split()[1]) for line in out.splitlines() if line.startswith("committed")]
    if not path.exists():
        return
    code, _ = verify_cli(path)  # read-only on the crash image, whatever it holds
    assert code in (0, 1)
    archive = JobArchive(path)
    ids = set(archive.load()["job_id"].astype(str))
    batches = {job_id.split("-")[0] for job_id in ids}
    committed = len(batches)
    # Whole batches only, a prefix of them, at least every batch reported committed.
    assert batches == {f"b{n:03d}" for n in range(committed)} and len(ids) == 200 * committed
    assert committed >= len(done)
    assert archive.verify().ok, str(archive.verify())
    assert upsert(archive, [record("after")], T2).new == 1

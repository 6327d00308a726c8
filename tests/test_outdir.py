"""The report folder holds one run: files of ours (listed with their hash) are replaced or removed, others'
files are never touched, the manifest is never trusted to point outside the folder, and runs queue on a
lock."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import warnings
from pathlib import Path

import pytest

from ddsjobs_analytics._render._outdir import (
    MANIFEST,
    STAGING_PREFIX,
    ForeignFilesWarning,
    ReportFolder,
    ReportFolderError,
)


def _run(out: Path, files: dict[str, str]) -> list[str]:
    with ReportFolder(out) as folder:
        for name, text in files.items():
            (folder.staging / name).write_text(text, encoding="utf-8")
        return folder.commit(files)


def _listing(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()}


def test_stale_files_of_an_earlier_run_are_removed(tmp_path: Path):
    out = tmp_path / "r"
    _run(out, {"a.csv": "1", "b.png": "2", "c.png": "3"})
    removed = _run(out, {"a.csv": "new"})
    assert removed == ["b.png", "c.png"]
    assert set(_listing(out)) == {"a.csv", MANIFEST}
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["files"] == {"a.csv": {"size": 3, "sha256": hashlib.sha256(b"new").hexdigest()}}
    assert not [name for name in os.listdir(out) if name.startswith(STAGING_PREFIX)]


def test_foreign_files_stay_with_one_warning(tmp_path: Path):
    out = tmp_path / "r"
    out.mkdir()
    for name in ("notes.txt", "x.csv"):
        (out / name).write_text("mine", encoding="utf-8")
    with pytest.warns(
        ForeignFilesWarning, match=r"2 files not written by ddsjobs left alone: notes.txt, x.csv"
    ):
        _run(out, {"a.csv": "1"})
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_file_of_ours_changed_since_is_neither_replaced_nor_removed(tmp_path: Path):
    out = tmp_path / "r"
    _run(out, {"a.csv": "1", "b.png": "2"})
    (out / "a.csv").write_text("edited by the user", encoding="utf-8")
    (out / "b.png").write_text("edited too", encoding="utf-8")
    before = _listing(out)
    with pytest.raises(ReportFolderError, match=r"a\.csv: already there and not written by ddsjobs"):
        _run(out, {"a.csv": "new"})
    assert _listing(out) == before  # nothing changed, the manifest included
    changed = r"2 of them written by ddsjobs, then changed\): a\.csv, b\.png"
    with pytest.warns(ForeignFilesWarning, match=changed):
        assert _run(out, {"c.csv": "x"}) == []
    assert (out / "b.png").read_text(encoding="utf-8") == "edited too"


def test_a_hostile_manifest_deletes_nothing_outside_the_folder(tmp_path: Path):
    out = tmp_path / "r"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (tmp_path / "target").write_text("keep", encoding="utf-8")
    (out / "link").symlink_to(tmp_path / "target")
    entry = {"size": 4, "sha256": hashlib.sha256(b"keep").hexdigest()}
    listed = {name: entry for name in ("../victim.txt", str(victim), "link", "sub/../../victim.txt")}
    (out / MANIFEST).write_text(json.dumps({"format": 2, "files": listed}), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForeignFilesWarning)
        assert _run(out, {"a.csv": "1"}) == []
    assert victim.read_text(encoding="utf-8") == "keep" and (tmp_path / "target").exists()
    assert (out / "link").is_symlink()


def test_an_unreadable_manifest_removes_nothing(tmp_path: Path):
    out = tmp_path / "r"
    _run(out, {"a.csv": "1", "b.png": "2"})
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.warns(UserWarning, match="unreadable"), pytest.raises(ReportFolderError, match=r"a\.csv"):
        _run(out, {"a.csv": "1"})  # nothing proves a.csv is ours any more
    assert (out / "b.png").exists()


def test_a_manifest_of_the_old_format_proves_nothing(tmp_path: Path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "report.html").write_text("<p>old</p>", encoding="utf-8")
    (out / MANIFEST).write_text(json.dumps({"tool": "ddsjobs", "files": ["report.html"]}), encoding="utf-8")
    with pytest.raises(ReportFolderError, match=r"report\.html"):
        _run(out, {"report.html": "<p>new</p>"})
    assert (out / "report.html").read_text(encoding="utf-8") == "<p>old</p>"


def test_a_killed_runs_staging_folder_is_removed_without_following_links(tmp_path: Path):
    out = tmp_path / "r"
    _run(out, {"a.csv": "1"})
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep", encoding="utf-8")
    leftover = out / f"{STAGING_PREFIX}killed"
    leftover.mkdir()
    (leftover / "a.csv").write_text("half", encoding="utf-8")
    (leftover / "link").symlink_to(victim)
    _run(out, {"a.csv": "2"})
    assert not leftover.exists() and (victim / "keep.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(os.listdir(out)) == sorted(["a.csv", MANIFEST])


def test_out_may_not_be_a_file(tmp_path: Path):
    (tmp_path / "r").write_text("a file", encoding="utf-8")
    with pytest.raises(ReportFolderError, match="not a folder"):
        _run(tmp_path / "r", {"a.csv": "1"})


def test_leaving_without_a_commit_changes_nothing(tmp_path: Path):
    out = tmp_path / "r"
    _run(out, {"a.csv": "1"})
    before = _listing(out)
    with pytest.raises(RuntimeError), ReportFolder(out) as folder:
        (folder.staging / "a.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("the writer failed")
    assert _listing(out) == before and sorted(os.listdir(out)) == sorted(["a.csv", MANIFEST])


def test_ctrl_c_during_the_move_is_held_until_the_run_is_whole(tmp_path: Path, monkeypatch):
    out = tmp_path / "r"
    _run(out, {"a.csv": "1", "b.csv": "2"})
    real_rename = os.rename

    def rename(src, dst, **kwargs):  # Ctrl-C arrives after the first file moved in
        real_rename(src, dst, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        _run(out, {"a.csv": "new a", "b.csv": "new b"})
    monkeypatch.undo()
    assert _listing(out)["a.csv"] == b"new a" and _listing(out)["b.csv"] == b"new b"
    assert set(json.loads((out / MANIFEST).read_text(encoding="utf-8"))) == {"tool", "format", "files"}


def _slow_run(out: str, tag: str, log: str) -> None:
    import time

    with ReportFolder(out) as folder:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"start {tag}\n")
        time.sleep(0.5)  # the other process tries to enter now
        (folder.staging / "a.csv").write_text(tag, encoding="utf-8")
        folder.commit(["a.csv"])
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"end {tag}\n")


def test_two_processes_into_one_folder_take_turns(tmp_path: Path):
    out, log = tmp_path / "r", tmp_path / "log"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_slow_run, args=(str(out), tag, str(log))) for tag in ("x", "y")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    lines = log.read_text(encoding="utf-8").split()
    pairs = [lines[i : i + 2] for i in range(0, 8, 2)]
    assert pairs[0][0] == "start" and pairs[1] == ["end", pairs[0][1]]  # one finished before the other began
    assert (out / "a.csv").read_text(encoding="utf-8") == lines[-1]
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]["a.csv"]["size"] == 1

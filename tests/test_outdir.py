"""The report folder holds one run: stale files of ours go, others' files stay, and the manifest is never
trusted to point outside the folder."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from ddsjobs_analytics._render._outdir import MANIFEST, ForeignFilesWarning, owned_run


def _writer(out: Path, names: list[str]):
    def write() -> list[Path]:
        paths = []
        for name in names:
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(name, encoding="utf-8")
            paths.append(path)
        return paths

    return write


def _run(out: Path, names: list[str]) -> tuple[list[Path], list[str]]:
    return owned_run(out, _writer(out, names), list)


def test_stale_files_of_an_earlier_run_are_removed(tmp_path: Path):
    out = tmp_path / "r"
    _run(out, ["a.csv", "b.png", "charts/c.png"])
    _, removed = _run(out, ["a.csv"])
    assert removed == ["b.png", "charts/c.png"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        ["a.csv", MANIFEST]
    )
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"] == ["a.csv"]


def test_foreign_files_stay_with_one_warning(tmp_path: Path):
    out = tmp_path / "r"
    out.mkdir()
    for name in ("notes.txt", "x.csv"):
        (out / name).write_text("mine", encoding="utf-8")
    with pytest.warns(
        ForeignFilesWarning, match=r"2 files not written by ddsjobs left alone: notes.txt, x.csv"
    ):
        _run(out, ["a.csv"])
    assert (out / "notes.txt").exists() and (out / "x.csv").exists()


def test_a_hostile_manifest_deletes_nothing_outside_the_folder(tmp_path: Path):
    out = tmp_path / "r"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (tmp_path / "target").write_text("keep", encoding="utf-8")
    (out / "link").symlink_to(tmp_path / "target")
    listed = ["../victim.txt", str(victim), "link", "sub/../../victim.txt", 42]
    (out / MANIFEST).write_text(json.dumps({"files": listed}), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForeignFilesWarning)
        _, removed = _run(out, ["a.csv"])
    assert removed == []
    assert victim.read_text(encoding="utf-8") == "keep" and (tmp_path / "target").exists()


def test_an_unreadable_manifest_removes_nothing(tmp_path: Path):
    out = tmp_path / "r"
    _run(out, ["a.csv", "b.png"])
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.warns(UserWarning, match="unreadable"):
        _, removed = _run(out, ["a.csv"])
    assert removed == [] and (out / "b.png").exists()

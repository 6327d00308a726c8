"""Hostile cases for what ``ddsjobs`` writes and prints (issue #17 §2, §3, §10, §11, §13, §14).

The report folder (planted symlinks, stale or forged manifests, the user's own files, an input inside
``--out``, Ctrl-C midway, empty selections, two runs at once), injection into CSV, HTML, Excel, charts and the
terminal, and a degenerate ``check``. Each case runs the real command in-process (``cli.main``) on a small
slice of the bundled sample; the two-process case runs ``python -m ddsjobs_analytics``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._cli import _main as cli
from ddsjobs_analytics._render import _report, _report_charts
from ddsjobs_analytics._render._csv import write_csv
from ddsjobs_analytics._render._outdir import MANIFEST
from ddsjobs_analytics.simulator._sample import sample_records, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
CONTROL = ("\x1b", "\x07", "\x9b", "\u202e")  # ESC, BEL, CSI, right-to-left override
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _records(count: int = 120, **changes: object) -> list[dict]:
    """The newest ``count`` sample jobs; ``changes`` set a field on every failed one (``name``: on all)."""
    records = sorted(sample_records(), key=lambda record: record["created_at"])[-count:]
    out = []
    for record in records:
        record = dict(record)
        for field, value in changes.items():
            if field == "name" or record["status"] == "Failed":
                record[field] = value
        out.append(record)
    return out


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(records, path)
    return path


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry of ``folder`` (recursively): file bytes, or where a symlink points."""
    shot: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            shot[name] = "-> " + os.readlink(path)
        elif path.is_file():
            shot[name] = path.read_bytes()
    return shot


def _report_run(source: Path, out: Path, *extra: str) -> int:
    return cli.main(["report", str(source), "--out", str(out), "--no-charts", *extra])


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return _jsonl(tmp_path / "in" / "jobs.jsonl", _records())


# --------------------------------------------------------------------------------- report folder: symlinks


@pytest.mark.parametrize("listed", ["link/secret.txt", "../secret.txt", "ABSOLUTE", "link"])
@pytest.mark.parametrize("manifest_format", ["names", "hashes"])
def test_a_stale_manifest_never_deletes_outside_the_folder(
    tmp_path: Path, source: Path, listed: str, manifest_format: str
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    secret = elsewhere / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    out = tmp_path / "r"
    out.mkdir()
    (out / "link").symlink_to(elsewhere)
    name = str(secret) if listed == "ABSOLUTE" else listed
    entry = {"size": 6, "sha256": hashlib.sha256(b"secret").hexdigest()}
    files: object = [name] if manifest_format == "names" else {name: entry}
    (out / MANIFEST).write_text(
        json.dumps({"tool": "ddsjobs", "format": 2, "files": files}), encoding="utf-8"
    )
    assert _report_run(source, out) == cli.EXIT_OK
    assert secret.read_text(encoding="utf-8") == "secret"
    assert (tmp_path / "secret.txt").read_text(encoding="utf-8") == "secret"
    assert (out / "link").is_symlink()


@pytest.mark.parametrize("garbage", ["random bytes", "deep nesting", "not a dict", "a folder"])
def test_a_garbage_manifest_proves_nothing_and_breaks_nothing(
    tmp_path: Path, source: Path, garbage: str, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "r"
    assert _report_run(source, out) == cli.EXIT_OK
    manifest = out / MANIFEST
    manifest.unlink()
    if garbage == "a folder":
        manifest.mkdir()
    else:
        content = {
            "random bytes": bytes(range(256)) * 4,
            "deep nesting": b"[" * 200_000 + b"]" * 200_000,
            "not a dict": b'["jobs.csv"]',
        }[garbage]
        manifest.write_bytes(content)
    before = _snapshot(out)
    capsys.readouterr()
    assert _report_run(source, out) == cli.EXIT_USAGE  # nothing proves jobs.csv is ours any more
    assert _snapshot(out) == before and manifest.exists()
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1].startswith("ddsjobs report: ")


@pytest.mark.parametrize("name", ["report.html", "jobs.csv", "failure_rates.csv", MANIFEST])
def test_a_planted_symlink_is_never_written_through(
    tmp_path: Path, source: Path, name: str, capsys: pytest.CaptureFixture[str]
):
    target = tmp_path / "target.txt"
    target.write_text("precious", encoding="utf-8")
    out = tmp_path / "r"
    out.mkdir()
    (out / name).symlink_to(target)
    code = _report_run(source, out, "--html")
    assert target.read_text(encoding="utf-8") == "precious"
    if (
        name == MANIFEST
    ):  # not a plain file: ignored (a warning), then replaced as an entry, not written through
        assert code == cli.EXIT_OK and not (out / MANIFEST).is_symlink()
    else:
        assert code == cli.EXIT_USAGE and (out / name).is_symlink()
        assert f"{out / name}: already there and not written by ddsjobs" in capsys.readouterr().err
        assert sorted(os.listdir(out)) == [name]  # nothing else written either


@pytest.mark.parametrize("name", [f"{MANIFEST}.tmp", ".ddsjobs-staging-x"])
def test_a_planted_symlink_at_a_temporary_name_is_left_alone(tmp_path: Path, source: Path, name: str):
    target = tmp_path / "target.txt"
    target.write_text("precious", encoding="utf-8")
    out = tmp_path / "r"
    _report_run(source, out)
    (out / name).symlink_to(target)
    assert _report_run(source, out) == cli.EXIT_OK
    assert target.read_text(encoding="utf-8") == "precious" and (out / name).is_symlink()


def test_a_planted_fifo_is_refused_without_hanging(tmp_path: Path, source: Path):
    out = tmp_path / "r"
    out.mkdir()
    os.mkfifo(out / "jobs.csv")
    # A reader holds the FIFO open, so code that (wrongly) opens it for writing cannot block the test.
    reader = os.open(out / "jobs.csv", os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert _report_run(source, out) == cli.EXIT_USAGE
    finally:
        os.close(reader)


def test_a_folder_at_a_report_name_is_refused(tmp_path: Path, source: Path):
    out = tmp_path / "r"
    (out / "report.html").mkdir(parents=True)
    (out / "report.html" / "keep.txt").write_text("mine", encoding="utf-8")
    assert _report_run(source, out, "--html") == cli.EXIT_USAGE
    assert (out / "report.html" / "keep.txt").read_text(encoding="utf-8") == "mine"


# ---------------------------------------------------------------------------- report folder: user files


@pytest.mark.parametrize("name", ["report.html", "failure_rates.csv", "jobs.csv", "durations.png"])
def test_the_users_own_file_is_never_replaced(
    tmp_path: Path, source: Path, name: str, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "r"
    out.mkdir()
    (out / name).write_text("the user's own", encoding="utf-8")
    code = cli.main(["report", str(source), "--out", str(out), "--html"])
    assert code == cli.EXIT_USAGE
    assert (out / name).read_text(encoding="utf-8") == "the user's own"
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and str(out / name) in err[0]


def test_a_report_of_ours_edited_by_the_user_is_not_replaced(tmp_path: Path, source: Path):
    out = tmp_path / "r"
    assert _report_run(source, out, "--html") == cli.EXIT_OK
    (out / "report.html").write_text("my notes on the report", encoding="utf-8")
    assert _report_run(source, out, "--html") == cli.EXIT_USAGE
    assert _report_run(source, out) == cli.EXIT_OK  # without --html: left alone, not removed
    assert (out / "report.html").read_text(encoding="utf-8") == "my notes on the report"


def test_fetch_output_as_input_in_the_report_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """``ddsjobs report jobs.csv --out .``: jobs.csv (as ``fetch`` writes it) would be replaced."""
    monkeypatch.chdir(tmp_path)
    write_csv(dj.jobs_frame(_records()), tmp_path / "jobs.csv")
    before = (tmp_path / "jobs.csv").read_bytes()
    assert cli.main(["report", "jobs.csv", "--out", ".", "--no-charts"]) == cli.EXIT_USAGE
    assert (tmp_path / "jobs.csv").read_bytes() == before
    assert "inside the report folder" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["jobs.csv"]


@pytest.mark.parametrize("where", ["in a subfolder", "the archive"])
def test_any_input_inside_the_report_folder_is_refused(tmp_path: Path, where: str):
    out = tmp_path / "r"
    inner = _jsonl(out / "data" / "jobs.jsonl", _records())
    argv = [str(inner)] if where == "in a subfolder" else ["--archive", str(out / "data")]
    assert cli.main(["report", *argv, "--out", str(out), "--no-charts"]) == cli.EXIT_USAGE
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["data", "data/jobs.jsonl"]


def test_out_with_a_tilde_is_the_home_folder(tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", str(source), "--out", "~/rep", "--no-charts"]) == cli.EXIT_OK
    assert (tmp_path / "home" / "rep" / "jobs.csv").is_file() and not (tmp_path / "~").exists()


# --------------------------------------------------------------------------- report folder: interrupted


def _interrupt_on_call(n: int, real: Callable) -> Callable:
    calls = []

    def patched(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    return patched


@pytest.mark.parametrize(
    ("target", "nth"),
    [("write_csv", 3), ("report_charts", 1), ("_page", 1), ("_excel", 1)],
)
def test_ctrl_c_midway_leaves_the_previous_run_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, nth: int
):
    out = tmp_path / "r"
    first = _jsonl(tmp_path / "a.jsonl", _records(80))
    assert cli.main(["report", str(first), "--out", str(out), "--html", "--excel"]) == cli.EXIT_OK
    before = _snapshot(out)
    module = _report_charts if target == "report_charts" else _report
    monkeypatch.setattr(module, target, _interrupt_on_call(nth, getattr(module, target)))
    second = _jsonl(tmp_path / "b.jsonl", _records(150))
    assert cli.main(["report", str(second), "--out", str(out), "--html", "--excel"]) == 130
    assert _snapshot(out) == before


# ----------------------------------------------------------------------------- report: empty selections


@pytest.mark.parametrize(
    "window",
    [["--since", "2026-10-20", "--until", "2026-10-10"], ["--since", "2031-01-01"], ["--since", "7d"]],
    ids=["inverted", "future", "7d-on-old-data"],
)
def test_an_empty_selection_exits_3_and_keeps_the_previous_report(
    tmp_path: Path, source: Path, window: list[str], capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "r"
    assert _report_run(source, out) == cli.EXIT_OK
    before = _snapshot(out)
    capsys.readouterr()
    assert _report_run(source, out, *window) == cli.EXIT_NO_DATA == 3
    assert _snapshot(out) == before
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "no job in the selection" in err[0]
    assert "the data covers 120 jobs created 2026-10-30 17:26 – 2026-10-31 23:47 UTC" in err[0]


@pytest.mark.parametrize("command", ["report", "check"])
def test_an_overflowing_age_is_a_usage_error(command: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--since", "99999999999d"])
    assert exit_info.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"ddsjobs {command}: error: argument --since: '99999999999d' is out of range"
    )


def test_fetch_to_an_unknown_file_type_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["fetch", "--out", str(tmp_path / "x.json")]) == cli.EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [
        "ddsjobs fetch: --out must end in .parquet or .csv, not 'x.json'"
    ]


def test_fetch_replaces_a_symlink_at_its_output_instead_of_writing_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from ddsjobs_analytics.simulator import running

    target = tmp_path / "elsewhere.csv"
    target.write_text("precious", encoding="utf-8")
    out = tmp_path / "jobs.csv"
    out.symlink_to(target)
    with running(jobs=200, seed=1) as sim:
        for name, value in (
            ("AK", sim.ak),
            ("SK", sim.sk),
            ("PROJECT_ID", sim.project_id),
            ("REGION", sim.region),
        ):
            monkeypatch.setenv(f"HUAWEICLOUD_SDK_{name}", value)
        monkeypatch.setenv("DDSJOBS_ENDPOINT", sim.url)
        assert cli.main(["fetch", "--since", "30d", "--out", str(out), "--no-progress", "-q"]) == cli.EXIT_OK
    assert target.read_text(encoding="utf-8") == "precious"
    assert not out.is_symlink() and len(dj.load_jobs(out)) > 0
    assert sorted(os.listdir(tmp_path)) == ["elsewhere.csv", "jobs.csv"]  # no temporary file left


def test_two_report_processes_into_one_folder_leave_one_whole_run(tmp_path: Path):
    sources = [_jsonl(tmp_path / f"{n}.jsonl", _records(n)) for n in (60, 90)]
    out = tmp_path / "r"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "ddsjobs_analytics", "report", "--no-charts", "-q", "--out", str(out)]
    runs = [subprocess.Popen([*command, str(path)], env=env) for path in sources]
    assert [run.wait(300) for run in runs] == [0, 0]
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():  # every file is the one the last run listed
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]
    assert sorted(os.listdir(out)) == sorted([*manifest["files"], MANIFEST])


# -------------------------------------------------------------------------------------- injection: CSV


def _csv_cells(folder: Path) -> list[str]:
    cells = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    return cells


@pytest.mark.parametrize(
    "reason",
    ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1", "\n=HYPERLINK(1)", "'=SUM(A1)", "''=x"],
)
def test_a_formula_survives_fetch_csv_report_defused_and_unchanged(tmp_path: Path, reason: str):
    """The reason travels: fetch's CSV → report's input → the report's CSV; it stays the same text, and no
    cell anywhere starts with a formula trigger."""
    fetched = tmp_path / "jobs.csv"
    write_csv(dj.jobs_frame(_records(fail_reason=reason)), fetched)
    back = dj.load_jobs(fetched)
    failed = back.loc[back["status"] == "Failed", "fail_reason"].astype(str)
    assert len(failed) and set(failed) == {reason}
    out = tmp_path / "r"
    assert _report_run(fetched, out) == cli.EXIT_OK
    live = [cell for cell in _csv_cells(out) if cell.startswith(TRIGGERS)]
    assert live == []
    assert "'" + reason in _csv_cells(out)  # the jobs table: defused, the original after one quote


@pytest.mark.parametrize("column", ["job_id", "region", "project_id", "instance_id", "instance_name"])
def test_every_text_column_comes_back_from_csv_unchanged(tmp_path: Path, column: str):
    """The writer defuses every text column, so the reader undoes every one: a region ``=cn-north`` read back
    as ``'=cn-north`` would be a shifted value, and a shifted ``job_id`` would count the job twice beside
    the same jobs from another file."""
    frame = dj.jobs_frame(_records())
    value = f"=x-{column}"
    if isinstance(frame[column].dtype, pd.CategoricalDtype):
        frame[column] = frame[column].astype(str)
    frame[column] = value if column != "job_id" else value + frame[column].astype(str)
    fetched = write_csv(frame, tmp_path / "jobs.csv")
    assert value not in _csv_cells(tmp_path) and f"'{value}" in "".join(_csv_cells(tmp_path))
    back = dj.load_jobs(fetched)
    assert sorted(back[column].astype(str)) == sorted(frame[column].astype(str))
    if column == "job_id":  # the same jobs from the frame's own Parquet and from its CSV: counted once
        frame.to_parquet(tmp_path / "jobs.parquet")
        assert len(dj.load_jobs([tmp_path / "jobs.parquet", fetched])) == len(frame)


def test_no_text_cell_in_the_workbook_is_a_formula(tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    source = _jsonl(tmp_path / "j.jsonl", _records(fail_reason="=cmd|' /C calc'!A0"))
    out = tmp_path / "r"
    assert cli.main(["report", str(source), "--out", str(out), "--no-charts", "--excel"]) == cli.EXIT_OK
    book = openpyxl.load_workbook(out / "report.xlsx")
    kinds = {cell.data_type for sheet in book for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds


# -------------------------------------------------------------------------------- injection: HTML, charts


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "<img src=x onerror=alert(1)>"), ("fail_reason", "</td></table><script>alert(1)</script>")],
)
def test_markup_in_job_fields_is_text_in_the_page(tmp_path: Path, field: str, value: str):
    source = _jsonl(tmp_path / "j.jsonl", _records(**{field: value}))
    out = tmp_path / "r"
    assert _report_run(source, out, "--html") == cli.EXIT_OK
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "<script>alert" not in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Restart$\\undefinedmacro$"),
        ("name", "$x^{2$"),
        ("region", "eu$\\bad$"),
        ("instance_name", "dds-$\\frac{1}{0}$"),
        ("fail_reason", "Failed at $\\sqrt{-1}$ with $ and \\$"),
    ],
)
def test_math_text_in_names_is_drawn_as_plain_text(tmp_path: Path, field: str, value: str):
    """Every chart of the report is drawn (the whole sample: What changed, the busiest-day timeline), with
    hostile names on three job types, one region, some instances or every failure reason."""
    records = sample_records()
    types = sorted({record["name"] for record in records})[:3]
    for record in records:
        if field == "name" and record["name"] in types:
            record["name"] = value + record["name"][:2]
        elif field == "region" and record["region"] == "eu-west-101":
            record["region"] = value
        elif field == "instance_name" and str(record["instance_name"]) < "dds-m":
            record["instance_name"] = value + str(record["instance_name"])
        elif field == "fail_reason" and record["status"] == "Failed":
            record["fail_reason"] = value
    source = _jsonl(tmp_path / "j.jsonl", records)
    out = tmp_path / "r"
    assert cli.main(["report", str(source), "--out", str(out), "--html", "-q"]) == cli.EXIT_OK
    pngs = {path.name for path in out.glob("*.png")}
    expected = {"durations", "duration_trend", "failure_rates", "fail_reasons", "what_changed", "timeline"}
    assert pngs == {f"{name}.png" for name in expected}


@pytest.fixture(scope="module")
def hostile_analysis() -> dj.Analysis:
    """The whole sample with math text in three job types and one region (What changed and a timeline)."""
    records = sample_records()
    types = sorted({record["name"] for record in records})[:3]
    for record in records:
        if record["name"] in types:
            record["name"] = "Restart$\\undefinedmacro$" + record["name"][:2]
        if record["region"] == "eu-west-101":
            record["region"] = "eu$\\bad$"
    return dj.analyse(dj.jobs_frame(records))


@pytest.mark.parametrize(
    "plot",
    [
        "plot_durations",
        "plot_duration_trend",
        "plot_failure_rates",
        "plot_fail_reasons",
        "plot_compare",
        "plot_timeline",
    ],
)
def test_every_public_chart_draws_math_text_as_plain_text(hostile_analysis: dj.Analysis, plot: str):
    """The public plot functions, called directly (not through the report), on the hostile names."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    figure = Figure()
    ax = figure.add_subplot()
    focus = hostile_analysis.focus
    if plot == "plot_compare":
        dj.plot_compare(hostile_analysis.what_changed.comparison, ax=ax)
    elif plot == "plot_timeline":
        dj.plot_timeline(hostile_analysis.data, start=focus.start, end=focus.end, ax=ax)
        ax.set_title(focus.label)  # a caller's title naming the hostile region
    else:
        getattr(dj, plot)(hostile_analysis, ax=ax)
    figure.canvas.draw()  # math text would be parsed (and fail) here: ValueError "Unknown symbol"
    texts = figure.findobj(Text)
    hostile = [text for text in texts if "$" in text.get_text()]
    assert all(not text.get_parse_math() for text in hostile)  # drawn as written, dollar signs and all


# ------------------------------------------------------------------------------ injection: the terminal


HOSTILE_REASON = "Disk \x1b[2J\x1b]0;pwned\x07 full \x9b31m \u202egnp.exe"


@pytest.fixture(scope="module")
def hostile_check_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with a new failure reason in its last week, full of terminal control characters."""
    records = sorted(sample_records(), key=lambda record: record["created_at"])
    last_week = records[-len(records) // 9 :]
    for record in last_week:
        if record["status"] == "Failed":
            record["fail_reason"] = HOSTILE_REASON
            record["name"] = "Type\x1b[31m"
    return _jsonl(tmp_path_factory.mktemp("check") / "jobs.jsonl", records)


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_check_never_prints_control_characters(
    hostile_check_file: Path, output_format: str, capsys: pytest.CaptureFixture[str]
):
    code = cli.main(
        ["check", str(hostile_check_file), "--format", output_format, "--fail-on", "fail_reason,failure_rate"]
    )
    out = capsys.readouterr().out
    assert code == 1 and "pwned" in out
    assert not [char for char in CONTROL if char in out]
    if output_format == "json":
        reasons = json.loads(out)["new_fail_reasons"]
        assert HOSTILE_REASON in {reason["example"] for reason in reasons}  # the value itself is intact


def test_report_summary_never_prints_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    source = _jsonl(tmp_path / "j.jsonl", _records(name="Restart\x1b[2J\x07"))
    assert _report_run(source, tmp_path / "r") == cli.EXIT_OK
    captured = capsys.readouterr()
    assert not [char for char in CONTROL if char in captured.out + captured.err]


# -------------------------------------------------------------------------------------- degenerate check


def test_check_on_a_missing_file_with_v_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    missing = tmp_path / "missing.parquet"
    assert cli.main(["check", str(missing), "-v"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("ddsjobs check: ") and "missing.parquet" in err[0]


@pytest.mark.parametrize("fail_on", ["fail_reason", "failure_rate,fail_reason"])
def test_check_without_a_baseline_is_insufficient_not_new(
    tmp_path: Path, fail_on: str, capsys: pytest.CaptureFixture[str]
):
    records = sorted(sample_records(), key=lambda record: record["created_at"])[-500:]  # last ~5 days
    source = _jsonl(tmp_path / "recent.jsonl", records)
    assert cli.main(["check", str(source), "--fail-on", fail_on]) == 3
    out = capsys.readouterr().out
    assert "NEW REASON" not in out and "No regression." not in out
    assert "new failure reasons not judged: the baseline has 0 jobs" in out.lower()
    assert "Not enough data to judge" in out

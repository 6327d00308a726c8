"""Peak memory of ``ddsjobs report`` on hostile inputs (issue 17 §12), each in a fresh subprocess.

Inputs (written to a temporary folder, then deleted):

- **newline bomb**: a ``.jsonl.gz`` of ``--newlines`` MB of ``\\n`` (100 MB compress to ~100 KB, the issue's
  102 KB file), followed by 300 records of the bundled sample so the report has something to show, and one
  line that is not JSON (it sends the reader down its line-by-line path);
- **1 MB reasons**: ``.jsonl`` of records whose ``fail_reason`` is 1 MB each, ``--reasons-mb`` MB in all
  (the issue's file is 2 GB; the default here is 200 MB, for a 2-core machine shared with other work),
  and the same records as one ``.json`` list;
- **1 MB reasons, .csv / .parquet**: the same jobs as a jobs frame saved by ``write_csv`` and by
  ``DataFrame.to_parquet`` (``fail_reason`` as plain text: 10 MB on disk for 200 MB of reasons);
- **baseline**: the same 300 sample records alone, the report's own floor (interpreter, pandas, pyarrow).

For each: the child's peak RSS (``ru_maxrss`` from ``os.wait4``), its wall time, and the resulting frame's
``memory_usage(deep=True)`` (read in another subprocess); the target is peak ≤ 3 × frame + 200 MB.
``--before DIR`` runs the same inputs against another checkout (e.g. ``git worktree add /tmp/before main``).

Run: ``python benchmarks/bench_memory.py [--newlines 100] [--reasons-mb 200] [--charts] [--before DIR]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_FRAME_SIZE = (
    "import sys, warnings; warnings.simplefilter('ignore'); import ddsjobs_analytics as dj; "
    "print(int(dj.load_jobs(sys.argv[1]).memory_usage(deep=True).sum()))"
)


def _records(count: int) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from ddsjobs_analytics.simulator._sample import sample_records

    return sample_records()[:count]


def write_inputs(folder: Path, newlines_mb: int, reasons_mb: int) -> dict[str, Path]:
    records = _records(300)
    lines = "".join(json.dumps(record) + "\n" for record in records).encode()
    baseline = folder / "baseline.jsonl"
    baseline.write_bytes(lines)
    bomb = folder / "newlines.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        block = b"\n" * (1 << 20)
        for _ in range(newlines_mb):
            fh.write(block)
        fh.write(lines)
        fh.write(b"not json\n")  # one line Arrow rejects: the line-by-line path, where the old reader blew up
    reasons = folder / "reasons.jsonl"
    with reasons.open("wb") as fh:
        for i in range(reasons_mb):
            record = dict(records[i % len(records)], id=f"big-{i}", status="Failed")
            record["fail_reason"] = f"Backup failed {i}: " + "x" * (1 << 20)
            fh.write(json.dumps(record).encode() + b"\n")
    document = folder / "reasons.json"  # the same records as one JSON list: read value by value
    with reasons.open("rb") as lines_in, document.open("wb") as fh:
        fh.write(b"[")
        for i, line in enumerate(lines_in):
            fh.write((b"," if i else b"") + line.rstrip(b"\n"))
        fh.write(b"]")
    csv, parquet = _frame_files(folder, reasons_mb)
    return {
        "baseline (300 records)": baseline,
        "newline bomb": bomb,
        "1 MB reasons": reasons,
        "1 MB reasons, one .json list": document,
        "1 MB reasons, .csv": csv,
        "1 MB reasons, .parquet": parquet,
    }


_FRAME_FILES = """
import sys
from pathlib import Path

import ddsjobs_analytics as dj
from ddsjobs_analytics.simulator._sample import sample_records

records, count = sample_records()[:300], int(sys.argv[2])
jobs = [dict(records[i % len(records)], id=f"big-{i}", status="Failed") for i in range(count)]
frame = dj.jobs_frame(jobs)
frame["fail_reason"] = [f"Backup failed {i}: " + "x" * (1 << 20) for i in range(count)]
dj.write_csv(frame, Path(sys.argv[1] + ".csv"))
frame.to_parquet(sys.argv[1] + ".parquet", index=False)
"""


def _frame_files(folder: Path, count: int) -> tuple[Path, Path]:
    """The 1 MB reasons as a saved jobs frame: ``.csv`` (``write_csv``) and ``.parquet``. Written by a child
    process: a child's peak RSS starts at its parent's RSS when forked (Linux keeps the high-water mark
    across exec), so this process must never hold the 200 MB frame."""
    stem = folder / "reasons"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", _FRAME_FILES, str(stem), str(count)], env=env, cwd=ROOT, check=True)
    return stem.with_suffix(".csv"), stem.with_suffix(".parquet")


def run_report(checkout: Path, path: Path, out: Path, *, charts: bool = False) -> tuple[float, int, int]:
    """(seconds, peak RSS bytes, exit code) of ``ddsjobs report path`` run from ``checkout`` (``--no-charts``
    unless ``charts``)."""
    env = dict(os.environ, PYTHONPATH=str(checkout), MPLBACKEND="Agg")
    command = [sys.executable, "-m", "ddsjobs_analytics", "-q", "report", str(path), "--out", str(out)]
    started = time.perf_counter()
    # cwd: ``-m`` puts the working directory first on sys.path, ahead of PYTHONPATH.
    flags = [] if charts else ["--no-charts"]
    child = subprocess.Popen([*command, *flags], env=env, cwd=checkout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def frame_bytes(checkout: Path, path: Path) -> int:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run(
        [sys.executable, "-c", _FRAME_SIZE, str(path)],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--newlines", type=int, default=100, help="MB of newlines in the bomb (default 100)")
    parser.add_argument("--reasons-mb", type=int, default=200, help="MB of 1 MB reasons (default 200)")
    parser.add_argument("--charts", action="store_true", help="also run each report with its charts drawn")
    parser.add_argument("--before", type=Path, help="also run this checkout (the code before the change)")
    args = parser.parse_args()
    checkouts = {"this checkout": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    with tempfile.TemporaryDirectory() as tmp:
        inputs = write_inputs(Path(tmp), args.newlines, args.reasons_mb)
        for name, path in inputs.items():
            print(f"\n{name}: {path.name}, {path.stat().st_size / 1e6:,.1f} MB on disk")
            frame = frame_bytes(ROOT, path)
            limit = 3 * frame + 200e6
            print(
                f"  frame memory_usage(deep=True): {frame / 1e6:.1f} MB; target peak ≤ {limit / 1e6:.0f} MB"
            )
            for label, checkout in checkouts.items():
                for charts in (False, True) if args.charts else (False,):
                    out = Path(tmp) / f"out-{label}-{charts}"
                    seconds, peak, code = run_report(checkout, path, out, charts=charts)
                    verdict = "holds" if peak <= limit else "EXCEEDS"
                    name = f"{label}{', charts' if charts else ''}"
                    line = f"  {name:<22} peak {peak / 1e6:8.0f} MB  {seconds:6.1f} s  exit {code}"
                    print(f"{line}  ({verdict})")


if __name__ == "__main__":
    main()

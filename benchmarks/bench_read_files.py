"""CPU time of ``read_jobs_file`` on a normal 300,000-job ``.csv`` and ``.parquet``, this checkout against
another, side by side (the bounded block readers must not slow normal files down).

The files: the bundled sample (5,000 jobs) repeated to ``--jobs`` with distinct ids, saved as ``ddsjobs
fetch`` saves them (``write_csv``; ``DataFrame.to_parquet``). Each read runs in a fresh child process that
reports the read's own CPU time (``time.process_time``, imports excluded) and peak RSS; the checkouts
alternate, ``--repeat`` times each, and the median is printed.

Run: ``python benchmarks/bench_read_files.py --before /tmp/before [--jobs 300000] [--repeat 5]``
Results: benchmarks/README.md ("`ddsjobs report` on memory bombs").
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CHILD = (
    "import resource, sys, time, warnings; warnings.simplefilter('ignore');"
    "from ddsjobs_analytics._frame._sources import read_jobs_file;"
    "t = time.process_time(); df = read_jobs_file(sys.argv[1]); t = time.process_time() - t;"
    "print(t, len(df), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
)


def write_files(folder: Path, jobs: int) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    import ddsjobs_analytics as dj

    sample = dj.load_sample()
    copies = []
    for i in range(-(-jobs // len(sample))):
        copy = sample.copy()
        copy["job_id"] = (copy["job_id"].astype(str) + f"-{i}").astype("string[pyarrow]")
        copies.append(copy)
    frame = pd.concat(copies, ignore_index=True).head(jobs)
    csv, parquet = folder / "jobs.csv", folder / "jobs.parquet"
    dj.write_csv(frame, csv)
    frame.to_parquet(parquet, index=False)
    return {".csv": csv, ".parquet": parquet}


def measure(checkout: Path, path: Path) -> tuple[float, int]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], env=env, cwd=checkout, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(out.stderr)
    seconds, _, peak = out.stdout.split()
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--jobs", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "this checkout": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(Path(tmp), args.jobs)
        for kind, path in files.items():
            runs: dict[str, list[tuple[float, int]]] = {name: [] for name in checkouts}
            for _ in range(args.repeat):
                for name, checkout in checkouts.items():
                    runs[name].append(measure(checkout, path))
            print(f"\n{kind}: {args.jobs:,} jobs, {path.stat().st_size / 1e6:.1f} MB on disk")
            medians = {name: statistics.median(s for s, _ in r) for name, r in runs.items()}
            for name, r in runs.items():
                peak = statistics.median(p for _, p in r)
                print(
                    f"  {name:<14} CPU {medians[name]:6.2f} s (runs: {', '.join(f'{s:.2f}' for s, _ in r)})"
                    f"  peak RSS {peak / 1e6:6.0f} MB"
                )
            lows = {name: min(s for s, _ in r) for name, r in runs.items()}
            print(
                f"  ratio this/before: {medians['this checkout'] / medians['before']:.3f} (medians), "
                f"{lows['this checkout'] / lows['before']:.3f} (fastest runs)"
            )


if __name__ == "__main__":
    main()

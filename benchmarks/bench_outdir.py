"""What the safe report folder costs: the commit (hash the staged files and the previous run's, move them in,
delete the stale ones, write the manifest twice) as a share of the whole ``write_report`` run, measured in
the same run.

``write_report(df, charts=False)`` is the worst case for the share (no charts to draw, only CSV tables); each
size is written three times into one folder, so runs 2 and 3 also hash and replace the previous run.

    python benchmarks/bench_outdir.py            # 100k and 300k jobs
    python benchmarks/bench_outdir.py --quick    # 100k jobs
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ddsjobs_analytics import jobs_frame, sample_records
from ddsjobs_analytics._render import _outdir, _report


def _frame(jobs: int):  # the sample repeated with fresh ids
    records = sample_records()
    copies = -(-jobs // len(records))
    rows = [{**r, "id": f"{k}-{r['id']}"} for k in range(copies) for r in records]
    return jobs_frame(rows[:jobs])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    sizes = [100_000] if parser.parse_args().quick else [100_000, 300_000]
    spent: list[float] = []
    commit = _outdir.ReportFolder.commit

    def timed(self: _outdir.ReportFolder, names):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return commit(self, names)
        finally:
            spent.append(time.perf_counter() - start)

    _outdir.ReportFolder.commit = timed  # type: ignore[method-assign]
    for jobs in sizes:
        df = _frame(jobs)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "report"
            for run in range(1, 4):
                spent.clear()
                start = time.perf_counter()
                _report.write_report(df, out, charts=False)
                total = time.perf_counter() - start
                size = sum(path.stat().st_size for path in out.iterdir()) / 1e6
                print(
                    f"{jobs:>9,} jobs, run {run}: write_report(charts=False) {total:6.2f} s, {size:5.1f} MB; "
                    f"commit {spent[0]:5.3f} s = {spent[0] / total:5.1%} of the run"
                )


if __name__ == "__main__":
    main()

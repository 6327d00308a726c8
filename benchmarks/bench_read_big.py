"""``jobs_frame(path)`` against ``pyarrow.json.read_json`` on one big file, each in a fresh process.

For files too big to hold twice in one process (issue 16 §4; 10M jobs: 4 GB, ~9 GB at Arrow's peak): each
reader runs once in its own ``bench_frame.py --measure`` child, read_json first and last (the load moves),
and ``--before DIR`` adds ``jobs_frame(path)`` of another checkout. Prints wall and CPU (user + sys from
``os.wait4``, imports included) and the peak RSS growth.

Run: ``python benchmarks/outside_data.py /work/bench10m/outside.jsonl --jobs 10000000`` once, then
``python benchmarks/bench_read_big.py /work/bench10m/outside.jsonl [--before /work/main]``.
Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
NAMES = {"read_json": "pyarrow.json.read_json", "jobs_frame(path)": "jobs_frame(path)"}


def run(variant: str, tree: Path, path: str) -> dict[str, object]:
    started = time.perf_counter()
    command = [sys.executable, str(tree / "benchmarks" / "bench_frame.py"), "--measure", NAMES[variant], path]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    child = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"{variant} in {tree} failed ({status})")
    got = json.loads(out.strip().splitlines()[-1])
    return {
        "variant": variant,
        "tree": str(tree),
        "wall_incl_imports": round(time.perf_counter() - started, 2),
        "cpu_incl_imports": round(usage.ru_utime + usage.ru_stime, 2),
        "load": round(os.getloadavg()[0], 2),
        **got,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--before", type=Path, help="another checkout, e.g. main")
    args = parser.parse_args()
    runs = [("read_json", HERE), ("jobs_frame(path)", HERE)]
    if args.before:
        runs.append(("jobs_frame(path)", args.before.resolve()))
    runs.append(("read_json", HERE))
    for variant, tree in runs:
        print(json.dumps(run(variant, tree, args.path)), flush=True)


if __name__ == "__main__":
    main()

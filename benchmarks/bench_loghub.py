"""Failure-message grouping on Loghub-2k and the DDS-style labelled sets, before/after and vs Drain3.

Loghub-2k (Zhu et al., ICSE-SEIP 2019; github.com/logpai/loghub): 2,000 log messages per system with a
ground-truth event id. Each system's ``<System>_2k.log_structured.csv`` (columns ``Content``, ``EventId``) is
read from the directory given as the first argument or in ``DDSJOBS_LOGHUB_DIR``; the data is not part of
this repository. Every method groups the ``Content`` of one system (or the messages of one set) at a time.

Scores (``ddsjobs_analytics._reasons``): grouping accuracy (GA: a message counts iff its predicted group holds
exactly the messages of its true group), pairwise precision (1 - precision: different failures merged) and
pairwise recall (1 - recall: one failure split).

Compared in one run: this version's ``fail_reason_template`` ("after", one configuration for every set),
the version of ``--before`` (default: the commit before issue 18, loaded from git), Drain3 with its example
masking at its default setting (sim_th 0.4, depth 4), and Drain3's best setting per set over sim_th
0.3-0.7 x depth 3-6, chosen by GA against the truth (an advantage ours does not get). A sweep of
``variable_positions`` shows the merge/split trade-off.

Development split: the method is tuned on the 8 development systems and the project's own DDS sets only.
The default run covers exactly those; ``--all-systems`` adds the other 8 Loghub systems, which are judged
outside the project (do not run it while developing).

    DDSJOBS_LOGHUB_DIR=/path/to/loghub2k .venv/bin/python benchmarks/bench_loghub.py
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig
from make_mongo_reasons import draw as draw_mongo

from ddsjobs_analytics._reasons import fail_reason_template, grouping_accuracy, pairwise_precision_recall

DEVELOPMENT = ("Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux", "OpenSSH")
HELD_OUT = ("Android", "Mac", "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper")
SIM_THS = (0.3, 0.4, 0.5, 0.6, 0.7)
DEPTHS = (3, 4, 5, 6)
DEFAULT = (0.4, 4)  # drain3's TemplateMinerConfig default
BEFORE_REF = "fde1a55"  # main before issue 18
MONGO_SEEDS = (18, 19, 20)  # the committed set (18) and two re-draws of its values
DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent

# Drain3's own example masking instructions (drain3/masking.py, examples/drain3.ini), minus the demo-only
# CMD rule.
_B, _A = r"((?<=[^A-Za-z0-9])|^)", r"((?=[^A-Za-z0-9])|$)"
DRAIN3_EXAMPLE_MASKING = (
    (_B + r"(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))" + _A, "ID"),
    (_B + r"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})" + _A, "IP"),
    (_B + r"([0-9a-f]{6,} ?){3,}" + _A, "SEQ"),
    (_B + r"([0-9A-F]{4} ?){4,}" + _A, "SEQ"),
    (_B + r"(0x[a-f0-9A-F]+)" + _A, "HEX"),
    (_B + r"([\-\+]?\d+)" + _A, "NUM"),
)

Grouper = Callable[[list[str]], list[object]]


def drain_clusters(messages: list[str], sim_th: float, depth: int = 4) -> list[object]:
    """The Drain3 cluster each message joins (clusters never merge, so it is also its final cluster)."""
    config = TemplateMinerConfig()
    config.drain_sim_th = sim_th
    config.drain_depth = depth
    config.masking_instructions = [MaskingInstruction(p, name) for p, name in DRAIN3_EXAMPLE_MASKING]
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    return [miner.add_log_message(m)["cluster_id"] for m in messages]


def ours(messages: list[str], **options: Any) -> list[object]:
    templates = fail_reason_template(pd.Series(messages, dtype=object), **options)
    return list(templates.astype(str))


def load_before(ref: str) -> Grouper:
    """The templating of commit ``ref`` (its ``_reasons`` package, loaded from git into a temporary
    package), as a grouping of messages: each distinct message's template."""
    listing = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{ref}:ddsjobs_analytics/_reasons"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    package = Path(tempfile.mkdtemp(prefix="reasons_before_")) / "_reasons_before"
    package.mkdir()
    for name in listing:
        if name.endswith(".py"):
            source = subprocess.run(
                ["git", "show", f"{ref}:ddsjobs_analytics/_reasons/{name}"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            # Only the templating modules are used; the package's __init__ would import the frame code.
            (package / name).write_text("" if name == "__init__.py" else source, encoding="utf-8")
    sys.path.insert(0, str(package.parent))
    module = importlib.import_module("_reasons_before._template")

    def group(messages: list[str]) -> list[object]:
        distinct = sorted(set(messages))
        templates = dict(zip(distinct, module.template_distinct(distinct).templates, strict=True))
        return [templates[m] for m in messages]

    return group


def scores(truth: Sequence[str], predicted: Sequence[object]) -> dict[str, float]:
    precision, recall = pairwise_precision_recall(truth, predicted)
    return {"ga": grouping_accuracy(truth, predicted), "precision": precision, "recall": recall}


def score_set(messages: list[str], truth: list[str], before: Grouper) -> dict[str, Any]:
    row: dict[str, Any] = {
        "messages": len(messages),
        "templates": len(set(truth)),
        "before": scores(truth, before(messages)),
        "after": scores(truth, ours(messages)),
    }
    drains = {(s, d): scores(truth, drain_clusters(messages, s, d)) for s in SIM_THS for d in DEPTHS}
    row["drain default"] = drains[DEFAULT]
    best = max(drains, key=lambda key: (drains[key]["ga"], key))
    row["drain best"] = drains[best]
    row["drain best setting"] = f"sim_th {best[0]}, depth {best[1]}"
    return row


def loghub_sets(directory: Path, systems: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
    sets = {}
    for system in systems:
        path = directory / f"{system}_2k.log_structured.csv"
        if not path.exists():
            sys.exit(
                f"missing {path}: give the directory holding the Loghub-2k *_2k.log_structured.csv files"
            )
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        sets[system] = (frame["Content"].tolist(), frame["EventId"].tolist())
    return sets


def labelled(name: str) -> tuple[list[str], list[str]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r["message"] for r in rows], [r["label"] for r in rows]


def dds_sets() -> dict[str, tuple[list[str], list[str]]]:
    sets = {
        "DDS labelled (fail_reasons_labelled.jsonl)": labelled("fail_reasons_labelled.jsonl"),
        "DDS held-out (fail_reasons_heldout.jsonl)": labelled("fail_reasons_heldout.jsonl"),
    }
    for seed in MONGO_SEEDS:
        rows = draw_mongo(seed=seed)
        sets[f"DDS/MongoDB (make_mongo_reasons.py, seed {seed})"] = (
            [m for m, _ in rows],
            [t for _, t in rows],
        )
    return sets


def _cell(s: dict[str, float]) -> str:
    return f"{s['ga']:.3f} / {s['precision']:.4f} / {s['recall']:.4f}"


def print_table(rows: dict[str, dict[str, Any]], groups: dict[str, list[str]]) -> None:
    print(
        "| set | messages | true templates | before: GA / precision / recall "
        "| after: GA / precision / recall | Drain3 default | Drain3 best (setting) |"
    )
    print("|---|---:|---:|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| {name} | {row['messages']:,} | {row['templates']} | {_cell(row['before'])} | "
            f"**{_cell(row['after'])}** | {_cell(row['drain default'])} | "
            f"{_cell(row['drain best'])} ({row['drain best setting']}) |"
        )
    for label, names in groups.items():
        means = {
            key: {m: sum(rows[n][key][m] for n in names) / len(names) for m in ("ga", "precision", "recall")}
            for key in ("before", "after", "drain default", "drain best")
        }
        print(
            f"| **{label}** | | | {_cell(means['before'])} | **{_cell(means['after'])}** | "
            f"{_cell(means['drain default'])} | {_cell(means['drain best'])} |"
        )


def sweep(sets: dict[str, tuple[list[str], list[str]]], groups: dict[str, list[str]]) -> None:
    """Mean GA / precision / recall per group of sets for each ``variable_positions``."""
    print("\nvariable_positions sweep (mean GA / precision / recall; the default is 3)")
    print("| variable_positions | " + " | ".join(groups) + " |")
    print("|---:|" + "---|" * len(groups))
    for threshold in (1, 2, 3, 4, 6):
        cells = []
        for names in groups.values():
            found = [scores(sets[n][1], ours(sets[n][0], variable_positions=threshold)) for n in names]
            cells.append(
                _cell({m: sum(f[m] for f in found) / len(found) for m in ("ga", "precision", "recall")})
            )
        print(f"| {threshold} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=os.environ.get("DDSJOBS_LOGHUB_DIR"))
    parser.add_argument(
        "--before", default=BEFORE_REF, help=f"git ref of the 'before' version ({BEFORE_REF})"
    )
    parser.add_argument(
        "--all-systems",
        action="store_true",
        help="also the 8 non-development Loghub systems (judged outside the project: not while developing)",
    )
    args = parser.parse_args()
    if not args.directory:
        sys.exit("give the Loghub-2k directory as an argument or in DDSJOBS_LOGHUB_DIR")
    print(f"pandas {pd.__version__}, drain3 {version('drain3')}, before = {args.before}")
    before = load_before(args.before)
    systems = (*DEVELOPMENT, *HELD_OUT) if args.all_systems else DEVELOPMENT
    sets = {**loghub_sets(Path(args.directory), systems), **dds_sets()}
    rows = {}
    for name, (messages, truth) in sets.items():
        rows[name] = score_set(messages, truth, before)
        print(f"  {name}: after {_cell(rows[name]['after'])}", flush=True)
    groups = {
        "mean, 8 development systems": list(DEVELOPMENT),
        "mean, DDS/MongoDB over 3 draws": [n for n in sets if n.startswith("DDS/MongoDB")],
    }
    if args.all_systems:
        groups["mean, 8 other systems"] = list(HELD_OUT)
        groups["mean, all 16 systems"] = [*DEVELOPMENT, *HELD_OUT]
    print()
    print_table(rows, groups)
    sweep(sets, {**groups, "DDS labelled": [n for n in sets if n.startswith("DDS labelled")]})


if __name__ == "__main__":
    main()

"""The README's "Instance context" example runs as written against the simulator."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

import ddsjobs_analytics as dj

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_instance_context_example_answers_its_questions() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Instance context") : text.index("## Performance")]
    (example,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dj.DataQualityWarning)  # the simulated fleet has deleted instances
        exec(compile(example, str(README), "exec"), namespace)
    joined = namespace["joined"]
    assert isinstance(joined, pd.DataFrame) and len(joined) == len(namespace["jobs"])
    by_version = namespace["by_version"]
    assert {"3.4", "4.4"} <= set(by_version.index.dropna().astype(str))
    assert set(namespace["by_mode"].index.dropna().astype(str)) == {"Sharding", "ReplicaSet", "Single"}
    assert namespace["by_zone"].index.dropna().nunique() >= 3
    failed = namespace["failed"]
    assert len(failed) and failed["engine_version"].notna().any()
    upcoming = namespace["upcoming"]
    assert len(upcoming) and (upcoming["status"] == "Pending").all()
    assert upcoming["start"].is_monotonic_increasing

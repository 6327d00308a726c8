"""The README's "API at a glance" example runs as written on the bundled sample."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_api_at_a_glance_runs_on_the_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import matplotlib.pyplot as plt

    example = _python_blocks()[0]
    assert "dj.load_sample()" in example
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    try:
        exec(compile(example, str(README), "exec"), namespace)
    finally:
        plt.close("all")
    assert (tmp_path / "report" / "report.html").is_file()
    pm = namespace["pm"]
    assert len(pm.failures) > 0  # the example instance did fail on the incident day

"""The notebooks run top to bottom on the bundled sample in a real kernel, and carry no outputs."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ddsjobs_analytics._sample import SAMPLE_END, sample_records

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
CHARTS = {"01_explore": 5, "02_postmortem": 2}  # the charts each notebook draws

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_explore.ipynb", "02_postmortem.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, "a notebook without code"
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_on_the_sample(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # No credentials and no archive: the notebooks must fall back to the bundled sample.
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "DDSJOBS_ARCHIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws the charts
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    text = "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")
    # SINCE_DAYS = 30 applies to the sample too, counted back from the sample's end.
    recent = sum(
        datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%S%z") >= SAMPLE_END - timedelta(days=30)
        for record in sample_records()
    )
    assert 0 < recent < 5000 and f"{recent:,} jobs from sample" in text
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == CHARTS[path.stem], "the charts did not all render"
    assert os.environ.get("HUAWEICLOUD_SDK_AK") is None

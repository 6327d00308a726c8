"""The notebooks run top to bottom on the bundled sample in a real kernel, and carry no outputs.

Each run appends one probe cell that prints, as JSON, what the notebook computed (its variables in the
kernel); the tests compare that with counts taken independently from the sample's raw records.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ddsjobs_analytics.simulator._sample import SAMPLE_END, sample_records
from ddsjobs_analytics.simulator._sample_inventory import sample_instance_records

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
EXPLORE, POSTMORTEM = NOTEBOOKS if len(NOTEBOOKS) == 2 else (None, None)
CHARTS = {"01_explore": 7, "02_postmortem": 2}  # the charts each notebook draws
VERDICTS = {"regressed", "improved", "unchanged", "insufficient"}
PROBE_MARK = "PROBE "

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

# What the probe cells report: plain JSON built from the notebooks' own variables.
EXPLORE_PROBE = """
import json as _json
_rates = changes[changes["metric"] == "failure_rate"]
print("PROBE " + _json.dumps({
    "tz": str(zone),
    "per_day": {f"{day:%Y-%m-%d}": int(n) for day, n in per_day.sum(axis=1).items()},
    "daily_tz": str(daily.index.get_level_values("period").tz),
    "current": [str(moment) for moment in current],
    "baseline": [str(moment) for moment in baseline],
    "columns": list(changes.columns),
    "verdicts": changes["verdict"].astype(str).tolist(),
    "metrics": sorted(set(changes["metric"].astype(str))),
    "rate_n_current": int(_rates["n_current"].sum()),
    "rate_n_baseline": int(_rates["n_baseline"].sum()),
    "group_id": str(top_group["template_id"]),
    "group_count": int(top_group["count"]),
    "group_samples": [str(i) for i in top_group["sample_job_ids"]],
    "group_jobs": group_jobs["job_id"].astype(str).tolist(),
    "group_templates": sorted(set(group_jobs["template_id"].astype(str))),
    "new_reasons": new_reasons["template"].astype(str).tolist(),
    "version_failed": {str(k): int(v) for k, v in by_version["failed"].items()},
    "mode_failed": {str(k): int(v) for k, v in by_mode["failed"].items()},
}))
"""
POSTMORTEM_PROBE = """
import json as _json
print("PROBE " + _json.dumps({
    "instance": str(INSTANCE),
    "current": [str(moment) for moment in incident.current],
    "baseline": [[str(moment) for moment in window] for window in incident.baseline],
    "changes": incident.changes[["metric", "n_baseline", "n_current", "verdict"]]
    .astype(str)
    .to_dict("records"),
    "region_verdicts": dict(zip(region_incident.changes["metric"], region_incident.changes["verdict"])),
    "new_reasons": incident.new_fail_reasons["template"].astype(str).tolist(),
    "group_id": str(top_group["template_id"]),
    "group_count": int(top_group["count"]),
    "group_jobs": group_jobs["job_id"].astype(str).tolist(),
    "failures": pm.failures["job_id"].astype(str).tolist(),
    "instance_fact": dict(pm.facts()).get("Instance"),
}))
"""


def _created(record: dict[str, Any]) -> datetime:
    return datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%S%z")


def _parameter(path: Path, name: str) -> int:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source = "".join(notebook["cells"][1]["source"])
    match = re.search(rf"^{name} = (\d+)", source, re.MULTILINE)
    assert match, f"{path.name}: no {name} in the parameters cell"
    return int(match[1])


def _execute(
    path: Path, tmp_path: Path, *, overrides: str = "", probe: str = ""
) -> tuple[Any, dict[str, Any]]:
    """Run the notebook in a kernel, like CI does: parameters overridden in a cell right after the
    parameters cell (as papermill would), ``probe`` appended. Returns the notebook and the probe's JSON."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        # No credentials and no archive: the notebooks must fall back to the bundled sample.
        for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "DDSJOBS_ARCHIVE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws the charts
        return _run(path, tmp_path, overrides=overrides, probe=probe)


def _run(path: Path, tmp_path: Path, *, overrides: str, probe: str) -> tuple[Any, dict[str, Any]]:
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells[1].source.startswith("# Parameters")
    if overrides:
        notebook.cells.insert(2, nbformat.v4.new_code_cell(overrides))
    if probe:
        notebook.cells.append(nbformat.v4.new_code_cell(probe))
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    lines = [
        line
        for out in outputs
        if out.get("output_type") == "stream"
        for line in out.get("text", "").splitlines()
        if line.startswith(PROBE_MARK)
    ]
    assert len(lines) == (1 if probe else 0)
    return notebook, (json.loads(lines[0][len(PROBE_MARK) :]) if probe else {})


def _stream_text(notebook: Any) -> str:
    return "".join(
        out.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    )


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_explore.ipynb", "02_postmortem.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, "a notebook without code"
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_has_a_tz_parameter_defaulting_to_utc(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    parameters = "".join(notebook["cells"][1]["source"])
    assert re.search(r'^TZ = "UTC"  # .*"Asia/Shanghai"', parameters, re.MULTILINE)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Each notebook run once with its defaults (and its probe); the tests below read the results."""
    probes = {"01_explore": EXPLORE_PROBE, "02_postmortem": POSTMORTEM_PROBE}
    return {
        path.stem: _execute(path, tmp_path_factory.mktemp(path.stem), probe=probes[path.stem])
        for path in NOTEBOOKS
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_on_the_sample(path: Path, executed: dict[str, tuple[Any, dict[str, Any]]]):
    notebook, _ = executed[path.stem]
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    # SINCE_DAYS applies to the sample too, counted back from the sample's end.
    days = _parameter(path, "SINCE_DAYS")
    recent = sum(_created(record) >= SAMPLE_END - timedelta(days=days) for record in sample_records())
    assert 0 < recent <= 5000 and f"{recent:,} jobs from sample" in _stream_text(notebook)
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == CHARTS[path.stem], "the charts did not all render"


def test_explore_compares_periods_and_drills_down(executed: dict[str, tuple[Any, dict[str, Any]]]):
    assert EXPLORE is not None
    _, probe = executed["01_explore"]
    records = sample_records()
    days = _parameter(EXPLORE, "SINCE_DAYS")

    # What changed: the last 7 days before the data was read, against the rest of the loaded 30 days.
    split = SAMPLE_END - timedelta(days=7)
    assert probe["current"] == [str(split), str(SAMPLE_END)]
    loaded = [record for record in records if _created(record) >= SAMPLE_END - timedelta(days=days)]
    assert probe["baseline"] == [str(min(map(_created, loaded)).astimezone(timezone.utc)), str(split)]
    assert {"verdict", "q_value", "ci_low", "ci_high", "n_baseline", "n_current"} <= set(probe["columns"])
    assert probe["metrics"] == ["duration_p50", "duration_p95", "failure_rate"]
    assert probe["verdicts"] and set(probe["verdicts"]) <= VERDICTS
    assert set(probe["verdicts"]) - {"insufficient"}, "no row got a verdict"
    # Every finished job of the period is in exactly one type's failure-rate row.
    finished = Counter(
        _created(record) >= split for record in loaded if record["status"] in ("Completed", "Failed")
    )
    assert (probe["rate_n_current"], probe["rate_n_baseline"]) == (finished[True], finished[False])
    # New reasons: failure messages of the last week whose template never appeared before it.
    assert isinstance(probe["new_reasons"], list)

    # Drill-down: exactly the group's jobs, all of one template, including the table's example ids.
    assert len(probe["group_jobs"]) == probe["group_count"] > 0
    assert len(set(probe["group_jobs"])) == probe["group_count"]
    assert probe["group_templates"] == [probe["group_id"]]
    assert set(probe["group_samples"]) <= set(probe["group_jobs"])
    # The sample's incident is the top reason of the last 30 days: 38 storage-backend timeouts.
    storage = [
        record["id"]
        for record in loaded
        if (record.get("fail_reason") or "").startswith("Failed to access the storage backend")
    ]
    assert sorted(probe["group_jobs"]) == sorted(storage) and len(storage) == 38


def test_explore_days_follow_tz(tmp_path: Path):
    assert EXPLORE is not None
    notebook, probe = _execute(EXPLORE, tmp_path, overrides='TZ = "Asia/Shanghai"', probe=EXPLORE_PROBE)
    assert probe["tz"] == probe["daily_tz"] == "Asia/Shanghai"
    # Jobs per Beijing calendar day, counted independently from the raw records.
    shanghai = ZoneInfo("Asia/Shanghai")
    since = SAMPLE_END - timedelta(days=_parameter(EXPLORE, "SINCE_DAYS"))
    expected = Counter(
        f"{_created(record).astimezone(shanghai):%Y-%m-%d}"
        for record in sample_records()
        if _created(record) >= since
    )
    assert probe["per_day"] == dict(sorted(expected.items()))
    assert "(Asia/Shanghai)" in _stream_text(notebook)


def test_postmortem_compares_with_previous_weeks(executed: dict[str, tuple[Any, dict[str, Any]]]):
    _, probe = executed["02_postmortem"]
    _check_incident(probe)


def test_postmortem_reads_a_naive_window_in_tz(tmp_path: Path):
    # 08:00 to 08:00 in Beijing is the UTC day of the sample's incident: the same comparison as above.
    assert POSTMORTEM is not None
    overrides = 'TZ = "Asia/Shanghai"\nSTART = "2026-10-03 08:00"\nEND = "2026-10-04 08:00"'
    notebook, probe = _execute(POSTMORTEM, tmp_path, overrides=overrides, probe=POSTMORTEM_PROBE)
    _check_incident(probe)
    assert "window Sat 2026-10-03 08:00 → Sun 2026-10-04 08:00 (Asia/Shanghai)" in _stream_text(notebook)


def _check_incident(probe: dict[str, Any]) -> None:
    """The sample's incident: 2026-10-03 (UTC) in eu-west-101; the instance with the most failures."""
    day = datetime(2026, 10, 3, tzinfo=timezone.utc)
    week = timedelta(weeks=1)
    assert probe["current"] == [str(day), str(day + timedelta(days=1))]
    assert probe["baseline"] == [
        [str(day - k * week), str(day + timedelta(days=1) - k * week)] for k in range(1, 5)
    ]
    records = [record for record in sample_records() if record["instance_id"] == probe["instance"]]

    def finished_in(start: datetime) -> int:
        return sum(
            start <= _created(record) < start + timedelta(days=1)
            and record["status"] in ("Completed", "Failed")
            for record in records
        )

    rate = next(row for row in probe["changes"] if row["metric"] == "failure_rate")
    assert int(rate["n_current"]) == finished_in(day) > 0
    assert int(rate["n_baseline"]) == sum(finished_in(day - k * week) for k in range(1, 5))
    assert {row["verdict"] for row in probe["changes"]} <= VERDICTS
    assert rate["verdict"] == "regressed" and probe["region_verdicts"]["failure_rate"] == "regressed"
    assert [t.startswith("Failed to access the storage backend") for t in probe["new_reasons"]] == [True]
    # Drill-down: the window's top group is all its failures here, job for job.
    assert len(probe["group_jobs"]) == probe["group_count"] == len(probe["failures"]) > 0
    assert sorted(probe["group_jobs"]) == sorted(probe["failures"])


def test_explore_shows_failure_rates_by_version_and_mode(executed: dict[str, tuple[Any, dict[str, Any]]]):
    """The notebook's tables against a count of the sample's raw job and instance records."""
    assert EXPLORE is not None
    _, probe = executed["01_explore"]
    days = _parameter(EXPLORE, "SINCE_DAYS")
    loaded = [r for r in sample_records() if _created(r) >= SAMPLE_END - timedelta(days=days)]
    instances = {r["id"]: r for r in sample_instance_records()}
    for key, field in (
        ("version_failed", lambda r: r["datastore"]["version"]),
        ("mode_failed", lambda r: r["mode"]),
    ):
        labels = [
            str(field(instances[r["instance_id"]])) if r["instance_id"] in instances else "nan"
            for r in loaded
        ]
        expected = {label: 0 for label in labels}
        for label, record in zip(labels, loaded, strict=True):
            expected[label] += record["status"] == "Failed"
        assert probe[key] == expected, key
    assert "nan" in probe["version_failed"]  # the sample's deleted instances: their own row


def test_postmortem_names_the_instance(executed: dict[str, tuple[Any, dict[str, Any]]]):
    _, probe = executed["02_postmortem"]
    instances = {r["id"]: r for r in sample_instance_records()}
    record = instances.get(probe["instance"])
    if record is None:
        assert probe["instance_fact"] == "not in the inventory (deleted?)"
    else:
        assert probe["instance_fact"].startswith(f"{record['mode']} {record['datastore']['version']}")

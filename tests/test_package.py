"""The public surface: every name in ``__all__`` resolves; the analysis core never imports the client."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ddsjobs_analytics as dj


def test_every_public_name_resolves():
    missing = [name for name in dj.__all__ if getattr(dj, name, None) is None]
    assert missing == []
    assert set(dj.__all__) <= set(dir(dj))


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'TaskCentre'"):
        _ = dj.TaskCentre  # type: ignore[attr-defined]


CORE = [
    "ddsjobs_analytics",
    "ddsjobs_analytics._frame",
    "ddsjobs_analytics._stats._durations",
    "ddsjobs_analytics._stats._failures",
    "ddsjobs_analytics._reasons",
    "ddsjobs_analytics._render._plots",
    "ddsjobs_analytics._render._report",
    "ddsjobs_analytics._analysis._postmortem",
    "ddsjobs_analytics._accessor",
]


def test_analysis_core_never_imports_the_http_client():
    # One fresh interpreter imports the whole analysis surface and reports what came along with it.
    code = (
        f"import sys\nimport {', '.join(CORE)}\n"
        "loaded = sorted(m for m in sys.modules if m == 'httpx' or m.startswith(('ddsjobs_analytics.client',"
        " 'ddsjobs_analytics.simulator', 'ddsjobs_analytics.archive')))\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_lazy_client_names_come_from_the_client_package():
    from ddsjobs_analytics import client

    assert dj.TaskCenter is client.TaskCenter
    assert issubclass(dj.ThrottledError, dj.TaskCenterError)

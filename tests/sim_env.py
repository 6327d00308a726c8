"""The SDK's environment variables pointed at a loopback simulator, as a user sets them."""

from __future__ import annotations

from typing import Any

import pytest


def point_env_at(sim: Any, monkeypatch: pytest.MonkeyPatch, *, one_project: bool = True) -> None:
    """AK, SK and endpoint of ``sim``; with ``one_project`` also its project and region, else neither (and
    no ``DDSJOBS_CONFIG``), so that only ``--target`` options say where to fetch."""
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", sim.ak)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", sim.sk)
    monkeypatch.setenv("DDSJOBS_ENDPOINT", sim.url)
    if one_project:
        monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", sim.project_id)
        monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", sim.region)
    else:
        for name in ("HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_REGION", "DDSJOBS_CONFIG"):
            monkeypatch.delenv(name, raising=False)


def target_options(sim: Any) -> list[str]:
    """``--target REGION:PROJECT`` for every region ``sim`` serves."""
    return [opt for region, project in sim.project_ids.items() for opt in ("--target", f"{region}:{project}")]

"""The official SDK's ``DdsClient`` pointed at a running simulator (test-only dependency)."""

from __future__ import annotations

from typing import Any


def sdk_client(sim: Any, *, sk: str | None = None) -> Any:
    """A ``DdsClient`` signing with the simulator's AK/SK (or ``sk``) for its project, at its loopback URL."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkdds.v3 import DdsClient

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = (5, 10)
    return (
        DdsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(sim.ak, sk or sim.sk, sim.project_id))
        .with_endpoints([sim.url])
        .build()
    )

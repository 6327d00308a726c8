"""Regions, endpoints, their environment overrides, and the HTTPS rule."""

from __future__ import annotations

import pytest

from ddsjobs_analytics.client import REGIONS, default_endpoint
from ddsjobs_analytics.client._regions import check_endpoint, endpoint_override_variable, resolve_endpoint


def test_the_sdk_knows_34_distinct_regions():
    assert len(REGIONS) == len(set(REGIONS)) == 34


def test_default_endpoints():
    assert default_endpoint("cn-north-4") == "https://dds.cn-north-4.myhuaweicloud.com"
    assert default_endpoint("ap-southeast-1") == "https://dds.ap-southeast-1.myhuaweicloud.com"
    assert default_endpoint("eu-west-101") == "https://dds.eu-west-101.myhuaweicloud.eu"


def test_unknown_region_is_a_clear_error_unless_an_endpoint_is_given():
    with pytest.raises(ValueError, match=r"unknown DDS region 'xx-mars-1'.*endpoint="):
        resolve_endpoint("xx-mars-1", None, environ={})
    assert resolve_endpoint("xx-mars-1", "https://dds.example.org/", environ={}) == "https://dds.example.org"


def test_resolution_order():
    env = {
        endpoint_override_variable("cn-north-4"): "https://override.example.com",
    }
    assert endpoint_override_variable("cn-north-4") == "HUAWEICLOUD_SDK_REGION_DDS_CN_NORTH_4"
    assert resolve_endpoint("cn-north-4", None, environ=env) == "https://override.example.com"
    env["DDSJOBS_ENDPOINT"] = "https://ours.example.com"
    assert resolve_endpoint("cn-north-4", None, environ=env) == "https://ours.example.com"
    assert resolve_endpoint("cn-north-4", "https://arg.example.com", environ=env) == "https://arg.example.com"
    with pytest.raises(ValueError, match=r"region=\.\.\. or endpoint="):
        resolve_endpoint(None, None, environ={})


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://127.8.9.10", "http://localhost:1", "http://[::1]:8000"]
)
def test_plain_http_allowed_on_loopback(url):
    assert check_endpoint(url) == url


@pytest.mark.parametrize(
    "url", ["http://dds.cn-north-4.myhuaweicloud.com", "http://10.0.0.1", "http://[::2]"]
)
def test_plain_http_refused_elsewhere(url):
    with pytest.raises(ValueError, match="HTTPS is required"):
        check_endpoint(url)


def test_not_a_url():
    with pytest.raises(ValueError, match="http"):
        check_endpoint("ftp://example.com")


@pytest.mark.parametrize(
    "url",
    [
        "https://proxyuser:s3cr3t-pass@dds.cn-north-4.myhuaweicloud.com",
        "http://user:s3cr3t-pass@127.0.0.1:8080",
        "http://user:s3cr3t-pass@example.com",  # refused for the user info before the HTTP rule
        "ftp://user:s3cr3t-pass@example.com",
    ],
)
def test_user_info_in_an_endpoint_is_refused_without_showing_it(url):
    # It would otherwise appear in repr(TaskCenter), in every error's url and in the debug log.
    with pytest.raises(ValueError) as caught:
        check_endpoint(url)
    assert "s3cr3t-pass" not in str(caught.value) and "s3cr3t-pass" not in repr(caught.value.args)
    with pytest.raises(ValueError) as caught:
        resolve_endpoint(None, None, {"DDSJOBS_ENDPOINT": url})
    assert "s3cr3t-pass" not in str(caught.value)


@pytest.mark.parametrize("url", ["https://dds.example.com/?x=1", "https://dds.example.com/#frag", "https://"])
def test_an_endpoint_with_a_query_fragment_or_no_host_is_refused(url):
    with pytest.raises(ValueError, match="endpoint"):
        check_endpoint(url)

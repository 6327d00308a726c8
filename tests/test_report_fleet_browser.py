"""The report's Fleet section in real headless Chromium: charts load, tables show, phone width holds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pytest
from fleet_world import joined_fleet

from ddsjobs_analytics._render._report import write_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
_REQUIRED = os.environ.get("DDSJOBS_REQUIRE_BROWSER") == "1"
try:
    from playwright import sync_api
except ImportError:
    if _REQUIRED:
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)
if not CHROMIUM.exists():
    if _REQUIRED:
        raise RuntimeError(f"{CHROMIUM} is missing and DDSJOBS_REQUIRE_BROWSER=1 (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _, _, joined = joined_fleet()
    paths = write_report(joined, tmp_path_factory.mktemp("fleet"), html=True)
    assert paths.html is not None
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            loaded = context.new_page()
            errors: list[str] = []
            loaded.on("pageerror", lambda e: errors.append(str(e)))
            loaded.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            loaded.goto(paths.html.as_uri(), wait_until="load")
            loaded.errors = errors
            yield loaded
        finally:
            browser.close()


def test_the_fleet_section_renders(page: Any) -> None:
    assert page.errors == []
    section = page.locator("#fleet")
    assert section.count() == 1 and "Fleet" in section.locator("h2").inner_text()
    images = page.eval_on_selector_all("#fleet img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
    assert len(images) == 3 and all(done and width > 0 for done, width in images)
    tables = section.locator("table")
    # 3 rate tables, the instances, and the upkeep tables with rows (patch available, past EOS, past EOM;
    # every version of this fleet is in the lifecycle table, so "unknown" is empty and shows no table).
    assert tables.count() == 7
    text = section.inner_text()
    assert "(not in inventory)" in text and "counts toward each of its AZs" in text
    assert "Instances with a patch available" in text and "past the provider's end of support" in text
    for header in ("engine_version", "mode", "availability_zone", "p95_s", "failure_rate"):
        assert header in text


def test_the_fleet_section_fits_a_phone(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0

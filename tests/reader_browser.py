"""A headless Chromium that cannot reach any host, driven by Selenium, for the reader's tests.

Every host name resolves to nothing (``--host-resolver-rules``), so a page that asks for
anything outside its own files gets a failed request; the Chrome DevTools log records every
request and every failure, which the tests read back.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import skip_or_fail

from helpers.dev.browser import find_chromium

#: Addresses a page may load from without reaching a host: its own files and inline data.
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


@dataclass
class Loaded:
    url: str
    title: str
    text: str  # the visible text, as a reader (or a screen reader) gets it
    requests: list[str]  # every address the page asked for
    failed: list[str]  # requests that failed, with the reason


@contextmanager
def offline_chromium(loopback: bool = False) -> Iterator[object]:
    """A Selenium Chrome driver on Debian's Chromium with every host unreachable (but this
    machine's loopback address, with ``loopback``: a server the test itself started)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium, driver_path = find_chromium(), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        skip_or_fail("Chromium and chromium-driver are needed (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND" + (", EXCLUDE 127.0.0.1" if loopback else ""),
        "--window-size=1200,1600",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(300)  # axe-core on a long page takes a while
        yield driver
    finally:
        driver.quit()


def load(driver, page: Path) -> Loaded:
    """Open ``page`` and return what the reader sees and what the page asked the network for."""
    driver.get_log("performance")  # forget the previous page's requests
    driver.execute_cdp_cmd("Network.enable", {})
    driver.get(page.resolve().as_uri())
    requests, failed = [], []
    ids: dict[str, str] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            ids[params["requestId"]] = url
            requests.append(url)
        elif message["method"] == "Network.loadingFailed":
            failed.append(f"{ids.get(params['requestId'], '?')}: {params.get('errorText')}")
    text = driver.find_element("tag name", "body").text
    return Loaded(page.as_uri(), driver.title, text, requests, failed)


def all_text(driver) -> str:
    """Every word a reader can reach: the visible text with each collapsed section opened."""
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    return driver.execute_script("return document.body.innerText")


def alt_texts(driver) -> list[str]:
    return [img.get_attribute("alt") or "" for img in driver.find_elements("tag name", "img")]


def outside_requests(loaded: Loaded) -> list[str]:
    return [url for url in loaded.requests if not url.startswith(LOCAL_SCHEMES)]


def print_to_pdf(driver, page: Path, pdf: Path) -> Path:
    """Print ``page`` as Chromium's print dialog would, on A4, with the page's own CSS sizes."""
    driver.get(page.resolve().as_uri())
    printed = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {
            "paperWidth": 8.27,
            "paperHeight": 11.69,
            "printBackground": True,
            "preferCSSPageSize": True,
        },
    )
    pdf.write_bytes(base64.b64decode(printed["data"]))
    return pdf


def axe_violations(driver) -> list[tuple[str, str, object]]:
    """axe-core's WCAG 2.0, 2.1 and 2.2 A and AA violations on the page open in ``driver``:
    (rule, impact, where), as the Public Sector Bodies Accessibility Regulations ask.

    The axe-core bundled with selenium-axe-python is run directly, asking for violations only:
    the package's own ``run`` returns every passing node too, which takes minutes to hand back
    on a long page.
    """
    import selenium_axe_python

    script = Path(selenium_axe_python.__file__).parent / "axe-core" / "axe.min.js"
    source = script.read_text(encoding="utf-8")
    version = re.search(r"axe v(\d+)\.(\d+)", source)
    assert version and (int(version[1]), int(version[2])) >= (4, 5), "axe-core before WCAG 2.2"
    driver.execute_script(source)  # no network
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ["
        "'wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},"
        " resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes[0].target])))"
        ".catch(e => done([['axe failed', 'critical', String(e)]]));"
    )

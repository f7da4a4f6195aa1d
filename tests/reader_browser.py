"""A headless Chromium that cannot reach any host, driven by Selenium, for the reader's tests.

Every host name resolves to nothing (``--host-resolver-rules``), so a page that asks for
anything outside its own files gets a failed request; the Chrome DevTools log records every
request and every failure, which the tests read back.
"""

from __future__ import annotations

import base64
import json
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
def offline_chromium() -> Iterator[object]:
    """A Selenium Chrome driver on Debian's Chromium with every host unreachable."""
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
        "--host-resolver-rules=MAP * ~NOTFOUND",
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

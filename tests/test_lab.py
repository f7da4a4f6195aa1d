"""`make lab` starts JupyterLab on the repository with the project's kernel.

The server is started exactly as an analyst starts it (the Makefile target), on a free loopback
port, without a browser or a token; the test reads two pages over HTTP and stops it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.config import PROJECT_ROOT
from helpers.dev.notebooks import KERNELSPEC

DISPLAY_NAME = KERNELSPEC["display_name"]

STARTUP_SECONDS = 90
REQUEST_SECONDS = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=REQUEST_SECONDS) as response:
        return response.status, response.read().decode("utf-8")


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[str]:
    if shutil.which("make") is None:
        pytest.fail("`make` is not on the PATH: the README's commands need it", pytrace=False)
    port = free_port()
    log = tmp_path / "lab.log"
    arguments = (
        f"--no-browser --port={port} --ServerApp.port_retries=0 --ServerApp.ip=127.0.0.1 "
        "--IdentityProvider.token="
    )
    with open(log, "w", encoding="utf-8") as output:
        # A session of its own, so that make, the shell and the server stop together.
        server = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_ARGS={arguments}"],
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"`make lab` exited ({server.returncode}):\n{log.read_text()}")
            try:
                fetch(f"{base}/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    waited = f"JupyterLab did not answer in {STARTUP_SECONDS} s"
                    pytest.fail(f"{waited}:\n{log.read_text()}")
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def test_make_lab_serves_jupyterlab_with_the_projects_kernel(lab_server: str):
    status, page = fetch(f"{lab_server}/lab")
    assert status == 200
    assert "<title>JupyterLab</title>" in page

    _, body = fetch(f"{lab_server}/api/kernelspecs")
    specs = json.loads(body)
    # The notebooks ask for python3: that name must be the project's kernel, with its own name.
    assert specs["default"] == "python3"
    kernel = specs["kernelspecs"]["python3"]["spec"]
    assert kernel["display_name"] == DISPLAY_NAME
    python = Path(kernel["argv"][0])
    assert python.parent == PROJECT_ROOT / ".venv" / "bin", kernel["argv"]

    # It serves the repository, so the analyst finds the notebooks where the README says.
    _, listing = fetch(f"{lab_server}/api/contents/notebooks")
    names = {item["name"] for item in json.loads(listing)["content"]}
    assert "01_open_by_lead_agency.ipynb" in names

    # It neither fetches news nor checks for updates: both would ask a host on the internet.
    _, body = fetch(f"{lab_server}/lab/api/settings/@jupyterlab/apputils-extension:notification")
    # (the project's overrides become the schema's defaults)
    notification = json.loads(body)["schema"]["properties"]
    assert notification["fetchNews"]["default"] == "false"
    assert notification["checkForUpdates"]["default"] is False


def _notebook_names() -> list[str]:
    return sorted(p.name for p in (PROJECT_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.slow  # starts JupyterLab and a kernel per notebook in headless Chromium
def test_each_notebook_opens_in_jupyterlab_unmodified(lab_server: str):
    """Opening a committed notebook in the lab must not mark it modified: if it did, Ctrl-S (or
    the lab's autosave) would rewrite a committed file the analyst never changed. The lab
    rewrites the notebook's kernel and language metadata when they differ from the kernel it
    starts, so the committed notebooks must carry the project kernel's own."""
    from reader_browser import offline_chromium
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    modified = {}
    with offline_chromium(loopback=True) as driver:
        for name in _notebook_names():
            driver.get(f"{lab_server}/lab/tree/notebooks/{name}")
            wait = WebDriverWait(driver, 120)
            # The tab of the notebook, once its kernel has started and reported itself idle.
            wait.until(
                lambda d, n=name: d.find_elements(
                    By.CSS_SELECTOR, f'li.lm-TabBar-tab[title*="{n}"]'
                )
            )
            wait.until(
                lambda d: d.execute_script(
                    "const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
                    "return s && s.getAttribute('data-status') === 'idle';"
                )
            )
            time.sleep(2)  # the metadata is rewritten just after the kernel's info reply
            tab = driver.find_element(By.CSS_SELECTOR, f'li.lm-TabBar-tab[title*="{name}"]')
            modified[name] = "jp-mod-dirty" in (tab.get_attribute("class") or "")
            driver.execute_script(
                "window.jupyterapp && window.jupyterapp.commands.execute('application:close-all')"
            )
    assert not any(modified.values()), f"marked modified on opening: {modified}"
